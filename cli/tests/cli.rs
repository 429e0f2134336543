//! The `koko` command as an operator runs it: a 100,000-book import with bad rows (the exact report), an export
//! round trip, `check` on a healthy store and on one damaged on purpose, backup → restore → the same dump, and a
//! migration from sled to PostgreSQL after which `check` passes and every report is the same on both.

use std::path::Path;
use std::process::{Command, Output};

use chrono::{TimeZone, Utc};
use koko_core::{BookId, BookStore, NewCustomer, PricePlan, SledStorage};

fn koko(store: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_koko"))
        .args(args)
        .env("KOKO_STORE", store)
        .output()
        .expect("run koko")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A sled store with story 3 published (so categories are checked), closed again.
fn new_store(dir: &Path) -> String {
    let path = dir.join("store");
    BookStore::with_default_plan(SledStorage::open(&path).unwrap(), PricePlan::story3()).unwrap();
    path.to_string_lossy().into_owned()
}

#[test]
fn a_large_import_reports_each_bad_row_and_round_trips() {
    let dir = tempfile::tempdir().unwrap();
    let store = new_store(dir.path());
    let categories = ["regular", "fiction", "novel"];
    let mut csv = String::from("title,author,category,isbn,copies\n");
    // Line n of the file is book n - 1; seven rows are bad on purpose.
    let bad: &[(u64, &str)] = &[
        (10, "Book 5,Author,novel,,1"), // the title of line 7, again
        (500, "Broken ISBN,Author,novel,978-0-441-17271-8,1"), // a wrong check digit
        (12_345, "No Author,,regular,,1"),
        (50_000, "Poems,Author,poetry,,1"), // story 3 prices no poetry
        (77_777, "Zero Copies,Author,fiction,,0"),
        (88_888, "Lots,Author,fiction,,lots"),
        (100_001, ",Author,novel,,1"), // the last line: no title
    ];
    for line in 2..=100_001u64 {
        match bad.iter().find(|(l, _)| *l == line) {
            Some((_, row)) => csv.push_str(row),
            None => csv.push_str(&format!(
                "Book {},Author {},{},,{}",
                line - 2,
                line % 97,
                categories[(line % 3) as usize],
                1 + line % 2
            )),
        }
        csv.push('\n');
    }
    let file = dir.path().join("books.csv");
    std::fs::write(&file, csv).unwrap();

    let out = koko(&store, &["import", "books", file.to_str().unwrap()]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "bad rows make the exit status 1"
    );
    let report: Vec<String> = text(&out.stderr).lines().map(str::to_owned).collect();
    let want = [
        "line 10: title: duplicate title: \"Book 5\" is already taken",
        "line 500: isbn: invalid isbn: \"978-0-441-17271-8\" is not a valid ISBN-10 or ISBN-13",
        "line 12345: author: invalid author: must not be empty",
        "line 50000: category: invalid category: \"poetry\" is not priced by this plan (it prices: fiction, novel, regular)",
        "line 77777: copies: invalid copies: must be between 1 and 10000, got 0",
        "line 88888: copies: \"lots\" is not a whole number (invalid digit found in string)",
        "line 100001: title: invalid title: must not be empty",
    ];
    assert_eq!(report, want);
    // 100,000 rows, 7 refused; the good ones have 1 + line % 2 copies.
    let copies: u64 = (2..=100_001u64)
        .filter(|l| !bad.iter().any(|(b, _)| b == l))
        .map(|l| 1 + l % 2)
        .sum();
    assert_eq!(
        text(&out.stdout).trim(),
        format!("imported 99993 books ({copies} copies) from 100000 rows; 7 rows refused")
    );

    let exported = koko(&store, &["export", "books"]);
    assert_eq!(text(&exported.stderr).trim(), "99993 rows");
    let checked = koko(&store, &["check"]);
    assert!(checked.status.success(), "{}", text(&checked.stdout));
    assert!(text(&checked.stdout).ends_with("no problem\n"));
}

/// Export, import the export into an empty store, export again: the same file.
#[test]
fn books_export_round_trips() {
    let dir = tempfile::tempdir().unwrap();
    let store = new_store(dir.path());
    let mut csv = String::from("title,author,category,isbn,copies\n");
    csv.push_str("Dune,Frank Herbert,fiction,978-0-441-17271-9,3\n\"Émile, ou De l'éducation\",Rousseau,novel,,1\n");
    for i in 0..1_000 {
        csv.push_str(&format!(
            "Book {i},Author {},regular,,{}\n",
            i % 7,
            1 + i % 3
        ));
    }
    let file = dir.path().join("books.csv");
    std::fs::write(&file, csv).unwrap();
    assert!(koko(&store, &["import", "books", file.to_str().unwrap()])
        .status
        .success());
    // Export, import the export into an empty store, export again: the same file.
    let first = koko(&store, &["export", "books"]);
    assert!(first.status.success(), "{}", text(&first.stderr));
    assert_eq!(text(&first.stderr).trim(), "1002 rows");
    let exported = dir.path().join("exported.csv");
    std::fs::write(&exported, &first.stdout).unwrap();
    let other = tempfile::tempdir().unwrap();
    let copy = new_store(other.path());
    let again = koko(&copy, &["import", "books", exported.to_str().unwrap()]);
    assert!(again.status.success(), "{}", text(&again.stderr));
    let second = koko(&copy, &["export", "books"]);
    assert_eq!(text(&second.stdout), text(&first.stdout));
    assert!(text(&first.stdout).contains("\"Émile, ou De l'éducation\",Rousseau,novel,,1,1"));
}

#[test]
fn customers_import_and_export() {
    let dir = tempfile::tempdir().unwrap();
    let store = new_store(dir.path());
    let file = dir.path().join("customers.csv");
    std::fs::write(
        &file,
        "first_name,last_name,email\nAda,Lovelace,ada@example.org\nGrace,,grace@example.org\nAlan,Turing,\n",
    )
    .unwrap();
    let out = koko(&store, &["import", "customers", file.to_str().unwrap()]);
    assert_eq!(
        (text(&out.stderr).trim(), text(&out.stdout).trim()),
        (
            "line 3: last_name: invalid last_name: must not be empty",
            "imported 2 customers from 3 rows; 0 skipped (already there: their e-mail address is a customer's); 1 rows refused"
        )
    );
    let out = koko(&store, &["export", "customers"]);
    assert_eq!(
        text(&out.stdout),
        "id,first_name,last_name,email,active\n1,Ada,Lovelace,ada@example.org,true\n2,Alan,Turing,,true\n"
    );
}

/// `check` on a healthy PostgreSQL store, then on the same store with a copy no longer marked rented and a charge
/// changed behind Koko's back: it must name both. Runs where `KOKO_TEST_POSTGRES` names a server.
#[test]
#[cfg_attr(
    not(koko_test_postgres),
    ignore = "needs PostgreSQL: set KOKO_TEST_POSTGRES, or run `scripts/test cli`, which starts a server"
)]
fn check_finds_damage() {
    let Ok(server) = std::env::var("KOKO_TEST_POSTGRES") else {
        eprintln!("KOKO_TEST_POSTGRES is not set: skipped");
        return;
    };
    let db = format!("koko_cli_check_{}", std::process::id());
    let mut admin = postgres_client(&server);
    for statement in [
        format!("DROP DATABASE IF EXISTS {db}"),
        format!("CREATE DATABASE {db}"),
    ] {
        admin.batch_execute(&statement).unwrap();
    }
    let url = format!("{server} dbname={db}");
    let at = Utc.with_ymd_and_hms(2024, 6, 3, 10, 0, 0).unwrap();
    {
        let storage = koko_core::PostgresStorage::connect(&url).unwrap();
        let store = BookStore::with_default_plan(storage, PricePlan::story3()).unwrap();
        store
            .add_book(&koko_core::NewBook::new("Emma", "Jane Austen", "novel"), 2)
            .unwrap();
        let ada = store
            .register_customer(&NewCustomer::new("Ada", "Lovelace"))
            .unwrap();
        let open = store.rent_book_at(ada.id, BookId::new(1), at).unwrap();
        let closed = store.rent_book_at(ada.id, BookId::new(1), at).unwrap();
        store
            .return_rental_at(closed.id, at + chrono::Duration::days(2))
            .unwrap();
        assert_eq!((open.id.get(), closed.id.get()), (1, 2));
    }
    let url_form = format!("postgresql://postgres@127.0.0.1:{}/{db}", port(&server));
    let healthy = koko(&url_form, &["check"]);
    assert!(healthy.status.success(), "{}", text(&healthy.stdout));
    let mut client = postgres_client(&url);
    client
        .batch_execute(
            "UPDATE koko_copies SET rental_id = NULL WHERE id = 1;
             UPDATE koko_rentals SET charge_total = 9.99, charge = jsonb_set(charge, '{total}', '\"9.99\"') WHERE id = 2;",
        )
        .unwrap();
    let damaged = koko(&url_form, &["check"]);
    let out = text(&damaged.stdout);
    assert_eq!(damaged.status.code(), Some(1), "{out}");
    assert!(
        out.contains("open rental 1 holds copy 1, which is not marked rented under it"),
        "{out}"
    );
    assert!(
        out.contains("rental 2 was charged 9.99 but its quote is 4.50"),
        "{out}"
    );
    drop(client);
    admin
        .batch_execute(&format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)"))
        .unwrap();
}

