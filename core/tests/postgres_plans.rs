//! PostgreSQL answers each per-request query the scaling tests (`work.rs`) hold flat from an index, never by
//! reading a growing table whole: `EXPLAIN` of the query, with sequential scans priced out of the planner's
//! reach (`enable_seqscan = off`, so a tiny test table cannot make a scan look cheaper), must name its index.
#![cfg(feature = "postgres")]

mod common;

use common::{Backend, Postgres};

/// The plan PostgreSQL chooses for `sql`, its parameters of `types` bound to `args` (SQL literals), with
/// sequential scans off.
fn plan_of(backend: &Postgres, sql: &str, types: &[&str], args: &[&str]) -> String {
    let mut client =
        ::postgres::Client::connect(backend.url(), ::postgres::NoTls).expect("connect");
    // Opening the store created the schema.
    client
        .batch_execute("SET enable_seqscan = off")
        .expect("set");
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
fn a_customers_active_holds_come_from_their_partial_index() {
    assert_index(
        "SELECT id, book_id, customer_id, placed_at, status, copy_id, ready_until, closed_at, rental_id
         FROM koko_holds WHERE customer_id = $1 AND status IN ('waiting', 'ready') ORDER BY id FOR UPDATE",
        &["koko_holds_active_by_customer"],
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
