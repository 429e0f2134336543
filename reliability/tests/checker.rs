//! The checker must fail when the store and the log disagree: these tests run the workload on a `MemoryStorage`,
//! check that an honest run passes, then tamper with the log or the snapshot and expect a failure.

use std::path::Path;

use koko_core::{BookStore, CopyStatus, Decimal, MemoryStorage};
use koko_reliability::acklog::{read_log, AckLog, AckWriter, Entry};
use koko_reliability::snapshot::{check, Problem, Snapshot, SnapshotExt};
use koko_reliability::verify::{verify, Policy};
use koko_reliability::workload::{self, Step, Workload, WorkloadOptions};
use serde_json::Value;

#[path = "checker/circulation_log.rs"]
mod circulation_log;
#[path = "checker/circulation_store.rs"]
mod circulation_store;
#[path = "checker/feed.rs"]
mod feed;

/// The step after which `run` keeps a snapshot.
const MID: usize = 200;

struct Run {
    workload: Workload<MemoryStorage>,
    before: Snapshot,
    /// The store after the first `MID` steps.
    mid: Snapshot,
    log: AckLog,
    lines: Vec<Value>,
    dir: tempfile::TempDir,
}

/// A workload over a fresh in-memory store under the workload's plan, with its log begun.
struct Started {
    before: Snapshot,
    workload: Workload<MemoryStorage>,
    dir: tempfile::TempDir,
    path: std::path::PathBuf,
    log: AckWriter,
}

fn start(seed: u64, conflicts: bool) -> Started {
    let store = BookStore::in_memory(workload::plan()).unwrap();
    let before = Snapshot::read(store.storage()).unwrap();
    let options = WorkloadOptions {
        seed,
        conflicts,
        author_padding: 0,
    };
    let workload = Workload::new(store, options).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("acks.jsonl");
    let mut log = AckWriter::open(&path).unwrap();
    log.append(&Entry::Start {
        pid: 0,
        seed,
        durability: "memory".to_owned(),
    })
    .unwrap();
    Started {
        before,
        workload,
        dir,
        path,
        log,
    }
}

fn run(seed: u64, steps: usize) -> Run {
    let Started {
        before,
        mut workload,
        dir,
        path,
        mut log,
    } = start(seed, true);
    let mut provoked = 0;
    let mut mid = Snapshot::default();
    for step in 0..steps {
        if step == MID {
            mid = Snapshot::read(workload.store().storage()).unwrap();
        }
        match workload.step(&mut log).unwrap() {
            Step::Acked => {}
            Step::Failed { expected: true, .. } => provoked += 1,
            Step::Failed { kind, .. } => panic!("unexpected {kind} error on MemoryStorage"),
        }
    }
    assert!(provoked > 0, "no conflict provoked in {steps} steps");
    let text = std::fs::read_to_string(&path).unwrap();
    let lines = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    Run {
        workload,
        before,
        mid,
        log: read_log(&path).unwrap(),
        lines,
        dir,
    }
}

/// A run stopped after the operation `run_until` waited for.
struct InFlight {
    /// The store before the run.
    before: Snapshot,
    workload: Workload<MemoryStorage>,
    /// The log's lines, the last one the `ok` line of that operation: drop it, and the operation was in flight.
    lines: Vec<Value>,
    dir: tempfile::TempDir,
}

/// Runs the workload without provoked conflicts until `stop(step, last_line)` holds of the last line logged (at most
/// 5,000 steps).
fn run_until(seed: u64, stop: impl Fn(usize, &Value) -> bool) -> InFlight {
    let mut started = start(seed, false);
    for step in 0..5_000 {
        let acked = started.workload.step(&mut started.log).unwrap();
        assert_eq!(acked, Step::Acked);
        let text = std::fs::read_to_string(&started.path).unwrap();
        let last: Value = serde_json::from_str(text.lines().last().unwrap()).unwrap();
        if stop(step, &last) {
            let lines = text
                .lines()
                .map(|l| serde_json::from_str(l).unwrap())
                .collect();
            return InFlight {
                before: started.before,
                workload: started.workload,
                lines,
                dir: started.dir,
            };
        }
    }
    panic!("seed {seed}: the operation waited for did not come in 5,000 steps");
}

