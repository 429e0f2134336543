//! # Koko reliability harness
//!
//! Proves that a sled-backed Koko store survives a killed process and a full disk without losing an
//! acknowledged operation, double-renting a copy, charging twice, leaving a copy on the shelf while a hold waits
//! for it or losing a lost copy's fees:
//!
//! - the `crash_writer` binary runs a seeded random mix of store operations and batches of them ([`workload`]):
//!   rents, returns (some damaged), payments, renewals, holds placed, cancelled and expired, copies declared lost
//!   and found; and records every acknowledged one in an append-only log ([`acklog`]);
//! - `tests/crash.rs` kills it with `SIGKILL` at random moments, reopens the store and checks it against the log
//!   ([`verify`]) and against the store's invariants ([`koko_core::check`], re-exported as [`snapshot::check`]);
//! - `tests/disk_full.rs` runs it on a 4 MiB tmpfs until the disk is full, then checks the same.
//!
//! ## What sled 0.34.7 guarantees, read from its source
//!
//! Koko's `SledStorage` writes through one committer at a time: the operations queued when a commit starts (one
//! caller's batch, or many callers' single operations) are applied in order and written as **one** multi-tree
//! sled transaction; then, in `Durability::FlushEveryCommit`, the committer calls `Db::flush` and `fdatasync`s
//! sled's log file before anyone is answered; in `Durability::Interval(d)` it opens sled with
//! `flush_every_ms = d`, and the first commit `d` or more after the last sync does the same flush + `fdatasync`
//! before answering. The writer sends batches too (`Op::Batch`), so kills land inside them; the checker requires
//! every batch wholly present or wholly absent.
//!
//! - **A transaction** (`transaction.rs`: `Transactional::transaction` → `TransactionalTrees::commit`) first calls
//!   `pin_log` (`pagecache/mod.rs`), which `roll_iobuf`s — seals the in-memory log buffer being filled, which holds
//!   the *previous* transactions' updates — then reserves a batch manifest and seals the buffer holding it
//!   (`maybe_seal_and_write_iobuf`). The transaction's own updates then go into the next buffer, which stays open
//!   in memory, and `seal_batch` completes the manifest: "this batch counts only if the log is intact up to LSN n",
//!   n being the end of those updates.
//! - **A sealed buffer** is written by `IoBufs::write_to_log` (`pagecache/iobuf.rs`) on sled's thread pool, not by
//!   the committing thread: one `pwrite` of the buffer, then `sync_file_range(WAIT_BEFORE | WRITE | WAIT_AFTER)`
//!   over the same range (Linux, no `io_uring` feature — it is off here). So each transaction causes two
//!   `pwrite` + `sync_file_range` pairs whatever `flush_every_ms` says — but asynchronously, and
//!   not of its own updates: those are written when the *next* transaction's `pin_log` rolls the buffer, when the
//!   flusher thread's `roll_iobuf` runs (every `flush_every_ms`, `flusher.rs`), or on `Db::flush`.
//! - **`Db::flush`** (`Tree::flush` → `iobuf::flush` → `make_stable`) seals the open buffer and blocks until every
//!   buffer up to the last reserved LSN has been written and `sync_file_range`d. Its doc says it "calls fsync"; it
//!   does not. `sync_file_range` neither flushes the drive's write cache nor records a grown file's size, so since
//!   commit 7b58475 Koko also `fdatasync`s sled's log file after the flush. Only the interval flusher (`sync_all`
//!   after each roll) and segment truncation fsync in sled itself.
//! - **Recovery** replays the log up to the first missing or torn message and stops before a batch whose manifest
//!   names an LSN past that point: a transaction comes back whole or not at all, and what comes back is a prefix
//!   of the commit order.
//!
//! `strace -f -e pwrite64,sync_file_range,fdatasync,write` on `crash_writer` shows it: with `--durability every`,
//! before each operation's `ok` line, a 24-byte `pwrite` (the manifest) and a `pwrite` of its updates, each followed
//! by `sync_file_range`, then Koko's `fdatasync`; with `--durability interval:MS`, the `pwrite` of an operation's
//! updates comes *after* its `ok` line, while the next operation commits.
//!
//! ### What each mode can lose
//!
//! - **`FlushEveryCommit`**: when an operation returns `Ok` its updates are in the kernel, so a killed process
//!   (`SIGKILL`, a panic with `abort`, the OOM killer) loses nothing acknowledged; with the `fdatasync` they are also
//!   on stable storage as far as the drive honours cache flushes (power loss is not tested here: it needs a VM or
//!   `dm-log-writes`). At most the one operation in flight at the kill is undecided: wholly present or absent.
//! - **`Interval(d)`**: an operation returns before its updates reach the kernel. A killed process loses the
//!   acknowledged operations whose buffers were not yet written — always the *last* ones (a suffix), never a hole
//!   and never half an operation. sled alone does **not** bound how many by `d`: its flusher only seals the open
//!   buffer and queues its write every `d`, the writes run on sled's thread pool with no deadline and no
//!   backpressure, and recovery stops at the first buffer not yet written. Measured before Koko added its own
//!   bound (release build, 2 cores shared with a fuzzer, `d` = 50 ms, 100 kills): 52 kills lost operations, 7 of
//!   them operations acknowledged more than one interval earlier — the worst 3,730 operations going back 245 ms.
//!   Koko's bound: the first commit `d` or more after the last sync syncs before it returns, so while operations
//!   keep coming a kill loses at most those acknowledged in the last `d` plus the sync in progress (40 kills after
//!   the change: the oldest lost operation was acknowledged 22 ms before the kill). If the store goes quiet,
//!   sled's flusher thread alone syncs it. A power loss can lose, in addition, what the kernel had not yet written
//!   back since the last `fsync`/`fdatasync`.
//!
//! ### What a full disk does
//!
//! On a full tmpfs every failing operation returns `Error::Storage` ("No space left on device"), in both modes; no
//! panic, abort or hang; after space is freed the store reopens with every acknowledged operation and none of the
//! failed ones. sled applies a transaction to its in-memory trees before the flush that fails, so a failed
//! operation could stay visible in the running process; since this harness found that, `SledStorage` stops after a
//! failed sync: every later call returns `Storage` until the store is reopened.
//!
//! The crash test asserts after every kill: in flush-every-commit mode nothing acknowledged is missing; in interval
//! mode the missing ones are a suffix acknowledged within one interval plus a sync allowance (100 ms) of the kill.
//! The disk-full test asserts the same of the operations acknowledged before the first `Storage` error.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod acklog;
pub mod rng;
pub mod snapshot;
pub mod verify;
pub mod workload;

/// Formats nanoseconds as milliseconds with three decimals (`"12.345 ms"`), without floating point.
pub fn fmt_ms(nanos: u64) -> String {
    let micros = nanos / 1_000;
    format!("{}.{:03} ms", micros / 1_000, micros % 1_000)
}
