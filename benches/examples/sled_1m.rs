//! Opening a sled store that holds many rentals, and exporting its open rentals, each timed in a fresh process.
//!
//! ```text
//! sled_1m build  <dir> [rentals]   # once: a store with `rentals` (default 1,000,000) open rentals
//! sled_1m open   <dir>             # time to open it and answer a first query
//! sled_1m export <dir>             # stream the CSV export to nowhere; rows/s and the process's peak memory
//! ```
//!
//! The store is built once (each book's rents are one batch) and reused; `benches/RESULTS.md` gives the commands. Peak memory is the process's high-water mark (`VmHWM`), which includes sled's
//! page cache: 64 MiB unless `KOKO_SLED_CACHE_MIB` says otherwise.

use std::path::Path;
use std::time::{Duration, Instant};

use koko_benches::fill_with_open_rentals;
use koko_core::{BookStore, Durability, PricePlan, SledOptions, SledStorage, Storage};

type Outcome = Result<(), Box<dyn std::error::Error>>;

/// sled's page cache for the open and export runs, in MiB.
fn cache_bytes() -> u64 {
    let mib = std::env::var("KOKO_SLED_CACHE_MIB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(64u64);
    mib << 20
}

fn open(dir: &Path, durability: Durability) -> koko_core::Result<BookStore<SledStorage>> {
    let storage = SledStorage::open_with(
        dir,
        SledOptions {
            durability,
            cache_capacity: Some(cache_bytes()),
        },
    )?;
    BookStore::with_default_plan(storage, PricePlan::story3())
}

fn build(dir: &Path, rentals: u64) -> Outcome {
    let store = open(dir, Durability::Interval(Duration::from_millis(500)))?;
    let start = Instant::now();
    fill_with_open_rentals(&store, rentals, |made| {
        eprintln!("{made} rentals ({:.0?})", start.elapsed())
    })?;
    store.flush()?;
    println!("built {rentals} open rentals in {:.1?}", start.elapsed());
    Ok(())
}

fn open_timed(dir: &Path) -> Outcome {
    let start = Instant::now();
    let store = open(dir, Durability::FlushEveryCommit)?;
    let opened = start.elapsed();
    let first = store.storage().rental(koko_core::RentalId::new(1))?;
    println!(
        "open: {:.1} ms (first query answered after {:.1} ms; rental 1 is {})",
        opened.as_secs_f64() * 1e3,
        start.elapsed().as_secs_f64() * 1e3,
        first.category
    );
    Ok(())
}

fn export(dir: &Path) -> Outcome {
    let store = open(dir, Durability::FlushEveryCommit)?;
    let before = peak_kib()?;
    let start = Instant::now();
    let rows = store.export_active_rentals_csv(std::io::sink())?;
    let took = start.elapsed();
    println!(
        "export: {rows} rows in {:.0} ms = {:.2} M rows/s; peak memory {:.0} MiB (after open: {:.0} MiB)",
        took.as_secs_f64() * 1e3,
        rows as f64 / took.as_secs_f64() / 1e6,
        peak_kib()? as f64 / 1024.0,
        before as f64 / 1024.0
    );
    Ok(())
}

/// The process's peak resident memory in KiB, from `/proc/self/status`.
fn peak_kib() -> Result<u64, Box<dyn std::error::Error>> {
    let status = std::fs::read_to_string("/proc/self/status")?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .ok_or_else(|| "no VmHWM in /proc/self/status".into())
}

fn main() -> Outcome {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["build", dir] => build(Path::new(dir), 1_000_000),
        ["build", dir, n] => build(Path::new(dir), n.parse()?),
        ["open", dir] => open_timed(Path::new(dir)),
        ["export", dir] => export(Path::new(dir)),
        _ => Err("usage: sled_1m build <dir> [rentals] | open <dir> | export <dir>".into()),
    }
}