fn rewrite(dir: &Path, lines: &[Value]) -> AckLog {
    let path = dir.join("tampered.jsonl");
    let text: String = lines.iter().map(|v| format!("{v}\n")).collect();
    std::fs::write(&path, text).unwrap();
    read_log(&path).unwrap()
}

fn actual(run: &Run) -> Snapshot {
    Snapshot::read(run.workload.store().storage()).unwrap()
}

fn index_of(lines: &[Value], event: &str, kind: &str) -> usize {
    lines
        .iter()
        .position(|v| v["event"] == event && v["op"]["kind"] == kind)
        .unwrap_or_else(|| panic!("no {event} {kind} line"))
}

#[test]
fn an_honest_run_passes_every_check() {
    let run = run(1, 600);
    let actual = actual(&run);
    let stats = check(&actual).unwrap();
    assert!(stats.rentals > 50 && stats.open_rentals > 0, "{stats:?}");
    assert!(
        stats.payments > 20 && stats.entries > stats.payments,
        "{stats:?}"
    );
    let verified = verify(&run.before, &run.log, &actual, &Policy::durable()).unwrap();
    assert_eq!(verified.acked_present as usize, run.log.acked());
    assert_eq!(verified.payments, stats.payments);
    assert!(verified.failed > 0);
    // Payments inside batches too, and a provoked payment of nothing that changed nothing.
    assert!(run.lines.iter().any(|v| v["event"] == "ok"
        && v["op"]["ops"]
            .as_array()
            .is_some_and(|ops| ops.iter().any(|op| op["kind"] == "pay"))));
    assert!(run
        .lines
        .iter()
        .any(|v| v["event"] == "err" && v["op"]["kind"] == "pay" && v["kind"] == "InvalidInput"));
    // Renewals alone and inside batches, provoked refusals that changed nothing, and late fees charged.
    assert!(verified.renewals > 5, "{verified:?}");
    assert_eq!(verified.renewals, stats.renewals);
    assert!(run
        .lines
        .iter()
        .any(|v| v["event"] == "ok" && v["op"]["kind"] == "renew"));
    assert!(run.lines.iter().any(|v| v["event"] == "ok"
        && v["op"]["ops"]
            .as_array()
            .is_some_and(|ops| ops.iter().any(|op| op["kind"] == "renew"))));
    assert!(run.lines.iter().any(|v| v["event"] == "err"
        && v["op"]["kind"] == "renew"
        && (v["kind"] == "Blocked" || v["kind"] == "InvalidInput")));
    assert!(actual
        .rentals
        .values()
        .filter_map(|r| r.charge.as_ref())
        .any(|charge| charge
            .lines
            .iter()
            .any(|line| line.description.starts_with("late fee"))));
    // Holds placed, cancelled and expired, copies lost and found (some credited), damaged returns — alone and in
    // batches — each found as acknowledged; and the store holds them.
    let counts = [
        verified.holds_placed,
        verified.holds_cancelled,
        verified.holds_expired,
        verified.copies_lost,
        verified.found,
        verified.found_credits,
        verified.damaged,
    ];
    assert!(counts.iter().all(|n| *n > 0), "{verified:?}");
    assert_eq!(verified.holds_placed, stats.holds, "{verified:?} {stats:?}");
    assert_eq!(verified.copies_lost, stats.lost_rentals);
    assert!(
        stats.waiting_holds > 0 && stats.lost_copies > 0,
        "{stats:?}"
    );
    for kind in [
        "place_hold",
        "cancel_hold",
        "expire_holds",
        "declare_lost",
        "mark_found",
        "return",
    ] {
        assert!(
            run.lines.iter().any(|v| v["event"] == "ok"
                && v["op"]["ops"]
                    .as_array()
                    .is_some_and(|ops| ops.iter().any(|op| op["kind"] == kind))),
            "no acknowledged batch holds a {kind}"
        );
    }
    // Provoked refusals of the circulation rules, each failing as expected and changing nothing.
    for (kind, error) in [
        ("place_hold", "Duplicate"),
        ("cancel_hold", "InvalidInput"),
        ("mark_found", "InvalidInput"),
        ("rent_copy", "Unavailable"),
    ] {
        assert!(
            run.lines
                .iter()
                .any(|v| v["event"] == "err" && v["op"]["kind"] == kind && v["kind"] == error),
            "no provoked {error} of a {kind}"
        );
    }
}

