//! Storage: rent+return cycles on memory and sled (flush every commit / interval), with 1, 8 and 32 threads, and
//! on PostgreSQL when `KOKO_BENCH_POSTGRES` names a server; renting by book from a single-copy book and from a
//! 2,000-copy book with 1,999 copies out (the availability index).

use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use koko_benches::{cycle, seed};
use koko_core::{
    BookStore, Durability, MemoryStorage, NewBook, Operation, PricePlan, RentTarget, SledOptions,
    SledStorage, Storage,
};

const THREADS: [usize; 3] = [1, 8, 32];

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
    rent_by_book(c, &sled);
}

/// Renting by book where the one free copy is the last of 2,000, against a single-copy book, on interval sled
/// (so the fsync does not hide the lookup).
fn rent_by_book(c: &mut Criterion, sled: &dyn Fn(Durability) -> SledStorage) {
    let store = match BookStore::with_default_plan(
        sled(Durability::Interval(Duration::from_millis(500))),
        PricePlan::story3(),
    ) {
        Ok(store) => store,
        Err(err) => panic!("cannot open the store: {err}"),
    };
    let setup = || -> koko_core::Result<_> {
        let (books, customers) = seed(&store, 1, 1)?;
        let big = store.add_book(&NewBook::new("Many copies", "A", "regular"), 2_000)?;
        let copies = store.copies(big.id)?;
        let rents = copies[..1_999]
            .iter()
            .map(|copy| Operation::Rent {
                target: RentTarget::Copy(copy.id),
                customer: customers[0],
                at: koko_benches::at(0),
            })
            .collect();
        for result in store.apply_batch(rents)? {
            result?;
        }
        Ok((books[0], big.id, customers[0]))
    };
    let (single, big, customer) = match setup() {
        Ok(ids) => ids,
        Err(err) => panic!("seeding failed: {err}"),
    };
    let mut group = c.benchmark_group("rent_by_book/sled_interval_500ms");
    group.throughput(Throughput::Elements(1));
    for (name, book) in [("1_copy", single), ("2000_copies_1999_rented", big)] {
        group.bench_function(name, |b| {
            b.iter(|| {
                if let Err(err) = cycle(&store, customer, book) {
                    panic!("cycle failed: {err}");
                }
            })
        });
    }
    group.finish();
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
