//! Scaling (issue 25): for each operation of the issue's table, the time per call at sizes N of the data the call
//! does NOT return, while what it returns stays the same, on memory and sled (and PostgreSQL when
//! `KOKO_BENCH_POSTGRES` names a server) — one line per operation and backend, with the growth per 4× of N
//! (~1 constant, ~4 linear, ~16 quadratic).
//!
//! ```text
//! cargo bench -p koko-benches --bench scaling                  # N = 1k, 4k, 16k; 5 rounds
//! cargo bench -p koko-benches --bench scaling -- --quick       # N = 250, 1k; 5 rounds (the test command's run)
//! cargo bench -p koko-benches --bench scaling -- --sizes 1k,4k,16k,64k --rows 1,7,18a --backends sled
//! KOKO_BENCH_POSTGRES="host=127.0.0.1 port=5432 user=postgres dbname=postgres" \
//!   cargo bench -p koko-benches --features postgres --bench scaling -- --quick
//! ```
//!
//! Each size's store is built once; then the sizes are measured in turn, round after round (A, B, C, A, B, C, …),
//! and each size's figure is the median of its rounds, so a machine that slows down for a while slows every size
//! alike. A size is not built when one call at it would take longer than `--max-call-secs`, or building it longer
//! than `--max-setup-secs` (foreseen from the sizes before it). Row 18's batches run at N/4 (a batch's time grows as
//! N² when its time per operation grows as N). Sled runs with a 500 ms sync interval, so an fsync does not
//! hide what a write reads. Timing only: nothing here asserts a time; a row whose call does not return what the
//! row says is an error (the run then exits with 1).

mod fixture;
mod more_rows;
mod rows;

use std::any::Any;
use std::time::{Duration, Instant};

use koko_core::{BookStore, MemoryStorage, SledOptions, SledStorage, Storage};

use fixture::{Kind, Res, Row};

/// What one run measures.
struct Config {
    /// The sizes N, ascending.
    sizes: Vec<usize>,
    /// Samples of each size.
    rounds: usize,
    /// How long one sample of a read lasts (as many calls as fit).
    sample: Duration,
    /// Calls per sample of a write that uses up a target per call.
    writes: usize,
    /// A size is not built when one call at it would take longer (foreseen from the sizes before it).
    max_call: Duration,
    /// A size is not built when building it would take longer (foreseen from the sizes before it).
    max_setup: Duration,
    /// Only these rows (by id), when given.
    rows: Option<Vec<String>>,
    /// The backends, in order.
    backends: Vec<String>,
    /// Whether to tell, on stderr, how long each size took to build and to call.
    progress: bool,
}

const USAGE: &str =
    "usage: scaling [--quick] [--sizes 1k,4k,16k] [--rounds R] [--rows 1,1b,7,18a] \
[--backends memory,sled,postgres] [--max-call-secs S] [--max-setup-secs S]";

fn parse_size(text: &str) -> Result<usize, String> {
    let (digits, scale) = match text.strip_suffix(['k', 'K']) {
        Some(digits) => (digits, 1_000),
        None => (text, 1),
    };
    match digits.parse::<usize>() {
        Ok(n) if n > 0 => Ok(n * scale),
        _ => Err(format!("not a size: {text}")),
    }
}

