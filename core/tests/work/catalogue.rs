//! Cases of the catalogue: search by category and by availability, a book's copies on the shelf.

use super::*;

/// `n` new books of `category` with one copy each.
fn of_category<S: Storage>(
    store: &BookStore<S>,
    tag: &str,
    category: &str,
    n: usize,
) -> Vec<BookId> {
    books_of(store, tag, category, n, 1)
}

/// Withdraws every copy of `books` (each then has none on the shelf).
fn withdraw_all<S: Storage>(store: &BookStore<S>, books: &[BookId]) {
    let mut ops = Vec::new();
    for book in books {
        for copy in store.storage().copies_of(*book).expect("copies") {
            ops.push(Operation::SetWithdrawn {
                copy: copy.id,
                withdrawn: true,
                at: None,
            });
        }
    }
    batch(store, ops);
}

/// A page of one category's books (3 of them), beside `n` books of another category before and `n` after them
/// (row 11 of the scaling issue): the category's books are a range of the search index.
pub fn category_page_beside_other_categories<S: Storage>(store: &BookStore<S>, n: usize) -> Work {
    of_category(store, "Before", "regular", n);
    of_category(store, "Novel", "novel", 3);
    of_category(store, "After", "regular", n);
    let query = koko_core::BookQuery {
        category: Some("novel".into()),
        ..Default::default()
    };
    measure(store, |store| {
        let page = store.search_books(&query, None, 20).expect("page");
        assert_eq!(page.len(), 3);
        assert!(page.iter().all(|b| b.category == "novel"));
        page.len()
    })
}

/// A page of the books with a copy on the shelf (3 of them), beside `n` books before and `n` after them with none
/// (row 12): one read of the availability index per book found.
pub fn shelf_page_beside_books_without_copies<S: Storage>(store: &BookStore<S>, n: usize) -> Work {
    let before = of_category(store, "Gone before", "regular", n);
    of_category(store, "Shelf", "regular", 3);
    let after = of_category(store, "Gone after", "regular", n);
    withdraw_all(store, &before);
    withdraw_all(store, &after);
    let query = koko_core::BookQuery {
        available: Some(true),
        ..Default::default()
    };
    measure(store, |store| {
        let page = store.search_books(&query, None, 20).expect("page");
        assert_eq!(page.len(), 3);
        page.len()
    })
}

/// A book's count of copies on the shelf (1), and a word search for books with one on the shelf, beside `n` of
/// its copies rented out (rows 13 and 13b).
pub fn copies_on_shelf_beside_rented_copies<S: Storage>(store: &BookStore<S>, n: usize) -> Work {
    let book = of_category(store, "Solitary", "regular", 1)[0];
    store.add_copies(book, n as u32).expect("copies");
    let reader = customers(store, "Busy", 1)[0];
    let rents = (0..n)
        .map(|_| Operation::Rent {
            target: RentTarget::Book(book),
            customer: reader,
            at: t0(),
        })
        .collect();
    batch(store, rents);
    let query = koko_core::BookQuery {
        text: Some("solitary".into()),
        available: Some(true),
        ..Default::default()
    };
    measure(store, |store| {
        assert_eq!(store.available_copies(book).expect("count"), 1);
        let found = store.search_books(&query, None, 20).expect("search");
        assert_eq!(found.len(), 1);
        1 + found.len()
    })
}
