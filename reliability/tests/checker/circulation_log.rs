//! Holds, losses, finds and damaged returns against the log: the checker must report an acknowledged one that is
//! missing, behind what was acknowledged, or different from it, and require one in flight at the kill wholly
//! present or wholly absent.

use koko_core::{CopyStatus, Decimal, HoldStatus};
use koko_reliability::snapshot::Snapshot;
use koko_reliability::verify::{verify, Policy};
use serde_json::Value;

use super::{actual, rewrite, run, run_until, InFlight, Run};

/// The first `ok` line of an operation of `kind` for which `wanted` holds.
fn acked<'a>(run: &'a Run, kind: &str, wanted: impl Fn(&Value) -> bool) -> &'a Value {
    run.lines
        .iter()
        .find(|v| v["event"] == "ok" && v["op"]["kind"] == kind && wanted(v))
        .unwrap_or_else(|| panic!("no acknowledged {kind} of the kind wanted"))
}

/// `actual`, damaged by `plant`, fails the check against the run's log with a problem containing every one of
/// `needles`.
fn caught(run: &Run, actual: &Snapshot, needles: &[&str], plant: impl FnOnce(&mut Snapshot)) {
    let mut bad = actual.clone();
    plant(&mut bad);
    let problems = verify(&run.before, &run.log, &bad, &Policy::durable()).unwrap_err();
    assert!(
        problems
            .iter()
            .any(|p| needles.iter().all(|needle| p.contains(needle))),
        "{needles:?}: {problems:?}"
    );
}

/// The problem an acknowledged operation missing from the store is reported with.
fn missing(acked: &Value, kind: &str) -> [String; 2] {
    [
        format!("op {} ({kind} {{", acked["seq"]),
        "acknowledged but missing from the store".to_owned(),
    ]
}

fn id(value: &Value) -> u64 {
    value.as_u64().unwrap()
}

#[test]
fn an_acknowledged_hold_missing_or_behind_is_caught() {
    let run = run(21, 600);
    let good = actual(&run);
    verify(&run.before, &run.log, &good, &Policy::durable()).unwrap();
    // A placed hold gone.
    let placed = acked(&run, "place_hold", |_| true);
    let [op, lost] = missing(placed, "PlaceHold");
    caught(&run, &good, &[&op, &lost], |bad| {
        bad.holds.remove(&id(&placed["outcome"]["hold"]["id"]));
    });
    // A cancelled hold back to waiting: not as far on as acknowledged.
    let cancel = acked(&run, "cancel_hold", |_| true);
    let [op, lost] = missing(cancel, "CancelHold");
    caught(&run, &good, &[&op, &lost], |bad| {
        let hold = bad.holds.get_mut(&id(&cancel["op"]["hold"])).unwrap();
        (hold.status, hold.closed_at) = (HoldStatus::Waiting, None);
    });
    // The holds an expiry expired, still ready.
    let expiry = acked(&run, "expire_holds", |v| {
        v["outcome"]["holds"][0].is_object()
    });
    let [op, lost] = missing(expiry, "ExpireHolds");
    caught(&run, &good, &[&op, &lost], |bad| {
        for expired in expiry["outcome"]["holds"].as_array().unwrap() {
            let hold = bad.holds.get_mut(&id(&expired["id"])).unwrap();
            (hold.status, hold.closed_at) = (HoldStatus::Ready, None);
        }
    });
}

