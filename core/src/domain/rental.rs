//! Rentals: a copy lent to a customer, and once returned, what it was charged.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ids::{BookId, CopyId, CustomerId, PlanVersionId, RentalId};
use crate::pricing::Quote;

/// A copy lent to a customer. It closes exactly once, and then carries the charge that was shown on the receipt.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rental {
    /// The rental's id.
    pub id: RentalId,
    /// The copy lent.
    pub copy: CopyId,
    /// The book the copy belongs to.
    pub book: BookId,
    /// The customer.
    pub customer: CustomerId,
    /// The book's category when it was rented; the charge uses this one even if the book is re-categorised.
    pub category: String,
    /// When it was lent.
    pub rented_at: DateTime<Utc>,
    /// When it is due back, if the plan sets a loan period.
    pub due_at: Option<DateTime<Utc>>,
    /// When it came back; `None` while open.
    pub returned_at: Option<DateTime<Utc>>,
    /// The price plan version in force when it was opened; the charge is computed under it.
    pub plan_version: PlanVersionId,
    /// The charge, once closed: exactly the quote for (plan version, category, rented_at, returned_at).
    pub charge: Option<Quote>,
    /// When it was renewed, oldest first (each renewal moved `due_at`).
    #[serde(default)]
    pub renewals: Vec<DateTime<Utc>>,
    /// Whether it was closed by declaring the copy lost (`returned_at` is then when it was declared lost, and the
    /// charge is what had accrued until then; the replacement fees are ledger entries).
    #[serde(default)]
    pub lost: bool,
}

/// Open, closed, or closed as lost.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum RentalStatus {
    /// The copy is still out.
    Active,
    /// The copy came back and the rental was charged.
    Closed,
    /// The copy was declared lost; the rental was charged what had accrued, and the replacement fees.
    Lost,
}

impl Rental {
    /// Open or closed.
    pub fn status(&self) -> RentalStatus {
        if self.lost {
            RentalStatus::Lost
        } else if self.returned_at.is_some() {
            RentalStatus::Closed
        } else {
            RentalStatus::Active
        }
    }

    /// Whether the rental is open and past its due time at `at`.
    pub fn is_overdue(&self, at: DateTime<Utc>) -> bool {
        self.returned_at.is_none() && self.due_at.is_some_and(|due| at > due)
    }
}
