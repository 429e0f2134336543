//! The original's rows as read from its SQLite tables, and what the mapping says of a row it cannot take: shared
//! by the mapping of books and customers (`mapping`) and of rentals (`rentals`).

use std::fmt;

use koko_core::Book;
use rusqlite::types::Value;

/// A row of the original's `books` table.
pub(crate) struct BookRow {
    pub(crate) id: i64,
    pub(crate) title: Value,
    pub(crate) author: Value,
    pub(crate) book_type: Value,
    pub(crate) rental_status: Value,
}

/// A row of the original's `customers` table.
pub(crate) struct CustomerRow {
    pub(crate) id: i64,
    pub(crate) first_name: Value,
    pub(crate) last_name: Value,
    pub(crate) is_active: Value,
}

/// A row of the original's `rentals` table.
pub(crate) struct RentalRow {
    pub(crate) id: i64,
    pub(crate) customer_id: Value,
    pub(crate) book_id: Value,
    pub(crate) rental_status: Value,
    pub(crate) date_borrowed: Value,
    pub(crate) date_returned: Value,
    pub(crate) amount_charged: Value,
}

/// The original's three tables, each in id order.
pub(crate) struct Tables {
    pub(crate) books: Vec<BookRow>,
    pub(crate) customers: Vec<CustomerRow>,
    pub(crate) rentals: Vec<RentalRow>,
}

/// A row not imported (or imported with a correction, for a warning): its table, id and why.
pub(crate) struct Refusal {
    pub(super) table: &'static str,
    pub(super) id: i64,
    pub(super) reason: String,
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} id {}: {}", self.table, self.id, self.reason)
    }
}

/// A book accepted so far, and whether the original marked it rented out.
pub(super) struct Accepted {
    pub(super) book: Book,
    pub(super) rented_out: bool,
}

pub(super) fn refusal(table: &'static str, id: i64, reasons: Vec<String>) -> Refusal {
    Refusal {
        table,
        id,
        reason: reasons.join("; "),
    }
}
