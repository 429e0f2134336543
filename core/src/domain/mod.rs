//! The records a book store keeps: books, their copies, customers, rentals and customer accounts.

mod account;
mod book;
mod customer;
mod dump;
mod event;
mod hold;
mod notice;
mod rental;
mod text;
mod words;

pub use account::{
    Account, AccountState, AgedBalance, Block, EntryKind, LedgerEntry, OpenLoan, Statement,
};
#[allow(deprecated)]
pub use book::Copy;
pub use book::{Book, BookCopy, BookUpdate, CopyStatus, NewBook};
pub(crate) use customer::email_key;
pub use customer::{Customer, CustomerUpdate, NewCustomer};
pub use dump::DumpRecord;
pub(crate) use event::NewEvent;
pub use event::{Event, EventKind, EventSubjects, EVENT_SCHEMA_VERSION, MAX_CHECKPOINT_NAME_CHARS};
pub use hold::{Hold, HoldStatus};
pub use notice::{Notice, NoticeKind};
pub use rental::{Rental, RentalStatus};
pub(crate) use text::{optional_text, required_text, title_key};
pub use words::WordIndex;
pub(crate) use words::{book_words, category_word, customer_words, query_words, MAX_QUERY_WORDS};
