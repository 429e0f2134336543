//! A fixed workload for profiling the storage write path: `n` rent+return cycles on one book.
//!
//! `profile_store <memory|sled|sled-interval> <n>`; run it under `valgrind --tool=callgrind` or `perf record`.

use koko_benches::{cycle, seed};
use koko_core::{
    BookStore, Durability, MemoryStorage, PricePlan, SledOptions, SledStorage, Storage,
};

fn run<S: Storage>(storage: S, n: u32) -> koko_core::Result<()> {
    let store = BookStore::with_default_plan(storage, PricePlan::story3())?;
    let (books, customers) = seed(&store, 1, 1)?;
    for _ in 0..n {
        cycle(&store, customers[0], books[0])?;
    }
    Ok(())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let backend = args.next().unwrap_or_else(|| "sled-interval".to_owned());
    let n: u32 = args.next().and_then(|n| n.parse().ok()).unwrap_or(10_000);
    let dir = tempfile::tempdir()?;
    let sled = |durability| {
        SledStorage::open_with(
            dir.path().join("store"),
            SledOptions {
                durability,
                ..SledOptions::default()
            },
        )
    };
    match backend.as_str() {
        "memory" => run(MemoryStorage::new(), n)?,
        "sled" => run(sled(Durability::FlushEveryCommit)?, n)?,
        "sled-interval" => run(
            sled(Durability::Interval(std::time::Duration::from_millis(500)))?,
            n,
        )?,
        other => {
            return Err(format!("unknown backend {other:?}: memory, sled or sled-interval").into())
        }
    }
    println!("{backend}: {n} rent+return cycles");
    Ok(())
}
