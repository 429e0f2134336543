//! Why the model refuses an operation: the store's error kind and the field it names.

use koko_core::Error;

/// Why the model says an operation is refused: the store's error kind ([`Error::kind`]) and the field it names
/// ([`Error::field`]), if any.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rejected {
    /// The error kind: `"NotFound"`, `"InvalidInput"`, `"Blocked"`, …
    pub kind: &'static str,
    /// The field named, if the error names one.
    pub field: Option<String>,
}

impl Rejected {
    /// A refusal of this kind naming no field.
    pub const fn kind(kind: &'static str) -> Self {
        Rejected { kind, field: None }
    }

    /// A refusal of this kind naming `field`.
    pub fn naming(kind: &'static str, field: &str) -> Self {
        Rejected {
            kind,
            field: Some(field.to_owned()),
        }
    }

    /// `InvalidInput` naming `field`.
    pub fn invalid(field: &str) -> Self {
        Rejected::naming("InvalidInput", field)
    }

    /// `Blocked` naming the limit or reason (`"limits.max_holds"`, `"holds.waiting"`, …).
    pub fn blocked(field: &str) -> Self {
        Rejected::naming("Blocked", field)
    }

    /// `Duplicate` naming `field`.
    pub fn duplicate(field: &str) -> Self {
        Rejected::naming("Duplicate", field)
    }

    /// `NotFound`.
    pub const fn not_found() -> Self {
        Rejected::kind("NotFound")
    }

    /// An operation the model does not restate (see the crate's documentation).
    pub const fn not_modelled() -> Self {
        Rejected::kind("NotModelled")
    }

    /// Whether the store's `error` is this refusal: the same kind and, where the model names a field, that field.
    pub fn matches(&self, error: &Error) -> bool {
        error.kind() == self.kind
            && (self.field.is_none() || self.field.as_deref() == error.field())
    }
}

impl From<&Error> for Rejected {
    /// The refusal a store's error (or the pricing rules', which the model uses as they are) stands for.
    fn from(error: &Error) -> Self {
        Rejected {
            kind: error.kind(),
            field: error.field().map(str::to_owned),
        }
    }
}
