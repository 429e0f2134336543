//! Reports over open rentals: the CSV export and "charges so far" (what every open rental would cost if returned
//! now), at 10k, 100k and 1M open rentals in memory.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use koko_benches::at;
use koko_core::{BookStore, MemoryStorage, NewBook, NewCustomer, PricePlan, Storage};

/// A store with `n` open rentals spread over regular, fiction and novel books (10,000 copies a book).
fn store_with_open_rentals(n: usize) -> BookStore<MemoryStorage> {
    let store = match BookStore::in_memory(PricePlan::story3()) {
        Ok(store) => store,
        Err(err) => panic!("{err}"),
    };
    let setup = || -> koko_core::Result<()> {
        let customer = store
            .register_customer(&NewCustomer::new("Bench", "Reader"))?
            .id;
        let categories = ["regular", "fiction", "novel"];
        let mut left = n;
        let mut book = 0;
        while left > 0 {
            let copies = left.min(10_000);
            let (_, made) = store.storage().insert_book(
                &NewBook::new(format!("Report book {book}"), "A", categories[book % 3]),
                copies as u32,
            )?;
            for copy in made {
                store.rent_copy_at(customer, copy.id, at(-24 * (left as i64 % 30)))?;
            }
            left -= copies;
            book += 1;
        }
        Ok(())
    };
    if let Err(err) = setup() {
        panic!("seeding {n} rentals failed: {err}");
    }
    store
}

fn reports(c: &mut Criterion) {
    let mut group = c.benchmark_group("reports");
    group.sample_size(10);
    for n in [10_000usize, 100_000, 1_000_000] {
        let store = store_with_open_rentals(n);
        group.throughput(Throughput::Elements(n as u64));
        group.bench_with_input(BenchmarkId::new("csv_export", n), &n, |b, _| {
            b.iter(|| store.export_active_rentals_csv(black_box(std::io::sink())))
        });
        group.bench_with_input(BenchmarkId::new("outstanding_charges", n), &n, |b, _| {
            b.iter(|| store.outstanding_charges(black_box(at(24 * 40))))
        });
    }
    group.finish();
}

criterion_group!(benches, reports);
criterion_main!(benches);
