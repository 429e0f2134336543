//! `koko check`: the store's invariants, as `koko_core::check` states and checks them (one open rental per rented
//! copy and vice versa, every closed rental charged exactly its quote and once in its customer's ledger, ledgers
//! adding up to balances, copies set aside exactly for the ready holds naming them, lost copies' fees, the
//! indexes, …), streamed through the store's public reads; one line per problem, then a summary.

use koko_core::check::{self, CheckStats, Problem, Step};

use crate::import::progress;
use crate::store::Store;

/// What a check found.
pub(crate) struct Report {
    stats: CheckStats,
    pub(crate) problems: Vec<Problem>,
}

impl Report {
    pub(crate) fn summary(&self) -> String {
        let s = &self.stats;
        format!(
            "checked {} books, {} copies, {} customers, {} rentals, {} ledger entries: {}",
            s.books,
            s.copies,
            s.customers,
            s.rentals,
            s.entries,
            match self.problems.len() {
                0 => "no problem".to_owned(),
                n => format!("{n} problems"),
            }
        )
    }
}

/// Checks `store`, with a progress bar counting the rentals when `shown`.
pub(crate) fn run(store: &Store, shown: bool) -> Result<Report, Box<dyn std::error::Error>> {
    let mut bar = None;
    let report = check::check_storage(store.storage(), &mut |step| {
        if step == Step::Rental {
            bar.get_or_insert_with(|| progress(0, shown, "checking rentals"))
                .inc(1);
        }
    })?;
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    Ok(Report {
        stats: report.stats,
        problems: report.problems,
    })
}
