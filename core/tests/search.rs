//! Search and keyset pages on every backend (issue 15): books by words of the title, author or ISBN (prefixes,
//! case and accents ignored), by category and availability; customers by name or email; rentals by status,
//! customer and overdue — each kept in step with the records by the writes themselves, and each page after the
//! last id of the one before.

mod common;

use chrono::{DateTime, Duration, TimeZone, Utc};
use koko_core::{
    BookId, BookQuery, BookStore, BookUpdate, CustomerId, CustomerUpdate, NewBook, NewCustomer,
    PricePlan, RentalQuery, RentalStatus, Storage,
};

#[cfg(feature = "postgres")]
use common::Postgres;
use common::{Backend, Memory, Persistent, Sled};

fn t(day: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 6, day, 10, 0, 0).unwrap()
}

fn titles<S: Storage>(store: &BookStore<S>, query: &BookQuery) -> Vec<String> {
    store
        .search_books(query, None, 100)
        .unwrap()
        .into_iter()
        .map(|b| b.title)
        .collect()
}

fn text(words: &str) -> BookQuery {
    BookQuery {
        text: Some(words.into()),
        ..BookQuery::default()
    }
}

struct Shelf {
    hobbit: BookId,
    ada: CustomerId,
}

/// Books, customers and rentals to search; the Hobbit's only copy is out.
fn fill<S: Storage>(store: &BookStore<S>) -> Shelf {
    let add = |title: &str, author: &str, category: &str, isbn: Option<&str>| {
        let mut book = NewBook::new(title, author, category);
        if let Some(isbn) = isbn {
            book = book.with_isbn(isbn);
        }
        store.add_book(&book, 1).unwrap().id
    };
    let hobbit = add(
        "The Hobbit",
        "J. R. R. Tolkien",
        "regular",
        Some("978-0-261-10334-4"),
    );
    add(
        "The Fellowship of the Ring",
        "J. R. R. Tolkien",
        "fiction",
        None,
    );
    add("Émile", "Jean-Jacques Rousseau", "novel", None);
    add(
        "Dune",
        "Frank Herbert",
        "fiction",
        Some("978-0-441-17271-9"),
    );
    add("Les Misérables", "Victor Hugo", "novel", None);
    let customer = |first: &str, last: &str, email: Option<&str>| {
        let mut new = NewCustomer::new(first, last);
        new.email = email.map(str::to_owned);
        store.register_customer(&new).unwrap().id
    };
    let ada = customer("Ada", "Lovelace", Some("ada@analytical.example"));
    customer("Grace", "Hopper", Some("grace.hopper@navy.example"));
    customer("Zoë", "Adams", None);
    store.rent_book_at(ada, hobbit, t(1)).unwrap();
    Shelf { hobbit, ada }
}

