//! Holds: a customer's place in the queue for a title that is out, and the copy set aside when one comes back.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ids::{BookId, CopyId, CustomerId, HoldId, RentalId};

/// A customer's request for a book, queued first come, first served (by placement, that is by id).
///
/// A hold is `waiting` until a copy comes back (returned, added, reinstated, found); the copy is then set aside
/// for the first waiting hold of the book (`ready`, the copy's status [`CopyStatus::OnHold`]) until
/// `ready_until`. Only that customer can rent the copy, and renting it fulfils the hold. A ready hold not
/// picked up in time expires and the copy passes to the next in the queue.
///
/// [`CopyStatus::OnHold`]: crate::CopyStatus::OnHold
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hold {
    /// The hold's id (placement order).
    pub id: HoldId,
    /// The title asked for.
    pub book: BookId,
    /// Who asked.
    pub customer: CustomerId,
    /// When it was placed.
    pub placed_at: DateTime<Utc>,
    /// Where it stands.
    pub status: HoldStatus,
    /// The copy set aside for it (once ready; kept after it closes).
    pub copy: Option<CopyId>,
    /// Until when the set-aside copy waits for the customer (once ready).
    pub ready_until: Option<DateTime<Utc>>,
    /// When it was fulfilled, cancelled or expired.
    pub closed_at: Option<DateTime<Utc>>,
    /// The rental that fulfilled it.
    pub rental: Option<RentalId>,
    /// Its place among the book's waiting holds (1: next to be served), filled in when read; `None` unless
    /// waiting.
    #[serde(default)]
    pub position: Option<u32>,
}

/// Where a hold stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HoldStatus {
    /// In the queue, no copy yet.
    Waiting,
    /// A copy is set aside for the customer until `ready_until`.
    Ready,
    /// The customer rented the copy.
    Fulfilled,
    /// Cancelled by the customer or the store.
    Cancelled,
    /// Not picked up in time.
    Expired,
}

impl HoldStatus {
    /// The status as written in JSON and by the bindings: `"waiting"`, `"ready"`, …
    pub fn as_str(self) -> &'static str {
        match self {
            HoldStatus::Waiting => "waiting",
            HoldStatus::Ready => "ready",
            HoldStatus::Fulfilled => "fulfilled",
            HoldStatus::Cancelled => "cancelled",
            HoldStatus::Expired => "expired",
        }
    }

    /// Waiting or ready: the hold still counts against the customer's `limits.max_holds`.
    pub fn is_active(self) -> bool {
        matches!(self, HoldStatus::Waiting | HoldStatus::Ready)
    }
}

impl Hold {
    /// Fills in `position` of each waiting hold in `queue` (one book's holds in id order): 1, 2, …
    pub(crate) fn number_queue(queue: &mut [Hold]) {
        let mut next = 0u32;
        for hold in queue {
            hold.position = if hold.status == HoldStatus::Waiting {
                next = next.saturating_add(1);
                Some(next)
            } else {
                None
            };
        }
    }
}
