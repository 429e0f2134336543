//! Replays an ack log onto the snapshot taken before the run and compares the result with the store after it.
//!
//! The rules are not restated here: each operation the store acknowledged (or, failed or in flight at the kill,
//! turned out applied) is applied to [`koko_model::Model`], the one model of the store's rules, whose prediction
//! must be what the store answered; the model's store then must be the store found ([`koko_model::diff`]). What is
//! the checker's own is the crash policy: what may be lost, failed or half done, and whether an operation shows —
//! in the store's records and in its event feed, written in the same atomic step (`events.rs`).

use koko_core::DEFAULT_PLAN_START;
use koko_model::Model;

use crate::acklog::{AckLog, Ending, Op, Outcome};
use crate::snapshot::{Snapshot, SnapshotExt};

mod apply;
mod events;
mod observe;

use apply::{apply, refused};
use events::{check_feed, Seen};
pub use observe::effect_visible;
use observe::{is_present, observe};

/// What a run may have lost or left behind.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Policy {
    /// Error kinds an operation the writer did not provoke may fail with (the crash test: none; the disk-full
    /// test: `"Storage"`).
    pub allowed_failures: Vec<&'static str>,
    /// Acknowledged operations may be missing from the store, but only a suffix of them, and only those
    /// acknowledged at or after this instant (Unix nanoseconds). `None`: nothing acknowledged may be missing.
    pub loss_allowed_from_ns: Option<u64>,
    /// A failed operation may turn out wholly applied (its outcome was unknown to the caller, e.g. a `Storage`
    /// error from the flush after a commit). It may never be half applied.
    pub failed_may_be_present: bool,
}

impl Policy {
    /// Flush-every-commit after a kill: nothing acknowledged lost, no failures.
    pub fn durable() -> Self {
        Policy {
            allowed_failures: Vec::new(),
            loss_allowed_from_ns: None,
            failed_may_be_present: false,
        }
    }
}

/// One acknowledged operation that is not in the store.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lost {
    /// Its sequence number in its run.
    pub seq: u64,
    /// When it was acknowledged (Unix nanoseconds).
    pub acked_ns: u64,
    /// The operation.
    pub op: Op,
}

/// What [`verify`] established.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Verified {
    /// Acknowledged operations found in the store with the acknowledged result.
    pub acked_present: u64,
    /// Acknowledged operations missing (allowed only by [`Policy::loss_allowed_from_ns`]).
    pub lost: Vec<Lost>,
    /// Failed operations checked (absent, or wholly present where the policy allows).
    pub failed: u64,
    /// Failed operations found wholly applied after all.
    pub failed_present: u64,
    /// Operations in flight at the kill that turned out committed.
    pub in_flight_committed: u64,
    /// Operations in flight at the kill that left no trace.
    pub in_flight_absent: u64,
    /// Acknowledged batches found whole (also counted in `acked_present`).
    pub batches: u64,
    /// The operations in those batches.
    pub batch_operations: u64,
    /// Batches in flight at the kill (whole or absent, also counted above).
    pub in_flight_batches: u64,
    /// Acknowledged payments found in the store with their acknowledged entry (alone or inside batches; the
    /// operations are also counted in `acked_present`).
    pub payments: u64,
    /// Acknowledged renewals found in the store: the rental holds the renewal's instant, and the due date the
    /// renewal acknowledged unless a later renewal moved it again (alone or inside batches; also counted in
    /// `acked_present`).
    pub renewals: u64,
    /// Acknowledged hold placements found in the store, each hold as placed (waiting, or ready on the first copy
    /// on the shelf) and as far on as the operations after it took it.
    pub holds_placed: u64,
    /// Acknowledged hold cancellations found, each releasing the copy set aside.
    pub holds_cancelled: u64,
    /// Holds that acknowledged expiries expired, each copy passed to the next waiting hold or the shelf.
    pub holds_expired: u64,
    /// Acknowledged losses found: the rental closed lost with its charge, the copy lost, the charge and the
    /// replacement fees in the ledger.
    pub copies_lost: u64,
    /// Acknowledged finds found: the copy back to the first waiting hold or the shelf.
    pub found: u64,
    /// Of which with the replacement fee credited back.
    pub found_credits: u64,
    /// Acknowledged returns with a damage fee found, the fee in the ledger.
    pub damaged: u64,
    /// Events of the operations found in the store (acknowledged, or failed or in flight and applied) found in the
    /// feed: a rent's `rental.opened`, a return's `rental.closed` and its ledger entries' `ledger.posted`, ….
    pub events: u64,
}