#[test]
fn a_lost_or_altered_renewal_is_caught() {
    for tamper in ["lost", "due date"] {
        let run = run(15, 600);
        let i = index_of(&run.lines, "ok", "renew");
        let rental = run.lines[i]["op"]["rental"].as_u64().unwrap();
        let at: chrono::DateTime<chrono::Utc> =
            serde_json::from_value(run.lines[i]["op"]["at"].clone()).unwrap();
        let mut actual = actual(&run);
        let stored = actual.rentals.get_mut(&rental).unwrap();
        let due = stored.due_at.unwrap();
        match tamper {
            // The renewal vanished (and any after it): its instant is gone and the due date is the one the
            // renewals before it give, a consistent rental on its own.
            "lost" => {
                let index = stored.renewals.iter().position(|r| *r == at).unwrap();
                stored.renewals.truncate(index);
                let plan = workload::plan();
                let mut due_at = plan.due_at(&stored.category, stored.rented_at).unwrap();
                for (renewed, at) in stored.renewals.iter().enumerate() {
                    due_at = Some(
                        plan.renewed_due(&stored.category, due_at.unwrap(), *at, renewed)
                            .unwrap(),
                    );
                }
                stored.due_at = due_at;
            }
            // The renewal is there, but the due date is not the one it acknowledged.
            _ => stored.due_at = Some(due + chrono::Duration::days(1)),
        }
        let problems = verify(&run.before, &run.log, &actual, &Policy::durable()).unwrap_err();
        let named = match tamper {
            "lost" => problems
                .iter()
                .any(|p| p.contains("(Renew {") && p.contains("missing from the store")),
            _ => problems
                .iter()
                .any(|p| p.contains(&format!("rental {rental}: expected"))),
        };
        assert!(named, "{tamper}: {problems:?}");
        // On its own, the store is inconsistent too when the due date no longer follows from the renewals (a lost
        // renewal with its due date rolled back is consistent: only the log shows it).
        if tamper != "lost" {
            let invariants = check(&actual).unwrap_err();
            assert!(
                invariants.iter().any(|p| matches!(
                    p,
                    Problem::DueDateWrong { rental: r, .. } if r.get() == rental
                )),
                "{tamper}: {invariants:?}"
            );
        }
    }
}

#[test]
fn a_different_acknowledged_payment_is_caught() {
    for field in ["id", "amount", "balance_after"] {
        let mut run = run(11, 300);
        let i = index_of(&run.lines, "ok", "pay");
        let entry = &mut run.lines[i]["outcome"]["entry"];
        entry[field] = match field {
            "id" => Value::from(entry["id"].as_u64().unwrap() + 1_000),
            _ => {
                let value = entry[field].as_str().unwrap().parse::<Decimal>().unwrap();
                Value::String((value + Decimal::new(1, 2)).to_string())
            }
        };
        let log = rewrite(run.dir.path(), &run.lines);
        let problems = verify(&run.before, &log, &actual(&run), &Policy::durable()).unwrap_err();
        assert!(
            problems.iter().any(|p| p.contains("(Pay {")),
            "{field}: {problems:?}"
        );
    }
}

