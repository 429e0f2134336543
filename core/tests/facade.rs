//! The `BookStore` facade: clock, late fees through the store, reports and the CSV export.

use std::sync::Arc;

use chrono::{DateTime, Duration, TimeZone, Utc};
use koko_core::{
    BookStore, Currency, Decimal, Error, FixedClock, NewBook, NewCustomer, PricePlan, RentalStatus,
    ACTIVE_RENTALS_CSV_HEADER,
};

fn at(day: u32, hour: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 6, day, hour, 0, 0).unwrap()
}

const LATE_PLAN: &str = r#"{
    "name": "with late fees",
    "currency": "USD",
    "categories": {
        "regular": {
            "tiers": [{"from_day": 1, "rate": "1.00"}],
            "late_fee": {"loan_days": 7, "per_day": "0.50", "grace_days": 1, "cap": "2.00"}
        }
    }
}"#;

#[test]
fn the_clock_drives_rent_and_return() {
    let clock = Arc::new(FixedClock::new(at(1, 9)));
    let store = BookStore::in_memory(PricePlan::story3())
        .unwrap()
        .with_clock(clock.clone());
    let book = store
        .add_book(&NewBook::new("Dune", "Herbert", "fiction"), 1)
        .unwrap();
    let ada = store
        .register_customer(&NewCustomer::new("Ada", "Lovelace"))
        .unwrap();
    let rental = store.rent_book(ada.id, book.id).unwrap();
    assert_eq!(rental.rented_at, at(1, 9));
    clock.advance(Duration::hours(48));
    assert_eq!(
        store
            .quote_return(rental.id, store.now())
            .unwrap()
            .total
            .to_string(),
        "6.00"
    );
    let receipt = store.return_rental(rental.id).unwrap();
    assert_eq!(receipt.rental.returned_at, Some(at(3, 9)));
    assert_eq!(receipt.charge.total.to_string(), "6.00");
    assert_eq!(receipt.title, "Dune");
    assert_eq!(receipt.rental.status(), RentalStatus::Closed);
    let shown = receipt.to_string();
    assert!(
        shown.contains("days 1–2 at 3.00") && shown.contains("6.00 USD"),
        "{shown}"
    );
    assert!(matches!(
        store.quote_return(rental.id, store.now()),
        Err(Error::AlreadyReturned { .. })
    ));
}

#[test]
fn due_dates_and_late_fees_come_from_the_plan() {
    let store = BookStore::in_memory(PricePlan::from_json(LATE_PLAN).unwrap()).unwrap();
    let ada = store
        .register_customer(&NewCustomer::new("Ada", "Lovelace"))
        .unwrap();
    let mut rentals = Vec::new();
    for i in 0..4 {
        let book = store
            .add_book(&NewBook::new(format!("B{i}"), "A", "regular"), 1)
            .unwrap();
        rentals.push(store.rent_book_at(ada.id, book.id, at(1, 12)).unwrap());
    }
    assert_eq!(rentals[0].due_at, Some(at(8, 12)));
    // Overdue only after the due time.
    assert_eq!(store.overdue_rentals(at(8, 12)).unwrap().count(), 0);
    assert_eq!(store.overdue_rentals(at(8, 13)).unwrap().count(), 4);
    // On time: 7 days at 1.00.
    let on_time = store.return_rental_at(rentals[0].id, at(8, 12)).unwrap();
    assert_eq!(on_time.charge.total.to_string(), "7.00");
    // 1 day late, within the 1-day grace: no late fee (8 whole days elapsed).
    let grace = store.return_rental_at(rentals[1].id, at(9, 12)).unwrap();
    assert_eq!(grace.charge.total.to_string(), "8.00");
    // 2 days late, past the grace: every late day pays: 9.00 + 2 × 0.50.
    let late = store.return_rental_at(rentals[2].id, at(10, 12)).unwrap();
    assert_eq!(late.charge.total.to_string(), "10.00");
    assert_eq!(
        late.charge.lines.last().unwrap().description,
        "late fee: 2 days at 0.50"
    );
    // 10 days late: 17.00 + late fee capped at 2.00.
    let capped = store.return_rental_at(rentals[3].id, at(18, 12)).unwrap();
    assert_eq!(capped.charge.total.to_string(), "19.00");
    assert_eq!(
        capped.charge.lines.last().unwrap().description,
        "late fee cap adjustment"
    );
    assert_eq!(store.overdue_rentals(at(30, 0)).unwrap().count(), 0);
}

#[test]
fn revenue_by_category_and_period() {
    let store = BookStore::in_memory(PricePlan::story3()).unwrap();
    let ada = store
        .register_customer(&NewCustomer::new("Ada", "Lovelace"))
        .unwrap();
    let fiction = store
        .add_book(&NewBook::new("Dune", "Herbert", "fiction"), 3)
        .unwrap();
    let novel = store
        .add_book(&NewBook::new("Emma", "Austen", "novel"), 3)
        .unwrap();
    let r1 = store.rent_book_at(ada.id, fiction.id, at(1, 0)).unwrap();
    let r2 = store.rent_book_at(ada.id, fiction.id, at(1, 0)).unwrap();
    let r3 = store.rent_book_at(ada.id, novel.id, at(1, 0)).unwrap();
    let _open = store.rent_book_at(ada.id, novel.id, at(1, 0)).unwrap();
    store.return_rental_at(r1.id, at(3, 0)).unwrap(); // 2 days fiction: 6.00
    store.return_rental_at(r2.id, at(11, 0)).unwrap(); // 10 days fiction: 30.00, outside June 1-10
    store.return_rental_at(r3.id, at(4, 0)).unwrap(); // 3 days novel: 4.50
    let revenue = store.revenue(at(1, 0), at(10, 0)).unwrap();
    let lines: Vec<(String, u64, String)> = revenue
        .lines
        .iter()
        .map(|l| (l.category.clone(), l.rentals, l.total.to_string()))
        .collect();
    assert_eq!(
        lines,
        [
            ("fiction".to_string(), 1, "6.00".to_string()),
            ("novel".to_string(), 1, "4.50".to_string())
        ]
    );
    assert_eq!(revenue.total(Currency::usd()), Decimal::new(1050, 2));
    assert_eq!(revenue.rentals(), 2);
    assert_eq!(
        store
            .revenue(at(1, 0), at(30, 0))
            .unwrap()
            .total(Currency::usd()),
        Decimal::new(4050, 2)
    );
}