fn check<S: Storage>(store: &BookStore<S>, shelf: &Shelf) {
    // Prefixes, case and accents ignored; every word must match.
    assert_eq!(
        titles(store, &text("tolk")),
        ["The Hobbit", "The Fellowship of the Ring"]
    );
    assert_eq!(
        titles(store, &text("TOLKIEN ring")),
        ["The Fellowship of the Ring"]
    );
    assert_eq!(titles(store, &text("emile")), ["Émile"]);
    assert_eq!(titles(store, &text("misérab HUGO")), ["Les Misérables"]);
    assert!(titles(store, &text("tolkien hugo")).is_empty());
    assert!(titles(store, &text("zzz")).is_empty());
    // An ISBN with or without hyphens, or a prefix of it.
    assert_eq!(titles(store, &text("978-0-441")), ["Dune"]);
    assert_eq!(titles(store, &text("9780261103344")), ["The Hobbit"]);
    // Category (exactly) and availability, alone and with words.
    let fiction = BookQuery {
        category: Some("fiction".into()),
        ..BookQuery::default()
    };
    assert_eq!(
        titles(store, &fiction),
        ["The Fellowship of the Ring", "Dune"]
    );
    let fic = BookQuery {
        category: Some("fic".into()),
        ..BookQuery::default()
    };
    assert!(titles(store, &fic).is_empty(), "a category is not a prefix");
    let out = BookQuery {
        available: Some(false),
        ..BookQuery::default()
    };
    assert_eq!(titles(store, &out), ["The Hobbit"]);
    let on_shelf = BookQuery {
        text: Some("tolkien".into()),
        available: Some(true),
        ..BookQuery::default()
    };
    assert_eq!(titles(store, &on_shelf), ["The Fellowship of the Ring"]);
    // Keyset pages: after the last id of the page before.
    let page1 = store.search_books(&text("the"), None, 1).unwrap();
    let page2 = store
        .search_books(&text("the"), Some(page1[0].id), 1)
        .unwrap();
    let page3 = store
        .search_books(&text("the"), Some(page2[0].id), 1)
        .unwrap();
    assert_eq!(
        (
            page1[0].title.as_str(),
            page2[0].title.as_str(),
            page3.len()
        ),
        ("The Hobbit", "The Fellowship of the Ring", 0)
    );
    // Customers by name or email.
    let names = |q: &str| -> Vec<String> {
        store
            .search_customers(q, None, 10)
            .unwrap()
            .into_iter()
            .map(|c| c.first_name)
            .collect()
    };
    assert_eq!(names("ada"), ["Ada", "Zoë"]);
    assert_eq!(names("hopper@navy"), ["Grace"]);
    assert_eq!(names("zoe"), ["Zoë"]);
    assert_eq!(names("analytical"), ["Ada"]);
    // Rentals by status, customer, overdue.
    let open = RentalQuery {
        status: Some(RentalStatus::Active),
        ..RentalQuery::default()
    };
    assert_eq!(store.find_rentals(&open, None, 10).unwrap().len(), 1);
    let mine = RentalQuery {
        customer: Some(shelf.ada),
        ..RentalQuery::default()
    };
    assert_eq!(
        store.find_rentals(&mine, None, 10).unwrap()[0].book,
        shelf.hobbit
    );
    let closed = RentalQuery {
        status: Some(RentalStatus::Closed),
        ..RentalQuery::default()
    };
    assert!(store.find_rentals(&closed, None, 10).unwrap().is_empty());
    // Bad queries are typed errors.
    let err = store.search_books(&text("a"), None, 0).unwrap_err();
    assert_eq!(err.field(), Some("limit"));
    let eleven: Vec<String> = (0..11).map(|i| format!("w{i}")).collect();
    let err = store
        .search_books(&text(&eleven.join(" ")), None, 10)
        .unwrap_err();
    assert_eq!(err.field(), Some("search"));
}

/// Changing a book or a customer moves them in the index, in the same write.
fn updates<S: Storage>(store: &BookStore<S>, shelf: &Shelf) {
    store
        .update_book(
            shelf.hobbit,
            &BookUpdate {
                title: Some("There and Back Again".into()),
                category: Some("novel".into()),
                ..BookUpdate::default()
            },
        )
        .unwrap();
    assert!(titles(store, &text("hobbit")).is_empty());
    assert_eq!(titles(store, &text("back tolk")), ["There and Back Again"]);
    let novels = BookQuery {
        category: Some("novel".into()),
        ..BookQuery::default()
    };
    assert_eq!(
        titles(store, &novels),
        ["There and Back Again", "Émile", "Les Misérables"]
    );
    store
        .update_customer(
            shelf.ada,
            &CustomerUpdate {
                email: Some(Some("countess@lovelace.example".into())),
                ..CustomerUpdate::default()
            },
        )
        .unwrap();
    assert!(store
        .search_customers("analytical", None, 10)
        .unwrap()
        .is_empty());
    assert_eq!(
        store.search_customers("countess", None, 10).unwrap().len(),
        1
    );
}