#[test]
fn a_different_acknowledged_charge_entry_is_caught() {
    let mut run = run(12, 300);
    let i = index_of(&run.lines, "ok", "return");
    let entry = &mut run.lines[i]["outcome"]["charge_entry"];
    let balance = entry["balance_after"]
        .as_str()
        .unwrap()
        .parse::<Decimal>()
        .unwrap();
    entry["balance_after"] = Value::String((balance - Decimal::ONE).to_string());
    let log = rewrite(run.dir.path(), &run.lines);
    let problems = verify(&run.before, &log, &actual(&run), &Policy::durable()).unwrap_err();
    assert!(
        problems
            .iter()
            .any(|p| p.contains("acknowledged charge entry")),
        "{problems:?}"
    );
}

#[test]
fn an_acknowledged_payment_missing_from_the_store_is_caught() {
    let run = run(13, 300);
    let i = index_of(&run.lines, "ok", "pay");
    let id = run.lines[i]["outcome"]["entry"]["id"].as_u64().unwrap();
    let mut actual = actual(&run);
    actual.ledger.remove(&id);
    let problems = verify(&run.before, &run.log, &actual, &Policy::durable()).unwrap_err();
    assert!(
        problems
            .iter()
            .any(|p| p.contains("missing from the store")),
        "{problems:?}"
    );
}

#[test]
fn a_payment_in_flight_at_the_kill_is_whole_or_absent() {
    // Run until the last logged operation is a payment, then drop its `ok` line: it was in flight at the kill.
    let InFlight {
        before,
        workload,
        mut lines,
        dir,
    } = run_until(14, |step, last| step > 100 && last["op"]["kind"] == "pay");
    let payment = lines.pop().unwrap();
    let entry = payment["outcome"]["entry"]["id"].as_u64().unwrap();
    let customer = payment["op"]["customer"].as_u64().unwrap();
    let whole = Snapshot::read(workload.store().storage()).unwrap();
    let log = rewrite(dir.path(), &lines);

    // Wholly present: committed.
    let verified = verify(&before, &log, &whole, &Policy::durable()).unwrap();
    assert_eq!(verified.in_flight_committed, 1);

    // Wholly absent: the entry gone and the balance as before it.
    let mut absent = whole.clone();
    let removed = absent.ledger.remove(&entry).unwrap();
    absent.accounts.get_mut(&customer).unwrap().balance += removed.amount;
    let verified = verify(&before, &log, &absent, &Policy::durable()).unwrap();
    assert_eq!(verified.in_flight_absent, 1);

    // Half applied: the balance moved, the entry missing (or the other way round).
    let mut half = whole.clone();
    half.ledger.remove(&entry);
    assert!(verify(&before, &log, &half, &Policy::durable()).is_err());
    assert!(check(&half).is_err());
    let mut half = absent.clone();
    half.ledger.insert(entry, removed);
    assert!(verify(&before, &log, &half, &Policy::durable()).is_err());
}