#[test]
fn a_copy_set_aside_for_a_later_hold_than_the_first_in_the_queue_is_caught() {
    // A store where a book has a ready hold and a later waiting one: the copy passes to the later one instead.
    let (run, good, ready, waiting) = (30..60)
        .find_map(|seed| {
            let run = run(seed, 600);
            let good = actual(&run);
            let pair = good
                .holds
                .values()
                .filter(|r| r.status == HoldStatus::Ready)
                .find_map(|r| {
                    good.holds
                        .values()
                        .find(|w| {
                            w.status == HoldStatus::Waiting && w.book == r.book && w.id > r.id
                        })
                        .map(|w| (r.clone(), w.clone()))
                })?;
            Some((run, good.clone(), pair.0, pair.1))
        })
        .expect("no seed from 30 to 59 leaves a ready hold with a later waiting hold of its book");
    let needle = format!("hold {}: expected", waiting.id);
    caught(&run, &good, &[&needle], |bad| {
        let copy = ready.copy.unwrap();
        let jumped = bad.holds.get_mut(&waiting.id.get()).unwrap();
        (jumped.status, jumped.copy, jumped.ready_until) =
            (HoldStatus::Ready, ready.copy, ready.ready_until);
        let passed = bad.holds.get_mut(&ready.id.get()).unwrap();
        (passed.status, passed.copy, passed.ready_until) = (HoldStatus::Waiting, None, None);
        bad.copies.get_mut(&copy.get()).unwrap().status = CopyStatus::OnHold(waiting.id);
    });
}

#[test]
fn an_acknowledged_loss_missing_or_without_its_fees_is_caught() {
    let run = run(22, 600);
    let good = actual(&run);
    let lost = acked(&run, "declare_lost", |v| {
        v["outcome"]["rental"]["category"] == "regular"
    });
    let rental = id(&lost["op"]["rental"]);
    // The loss undone: the rental open again.
    let [op, missed] = missing(lost, "DeclareLost");
    caught(&run, &good, &[&op, &missed], |bad| {
        let stored = bad.rentals.get_mut(&rental).unwrap();
        (stored.lost, stored.returned_at, stored.charge) = (false, None, None);
    });
    // Each fee the loss acknowledged (replacement 20.00, processing 5.00), gone from the ledger.
    let fees = lost["outcome"]["fees"].as_array().unwrap();
    assert_eq!(fees.len(), 2, "{lost}");
    for fee in fees {
        let entry = id(&fee["id"]);
        let needle = format!("ledger entry {entry}: expected");
        caught(&run, &good, &[&needle], |bad| {
            bad.ledger.remove(&entry);
        });
    }
    // An acknowledged fee entry different from the stored one.
    let mut lines = run.lines.clone();
    let i = lines.iter().position(|v| v == lost).unwrap();
    lines[i]["outcome"]["fees"][1]["amount"] = Value::String("4.00".to_owned());
    let log = rewrite(run.dir.path(), &lines);
    let problems = verify(&run.before, &log, &good, &Policy::durable()).unwrap_err();
    assert!(
        problems.iter().any(|p| p.contains(&format!(
            "lost rental {rental}'s acknowledged processing fee entry"
        ))),
        "{problems:?}"
    );
}

#[test]
fn a_found_copy_without_its_credit_or_a_damaged_return_without_its_fee_is_caught() {
    let run = run(23, 600);
    let good = actual(&run);
    let found = acked(&run, "mark_found", |v| v["outcome"]["credit"].is_object());
    let credit = id(&found["outcome"]["credit"]["id"]);
    let needle = format!("ledger entry {credit}: expected");
    caught(&run, &good, &[&needle], |bad| {
        bad.ledger.remove(&credit);
    });
    // The found copy still lost.
    let copy = id(&found["op"]["copy"]);
    let lost_under = found["outcome"]["credit"]["rental"].as_u64().unwrap();
    let [op, missed] = missing(found, "MarkFound");
    caught(&run, &good, &[&op, &missed], |bad| {
        bad.copies.get_mut(&copy).unwrap().status =
            CopyStatus::Lost(koko_core::RentalId::new(lost_under));
    });
    let damaged = acked(&run, "return", |v| v["op"]["damage"].is_object());
    let fee = id(&damaged["outcome"]["fees"][0]["id"]);
    let needle = format!("ledger entry {fee}: expected");
    caught(&run, &good, &[&needle], |bad| {
        bad.ledger.get_mut(&fee).unwrap().amount += Decimal::ONE;
    });
}

