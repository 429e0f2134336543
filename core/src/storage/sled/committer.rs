//! The committer: one caller at a time writes a sled store, for everyone queued.
//!
//! Callers queue their operations and wait. Whenever no commit is running, one waiting caller becomes the
//! committer: it takes every request queued at that moment (up to [`MAX_BATCH_OPERATIONS`]; no timer, so under
//! light load a batch is one request), applies their operations in order against sled's state plus the batch's
//! earlier effects, writes every accepted effect in **one** sled transaction, syncs once (as the durability mode
//! says), then hands every caller its answer. Requests that arrive meanwhile form the next batch. sled 0.34 runs
//! every transaction under one process-wide lock and rolls its log twice per transaction, so one transaction per
//! operation cannot scale with clients; one per batch does.
//!
//! The committer is a caller's own thread, never a thread of the store's: sled releases its directory lock only
//! when the last handle on the database is gone, and a thread that wrote and then exited can leave handles behind
//! in sled's deferred garbage, which would keep the directory locked after the store is dropped.
//!
//! A failed write or sync fails every request of the batch and stops the store (see [`SledStorage`]).
//!
//! [`SledStorage`]: super::SledStorage

use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Condvar, Mutex};
use std::time::Instant;

use sled::transaction::{ConflictableTransactionError, TransactionError};
use sled::Transactional;

use super::tx::{BatchLayer, SledTx};
use super::{lock, Durability, Shared};
use crate::error::{Error, Result};
use crate::storage::ops;
use crate::storage::{BatchResults, Operation};

/// The most operations a committer gathers from several requests into one commit (a single request larger than
/// this is still committed whole).
pub(super) const MAX_BATCH_OPERATIONS: usize = 4096;

/// The queue of requests and the answers not yet collected.
pub(super) struct Committer {
    state: Mutex<Queue>,
    answered: Condvar,
}

struct Queue {
    next_ticket: u64,
    /// Requests waiting for a committer, in arrival order.
    pending: Vec<(u64, Vec<Operation>)>,
    /// A caller is committing a batch.
    committing: bool,
    /// Answers by ticket, until their callers take them.
    answers: HashMap<u64, Result<BatchResults>>,
    /// When the last sync started (interval mode: a batch an interval or more after it syncs).
    last_sync: Instant,
}

impl Committer {
    pub(super) fn new() -> Self {
        Committer {
            state: Mutex::new(Queue {
                next_ticket: 0,
                pending: Vec::new(),
                committing: false,
                answers: HashMap::new(),
                last_sync: Instant::now(),
            }),
            answered: Condvar::new(),
        }
    }

    /// Queues `operations` and returns their results once they are committed (by this caller or another).
    pub(super) fn submit(&self, shared: &Shared, operations: Vec<Operation>) -> Result<BatchResults> {
        let mut queue = lock(&self.state);
        let ticket = queue.next_ticket;
        queue.next_ticket += 1;
        queue.pending.push((ticket, operations));
        loop {
            if let Some(answer) = queue.answers.remove(&ticket) {
                return answer;
            }
            if queue.committing {
                queue = self
                    .answered
                    .wait(queue)
                    .unwrap_or_else(|poisoned| poisoned.into_inner());
                continue;
            }
            // Nobody is committing: this caller commits everything queued now.
            let mut taken = 0;
            let mut cut = 0;
            for (_, ops) in &queue.pending {
                if cut > 0 && taken + ops.len() > MAX_BATCH_OPERATIONS {
                    break;
                }
                taken += ops.len();
                cut += 1;
            }
            let batch: Vec<(u64, Vec<Operation>)> = queue.pending.drain(..cut).collect();
            queue.committing = true;
            let mut last_sync = queue.last_sync;
            drop(queue);
            let mut duty = Duty {
                committer: self,
                tickets: batch.iter().map(|(ticket, _)| *ticket).collect(),
                done: false,
            };
            let outcome = commit(shared, &batch, &mut last_sync);
            queue = lock(&self.state);
            match outcome {
                Ok(results) => {
                    for ((ticket, _), results) in batch.iter().zip(results) {
                        queue.answers.insert(*ticket, Ok(results));
                    }
                }
                Err(reason) => {
                    for (ticket, _) in &batch {
                        queue
                            .answers
                            .insert(*ticket, Err(Error::Storage(reason.clone().into())));
                    }
                }
            }
            queue.committing = false;
            queue.last_sync = last_sync;
            duty.done = true;
            self.answered.notify_all();
        }
    }
}

