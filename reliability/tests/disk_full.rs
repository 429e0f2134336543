//! Disk full: a writer process fills a 4 MiB tmpfs holding a sled store until operations fail. Every failure must
//! be a `Storage` error (never a panic, an abort, a hang or another kind). Then, with space freed, the store must
//! reopen consistent: every acknowledged operation present with its result, no failed operation half applied, all
//! invariants of the crash test holding, and new ids above the stored ones.
//!
//! Needs root (or CAP_SYS_ADMIN) to mount the tmpfs; elsewhere the test prints that it was skipped. The writer runs
//! as a child process so that a panic or abort inside sled is observed and reported, not suffered.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use koko_core::Durability;
use koko_reliability::acklog::{read_log, Ending, Entry};
use koko_reliability::fmt_ms;
use koko_reliability::rng::fresh_seed;
use koko_reliability::snapshot::{self, check, Snapshot};
use koko_reliability::verify::{verify, Policy};

use common::{check_plans, one_more_round, open_store, spawn_writer, tail};

/// Size of the filesystem.
const TMPFS_SIZE: &str = "4m";
/// Space reserved up front and freed before reopening.
const FILLER_BYTES: usize = 1 << 20;
/// The flush interval of the interval-mode test.
const INTERVAL: Duration = Duration::from_millis(50);
/// In interval mode, lost operations must have been acknowledged at most this long before the first error.
const SANITY_BOUND: Duration = Duration::from_secs(1);
/// How long the writer may take to fill the disk.
const TIMEOUT: Duration = Duration::from_secs(300);

/// A tmpfs mounted for the test, unmounted when dropped (also when the test fails).
struct Mount {
    path: PathBuf,
}

impl Mount {
    fn tmpfs(path: &Path, size: &str) -> Result<Mount, String> {
        let output = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(path)
            .output()
            .map_err(|e| format!("cannot run mount: {e}"))?;
        if output.status.success() {
            Ok(Mount {
                path: path.to_owned(),
            })
        } else {
            Err(format!(
                "mount -t tmpfs failed ({}): {}",
                output.status,
                String::from_utf8_lossy(&output.stderr).trim()
            ))
        }
    }
}

impl Drop for Mount {
    fn drop(&mut self) {
        let unmounted = Command::new("umount")
            .arg(&self.path)
            .status()
            .is_ok_and(|s| s.success());
        if !unmounted {
            // Busy (a writer still running?): detach it lazily rather than leave it mounted.
            let _ = Command::new("umount").arg("-l").arg(&self.path).status();
        }
    }
}

/// The two tests take turns (each fills a disk as fast as it can).
static SERIAL: Mutex<()> = Mutex::new(());

#[test]
fn a_full_disk_fails_operations_with_storage_errors_and_the_store_reopens_consistent() {
    fill_and_check(Durability::FlushEveryCommit);
}

/// In interval mode the write that hits the full disk runs in the background: the operations acknowledged since
/// the last buffer that reached the file are lost with it. They must be a suffix, acknowledged within
/// `SANITY_BOUND` before the first error (sled gives no tighter bound: see the crate docs and `tests/crash.rs`).
#[test]
fn a_full_disk_in_interval_mode_loses_at_most_the_last_interval() {
    fill_and_check(Durability::Interval(INTERVAL));
}

