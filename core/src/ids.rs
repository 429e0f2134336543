//! Opaque, stable ids. Every record kind has its own id type so they cannot be mixed up.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::Error;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident, $entity:literal) => {
        $(#[$doc])*
        ///
        /// Ids are assigned by the store, start at 1, are never reused, and print as plain integers.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(u64);

        impl $name {
            /// Wraps a raw id (for ids that came back from a binding, a URL or a CSV file).
            pub const fn new(raw: u64) -> Self {
                Self(raw)
            }

            /// The raw integer.
            pub const fn get(self) -> u64 {
                self.0
            }

            /// What the id names, as used in [`Error::NotFound`].
            pub const ENTITY: &'static str = $entity;
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl From<$name> for u64 {
            fn from(id: $name) -> u64 {
                id.0
            }
        }

        impl FromStr for $name {
            type Err = Error;

            fn from_str(s: &str) -> Result<Self, Error> {
                s.trim().parse::<u64>().map(Self).map_err(|e| {
                    Error::invalid_input(concat!($entity, " id"), format!("{s:?} is not an id ({e})"))
                })
            }
        }
    };
}

id_type!(
    /// Identifies a [`Book`](crate::Book), a title in the catalogue.
    BookId,
    "book"
);
id_type!(
    /// Identifies a [`Copy`](crate::Copy), one physical item of a book.
    CopyId,
    "copy"
);
id_type!(
    /// Identifies a [`Customer`](crate::Customer).
    CustomerId,
    "customer"
);
id_type!(
    /// Identifies a [`Rental`](crate::Rental).
    RentalId,
    "rental"
);
id_type!(
    /// Identifies one version of the store's price plan ([`PlanVersion`](crate::PlanVersion)).
    PlanVersionId,
    "price plan"
);
id_type!(
    /// Identifies one [`LedgerEntry`](crate::LedgerEntry) of a customer's account.
    LedgerEntryId,
    "ledger entry"
);
id_type!(
    /// Identifies a [`Hold`](crate::Hold): a customer's place in a book's queue.
    HoldId,
    "hold"
);