#[test]
fn broken_ledger_invariants_are_caught() {
    let run = run(15, 400);
    let good = actual(&run);
    check(&good).unwrap();
    let expect = |bad: &Snapshot, what: &str, wanted: &dyn Fn(&Problem) -> bool| {
        let problems = check(bad).unwrap_err();
        assert!(problems.iter().any(wanted), "{what}: {problems:?}");
    };
    // A stored balance that is not the sum of the ledger.
    let mut bad = good.clone();
    let (customer, _) = bad
        .accounts
        .iter()
        .find(|(id, _)| bad.ledger_of(**id).next().is_some())
        .unwrap();
    let customer = *customer;
    bad.accounts.get_mut(&customer).unwrap().balance += Decimal::ONE;
    expect(
        &bad,
        "stored balance",
        &|p| matches!(p, Problem::AccountBalance { customer: c, .. } if c.get() == customer),
    );
    // An entry whose balance after is not the running sum.
    let mut bad = good.clone();
    let entry = bad.ledger.values_mut().next().unwrap();
    entry.balance_after += Decimal::new(1, 2);
    let entry = entry.id;
    expect(
        &bad,
        "running balance",
        &|p| matches!(p, Problem::RunningBalance { entry: e, .. } if *e == entry),
    );
    // A closed rental without its charge entry.
    let mut bad = good.clone();
    let closed = bad
        .rentals
        .values()
        .find(|r| r.returned_at.is_some())
        .unwrap()
        .clone();
    let charge = bad.charge_entries(closed.id.get()).next().unwrap().clone();
    bad.ledger.remove(&charge.id.get());
    expect(
        &bad,
        "missing charge entry",
        &|p| matches!(p, Problem::ChargeEntryCount { rental, entries } if *rental == closed.id && entries.is_empty()),
    );
    // A charge entry of the wrong amount.
    let mut bad = good.clone();
    bad.ledger.get_mut(&charge.id.get()).unwrap().amount += Decimal::ONE;
    expect(
        &bad,
        "charge entry of another amount",
        &|p| matches!(p, Problem::ChargeEntryMismatch { rental, entry, .. } if *rental == closed.id && *entry == charge.id),
    );
    // A charge entry on an open rental.
    let mut bad = good.clone();
    let open = bad
        .rentals
        .values()
        .find(|r| r.returned_at.is_none())
        .unwrap()
        .clone();
    let mut twin = charge.clone();
    twin.id = koko_core::LedgerEntryId::new(bad.max_ids().entry + 1);
    twin.rental = Some(open.id);
    let twin_id = twin.id;
    bad.ledger.insert(twin.id.get(), twin);
    expect(
        &bad,
        "charged open rental",
        &|p| matches!(p, Problem::OpenRentalCharged { rental, entries } if *rental == open.id && entries == &[twin_id]),
    );
    // An account that miscounts its open rentals.
    let mut bad = good.clone();
    bad.accounts
        .get_mut(&open.customer.get())
        .unwrap()
        .open_rentals += 1;
    expect(
        &bad,
        "open rentals counted",
        &|p| matches!(p, Problem::OpenRentalCount { customer, counted, open: n } if *customer == open.customer && *counted == n + 1),
    );
}

#[test]
fn a_torn_final_line_is_ignored_but_a_torn_line_before_it_is_not() {
    let run = run(2, 300);
    let path = run.dir.path().join("torn.jsonl");
    let mut text: String = run.lines.iter().map(|v| format!("{v}\n")).collect();
    text.push_str("{\"event\":\"begin\",\"seq\":300,\"op\":{\"ki");
    std::fs::write(&path, &text).unwrap();
    let log = read_log(&path).unwrap();
    assert!(log.torn_tail);
    assert_eq!(log.ops.len(), run.log.ops.len());
    text.push_str("\n{\"event\":\"start\",\"pid\":1,\"seed\":1,\"durability\":\"every\"}\n");
    std::fs::write(&path, &text).unwrap();
    assert!(read_log(&path).unwrap_err().contains("not a whole entry"));
}

#[test]
fn a_different_acknowledged_charge_is_caught() {
    let mut run = run(3, 300);
    let i = index_of(&run.lines, "ok", "return");
    let total = run.lines[i]["outcome"]["rental"]["charge"]["total"]
        .as_str()
        .unwrap()
        .parse::<Decimal>()
        .unwrap();
    run.lines[i]["outcome"]["rental"]["charge"]["total"] =
        Value::String((total + Decimal::new(1, 2)).to_string());
    let log = rewrite(run.dir.path(), &run.lines);
    let problems = verify(&run.before, &log, &actual(&run), &Policy::durable()).unwrap_err();
    assert!(
        problems.iter().any(|p| p.contains("rental")),
        "{problems:?}"
    );
}

#[test]
fn an_acknowledged_rental_missing_from_the_store_is_caught() {
    let run = run(4, 300);
    let mut actual = actual(&run);
    let i = index_of(&run.lines, "ok", "rent_book");
    let id = run.lines[i]["outcome"]["rental"]["id"].as_u64().unwrap();
    actual.rentals.remove(&id);
    let problems = verify(&run.before, &run.log, &actual, &Policy::durable()).unwrap_err();
    assert!(
        problems
            .iter()
            .any(|p| p.contains("missing from the store")),
        "{problems:?}"
    );
}

