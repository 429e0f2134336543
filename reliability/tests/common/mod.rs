//! Helpers shared by the crash and disk-full tests.
#![allow(dead_code)]

use std::fs::File;
use std::path::Path;
use std::process::{Child, Command, Stdio};

use chrono::Duration;
use koko_core::{
    BookStore, Decimal, Durability, EntryKind, NewBook, NewCustomer, Operation, SledOptions,
    SledStorage, Storage, DEFAULT_PLAN_START,
};
use koko_reliability::snapshot::{self, Snapshot, SnapshotExt};
use koko_reliability::workload::{self, epoch};

/// The writer binary cargo built for these tests.
pub const WRITER: &str = env!("CARGO_BIN_EXE_crash_writer");

/// A child process killed (SIGKILL) and reaped when dropped, so a failing test leaves no writer behind.
pub struct KillOnDrop(pub Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts the writer with `args`, its stdout discarded and its stderr in `stderr`.
pub fn spawn_writer(args: &[String], stderr: &Path) -> KillOnDrop {
    let child = Command::new(WRITER)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(File::create(stderr).expect("create the writer's stderr file"))
        .spawn()
        .expect("start crash_writer");
    KillOnDrop(child)
}

/// The last `lines` lines of a text file (for failure messages).
pub fn tail(path: &Path, lines: usize) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

/// Opens the store in this process without writing to it (no default plan is published).
pub fn open_store(dir: &Path, durability: Durability) -> Result<BookStore<SledStorage>, String> {
    let options = SledOptions {
        durability,
        cache_capacity: None,
    };
    let storage = SledStorage::open_with(dir, options)
        .map_err(|e| format!("reopening the store: {} ({e})", e.kind()))?;
    BookStore::open(storage).map_err(|e| format!("reading the plans: {} ({e})", e.kind()))
}

/// The plan versions a writer leaves: none (killed before publishing) or the workload's plan (story 3 with loan
/// periods, renewals, holds and replacement fees) from the default start.
pub fn check_plans(actual: &Snapshot) -> Result<(), String> {
    match actual.plans.as_slice() {
        [] => Ok(()),
        [only] if only.plan == workload::plan() && only.effective_from == DEFAULT_PLAN_START => {
            Ok(())
        }
        other => Err(format!("unexpected plan versions: {other:?}")),
    }
}

/// After the checks: one more of each write (a return, then a payment of what it charged), whose new ids must be
/// above every stored one; returns the store as it is afterwards (the next cycle's starting point).
pub fn one_more_round(
    store: &BookStore<SledStorage>,
    actual: &Snapshot,
    tag: &str,
) -> Result<Snapshot, String> {
    let fail =
        |what: &str, e: koko_core::Error| format!("{what} after reopening: {} ({e})", e.kind());
    if store.plan_versions().is_empty() {
        store
            .publish_plan(workload::plan(), DEFAULT_PLAN_START)
            .map_err(|e| fail("publishing the plan", e))?;
    }
    let max = actual.max_ids();
    let at = actual.latest_instant().unwrap_or(epoch()) + Duration::days(1);
    let customer = store
        .register_customer(&NewCustomer::new("Checker", tag))
        .map_err(|e| fail("registering a customer", e))?;
    let book = store
        .add_book(
            &NewBook::new(format!("Check {tag}"), "Checker", "regular"),
            1,
        )
        .map_err(|e| fail("adding a book", e))?;
    let copies = store
        .copies(book.id)
        .map_err(|e| fail("listing copies", e))?;
    let copy = copies.first().ok_or("the new book has no copy")?;
    let rental = store
        .rent_copy_at(customer.id, copy.id, at)
        .map_err(|e| fail("renting", e))?;
    let receipt = store
        .return_rental_at(rental.id, at + Duration::hours(73))
        .map_err(|e| fail("returning", e))?;
    let charge = store
        .storage()
        .charge_entry(rental.id)
        .map_err(|e| fail("reading the charge entry", e))?
        .ok_or("the return after reopening posted no charge entry")?;
    let payment = store
        .storage()
        .apply(Operation::Pay {
            customer: customer.id,
            amount: receipt.charge.total,
            currency: None,
            at: at + Duration::hours(73),
            note: Some("check".to_owned()),
        })
        .and_then(|outcome| outcome.into_entry())
        .map_err(|e| fail("paying", e))?;
    if charge.kind != EntryKind::Charge
        || charge.balance_after != receipt.balance
        || receipt.balance != receipt.charge.total
        || payment.balance_after != Decimal::ZERO
    {
        return Err(format!(
            "after reopening, a new customer's return and payment of its charge left the balances {} (receipt), \
             {} (charge entry) and {} (payment entry); {}, {} and 0 expected",
            receipt.balance,
            charge.balance_after,
            payment.balance_after,
            receipt.charge.total,
            receipt.charge.total
        ));
    }
    let new = [
        ("customer", customer.id.get(), max.customer),
        ("book", book.id.get(), max.book),
        ("copy", copy.id.get(), max.copy),
        ("rental", rental.id.get(), max.rental),
        ("ledger entry", charge.id.get(), max.entry),
        ("ledger entry", payment.id.get(), charge.id.get()),
    ];
    for (kind, id, stored_max) in new {
        if id <= stored_max {
            return Err(format!(
                "after reopening, the next {kind} id is {id}, not above the stored maximum {stored_max}"
            ));
        }
    }
    let quote = workload::plan()
        .quote("regular", at, at + Duration::hours(73))
        .map_err(|e| fail("quoting", e))?;
    if receipt.charge != quote || quote.total.to_string() != "3.50" {
        return Err(format!(
            "a 73-hour regular rental after reopening was charged {}, the quote is {} (3.50 expected)",
            receipt.charge.total, quote.total
        ));
    }
    store.flush().map_err(|e| fail("flushing", e))?;
    snapshot::read(store)
}