fn parse_args() -> Result<Config, String> {
    let mut config = Config {
        sizes: vec![1_000, 4_000, 16_000],
        rounds: 5,
        sample: Duration::from_millis(20),
        writes: 10,
        max_call: Duration::from_secs(10),
        max_setup: Duration::from_secs(120),
        rows: None,
        backends: vec!["memory".into(), "sled".into(), "postgres".into()],
        progress: true,
    };
    let mut args = std::env::args().skip(1);
    let mut quick = false;
    let (mut sizes, mut rounds) = (None, None);
    while let Some(arg) = args.next() {
        let mut value = || args.next().ok_or(format!("{arg} needs a value\n{USAGE}"));
        match arg.as_str() {
            // `cargo bench` passes --bench to a bench target without criterion's harness.
            "--bench" => {}
            "--quick" => quick = true,
            "--sizes" => sizes = Some(value()?),
            "--rounds" => rounds = Some(value()?),
            "--rows" => config.rows = Some(value()?.split(',').map(str::to_owned).collect()),
            "--backends" => config.backends = value()?.split(',').map(str::to_owned).collect(),
            "--max-call-secs" => config.max_call = secs(&value()?)?,
            "--max-setup-secs" => config.max_setup = secs(&value()?)?,
            "-h" | "--help" => {
                println!("{USAGE}");
                std::process::exit(0);
            }
            // `cargo bench -p koko-benches -- …` hands every bench target criterion's arguments too.
            other => eprintln!("scaling: ignoring the argument {other} ({USAGE})"),
        }
    }
    if quick {
        config.sizes = vec![250, 1_000];
        config.rounds = 5;
        config.sample = Duration::from_millis(5);
        config.writes = 5;
        config.max_call = Duration::from_millis(500);
        config.max_setup = Duration::from_secs(10);
        config.progress = false;
    }
    if let Some(sizes) = sizes {
        config.sizes = sizes.split(',').map(parse_size).collect::<Result<_, _>>()?;
        config.sizes.sort_unstable();
        config.sizes.dedup();
    }
    if let Some(rounds) = rounds {
        config.rounds = match rounds.parse() {
            Ok(r) if r > 0 => r,
            _ => return Err(format!("not a number of rounds: {rounds}")),
        };
    }
    Ok(config)
}

fn secs(text: &str) -> Result<Duration, String> {
    text.parse::<f64>()
        .ok()
        .filter(|s| s.is_finite() && *s > 0.0)
        .map(Duration::from_secs_f64)
        .ok_or(format!("not a number of seconds: {text}"))
}

/// An empty storage, and what must outlive it (a temporary directory, a database to drop).
type Opened<S> = (S, Box<dyn Any>);

/// What one (row, backend) gave: each size measured and its median time per operation; why larger sizes were
/// left out, if they were.
struct Measured {
    times: Vec<(usize, Duration)>,
    note: Option<String>,
}

/// A size's store, built, with its measurement.
struct Built<S: Storage> {
    n: usize,
    measure: fixture::Measure<S>,
    store: BookStore<S>,
    _keep: Box<dyn Any>,
    per_sample: usize,
    samples: Vec<Duration>,
}

fn run_row<S: Storage + 'static>(
    config: &Config,
    row: &Row<S>,
    backend: &str,
    open: &mut dyn FnMut() -> Res<Opened<S>>,
) -> Res<Measured> {
    let calls = match row.kind {
        Kind::Read => 0,
        Kind::Write => 1 + config.rounds * config.writes,
        Kind::Batch => 1 + config.rounds,
    };
    // A batch's time grows as N² when its time per operation grows as N: its sizes are a quarter of the others.
    let sizes: Vec<usize> = match row.kind {
        Kind::Batch => config.sizes.iter().map(|n| (n / 4).max(1)).collect(),
        Kind::Read | Kind::Write => config.sizes.clone(),
    };
    let label = match row.kind {
        Kind::Batch => "a batch of ",
        Kind::Read | Kind::Write => "N=",
    };
    let mut built: Vec<Built<S>> = Vec::new();
    let mut note = None;
    // The size before, its time per call and its set-up time: how the next size's are foreseen.
    let mut before: Option<(usize, Duration, Duration)> = None;
    for (i, &n) in sizes.iter().enumerate() {
        let (storage, keep) = open()?;
        let store = BookStore::with_default_plan(storage, fixture::plan())?;
        let started = Instant::now();
        let mut measure = (row.build)(&store, n, calls)?;
        let setup = started.elapsed();
        let warm = measure(&store, 1)?;
        let per_call = warm.elapsed;
        let per_sample = match row.kind {
            Kind::Read => {
                let fit = config.sample.as_nanos() / per_call.as_nanos().max(1);
                fit.clamp(1, 10_000) as usize
            }
            Kind::Write => config.writes,
            Kind::Batch => 1,
        };
        if config.progress {
            eprintln!(
                "  row {} on {backend}, {label}{}: built in {}, one call {}, {per_sample} per sample",
                row.id,
                size(n),
                time(setup),
                time(per_call)
            );
        }
        built.push(Built {
            n,
            measure,
            store,
            _keep: keep,
            per_sample,
            samples: Vec::with_capacity(config.rounds),
        });
        let Some(&next) = sizes.get(i + 1) else {
            break;
        };
        let call_next = foresee(before.map(|(m, t, _)| (m, t)), (n, per_call), next);
        let setup_next = foresee(before.map(|(m, _, s)| (m, s)), (n, setup), next);
        before = Some((n, per_call, setup));
        if call_next > config.max_call {
            note = Some(format!(
                "{label}{} not run: a call would take ~{}",
                size(next),
                time(call_next)
            ));
            break;
        }
        if setup_next > config.max_setup {
            note = Some(format!(
                "{label}{} not run: building it would take ~{}",
                size(next),
                time(setup_next)
            ));
            break;
        }
    }
    for _ in 0..config.rounds {
        for size in &mut built {
            let timed = (size.measure)(&size.store, size.per_sample)?;
            size.samples.push(timed.elapsed / (timed.ops.max(1) as u32));
        }
    }
    let times = built
        .iter_mut()
        .map(|size| (size.n, median(&mut size.samples)))
        .collect();
    Ok(Measured { times, note })
}

