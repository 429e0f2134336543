//! The families of invariants a check covers, and the family of each [`Problem`].

use super::problem::Problem;
use crate::domain::EntryKind;

/// The families of invariants a check covers; every [`Problem`] belongs to one ([`Problem::family`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Family {
    /// Listings in strictly increasing id order, each record listed once, by the record it belongs to.
    Listing,
    /// Each rental against its copy, book, customer and plan version: due date, renewals, charge and quote.
    Rentals,
    /// Copies and open rentals: a copy is marked rented exactly under its one open rental.
    Copies,
    /// Ledgers and accounts: running balances, stored balances, counts of open rentals.
    Ledger,
    /// Charge entries: one per closed rental, of its charge, none for an open one.
    Charges,
    /// Holds and the copies set aside for them.
    Holds,
    /// Lost and found copies, and the fees and credits naming a rental.
    Lost,
    /// The store's indexes against its records: open rentals, customers' rentals, charge entries, hold queues,
    /// records found by id.
    Indexes,
    /// The event feed: consecutive positions, ids, the counter of positions given, checkpoints, the feed by type.
    Events,
}

impl Problem {
    /// The family of invariants the problem breaks.
    pub fn family(&self) -> Family {
        use Problem::*;
        match self {
            OutOfOrder { .. } | WrongOwner { .. } | ListedTwice { .. } | OwnerMissing { .. } => {
                Family::Listing
            }
            RentalCopyMissing { .. }
            | RentalCopyOfOtherBook { .. }
            | RentalBookMissing { .. }
            | RentalCustomerMissing { .. }
            | PlanVersionMissing { .. }
            | DueDateUnknown { .. }
            | RenewalOutOfOrder { .. }
            | RenewedWithoutDueDate { .. }
            | RenewalRefused { .. }
            | DueDateWrong { .. }
            | OpenButCharged { .. }
            | ClosedWithoutCharge { .. }
            | ReturnedBeforeRented { .. }
            | ChargeNotQuote { .. }
            | Unquotable { .. } => Family::Rentals,
            OpenRentalNotMarked { .. } | MarkedRentedNotOpen { .. } | SeveralOpenRentals { .. } => {
                Family::Copies
            }
            NegativeAmount { .. }
            | RunningBalance { .. }
            | BalanceOverflow { .. }
            | AccountBalance { .. }
            | NoAccount { .. }
            | SharedEmail { .. }
            | OpenRentalCount { .. } => Family::Ledger,
            ChargeWithoutRental { .. }
            | OpenRentalCharged { .. }
            | ChargeEntryCount { .. }
            | ChargeEntryMismatch { .. } => Family::Charges,
            EntriesOfUnknownRental { kind, .. } => match kind {
                EntryKind::Charge => Family::Charges,
                _ => Family::Lost,
            },
            HoldBookMissing { .. }
            | HoldClosedBeforePlaced { .. }
            | HoldFieldsUnfit { .. }
            | ReadyHoldCopy { .. }
            | CopyOnHoldUnnamed { .. }
            | WaitingWhileOnShelf { .. }
            | SeveralActiveHolds { .. }
            | FulfilmentMismatch { .. } => Family::Holds,
            LostCopyRental { .. }
            | LostButOpen { .. }
            | NoTariff { .. }
            | ReplacementFees { .. }
            | FoundCredit { .. }
            | CreditOfKeptRental { .. }
            | FeeOfOtherCustomer { .. } => Family::Lost,
            IndexLacks { .. }
            | IndexHas { .. }
            | ChargeIndex { .. }
            | HoldQueue { .. }
            | FoundUnlisted { .. }
            | ListedNotFound { .. } => Family::Indexes,
            EventGap { .. }
            | EventId { .. }
            | EventCounter { .. }
            | CheckpointPastFeed { .. }
            | EventIndexLacks { .. }
            | EventIndexHas { .. }
            | EventIndexUnreadable { .. } => Family::Events,
        }
    }
}
