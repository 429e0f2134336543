//! # Koko core
//!
//! The rental and charging engine of a book store: a catalogue of books and their copies, customers, rentals,
//! and a charging engine with versioned price plans — exact money (`rust_decimal`), one pricing truth for every
//! runtime, and storage that never double-rents a copy or loses a return.
//!
//! Start with [`PricePlan`] to price rentals, and with [`BookStore`] to run a store.
//!
//! ```toml
//! [dependencies]
//! koko-core = "0.1"                                          # the embedded sled store included (feature `sled`)
//! # koko-core = { version = "0.1", features = ["postgres"] } # and PostgreSQL, for several processes
//! ```
//!
//! A store, a book, a customer, a rental and its return — with the itemised charge and the customer's balance:
//!
//! ```
//! use chrono::{Duration, TimeZone, Utc};
//! use koko_core::{BookStore, NewBook, NewCustomer, PricePlan};
//!
//! # fn main() -> koko_core::Result<()> {
//! // In memory here; `SledStorage::open(dir)` keeps it on disk (see `BookStore::with_default_plan`).
//! let store = BookStore::in_memory(PricePlan::story3())?;
//! let hobbit = store.add_book(&NewBook::new("The Hobbit", "J. R. R. Tolkien", "novel"), 2)?;
//! let ada = store.register_customer(&NewCustomer::new("Ada", "Lovelace").with_email("ada@example.org"))?;
//!
//! let monday = Utc.with_ymd_and_hms(2024, 6, 3, 10, 0, 0).unwrap();
//! let rental = store.rent_book_at(ada.id, hobbit.id, monday)?;
//! let receipt = store.return_rental_at(rental.id, monday + Duration::days(3))?;
//! // Story 3 prices a novel at 1.50 a day, 4.50 at least: three days are 4.50.
//! assert_eq!(receipt.charge.total.to_string(), "4.50");
//! assert_eq!(receipt.charge.lines[0].description, "days 1–3 at 1.50");
//! assert_eq!(store.account(ada.id)?.balance.to_string(), "4.50");
//! # Ok(())
//! # }
//! ```
//!
//! Where things are: [`BookStore`] (the facade: catalogue, customers, circulation, holds, accounts, reports,
//! search), [`Operation`] and [`BookStore::apply_batch`] (every write, atomic, in batches), [`Storage`] with
//! [`MemoryStorage`] and `SledStorage` (feature `sled`, on by default; with `postgres`, `PostgresStorage`),
//! [`backup`] (dumps, restore, migration between backends) and [`check`] (a store's invariants).
#![forbid(unsafe_code)]
#![warn(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod backup;
pub mod check;
mod clock;
mod domain;
mod engine;
mod error;
mod export;
mod ids;
mod money;
mod pricing;
mod report;
mod storage;
mod store;

pub use clock::{Clock, FixedClock, SystemClock};
#[allow(deprecated)]
pub use domain::Copy;
pub use domain::{
    Account, AccountState, AgedBalance, Block, Book, BookCopy, BookUpdate, CopyStatus, Customer,
    CustomerUpdate, EntryKind, Event, EventKind, EventSubjects, Hold, HoldStatus, LedgerEntry,
    NewBook, NewCustomer, Notice, NoticeKind, OpenLoan, Rental, RentalStatus, Statement, WordIndex,
    EVENT_SCHEMA_VERSION, MAX_CHECKPOINT_NAME_CHARS,
};
pub use engine::{Damage, Operation, Outcome, RentRequest, RentTarget};
pub use error::{Error, Result};
pub use export::{
    ExportKind, ExportProgress, ACTIVE_RENTALS_CSV_HEADER, BOOKS_CSV_HEADER, CUSTOMERS_CSV_HEADER,
    LEDGER_CSV_HEADER,
};
pub use ids::{BookId, CopyId, CustomerId, HoldId, LedgerEntryId, PlanVersionId, RentalId};
pub use money::{Currency, Rounding};
pub use pricing::{
    version_in_force, Calendar, DayCount, HoldsPolicy, LateFee, Limits, NoticesPolicy,
    PlanDocument, PlanVersion, PricePlan, Quote, QuoteLine, RenewFrom, Renewals, Replacement,
    Tariff, Tier, TimeZone, Weekday, DEFAULT_PICKUP_DAYS, MAX_CLOSED_DATES, MAX_MONEY_DECIMALS,
    MAX_PLAN_AMOUNT, RECORDED_CHARGE,
};
pub use report::{CurrencyTotal, OutstandingCharges, Receipt, Revenue, RevenueLine};
pub use storage::{BatchResults, MemoryStorage, Records, Storage};
#[cfg(feature = "sled")]
#[cfg_attr(docsrs, doc(cfg(feature = "sled")))]
pub use storage::{CommitStats, Durability, SledOptions, SledStorage};
#[cfg(feature = "postgres")]
#[cfg_attr(docsrs, doc(cfg(feature = "postgres")))]
pub use storage::{PostgresOptions, PostgresStorage};
pub use store::{
    BookQuery, BookStore, RentalQuery, WriteOptions, DEFAULT_PLAN_START, MAX_EVENTS_PAGE, MAX_PAGE,
};

/// Decimal money type re-exported from `rust_decimal`, so callers need not name the crate.
pub use rust_decimal::Decimal;

/// The README's Rust snippets, compiled and run as doctests.
#[doc = include_str!("../../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;

/// The Rust guide's snippets (docs/rust.md), compiled and run as doctests.
#[doc = include_str!("../../docs/rust.md")]
#[cfg(doctest)]
pub struct RustGuideDoctests;

/// The snippets of the accounts and circulation page (docs/accounts.md), compiled and run as doctests.
#[doc = include_str!("../../docs/accounts.md")]
#[cfg(doctest)]
pub struct AccountsDoctests;
