//! Holds, lost and found copies and damage fees on every backend (issue 14), one story worked out by hand from the
//! rules: a copy that comes back goes to the first waiting hold of its book (ready for `holds.pickup_days`), only
//! that customer can rent it, renting fulfils the hold, `expire_holds` passes a copy not picked up to the next in
//! line, a waiting hold refuses the renewal of the copy that would serve it, a lost rental is charged what accrued
//! plus the tariff's replacement fees, a found copy credits the replacement fee back when the plan says so, and a
//! damage fee is a `fee` entry of the return. The persistent backends are reopened before the final checks.

mod common;

use chrono::{DateTime, TimeZone, Utc};
use koko_core::{
    BookId, BookStore, CopyStatus, CustomerId, CustomerUpdate, Decimal, EntryKind, Error, HoldId,
    HoldStatus, NewBook, NewCustomer, Operation, PricePlan, RentalId, RentalStatus, Storage,
};

#[cfg(feature = "postgres")]
use common::Postgres;
use common::{Backend, Memory, Persistent, Sled};

/// Regular: 1.00 a day, due after 7 days, 0.50 a late day, renewable twice; a lost copy costs 20.00 plus 5.00
/// processing, the 20.00 credited back when found. Novel: 1.50 a day, due after 14 days, 0.25 a late day; a lost
/// copy costs 15.00, not credited when found. A copy set aside waits 3 days; at most 2 holds per customer.
const PLAN: &str = r#"{"currency": "USD",
    "categories": {
        "regular": {"tiers": [{"from_day": 1, "rate": "1.00"}],
                    "late_fee": {"loan_days": 7, "per_day": "0.50"},
                    "renewals": {"max": 2},
                    "replacement": {"fee": "20.00", "processing_fee": "5.00", "refund_when_found": true}},
        "novel": {"tiers": [{"from_day": 1, "rate": "1.50"}],
                  "late_fee": {"loan_days": 14, "per_day": "0.25"},
                  "replacement": {"fee": "15.00"}}},
    "holds": {"pickup_days": 3},
    "limits": {"max_holds": 2}}"#;

fn t(day: u32, hour: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 6, day, hour, 0, 0).unwrap()
}

fn cents(value: i64) -> Decimal {
    Decimal::new(value, 2)
}

/// The kind and field (or rule) of an error.
fn refused<T: std::fmt::Debug>(result: Result<T, Error>) -> (String, String) {
    match result {
        Err(e) => (
            e.kind().to_owned(),
            e.field().unwrap_or_default().to_owned(),
        ),
        Ok(value) => panic!("expected an error, got {value:?}"),
    }
}

fn pair(kind: &str, field: &str) -> (String, String) {
    (kind.to_owned(), field.to_owned())
}

struct Ids {
    ulysses: BookId,
    emma: BookId,
    ada: CustomerId,
    bob: CustomerId,
    carol: CustomerId,
    dan: CustomerId,
}

fn balance<S: Storage>(store: &BookStore<S>, who: CustomerId) -> String {
    store.account(who).unwrap().balance.to_string()
}

