//! PostgreSQL answers each per-request query the scaling tests (`work.rs`) hold flat from an index, never by
//! reading a growing table whole: `EXPLAIN` of the query, on a store with a few hundred records and fresh
//! statistics (`ANALYZE`), with sequential scans priced out of the planner's reach (`enable_seqscan = off`, so a
//! small table cannot make a scan look cheaper), must name its index.
#![cfg(feature = "postgres")]

mod common;

use chrono::{Duration, TimeZone, Utc};
use common::{Backend, Postgres};
use koko_core::{BookStore, NewBook, NewCustomer, Operation, PricePlan, RentTarget};

/// Fills a store the way a small shop's looks: 30 books of one copy, 40 customers, each holding 5 books (the first
/// hold on a book is ready, the others wait) and having cancelled 10 holds, 400 rentals returned long ago, 60
/// recent ones of which 40 are returned, and their charges.
fn populate(backend: &Postgres) {
    let mut plan: serde_json::Value = serde_json::from_str(&PricePlan::story3().to_json()).unwrap();
    plan["categories"]["regular"]["late_fee"] =
        serde_json::json!({"loan_days": 7, "per_day": "0.25"});
    let store = BookStore::with_default_plan(
        backend.storage(),
        PricePlan::from_json(&plan.to_string()).unwrap(),
    )
    .expect("a store");
    let t0 = Utc.with_ymd_and_hms(2025, 3, 3, 9, 0, 0).unwrap();
    let mut ops: Vec<Operation> = (0..30)
        .map(|i| Operation::AddBook {
            book: NewBook::new(format!("Book {i}"), "Author", "regular"),
            copies: 1,
        })
        .collect();
    ops.extend(
        (0..40).map(|i| Operation::RegisterCustomer(NewCustomer::new("Reader", format!("{i}")))),
    );
    store.apply_batch(ops).expect("books and customers");
    let mut ops = Vec::new();
    for customer in 1..=40u64 {
        for k in 0..5u64 {
            ops.push(Operation::PlaceHold {
                customer: koko_core::CustomerId::new(customer),
                book: koko_core::BookId::new(1 + (customer * 7 + k) % 30),
                at: t0,
            });
        }
    }
    store.apply_batch(ops).expect("holds");
    // And the closed holds a store accumulates: each customer placed and cancelled 10 more.
    let mut ops = Vec::new();
    for customer in 1..=40u64 {
        for k in 5..15u64 {
            ops.push(Operation::PlaceHold {
                customer: koko_core::CustomerId::new(customer),
                book: koko_core::BookId::new(1 + (customer * 7 + k) % 30),
                at: t0,
            });
        }
    }
    let cancels = store
        .apply_batch(ops)
        .expect("holds")
        .into_iter()
        .map(|outcome| Operation::CancelHold {
            hold: outcome.expect("a hold").into_hold().expect("a hold").id,
            at: t0 + Duration::hours(1),
        })
        .collect();
    store.apply_batch(cancels).expect("cancels");
    // The rentals a store accumulates: each customer rented and returned 10 books.
    let past = store
        .add_book(&NewBook::new("Past", "Author", "regular"), 400)
        .expect("past");
    let rents = (0..400u64)
        .map(|i| Operation::Rent {
            target: RentTarget::Book(past.id),
            customer: koko_core::CustomerId::new(1 + i % 40),
            at: t0 - Duration::days(30),
        })
        .collect();
    let returns = store
        .apply_batch(rents)
        .expect("rents")
        .into_iter()
        .map(|outcome| {
            Operation::return_at(
                outcome
                    .expect("a rental")
                    .into_rental()
                    .expect("a rental")
                    .id,
                t0 - Duration::days(29),
            )
        })
        .collect();
    store.apply_batch(returns).expect("returns");
    let more = store
        .add_book(&NewBook::new("Shelf", "Author", "regular"), 60)
        .expect("shelf");
    for i in 0..60u64 {
        let rental = store
            .apply(Operation::Rent {
                target: RentTarget::Book(more.id),
                customer: koko_core::CustomerId::new(1 + i % 40),
                at: t0 + Duration::hours(i as i64),
            })
            .expect("rent")
            .into_rental()
            .expect("a rental");
        if i < 40 {
            store
                .return_rental_at(rental.id, t0 + Duration::days(2))
                .expect("return");
        }
    }
}