/// A time at size `next`, foreseen from the sizes before it: the power law through the last two (at least
/// linear, at most cubic), or linear from the last one alone.
fn foresee(before: Option<(usize, Duration)>, (n, t): (usize, Duration), next: usize) -> Duration {
    let exponent = before.map_or(1.0, |(m, s)| {
        let ratio = t.as_secs_f64() / s.as_secs_f64().max(1e-12);
        (ratio.ln() / (n as f64 / m as f64).ln()).clamp(1.0, 3.0)
    });
    t.mul_f64((next as f64 / n as f64).powf(exponent))
}

fn median(samples: &mut [Duration]) -> Duration {
    samples.sort_unstable();
    let mid = samples.len() / 2;
    if samples.len() % 2 == 0 {
        (samples[mid - 1] + samples[mid]) / 2
    } else {
        samples[mid]
    }
}

/// The growth of the time per call when N grows 4× between sizes `a` and `b` (a power law through both).
fn growth((na, ta): (usize, Duration), (nb, tb): (usize, Duration)) -> f64 {
    let ratio = tb.as_secs_f64() / ta.as_secs_f64().max(1e-12);
    ratio.powf(4f64.ln() / (nb as f64 / na as f64).ln())
}

fn verdict(g: f64) -> &'static str {
    match g {
        g if g < 1.5 => "flat",
        g if g < 2.5 => "sublinear",
        g if g < 8.0 => "linear",
        _ => "quadratic",
    }
}

fn size(n: usize) -> String {
    if n % 1_000 == 0 {
        format!("{}k", n / 1_000)
    } else {
        n.to_string()
    }
}

fn time(d: Duration) -> String {
    let ns = d.as_nanos() as f64;
    let (value, unit) = match ns {
        ns if ns < 1e3 => (ns, "ns"),
        ns if ns < 1e6 => (ns / 1e3, "µs"),
        ns if ns < 1e9 => (ns / 1e6, "ms"),
        ns => (ns / 1e9, "s"),
    };
    let decimals = match value {
        v if v < 10.0 => 2,
        v if v < 100.0 => 1,
        _ => 0,
    };
    format!("{value:.decimals$} {unit}")
}

