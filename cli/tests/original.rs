//! `koko import original`: a database written by the original application itself
//! (`tests/fixtures/original/koko_book_store.sqlite3`) moved into a new store. Every expected value below is worked
//! out by hand from the table in `tests/fixtures/original/README.md`, not taken from the importer's output.

use std::path::Path;
use std::process::{Command, Output};

use chrono::{DateTime, Utc};
use koko_core::{
    BookId, BookStore, CopyId, CopyStatus, CustomerId, Decimal, RentalId, SledStorage, Storage,
};

const FIXTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/original/koko_book_store.sqlite3"
);

fn koko(store: Option<&str>, args: &[&str]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_koko"));
    command.args(args).env_remove("KOKO_STORE");
    if let Some(store) = store {
        command.env("KOKO_STORE", store);
    }
    command.output().expect("run koko")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// `koko init DIR/shop --plan story3` (in force from the start), the store's name.
fn new_store(dir: &Path) -> String {
    let shop = dir.join("shop").to_string_lossy().into_owned();
    let out = koko(None, &["init", &shop, "--plan", "story3"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    shop
}

fn open(shop: &str) -> BookStore<SledStorage> {
    BookStore::open(SledStorage::open(shop).unwrap()).unwrap()
}

fn money(amount: &str) -> Decimal {
    amount.parse().unwrap()
}

fn at(time: &str) -> DateTime<Utc> {
    time.parse().unwrap()
}

/// Whether the store holds no book, customer or rental.
fn empty(shop: &str) -> bool {
    let storage = SledStorage::open(shop).unwrap();
    storage.books_after(None).unwrap().next().is_none()
        && storage.customers_after(None).unwrap().next().is_none()
        && storage.rentals_after(None).unwrap().next().is_none()
}

#[test]
fn the_original_database_moves_in_with_its_ids_open_rentals_and_recorded_amounts() {
    let dir = tempfile::tempdir().unwrap();
    let shop = new_store(dir.path());
    let out = koko(Some(&shop), &["import", "original", FIXTURE]);
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(1), "{stdout}\n{stderr}");

    // Every unmappable row named with its table, id and reason; the two corrections as warnings.
    let lines: Vec<&str> = stderr.lines().collect();
    let named = [
        ("books id 10: ", "book 3"),
        ("books id 12: ", "unknown book_type \"P\""),
        ("rentals id 7: ", "customer 6 is not in the customers table"),
        ("rentals id 8: ", "book 11 is not in the books table"),
        ("rentals id 9: ", "before it was borrowed"),
        ("rentals id 10: ", "is negative"),
        ("rentals id 11: ", "its book 10 was refused"),
        ("rentals id 12: ", "without a date_returned"),
        ("rentals id 18: ", "already out on open rental 17"),
        ("warning: books id 1: ", "open rental 20 holds it"),
        ("warning: books id 13: ", "imported as available"),
    ];
    assert_eq!(lines.len(), named.len(), "{stderr}");
    for (line, (start, reason)) in lines.iter().zip(named) {
        assert!(
            line.starts_with(start) && line.contains(reason),
            "{line:?} should start {start:?} and say {reason:?}"
        );
    }
    assert_eq!(
        stdout.trim_end(),
        format!(
            "imported from {FIXTURE}: 10 books (10 copies), 6 customers, 12 rentals (6 open, 6 closed, 47.50 USD \
             charged in all); refused 2 books, 0 customers, 7 rentals; 2 warnings"
        )
    );

    let store = open(&shop);
    // Books: ids kept, one copy each (copy id = book id), the refused and deleted ones absent.
    for id in [10, 11, 12, 14] {
        assert!(store.book(BookId::new(id)).is_err(), "book {id}");
    }
    let dune = store.book(BookId::new(3)).unwrap();
    assert_eq!(
        (
            dune.title.as_str(),
            dune.author.as_str(),
            dune.category.as_str()
        ),
        ("Dune", "Frank Herbert", "fiction")
    );
    assert_eq!(store.book(BookId::new(5)).unwrap().category, "regular");
    assert_eq!(store.book(BookId::new(13)).unwrap().category, "novel");
    let out_on = [(1, 20), (2, 13), (3, 14), (4, 16), (5, 15), (8, 17)];
    for id in [1, 2, 3, 4, 5, 6, 7, 8, 9, 13] {
        let copies = store.copies(BookId::new(id)).unwrap();
        let want = match out_on.iter().find(|(book, _)| *book == id) {
            Some((_, rental)) => CopyStatus::Rented(RentalId::new(*rental)),
            None => CopyStatus::Available,
        };
        assert_eq!(copies.len(), 1, "book {id}");
        assert_eq!(
            (copies[0].id, copies[0].status),
            (CopyId::new(id), want),
            "book {id}"
        );
    }

    // Customers: ids, names, active flags; no e-mail.
    for id in [6, 8] {
        assert!(
            store.customer(CustomerId::new(id)).is_err(),
            "customer {id}"
        );
    }
    let chege = store.customer(CustomerId::new(3)).unwrap();
    assert_eq!(
        (
            chege.first_name.as_str(),
            chege.last_name.as_str(),
            chege.active
        ),
        ("Chege", "Kamau", false)
    );
    for id in [1, 2, 4, 5, 7] {
        let customer = store.customer(CustomerId::new(id)).unwrap();
        assert!(customer.active && customer.email.is_none(), "customer {id}");
    }

    // Closed rentals: returned when the original says, charged exactly what it recorded, one line saying so.
    let closed = [
        (1, 1, "2019-06-08T10:00:00Z", "6.50"),
        (2, 1, "2019-06-12T08:00:00Z", "3.00"),
        (3, 2, "2019-06-11T12:00:00Z", "10.50"),
        (4, 2, "2019-06-16T09:00:00Z", "2.00"),
        (5, 3, "2019-06-01T10:00:00Z", "21.00"),
        (6, 4, "2019-06-21T18:00:00Z", "4.50"),
    ];
    for (id, customer, returned, amount) in closed {
        let rental = store.rental(RentalId::new(id)).unwrap();
        let charge = rental.charge.as_ref().unwrap();
        assert_eq!(rental.customer, CustomerId::new(customer), "rental {id}");
        assert_eq!(rental.returned_at, Some(at(returned)), "rental {id}");
        assert_eq!(charge.total, money(amount), "rental {id}");
        assert_eq!(charge.total.to_string(), amount, "rental {id}");
        assert_eq!(charge.lines.len(), 1, "rental {id}");
        assert!(
            charge.lines[0].description.contains("original"),
            "rental {id}"
        );
    }
    let five = store.rental(RentalId::new(5)).unwrap();
    assert_eq!(
        (five.rented_at, five.book, five.category.as_str()),
        (at("2019-05-25T10:00:00Z"), BookId::new(4), "fiction")
    );
    // Open rentals: open on their book's copy.
    for (book, id) in out_on {
        let rental = store.rental(RentalId::new(id)).unwrap();
        assert_eq!(
            (rental.returned_at, rental.charge.is_none(), rental.copy),
            (None, true, CopyId::new(book)),
            "rental {id}"
        );
    }
    assert_eq!(
        store.rental(RentalId::new(16)).unwrap().rented_at,
        at("2019-07-13T09:00:00Z")
    );
    assert_eq!(store.active_rentals().unwrap().count(), 6);
    for id in [7, 8, 9, 10, 11, 12, 18, 19] {
        assert!(store.rental(RentalId::new(id)).is_err(), "rental {id}");
    }

    // Balances: the sum of each customer's recorded amounts, one charge entry per closed rental.
    let balances = [
        (1, "9.50", 2),
        (2, "12.50", 2),
        (3, "21.00", 1),
        (4, "4.50", 1),
        (5, "0", 0),
        (7, "0", 0),
    ];
    for (customer, balance, entries) in balances {
        let account = store.account(CustomerId::new(customer)).unwrap();
        assert_eq!(account.balance, money(balance), "customer {customer}");
        assert_eq!(account.entries.len(), entries, "customer {customer}");
    }
    drop(store);

    // The store it makes holds every invariant: the recorded charges stand as the original recorded them.
    let check = koko(Some(&shop), &["check"]);
    assert_eq!(
        (check.status.code(), text(&check.stdout).trim().to_owned()),
        (
            Some(0),
            "checked 10 books, 10 copies, 6 customers, 12 rentals, 6 ledger entries: no problem"
                .to_owned()
        )
    );
}

#[test]
fn a_second_import_is_refused_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let shop = new_store(dir.path());
    assert_eq!(
        koko(Some(&shop), &["import", "original", FIXTURE])
            .status
            .code(),
        Some(1)
    );
    let dump = |name: &str| {
        let path = dir.path().join(name);
        let out = koko(Some(&shop), &["backup", "-o", path.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        // Every line but the header (which says when the dump was taken).
        std::fs::read_to_string(path)
            .unwrap()
            .lines()
            .skip(1)
            .map(str::to_owned)
            .collect::<Vec<_>>()
    };
    let before = dump("before.dump");
    let again = koko(Some(&shop), &["import", "original", FIXTURE]);
    assert_eq!(again.status.code(), Some(2));
    assert!(
        text(&again.stderr).contains("already holds books, customers or rentals"),
        "{}",
        text(&again.stderr)
    );
    assert!(text(&again.stdout).is_empty());
    assert_eq!(dump("after.dump"), before);
}

#[test]
fn a_file_that_is_not_the_original_database_imports_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let shop = new_store(dir.path());
    let csv = dir.path().join("books.csv");
    std::fs::write(&csv, "title,author,category\nEmma,Jane Austen,novel\n").unwrap();
    let blank = dir.path().join("blank.sqlite3");
    std::fs::write(&blank, "").unwrap();
    let missing = dir.path().join("missing.sqlite3");
    for (file, says) in [
        (&csv, "is not a SQLite database"),
        (&blank, "has no table books"),
        (&missing, "no such file"),
    ] {
        let out = koko(Some(&shop), &["import", "original", file.to_str().unwrap()]);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        assert!(
            stderr.starts_with("koko: ") && stderr.contains(says),
            "{stderr}"
        );
        assert!(empty(&shop), "{file:?} wrote something");
    }
    assert!(!missing.exists(), "the import created the file it read");
}

#[test]
fn a_store_whose_plan_starts_after_the_first_rental_imports_nothing_and_says_how() {
    let dir = tempfile::tempdir().unwrap();
    let shop = dir.path().join("shop").to_string_lossy().into_owned();
    assert_eq!(koko(None, &["init", &shop]).status.code(), Some(0));
    // No plan at all.
    let out = koko(Some(&shop), &["import", "original", FIXTURE]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("no price plan"));
    // A plan from after rental 5 was borrowed (2019-05-25T10:00:00Z, the earliest).
    let publish = |from: &str| {
        let out = koko(Some(&shop), &["plan", "publish", "story3", "--from", from]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    };
    publish("2019-06-01T00:00:00Z");
    let out = koko(Some(&shop), &["import", "original", FIXTURE]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("rental 5 was borrowed at 2019-05-25T10:00:00Z")
            && stderr.contains("koko plan publish story3 --from 2019-05-25T10:00:00Z"),
        "{stderr}"
    );
    assert!(empty(&shop));
    // Doing what it says is enough; rentals before June are priced under the earlier version.
    publish("2019-05-25T10:00:00Z");
    let out = koko(Some(&shop), &["import", "original", FIXTURE]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let store = open(&shop);
    let versions = store.plan_versions();
    let may = versions
        .iter()
        .find(|v| v.effective_from == at("2019-05-25T10:00:00Z"))
        .unwrap();
    assert_eq!(store.rental(RentalId::new(5)).unwrap().plan_version, may.id);
}

#[test]
fn a_dry_run_reports_the_same_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let shop = new_store(dir.path());
    let out = koko(Some(&shop), &["import", "original", "--dry-run", FIXTURE]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(
        stdout.starts_with("would import (dry run, nothing written) from ")
            && stdout.contains("10 books (10 copies), 6 customers, 12 rentals"),
        "{stdout}"
    );
    assert_eq!(text(&out.stderr).lines().count(), 11);
    assert!(empty(&shop));
    // `--update` is for customers files.
    let out = koko(Some(&shop), &["import", "original", "--update", FIXTURE]);
    assert_eq!(out.status.code(), Some(2));
    assert!(empty(&shop));
}
