//! `koko backup`, `koko restore` and `koko migrate`: koko-core's dumps (`koko_core::backup`), with a spinner
//! counting records on a terminal.

use std::fs::File;
use std::io::{self, BufReader, BufWriter, Write};
use std::path::Path;

use indicatif::{ProgressBar, ProgressStyle};
use koko_core::backup::{self, DumpRecord, DumpSummary};

use crate::store::Store;

/// A spinner with a record count on a terminal; nothing otherwise.
fn counter(shown: bool, message: &'static str) -> ProgressBar {
    if !shown {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new_spinner();
    if let Ok(style) = ProgressStyle::with_template("{spinner} {msg}: {pos} records ({per_sec})") {
        bar.set_style(style);
    }
    bar.set_message(message);
    bar
}

/// Writes a dump of `store` to `output` (standard output when `None`).
pub(crate) fn backup(
    store: &Store,
    output: Option<&Path>,
    progress: bool,
) -> Result<DumpSummary, Box<dyn std::error::Error>> {
    let bar = counter(progress, "backing up");
    let mut observe = |_: &DumpRecord| bar.inc(1);
    let summary = match output {
        Some(path) => {
            let mut out = BufWriter::new(File::create(path)?);
            let summary = backup::backup_observed(store.storage(), &mut out, &mut observe)?;
            out.into_inner().map_err(|e| e.into_error())?.sync_all()?;
            summary
        }
        None => {
            let mut out = BufWriter::new(io::stdout().lock());
            let summary = backup::backup_observed(store.storage(), &mut out, &mut observe)?;
            out.flush()?;
            summary
        }
    };
    bar.finish_and_clear();
    Ok(summary)
}

/// Restores the dump in `input` into the empty `store`.
pub(crate) fn restore(
    store: &Store,
    input: &Path,
    progress: bool,
) -> Result<DumpSummary, Box<dyn std::error::Error>> {
    let bar = counter(progress, "restoring");
    let file = BufReader::new(File::open(input)?);
    let summary =
        backup::restore_observed(store.storage(), file, &mut |_: &DumpRecord| bar.inc(1))?;
    bar.finish_and_clear();
    Ok(summary)
}

/// Copies `from` into the empty `to` and verifies it.
pub(crate) fn migrate(
    from: &Store,
    to: &Store,
    progress: bool,
) -> Result<DumpSummary, Box<dyn std::error::Error>> {
    let bar = counter(progress, "migrating");
    let summary = backup::migrate_observed(from.storage(), to.storage(), &mut |_: &DumpRecord| {
        bar.inc(1)
    })?;
    bar.finish_and_clear();
    Ok(summary)
}
