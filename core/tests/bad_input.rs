//! A table of bad inputs: each gets the documented typed error naming the field, and the store is unchanged.

use chrono::{DateTime, Duration, TimeZone, Utc};
use koko_core::{
    BookStore, BookUpdate, CustomerId, Error, MemoryStorage, NewBook, NewCustomer, PricePlan,
    RentalId, Storage,
};

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 6, 1, 12, 0, 0).unwrap()
}

type Case = (&'static str, &'static str, &'static str);

/// Everything the store holds, serialised, for a byte-for-byte "unchanged" check.
fn dump(store: &BookStore<MemoryStorage>) -> String {
    let s = store.storage();
    let books: Vec<_> = s.books().unwrap().map(Result::unwrap).collect();
    let copies: Vec<_> = books
        .iter()
        .flat_map(|b| s.copies_of(b.id).unwrap())
        .collect();
    let customers: Vec<_> = s.customers().unwrap().map(Result::unwrap).collect();
    let rentals: Vec<_> = s.rentals().unwrap().map(Result::unwrap).collect();
    serde_json::to_string(&(
        books,
        copies,
        customers,
        rentals,
        s.plan_versions().unwrap(),
    ))
    .unwrap()
}

#[test]
fn bad_store_inputs_get_typed_errors_and_change_nothing() {
    let store = BookStore::in_memory(PricePlan::story3()).unwrap();
    let book = store
        .add_book(&NewBook::new("Dune", "Frank Herbert", "fiction"), 1)
        .unwrap();
    let ada = store
        .register_customer(&NewCustomer::new("Ada", "Lovelace"))
        .unwrap();
    let rental = store.rent_book_at(ada.id, book.id, t0()).unwrap();
    let closed_book = store
        .add_book(&NewBook::new("Emma", "Jane Austen", "novel"), 1)
        .unwrap();
    let closed = store.rent_book_at(ada.id, closed_book.id, t0()).unwrap();
    store
        .return_rental_at(closed.id, t0() + Duration::days(3))
        .unwrap();
    let before = dump(&store);

    let long = "x".repeat(501);
    let attempts: Vec<(Case, Result<(), Error>)> = vec![
        (
            ("empty title", "InvalidInput", "title"),
            store
                .add_book(&NewBook::new("   ", "A", "regular"), 1)
                .map(drop),
        ),
        (
            ("control character in title", "InvalidInput", "title"),
            store
                .add_book(&NewBook::new("a\u{7}b", "A", "regular"), 1)
                .map(drop),
        ),
        (
            ("title of 501 characters", "InvalidInput", "title"),
            store
                .add_book(&NewBook::new(long.as_str(), "A", "regular"), 1)
                .map(drop),
        ),
        (
            ("empty author", "InvalidInput", "author"),
            store
                .add_book(&NewBook::new("T", "", "regular"), 1)
                .map(drop),
        ),
        (
            ("unknown category", "InvalidInput", "category"),
            store
                .add_book(&NewBook::new("T", "A", "poetry"), 1)
                .map(drop),
        ),
        (
            ("empty category", "InvalidInput", "category"),
            store.add_book(&NewBook::new("T", "A", " "), 1).map(drop),
        ),
        (
            ("bad ISBN check digit", "InvalidInput", "isbn"),
            store
                .add_book(
                    &NewBook::new("T", "A", "regular").with_isbn("978-0-441-17271-8"),
                    1,
                )
                .map(drop),
        ),
        (
            ("zero copies", "InvalidInput", "copies"),
            store
                .add_book(&NewBook::new("T", "A", "regular"), 0)
                .map(drop),
        ),
        (
            ("a million copies at once", "InvalidInput", "copies"),
            store
                .add_book(&NewBook::new("T", "A", "regular"), 1_000_000)
                .map(drop),
        ),
        (
            ("duplicate title", "Duplicate", "title"),
            store
                .add_book(&NewBook::new("DUNE", "A", "regular"), 1)
                .map(drop),
        ),
        (
            ("rename to an unknown category", "InvalidInput", "category"),
            store
                .update_book(
                    book.id,
                    &BookUpdate {
                        category: Some("poetry".into()),
                        ..Default::default()
                    },
                )
                .map(drop),
        ),
        (
            ("empty first name", "InvalidInput", "first_name"),
            store
                .register_customer(&NewCustomer::new("", "L"))
                .map(drop),
        ),
        (
            ("empty last name", "InvalidInput", "last_name"),
            store
                .register_customer(&NewCustomer::new("F", "\t"))
                .map(drop),
        ),
        (
            ("malformed email", "InvalidInput", "email"),
            store
                .register_customer(&NewCustomer::new("F", "L").with_email("no-at-sign"))
                .map(drop),
        ),
        (
            ("return before rent", "InvalidInput", "returned_at"),
            store
                .return_rental_at(rental.id, t0() - Duration::seconds(1))
                .map(drop),
        ),
        (
            (
                "quote a return before the rent",
                "InvalidInput",
                "returned_at",
            ),
            store
                .quote_return(rental.id, t0() - Duration::days(1))
                .map(drop),
        ),
        (
            ("quote an unknown category", "InvalidInput", "category"),
            store.quote("poetry", t0(), t0()).map(drop),
        ),
        (
            ("price curve of a million days", "InvalidInput", "max_days"),
            PricePlan::story3()
                .price_curve("regular", 1_000_000)
                .map(drop),
        ),
        (
            ("quote a rental before any plan", "NotFound", ""),
            store
                .quote(
                    "regular",
                    Utc.with_ymd_and_hms(1969, 1, 1, 0, 0, 0).unwrap(),
                    t0(),
                )
                .map(drop),
        ),
        (
            ("rent before any plan", "NotFound", ""),
            store
                .rent_book_at(
                    ada.id,
                    book.id,
                    Utc.with_ymd_and_hms(1969, 1, 1, 0, 0, 0).unwrap(),
                )
                .map(drop),
        ),
        (
            ("rent a rented book", "Unavailable", ""),
            store.rent_book_at(ada.id, book.id, t0()).map(drop),
        ),
        (
            ("return twice", "AlreadyReturned", ""),
            store
                .return_rental_at(closed.id, t0() + Duration::days(4))
                .map(drop),
        ),
        (
            ("unknown rental", "NotFound", ""),
            store.return_rental_at(RentalId::new(77), t0()).map(drop),
        ),
        (
            ("unknown customer", "NotFound", ""),
            store
                .rent_book_at(CustomerId::new(77), book.id, t0())
                .map(drop),
        ),
        (
            ("revenue period backwards", "InvalidInput", "to"),
            store.revenue(t0(), t0() - Duration::days(1)).map(drop),
        ),
    ];
    let mut checked = 0;
    for ((what, kind, field), outcome) in attempts {
        let err = outcome.expect_err(what);
        assert_eq!(err.kind(), kind, "{what}: {err}");
        if !field.is_empty() {
            assert_eq!(err.field(), Some(field), "{what}: {err}");
        }
        assert!(!err.to_string().is_empty());
        checked += 1;
    }
    assert_eq!(dump(&store), before, "a rejected input changed the store");
    println!("bad store inputs: {checked} rejected with typed errors, store unchanged");
}

#[test]
fn huge_day_counts_are_quoted_exactly() {
    let plan = PricePlan::story3();
    let quote = plan.quote_days("regular", u32::MAX).unwrap();
    // 2 days at 1.00, then u32::MAX - 2 days at 1.50.
    let expected = 2 + (u64::from(u32::MAX) - 2) * 3 / 2;
    assert_eq!(quote.total.to_string(), format!("{expected}.50"));
    let far = Utc.with_ymd_and_hms(9999, 12, 31, 0, 0, 0).unwrap();
    let quote = plan.quote("fiction", t0(), far).unwrap();
    assert_eq!(quote.days as i64, (far - t0()).num_days());
}

#[test]
fn malformed_plan_documents_name_the_field() {
    let good_tier = r#"[{"from_day": 1, "rate": "1.00"}]"#;
    let with =
        |tariff: &str| format!(r#"{{"currency": "USD", "categories": {{"regular": {tariff}}}}}"#);
    let cases: Vec<(&str, String, &str)> = vec![
        ("not JSON", "{".into(), "(document)"),
        (
            "trailing garbage",
            format!("{} x", with(&format!(r#"{{"tiers": {good_tier}}}"#))),
            "(document)",
        ),
        ("no currency", r#"{"categories": {}}"#.into(), "currency"),
        (
            "unknown currency",
            r#"{"currency": "XYZ", "categories": {}}"#.into(),
            "currency",
        ),
        ("empty plan", r#"{"currency": "USD"}"#.into(), "categories"),
        (
            "no tiers",
            with(r#"{"tiers": []}"#),
            "categories.regular.tiers",
        ),
        (
            "first tier not day 1",
            with(r#"{"tiers": [{"from_day": 2, "rate": "1.00"}]}"#),
            "categories.regular.tiers[0].from_day",
        ),
        (
            "overlapping tiers",
            with(
                r#"{"tiers": [{"from_day": 1, "rate": "1"}, {"from_day": 3, "rate": "2"}, {"from_day": 3, "rate": "3"}]}"#,
            ),
            "categories.regular.tiers[2].from_day",
        ),
        (
            "unordered tiers",
            with(
                r#"{"tiers": [{"from_day": 1, "rate": "1"}, {"from_day": 5, "rate": "2"}, {"from_day": 4, "rate": "3"}]}"#,
            ),
            "categories.regular.tiers[2].from_day",
        ),
        (
            "negative rate",
            with(r#"{"tiers": [{"from_day": 1, "rate": "-0.01"}]}"#),
            "categories.regular.tiers[0].rate",
        ),
        (
            "float rate",
            with(r#"{"tiers": [{"from_day": 1, "rate": 1.5}]}"#),
            "categories.regular.tiers[0].rate",
        ),
        (
            "rate not a number",
            with(r#"{"tiers": [{"from_day": 1, "rate": "one"}]}"#),
            "categories.regular.tiers[0].rate",
        ),
        (
            "rate with 7 decimals",
            with(r#"{"tiers": [{"from_day": 1, "rate": "0.0000001"}]}"#),
            "categories.regular.tiers[0].rate",
        ),
        (
            "rate too large",
            with(r#"{"tiers": [{"from_day": 1, "rate": "1000000000.01"}]}"#),
            "categories.regular.tiers[0].rate",
        ),
        (
            "negative day",
            with(r#"{"tiers": [{"from_day": -1, "rate": "1"}]}"#),
            "categories.regular.tiers[0].from_day",
        ),
        (
            "minimum above cap",
            with(&format!(
                r#"{{"tiers": {good_tier}, "minimum": "5.00", "cap": "4.00"}}"#
            )),
            "categories.regular.minimum",
        ),
        (
            "negative flat fee",
            with(&format!(r#"{{"tiers": {good_tier}, "flat_fee": "-1"}}"#)),
            "categories.regular.flat_fee",
        ),
        (
            "misspelt field",
            with(&format!(r#"{{"tiers": {good_tier}, "minimun": "1"}}"#)),
            "categories.regular.minimun",
        ),
        (
            "zero loan period",
            with(&format!(
                r#"{{"tiers": {good_tier}, "late_fee": {{"loan_days": 0, "per_day": "1"}}}}"#
            )),
            "categories.regular.late_fee.loan_days",
        ),
        (
            "unknown policy",
            format!(
                r#"{{"currency": "USD", "day_count": {{"policy": "lunar_days"}}, "default": {{"tiers": {good_tier}}}}}"#
            ),
            "day_count.policy",
        ),
        (
            "unknown time zone",
            format!(
                r#"{{"currency": "USD", "day_count": {{"policy": "calendar_days", "time_zone": "Mars/Base"}}, "default": {{"tiers": {good_tier}}}}}"#
            ),
            "day_count.time_zone",
        ),
        (
            "calendar without zone",
            format!(
                r#"{{"currency": "USD", "day_count": {{"policy": "calendar_days"}}, "default": {{"tiers": {good_tier}}}}}"#
            ),
            "day_count.time_zone",
        ),
        (
            "unknown rounding",
            format!(
                r#"{{"currency": "USD", "rounding": "nearest", "default": {{"tiers": {good_tier}}}}}"#
            ),
            "rounding",
        ),
        (
            "blank category name",
            format!(r#"{{"currency": "USD", "categories": {{" ": {{"tiers": {good_tier}}}}}}}"#),
            "categories.\" \"",
        ),
    ];
    let mut wrong = Vec::new();
    for (what, document, field) in &cases {
        let err = PricePlan::from_json(document).expect_err(what);
        assert!(matches!(err, Error::InvalidPlan { .. }), "{what}: {err:?}");
        if err.field() != Some(*field) {
            wrong.push(format!("{what}: expected {field:?}, got {err}"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    let toml_cases = [
        ("TOML syntax", "currency = ", "(document)"),
        (
            "TOML float rate",
            "currency = \"USD\"\n[categories.regular]\ntiers = [{ from_day = 1, rate = 1.5 }]",
            "categories.regular.tiers[0].rate",
        ),
        (
            "TOML unknown currency",
            "currency = \"ABC\"\n[default]\ntiers = [{ from_day = 1, rate = \"1\" }]",
            "currency",
        ),
    ];
    for (what, document, field) in toml_cases {
        let err = PricePlan::from_toml(document).expect_err(what);
        assert!(matches!(err, Error::InvalidPlan { .. }), "{what}: {err:?}");
        assert_eq!(err.field(), Some(field), "{what}: {err}");
    }
    println!(
        "malformed plans: {} JSON and {} TOML documents rejected",
        cases.len(),
        toml_cases.len()
    );
}
