//! The CSV exports on every backend (`BookStore::export_csv`): each kind's header and rows for a small store worked
//! out by hand — quoting, empty optional fields, times as RFC 3339 — the overdue rentals at the store's clock, the
//! rows counted in an `ExportProgress`, and the active-rentals export equal to `export_active_rentals_csv`.

mod common;

use std::sync::Arc;

use chrono::{DateTime, TimeZone, Utc};
use koko_core::{
    BookStore, ExportKind, ExportProgress, FixedClock, NewBook, NewCustomer, PricePlan, Storage,
};
use rust_decimal::Decimal;

#[cfg(feature = "postgres")]
use common::Postgres;
use common::{Backend, Memory, Sled};

fn t(day: u32, hour: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 6, day, hour, 0, 0).unwrap()
}

/// Regular books 1.00 a day, due after 7 days.
const PLAN: &str = r#"{"currency": "USD", "categories": {"regular": {"tiers": [{"from_day": 1, "rate": "1.00"}],
    "late_fee": {"loan_days": 7, "per_day": "0.50"}}}}"#;

fn csv<S: Storage>(store: &BookStore<S>, kind: ExportKind) -> String {
    let mut out = Vec::new();
    let progress = ExportProgress::new();
    let rows = store
        .export_csv_with_progress(kind, &mut out, &progress)
        .unwrap();
    assert_eq!(progress.rows(), rows);
    let text = String::from_utf8(out).unwrap();
    assert_eq!(text.lines().count() as u64, rows + 1, "{kind}: {text}");
    text
}

fn every_kind_writes_its_rows<B: Backend>() {
    let b = B::fresh();
    let store = BookStore::with_default_plan(b.storage(), PricePlan::from_json(PLAN).unwrap())
        .unwrap()
        .with_clock(Arc::new(FixedClock::new(t(12, 10))));
    let emma = store
        .add_book(
            &NewBook::new("Emma, \"a novel\"", "Jane Austen", "regular").with_isbn("9780141439587"),
            2,
        )
        .unwrap();
    let dune = store
        .add_book(&NewBook::new("Dune", "Frank Herbert", "regular"), 1)
        .unwrap();
    let ada = store
        .register_customer(&NewCustomer::new("Ada", "Lovelace").with_email("ada@example.org"))
        .unwrap();
    let bob = store
        .register_customer(&NewCustomer::new("Bob", "Babbage"))
        .unwrap();
    let first = store.rent_book_at(ada.id, emma.id, t(1, 10)).unwrap();
    store.rent_book_at(bob.id, emma.id, t(2, 10)).unwrap();
    store.rent_book_at(ada.id, dune.id, t(10, 10)).unwrap();
    store.return_rental_at(first.id, t(4, 10)).unwrap();
    store
        .pay(ada.id, Decimal::new(200, 2), Some("cash, thanks"))
        .unwrap();

    assert_eq!(
        csv(&store, ExportKind::Books),
        "id,title,author,category,isbn,copies,available\n\
         1,\"Emma, \"\"a novel\"\"\",Jane Austen,regular,9780141439587,2,1\n\
         2,Dune,Frank Herbert,regular,,1,0\n"
    );
    assert_eq!(
        csv(&store, ExportKind::Customers),
        "id,first_name,last_name,email,active\n\
         1,Ada,Lovelace,ada@example.org,true\n\
         2,Bob,Babbage,,true\n"
    );
    let active = csv(&store, ExportKind::ActiveRentals);
    assert_eq!(
        active,
        "rental_id,copy_id,book_id,customer_id,category,rented_at,due_at,plan_version\n\
         2,2,1,2,regular,2024-06-02T10:00:00Z,2024-06-09T10:00:00Z,1\n\
         3,3,2,1,regular,2024-06-10T10:00:00Z,2024-06-17T10:00:00Z,1\n"
    );
    let mut legacy = Vec::new();
    store.export_active_rentals_csv(&mut legacy).unwrap();
    assert_eq!(String::from_utf8(legacy).unwrap(), active);
    // On 12 June (the store's clock) Bob's rental, due on the 9th, is overdue; Ada's is not.
    assert_eq!(
        csv(&store, ExportKind::Overdue),
        "rental_id,copy_id,book_id,customer_id,category,rented_at,due_at,plan_version\n\
         2,2,1,2,regular,2024-06-02T10:00:00Z,2024-06-09T10:00:00Z,1\n"
    );
    assert_eq!(
        csv(&store, ExportKind::Ledger),
        "entry_id,customer_id,kind,amount,currency,at,rental_id,note,balance_after\n\
         1,1,charge,3.00,USD,2024-06-04T10:00:00Z,1,,3.00\n\
         2,1,payment,2.00,USD,2024-06-12T10:00:00Z,,\"cash, thanks\",1.00\n"
    );
}

fn an_empty_store_writes_the_headers<B: Backend>() {
    let b = B::fresh();
    let store = BookStore::with_default_plan(b.storage(), PricePlan::story3()).unwrap();
    for kind in ExportKind::ALL {
        let text = csv(&store, kind);
        assert_eq!(text, format!("{}\n", kind.header().join(",")));
        assert_eq!(kind.name().parse::<ExportKind>().unwrap(), kind);
    }
}

macro_rules! export_kinds {
    ($($module:ident => $backend:ident),*) => {
        $(
            mod $module {
                crate::backend_test!($backend, every_kind_writes_its_rows);
                crate::backend_test!($backend, an_empty_store_writes_the_headers);
            }
        )*
    };
}

export_kinds!(export_memory => Memory, export_sled => Sled);
#[cfg(feature = "postgres")]
export_kinds!(export_postgres => Postgres);
