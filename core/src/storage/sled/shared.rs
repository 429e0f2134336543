//! What the callers and the committer of a sled store share: its options ([`Durability`], [`SledOptions`]), the
//! database and its trees, the committed plan versions, whether the store stopped, and the commit counters.

use std::path::Path;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use super::layout::{Trees, PLANS};
use crate::error::{Error, Result};
use crate::pricing::PlanVersion;

/// When a committed operation reaches the disk.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Durability {
    /// Every operation returns only after its commit is on disk: sled's flush, then `fdatasync` of its log file
    /// (the default). Operations submitted at the same time share one commit and one sync.
    FlushEveryCommit,
    /// Commits reach the disk at least about this often: sled's flusher thread syncs at this interval, and the
    /// first commit an interval or more after the last sync syncs before it returns. Faster; a crash may lose the
    /// operations acknowledged in roughly the last interval plus one sync — always the latest ones, never half of
    /// one. (If the store then goes quiet, only sled's flusher thread is left to sync it.)
    Interval(Duration),
}

/// Options for [`SledStorage::open_with`](crate::SledStorage::open_with).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SledOptions {
    /// When commits reach the disk.
    pub durability: Durability,
    /// sled's page cache size in bytes (sled's default when `None`).
    pub cache_capacity: Option<u64>,
}

impl Default for SledOptions {
    fn default() -> Self {
        SledOptions {
            durability: Durability::FlushEveryCommit,
            cache_capacity: None,
        }
    }
}

/// What the callers and the committer share.
pub(super) struct Shared {
    pub(super) db: sled::Db,
    pub(super) trees: Trees,
    /// sled's log file, synced with `fdatasync` after each flush: sled makes its log buffers stable with
    /// `sync_file_range`, which neither flushes the drive's write cache nor records a grown file's size.
    pub(super) log_file: std::fs::File,
    pub(super) durability: Durability,
    /// Every plan version committed, in id order (the committer replaces it after a batch that published one).
    pub(super) plans: Mutex<Arc<Vec<Arc<PlanVersion>>>>,
    /// Why the store stopped serving: a write or sync failed, so this process's view may hold a batch that is not
    /// on disk. Every call fails until the store is reopened.
    pub(super) broken: Mutex<Option<String>>,
    pub(super) stats: Stats,
}

/// The committer's counters behind [`CommitStats`].
#[derive(Default)]
pub(super) struct Stats {
    pub(super) batches: AtomicU64,
    pub(super) operations: AtomicU64,
    pub(super) syncs: AtomicU64,
    pub(super) apply_nanos: AtomicU64,
    pub(super) write_nanos: AtomicU64,
    pub(super) sync_nanos: AtomicU64,
}

/// How the committer has shared its work since the store was opened: `operations / syncs` is a machine-independent
/// measure of group commit (more operations per sync under more concurrent callers).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CommitStats {
    /// Batches written (one sled transaction each).
    pub batches: u64,
    /// Operations accepted and written in them.
    pub operations: u64,
    /// Syncs to disk (one per batch when durable on every commit).
    pub syncs: u64,
    /// Time spent applying operations to batches (checks, reads, pricing), in nanoseconds.
    pub apply_nanos: u64,
    /// Time spent writing batches as sled transactions, in nanoseconds.
    pub write_nanos: u64,
    /// Time spent in syncs (sled's flush and `fdatasync`), in nanoseconds.
    pub sync_nanos: u64,
}

impl Shared {
    /// `Ok` unless a failed write or sync stopped the store (see [`SledStorage`](super::SledStorage)).
    pub(super) fn usable(&self) -> Result<()> {
        match &*lock(&self.broken) {
            None => Ok(()),
            Some(reason) => Err(Error::Storage(
                format!(
                    "the store stopped after a failed write ({reason}); reopen it — the batch that failed is \
                     either wholly on disk or wholly absent"
                )
                .into(),
            )),
        }
    }

    pub(super) fn stop(&self, reason: &str) {
        let mut broken = lock(&self.broken);
        if broken.is_none() {
            *broken = Some(reason.to_owned());
        }
    }

    pub(super) fn plans(&self) -> Arc<Vec<Arc<PlanVersion>>> {
        Arc::clone(&lock(&self.plans))
    }

    /// Writes sled's buffers out and makes them durable: sled's own flush (ranged syncs of its log buffers),
    /// then `fdatasync` of the log file for the drive cache and the file's size.
    pub(super) fn sync(&self) -> std::result::Result<(), Box<dyn std::error::Error + Send + Sync>> {
        self.db.flush()?;
        self.log_file.sync_data()?;
        Ok(())
    }
}

/// Every plan version stored, in id order.
pub(super) fn read_plans(trees: &Trees) -> Result<Vec<Arc<PlanVersion>>> {
    trees
        .get(PLANS)
        .iter()
        .map(|item| {
            let (_, raw) = item.map_err(Error::storage)?;
            serde_json::from_slice(&raw)
                .map(Arc::new)
                .map_err(|e| Error::Corruption(format!("cannot decode a stored price plan: {e}")))
        })
        .collect()
}

/// Locks a mutex whose data stays valid whatever a panicking holder did (plain values, replaced whole).
pub(super) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The error of opening the sled database in `path`: when another process holds its lock, one line that says so,
/// which process (its id and name, read from `/proc/locks` where the system has it), and what to do instead.
pub(super) fn open_error(path: &Path, error: sled::Error) -> Error {
    // sled reports a held lock as an I/O error whose text says so (its kind is not kept).
    let held = matches!(&error, sled::Error::Io(io)
        if io.kind() == std::io::ErrorKind::WouldBlock
            || io.to_string().contains("could not acquire lock"));
    if !held {
        return Error::storage(error);
    }
    let holder = lock_holder(&path.join("db"))
        .map(|(pid, name)| format!(" (process {pid}, {name})"))
        .unwrap_or_default();
    Error::Storage(
        format!(
            "the store at {} is open in another process{holder}: a sled store serves one process at a time; \
             stop it, or work through it (the REST API serves the store it holds)",
            path.display()
        )
        .into(),
    )
}

/// The process holding a lock on `file`, and its name, from `/proc/locks` (Linux); `None` elsewhere or when not
/// found.
fn lock_holder(file: &Path) -> Option<(u32, String)> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let inode = std::fs::metadata(file).ok()?.ino();
        let locks = std::fs::read_to_string("/proc/locks").ok()?;
        // Each line: `N: POSIX ADVISORY WRITE pid major:minor:inode start end`.
        let pid = locks.lines().find_map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let device = fields.get(5)?;
            let found = device.rsplit(':').next()?.parse::<u64>().ok()? == inode;
            found.then(|| fields.get(4)?.parse::<u32>().ok()).flatten()
        })?;
        let name = std::fs::read_to_string(format!("/proc/{pid}/comm"))
            .map(|n| n.trim().to_owned())
            .unwrap_or_else(|_| "unknown".into());
        Some((pid, name))
    }
    #[cfg(not(unix))]
    {
        let _ = file;
        None
    }
}
