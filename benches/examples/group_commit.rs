//! Durable sled under concurrent clients: rent+return cycles from 1, 8 and 32 client threads, side by side in one
//! run. Each client waits for every answer (as a request handler does) and works on its own single-copy book.
//!
//! ```text
//! group_commit [seconds per configuration (default 5)]
//! ```
//!
//! Prints cycles/s per configuration, the ratio to 1 client, and the mean operations per sync from
//! `SledStorage::commit_stats` — how many callers' operations each `fdatasync` carried, a figure that does not
//! depend on the machine's speed.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use koko_benches::{cycle, seed};
use koko_core::{BookStore, Durability, PricePlan, SledOptions, SledStorage};

const CLIENTS: [usize; 3] = [1, 8, 32];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let seconds: u64 = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(5);
    let dir = tempfile::tempdir()?;
    let storage = SledStorage::open_with(
        dir.path().join("store"),
        SledOptions {
            durability: Durability::FlushEveryCommit,
            ..SledOptions::default()
        },
    )?;
    let store = BookStore::with_default_plan(storage, PricePlan::story3())?;
    let (books, customers) = seed(&store, 32, 32)?;
    println!(
        "durable sled (flush + fdatasync per commit), rent+return cycles, {seconds} s per configuration:"
    );
    println!(
        "  {:>7} {:>12} {:>9} {:>14} {:>10} {:>30}",
        "clients", "cycles/s", "vs 1", "ops per sync", "syncs", "per batch: apply/write/sync µs"
    );
    let mut base = None;
    for clients in CLIENTS {
        let stop = AtomicBool::new(false);
        let done = AtomicU64::new(0);
        let before = store.storage().commit_stats();
        let started = Instant::now();
        std::thread::scope(|scope| {
            for c in 0..clients {
                let (store, stop, done) = (&store, &stop, &done);
                let (book, customer) = (books[c], customers[c]);
                scope.spawn(move || {
                    while !stop.load(Ordering::Relaxed) {
                        if let Err(err) = cycle(store, customer, book) {
                            panic!("cycle failed: {err}");
                        }
                        done.fetch_add(1, Ordering::Relaxed);
                    }
                });
            }
            std::thread::sleep(Duration::from_secs(seconds));
            stop.store(true, Ordering::Relaxed);
        });
        let elapsed = started.elapsed().as_secs_f64();
        let after = store.storage().commit_stats();
        let rate = done.load(Ordering::Relaxed) as f64 / elapsed;
        let base_rate = *base.get_or_insert(rate);
        let syncs = after.syncs - before.syncs;
        let operations = after.operations - before.operations;
        let batches = (after.batches - before.batches).max(1) as f64;
        let micros = |a: u64, b: u64| (a - b) as f64 / batches / 1e3;
        println!(
            "  {clients:>7} {rate:>12.0} {:>8.2}x {:>14.2} {syncs:>10} {:>30}",
            rate / base_rate,
            operations as f64 / syncs.max(1) as f64,
            format!(
                "{:.0} / {:.0} / {:.0}",
                micros(after.apply_nanos, before.apply_nanos),
                micros(after.write_nanos, before.write_nanos),
                micros(after.sync_nanos, before.sync_nanos)
            )
        );
    }
    Ok(())
}