/// The table's running totals.
#[derive(Default)]
struct Totals {
    /// The row of each (row, backend) measured at two sizes or more.
    measured: Vec<&'static str>,
    /// Each (row, backend) whose time grew more than 2× per 4× of N.
    growing: Vec<(&'static str, String)>,
    /// How many (row, backend) failed.
    failed: usize,
}

impl Totals {
    /// The rows that grew, in order: a row's id alone when it grew on every backend measured, else the id and
    /// the backends it grew on (`4b/sled`).
    fn growing_rows(&self) -> String {
        let mut rows: Vec<(&str, Vec<&str>)> = Vec::new();
        for (id, backend) in &self.growing {
            match rows.iter_mut().find(|(row, _)| row == id) {
                Some((_, backends)) => backends.push(backend),
                None => rows.push((id, vec![backend])),
            }
        }
        rows.iter()
            .map(|(id, backends)| {
                if backends.len() == self.measured.iter().filter(|m| *m == id).count() {
                    (*id).to_owned()
                } else {
                    format!("{id}/{}", backends.join("+"))
                }
            })
            .collect::<Vec<_>>()
            .join(", ")
    }
}

fn print_header(config: &Config) {
    println!(
        "scaling: time per call (per operation for batches), median of {} rounds with the sizes alternated, at each \
         N of the data the call does not return; per 4x: how that time grows when N grows 4x (~1 constant, ~4 \
         linear, ~16 quadratic)",
        config.rounds
    );
    let mut head = format!(
        "{:<4} {:<8} {:<38} {:<40}",
        "row", "backend", "operation -> what it returns", "grows with (not returned)"
    );
    for &n in &config.sizes {
        head.push_str(&format!(" {:>9}", format!("N={}", size(n))));
    }
    head.push_str("  per 4x");
    println!("{head}");
}

fn print_line<S: Storage>(
    config: &Config,
    row: &Row<S>,
    backend: &str,
    result: Res<Measured>,
    totals: &mut Totals,
) {
    let mut line = format!(
        "{:<4} {:<8} {:<38} {:<40}",
        row.id, backend, row.operation, row.grows
    );
    let measured = match result {
        Ok(measured) => measured,
        Err(err) => {
            totals.failed += 1;
            println!("{line} error: {err}");
            return;
        }
    };
    // The sizes measured are the first of the row's (a batch row's are a quarter of the columns').
    for column in 0..config.sizes.len() {
        let cell = measured
            .times
            .get(column)
            .map_or("-".to_owned(), |(_, t)| time(*t));
        line.push_str(&format!(" {cell:>9}"));
    }
    let steps: Vec<String> = measured
        .times
        .windows(2)
        .map(|w| format!("{:.1}", growth(w[0], w[1])))
        .collect();
    line.push_str(&format!("  {}", steps.join(" ")));
    if let (Some(first), Some(last)) = (measured.times.first(), measured.times.last()) {
        if measured.times.len() > 1 {
            let overall = growth(*first, *last);
            line.push_str(&format!("  {}", verdict(overall)));
            totals.measured.push(row.id);
            if overall > 2.0 {
                totals.growing.push((row.id, backend.to_owned()));
            }
        }
    }
    if let Some(note) = measured.note {
        line.push_str(&format!("  ({note})"));
    }
    println!("{line}");
}

/// A fresh in-memory storage.
fn memory() -> Res<Opened<MemoryStorage>> {
    Ok((MemoryStorage::new(), Box::new(())))
}

/// A fresh sled storage in its own temporary directory (removed with it).
fn sled() -> Res<Opened<SledStorage>> {
    let dir = tempfile::tempdir()?;
    let storage = SledStorage::open_with(
        dir.path().join("db"),
        SledOptions {
            durability: koko_core::Durability::Interval(Duration::from_millis(500)),
            ..SledOptions::default()
        },
    )?;
    Ok((storage, Box::new(dir)))
}

#[cfg(feature = "postgres")]
mod pg {
    //! A fresh PostgreSQL database per store, dropped with it.

    use std::sync::atomic::{AtomicUsize, Ordering};

    use koko_core::PostgresStorage;

    use super::{Opened, Res};

    /// Drops its database when dropped (after the store's connections closed).
    struct Database {
        admin: String,
        name: String,
    }

