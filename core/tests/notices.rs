//! Notices on every backend (issue 14), worked out by hand: a rental due within `notices.due_soon_days` is due
//! soon; one overdue by at least a level of `notices.overdue_days` gets the highest level it reached; a ready hold
//! gets a `hold_ready` notice; a notice marked sent is not listed again, and a renewal's new due date makes new
//! notices.

mod common;

use chrono::{DateTime, TimeZone, Utc};
use koko_core::{BookStore, NewBook, NewCustomer, NoticeKind, PricePlan, Storage};

#[cfg(feature = "postgres")]
use common::Postgres;
use common::{Backend, Memory, Sled};

/// 1.00 a day, due after 7 days, 0.50 a late day, renewable once; remind 2 days before, then 1, 7 and 14 days late.
const PLAN: &str = r#"{"currency": "USD",
    "default": {"tiers": [{"from_day": 1, "rate": "1.00"}],
                "late_fee": {"loan_days": 7, "per_day": "0.50"},
                "renewals": {"max": 1}},
    "notices": {"due_soon_days": 2, "overdue_days": [1, 7, 14]}}"#;

fn t(day: u32, hour: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 6, day, hour, 0, 0).unwrap()
}

/// (kind, level, rental or hold id, amount) of each listed notice.
fn listed<S: Storage>(
    store: &BookStore<S>,
    at: DateTime<Utc>,
) -> Vec<(NoticeKind, u32, u64, String)> {
    store
        .notices(at)
        .unwrap()
        .into_iter()
        .map(|n| {
            let id = n
                .rental
                .map(|r| r.get())
                .or(n.hold.map(|h| h.get()))
                .unwrap();
            let amount = n.amount.map(|a| a.to_string()).unwrap_or_default();
            (n.kind, n.level, id, amount)
        })
        .collect()
}

fn notices<B: Backend>() {
    let b = B::fresh();
    let store =
        BookStore::with_default_plan(b.storage(), PricePlan::from_json(PLAN).unwrap()).unwrap();
    let book = |title: &str| {
        store
            .add_book(&NewBook::new(title, "A", "regular"), 1)
            .unwrap()
            .id
    };
    let (emma, dune) = (book("Emma"), book("Dune"));
    let ada = store
        .register_customer(&NewCustomer::new("Ada", "Reader"))
        .unwrap()
        .id;
    let bob = store
        .register_customer(&NewCustomer::new("Bob", "Reader"))
        .unwrap()
        .id;
    let r1 = store.rent_book_at(ada, emma, t(1, 10)).unwrap(); // due 8 June 10:00
    let r2 = store.rent_book_at(bob, dune, t(3, 10)).unwrap(); // due 10 June 10:00
    use NoticeKind::*;

    // 5 June: nothing due within 2 days. 6 June 10:00: Emma is due in exactly 2 days (5 days so far: 5.00).
    assert!(listed(&store, t(5, 10)).is_empty());
    assert_eq!(
        listed(&store, t(6, 10)),
        vec![(DueSoon, 0, r1.id.get(), "5.00".into())]
    );
    // Sent; on 8 June 10:00 Dune is due in exactly 2 days (5 days: 5.00), Emma is due at that very instant —
    // neither due soon again nor late.
    let sent: Vec<String> = store
        .notices(t(6, 10))
        .unwrap()
        .into_iter()
        .map(|n| n.key)
        .collect();
    assert_eq!(store.mark_notified(&sent, t(6, 11)).unwrap(), 1);
    assert_eq!(
        store.mark_notified(&sent, t(6, 12)).unwrap(),
        0,
        "marking again changes nothing"
    );
    assert_eq!(listed(&store, t(8, 9)), vec![]);
    assert_eq!(
        listed(&store, t(8, 10)),
        vec![(DueSoon, 0, r2.id.get(), "5.00".into())]
    );
    // 9 June 10:00: Emma a day late — the first reminder, 8 days (8.00) and 1 late day (0.50).
    assert_eq!(
        listed(&store, t(9, 10)),
        vec![
            (Overdue, 1, r1.id.get(), "8.50".into()),
            (DueSoon, 0, r2.id.get(), "6.00".into())
        ]
    );
    // Bob renews: Dune is due 17 June 10:00, a new due date with its own notices.
    store.renew_at(r2.id, t(9, 11)).unwrap();
    // 16 June 10:00: Emma 8 days late — the second reminder (15 days: 15.00, 8 late days: 4.00); the first one
    // was never sent and is not sent late. Dune due in a day: 13 days, 13.00.
    assert_eq!(
        listed(&store, t(16, 10)),
        vec![
            (Overdue, 2, r1.id.get(), "19.00".into()),
            (DueSoon, 0, r2.id.get(), "13.00".into())
        ]
    );
    // A hold on Emma; once Ada returns it, the copy is ready for Bob until 23 June 11:00 (7 days by default).
    let hold = store.place_hold_at(bob, emma, t(16, 10)).unwrap();
    store.return_rental_at(r1.id, t(16, 11)).unwrap();
    let notices = store.notices(t(16, 12)).unwrap();
    let ready = notices.iter().find(|n| n.kind == HoldReady).unwrap();
    assert_eq!(
        (ready.customer, ready.hold, ready.due_at, ready.level),
        (bob, Some(hold.id), t(23, 11), 0)
    );
    store
        .mark_notified(std::slice::from_ref(&ready.key), t(16, 13))
        .unwrap();
    assert!(store
        .notices(t(16, 14))
        .unwrap()
        .iter()
        .all(|n| n.kind != HoldReady));
    // Bad keys are refused before anything is marked.
    let err = store
        .mark_notified(&[String::new()], t(16, 15))
        .unwrap_err();
    assert_eq!((err.kind(), err.field()), ("InvalidInput", Some("keys")));
    assert!(store.mark_notified(&[], t(16, 15)).is_err());
}

#[test]
fn memory() {
    notices::<Memory>();
}

#[test]
fn sled() {
    notices::<Sled>();
}

#[cfg(feature = "postgres")]
#[test]
fn postgres() {
    notices::<Postgres>();
}
