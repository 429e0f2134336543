//! The one error type of Koko.

use std::fmt;

/// Everything that can go wrong in Koko.
///
/// Expected conflicts ([`Error::Unavailable`], [`Error::AlreadyReturned`], …) are values a caller matches on;
/// they never leave stored data changed. [`Error::Storage`] and [`Error::Corruption`] report the backend.
///
/// ```
/// use koko_core::{Error, PricePlan};
///
/// let err = PricePlan::story3().quote_days("poetry", 2).unwrap_err();
/// assert!(matches!(err, Error::InvalidInput { ref field, .. } if field == "category"));
/// assert_eq!(err.kind(), "InvalidInput");
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// No record of this kind has this id.
    #[error("{entity} {id} not found")]
    NotFound {
        /// What was looked up: `"book"`, `"copy"`, `"customer"`, `"rental"`, `"price plan"`.
        entity: &'static str,
        /// The id (or other key) that was asked for.
        id: String,
    },
    /// The book has no available copy, or the copy is rented out or withdrawn.
    #[error("unavailable: {reason}")]
    Unavailable {
        /// Why, e.g. `"book 3 has no available copy"`.
        reason: String,
    },
    /// The rental was already closed; closing it again changes nothing.
    #[error("rental {rental} was already returned")]
    AlreadyReturned {
        /// The rental's id.
        rental: u64,
    },
    /// The customer is deactivated and cannot rent.
    #[error("customer {customer} is inactive and cannot rent")]
    InactiveCustomer {
        /// The customer's id.
        customer: u64,
    },
    /// A rule refused the operation: a plan limit (`limits.max_open_rentals`, `limits.max_balance`,
    /// `limits.max_overdue_rentals`) or a staff block (`manual`). Nothing was changed.
    #[error("blocked by {rule}: {reason}")]
    Blocked {
        /// The rule, e.g. `"limits.max_balance"` or `"manual"`.
        rule: String,
        /// Why, e.g. `"the balance 25.00 is above the limit 20.00"`.
        reason: String,
    },
    /// A value that must be unique is taken (a book title, an ISBN, a plan's effective date).
    #[error("duplicate {field}: {value:?} is already taken")]
    Duplicate {
        /// The unique field, e.g. `"title"` or `"isbn"`.
        field: &'static str,
        /// The value that collided.
        value: String,
    },
    /// An argument was rejected before anything was changed.
    #[error("invalid {field}: {reason}")]
    InvalidInput {
        /// The argument or field at fault, e.g. `"returned_at"`, `"title"`, `"category"`.
        field: String,
        /// Why it was rejected.
        reason: String,
    },
    /// A price plan document or value failed validation.
    #[error("invalid price plan at {field}: {reason}")]
    InvalidPlan {
        /// The path of the offending field, e.g. `"categories.regular.tiers[1].from_day"`.
        field: String,
        /// Why it was rejected.
        reason: String,
    },
    /// The storage backend failed (I/O, a full disk, a lost connection).
    #[error("storage error: {0}")]
    Storage(#[source] Box<dyn std::error::Error + Send + Sync + 'static>),
    /// Stored data could not be decoded or breaks an invariant.
    #[error("corrupt stored data: {0}")]
    Corruption(String),
}

/// Koko's `Result`.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// The variant's name, stable across releases and the same in every binding (`"NotFound"`, …).
    pub fn kind(&self) -> &'static str {
        match self {
            Error::NotFound { .. } => "NotFound",
            Error::Unavailable { .. } => "Unavailable",
            Error::AlreadyReturned { .. } => "AlreadyReturned",
            Error::InactiveCustomer { .. } => "InactiveCustomer",
            Error::Blocked { .. } => "Blocked",
            Error::Duplicate { .. } => "Duplicate",
            Error::InvalidInput { .. } => "InvalidInput",
            Error::InvalidPlan { .. } => "InvalidPlan",
            Error::Storage(_) => "Storage",
            Error::Corruption(_) => "Corruption",
        }
    }

    /// The field an [`Error::InvalidInput`], [`Error::InvalidPlan`] or [`Error::Duplicate`] names, or the rule
    /// of an [`Error::Blocked`].
    pub fn field(&self) -> Option<&str> {
        match self {
            Error::Blocked { rule, .. } => Some(rule),
            Error::InvalidInput { field, .. } | Error::InvalidPlan { field, .. } => Some(field),
            Error::Duplicate { field, .. } => Some(field),
            _ => None,
        }
    }

    pub(crate) fn invalid_input(field: impl Into<String>, reason: impl fmt::Display) -> Self {
        Error::InvalidInput {
            field: field.into(),
            reason: reason.to_string(),
        }
    }

    pub(crate) fn invalid_plan(field: impl Into<String>, reason: impl fmt::Display) -> Self {
        Error::InvalidPlan {
            field: field.into(),
            reason: reason.to_string(),
        }
    }

    pub(crate) fn blocked(rule: impl Into<String>, reason: impl fmt::Display) -> Self {
        Error::Blocked {
            rule: rule.into(),
            reason: reason.to_string(),
        }
    }

    pub(crate) fn not_found(entity: &'static str, id: impl fmt::Display) -> Self {
        Error::NotFound {
            entity,
            id: id.to_string(),
        }
    }

    pub(crate) fn storage(err: impl std::error::Error + Send + Sync + 'static) -> Self {
        Error::Storage(Box::new(err))
    }
}