/// The plan PostgreSQL chooses for `sql` on a [`populate`]d store with fresh statistics, its parameters of `types`
/// bound to `args` (SQL literals), with sequential scans off.
fn plan_of(backend: &Postgres, sql: &str, types: &[&str], args: &[&str]) -> String {
    populate(backend);
    let mut client =
        ::postgres::Client::connect(backend.url(), ::postgres::NoTls).expect("connect");
    client
        .batch_execute("ANALYZE; SET enable_seqscan = off")
        .expect("analyze");
    let (prepare, execute) = if types.is_empty() {
        (
            format!("PREPARE q AS {sql}"),
            "EXPLAIN EXECUTE q".to_owned(),
        )
    } else {
        (
            format!("PREPARE q ({}) AS {sql}", types.join(", ")),
            format!("EXPLAIN EXECUTE q ({})", args.join(", ")),
        )
    };
    client.batch_execute(&prepare).expect("prepare");
    client
        .query(&execute, &[])
        .expect("explain")
        .iter()
        .map(|row| row.get::<_, String>(0))
        .collect::<Vec<_>>()
        .join("\n")
}

/// `sql` (its one parameter, if any, a `bigint`) is answered through one of `indexes` and reads no table whole.
fn assert_index(sql: &str, indexes: &[&str]) {
    let params = sql.matches('$').count();
    assert_index_with(sql, &vec!["bigint"; params], &vec!["1"; params], indexes);
}

/// [`assert_index`] with parameters of `types` bound to `args`.
fn assert_index_with(sql: &str, types: &[&str], args: &[&str], indexes: &[&str]) {
    let backend = Postgres::fresh();
    let plan = plan_of(&backend, sql, types, args);
    assert!(
        indexes.iter().any(|index| plan.contains(index)) && !plan.contains("Seq Scan"),
        "{sql}\nis not answered by {indexes:?}:\n{plan}"
    );
}

#[test]
#[cfg_attr(
    not(koko_test_postgres),
    ignore = "needs PostgreSQL: set KOKO_TEST_POSTGRES, or run `scripts/test core`, which starts a server"
)]
fn a_rentals_entries_come_from_the_ledger_by_rental() {
    assert_index(
        "SELECT id, customer_id, kind, amount, currency, at, rental_id, note, balance_after
         FROM koko_ledger WHERE rental_id = $1 ORDER BY rental_id, id",
        &["koko_ledger_by_rental"],
    );
}

#[test]
#[cfg_attr(
    not(koko_test_postgres),
    ignore = "needs PostgreSQL: set KOKO_TEST_POSTGRES, or run `scripts/test core`, which starts a server"
)]
fn the_ready_holds_come_from_their_partial_index() {
    assert_index(
        "SELECT id, book_id, customer_id, placed_at, status, copy_id, ready_until, closed_at, rental_id
         FROM koko_holds WHERE status = 'ready' ORDER BY id",
        // Both partial indexes hold exactly the ready holds.
        &["koko_holds_ready", "koko_one_ready_hold_per_copy"],
    );
}

#[test]
#[cfg_attr(
    not(koko_test_postgres),
    ignore = "needs PostgreSQL: set KOKO_TEST_POSTGRES, or run `scripts/test core`, which starts a server"
)]
fn a_books_queue_comes_from_its_active_holds() {
    assert_index(
        "SELECT id, book_id, customer_id, placed_at, status, copy_id, ready_until, closed_at, rental_id
         FROM koko_holds WHERE book_id = $1 AND status IN ('waiting', 'ready') ORDER BY id",
        &["koko_holds_active_by_book"],
    );
}

