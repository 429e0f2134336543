//! The cost of one write path: rent+return cycles on durable sled (and PostgreSQL, when `KOKO_BENCH_POSTGRES`
//! names a server and the `postgres` feature is on), from 1 and 8 clients that each wait for every answer.
//!
//! ```text
//! cycle_cost [seconds per configuration (default 3)] [configuration…]
//! ```
//!
//! Configurations: `sled-1`, `sled-8`, `postgres-1`, `postgres-8` (all of them by default). Prints one line per
//! configuration, `cycles_per_second CONFIGURATION VALUE`. It uses only the API Koko had before its event feed, so
//! `benches/compare/events_cost.py` builds the same file at an older commit and runs both side by side.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use koko_benches::{cycle, seed};
use koko_core::{BookStore, Durability, PricePlan, SledOptions, SledStorage, Storage};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let seconds: u64 = args.next().and_then(|s| s.parse().ok()).unwrap_or(3);
    let mut configs: Vec<String> = args.collect();
    if configs.is_empty() {
        configs = ["sled-1", "sled-8", "postgres-1", "postgres-8"]
            .map(String::from)
            .to_vec();
    }
    for config in configs {
        let (backend, clients) = config
            .split_once('-')
            .and_then(|(b, c)| Some((b.to_owned(), c.parse::<usize>().ok()?)))
            .ok_or_else(|| format!("{config}: expected BACKEND-CLIENTS, e.g. sled-8"))?;
        let rate = match backend.as_str() {
            "sled" => on_sled(clients, seconds)?,
            "postgres" => match on_postgres(clients, seconds)? {
                Some(rate) => rate,
                None => {
                    eprintln!("{config}: skipped (set KOKO_BENCH_POSTGRES and build with --features postgres)");
                    continue;
                }
            },
            other => return Err(format!("{other}: expected sled or postgres").into()),
        };
        println!("cycles_per_second {config} {rate:.1}");
    }
    Ok(())
}

fn on_sled(clients: usize, seconds: u64) -> Result<f64, Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let storage = SledStorage::open_with(
        dir.path().join("store"),
        SledOptions {
            durability: Durability::FlushEveryCommit,
            ..SledOptions::default()
        },
    )?;
    let store = BookStore::with_default_plan(storage, PricePlan::story3())?;
    run(&store, clients, seconds)
}

#[cfg(feature = "postgres")]
fn on_postgres(clients: usize, seconds: u64) -> Result<Option<f64>, Box<dyn std::error::Error>> {
    let Ok(admin) = std::env::var("KOKO_BENCH_POSTGRES") else {
        return Ok(None);
    };
    let name = format!("koko_bench_cost_{}_{clients}", std::process::id());
    let mut client = postgres::Client::connect(&admin, postgres::NoTls)?;
    // A name of digits and a fixed prefix: safe to splice (a database name cannot be a parameter).
    client.batch_execute(&format!("CREATE DATABASE {name}"))?;
    let outcome = koko_core::PostgresStorage::connect(&format!("{admin} dbname={name}"))
        .map_err(Box::<dyn std::error::Error>::from)
        .and_then(|storage| {
            let store = BookStore::with_default_plan(storage, PricePlan::story3())?;
            run(&store, clients, seconds)
        });
    client.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))?;
    outcome.map(Some)
}

#[cfg(not(feature = "postgres"))]
fn on_postgres(_: usize, _: u64) -> Result<Option<f64>, Box<dyn std::error::Error>> {
    Ok(None)
}

/// Cycles per second from `clients` threads for `seconds`, after one warm-up cycle each.
fn run<S: Storage + Sync>(
    store: &BookStore<S>,
    clients: usize,
    seconds: u64,
) -> Result<f64, Box<dyn std::error::Error>> {
    let (books, customers) = seed(store, clients, clients)?;
    for (book, customer) in books.iter().zip(&customers) {
        cycle(store, *customer, *book)?;
    }
    let stop = AtomicBool::new(false);
    let done = AtomicU64::new(0);
    let started = Instant::now();
    std::thread::scope(|scope| {
        for (book, customer) in books.iter().zip(&customers) {
            let (stop, done) = (&stop, &done);
            let (book, customer) = (*book, *customer);
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
    Ok(done.load(Ordering::Relaxed) as f64 / started.elapsed().as_secs_f64())
}
