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

use chrono::{DateTime, Utc};
use std::sync::atomic::Ordering;
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use sled::transaction::{ConflictableTransactionError, TransactionError};
use sled::Transactional;

use super::layer::{BatchLayer, SledTx};
use super::shared::{lock, Durability, Shared};
use crate::engine::{self, Batch, Operation};
use crate::error::{Error, Result};
use crate::pricing::PlanVersion;
use crate::storage::BatchResults;

/// The most operations a committer gathers from several requests into one commit (a single request larger than
/// this is still committed whole).
pub(super) const MAX_BATCH_OPERATIONS: usize = 4096;

/// The queue of requests waiting for a committer.
pub(super) struct Committer {
    state: Mutex<Queue>,
}

struct Queue {
    next_ticket: u64,
    /// Requests waiting for a committer, in arrival order.
    pending: Vec<Pending>,
    /// A caller is committing (or has been told to): new requests queue behind it.
    committing: bool,
    /// When the last sync started (interval mode: a batch an interval or more after it syncs).
    last_sync: Instant,
}

/// A queued request and the channel its caller waits on.
struct Pending {
    ticket: u64,
    operations: Vec<Operation>,
    /// The store's clock when the request was submitted.
    now: DateTime<Utc>,
    reply: SyncSender<Message>,
}

/// What a waiting caller hears: its answer, or that it is the next committer. Each caller is woken once per
/// message meant for it, never by the others' answers.
enum Message {
    Answer(Result<BatchResults>),
    Commit,
}

impl Committer {
    pub(super) fn new() -> Self {
        Committer {
            state: Mutex::new(Queue {
                next_ticket: 0,
                pending: Vec::new(),
                committing: false,
                last_sync: Instant::now(),
            }),
        }
    }

    /// Queues `operations` and returns their results once they are committed (by this caller or another).
    pub(super) fn submit(
        &self,
        shared: &Shared,
        operations: Vec<Operation>,
        now: DateTime<Utc>,
    ) -> Result<BatchResults> {
        let (reply, inbox) = sync_channel(1);
        let ticket = {
            let mut queue = lock(&self.state);
            let ticket = queue.next_ticket;
            queue.next_ticket += 1;
            queue.pending.push(Pending {
                ticket,
                operations,
                now,
                reply,
            });
            if queue.committing {
                Some(ticket)
            } else {
                queue.committing = true;
                None
            }
        };
        match ticket {
            None => self.commit_queued(shared, None),
            Some(ticket) => self.wait(shared, ticket, &inbox),
        }
        .unwrap_or_else(|| Err(interrupted()))
    }

    fn wait(
        &self,
        shared: &Shared,
        ticket: u64,
        inbox: &Receiver<Message>,
    ) -> Option<Result<BatchResults>> {
        match inbox.recv() {
            Ok(Message::Answer(answer)) => Some(answer),
            Ok(Message::Commit) => self.commit_queued(shared, Some(ticket)),
            Err(_) => None,
        }
    }

    /// Commits the requests queued now (the caller's own among them: the first one when `mine` is `None`), sends
    /// the others their answers, hands the commit over to the next waiting caller if any, and returns this
    /// caller's answer. `None` only if the caller's request was not in the queue (a broken hand-over).
    fn commit_queued(&self, shared: &Shared, mine: Option<u64>) -> Option<Result<BatchResults>> {
        let (batch, mut last_sync) = {
            let mut queue = lock(&self.state);
            let mut taken = 0;
            let mut cut = 0;
            for pending in &queue.pending {
                if cut > 0 && taken + pending.operations.len() > MAX_BATCH_OPERATIONS {
                    break;
                }
                taken += pending.operations.len();
                cut += 1;
            }
            let batch: Vec<Pending> = queue.pending.drain(..cut).collect();
            (batch, queue.last_sync)
        };
        let mine = mine.or_else(|| batch.first().map(|p| p.ticket));
        let mut duty = Duty {
            committer: self,
            batch: Some(batch),
        };
        let requests: Vec<(&[Operation], DateTime<Utc>)> = duty
            .batch
            .iter()
            .flatten()
            .map(|p| (p.operations.as_slice(), p.now))
            .collect();
        let outcome = commit(shared, &requests, &mut last_sync);
        let batch = duty.batch.take().unwrap_or_default();
        let mut own = None;
        let answers: Vec<Result<BatchResults>> = match outcome {
            Ok(results) => results.into_iter().map(Ok).collect(),
            Err(reason) => batch
                .iter()
                .map(|_| Err(Error::Storage(reason.clone().into())))
                .collect(),
        };
        for (pending, answer) in batch.into_iter().zip(answers) {
            if Some(pending.ticket) == mine {
                own = Some(answer);
            } else {
                // A caller that stopped waiting (its thread unwound) needs no answer.
                let _ = pending.reply.send(Message::Answer(answer));
            }
        }
        self.hand_over(Some(last_sync));
        own
    }

    /// Ends a commit: tells the first waiting caller to commit next, or marks that nobody is committing.
    fn hand_over(&self, last_sync: Option<Instant>) {
        let mut queue = lock(&self.state);
        if let Some(at) = last_sync {
            queue.last_sync = at;
        }
        while let Some(next) = queue.pending.first() {
            if next.reply.send(Message::Commit).is_ok() {
                return; // `committing` stays true: the next caller holds it now
            }
            // Its caller is gone; drop the request (it was never applied) and try the next one.
            queue.pending.remove(0);
        }
        queue.committing = false;
    }
}