#[test]
#[cfg_attr(
    not(koko_test_postgres),
    ignore = "needs PostgreSQL: set KOKO_TEST_POSTGRES, or run `scripts/test core`, which starts a server"
)]
fn an_expiry_reads_the_ready_holds_by_end_of_pickup() {
    assert_index_with(
        "SELECT id, book_id, customer_id, placed_at, status, copy_id, ready_until, closed_at, rental_id
         FROM koko_holds WHERE status = 'ready' AND ready_until < $1 ORDER BY id FOR UPDATE",
        &["timestamptz"],
        &["'2025-01-01T00:00:00Z'"],
        &["koko_holds_ready_until"],
    );
}

#[test]
#[cfg_attr(
    not(koko_test_postgres),
    ignore = "needs PostgreSQL: set KOKO_TEST_POSTGRES, or run `scripts/test core`, which starts a server"
)]
fn a_new_holds_checks_read_the_customers_active_holds_only() {
    // The hold on the book (a duplicate), from the unique index on (customer, book) of the active holds.
    assert_index(
        "SELECT id, book_id, customer_id, placed_at, status, copy_id, ready_until, closed_at, rental_id
         FROM koko_holds WHERE customer_id = $1 AND book_id = $2 AND status IN ('waiting', 'ready') FOR UPDATE",
        &["koko_one_active_hold"],
    );
    // How many (up to the limit), from the customer's active holds.
    assert_index(
        "SELECT id FROM koko_holds WHERE customer_id = $1 AND status IN ('waiting', 'ready')
         LIMIT $2 FOR UPDATE",
        &["koko_one_active_hold"],
    );
}

#[test]
#[cfg_attr(
    not(koko_test_postgres),
    ignore = "needs PostgreSQL: set KOKO_TEST_POSTGRES, or run `scripts/test core`, which starts a server"
)]
fn the_overdue_rentals_come_from_the_open_rentals_by_due_date() {
    assert_index_with(
        "SELECT id, copy_id, book_id, customer_id, category, rented_at, due_at, returned_at, plan_version, charge,
                renewals, lost
         FROM koko_rentals WHERE returned_at IS NULL AND due_at < $1 ORDER BY id",
        &["timestamptz"],
        &["'2025-01-01T00:00:00Z'"],
        &["koko_rentals_open_by_due"],
    );
}

#[test]
#[cfg_attr(
    not(koko_test_postgres),
    ignore = "needs PostgreSQL: set KOKO_TEST_POSTGRES, or run `scripts/test core`, which starts a server"
)]
fn a_customers_open_rentals_come_from_their_partial_index() {
    assert_index(
        "SELECT id, copy_id, book_id, customer_id, category, rented_at, due_at, returned_at, plan_version, charge,
                renewals, lost
         FROM koko_rentals WHERE customer_id = $3 AND returned_at IS NULL AND id > $1 ORDER BY id LIMIT $2",
        // Either index of the customer's open rentals (by id, or by due date, which a small table may prefer).
        &[
            "koko_rentals_open_by_customer",
            "koko_rentals_open_due_by_customer",
        ],
    );
}

#[test]
#[cfg_attr(
    not(koko_test_postgres),
    ignore = "needs PostgreSQL: set KOKO_TEST_POSTGRES, or run `scripts/test core`, which starts a server"
)]
fn a_books_copies_on_the_shelf_are_counted_from_their_partial_index() {
    assert_index(
        "SELECT count(*) FROM koko_copies WHERE book_id = $1 AND NOT withdrawn AND rental_id IS NULL
             AND hold_id IS NULL AND lost_rental_id IS NULL",
        &["koko_copies_on_shelf"],
    );
}

