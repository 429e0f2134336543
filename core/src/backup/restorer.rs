//! Writing a dump's records into a store, a thousand per atomic batch.

use std::collections::BTreeMap;

use super::record::DumpRecord;
use super::summary::{bad_dump, DumpSummary};
use crate::domain::{BookCopy, CopyStatus};
use crate::engine::{Operation, Outcome, RestoreInput, RestoreStep};
use crate::error::{Error, Result};
use crate::storage::Storage;

/// Records restored per atomic batch.
const RESTORE_BATCH: usize = 1000;

/// Writes records into an empty store, a batch at a time.
pub(super) struct Restorer<'a, S: ?Sized> {
    storage: &'a S,
    pending: Vec<Operation>,
    pub(super) counts: DumpSummary,
    expected: Option<BTreeMap<String, u64>>,
    /// Copies rented, lost or on hold: written on the shelf with their books, given their status at the end.
    deferred: Vec<BookCopy>,
}

impl<'a, S: Storage + ?Sized> Restorer<'a, S> {
    pub(super) fn new(storage: &'a S) -> Result<Self> {
        let empty = storage.plan_versions()?.is_empty()
            && storage.books_after(None)?.next().is_none()
            && storage.customers_after(None)?.next().is_none()
            && storage.rentals_after(None)?.next().is_none();
        if !empty {
            return Err(Error::InvalidInput {
                field: "target".into(),
                reason: "the store to restore into is not empty: restore into a new store".into(),
            });
        }
        Ok(Restorer::beside_plans(storage))
    }

    /// A restorer that does not check the store is empty (the caller checked what it needs).
    pub(super) fn beside_plans(storage: &'a S) -> Self {
        Restorer {
            storage,
            pending: Vec::with_capacity(RESTORE_BATCH),
            counts: DumpSummary::default(),
            expected: None,
            deferred: Vec::new(),
        }
    }

    /// Queues one record (writing a batch when it is full); `true` once the end line came.
    pub(super) fn push(&mut self, record: DumpRecord) -> Result<bool> {
        if self.expected.is_some() {
            return Err(bad_dump(0, "a record follows the end line"));
        }
        let mut record = match record {
            DumpRecord::End { counts } => {
                self.expected = Some(counts);
                for copy in std::mem::take(&mut self.deferred) {
                    self.queue(RestoreStep::CopyStatus(copy))?;
                }
                self.write()?;
                return Ok(true);
            }
            record => record,
        };
        self.counts.add(&record);
        if let DumpRecord::Book { copies, .. } = &mut record {
            for copy in copies.iter_mut() {
                if !matches!(copy.status, CopyStatus::Available | CopyStatus::Withdrawn) {
                    self.deferred.push(copy.clone());
                    copy.status = CopyStatus::Available;
                }
            }
        }
        self.queue(RestoreStep::Record(Box::new(record)))?;
        Ok(false)
    }

    fn queue(&mut self, step: RestoreStep) -> Result<()> {
        self.pending.push(Operation::Restore(RestoreInput(step)));
        if self.pending.len() >= RESTORE_BATCH {
            self.write()?;
        }
        Ok(())
    }

    fn write(&mut self) -> Result<()> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let batch = std::mem::take(&mut self.pending);
        for result in self.storage.apply_batch(batch)? {
            match result? {
                Outcome::Restored => {}
                other => {
                    return Err(Error::Corruption(format!(
                        "a restored record answered {other:?}"
                    )))
                }
            }
        }
        Ok(())
    }

    pub(super) fn finish(mut self) -> Result<DumpSummary> {
        self.finish_ref()
    }

    /// Checks the end line's counts against what was restored, and makes it durable.
    pub(super) fn finish_ref(&mut self) -> Result<DumpSummary> {
        self.write()?;
        let Some(expected) = &self.expected else {
            return Err(bad_dump(
                0,
                "the dump ends without its end line: it is truncated",
            ));
        };
        if expected != self.counts.counts() {
            return Err(bad_dump(
                0,
                &format!(
                    "the end line counts {expected:?} but the dump holds {:?}: it is damaged",
                    self.counts.counts()
                ),
            ));
        }
        self.storage.flush()?;
        Ok(self.counts.clone())
    }
}