fn interrupted() -> Error {
    Error::Storage("the commit of this request was interrupted; reopen the store".into())
}

/// A committing caller's duty: if it unwinds mid-commit (a bug), its batch is answered with an error and the
/// commit is handed over, so nobody waits forever.
struct Duty<'a> {
    committer: &'a Committer,
    batch: Option<Vec<Pending>>,
}

impl Drop for Duty<'_> {
    fn drop(&mut self) {
        let Some(batch) = self.batch.take() else {
            return;
        };
        for pending in batch {
            let _ = pending.reply.send(Message::Answer(Err(interrupted())));
        }
        self.committer.hand_over(None);
    }
}

/// Applies, writes and syncs one batch; the results per request, or why the whole batch failed.
fn commit(
    shared: &Shared,
    batch: &[(&[Operation], DateTime<Utc>)],
    last_sync: &mut Instant,
) -> std::result::Result<Vec<BatchResults>, String> {
    shared.usable().map_err(|e| e.to_string())?;
    let committed_plans = shared.plans();
    let applying = Instant::now();
    let (layer, results, accepted) = apply(shared, &committed_plans, batch);
    let stats = &shared.stats;
    let nanos = |since: Instant| u64::try_from(since.elapsed().as_nanos()).unwrap_or(u64::MAX);
    stats
        .apply_nanos
        .fetch_add(nanos(applying), Ordering::Relaxed);
    if layer.writes.is_empty() {
        return Ok(results);
    }
    let writing = Instant::now();
    if let Err(err) = write(shared, &layer) {
        let reason = format!("writing a batch failed: {err}");
        shared.stop(&reason);
        return Err(reason);
    }
    stats
        .write_nanos
        .fetch_add(nanos(writing), Ordering::Relaxed);
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
        stats
            .sync_nanos
            .fetch_add(nanos(started), Ordering::Relaxed);
        stats.syncs.fetch_add(1, Ordering::Relaxed);
    }
    stats.batches.fetch_add(1, Ordering::Relaxed);
    stats.operations.fetch_add(accepted, Ordering::Relaxed);
    Ok(results)
}

/// Runs the engine over each request of a batch, against the committed trees and the effects of the operations
/// before it: the effects of the accepted operations, the answers per request, and how many were accepted.
fn apply(
    shared: &Shared,
    committed_plans: &[Arc<PlanVersion>],
    batch: &[(&[Operation], DateTime<Utc>)],
) -> (BatchLayer, Vec<BatchResults>, u64) {
    let mut layer = BatchLayer::default();
    let mut results = Vec::with_capacity(batch.len());
    let mut accepted = 0u64;
    for (operations, now) in batch {
        let mut answers = Vec::with_capacity(operations.len());
        let mut request = Batch::new(*now);
        for op in operations.iter() {
            let mut tx = SledTx::new(&shared.trees, committed_plans, &layer);
            match engine::apply(&mut tx, op, &mut request) {
                Ok(outcome) => {
                    let (writes, plans) = tx.into_effects();
                    layer.writes.merge(writes);
                    layer.plans.extend(plans);
                    accepted += 1;
                    answers.push(Ok(outcome));
                }
                Err(err) => answers.push(Err(err)),
            }
        }
        results.push(answers);
    }
    (layer, results, accepted)
}

/// A dry run of one request: the answers [`commit`] would give it now, its effects discarded (nothing is written
/// and the committer is not involved, so it waits for no commit and no commit waits for it).
pub(super) fn dry_run(
    shared: &Shared,
    operations: &[Operation],
    now: DateTime<Utc>,
) -> Result<BatchResults> {
    shared.usable()?;
    let committed_plans = shared.plans();
    let (_discarded, mut results, _) = apply(shared, &committed_plans, &[(operations, now)]);
    Ok(results.pop().unwrap_or_default())
}

/// Writes a batch's effects in one transaction over every tree: write-only, so it never conflicts or retries
/// (the committer is the only writer).
fn write(shared: &Shared, layer: &BatchLayer) -> Result<()> {
    // Only the trees the batch writes take part: sled's transaction costs grow with every tree it spans.
    let touched: Vec<usize> = layer.writes.trees().collect();
    let trees: Vec<&sled::Tree> = touched.iter().map(|t| shared.trees.get(*t)).collect();
    let outcome = trees.as_slice().transaction(|views| {
        for (view, tree) in views.iter().zip(&touched) {
            for (key, value) in layer.writes.entries(*tree) {
                match value {
                    Some(value) => view.insert(key, value.as_slice())?,
                    None => view.remove(key)?,
                };
            }
        }
        Ok::<(), ConflictableTransactionError<()>>(())
    });
    match outcome {
        Ok(()) => Ok(()),
        Err(TransactionError::Abort(())) => Err(Error::Corruption(
            "a batch named a tree the store does not have".into(),
        )),
        Err(TransactionError::Storage(err)) => Err(Error::storage(err)),
    }
}