fn fill_and_check(durability: Durability) {
    let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    let mode = match durability {
        Durability::FlushEveryCommit => "every".to_owned(),
        Durability::Interval(d) => format!("interval:{}", d.as_millis()),
    };
    let dir = tempfile::tempdir().unwrap();
    let mount_point = dir.path().join("mnt");
    std::fs::create_dir(&mount_point).unwrap();
    let mount = match Mount::tmpfs(&mount_point, TMPFS_SIZE) {
        Ok(mount) => mount,
        Err(e) => {
            println!(
                "disk_full: skipped: cannot mount a {TMPFS_SIZE} tmpfs here (needs root): {e}"
            );
            return;
        }
    };
    let filler = mount.path.join("filler");
    std::fs::write(&filler, vec![0xa5u8; FILLER_BYTES]).unwrap();
    let store_dir = mount.path.join("store");
    // The log and the writer's stderr live outside the full filesystem.
    let log_path = dir.path().join("acks.jsonl");
    let stderr_path = dir.path().join("writer.stderr");
    let seed = fresh_seed();
    println!("disk_full ({mode}): tmpfs {TMPFS_SIZE} with a {FILLER_BYTES}-byte filler, seed={seed:#018x}");
    let args: Vec<String> = [
        "--store",
        &store_dir.display().to_string(),
        "--log",
        &log_path.display().to_string(),
        "--seed",
        &format!("{seed:#x}"),
        "--durability",
        &mode,
        "--no-conflicts",
        "--stop-after-storage-errors",
        "5",
        "--max-ops",
        "1000000",
        "--author-padding",
        "400",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let started = Instant::now();
    let mut writer = spawn_writer(&args, &stderr_path);
    let status = loop {
        if let Some(status) = writer.0.try_wait().unwrap() {
            break status;
        }
        assert!(
            started.elapsed() < TIMEOUT,
            "disk_full ({mode}) seed={seed:#018x}: the writer hung for {TIMEOUT:?} on a full disk; \
             its stderr:\n{}\nlog tail:\n{}",
            tail(&stderr_path, 20),
            tail(&log_path, 3)
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    drop(writer);
    let filled_in = started.elapsed();
    let log = read_log(&log_path).unwrap();
    assert!(
        status.success(),
        "disk_full ({mode}) seed={seed:#018x}: the writer died ({status}) instead of returning errors — a panic or abort \
         inside the store on a full disk; its stderr:\n{}\nlast log lines:\n{}",
        tail(&stderr_path, 30),
        tail(&log_path, 3)
    );
    let mut failures = Vec::new();
    let (mut visible, mut probed) = (Vec::new(), 0);
    let mut first_error_ns = None;
    let probe_errors = probe_errors(&log_path);
    for logged in &log.ops {
        if let Ending::Failed { .. } = &logged.ending {
            first_error_ns = first_error_ns.or(logged.ended_ns);
        }
        if let Ending::Failed {
            kind,
            message,
            visible: seen,
        } = &logged.ending
        {
            failures.push(format!("op {} {kind}: {message}", logged.seq));
            assert_eq!(
                kind, "Storage",
                "disk_full ({mode}) seed={seed:#018x}: op {} ({:?}) failed with {kind}, not Storage: {message}",
                logged.seq, logged.op
            );
            if let Some(seen) = seen {
                probed += 1;
                if *seen {
                    visible.push(format!("op {} {:?}", logged.seq, logged.op));
                }
            }
        }
    }
    assert!(
        !failures.is_empty(),
        "disk_full ({mode}) seed={seed:#018x}: {} operations and the disk never filled",
        log.ops.len()
    );
    println!(
        "disk_full ({mode}): {} operations acknowledged, then {} failed in {filled_in:.1?}: all Storage; first: {}",
        log.acked(),
        failures.len(),
        failures[0]
    );
    println!(
        "disk_full ({mode}): failed operations visible in the writer right after their error: {} of {probed} \
         probed{}",
        visible.len(),
        probe_errors
            .first()
            .map(|e| format!("; {} read-backs failed: {e}", probe_errors.len()))
            .unwrap_or_default()
    );
    // sled applies a transaction in memory before the flush that fails; the store must then refuse every call, so
    // no read in this process can show an operation that returned an error.
    assert!(
        visible.is_empty(),
        "disk_full ({mode}) seed={seed:#018x}: operations that returned Storage are visible in-process: {visible:?}"
    );

    std::fs::remove_file(&filler).unwrap();
    let reopened = std::panic::catch_unwind(|| open_store(&store_dir, durability));
    let store = match reopened {
        Ok(Ok(store)) => store,
        Ok(Err(e)) => {
            panic!("disk_full ({mode}) seed={seed:#018x}: after freeing space the store does not reopen: {e}")
        }
        Err(_) => {
            panic!("disk_full ({mode}) seed={seed:#018x}: reopening the store after a full disk panicked")
        }
    };
    let actual = snapshot::read(&store).unwrap();
    check_plans(&actual).unwrap();
    let stats = check(&actual).unwrap_or_else(|p| {
        panic!(
            "disk_full ({mode}) seed={seed:#018x}: invariants broken:\n  {}",
            p.iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("\n  ")
        )
    });
    let before = Snapshot {
        plans: actual.plans.clone(),
        ..Snapshot::default()
    };
    let policy = Policy {
        allowed_failures: vec!["Storage"],
        loss_allowed_from_ns: match durability {
            Durability::FlushEveryCommit => None,
            Durability::Interval(_) => {
                first_error_ns.map(|ns| ns.saturating_sub(SANITY_BOUND.as_nanos() as u64))
            }
        },
        ..Policy::durable()
    };
    let verified = verify(&before, &log, &actual, &policy).unwrap_or_else(|p| {
        panic!(
            "disk_full ({mode}) seed={seed:#018x}: the reopened store does not match the log ({} problems):\n  {}",
            p.len(),
            p[..p.len().min(20)].join("\n  ")
        )
    });
    one_more_round(&store, &actual, &format!("{seed:016x}-after")).unwrap();
    let lost = match (verified.lost.first(), verified.lost.last(), first_error_ns) {
        (Some(first), Some(last), Some(error)) => format!(
            "{} acknowledged operation(s) lost, acknowledged {} to {} before the first error",
            verified.lost.len(),
            fmt_ms(error.saturating_sub(last.acked_ns)),
            fmt_ms(error.saturating_sub(first.acked_ns))
        ),
        _ => "no acknowledged operation lost".to_owned(),
    };
    println!(
        "disk_full ({mode}): reopened after freeing {FILLER_BYTES} bytes: {} acknowledged operations verified ({} \
         payments, {} renewals, {} holds placed, {} expired, {} copies lost and {} found acknowledged), {lost}; {} \
         failed ones absent ({} present), {} rentals checked, {} ledger entries checked; writer: {}",
        verified.acked_present,
        verified.payments,
        verified.renewals,
        verified.holds_placed,
        verified.holds_expired,
        verified.copies_lost,
        verified.found,
        verified.failed - verified.failed_present,
        verified.failed_present,
        stats.rentals,
        stats.entries,
        tail(&stderr_path, 1)
    );
}

/// The `probe_error` of every `err` line: why the writer could not read the store back after a failure.
fn probe_errors(log: &Path) -> Vec<String> {
    std::fs::read_to_string(log)
        .unwrap_or_default()
        .lines()
        .filter_map(|line| serde_json::from_str::<Entry>(line).ok())
        .filter_map(|entry| match entry {
            Entry::Err { probe_error, .. } => probe_error,
            _ => None,
        })
        .collect()
}
