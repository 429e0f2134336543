//! `koko`: operate a Koko store from the command line — create one with its price plan, show and publish plans,
//! import a catalogue or customers from CSV, export records and reports as CSV, check a store's invariants, back
//! it up, restore it, and migrate it to another backend.
//!
//! The store is named by `--store` or `KOKO_STORE`, as in the REST API: a sled directory, or (with the `postgres`
//! feature, on by default) a `postgresql://…` connection string. Only `koko init` creates a store: every other
//! command refuses a name that holds none (exit status 2), so a typo never yields a new empty store.

use std::io::{self, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

mod api;
mod check;
mod dump;
mod events;
mod export;
mod import;
mod original;
mod plan;
mod store;

use export::ExportKind;
use store::Mode;

/// Operate a Koko book store: create one, set its price plan, import, export, report, check, back up, restore,
/// migrate.
///
/// Exit status: 0 done (every row imported, no problem found); 1 done in part (some rows refused, or `check`
/// found problems: each is listed); 2 nothing done (no such store, a bad argument or file, the store in use by
/// another process, …: one line on standard error says why).
#[derive(Parser)]
#[command(name = "koko", version, about, long_about)]
struct Cli {
    /// The store: a sled directory, or a `postgresql://…` connection string.
    #[arg(long, env = "KOKO_STORE", global = true)]
    store: Option<String>,
    /// Work through a running Koko REST API instead of opening the store (which that server holds): its root
    /// URL, https:// (http:// only to this machine). `backup`, `check`, `export` and `report` work this way, on
    /// one consistent snapshot of the store the server takes while its writes wait.
    #[arg(long, env = "KOKO_API_URL", global = true, value_name = "URL")]
    api: Option<String>,
    /// A staff user's API token for --api (better given in KOKO_API_TOKEN than on the command line, where other
    /// users of the machine can see it).
    #[arg(long, env = "KOKO_API_TOKEN", global = true, hide_env_values = true)]
    token: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Create a new store (a new or empty sled directory, or a PostgreSQL database without Koko's tables), with
    /// its price plan in force from the start when `--plan` is given.
    Init {
        /// The store to create: a directory, `sled:DIR`, or `postgresql://…`.
        path: String,
        /// Its price plan: `story3` (the reference plan) or a JSON plan file.
        #[arg(long)]
        plan: Option<String>,
    },
    /// Show, publish or list the store's price plans.
    Plan {
        #[command(subcommand)]
        action: PlanAction,
    },
    /// Import books (header `title,author,category,isbn,copies`; the last two optional) or customers (header
    /// `first_name,last_name,email`) from a CSV file. Good rows are imported; each bad one (a row with fields
    /// missing or extra among them) is reported with its line, field and reason, and the exit status is 1. A
    /// store without a price plan, or a header with a column koko neither reads nor exports, imports nothing
    /// (exit status 2).
    Import {
        /// What the file holds.
        what: ImportKind,
        /// The CSV file (for `original`, the SQLite database).
        file: PathBuf,
        /// Report what the import would do, row for row (the whole file tried as one batch and discarded), and
        /// write nothing; the exit status is the one the import would have.
        #[arg(long)]
        dry_run: bool,
        /// Customers already there (same e-mail address, case ignored) get the row's names instead of being
        /// skipped.
        #[arg(long)]
        update: bool,
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
    /// Print the store's events (what changed, in commit order) as JSON lines: position, id, type, at, subjects,
    /// data.
    Events {
        /// Only the events after this position (the last one a consumer handled).
        #[arg(long)]
        after: Option<u64>,
        /// Only events of these types, e.g. `rental.opened,rental.closed`.
        #[arg(long, value_delimiter = ',')]
        types: Vec<String>,
        /// Keep printing new events as they are committed, until interrupted (other processes' writes on
        /// PostgreSQL; a sled store serves one process at a time).
        #[arg(long)]
        follow: bool,
    },
    /// Write a portable, versioned dump of the whole store (records, history, plan versions; one JSON record
    /// per line). Writes to the store wait while it runs; none is refused.
    Backup {
        /// Write to this file instead of standard output.
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
    /// Restore a dump into an empty store (create it first with `koko init PATH`, without a plan: the dump
    /// brings its plan versions).
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
        /// The empty store to fill (create it first with `koko init`, without a plan).
        #[arg(long)]
        to: String,
    },
}

/// What `koko plan` does.
#[derive(Subcommand)]
enum PlanAction {
    /// Print the plan in force now, as the JSON `plan publish` reads.
    Show,
    /// Publish a new plan version (a JSON plan file, or `story3`): rentals opened from `--from` on are priced by it.
    Publish {
        /// The plan.
        file: String,
        /// When it comes into force (RFC 3339, e.g. 2025-01-01T00:00:00Z); now when not given.
        #[arg(long)]
        from: Option<chrono::DateTime<chrono::Utc>>,
    },
    /// List every plan version (CSV: version, in force from, currency, categories).
    History,
}

/// What `koko import` reads.
#[derive(Clone, Copy, ValueEnum)]
enum ImportKind {
    /// Books and how many copies of each.
    Books,
    /// Customers.
    Customers,
    /// The original application's SQLite database (tables `books`, `customers`, `rentals`), into a store with a
    /// price plan and nothing else yet: ids kept, open rentals open, closed ones charged what the original
    /// recorded. Each row that cannot be mapped is reported with its table, id and reason (exit status 1).
    Original,
}

/// `println!` that returns an error instead of panicking when standard output is gone (`koko … | head`).
macro_rules! out {
    ($($arg:tt)*) => {
        writeln!(io::stdout().lock(), $($arg)*)?
    };
}

/// Whether `err` (or what caused it) is standard output closed by its reader: not a failure of koko's.
fn broken_pipe(err: &(dyn std::error::Error + 'static)) -> bool {
    let mut cause = Some(err);
    while let Some(err) = cause {
        let io = err.downcast_ref::<io::Error>().or_else(|| {
            match err.downcast_ref::<csv::Error>().map(csv::Error::kind) {
                Some(csv::ErrorKind::Io(io)) => Some(io),
                _ => None,
            }
        });
        if io.is_some_and(|e| e.kind() == io::ErrorKind::BrokenPipe) {
            return true;
        }
        cause = err.source();
    }
    false
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(err) if broken_pipe(err.as_ref()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("koko: {err}");
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> Result<ExitCode, Box<dyn std::error::Error>> {
    let progress = io::stderr().is_terminal();
    if let Command::Init { path, plan } = &cli.command {
        let store = store::open(path, Mode::New)?;
        out!(
            "{}",
            plan::init(&store, &store::shown(path), plan.as_deref())?
        );
        return Ok(ExitCode::SUCCESS);
    }
    if let Command::Migrate { from, to } = &cli.command {
        let source = store::open(from, Mode::Existing)?;
        let target = store::open(to, Mode::Existing)?;
        let moved = dump::migrate(&source, &target, progress)?;
        out!("migrated and verified: {moved}");
        let report = check::run(&target, progress)?;
        for problem in &report.problems {
            out!("{problem}");
        }
        out!("{}", report.summary());
        return Ok(if report.problems.is_empty() {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(1)
        });
    }
    if let Some(url) = &cli.api {
        return through_api(
            &api::Api::new(url, cli.token.as_deref())?,
            cli.command,
            progress,
        );
    }
    let Some(name) = cli.store else {
        return Err(
            "name the store with --store or KOKO_STORE (a sled directory or postgresql://…)".into(),
        );
    };
    let store = store::open(&name, Mode::Existing)?;
    on_store(&store, cli.command, progress)
}

/// A command through a running REST API: a backup copied from the server, or a read-only command run on a
/// snapshot of its store.
fn through_api(
    api: &api::Api,
    command: Command,
    progress: bool,
) -> Result<ExitCode, Box<dyn std::error::Error>> {
    match command {
        Command::Backup { output } => {
            let written = match output {
                Some(path) => {
                    let mut out = io::BufWriter::new(std::fs::File::create(&path)?);
                    let written = api.backup(&mut out);
                    let synced = out
                        .into_inner()
                        .map_err(|e| e.into_error())
                        .and_then(|f| f.sync_all());
                    match (written, synced) {
                        (Ok(written), Ok(())) => written,
                        (Err(err), _) => {
                            // An incomplete copy must not pass for a backup.
                            let _ = std::fs::remove_file(&path);
                            return Err(err);
                        }
                        (_, Err(err)) => {
                            let _ = std::fs::remove_file(&path);
                            return Err(err.into());
                        }
                    }
                }
                None => api.backup(io::BufWriter::new(io::stdout().lock()))?,
            };
            eprintln!("backed up: {written}");
            Ok(ExitCode::SUCCESS)
        }
        command @ (Command::Check | Command::Export { .. } | Command::Report { .. }) => {
            on_store(&api.snapshot()?.store, command, progress)
        }
        _ => Err("with --api, koko runs backup, check, export and report (through the server); the other \
                  commands change the store: run them where the store is, with the server stopped, or use the \
                  REST API"
            .into()),
    }
}

/// A command on an open store.
fn on_store(
    store: &store::Store,
    command: Command,
    progress: bool,
) -> Result<ExitCode, Box<dyn std::error::Error>> {
    match command {
        Command::Plan { action } => {
            let shown = match action {
                PlanAction::Show => plan::show(store)?,
                PlanAction::Publish { file, from } => plan::publish(store, &file, from)?,
                PlanAction::History => plan::history(store)?,
            };
            out!("{}", shown.trim_end());
            Ok(ExitCode::SUCCESS)
        }
        Command::Import {
            what: ImportKind::Original,
            file,
            dry_run,
            update,
        } => {
            if update {
                return Err(
                    "--update applies to a customers file, not to `import original`".into(),
                );
            }
            let report = original::run(store, &file, dry_run)?;
            let mut err = io::stderr().lock();
            for refused in &report.refused {
                writeln!(err, "{refused}")?;
            }
            for warning in &report.warnings {
                writeln!(err, "warning: {warning}")?;
            }
            out!("{}", report.summary());
            Ok(if report.refused.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
        Command::Import {
            what,
            file,
            dry_run,
            update,
        } => {
            if store.plan_versions().is_empty() {
                return Err(plan::none_yet());
            }
            let customers = matches!(what, ImportKind::Customers);
            let options = import::Options {
                dry_run,
                update,
                progress,
            };
            let report = import::run(store, customers, &file, options)?;
            let mut err = io::stderr().lock();
            for problem in &report.problems {
                writeln!(err, "{problem}")?;
            }
            out!("{}", report.summary());
            Ok(if report.problems.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
        Command::Export { what, output } => {
            let rows = match output {
                Some(path) => export::write(store, what, std::fs::File::create(&path)?)?,
                None => export::write(store, what, io::stdout().lock())?,
            };
            eprintln!("{rows} rows");
            Ok(ExitCode::SUCCESS)
        }
        Command::Report { from, to } => {
            export::revenue(store, from, to, io::stdout().lock())?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Events {
            after,
            types,
            follow,
        } => {
            events::run(store, after, &types, follow, io::stdout().lock())?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Check => {
            let report = check::run(store, progress)?;
            for problem in &report.problems {
                out!("{problem}");
            }
            out!("{}", report.summary());
            Ok(if report.problems.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
        Command::Backup { output } => {
            let written = dump::backup(store, output.as_deref(), progress)?;
            eprintln!("backed up: {written}");
            Ok(ExitCode::SUCCESS)
        }
        Command::Restore { file } => {
            let restored = dump::restore(store, &file, progress)?;
            out!("restored: {restored}");
            Ok(ExitCode::SUCCESS)
        }
        Command::Migrate { .. } => Err("migrate names its stores with --from and --to".into()),
        Command::Init { .. } => Err("init names its store as its argument".into()),
    }
}
