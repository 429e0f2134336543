//! Pausing a process's writes while a consistent read runs ([`Storage::with_writes_paused`]).
//!
//! [`Storage::with_writes_paused`]: super::Storage::with_writes_paused

use std::sync::{RwLock, RwLockReadGuard};

use crate::error::Result;

/// Writes take a shared turn; a pause takes the gate alone, so it starts once the writes in flight committed and
/// the writes that arrive meanwhile wait for it to end.
#[derive(Debug, Default)]
pub(crate) struct WriteGate(RwLock<()>);

impl WriteGate {
    /// A write's turn: held while it applies and commits.
    pub(crate) fn turn(&self) -> RwLockReadGuard<'_, ()> {
        // The gate guards no data: a panic elsewhere leaves nothing to repair.
        self.0
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Runs `read` with every write of this process waiting.
    pub(crate) fn paused(&self, read: &mut dyn FnMut() -> Result<()>) -> Result<()> {
        let _alone = self
            .0
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        read()
    }
}
