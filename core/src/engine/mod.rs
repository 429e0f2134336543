//! The engine: the state machine every write goes through, and every rule of the store.
//!
//! One operation language ([`Operation`] in, [`Outcome`] out), one transactional view ([`TxView`]) that every
//! backend implements over its own transaction, and one dispatcher ([`dispatch::apply`]) that runs each operation's
//! rule against that view. The rules live in files named for their subject:
//!
//! | file | the rules of |
//! |---|---|
//! | `catalogue.rs` | books, copies, withdrawing and reinstating (titles and ISBNs unique, categories priced) |
//! | `customers.rs` | registering and changing customers |
//! | `plans.rs` | publishing plan versions, the version in force, the store's one currency |
//! | `lending.rs` | renting, returning (the charge), renewing |
//! | `lost.rs` | declaring a copy lost, finding it again |
//! | `holds.rs` | the hold queue of each book and where a freed copy goes |
//! | `limits.rs` | manual blocks and the plan's limits |
//! | `ledger.rs` | postings: charges, fees, payments, waivers, refunds |
//! | `idempotency.rs` | writes applied at most once per key |
//! | `notices.rs` | notices marked sent |
//! | `events.rs` | the events each rule appends to the feed; consumers' checkpoints; pruning the feed |
//! | `restore.rs` | writing a dump's records back |
//!
//! Every rule reads and checks everything before its first write, so a backend whose writes cannot fail half-way
//! (memory) needs no rollback and the others discard a rejected operation's writes cleanly (sled: the
//! operation's overlay layer; PostgreSQL: a savepoint). The engine takes time only from the operations and from
//! the store's clock (the [`Batch`]'s instant); pricing enters only through the plan's public functions.

mod batch;
mod catalogue;
mod customers;
mod dispatch;
mod events;
mod holds;
mod idempotency;
mod ledger;
mod lending;
mod limits;
mod lost;
mod notices;
mod operation;
mod plans;
mod restore;
mod view;

pub(crate) use batch::Batch;
pub(crate) use dispatch::apply;
pub(crate) use operation::{single, RestoreStep};
pub use operation::{Damage, Operation, Outcome, RentRequest, RentTarget, RestoreInput};
pub(crate) use plans::in_force;
pub(crate) use view::{IdKind, KeyRecord, StoredAccount, TxView};