    impl Drop for Database {
        fn drop(&mut self) {
            let dropped =
                postgres::Client::connect(&self.admin, postgres::NoTls).and_then(|mut c| {
                    c.batch_execute(&format!(
                        "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                        self.name
                    ))
                });
            if let Err(err) = dropped {
                eprintln!("could not drop the database {}: {err}", self.name);
            }
        }
    }

    /// The server `KOKO_BENCH_POSTGRES` names, if any.
    pub fn server() -> Option<String> {
        std::env::var("KOKO_BENCH_POSTGRES").ok()
    }

    /// A new database on `admin`'s server, and Koko's storage in it.
    pub fn open(admin: &str) -> Res<Opened<PostgresStorage>> {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        // Digits and a fixed prefix: safe to splice (a database name cannot be a parameter).
        let name = format!(
            "koko_bench_scaling_{}_{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let mut client = postgres::Client::connect(admin, postgres::NoTls)?;
        client.batch_execute(&format!("CREATE DATABASE {name}"))?;
        let database = Database {
            admin: admin.to_owned(),
            name: name.clone(),
        };
        let storage = PostgresStorage::connect(&format!("{admin} dbname={name}"))?;
        Ok((storage, Box::new(database)))
    }
}

/// Runs row `index` on `backend`, if that backend is here; `false` when it is not.
fn run_on(config: &Config, index: usize, backend: &str, totals: &mut Totals) -> bool {
    match backend {
        "memory" => {
            let row = &rows::rows::<MemoryStorage>()[index];
            let result = run_row(config, row, backend, &mut memory);
            print_line(config, row, backend, result, totals);
        }
        "sled" => {
            let row = &rows::rows::<SledStorage>()[index];
            let result = run_row(config, row, backend, &mut sled);
            print_line(config, row, backend, result, totals);
        }
        #[cfg(feature = "postgres")]
        "postgres" => {
            let Some(admin) = pg::server() else {
                return false;
            };
            let row = &rows::rows::<koko_core::PostgresStorage>()[index];
            let result = run_row(config, row, backend, &mut || pg::open(&admin));
            print_line(config, row, backend, result, totals);
        }
        _ => return false,
    }
    true
}

fn main() {
    let config = match parse_args() {
        Ok(config) => config,
        Err(message) => {
            eprintln!("{message}");
            std::process::exit(2);
        }
    };
    let all = rows::rows::<MemoryStorage>();
    if let Some(wanted) = &config.rows {
        if let Some(unknown) = wanted.iter().find(|id| !all.iter().any(|r| &r.id == id)) {
            eprintln!("no row {unknown}; the rows are 1, 1b, 2, 3, 4, 4b, 5 … 18c");
            std::process::exit(2);
        }
    }
    print_header(&config);
    let started = Instant::now();
    let mut totals = Totals::default();
    let mut absent = Vec::new();
    for (index, row) in all.iter().enumerate() {
        if config
            .rows
            .as_ref()
            .is_some_and(|wanted| !wanted.iter().any(|id| id == row.id))
        {
            continue;
        }
        for backend in &config.backends {
            if !run_on(&config, index, backend, &mut totals) && !absent.contains(backend) {
                absent.push(backend.clone());
            }
        }
    }
    for backend in absent {
        eprintln!(
            "{backend} skipped: {}",
            if backend == "postgres" {
                "build with --features postgres and set KOKO_BENCH_POSTGRES to a PostgreSQL connection string"
            } else {
                "no such backend (memory, sled, postgres)"
            }
        );
    }
    let growing = if totals.growing.is_empty() {
        String::new()
    } else {
        format!(" ({})", totals.growing_rows())
    };
    println!(
        "scaling: {} rows measured; growth per 4x above 2.0: {} rows{growing}; {} failed; {:.0} s",
        totals.measured.len(),
        totals.growing.len(),
        totals.failed,
        started.elapsed().as_secs_f64()
    );
    if totals.failed > 0 {
        std::process::exit(1);
    }
}
