//! Holds and lost copies in a store: a small store built by hand passes the circulation invariants, and each kind
//! of damage planted in its snapshot is reported by name.

use chrono::{DateTime, Duration, TimeZone, Utc};
use koko_core::{
    BookId, BookStore, CopyId, CopyStatus, CustomerId, Decimal, EntryKind, Hold, HoldId,
    HoldStatus, NewBook, NewCustomer, RentalId,
};
use koko_reliability::snapshot::{check, Problem, Snapshot, SnapshotExt};
use koko_reliability::workload;

/// The snapshot of the store [`story`] builds, and the records its tests damage.
struct Story {
    good: Snapshot,
    /// Bob's hold on Ulysses, waiting while Ada has the only copy.
    waiting: HoldId,
    /// Cy's hold on Emma, ready on its only copy.
    ready: HoldId,
    ready_copy: CopyId,
    /// Dune, whose second copy is back on the shelf.
    dune: BookId,
    cy: CustomerId,
    /// Ada's Dune, declared lost (regular: 20.00 and 5.00 processing, credited when found).
    lost: RentalId,
    /// Bob's Dune, declared lost and found since: its 20.00 credited back.
    found: RentalId,
}

fn t(hours: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 1, 1, 9, 0, 0).unwrap() + Duration::hours(hours)
}

fn story() -> Story {
    let store = BookStore::in_memory(workload::plan()).unwrap();
    let book = |title: &str, category: &str, copies: u32| {
        store
            .add_book(&NewBook::new(title, "A", category), copies)
            .unwrap()
            .id
    };
    let (ulysses, emma, dune) = (
        book("Ulysses", "regular", 1),
        book("Emma", "novel", 1),
        book("Dune", "regular", 2),
    );
    let customer = |name: &str| {
        store
            .register_customer(&NewCustomer::new(name, "Reader"))
            .unwrap()
            .id
    };
    let (ada, bob, cy) = (customer("Ada"), customer("Bob"), customer("Cy"));
    store.rent_book_at(ada, ulysses, t(0)).unwrap();
    let waiting = store.place_hold_at(bob, ulysses, t(1)).unwrap();
    let ready = store.place_hold_at(cy, emma, t(2)).unwrap();
    let dune_copies = store.copies(dune).unwrap();
    let lost = store.rent_copy_at(ada, dune_copies[0].id, t(3)).unwrap();
    store.declare_lost_at(lost.id, t(120)).unwrap();
    let found = store.rent_copy_at(bob, dune_copies[1].id, t(3)).unwrap();
    store.declare_lost_at(found.id, t(144)).unwrap();
    let (copy, credit) = store.mark_found_at(dune_copies[1].id, t(168)).unwrap();
    assert_eq!(copy.status, CopyStatus::Available);
    assert_eq!(credit.map(|c| c.amount), Some(Decimal::new(2000, 2)));
    let good = Snapshot::read(store.storage()).unwrap();
    Story {
        good,
        waiting: waiting.id,
        ready: ready.id,
        ready_copy: ready.copy.unwrap(),
        dune,
        cy,
        lost: lost.id,
        found: found.id,
    }
}

/// The story's snapshot, damaged by `plant`, breaks the invariants, and one of the problems reported is `wanted`.
fn caught(story: &Story, wanted: impl Fn(&Problem) -> bool, plant: impl FnOnce(&mut Snapshot)) {
    let mut bad = story.good.clone();
    plant(&mut bad);
    let problems = check(&bad).unwrap_err();
    assert!(problems.iter().any(wanted), "{problems:?}");
}

#[test]
fn an_honest_store_with_holds_and_lost_copies_passes() {
    let story = story();
    let stats = check(&story.good).unwrap();
    assert_eq!(
        (
            stats.holds,
            stats.waiting_holds,
            stats.ready_holds,
            stats.lost_copies,
            stats.lost_rentals,
            stats.found_rentals
        ),
        (2, 1, 1, 1, 2, 1),
        "{stats:?}"
    );
    assert_eq!(
        story.good.holds[&story.waiting.get()].status,
        HoldStatus::Waiting
    );
}

#[test]
fn a_copy_on_hold_that_no_ready_hold_names_is_caught() {
    let story = story();
    caught(
        &story,
        |p| matches!(p, Problem::CopyOnHoldUnnamed { copy, hold, .. } if *copy == story.ready_copy && *hold == story.ready),
        |bad| {
            let hold = bad.holds.get_mut(&story.ready.get()).unwrap();
            hold.status = HoldStatus::Cancelled;
            hold.closed_at = Some(t(3));
        },
    );
}

#[test]
fn a_ready_hold_whose_copy_is_on_the_shelf_is_caught() {
    let story = story();
    let wanted = |p: &Problem| {
        matches!(p, Problem::ReadyHoldCopy { hold, copy, found: Some((_, CopyStatus::Available)), .. }
            if *hold == story.ready && *copy == story.ready_copy)
    };
    caught(&story, wanted, |bad| {
        bad.copies.get_mut(&story.ready_copy.get()).unwrap().status = CopyStatus::Available;
    });
}

#[test]
fn a_hold_waiting_while_a_copy_is_on_the_shelf_is_caught() {
    let story = story();
    let wanted =
        |p: &Problem| matches!(p, Problem::WaitingWhileOnShelf { book, .. } if *book == story.dune);
    caught(&story, wanted, |bad| {
        let id = bad.max_ids().hold + 1;
        let mut hold: Hold = bad.holds[&story.waiting.get()].clone();
        (hold.id, hold.book, hold.customer) = (HoldId::new(id), story.dune, story.cy);
        bad.holds.insert(id, hold);
    });
}

#[test]
fn a_lost_rental_missing_a_replacement_fee_entry_is_caught() {
    let story = story();
    for amount in [Decimal::new(2000, 2), Decimal::new(500, 2)] {
        caught(
            &story,
            |p| matches!(p, Problem::ReplacementFees { rental, .. } if *rental == story.lost),
            |bad| {
                bad.ledger.retain(|_, e| {
                    !(e.kind == EntryKind::Fee
                        && e.rental == Some(story.lost)
                        && e.amount == amount)
                });
            },
        );
    }
}

#[test]
fn a_found_copy_without_its_credit_or_a_lost_one_with_a_credit_is_caught() {
    let story = story();
    let credit = story
        .good
        .ledger
        .values()
        .find(|e| e.kind == EntryKind::Waiver)
        .unwrap()
        .id
        .get();
    assert_eq!(story.good.ledger[&credit].rental, Some(story.found));
    let credit_of = |rental: RentalId| move |p: &Problem| matches!(p, Problem::FoundCredit { rental: r, .. } if *r == rental);
    caught(&story, credit_of(story.found), |bad| {
        bad.ledger.remove(&credit);
    });
    // The credit moved to the rental whose copy is still lost.
    caught(&story, credit_of(story.lost), |bad| {
        bad.ledger.get_mut(&credit).unwrap().rental = Some(story.lost);
    });
}

#[test]
fn a_lost_copy_whose_rental_is_not_lost_is_caught() {
    let story = story();
    caught(
        &story,
        |p| matches!(p, Problem::LostCopyRental { rental, .. } if *rental == story.lost),
        |bad| {
            bad.rentals.get_mut(&story.lost.get()).unwrap().lost = false;
        },
    );
}