#[test]
#[cfg_attr(
    not(koko_test_postgres),
    ignore = "needs PostgreSQL: set KOKO_TEST_POSTGRES, or run `scripts/test core`, which starts a server"
)]
fn the_books_on_the_shelf_are_a_skip_scan_of_the_copies_on_the_shelf() {
    let plan = {
        let backend = Postgres::fresh();
        plan_of(
            &backend,
            "WITH RECURSIVE shelf (id) AS (
                 (SELECT book_id FROM koko_copies WHERE book_id > $1 AND NOT withdrawn AND rental_id IS NULL
                      AND hold_id IS NULL AND lost_rental_id IS NULL ORDER BY book_id LIMIT 1)
                 UNION ALL
                 SELECT next.book_id FROM shelf, LATERAL (
                     SELECT c.book_id FROM koko_copies c WHERE c.book_id > shelf.id AND NOT c.withdrawn
                         AND c.rental_id IS NULL AND c.hold_id IS NULL AND c.lost_rental_id IS NULL
                     ORDER BY c.book_id LIMIT 1) next)
             SELECT id FROM shelf LIMIT $2",
            &["bigint", "bigint"],
            &["0", "20"],
        )
    };
    // Both steps (the first book, then each next one) probe the index; nothing sorts or scans the table.
    assert_eq!(plan.matches("koko_copies_on_shelf").count(), 2, "{plan}");
    assert!(
        !plan.contains("Seq Scan") && !plan.contains("Sort"),
        "{plan}"
    );
}

#[test]
#[cfg_attr(
    not(koko_test_postgres),
    ignore = "needs PostgreSQL: set KOKO_TEST_POSTGRES, or run `scripts/test core`, which starts a server"
)]
fn a_words_records_are_a_range_of_the_search_index() {
    assert_index_with(
        "SELECT id FROM koko_words WHERE kind = $3 AND word = $4 AND id > $1 ORDER BY id LIMIT $2",
        &["bigint", "bigint", "text", "text"],
        &["0", "20", "'b'", "'\u{1}regular\u{2}'"],
        &["koko_words_pkey"],
    );
}

#[test]
#[cfg_attr(
    not(koko_test_postgres),
    ignore = "needs PostgreSQL: set KOKO_TEST_POSTGRES, or run `scripts/test core`, which starts a server"
)]
fn the_rentals_of_a_status_come_from_its_partial_index() {
    assert_index(
        "SELECT id, copy_id, book_id, customer_id, category, rented_at, due_at, returned_at, plan_version,
                charge, renewals, lost
         FROM koko_rentals WHERE returned_at IS NOT NULL AND NOT lost AND id > $1 ORDER BY id LIMIT $2",
        &["koko_rentals_closed"],
    );
    assert_index(
        "SELECT id, copy_id, book_id, customer_id, category, rented_at, due_at, returned_at, plan_version,
                charge, renewals, lost
         FROM koko_rentals WHERE lost AND id > $1 ORDER BY id LIMIT $2",
        &["koko_rentals_lost"],
    );
}

#[test]
#[cfg_attr(
    not(koko_test_postgres),
    ignore = "needs PostgreSQL: set KOKO_TEST_POSTGRES, or run `scripts/test core`, which starts a server"
)]
fn a_periods_revenue_reads_the_rentals_returned_in_it() {
    assert_index_with(
        "SELECT id, copy_id, book_id, customer_id, category, rented_at, due_at, returned_at, plan_version, charge,
                renewals, lost
         FROM koko_rentals WHERE returned_at >= $1 AND returned_at < $2 ORDER BY returned_at, id",
        &["timestamptz", "timestamptz"],
        &["'2025-03-05T00:00:00Z'", "'2025-03-06T00:00:00Z'"],
        &["koko_rentals_by_return"],
    );
}

