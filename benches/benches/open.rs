//! Opening a sled store that holds many open rentals (1M by default), until the first query is answered.
//!
//! The store is built once, which takes minutes: it is kept in `target/bench-data/sled-<n>` and reused by later
//! runs. `KOKO_BENCH_OPEN_RENTALS` chooses another size (e.g. 10000 for a quick look).

use std::path::PathBuf;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion};
use koko_benches::fill_with_open_rentals;
use koko_core::{BookStore, Durability, PricePlan, RentalId, SledOptions, SledStorage, Storage};

fn rentals() -> u64 {
    std::env::var("KOKO_BENCH_OPEN_RENTALS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(1_000_000)
}

fn open(dir: &PathBuf, durability: Durability) -> BookStore<SledStorage> {
    let options = SledOptions {
        durability,
        cache_capacity: Some(64 << 20),
    };
    match SledStorage::open_with(dir, options)
        .and_then(|storage| BookStore::with_default_plan(storage, PricePlan::story3()))
    {
        Ok(store) => store,
        Err(err) => panic!("cannot open {}: {err}", dir.display()),
    }
}

/// The cached store's directory, built first if it is not complete.
fn store_dir(n: u64) -> PathBuf {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/bench-data");
    let dir = root.join(format!("sled-{n}"));
    let done = root.join(format!("sled-{n}.complete"));
    if !done.exists() {
        let _ = std::fs::remove_dir_all(&dir);
        eprintln!(
            "building {} with {n} open rentals (once; minutes for 1M)",
            dir.display()
        );
        let store = open(&dir, Durability::Interval(Duration::from_millis(500)));
        let start = Instant::now();
        let built = fill_with_open_rentals(&store, n, |made| {
            if made % 100_000 == 0 {
                eprintln!("  {made} rentals ({:.0?})", start.elapsed());
            }
        })
        .and_then(|()| store.flush());
        if let Err(err) = built {
            panic!("building the store failed: {err}");
        }
        drop(store);
        if let Err(err) = std::fs::write(&done, n.to_string()) {
            panic!("cannot mark {} complete: {err}", dir.display());
        }
    }
    dir
}

fn open_store(c: &mut Criterion) {
    let n = rentals();
    let dir = store_dir(n);
    let mut group = c.benchmark_group("open_sled");
    group.sample_size(10);
    group.bench_function(format!("{n}_open_rentals"), |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let start = Instant::now();
                let store = open(&dir, Durability::FlushEveryCommit);
                if let Err(err) = store.storage().rental(RentalId::new(1)) {
                    panic!("first query failed: {err}");
                }
                total += start.elapsed();
            }
            total
        })
    });
    group.finish();
}

criterion_group!(benches, open_store);
criterion_main!(benches);
