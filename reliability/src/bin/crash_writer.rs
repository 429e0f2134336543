//! `crash_writer`: runs a seeded random mix of operations against a sled store until it is killed (or a limit is
//! reached), appending each operation and its acknowledged result to an append-only log.
//!
//! ```text
//! crash_writer --store DIR --log FILE [--seed N|0xHEX] [--durability every|interval:MS]
//!              [--max-ops N] [--stop-after-storage-errors N] [--no-conflicts] [--author-padding N]
//! ```
//!
//! Exit status: 0 when a limit was reached; 2 for bad arguments; 3 when the store cannot be opened; 4 when the
//! log cannot be written.
#![forbid(unsafe_code)]

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use koko_core::{BookStore, Durability, SledOptions, SledStorage};
use koko_reliability::acklog::{AckWriter, Entry};
use koko_reliability::rng::fresh_seed;
use koko_reliability::workload::{self, Step, Workload, WorkloadOptions};

struct Args {
    store: PathBuf,
    log: PathBuf,
    seed: u64,
    durability: Durability,
    durability_text: String,
    max_ops: Option<u64>,
    stop_after_storage_errors: Option<u64>,
    conflicts: bool,
    author_padding: usize,
}

fn parse_u64(flag: &str, value: &str) -> Result<u64, String> {
    let parsed = match value.strip_prefix("0x") {
        Some(hex) => u64::from_str_radix(hex, 16),
        None => value.parse(),
    };
    parsed.map_err(|e| format!("{flag} {value:?}: {e}"))
}

fn parse_args() -> Result<Args, String> {
    let mut args = std::env::args().skip(1);
    let mut store = None;
    let mut log = None;
    let mut parsed = Args {
        store: PathBuf::new(),
        log: PathBuf::new(),
        seed: fresh_seed(),
        durability: Durability::FlushEveryCommit,
        durability_text: "every".to_owned(),
        max_ops: None,
        stop_after_storage_errors: None,
        conflicts: true,
        author_padding: 0,
    };
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--store" => store = Some(PathBuf::from(value()?)),
            "--log" => log = Some(PathBuf::from(value()?)),
            "--seed" => parsed.seed = parse_u64("--seed", &value()?)?,
            "--durability" => {
                let text = value()?;
                parsed.durability = match text.as_str() {
                    "every" => Durability::FlushEveryCommit,
                    other => match other.strip_prefix("interval:") {
                        Some(ms) => Durability::Interval(Duration::from_millis(parse_u64(
                            "--durability",
                            ms,
                        )?)),
                        None => {
                            return Err(format!("--durability {other:?}: every or interval:MS"))
                        }
                    },
                };
                parsed.durability_text = text;
            }
            "--max-ops" => parsed.max_ops = Some(parse_u64("--max-ops", &value()?)?),
            "--stop-after-storage-errors" => {
                parsed.stop_after_storage_errors =
                    Some(parse_u64("--stop-after-storage-errors", &value()?)?)
            }
            "--no-conflicts" => parsed.conflicts = false,
            "--author-padding" => {
                parsed.author_padding = parse_u64("--author-padding", &value()?)? as usize
            }
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    parsed.store = store.ok_or("--store DIR is required")?;
    parsed.log = log.ok_or("--log FILE is required")?;
    Ok(parsed)
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(args) => args,
        Err(e) => {
            eprintln!("crash_writer: {e}");
            return ExitCode::from(2);
        }
    };
    let mut log = match AckWriter::open(&args.log) {
        Ok(log) => log,
        Err(e) => {
            eprintln!(
                "crash_writer: cannot open the ack log {}: {e}",
                args.log.display()
            );
            return ExitCode::from(4);
        }
    };
    let start = Entry::Start {
        pid: std::process::id(),
        seed: args.seed,
        durability: args.durability_text.clone(),
    };
    if let Err(e) = log.append(&start) {
        eprintln!("crash_writer: cannot write the ack log: {e}");
        return ExitCode::from(4);
    }
    let options = SledOptions {
        durability: args.durability,
        cache_capacity: None,
    };
    let opened = SledStorage::open_with(&args.store, options)
        .and_then(|storage| BookStore::with_default_plan(storage, workload::plan()))
        .and_then(|store| {
            Workload::new(
                store,
                WorkloadOptions {
                    seed: args.seed,
                    conflicts: args.conflicts,
                    author_padding: args.author_padding,
                },
            )
        });
    let mut workload = match opened {
        Ok(workload) => workload,
        Err(e) => {
            eprintln!(
                "crash_writer: cannot open the store {}: {} ({e})",
                args.store.display(),
                e.kind()
            );
            return ExitCode::from(3);
        }
    };
    let (mut ops, mut acked, mut failed, mut storage_errors) = (0u64, 0u64, 0u64, 0u64);
    loop {
        if args.max_ops.is_some_and(|max| ops >= max) {
            break;
        }
        if args
            .stop_after_storage_errors
            .is_some_and(|max| storage_errors >= max)
        {
            break;
        }
        match workload.step(&mut log) {
            Ok(Step::Acked) => acked += 1,
            Ok(Step::Failed { kind, .. }) => {
                failed += 1;
                if kind == "Storage" {
                    storage_errors += 1;
                }
            }
            Err(e) => {
                eprintln!("crash_writer: cannot write the ack log: {e}");
                return ExitCode::from(4);
            }
        }
        ops += 1;
    }
    eprintln!(
        "crash_writer: stopped after {ops} operations: {acked} acknowledged, {failed} failed \
         ({storage_errors} storage errors)"
    );
    ExitCode::SUCCESS
}
