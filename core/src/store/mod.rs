//! [`BookStore`]: what users call to run a store — the facade over any [`Storage`](crate::Storage). Every write
//! goes through `writes` (one door: [`BookStore::execute`]); reads go to the storage.

mod accounts;
mod book_store;
mod catalogue;
mod circulation;
mod events;
mod notices;
mod rentals;
mod search;
mod writes;

pub use book_store::{BookStore, DEFAULT_PLAN_START};
pub use events::MAX_EVENTS_PAGE;
pub use search::{BookQuery, RentalQuery, MAX_PAGE};
pub use writes::WriteOptions;
