//! Notices: what a store should tell its customers — a rental due soon, an overdue rental (at each reminder level),
//! a copy set aside for a hold.

use chrono::{DateTime, SecondsFormat, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::ids::{BookId, CustomerId, HoldId, RentalId};
use crate::money::Currency;

/// What a notice is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NoticeKind {
    /// A rental is due within the plan's `notices.due_soon_days`.
    DueSoon,
    /// A rental is overdue by at least one of the plan's `notices.overdue_days` levels.
    Overdue,
    /// A copy is set aside for the customer's hold.
    HoldReady,
}

impl NoticeKind {
    /// `"due_soon"`, `"overdue"` or `"hold_ready"`.
    pub fn as_str(self) -> &'static str {
        match self {
            NoticeKind::DueSoon => "due_soon",
            NoticeKind::Overdue => "overdue",
            NoticeKind::HoldReady => "hold_ready",
        }
    }
}

/// One notice to send (see [`BookStore::notices`](crate::BookStore::notices)).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notice {
    /// Identifies the notice for [`BookStore::mark_notified`](crate::BookStore::mark_notified): the same notice
    /// always has the same key (a renewal's new due date makes new keys).
    pub key: String,
    /// What it is about.
    pub kind: NoticeKind,
    /// The reminder level of an overdue notice (1: first), 0 for the others.
    pub level: u32,
    /// Whom to tell.
    pub customer: CustomerId,
    /// The book concerned.
    pub book: BookId,
    /// The rental concerned (due soon, overdue).
    pub rental: Option<RentalId>,
    /// The hold concerned (hold ready).
    pub hold: Option<HoldId>,
    /// When the rental is due, or until when the held copy waits.
    pub due_at: DateTime<Utc>,
    /// What the rental would be charged if returned at the notice's instant (late fees included).
    #[serde(default, with = "crate::money::opt_decimal_str")]
    pub amount: Option<Decimal>,
    /// The currency of `amount`.
    pub currency: Option<Currency>,
}

impl Notice {
    /// The key of a rental notice: kind, level, rental and due date.
    pub(crate) fn rental_key(
        kind: NoticeKind,
        level: u32,
        rental: RentalId,
        due: DateTime<Utc>,
    ) -> String {
        format!(
            "{}:{level}:rental:{rental}:{}",
            kind.as_str(),
            due.to_rfc3339_opts(SecondsFormat::Secs, true)
        )
    }

    /// The key of a hold-ready notice.
    pub(crate) fn hold_key(hold: HoldId) -> String {
        format!("hold_ready:0:hold:{hold}")
    }
}