#[test]
fn a_hold_in_flight_at_the_kill_is_whole_or_absent() {
    // The last operation places a hold that takes a copy off the shelf; without its `ok` line it was in flight.
    let InFlight {
        before,
        workload,
        mut lines,
        dir,
    } = run_until(25, |step, last| {
        step > 100
            && last["op"]["kind"] == "place_hold"
            && last["outcome"]["hold"]["status"] == "ready"
    });
    let placed = lines.pop().unwrap();
    let hold = id(&placed["outcome"]["hold"]["id"]);
    let copy = id(&placed["outcome"]["hold"]["copy"]);
    let whole = Snapshot::read(workload.store().storage()).unwrap();
    let log = rewrite(dir.path(), &lines);
    let verified = verify(&before, &log, &whole, &Policy::durable()).unwrap();
    assert_eq!(verified.in_flight_committed, 1);
    // Wholly absent: no hold, the copy on the shelf.
    let mut absent = whole.clone();
    absent.holds.remove(&hold);
    absent.copies.get_mut(&copy).unwrap().status = CopyStatus::Available;
    let verified = verify(&before, &log, &absent, &Policy::durable()).unwrap();
    assert_eq!(verified.in_flight_absent, 1);
    // Half: the hold gone but the copy still set aside for it (or the other way round).
    let mut half = whole.clone();
    half.holds.remove(&hold);
    assert!(verify(&before, &log, &half, &Policy::durable()).is_err());
    let mut half = absent;
    half.holds.insert(hold, whole.holds[&hold].clone());
    assert!(verify(&before, &log, &half, &Policy::durable()).is_err());
}

#[test]
fn a_loss_in_flight_at_the_kill_is_whole_or_absent() {
    let InFlight {
        before,
        workload,
        mut lines,
        dir,
    } = run_until(26, |step, last| {
        step > 100
            && last["op"]["kind"] == "declare_lost"
            && last["outcome"]["rental"]["category"] == "regular"
    });
    let lost = lines.pop().unwrap();
    let rental = id(&lost["op"]["rental"]);
    let whole = Snapshot::read(workload.store().storage()).unwrap();
    let log = rewrite(dir.path(), &lines);
    let verified = verify(&before, &log, &whole, &Policy::durable()).unwrap();
    assert_eq!(verified.in_flight_committed, 1);
    // Wholly absent: the rental open, its copy rented, no charge or fee entry, the balance as before.
    let mut absent = whole.clone();
    let stored = absent.rentals.get_mut(&rental).unwrap();
    (stored.lost, stored.returned_at, stored.charge) = (false, None, None);
    let (customer, copy) = (stored.customer, stored.copy);
    absent.copies.get_mut(&copy.get()).unwrap().status =
        CopyStatus::Rented(koko_core::RentalId::new(rental));
    let posted: Vec<u64> = absent
        .ledger
        .values()
        .filter(|e| e.rental.map(|r| r.get()) == Some(rental))
        .map(|e| e.id.get())
        .collect();
    assert_eq!(
        posted.len(),
        3,
        "a charge, a replacement fee and a processing fee"
    );
    let account = absent.accounts.get_mut(&customer.get()).unwrap();
    account.open_rentals += 1;
    for entry in &posted {
        account.balance -= absent.ledger.remove(entry).unwrap().amount;
    }
    let verified = verify(&before, &log, &absent, &Policy::durable()).unwrap();
    assert_eq!(verified.in_flight_absent, 1);
    // Half: lost without its processing fee.
    let mut half = whole.clone();
    half.ledger.remove(&posted[2]);
    let problems = verify(&before, &log, &half, &Policy::durable()).unwrap_err();
    assert!(
        problems.iter().any(|p| p.contains("in flight at the kill")),
        "{problems:?}"
    );
}
