//! Cases of the event feed read by type.

use super::*;

use koko_core::EventKind;

/// Pages of the feed filtered by type — a short page of two types (5 events, one type with none), a full page of
/// two types cut at its limit, a page of one type after a position — beside `10 n` events of another type before,
/// between and after the events they return: each type's events are read from the feed by type, so the others
/// cost nothing, however many, even for a page that ends before its limit.
pub fn feed_page_of_types_beside_other_types<S: Storage>(store: &BookStore<S>, n: usize) -> Work {
    customers(store, "Before", 10 * n);
    books(store, "First", 3, 1);
    customers(store, "Between", 10 * n);
    books(store, "Then", 2, 1);
    customers(store, "After", 10 * n);
    let books_added = [EventKind::BookAdded, EventKind::CopyWithdrawn];
    measure(store, |store| {
        let short = store
            .events(None, 100, Some(&books_added))
            .expect("a short page");
        assert_eq!(short.len(), 5);
        assert!(short.iter().all(|e| e.kind == EventKind::BookAdded));
        assert!(short.windows(2).all(|w| w[0].position < w[1].position));
        let full = store
            .events(
                None,
                2,
                Some(&[EventKind::CustomerBlocked, EventKind::BookAdded]),
            )
            .expect("a full page");
        assert_eq!(
            full.iter().map(|e| e.position).collect::<Vec<_>>(),
            short[..2].iter().map(|e| e.position).collect::<Vec<_>>()
        );
        let rest = store
            .events(Some(full[1].position), 100, Some(&[EventKind::BookAdded]))
            .expect("the rest");
        assert_eq!(rest, short[2..]);
        short.len() + full.len() + rest.len()
    })
}
