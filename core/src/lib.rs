//! # Koko core
//!
//! The rental and charging engine of a book store: a catalogue of books and their copies, customers, rentals,
//! and a charging engine with versioned price plans — exact money (`rust_decimal`), one pricing truth for every
//! runtime, and storage that never double-rents a copy or loses a return.
//!
//! Start with [`PricePlan`] to price rentals, and with [`BookStore`] to run a store.
#![forbid(unsafe_code)]
#![warn(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod backup;
pub mod check;
mod clock;
mod domain;
mod engine;
mod error;
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
    CustomerUpdate, EntryKind, Hold, HoldStatus, LedgerEntry, NewBook, NewCustomer, Notice,
    NoticeKind, OpenLoan, Rental, RentalStatus, Statement, WordIndex,
};
pub use engine::{Damage, Operation, Outcome, RentRequest, RentTarget};
pub use error::{Error, Result};
pub use ids::{BookId, CopyId, CustomerId, HoldId, LedgerEntryId, PlanVersionId, RentalId};
pub use money::{Currency, Rounding};
pub use pricing::{
    version_in_force, Calendar, DayCount, HoldsPolicy, LateFee, Limits, NoticesPolicy,
    PlanDocument, PlanVersion, PricePlan, Quote, QuoteLine, RenewFrom, Renewals, Replacement,
    Tariff, Tier, TimeZone, Weekday, DEFAULT_PICKUP_DAYS, MAX_CLOSED_DATES, MAX_MONEY_DECIMALS,
    MAX_PLAN_AMOUNT,
};
pub use report::{
    CurrencyTotal, OutstandingCharges, Receipt, Revenue, RevenueLine, ACTIVE_RENTALS_CSV_HEADER,
};
pub use storage::{BatchResults, MemoryStorage, Records, Storage};
#[cfg(feature = "sled")]
#[cfg_attr(docsrs, doc(cfg(feature = "sled")))]
pub use storage::{CommitStats, Durability, SledOptions, SledStorage};
#[cfg(feature = "postgres")]
#[cfg_attr(docsrs, doc(cfg(feature = "postgres")))]
pub use storage::{PostgresOptions, PostgresStorage};
pub use store::{BookQuery, BookStore, RentalQuery, WriteOptions, DEFAULT_PLAN_START, MAX_PAGE};

/// Decimal money type re-exported from `rust_decimal`, so callers need not name the crate.
pub use rust_decimal::Decimal;

/// The README's Rust snippets, compiled and run as doctests.
#[doc = include_str!("../../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