/// A sled store with history: books, customers, open and closed rentals, a payment, a second plan version.
fn store_with_history(dir: &Path) -> String {
    let path = dir.join("history");
    let at = Utc.with_ymd_and_hms(2024, 6, 3, 10, 0, 0).unwrap();
    let store =
        BookStore::with_default_plan(SledStorage::open(&path).unwrap(), PricePlan::story3())
            .unwrap();
    for (title, category, copies) in [
        ("Emma", "novel", 2),
        ("Dune", "fiction", 1),
        ("Ulysses", "regular", 3),
    ] {
        store
            .add_book(&koko_core::NewBook::new(title, "Someone", category), copies)
            .unwrap();
    }
    let ada = store
        .register_customer(&NewCustomer::new("Ada", "Lovelace"))
        .unwrap();
    let bob = store
        .register_customer(&NewCustomer::new("Bob", "Dylan"))
        .unwrap();
    for (i, book) in [1, 2, 3, 1].into_iter().enumerate() {
        let who = if i % 2 == 0 { ada.id } else { bob.id };
        let rental = store.rent_book_at(who, BookId::new(book), at).unwrap();
        if i < 3 {
            store
                .return_rental_at(rental.id, at + chrono::Duration::hours(50 + 24 * i as i64))
                .unwrap();
        }
    }
    store
        .publish_plan(PricePlan::story2(), at + chrono::Duration::days(30))
        .unwrap();
    path.to_string_lossy().into_owned()
}

