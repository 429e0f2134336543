//! Fixtures shared by Koko's benchmarks: plans beyond the presets and stores seeded with data.
#![forbid(unsafe_code)]

use std::sync::atomic::{AtomicUsize, Ordering};

use chrono::{DateTime, TimeZone, Utc};
use koko_core::{
    BookId, BookStore, CustomerId, NewBook, NewCustomer, Operation, PricePlan, RentTarget, Result,
    Storage,
};

/// A story-3-like plan whose `regular` tariff has a 14-day loan and a capped late fee.
pub fn late_fee_plan() -> PricePlan {
    plan(
        r#"{"name": "late fees", "currency": "USD", "categories": {"regular": {
            "tiers": [{"from_day": 1, "rate": "1.00"}, {"from_day": 3, "rate": "1.50"}], "minimum": "2.00",
            "late_fee": {"loan_days": 14, "per_day": "0.50", "grace_days": 2, "cap": "10.00"}}}}"#,
    )
}

/// A plan counting calendar days in Europe/Berlin.
pub fn calendar_plan() -> PricePlan {
    plan(
        r#"{"name": "calendar", "currency": "EUR", "day_count": {"policy": "calendar_days", "time_zone": "Europe/Berlin"},
            "categories": {"regular": {"tiers": [{"from_day": 1, "rate": "1.00"}, {"from_day": 3, "rate": "1.50"}],
            "minimum": "2.00"}}}"#,
    )
}

fn plan(json: &str) -> PricePlan {
    match PricePlan::from_json(json) {
        Ok(plan) => plan,
        Err(err) => panic!("benchmark plan is invalid: {err}"),
    }
}

/// 2024-06-01T00:00:00Z plus `hours`.
pub fn at(hours: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 6, 1, 0, 0, 0)
        .single()
        .unwrap_or_default()
        + chrono::Duration::hours(hours)
}

/// Adds `books` single-copy regular books (titles unique across calls) and `customers` customers; returns their ids.
pub fn seed<S: Storage>(
    store: &BookStore<S>,
    books: usize,
    customers: usize,
) -> Result<(Vec<BookId>, Vec<CustomerId>)> {
    static BATCH: AtomicUsize = AtomicUsize::new(0);
    let batch = BATCH.fetch_add(1, Ordering::Relaxed);
    let book_ids = (0..books)
        .map(|i| {
            let title = format!("Bench book {batch}.{i} ({})", std::process::id());
            store
                .add_book(&NewBook::new(title, "Author", "regular"), 1)
                .map(|b| b.id)
        })
        .collect::<Result<Vec<_>>>()?;
    let customer_ids = (0..customers)
        .map(|i| {
            store
                .register_customer(&NewCustomer::new(format!("Reader {i}"), "Bench"))
                .map(|c| c.id)
        })
        .collect::<Result<Vec<_>>>()?;
    Ok((book_ids, customer_ids))
}

/// One rent + return of `book` by `customer` (2 days later).
pub fn cycle<S: Storage>(store: &BookStore<S>, customer: CustomerId, book: BookId) -> Result<()> {
    let rental = store.rent_book_at(customer, book, at(0))?;
    store.return_rental_at(rental.id, at(48)).map(|_| ())
}

/// Fills `store` with `rentals` open rentals: books of up to 10,000 copies in turn regular, fiction and novel, each
/// copy rented once by one customer, opened 0–29 days before [`at`]`(0)`. `progress` hears the count after each book.
pub fn fill_with_open_rentals<S: Storage>(
    store: &BookStore<S>,
    rentals: u64,
    mut progress: impl FnMut(u64),
) -> Result<()> {
    let customer = store
        .register_customer(&NewCustomer::new("Bench", "Reader"))?
        .id;
    let categories = ["regular", "fiction", "novel"];
    let (mut made, mut book) = (0u64, 0usize);
    while made < rentals {
        let copies = (rentals - made).min(10_000) as u32;
        let (_, list) = store.storage().insert_book(
            &NewBook::new(format!("Open book {book}"), "A", categories[book % 3]),
            copies,
        )?;
        // One batch per book: one sled commit for up to 10,000 rents.
        let mut rents = Vec::with_capacity(list.len());
        for copy in list {
            rents.push(Operation::Rent {
                target: RentTarget::Copy(copy.id),
                customer,
                at: at(-24 * (made as i64 % 30)),
            });
            made += 1;
        }
        for result in store.apply_batch(rents)? {
            result?;
        }
        book += 1;
        progress(made);
    }
    Ok(())
}