/// A committing caller's duty: if it unwinds mid-commit (a bug), its batch is answered with an error and another
/// caller may commit, so nobody waits forever.
struct Duty<'a> {
    committer: &'a Committer,
    tickets: Vec<u64>,
    done: bool,
}

impl Drop for Duty<'_> {
    fn drop(&mut self) {
        if self.done {
            return;
        }
        let mut queue = lock(&self.committer.state);
        for ticket in &self.tickets {
            queue.answers.insert(
                *ticket,
                Err(Error::Storage(
                    "the commit of this batch was interrupted; reopen the store".into(),
                )),
            );
        }
        queue.committing = false;
        self.committer.answered.notify_all();
    }
}

/// Applies, writes and syncs one batch; the results per request, or why the whole batch failed.
fn commit(
    shared: &Shared,
    batch: &[(u64, Vec<Operation>)],
    last_sync: &mut Instant,
) -> std::result::Result<Vec<BatchResults>, String> {
    shared.usable().map_err(|e| e.to_string())?;
    let committed_plans = shared.plans();
    let mut layer = BatchLayer::default();
    let mut results = Vec::with_capacity(batch.len());
    let mut accepted = 0u64;
    for (_, operations) in batch {
        let mut answers = Vec::with_capacity(operations.len());
        for op in operations {
            let mut tx = SledTx::new(&shared.trees, &committed_plans, &layer);
            match ops::apply(&mut tx, op) {
                Ok(outcome) => {
                    let (writes, plans) = tx.into_effects();
                    layer.writes.extend(writes);
                    layer.plans.extend(plans);
                    accepted += 1;
                    answers.push(Ok(outcome));
                }
                Err(err) => answers.push(Err(err)),
            }
        }
        results.push(answers);
    }
    if layer.writes.is_empty() {
        return Ok(results);
    }
    if let Err(err) = write(shared, &layer) {
        let reason = format!("writing a batch failed: {err}");
        shared.stop(&reason);
        return Err(reason);
    }
    if !layer.plans.is_empty() {
        let mut plans = (*committed_plans).clone();
        plans.extend(layer.plans.iter().cloned());
        *lock(&shared.plans) = Arc::new(plans);
    }
    let due = match shared.durability {
        Durability::FlushEveryCommit => true,
        Durability::Interval(every) => last_sync.elapsed() >= every,
    };
    if due {
        let started = Instant::now();
        if let Err(err) = shared.sync() {
            let reason = format!("syncing a batch failed: {err}");
            shared.stop(&reason);
            return Err(reason);
        }
        *last_sync = started;
        shared.stats.syncs.fetch_add(1, Ordering::Relaxed);
    }
    shared.stats.batches.fetch_add(1, Ordering::Relaxed);
    shared
        .stats
        .operations
        .fetch_add(accepted, Ordering::Relaxed);
    Ok(results)
}

/// Writes a batch's effects in one transaction over every tree: write-only, so it never conflicts or retries
/// (the committer is the only writer).
fn write(shared: &Shared, layer: &BatchLayer) -> Result<()> {
    let trees: Vec<&sled::Tree> = shared.trees.0.iter().collect();
    let outcome = trees.as_slice().transaction(|views| {
        for ((tree, key), value) in &layer.writes {
            let view = views
                .get(*tree)
                .ok_or(ConflictableTransactionError::Abort(()))?;
            match value {
                Some(value) => view.insert(key.as_slice(), value.as_slice())?,
                None => view.remove(key.as_slice())?,
            };
        }
        Ok(())
    });
    match outcome {
        Ok(()) => Ok(()),
        Err(TransactionError::Abort(())) => Err(Error::Corruption(
            "a batch named a tree the store does not have".into(),
        )),
        Err(TransactionError::Storage(err)) => Err(Error::storage(err)),
    }
}