#[test]
fn csv_export_streams_the_open_rentals() {
    let store = BookStore::in_memory(PricePlan::from_json(LATE_PLAN).unwrap()).unwrap();
    let ada = store
        .register_customer(&NewCustomer::new("Ada", "Lovelace"))
        .unwrap();
    let book = store
        .add_book(&NewBook::new("Commas, \"quotes\"", "A", "regular"), 2)
        .unwrap();
    let first = store.rent_book_at(ada.id, book.id, at(1, 12)).unwrap();
    let second = store.rent_book_at(ada.id, book.id, at(2, 12)).unwrap();
    store.return_rental_at(first.id, at(3, 12)).unwrap();
    let precise = at(4, 12) + chrono::Duration::microseconds(1_500);
    store.rent_book_at(ada.id, book.id, precise).unwrap();
    let mut out = Vec::new();
    let rows = store.export_active_rentals_csv(&mut out).unwrap();
    assert_eq!(rows, 2);
    let mut reader = csv::Reader::from_reader(out.as_slice());
    assert_eq!(
        reader.headers().unwrap().iter().collect::<Vec<_>>(),
        ACTIVE_RENTALS_CSV_HEADER
    );
    let records: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(records.len(), 2);
    let row = &records[0];
    assert_eq!(&row[0], second.id.to_string());
    assert_eq!(&row[4], "regular");
    assert_eq!(&row[5], "2024-06-02T12:00:00Z");
    assert_eq!(&row[6], "2024-06-09T12:00:00Z");
    // Sub-second instants keep their digits, in groups of three (RFC 3339 as chrono's `AutoSi` writes it).
    assert_eq!(&records[1][5], "2024-06-04T12:00:00.001500Z");
    assert_eq!(&records[1][6], "2024-06-11T12:00:00.001500Z");
}

#[test]
fn calendar_day_plans_bill_local_dates() {
    let plan = PricePlan::from_json(
        r#"{"currency": "EUR", "day_count": {"policy": "calendar_days", "time_zone": "Europe/Berlin"},
            "default": {"tiers": [{"from_day": 1, "rate": "2.00"}]}}"#,
    )
    .unwrap();
    let store = BookStore::in_memory(plan).unwrap();
    let ada = store
        .register_customer(&NewCustomer::new("Ada", "Lovelace"))
        .unwrap();
    let book = store
        .add_book(&NewBook::new("Faust", "Goethe", "drama"), 1)
        .unwrap();
    // 23:30 Berlin on 30 March to 00:30 on 1 April, across the spring DST change: 2 calendar days.
    let rented = Utc.with_ymd_and_hms(2024, 3, 30, 22, 30, 0).unwrap();
    let returned = Utc.with_ymd_and_hms(2024, 3, 31, 22, 30, 0).unwrap();
    let rental = store.rent_book_at(ada.id, book.id, rented).unwrap();
    let receipt = store.return_rental_at(rental.id, returned).unwrap();
    assert_eq!(
        (receipt.charge.days, receipt.charge.total.to_string()),
        (2, "4.00".to_string())
    );
    assert_eq!(receipt.charge.currency.code(), "EUR");
}

#[test]
fn outstanding_charges_sum_what_each_open_rental_would_cost() {
    let store = BookStore::in_memory(PricePlan::story3()).unwrap();
    let ada = store
        .register_customer(&NewCustomer::new("Ada", "Lovelace"))
        .unwrap();
    let mut open = Vec::new();
    for (i, category) in ["regular", "fiction", "novel", "regular"]
        .iter()
        .enumerate()
    {
        let book = store
            .add_book(&NewBook::new(format!("B{i}"), "A", *category), 1)
            .unwrap();
        open.push(store.rent_book_at(ada.id, book.id, at(1, 12)).unwrap());
    }
    // One closed rental is not outstanding.
    store
        .return_rental_at(open.pop().unwrap().id, at(2, 12))
        .unwrap();
    // 3 days later: regular 1+1+1.5 = 3.50, fiction 3 × 3.00 = 9.00, novel max(4.50, 4.50) = 4.50.
    let report = store.outstanding_charges(at(4, 12)).unwrap();
    assert_eq!(report.rentals, 3);
    assert_eq!(report.total(Currency::usd()).to_string(), "17.00");
    let by_quotes: Decimal = open
        .iter()
        .map(|r| store.quote_return(r.id, at(4, 12)).unwrap().total)
        .sum();
    assert_eq!(report.total(Currency::usd()), by_quotes);
    let err = store.outstanding_charges(at(1, 0)).unwrap_err();
    assert_eq!(err.field(), Some("returned_at"));
}
