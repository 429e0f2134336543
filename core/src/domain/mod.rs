//! The records a book store keeps: books, their copies, customers and rentals.

mod book;
mod customer;
mod rental;
mod text;

pub use book::{Book, BookUpdate, Copy, CopyStatus, NewBook};
pub use customer::{Customer, CustomerUpdate, NewCustomer};
pub use rental::{Rental, RentalStatus};
pub(crate) use text::title_key;