/// A dump without its header line (which says when it was taken).
fn dump_body(store: &str) -> String {
    let out = koko(store, &["backup"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    text(&out.stdout).split_once('\n').unwrap().1.to_owned()
}

#[test]
fn backup_restore_gives_the_same_dump() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_with_history(dir.path());
    let file = dir.path().join("koko.dump");
    let backed = koko(&store, &["backup", "--output", file.to_str().unwrap()]);
    assert!(backed.status.success(), "{}", text(&backed.stderr));
    assert_eq!(
        text(&backed.stderr).trim(),
        "backed up: 2 plan versions, 3 books, 6 copies, 2 customers, 4 rentals, 3 ledger entries, 0 holds, 0 notices sent"
    );
    let copy = dir.path().join("copy").to_string_lossy().into_owned();
    // A store that does not exist is not restored into: it is created first, without a plan.
    let missing = koko(&copy, &["restore", file.to_str().unwrap()]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(!Path::new(&copy).exists());
    let created = koko("", &["init", &copy]);
    assert!(created.status.success(), "{}", text(&created.stderr));
    let restored = koko(&copy, &["restore", file.to_str().unwrap()]);
    assert!(restored.status.success(), "{}", text(&restored.stderr));
    assert_eq!(dump_body(&store), dump_body(&copy));
    assert!(koko(&copy, &["check"]).status.success());
    // Restoring again into the now full store is refused and changes nothing.
    let again = koko(&copy, &["restore", file.to_str().unwrap()]);
    assert_eq!(again.status.code(), Some(2));
    assert!(
        text(&again.stderr).contains("not empty"),
        "{}",
        text(&again.stderr)
    );
    assert_eq!(dump_body(&store), dump_body(&copy));
}

/// sled → PostgreSQL: `koko migrate` verifies and checks; every report is the same on both stores.
#[test]
#[cfg_attr(
    not(koko_test_postgres),
    ignore = "needs PostgreSQL: set KOKO_TEST_POSTGRES, or run `scripts/test cli`, which starts a server"
)]
fn migrate_sled_to_postgres() {
    let Ok(server) = std::env::var("KOKO_TEST_POSTGRES") else {
        eprintln!("KOKO_TEST_POSTGRES is not set: skipped");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let store = store_with_history(dir.path());
    let db = format!("koko_cli_migrate_{}", std::process::id());
    let mut admin = postgres_client(&server);
    for statement in [
        format!("DROP DATABASE IF EXISTS {db}"),
        format!("CREATE DATABASE {db}"),
    ] {
        admin.batch_execute(&statement).unwrap();
    }
    let target = format!("postgresql://postgres@127.0.0.1:{}/{db}", port(&server));
    let from = format!("sled:{store}");
    // A database without Koko's tables is no store: migrate refuses it until `koko init` makes one.
    let refused = Command::new(env!("CARGO_BIN_EXE_koko"))
        .args(["migrate", "--from", &from, "--to", &target])
        .output()
        .unwrap();
    assert_eq!(refused.status.code(), Some(2));
    assert!(text(&refused.stderr).contains("no Koko store at"));
    let created = koko("", &["init", &target]);
    assert!(created.status.success(), "{}", text(&created.stderr));
    let moved = Command::new(env!("CARGO_BIN_EXE_koko"))
        .args(["migrate", "--from", &from, "--to", &target])
        .output()
        .unwrap();
    let out = text(&moved.stdout);
    assert!(moved.status.success(), "{out}{}", text(&moved.stderr));
    assert!(
        out.contains("migrated and verified: 2 plan versions, 3 books, 6 copies"),
        "{out}"
    );
    assert!(out.contains("ledger entries: no problem\n"), "{out}");
    assert_eq!(dump_body(&store), dump_body(&target));
    for report in [
        vec!["export", "books"],
        vec!["export", "customers"],
        vec!["export", "ledger"],
        vec!["export", "active-rentals"],
        vec![
            "report",
            "--from",
            "2024-01-01T00:00:00Z",
            "--to",
            "2025-01-01T00:00:00Z",
        ],
    ] {
        let (a, b) = (koko(&store, &report), koko(&target, &report));
        assert!(a.status.success() && b.status.success(), "{report:?}");
        assert_eq!(text(&a.stdout), text(&b.stdout), "{report:?}");
        assert!(text(&a.stdout).lines().count() > 1, "{report:?} is empty");
    }
    // A second migration into the now full database is refused.
    let again = Command::new(env!("CARGO_BIN_EXE_koko"))
        .args(["migrate", "--from", &from, "--to", &target])
        .output()
        .unwrap();
    assert_eq!(again.status.code(), Some(2));
    admin
        .batch_execute(&format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)"))
        .unwrap();
}

fn postgres_client(conninfo: &str) -> koko_postgres::Client {
    koko_postgres::Client::connect(conninfo, koko_postgres::NoTls).unwrap()
}

/// The port of a `host=… port=…` connection string.
fn port(conninfo: &str) -> String {
    conninfo
        .split_whitespace()
        .find_map(|kv| kv.strip_prefix("port="))
        .unwrap_or("5432")
        .to_owned()
}

use postgres as koko_postgres;
