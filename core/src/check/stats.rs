//! What a check counted, and its report: the counts and every problem found.

use super::problem::Problem;

/// What a check looked at. Every record listed is counted, whatever problems it has.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CheckStats {
    /// Books listed.
    pub books: u64,
    /// Copies listed by the books.
    pub copies: u64,
    /// Customers listed.
    pub customers: u64,
    /// Rentals listed, open and closed.
    pub rentals: u64,
    /// Of which open.
    pub open_rentals: u64,
    /// Renewals found on rentals (each one's instant, open rentals and closed).
    pub renewals: u64,
    /// Ledger entries listed by the customers (every kind).
    pub entries: u64,
    /// Of which payments.
    pub payments: u64,
    /// Holds listed by the customers (every status).
    pub holds: u64,
    /// Of which waiting.
    pub waiting_holds: u64,
    /// Of which ready (each with its copy set aside).
    pub ready_holds: u64,
    /// Copies lost now.
    pub lost_copies: u64,
    /// Rentals closed as lost (their fees checked).
    pub lost_rentals: u64,
    /// Of which the copy was found since (or withdrawn): no longer lost under that rental.
    pub found_rentals: u64,
    /// Events the feed holds (those not pruned).
    pub events: u64,
}

/// The outcome of a check: what it counted and every problem it found (none: the store is consistent).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Report {
    /// What was checked.
    pub stats: CheckStats,
    /// Every broken invariant, in the order found.
    pub problems: Vec<Problem>,
}

impl Report {
    /// The counts when no invariant is broken, else every problem.
    pub fn into_result(self) -> Result<CheckStats, Vec<Problem>> {
        if self.problems.is_empty() {
            Ok(self.stats)
        } else {
            Err(self.problems)
        }
    }
}