#[test]
fn an_unlogged_change_in_the_store_is_caught() {
    let mut run = run(5, 300);
    // Forget an acknowledged registration: the store holds a customer the log does not account for.
    let i = index_of(&run.lines, "ok", "register_customer");
    let seq = run.lines[i]["seq"].clone();
    run.lines
        .retain(|v| !(v["seq"] == seq && (v["event"] == "ok" || v["event"] == "begin")));
    let log = rewrite(run.dir.path(), &run.lines);
    assert!(verify(&run.before, &log, &actual(&run), &Policy::durable()).is_err());
}

#[test]
fn a_provoked_conflict_that_succeeded_is_caught() {
    let mut run = run(6, 300);
    let i = run
        .lines
        .iter()
        .position(|v| v["event"] == "begin" && v["expect"].is_string())
        .unwrap();
    let j = index_of(&run.lines[..i], "begin", "rent_book");
    // Claim an ordinary rent was meant to fail.
    run.lines[j]["expect"] = Value::String("Unavailable".to_owned());
    let log = rewrite(run.dir.path(), &run.lines);
    let problems = verify(&run.before, &log, &actual(&run), &Policy::durable()).unwrap_err();
    assert!(
        problems.iter().any(|p| p.contains("but succeeded")),
        "{problems:?}"
    );
}

#[test]
fn only_a_recent_suffix_may_be_lost_in_interval_mode() {
    let run = run(7, 300);
    let full = actual(&run);
    let mid = run.mid.clone();
    let acked_after_mid: Vec<u64> = run
        .lines
        .iter()
        .skip_while(|v| v["seq"].as_u64().is_none_or(|seq| seq < MID as u64))
        .filter(|v| v["event"] == "ok")
        .map(|v| v["acked_ns"].as_u64().unwrap())
        .collect();
    let first_lost_ns = acked_after_mid[0];
    // The store as it was after the first MID operations: the later ones are a lost suffix, allowed when the loss
    // window covers them ...
    let verified = verify(&run.before, &run.log, &mid, &interval_policy(first_lost_ns)).unwrap();
    assert_eq!(verified.lost.len(), acked_after_mid.len());
    // ... and caught when the first lost one was acknowledged before the window opened.
    let problems = verify(
        &run.before,
        &run.log,
        &mid,
        &interval_policy(first_lost_ns + 1),
    )
    .unwrap_err();
    assert!(
        problems
            .iter()
            .any(|p| p.contains("missing from the store")),
        "{problems:?}"
    );
    // A hole (the first book missing, later records present) is never allowed, whatever the window.
    let mut hole = full.clone();
    let first = *hole.books.keys().next().unwrap();
    hole.books.remove(&first);
    assert!(verify(&run.before, &run.log, &hole, &interval_policy(0)).is_err());
}

fn interval_policy(from_ns: u64) -> Policy {
    Policy {
        loss_allowed_from_ns: Some(from_ns),
        ..Policy::durable()
    }
}

#[test]
fn broken_invariants_are_caught() {
    let run = run(8, 300);
    let good = actual(&run);
    // A rented copy shown as available: a copy with an open rental but no mark.
    let mut bad = good.clone();
    let open = bad
        .rentals
        .values()
        .find(|r| r.returned_at.is_none())
        .unwrap()
        .clone();
    bad.copies.get_mut(&open.copy.get()).unwrap().status = CopyStatus::Available;
    let problems = check(&bad).unwrap_err();
    assert!(
        problems.iter().any(|p| matches!(
            p,
            Problem::OpenRentalNotMarked { rental, copy, status: CopyStatus::Available }
                if *rental == open.id && *copy == open.copy
        )),
        "{problems:?}"
    );
    // A second open rental on the same copy.
    let mut bad = good.clone();
    let mut twin = open.clone();
    twin.id = koko_core::RentalId::new(bad.max_ids().rental + 1);
    let twin_id = twin.id;
    bad.rentals.insert(twin.id.get(), twin);
    let problems = check(&bad).unwrap_err();
    assert!(
        problems.iter().any(|p| matches!(
            p,
            Problem::SeveralOpenRentals { copy, rentals } if *copy == open.copy && rentals == &[open.id, twin_id]
        )),
        "{problems:?}"
    );
    // A charge that is not the quote for the rental's times.
    let mut bad = good.clone();
    let closed = bad
        .rentals
        .values_mut()
        .find(|r| r.returned_at.is_some())
        .unwrap();
    closed.charge.as_mut().unwrap().total += Decimal::ONE;
    let closed = closed.id;
    let problems = check(&bad).unwrap_err();
    assert!(
        problems.iter().any(|p| matches!(
            p,
            Problem::ChargeNotQuote { rental, charged, quote } if *rental == closed && *charged == quote + Decimal::ONE
        )),
        "{problems:?}"
    );
}