fn story<S: Storage>(store: &BookStore<S>) -> Ids {
    let add = |title: &str, category: &str, copies: u32| {
        store
            .add_book(&NewBook::new(title, "A", category), copies)
            .unwrap()
            .id
    };
    // Copies: Ulysses 1; Emma 2 and 3; Dune 4.
    let (ulysses, emma, dune) = (
        add("Ulysses", "regular", 1),
        add("Emma", "novel", 2),
        add("Dune", "regular", 1),
    );
    let customer = |name: &str| {
        store
            .register_customer(&NewCustomer::new(name, "Reader"))
            .unwrap()
            .id
    };
    let (ada, bob, carol, dan) = (
        customer("Ada"),
        customer("Bob"),
        customer("Carol"),
        customer("Dan"),
    );
    let copy = koko_core::CopyId::new;

    // Ada has the only Ulysses; Bob and then Carol queue for it.
    let r1 = store.rent_book_at(ada, ulysses, t(1, 10)).unwrap();
    assert_eq!(r1.due_at, Some(t(8, 10)));
    let h1 = store.place_hold_at(bob, ulysses, t(2, 10)).unwrap();
    let h2 = store.place_hold_at(carol, ulysses, t(2, 11)).unwrap();
    assert_eq!(
        (h1.id, h1.status, h1.position, h2.id, h2.position),
        (
            HoldId::new(1),
            HoldStatus::Waiting,
            Some(1),
            HoldId::new(2),
            Some(2)
        )
    );
    assert_eq!(
        refused(store.place_hold_at(bob, ulysses, t(2, 12))),
        pair("Duplicate", "book")
    );
    // Bob waits for this very copy: Ada cannot keep it longer.
    assert_eq!(
        refused(store.renew_at(r1.id, t(5, 10))),
        pair("Blocked", "holds.waiting")
    );
    // Emma is on the shelf: Carol's hold is ready at once, on the first copy, until 5 June 12:00.
    let h3 = store.place_hold_at(carol, emma, t(2, 12)).unwrap();
    assert_eq!(
        (h3.status, h3.copy, h3.ready_until, h3.position),
        (HoldStatus::Ready, Some(copy(2)), Some(t(5, 12)), None)
    );
    assert_eq!(store.copy_status(copy(2)), CopyStatus::OnHold(h3.id));
    // Carol has two holds, the limit.
    assert_eq!(
        refused(store.place_hold_at(carol, dune, t(2, 13))),
        pair("Blocked", "limits.max_holds")
    );
    // Bob cannot take the copy set aside for Carol; renting Emma by title gives him the other one.
    assert_eq!(
        refused(store.rent_copy_at(bob, copy(2), t(3, 10))),
        pair("Unavailable", "")
    );
    let r2 = store.rent_book_at(bob, emma, t(3, 10)).unwrap();
    assert_eq!((r2.id, r2.copy), (RentalId::new(2), copy(3)));

    // Ada returns Ulysses after 5 days (5.00): the copy is set aside for Bob until 9 June 10:00.
    let receipt = store.return_rental_at(r1.id, t(6, 10)).unwrap();
    assert_eq!(
        (
            receipt.charge.total.to_string(),
            receipt.balance.to_string()
        ),
        ("5.00".into(), "5.00".into())
    );
    let h1 = store.hold(h1.id).unwrap();
    assert_eq!(
        (h1.status, h1.copy, h1.ready_until),
        (HoldStatus::Ready, Some(copy(1)), Some(t(9, 10)))
    );
    assert_eq!(store.hold(h2.id).unwrap().position, Some(1));
    assert_eq!(
        refused(store.rent_book_at(carol, ulysses, t(6, 11))),
        pair("Unavailable", "")
    );

    // Carol's Emma hold ran out on 5 June 12:00; Emma's copy has nobody waiting and goes back on the shelf.
    let expired = store.expire_holds_at(t(6, 12)).unwrap();
    assert_eq!(
        expired.iter().map(|h| (h.id, h.status)).collect::<Vec<_>>(),
        vec![(h3.id, HoldStatus::Expired)]
    );
    assert_eq!(store.copy_status(copy(2)), CopyStatus::Available);
    // Bob's hold is ready until 9 June 10:00 exactly: not past at that instant, past an hour later, when the
    // copy passes to Carol until 12 June 11:00.
    assert!(store.expire_holds_at(t(9, 10)).unwrap().is_empty());
    let expired = store.expire_holds_at(t(9, 11)).unwrap();
    assert_eq!(expired.len(), 1);
    assert_eq!(expired[0].id, h1.id);
    let h2 = store.hold(h2.id).unwrap();
    assert_eq!(
        (h2.status, h2.copy, h2.ready_until),
        (HoldStatus::Ready, Some(copy(1)), Some(t(12, 11)))
    );
    // Carol picks it up: her hold is fulfilled by rental 3, due 17 June 10:00.
    let r3 = store.rent_book_at(carol, ulysses, t(10, 10)).unwrap();
    assert_eq!(
        (r3.id, r3.copy, r3.due_at),
        (RentalId::new(3), copy(1), Some(t(17, 10)))
    );
    let h2 = store.hold(h2.id).unwrap();
    assert_eq!(
        (h2.status, h2.rental, h2.closed_at),
        (HoldStatus::Fulfilled, Some(r3.id), Some(t(10, 10)))
    );

    // Carol loses Ulysses, declared on 18 June 10:00: 8 days (8.00) and 1 late day (0.50) accrued, plus 20.00
    // and 5.00. She pays it all.
    let lost = store.declare_lost_at(r3.id, t(18, 10)).unwrap();
    assert_eq!(
        (lost.charge.total.to_string(), lost.balance.to_string()),
        ("8.50".into(), "33.50".into())
    );
    assert_eq!(lost.rental.status(), RentalStatus::Lost);
    assert_eq!(store.copy_status(copy(1)), CopyStatus::Lost(r3.id));
    assert_eq!(
        refused(store.declare_lost_at(r3.id, t(18, 11))),
        pair("AlreadyReturned", "")
    );
    assert_eq!(
        refused(store.reinstate_copy(copy(1))),
        pair("InvalidInput", "copy")
    );
    store.pay(carol, cents(3350), None).unwrap();

    // Bob loses Emma (rented 3 June, due 17 June), declared on 20 June 10:00: 17 days at 1.50 (25.50) and 3 late
    // days at 0.25 (0.75), plus 15.00.
    let lost = store.declare_lost_at(r2.id, t(20, 10)).unwrap();
    assert_eq!(
        (lost.charge.total.to_string(), lost.balance.to_string()),
        ("26.25".into(), "41.25".into())
    );
    // Ada takes the other Emma; Dan queues for the title.
    let r4 = store.rent_book_at(ada, emma, t(20, 11)).unwrap();
    assert_eq!(r4.copy, copy(2));
    let h4 = store.place_hold_at(dan, emma, t(21, 10)).unwrap();
    assert_eq!((h4.status, h4.position), (HoldStatus::Waiting, Some(1)));

    // Bob's Emma turns up: no credit (novel's replacement is not refunded when found), and it goes to Dan.
    let (found, credit) = store.mark_found_at(copy(3), t(22, 10)).unwrap();
    assert_eq!((found.status, credit), (CopyStatus::OnHold(h4.id), None));
    assert_eq!(store.hold(h4.id).unwrap().ready_until, Some(t(25, 10)));
    assert_eq!(
        refused(store.mark_found_at(copy(3), t(22, 11))),
        pair("InvalidInput", "copy")
    );

    // Ada returns her Emma with a torn cover after 2 days: 3.00 charged, 3.00 damage fee; nobody waits for Emma.
    assert_eq!(
        refused(store.return_damaged_at(r4.id, t(22, 11), Decimal::ZERO, "torn cover")),
        pair("InvalidInput", "damage_fee")
    );
    assert_eq!(
        refused(store.return_damaged_at(r4.id, t(22, 11), cents(300), " ")),
        pair("InvalidInput", "note")
    );
    let receipt = store
        .return_damaged_at(r4.id, t(22, 11), cents(300), "torn cover")
        .unwrap();
    assert_eq!(
        (
            receipt.charge.total.to_string(),
            receipt.balance.to_string()
        ),
        ("3.00".into(), "11.00".into())
    );
    assert_eq!(store.copy_status(copy(2)), CopyStatus::Available);

    // Carol's Ulysses is found: the 20.00 comes back as a credit (she had paid), never the processing fee.
    let (found, credit) = store.mark_found_at(copy(1), t(23, 10)).unwrap();
    let credit = credit.unwrap();
    assert_eq!(
        (
            found.status,
            credit.kind,
            credit.amount.to_string(),
            credit.rental
        ),
        (
            CopyStatus::Available,
            EntryKind::Waiver,
            "20.00".into(),
            Some(r3.id)
        )
    );
    assert_eq!(balance(store, carol), "-20.00");

    // A copy set aside cannot be withdrawn; Dan cancels, and his copy goes back on the shelf.
    assert_eq!(
        refused(store.withdraw_copy(copy(3))),
        pair("Unavailable", "")
    );
    let cancelled = store.cancel_hold_at(h4.id, t(23, 12)).unwrap();
    assert_eq!(cancelled.status, HoldStatus::Cancelled);
    assert_eq!(store.copy_status(copy(3)), CopyStatus::Available);
    assert_eq!(
        refused(store.cancel_hold_at(h4.id, t(23, 13))),
        pair("InvalidInput", "hold")
    );
    // An inactive customer cannot queue.
    store
        .update_customer(
            dan,
            &CustomerUpdate {
                active: Some(false),
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(
        refused(store.place_hold_at(dan, dune, t(24, 10))),
        pair("InactiveCustomer", "")
    );
    Ids {
        ulysses,
        emma,
        ada,
        bob,
        carol,
        dan,
    }
}

/// What the story left, read back (after a reopen on the persistent backends).
fn check<S: Storage>(store: &BookStore<S>, ids: &Ids) {
    let statuses = |holds: Vec<koko_core::Hold>| {
        holds
            .into_iter()
            .map(|h| (h.id.get(), h.status))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        statuses(store.customer_holds(ids.carol).unwrap()),
        vec![(2, HoldStatus::Fulfilled), (3, HoldStatus::Expired)]
    );
    assert_eq!(
        statuses(store.customer_holds(ids.bob).unwrap()),
        vec![(1, HoldStatus::Expired)]
    );
    assert_eq!(
        statuses(store.customer_holds(ids.dan).unwrap()),
        vec![(4, HoldStatus::Cancelled)]
    );
    assert!(store.book_holds(ids.ulysses).unwrap().is_empty());
    assert!(store.book_holds(ids.emma).unwrap().is_empty());
    assert!(store.storage().active_holds().unwrap().is_empty());
    let balances: Vec<String> = [ids.ada, ids.bob, ids.carol, ids.dan]
        .iter()
        .map(|c| balance(store, *c))
        .collect();
    assert_eq!(balances, ["11.00", "41.25", "-20.00", "0.00"]);
    // Bob's ledger: the charge, then the replacement fee of the lost copy.
    let bob: Vec<(EntryKind, String)> = store
        .account(ids.bob)
        .unwrap()
        .entries
        .into_iter()
        .map(|e| (e.kind, e.amount.to_string()))
        .collect();
    assert_eq!(
        bob,
        vec![
            (EntryKind::Charge, "26.25".into()),
            (EntryKind::Fee, "15.00".into())
        ]
    );
    let lost = store.rental(RentalId::new(2)).unwrap();
    assert!(lost.lost);
    assert_eq!(lost.returned_at, Some(t(20, 10)));
    assert!(!store.rental(RentalId::new(1)).unwrap().lost);
    // A queue of two, read back in order with positions.
    let h5 = store
        .place_hold_at(ids.ada, ids.ulysses, t(25, 10))
        .unwrap();
    assert_eq!(h5.status, HoldStatus::Ready);
    let rental = store.rent_book_at(ids.ada, ids.ulysses, t(25, 11)).unwrap();
    let h6 = store
        .place_hold_at(ids.bob, ids.ulysses, t(25, 12))
        .unwrap();
    let h7 = store
        .place_hold_at(ids.carol, ids.ulysses, t(25, 13))
        .unwrap();
    let queue: Vec<(HoldId, Option<u32>)> = store
        .book_holds(ids.ulysses)
        .unwrap()
        .into_iter()
        .map(|h| (h.id, h.position))
        .collect();
    assert_eq!(queue, vec![(h6.id, Some(1)), (h7.id, Some(2))]);
    store.cancel_hold_at(h6.id, t(25, 14)).unwrap();
    assert_eq!(store.hold(h7.id).unwrap().position, Some(1));
    store.return_rental_at(rental.id, t(26, 10)).unwrap();
    assert_eq!(store.hold(h7.id).unwrap().status, HoldStatus::Ready);
}

trait CopyStatusOf {
    fn copy_status(&self, copy: koko_core::CopyId) -> CopyStatus;
}

impl<S: Storage> CopyStatusOf for BookStore<S> {
    fn copy_status(&self, copy: koko_core::CopyId) -> CopyStatus {
        self.storage().copy(copy).unwrap().status
    }
}

fn store_of<S: Storage>(storage: S) -> BookStore<S> {
    BookStore::with_default_plan(storage, PricePlan::from_json(PLAN).unwrap()).unwrap()
}

fn persistent<B: Persistent>() {
    let b = B::fresh();
    let ids = story(&store_of(b.storage()));
    let b = b.reopen();
    check(&store_of(b.storage()), &ids);
}

#[test]
fn memory() {
    let b = Memory::fresh();
    let store = store_of(b.storage());
    let ids = story(&store);
    check(&store, &ids);
}

#[test]
fn sled() {
    persistent::<Sled>();
}

#[cfg(feature = "postgres")]
#[test]
fn postgres() {
    persistent::<Postgres>();
}

/// A hold placed, cancelled and expired inside one batch: each operation sees the ones before it.
#[test]
fn holds_in_a_batch() {
    let store = store_of(koko_core::MemoryStorage::new());
    let book = store
        .add_book(&NewBook::new("Ulysses", "A", "regular"), 1)
        .unwrap()
        .id;
    let ada = store
        .register_customer(&NewCustomer::new("Ada", "Reader"))
        .unwrap()
        .id;
    let results = store
        .apply_batch(vec![
            Operation::PlaceHold {
                customer: ada,
                book,
                at: t(1, 10),
            },
            Operation::ExpireHolds { at: t(4, 11) },
            Operation::CancelHold {
                hold: HoldId::new(1),
                at: t(4, 12),
            },
        ])
        .unwrap();
    let expired = results[1].as_ref().unwrap().clone().into_holds().unwrap();
    assert_eq!(expired.len(), 1);
    assert_eq!(
        results[2].as_ref().unwrap_err().field(),
        Some("hold"),
        "an expired hold cannot be cancelled"
    );
}
