//! Cases of the holds' queue: a hold's place in it.

use super::*;

/// A hold placed at the end of a book's queue of `n` waiting holds, and the first hold of that queue read back
/// (row 4b of the scaling issue): each place is counted from the nearer end of the queue.
pub fn hold_places_beside_a_long_queue<S: Storage>(store: &BookStore<S>, n: usize) -> Work {
    let book = books(store, "Wanted", 1, 1)[0];
    let holder = customers(store, "Holder", 1)[0];
    store.rent_book_at(holder, book, t0()).expect("rent");
    let queue = customers(store, "Queue", n);
    let holds: Vec<koko_core::HoldId> = batch(
        store,
        queue
            .iter()
            .map(|customer| Operation::PlaceHold {
                customer: *customer,
                book,
                at: t0(),
            })
            .collect(),
    )
    .into_iter()
    .map(|o| o.into_hold().expect("a hold").id)
    .collect();
    let last = customers(store, "Last", 1)[0];
    measure(store, |store| {
        let placed = store.place_hold_at(last, book, t0()).expect("hold");
        assert_eq!(placed.position, Some(n as u32 + 1));
        let first = store.hold(holds[0]).expect("hold");
        assert_eq!(first.position, Some(1));
        2
    })
}