fn store_of<S: Storage>(storage: S) -> BookStore<S> {
    BookStore::with_default_plan(storage, PricePlan::story3()).unwrap()
}

fn persistent<B: Persistent>() {
    let b = B::fresh();
    let shelf = fill(&store_of(b.storage()));
    let b = b.reopen();
    let store = store_of(b.storage());
    check(&store, &shelf);
    updates(&store, &shelf);
}

#[test]
fn memory() {
    let b = Memory::fresh();
    let store = store_of(b.storage());
    let shelf = fill(&store);
    check(&store, &shelf);
    updates(&store, &shelf);
}

#[test]
fn sled() {
    persistent::<Sled>();
}

#[cfg(feature = "postgres")]
#[test]
#[cfg_attr(
    not(koko_test_postgres),
    ignore = "needs PostgreSQL: set KOKO_TEST_POSTGRES, or run `scripts/test core`, which starts a server"
)]
fn postgres() {
    persistent::<Postgres>();
}

/// Walking 2,500 books 97 at a time while another thread rents and returns: every book seen exactly once, in
/// order.
fn walk_while_renting<B: Backend>()
where
    B::S: Sync,
{
    let b = B::fresh();
    let store = store_of(b.storage());
    let books: Vec<koko_core::Operation> = (0..2_500)
        .map(|i| koko_core::Operation::AddBook {
            book: NewBook::new(format!("Book {i}"), "A", "regular"),
            copies: 1,
        })
        .collect();
    for result in store.apply_batch(books).unwrap() {
        result.unwrap();
    }
    let reader = store
        .register_customer(&NewCustomer::new("Ann", "Reader"))
        .unwrap()
        .id;
    let seen = std::thread::scope(|scope| {
        let store = &store;
        scope.spawn(move || {
            for i in 0..200u64 {
                let at = t(1) + Duration::minutes(i as i64);
                let rental = store
                    .rent_book_at(reader, BookId::new(1 + i * 7 % 2_500), at)
                    .unwrap();
                store
                    .return_rental_at(rental.id, at + Duration::hours(1))
                    .unwrap();
            }
        });
        let mut seen = Vec::new();
        let mut after = None;
        loop {
            let page = store.books_page(after, 97).unwrap();
            let Some(last) = page.last() else { break };
            after = Some(last.id);
            seen.extend(page.into_iter().map(|b| b.id.get()));
        }
        seen
    });
    assert_eq!(seen, (1..=2_500).collect::<Vec<u64>>());
    // "book" is in every title — too common to drive the search — and "17" starts the numbers 17, 170–179 and
    // 1700–1799: 111 books, found in id order whichever prefix drives.
    let found = store
        .search_books(
            &BookQuery {
                text: Some("book 17".into()),
                ..BookQuery::default()
            },
            None,
            1_000,
        )
        .unwrap();
    let numbers: Vec<String> = found.iter().map(|b| b.title[5..].to_owned()).collect();
    let mut want = vec!["17".to_owned()];
    want.extend((170..180).map(|n| n.to_string()));
    want.extend((1700..1800).map(|n| n.to_string()));
    assert_eq!(numbers, want);
    // With only the common word, a page comes from walking the books in order.
    let page = store
        .search_books(
            &BookQuery {
                text: Some("BOOK".into()),
                ..BookQuery::default()
            },
            Some(BookId::new(2_400)),
            1_000,
        )
        .unwrap();
    assert_eq!(page.len(), 100);
}

#[test]
fn memory_walk() {
    walk_while_renting::<Memory>();
}

#[test]
fn sled_walk() {
    walk_while_renting::<Sled>();
}

#[cfg(feature = "postgres")]
#[test]
#[cfg_attr(
    not(koko_test_postgres),
    ignore = "needs PostgreSQL: set KOKO_TEST_POSTGRES, or run `scripts/test core`, which starts a server"
)]
fn postgres_walk() {
    walk_while_renting::<Postgres>();
}
