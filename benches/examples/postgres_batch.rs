//! PostgreSQL: rent+return cycles one call at a time against the same cycles as batches, side by side in one run.
//!
//! ```text
//! KOKO_BENCH_POSTGRES="host=127.0.0.1 port=5432 user=postgres dbname=postgres" \
//!   cargo run --release -p koko-benches --features postgres --example postgres_batch [cycles (default 4000)]
//! ```
//!
//! Creates a fresh database on that server (dropped at the end). The per-operation side runs a tenth of the cycles
//! (each is two commits); the batch side rents every cycle's copy in one batch, then returns them all in another.

use std::time::Instant;

use koko_benches::at;
use koko_core::{
    BookStore, NewBook, NewCustomer, Operation, PostgresStorage, PricePlan, RentTarget,
};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let admin = std::env::var("KOKO_BENCH_POSTGRES")
        .map_err(|_| "set KOKO_BENCH_POSTGRES to a PostgreSQL connection string")?;
    let cycles: usize = std::env::args()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(4_000);
    let name = format!("koko_bench_batch_{}", std::process::id());
    let mut client = postgres::Client::connect(&admin, postgres::NoTls)?;
    // A name of digits and a fixed prefix: safe to splice (a database name cannot be a parameter).
    client.batch_execute(&format!("CREATE DATABASE {name}"))?;
    let outcome = run(&format!("{admin} dbname={name}"), cycles);
    client.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))?;
    outcome
}

fn run(url: &str, cycles: usize) -> Result<(), Box<dyn std::error::Error>> {
    let store = BookStore::with_default_plan(PostgresStorage::connect(url)?, PricePlan::story3())?;
    let customer = store
        .register_customer(&NewCustomer::new("Bench", "Reader"))?
        .id;
    let book = store.add_book(&NewBook::new("Bench book", "A", "regular"), cycles as u32)?;
    let copies = store.copies(book.id)?;

    let single = (cycles / 10).max(10);
    let started = Instant::now();
    for _ in 0..single {
        let rental = store.rent_book_at(customer, book.id, at(0))?;
        store.return_rental_at(rental.id, at(48))?;
    }
    let per_op = single as f64 / started.elapsed().as_secs_f64();

    let started = Instant::now();
    let rents = copies
        .iter()
        .map(|copy| Operation::Rent {
            target: RentTarget::Copy(copy.id),
            customer,
            at: at(0),
        })
        .collect();
    let mut returns = Vec::with_capacity(cycles);
    for result in store.apply_batch(rents)? {
        returns.push(Operation::return_at(result?.into_rental()?.id, at(48)));
    }
    for result in store.apply_batch(returns)? {
        result?;
    }
    let batched = cycles as f64 / started.elapsed().as_secs_f64();
    println!("PostgreSQL rent+return cycles, one run:");
    println!("  one call per operation ({single} cycles): {per_op:>10.0} cycles/s");
    println!("  as two batches ({cycles} cycles):        {batched:>10.0} cycles/s");
    println!(
        "target: the batch >= 10x the per-operation rate: {:.1}x, {}",
        batched / per_op,
        if batched / per_op >= 10.0 {
            "met"
        } else {
            "not met"
        }
    );
    Ok(())
}