#[test]
#[cfg_attr(
    not(koko_test_postgres),
    ignore = "needs PostgreSQL: set KOKO_TEST_POSTGRES, or run `scripts/test core`, which starts a server"
)]
fn a_statement_reads_the_ledger_by_date_from_either_end() {
    let types = ["bigint", "timestamptz", "timestamptz", "bigint", "bigint"];
    let args = [
        "1",
        "'2025-03-01T00:00:00Z'",
        "'2025-03-02T00:00:00Z'",
        "0",
        "4",
    ];
    assert_index_with(
        "SELECT id, customer_id, kind, amount, currency, at, rental_id, note, balance_after
         FROM koko_ledger WHERE customer_id = $1 AND at < $2 AND (at, id) > ($3, $4)
         ORDER BY at, id LIMIT $5",
        &types,
        &args,
        &["koko_ledger_by_date"],
    );
    assert_index_with(
        "SELECT id, customer_id, kind, amount, currency, at, rental_id, note, balance_after
         FROM koko_ledger WHERE customer_id = $1 AND at >= $2 AND (at, id) < ($3, $4)
         ORDER BY at DESC, id DESC LIMIT $5",
        &types,
        &args,
        &["koko_ledger_by_date"],
    );
}

#[test]
#[cfg_attr(
    not(koko_test_postgres),
    ignore = "needs PostgreSQL: set KOKO_TEST_POSTGRES, or run `scripts/test core`, which starts a server"
)]
fn the_customers_who_owe_come_from_their_partial_index() {
    assert_index(
        "SELECT customer_id AS id FROM koko_accounts WHERE balance > 0 AND customer_id > $1
         ORDER BY customer_id LIMIT $2",
        &["koko_accounts_owing"],
    );
}

#[test]
#[cfg_attr(
    not(koko_test_postgres),
    ignore = "needs PostgreSQL: set KOKO_TEST_POSTGRES, or run `scripts/test core`, which starts a server"
)]
fn the_limits_count_a_customers_open_and_overdue_rentals_from_indexes() {
    assert_index(
        "SELECT count(*) FROM koko_rentals WHERE customer_id = $1 AND returned_at IS NULL",
        &[
            "koko_rentals_open_by_customer",
            "koko_rentals_open_due_by_customer",
        ],
    );
    assert_index_with(
        "SELECT count(*) FROM (SELECT 1 FROM koko_rentals
             WHERE customer_id = $1 AND returned_at IS NULL AND due_at < $2 LIMIT $3) AS overdue",
        &["bigint", "timestamptz", "bigint"],
        &["1", "'2025-03-10T00:00:00Z'", "3"],
        &["koko_rentals_open_due_by_customer"],
    );
}

#[test]
#[cfg_attr(
    not(koko_test_postgres),
    ignore = "needs PostgreSQL: set KOKO_TEST_POSTGRES, or run `scripts/test core`, which starts a server"
)]
fn a_page_of_the_event_feed_is_a_range_of_its_positions() {
    assert_index(
        "SELECT position, id, type, at, book_id, copy_id, customer_id, rental_id, hold_id, data
         FROM koko_events WHERE position > $1 ORDER BY position LIMIT $2",
        &["koko_events_pkey"],
    );
}

#[test]
#[cfg_attr(
    not(koko_test_postgres),
    ignore = "needs PostgreSQL: set KOKO_TEST_POSTGRES, or run `scripts/test core`, which starts a server"
)]
fn a_page_of_some_types_is_a_range_of_each_type_in_the_feed_by_type() {
    assert_index_with(
        "SELECT e.position, e.id, e.type, e.at, e.book_id, e.copy_id, e.customer_id, e.rental_id, e.hold_id,
             e.data
         FROM unnest($1::text[]) AS t(type)
         CROSS JOIN LATERAL (
             SELECT * FROM koko_events
             WHERE (koko_events.type, koko_events.position) > (t.type, $2) AND koko_events.type <= t.type
             ORDER BY koko_events.type, koko_events.position LIMIT $3) AS e
         ORDER BY e.position LIMIT $3",
        &["text[]", "bigint", "bigint"],
        &["'{rental.opened,hold.placed}'", "0", "100"],
        &["koko_events_by_type"],
    );
}
