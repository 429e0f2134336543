//! Storage: rent+return cycles on memory and sled (flush every commit / interval), with 1 and 8 threads, and on
//! PostgreSQL when `KOKO_BENCH_POSTGRES` names a server.

use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use koko_benches::{cycle, seed};
use koko_core::{
    BookStore, Durability, MemoryStorage, PricePlan, SledOptions, SledStorage, Storage,
};

const THREADS: [usize; 2] = [1, 8];

/// Times `iters` rent+return cycles split over `threads` threads, each on its own book.
fn cycles<S: Storage + 'static>(store: &Arc<BookStore<S>>, threads: usize, iters: u64) -> Duration {
    let (books, customers) = match seed(store, threads, threads) {
        Ok(ids) => ids,
        Err(err) => panic!("seeding failed: {err}"),
    };
    let per_thread = iters.div_ceil(threads as u64);
    let start = Instant::now();
    std::thread::scope(|scope| {
        for t in 0..threads {
            let (store, book, customer) = (store.clone(), books[t], customers[t]);
            scope.spawn(move || {
                for _ in 0..per_thread {
                    if let Err(err) = cycle(&store, customer, book) {
                        panic!("cycle failed: {err}");
                    }
                }
            });
        }
    });
    start.elapsed()
}

fn bench_backend<S: Storage + 'static>(c: &mut Criterion, name: &str, make: impl Fn() -> S) {
    let mut group = c.benchmark_group(format!("rent_return/{name}"));
    group.throughput(Throughput::Elements(1));
    group.sample_size(10);
    for threads in THREADS {
        group.bench_function(format!("{threads}_threads"), |b| {
            b.iter_custom(|iters| {
                let store = match BookStore::with_default_plan(make(), PricePlan::story3()) {
                    Ok(store) => Arc::new(store),
                    Err(err) => panic!("cannot open the store: {err}"),
                };
                cycles(&store, threads, iters)
            })
        });
    }
    group.finish();
}

fn storage(c: &mut Criterion) {
    bench_backend(c, "memory", MemoryStorage::new);
    let dir = match tempfile::tempdir() {
        Ok(dir) => dir,
        Err(err) => panic!("no temp dir: {err}"),
    };
    let counter = std::sync::atomic::AtomicUsize::new(0);
    let sled = |durability: Durability| {
        let path = dir.path().join(format!(
            "db{}",
            counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst)
        ));
        match SledStorage::open_with(
            path,
            SledOptions {
                durability,
                ..Default::default()
            },
        ) {
            Ok(storage) => storage,
            Err(err) => panic!("cannot open sled: {err}"),
        }
    };
    bench_backend(c, "sled_flush_every_commit", || {
        sled(Durability::FlushEveryCommit)
    });
    bench_backend(c, "sled_interval_500ms", || {
        sled(Durability::Interval(Duration::from_millis(500)))
    });
    postgres(c);
}

#[cfg(feature = "postgres")]
fn postgres(c: &mut Criterion) {
    match std::env::var("KOKO_BENCH_POSTGRES") {
        Ok(url) => bench_backend(c, "postgres", || match koko_core::PostgresStorage::connect(&url) {
            Ok(storage) => storage,
            Err(err) => panic!("cannot connect to {url}: {err}"),
        }),
        Err(_) => eprintln!("rent_return/postgres skipped: set KOKO_BENCH_POSTGRES to a PostgreSQL connection string"),
    }
}

#[cfg(not(feature = "postgres"))]
fn postgres(_: &mut Criterion) {
    eprintln!(
        "rent_return/postgres skipped: build with --features postgres and set KOKO_BENCH_POSTGRES"
    );
}

criterion_group!(benches, storage);
criterion_main!(benches);
