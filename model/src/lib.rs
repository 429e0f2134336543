//! An independent model of koko's rules: what each [`Operation`] must answer and leave behind, restated over a
//! [`Snapshot`](koko_core::check::Snapshot) (a whole store as plain maps) without any of the engine's code.
//!
//! The model tests (`core/tests/model.rs`), the fuzzer (`fuzz/fuzz_targets/store_ops.rs`) and the crash checker
//! (`reliability/src/verify`) each generate operations their own way and hold the store against this one model:
//! a rule changes here once. [`Model::apply`] predicts an operation's [`Outcome`] (ids included: every kind of id
//! is handed out in order, the largest so far plus one, and a refused operation takes none) or the error it is
//! refused with, and applies it; [`diff`] compares the snapshot the model expects with the one a store holds.
//!
//! Each rule checks everything before it changes anything, in the order the store checks (the first failing check
//! names the error), so a refused operation leaves the model unchanged. Not modelled (the harnesses do not
//! generate them, and [`Model::apply`] refuses them as [`Rejected::not_modelled`]): notices, manual blocks,
//! idempotency keys and restores.
#![forbid(unsafe_code)]

use chrono::{DateTime, Utc};
use koko_core::{Operation, Outcome};

mod catalogue;
mod diff;
mod holds;
mod ledger;
mod lending;
mod limits;
mod lost;
mod rejected;
mod state;
mod text;

pub use diff::diff;
pub use rejected::Rejected;
pub use state::Model;

/// What the model predicts of one operation.
pub type Predicted = Result<Outcome, Rejected>;

impl Model {
    /// Predicts `op`, applied alone at the store's instant `now` (the instant of operations that name none), and
    /// applies it. A refused operation changes nothing.
    pub fn apply(&mut self, op: &Operation, now: DateTime<Utc>) -> Predicted {
        self.published.clear();
        self.step(op, now)
    }

    /// Predicts a batch applied at `now`: each operation sees the effects of the accepted ones before it, and a
    /// refused one changes nothing.
    pub fn apply_batch(&mut self, ops: &[Operation], now: DateTime<Utc>) -> Vec<Predicted> {
        self.published.clear();
        let out = ops.iter().map(|op| self.step(op, now)).collect();
        self.published.clear();
        out
    }

    fn step(&mut self, op: &Operation, now: DateTime<Utc>) -> Predicted {
        let outcome = match op {
            Operation::AddBook { book, copies } => catalogue::add_book(self, book, *copies, now)?,
            Operation::UpdateBook { id, update } => catalogue::update_book(self, *id, update, now)?,
            Operation::AddCopies { book, count, at } => {
                catalogue::add_copies(self, *book, *count, at.unwrap_or(now))?
            }
            Operation::SetWithdrawn {
                copy,
                withdrawn,
                at,
            } => catalogue::set_withdrawn(self, *copy, *withdrawn, at.unwrap_or(now))?,
            Operation::PublishPlan {
                plan,
                effective_from,
            } => {
                let outcome = catalogue::publish_plan(self, plan, *effective_from)?;
                if let Outcome::PlanVersion(version) = &outcome {
                    self.published.push(version.id);
                }
                outcome
            }
            Operation::RegisterCustomer(new) => catalogue::register_customer(self, new)?,
            Operation::UpdateCustomer { id, update } => {
                catalogue::update_customer(self, *id, update)?
            }
            Operation::Rent {
                target,
                customer,
                at,
            } => lending::rent(self, *target, *customer, *at)?,
            Operation::Return { rental, at, damage } => {
                lending::close(self, *rental, *at, damage.as_ref())?
            }
            Operation::ReturnCopy { copy, at } => lending::return_copy(self, *copy, *at)?,
            Operation::Renew { rental, at } => lending::renew(self, *rental, *at)?,
            Operation::PlaceHold { customer, book, at } => {
                holds::place_hold(self, *customer, *book, *at)?
            }
            Operation::CancelHold { hold, at } => holds::cancel_hold(self, *hold, *at)?,
            Operation::ExpireHolds { at } => holds::expire_holds(self, *at)?,
            Operation::DeclareLost { rental, at } => lost::declare_lost(self, *rental, *at)?,
            Operation::MarkFound { copy, at } => lost::mark_found(self, *copy, *at)?,
            Operation::Pay {
                customer,
                amount,
                currency,
                at,
                note,
            } => ledger::pay(self, *customer, *amount, *currency, *at, note.as_deref())?,
            Operation::Waive {
                customer,
                amount,
                at,
                reason,
            } => ledger::waive_or_refund(self, *customer, *amount, *at, reason, true)?,
            Operation::Refund {
                customer,
                amount,
                at,
                reason,
            } => ledger::waive_or_refund(self, *customer, *amount, *at, reason, false)?,
            Operation::PostFee {
                customer,
                amount,
                at,
                rental,
                reason,
            } => ledger::post_fee(self, *customer, *amount, *at, *rental, reason)?,
            _ => return Err(Rejected::not_modelled()),
        };
        Ok(outcome)
    }
}
