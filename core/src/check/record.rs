//! The kinds of record a [`Problem`](super::Problem) names, and the listings a store answers.

use crate::ids::{BookId, CustomerId};

/// A kind of record, where one problem can name several kinds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Record {
    /// A book ([`BookId`]).
    Book,
    /// A copy ([`CopyId`](crate::CopyId)).
    Copy,
    /// A customer ([`CustomerId`]).
    Customer,
    /// A rental ([`RentalId`](crate::RentalId)).
    Rental,
    /// A ledger entry ([`LedgerEntryId`](crate::LedgerEntryId)).
    LedgerEntry,
    /// A hold ([`HoldId`](crate::HoldId)).
    Hold,
}

impl Record {
    /// The record kind in words: `"book"`, `"copy"`, `"customer"`, `"rental"`, `"ledger entry"`, `"hold"`.
    pub fn name(self) -> &'static str {
        match self {
            Record::Book => "book",
            Record::Copy => "copy",
            Record::Customer => "customer",
            Record::Rental => "rental",
            Record::LedgerEntry => "ledger entry",
            Record::Hold => "hold",
        }
    }
}

/// A list of records the store answers, each in strictly increasing id order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Listing {
    /// Every book (`Storage::books`).
    Books,
    /// A book's copies (`Storage::copies_of`).
    Copies {
        /// The book listing them.
        book: BookId,
    },
    /// Every customer (`Storage::customers`).
    Customers,
    /// Every rental, open and closed (`Storage::rentals`).
    Rentals,
    /// A customer's ledger (`Storage::ledger`).
    Ledger {
        /// The customer listing it.
        customer: CustomerId,
    },
    /// A customer's holds of every status (`Storage::customer_holds`).
    Holds {
        /// The customer listing them.
        customer: CustomerId,
    },
    /// The open-rental index (`Storage::active_rentals`).
    OpenRentals,
    /// A customer's rental index (`Storage::customer_rentals`).
    CustomerRentals {
        /// The customer it indexes.
        customer: CustomerId,
    },
}

impl Listing {
    /// The kind of record the listing holds.
    pub fn record(self) -> Record {
        match self {
            Listing::Books => Record::Book,
            Listing::Copies { .. } => Record::Copy,
            Listing::Customers => Record::Customer,
            Listing::Rentals | Listing::OpenRentals | Listing::CustomerRentals { .. } => {
                Record::Rental
            }
            Listing::Ledger { .. } => Record::LedgerEntry,
            Listing::Holds { .. } => Record::Hold,
        }
    }
}
