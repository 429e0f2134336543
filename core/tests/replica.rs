//! Reads from a streaming replica (issue 16) on a real primary/replica pair: `KOKO_TEST_POSTGRES` names the primary
//! and `KOKO_TEST_POSTGRES_REPLICA` its hot standby (scripts/test starts both). Listings and search read from the
//! replica while it keeps up — shown by pausing its replay: a book written after the pause is missing from the
//! listing but found by id (reads by id go to the primary) — and from the primary once its lag passes the bound or
//! when it is down. Writes always go to the primary; a backup reads the primary only.
#![cfg(feature = "postgres")]

mod common;

use std::time::{Duration, Instant};

use koko_core::{
    BookQuery, BookStore, NewBook, PostgresOptions, PostgresStorage, PricePlan, Storage,
};

struct Pair {
    primary: String,
    replica: String,
    replica_admin: String,
}

/// A fresh database on the primary, once the replica has it too; `None` (skipped) without both servers.
fn pair(test: &str) -> Option<Pair> {
    let (Ok(primary), Ok(replica)) = (
        std::env::var("KOKO_TEST_POSTGRES"),
        std::env::var("KOKO_TEST_POSTGRES_REPLICA"),
    ) else {
        eprintln!("KOKO_TEST_POSTGRES and KOKO_TEST_POSTGRES_REPLICA are not both set: skipped");
        return None;
    };
    let name = format!("koko_replica_{test}_{}", std::process::id());
    let mut admin = postgres::Client::connect(&primary, postgres::NoTls).unwrap();
    admin
        .batch_execute(&format!("DROP DATABASE IF EXISTS {name}"))
        .unwrap();
    admin
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .unwrap();
    let pair = Pair {
        primary: format!("{primary} dbname={name}"),
        replica: format!("{replica} dbname={name}"),
        replica_admin: replica,
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    while postgres::Client::connect(&pair.replica, postgres::NoTls).is_err() {
        assert!(
            Instant::now() < deadline,
            "the replica never got the database"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    Some(pair)
}

fn replay(pair: &Pair, run: bool) {
    let mut replica = postgres::Client::connect(&pair.replica_admin, postgres::NoTls).unwrap();
    let call = if run {
        "SELECT pg_wal_replay_resume()"
    } else {
        "SELECT pg_wal_replay_pause()"
    };
    replica.batch_execute(call).unwrap();
}

/// Waits until the replica has replayed everything the primary wrote so far.
fn caught_up(pair: &Pair) {
    let mut primary = postgres::Client::connect(&pair.primary, postgres::NoTls).unwrap();
    let lsn: String = primary
        .query_one("SELECT pg_current_wal_lsn()::text", &[])
        .unwrap()
        .get(0);
    let mut replica = postgres::Client::connect(&pair.replica, postgres::NoTls).unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let done: bool = replica
            .query_one(
                "SELECT pg_last_wal_replay_lsn() >= $1::text::pg_lsn",
                &[&lsn],
            )
            .unwrap()
            .get(0);
        if done {
            return;
        }
        assert!(Instant::now() < deadline, "the replica never caught up");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn titles<S: Storage>(store: &BookStore<S>) -> Vec<String> {
    store
        .books_page(None, 100)
        .unwrap()
        .into_iter()
        .map(|b| b.title)
        .collect()
}

#[test]
#[cfg_attr(
    not(all(koko_test_postgres, koko_test_postgres_replica)),
    ignore = "needs PostgreSQL and a streaming replica: set KOKO_TEST_POSTGRES and KOKO_TEST_POSTGRES_REPLICA, or run `scripts/test core`"
)]
fn listings_read_the_replica_until_it_lags_too_far() {
    let Some(pair) = pair("lag") else { return };
    let max_lag = Duration::from_secs(5);
    let storage = PostgresStorage::connect_with(
        &pair.primary,
        PostgresOptions {
            replica: Some(pair.replica.clone()),
            max_replica_lag: max_lag,
            ..PostgresOptions::default()
        },
    )
    .unwrap();
    let store = BookStore::with_default_plan(storage, PricePlan::story3()).unwrap();
    store
        .add_book(&NewBook::new("Emma", "Jane Austen", "novel"), 1)
        .unwrap();
    caught_up(&pair);
    assert_eq!(titles(&store), ["Emma"]);

    replay(&pair, false);
    let paused_at = Instant::now();
    let dune = store
        .add_book(&NewBook::new("Dune", "Frank Herbert", "fiction"), 1)
        .unwrap();
    // Within the bound the replica serves: Dune is not there yet, in the listing or the search…
    std::thread::sleep(Duration::from_millis(600)); // past the health check's cache
    assert_eq!(
        titles(&store),
        ["Emma"],
        "the listing should come from the replica"
    );
    let search = BookQuery {
        text: Some("dune".into()),
        ..BookQuery::default()
    };
    assert!(store.search_books(&search, None, 10).unwrap().is_empty());
    assert!(
        paused_at.elapsed() < max_lag,
        "too slow to see the replica within its lag bound"
    );
    // …but a read by id goes to the primary.
    assert_eq!(store.book(dune.id).unwrap().title, "Dune");
    // Past the bound, listings read the primary.
    std::thread::sleep(max_lag + Duration::from_millis(700));
    assert_eq!(titles(&store), ["Emma", "Dune"]);
    replay(&pair, true);
    caught_up(&pair);
    std::thread::sleep(Duration::from_millis(600));
    assert_eq!(titles(&store), ["Emma", "Dune"]);
}

#[test]
#[cfg_attr(
    not(all(koko_test_postgres, koko_test_postgres_replica)),
    ignore = "needs PostgreSQL and a streaming replica: set KOKO_TEST_POSTGRES and KOKO_TEST_POSTGRES_REPLICA, or run `scripts/test core`"
)]
fn reads_fall_back_to_the_primary_when_the_replica_is_down() {
    let Some(pair) = pair("down") else { return };
    // A port nobody listens on: the replica is down from the start.
    let down = common::with_port_nobody_listens_on(&pair.replica);
    let storage = PostgresStorage::connect_with(
        &pair.primary,
        PostgresOptions {
            replica: Some(down),
            ..PostgresOptions::default()
        },
    )
    .unwrap();
    let store = BookStore::with_default_plan(storage, PricePlan::story3()).unwrap();
    for i in 0..20 {
        store
            .add_book(&NewBook::new(format!("Book {i}"), "A", "regular"), 1)
            .unwrap();
        assert_eq!(titles(&store).len(), i + 1);
    }
}