/// The last acknowledged batch whose first operation adds something with a key of its own (a book or a customer),
/// and the store without that one record: the rest of the batch is still there.
fn half_a_batch(run: &Run) -> (usize, Snapshot) {
    let i = run
        .lines
        .iter()
        .rposition(|v| {
            v["event"] == "ok"
                && v["op"]["kind"] == "batch"
                && v["outcome"]["outcomes"]
                    .as_array()
                    .is_some_and(|o| o.len() >= 2 && o[0]["kind"] != "rental")
        })
        .expect("an acknowledged batch adding a book or customer first");
    let mut actual = actual(run);
    let first = &run.lines[i]["outcome"]["outcomes"][0];
    match first["kind"].as_str() {
        Some("book") => {
            let id = first["book"]["id"].as_u64().unwrap();
            actual.books.remove(&id);
            for copy in actual.book_copies.remove(&id).unwrap_or_default() {
                actual.copies.remove(&copy);
            }
        }
        _ => {
            actual
                .customers
                .remove(&first["customer"]["id"].as_u64().unwrap());
        }
    }
    (i, actual)
}

#[test]
fn an_acknowledged_batch_found_half_applied_is_caught() {
    let run = run(9, 600);
    let (_, actual) = half_a_batch(&run);
    assert!(verify(&run.before, &run.log, &actual, &Policy::durable()).is_err());
    // Even where losing a suffix is allowed: a batch is whole or absent, never a part of it.
    assert!(verify(&run.before, &run.log, &actual, &interval_policy(0)).is_err());
}

#[test]
fn a_batch_in_flight_at_the_kill_found_half_applied_is_caught() {
    // Run until the last logged operation is a batch that adds a book or a customer first.
    let InFlight {
        before,
        workload,
        mut lines,
        dir,
    } = run_until(10, |_, last| {
        let first = &last["outcome"]["outcomes"][0];
        last["op"]["kind"] == "batch" && (first["kind"] == "book" || first["kind"] == "customer")
    });
    let batch = lines.pop().unwrap(); // its `ok` line: without it, the batch was in flight at the kill
    let whole = Snapshot::read(workload.store().storage()).unwrap();
    let log = rewrite(dir.path(), &lines);

    // Wholly present: committed.
    let verified = verify(&before, &log, &whole, &Policy::durable()).unwrap();
    assert_eq!(
        (verified.in_flight_committed, verified.in_flight_batches),
        (1, 1)
    );

    // Half present: caught.
    let mut half = whole.clone();
    let first = &batch["outcome"]["outcomes"][0];
    if first["kind"] == "book" {
        let id = first["book"]["id"].as_u64().unwrap();
        half.books.remove(&id);
        for copy in half.book_copies.remove(&id).unwrap_or_default() {
            half.copies.remove(&copy);
        }
    } else {
        half.customers
            .remove(&first["customer"]["id"].as_u64().unwrap());
    }
    let problems = verify(&before, &log, &half, &Policy::durable()).unwrap_err();
    assert!(
        problems.iter().any(|p| p.contains("half applied")),
        "{problems:?}"
    );
}
