//! `koko`: operate a Koko store from the command line — import a catalogue or customers from CSV, export records
//! and reports as CSV, check a store's invariants, back it up, restore it, and migrate it to another backend.
//!
//! The store is named by `--store` or `KOKO_STORE`, as in the REST API: a sled directory, or (with the `postgres`
//! feature, on by default) a `postgresql://…` connection string.

use std::io::{self, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

mod check;
mod dump;
mod export;
mod import;
mod store;

use export::ExportKind;

/// Operate a Koko book store: import, export, report, check, back up, restore, migrate.
#[derive(Parser)]
#[command(name = "koko", version, about)]
struct Cli {
    /// The store: a sled directory, or a `postgresql://…` connection string.
    #[arg(long, env = "KOKO_STORE", global = true)]
    store: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Import books (header `title,author,category,isbn,copies`; the last two optional) or customers (header
    /// `first_name,last_name,email`) from a CSV file. Good rows are imported; each bad one is reported with its
    /// line, field and reason.
    Import {
        /// What the file holds.
        what: ImportKind,
        /// The CSV file.
        file: PathBuf,
    },
    /// Export records or a report as CSV.
    Export {
        /// What to export.
        what: ExportKind,
        /// Write to this file instead of standard output.
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
    /// Revenue of the rentals returned in [from, to), by currency and category, as CSV.
    Report {
        /// Start (RFC 3339, e.g. 2024-06-01T00:00:00Z), included.
        #[arg(long)]
        from: chrono::DateTime<chrono::Utc>,
        /// End, excluded.
        #[arg(long)]
        to: chrono::DateTime<chrono::Utc>,
    },
    /// Verify the store's invariants; exits 1 and lists each problem when one does not hold.
    Check,
    /// Write a portable, versioned dump of the whole store (records, history, plan versions; one JSON record
    /// per line). Writes to the store wait while it runs; none is refused.
    Backup {
        /// Write to this file instead of standard output.
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
    /// Restore a dump into an empty store (a new sled directory or an empty PostgreSQL database).
    Restore {
        /// The dump `koko backup` wrote.
        file: PathBuf,
    },
    /// Move a whole store to another backend (e.g. `--from sled:DIR --to postgresql://…`), keeping ids, history
    /// and plan versions; the target must be empty; both are dumped and compared after.
    Migrate {
        /// The store to copy: `sled:DIR`, a directory, or `postgresql://…`.
        #[arg(long)]
        from: String,
        /// The empty store to fill.
        #[arg(long)]
        to: String,
    },
}

/// What `koko import` reads.
#[derive(Clone, Copy, ValueEnum)]
enum ImportKind {
    /// Books and how many copies of each.
    Books,
    /// Customers.
    Customers,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("koko: {err}");
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> Result<ExitCode, Box<dyn std::error::Error>> {
    let progress = io::stderr().is_terminal();
    if let Command::Migrate { from, to } = &cli.command {
        let source = store::open(from)?;
        let target = store::open(to)?;
        let moved = dump::migrate(&source, &target, progress)?;
        println!("migrated and verified: {moved}");
        let report = check::run(&target, progress)?;
        for problem in &report.problems {
            println!("{problem}");
        }
        println!("{}", report.summary());
        return Ok(if report.problems.is_empty() {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(1)
        });
    }
    let Some(name) = cli.store else {
        return Err(
            "name the store with --store or KOKO_STORE (a sled directory or postgresql://…)".into(),
        );
    };
    let store = store::open(&name)?;
    match cli.command {
        Command::Import { what, file } => {
            let customers = matches!(what, ImportKind::Customers);
            let report = import::run(&store, customers, &file, progress)?;
            let mut err = io::stderr().lock();
            for problem in &report.problems {
                writeln!(err, "{problem}")?;
            }
            println!("{}", report.summary());
            Ok(if report.problems.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
        Command::Export { what, output } => {
            let rows = match output {
                Some(path) => export::write(&store, what, std::fs::File::create(&path)?)?,
                None => export::write(&store, what, io::stdout().lock())?,
            };
            eprintln!("{rows} rows");
            Ok(ExitCode::SUCCESS)
        }
        Command::Report { from, to } => {
            export::revenue(&store, from, to, io::stdout().lock())?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Check => {
            let report = check::run(&store, progress)?;
            for problem in &report.problems {
                println!("{problem}");
            }
            println!("{}", report.summary());
            Ok(if report.problems.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
        Command::Backup { output } => {
            let written = dump::backup(&store, output.as_deref(), progress)?;
            eprintln!("backed up: {written}");
            Ok(ExitCode::SUCCESS)
        }
        Command::Restore { file } => {
            let restored = dump::restore(&store, &file, progress)?;
            println!("restored: {restored}");
            Ok(ExitCode::SUCCESS)
        }
        Command::Migrate { .. } => Err("migrate names its stores with --from and --to".into()),
    }
}