/// Checks `actual` (the store after the run) against `before` (the store before it) plus the log, the rules being
/// [`koko_model::Model`]'s: every acknowledged operation is present with its acknowledged result — the one the
/// model predicts for it (ids, instants, charge, renewed due date, holds placed, cancelled and expired, the ledger
/// entries a payment, a return, a loss or a find posted: id, amount, balance after) — unless the policy allows its
/// loss; an operation the writer provoked to fail failed with the expected kind, which the model refuses it with
/// too, and changed nothing; any other failure is of an allowed kind and left nothing half-done; an operation in
/// flight at the kill is either wholly present or absent; and nothing else changed: the store is record for record
/// the one the model reaches (every hold, copy, rental, account balance and ledger entry where the rules put them).
pub fn verify(
    before: &Snapshot,
    log: &AckLog,
    actual: &Snapshot,
    policy: &Policy,
) -> Result<Verified, Vec<String>> {
    let mut model = Model::from_snapshot(before.clone());
    // The store's instant for operations that name none (adding a book): no earlier than the last one named.
    let mut now = before.latest_instant().unwrap_or(DEFAULT_PLAN_START);
    let mut problems = Vec::new();
    let mut verified = Verified::default();
    let mut losing = false;
    let mut seen: Vec<Seen<'_>> = Vec::new();
    let mut observed: Vec<(String, &Op, Outcome)> = Vec::new();
    for logged in &log.ops {
        let name = format!("run {} op {} ({:?})", logged.run, logged.seq, logged.op);
        now = now.max(logged.op.at().unwrap_or(now));
        match &logged.ending {
            Ending::Acked { outcome, acked_ns } => {
                if let Some(kind) = &logged.expect {
                    problems.push(format!(
                        "{name}: was provoked to fail with {kind} but succeeded"
                    ));
                }
                if !losing && !is_present(&model.state, &logged.op, outcome, actual) {
                    losing = true;
                }
                if losing {
                    let allowed = policy
                        .loss_allowed_from_ns
                        .is_some_and(|from| *acked_ns >= from);
                    if !allowed {
                        problems.push(format!(
                            "{name}: acknowledged{} but missing from the store",
                            match policy.loss_allowed_from_ns {
                                Some(from) => format!(
                                    " {} before the loss window opened",
                                    crate::fmt_ms(from.saturating_sub(*acked_ns))
                                ),
                                None => String::new(),
                            }
                        ));
                    }
                    verified.lost.push(Lost {
                        seq: logged.seq,
                        acked_ns: *acked_ns,
                        op: logged.op.clone(),
                    });
                    seen.push(Seen {
                        name,
                        op: &logged.op,
                        outcome,
                        present: false,
                    });
                    continue;
                }
                match apply(&mut model, &logged.op, outcome, now) {
                    Ok(()) => {
                        seen.push(Seen {
                            name,
                            op: &logged.op,
                            outcome,
                            present: true,
                        });
                        verified.acked_present += 1;
                        verified.count(&logged.op, outcome);
                        if let Op::Batch { ops } = &logged.op {
                            verified.batches += 1;
                            verified.batch_operations += ops.len() as u64;
                        }
                    }
                    Err(e) => problems.push(format!("{name}: {e}")),
                }
            }
            Ending::Failed { kind, message, .. } => {
                verified.failed += 1;
                match &logged.expect {
                    Some(want) if want != kind => problems.push(format!(
                        "{name}: provoked to fail with {want}, failed with {kind}: {message}"
                    )),
                    Some(_) => {
                        if losing {
                            continue;
                        }
                        if let Err(e) = refused(&mut model, &logged.op, kind, now) {
                            problems.push(format!("{name}: {e}"));
                        }
                    }
                    None if !policy.allowed_failures.contains(&kind.as_str()) => {
                        problems.push(format!("{name}: unexpected {kind} error: {message}"))
                    }
                    None => {
                        if losing {
                            continue;
                        }
                        if let Some(outcome) = observe(&model, &logged.op, actual, now) {
                            if !policy.failed_may_be_present {
                                problems.push(format!(
                                    "{name}: failed with {kind} ({message}) yet is applied in the store: {outcome:?}"
                                ));
                            }
                            verified.failed_present += 1;
                            if let Err(e) = apply(&mut model, &logged.op, &outcome, now) {
                                problems.push(format!("{name}: failed, and is half applied: {e}"));
                            }
                            observed.push((name, &logged.op, outcome));
                        }
                    }
                }
            }
            Ending::InFlight => {
                if losing {
                    continue;
                }
                verified.in_flight_batches += u64::from(matches!(logged.op, Op::Batch { .. }));
                match observe(&model, &logged.op, actual, now) {
                    Some(outcome) => {
                        verified.in_flight_committed += 1;
                        if let Err(e) = apply(&mut model, &logged.op, &outcome, now) {
                            problems
                                .push(format!("{name}: in flight at the kill, half applied: {e}"));
                        }
                        observed.push((name, &logged.op, outcome));
                    }
                    None => verified.in_flight_absent += 1,
                }
            }
        }
    }
    seen.extend(observed.iter().map(|(name, op, outcome)| Seen {
        name: name.clone(),
        op,
        outcome,
        present: true,
    }));
    verified.events = check_feed(&seen, before.last_event_position, actual, &mut problems);
    for difference in model.state.diff(actual) {
        problems.push(format!(
            "store differs from the log's account: {difference}"
        ));
    }
    if problems.is_empty() {
        Ok(verified)
    } else {
        Err(problems)
    }
}

impl Verified {
    /// Counts the payments, renewals, holds, losses, finds and damage fees of an acknowledged operation found in
    /// the store (those of a batch's operations, for a batch).
    fn count(&mut self, op: &Op, outcome: &Outcome) {
        match (op, outcome) {
            (Op::Batch { ops }, Outcome::Batch { outcomes }) => {
                for (op, outcome) in ops.iter().zip(outcomes) {
                    self.count(op, outcome);
                }
            }
            (Op::Pay { .. }, _) => self.payments += 1,
            (Op::Renew { .. }, _) => self.renewals += 1,
            (Op::PlaceHold { .. }, _) => self.holds_placed += 1,
            (Op::CancelHold { .. }, _) => self.holds_cancelled += 1,
            (Op::ExpireHolds { .. }, Outcome::Holds { holds }) => {
                self.holds_expired += holds.len() as u64
            }
            (Op::DeclareLost { .. }, _) => self.copies_lost += 1,
            (Op::MarkFound { .. }, Outcome::Found { credit, .. }) => {
                self.found += 1;
                self.found_credits += u64::from(credit.is_some());
            }
            (
                Op::Return {
                    damage: Some(_), ..
                },
                _,
            ) => self.damaged += 1,
            _ => {}
        }
    }
}
