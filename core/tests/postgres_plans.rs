//! PostgreSQL answers each per-request query the scaling tests (`work.rs`) hold flat from an index, never by
//! reading a growing table whole: `EXPLAIN` of the query, with sequential scans priced out of the planner's
//! reach (`enable_seqscan = off`, so a tiny test table cannot make a scan look cheaper), must name its index.
#![cfg(feature = "postgres")]

mod common;

use common::{Backend, Postgres};

/// The plan PostgreSQL chooses for `sql` (whose parameters are all `bigint`) with sequential scans off.
fn plan_of(backend: &Postgres, sql: &str) -> String {
    let mut client =
        ::postgres::Client::connect(backend.url(), ::postgres::NoTls).expect("connect");
    // Opening the store created the schema.
    client
        .batch_execute("SET enable_seqscan = off")
        .expect("set");
    let params = sql.matches('$').count();
    let types: Vec<&str> = vec!["bigint"; params];
    let prepare = if params == 0 {
        format!("PREPARE q AS {sql}")
    } else {
        format!("PREPARE q ({}) AS {sql}", types.join(", "))
    };
    client.batch_execute(&prepare).expect("prepare");
    let args: Vec<String> = (1..=params).map(|i| i.to_string()).collect();
    let execute = if params == 0 {
        "EXPLAIN EXECUTE q".to_owned()
    } else {
        format!("EXPLAIN EXECUTE q ({})", args.join(", "))
    };
    client
        .query(&execute, &[])
        .expect("explain")
        .iter()
        .map(|row| row.get::<_, String>(0))
        .collect::<Vec<_>>()
        .join("\n")
}

/// `sql` is answered through one of `indexes` and reads no table whole.
fn assert_index(sql: &str, indexes: &[&str]) {
    let backend = Postgres::fresh();
    let plan = plan_of(&backend, sql);
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
