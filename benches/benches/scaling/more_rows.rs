//! Rows 10 to 18 of issue 25's table (reports, search, availability, holds, accounts, and batches for one
//! customer). Every call is made at [`now`]`(0)`.

use koko_core::{BookQuery, BookStore, Decimal, NewBook, Operation, Storage};

use crate::fixture::{
    apply, books, close, copies, customers, day, now, open_rentals, read, rent, timed_batch, Kind,
    Measure, Res, Row, Timed,
};

/// Rows 10 to 18.
pub fn rows<S: Storage + 'static>() -> Vec<Row<S>> {
    vec![
        Row {
            id: "10",
            operation: "revenue over a day -> 2 rentals",
            grows: "rentals returned other days; open ones",
            kind: Kind::Read,
            build: revenue::<S>,
        },
        Row {
            id: "11",
            operation: "search_books(category, 20) -> 3",
            grows: "books of other categories",
            kind: Kind::Read,
            build: search_category::<S>,
        },
        Row {
            id: "12",
            operation: "search_books(available, 20) -> 3",
            grows: "books with no copy on the shelf",
            kind: Kind::Read,
            build: search_available::<S>,
        },
        Row {
            id: "13",
            operation: "available_copies(book) -> 1",
            grows: "that book's rented copies",
            kind: Kind::Read,
            build: available_copies::<S>,
        },
        Row {
            id: "13b",
            operation: "search_books(word, available) -> 1",
            grows: "that book's rented copies",
            kind: Kind::Read,
            build: search_word_available::<S>,
        },
        Row {
            id: "14",
            operation: "book_holds(book) -> queue of 1",
            grows: "ready holds on other books",
            kind: Kind::Read,
            build: book_holds::<S>,
        },
        Row {
            id: "15",
            operation: "expire_holds_at -> none",
            grows: "ready holds not yet due",
            kind: Kind::Read,
            build: expire_holds::<S>,
        },
        Row {
            id: "16",
            operation: "account(X) -> 2 entries",
            grows: "X's open rentals",
            kind: Kind::Read,
            build: account::<S>,
        },
        Row {
            id: "17",
            operation: "aged_balances(at) -> 5",
            grows: "customers who owe nothing",
            kind: Kind::Read,
            build: aged_balances::<S>,
        },
        Row {
            id: "18a",
            operation: "batch of N returns, one customer",
            grows: "the batch's size, N/4 (time per op)",
            kind: Kind::Batch,
            build: batch_returns::<S>,
        },
        Row {
            id: "18b",
            operation: "batch of N declare_lost, one customer",
            grows: "the batch's size, N/4 (time per op)",
            kind: Kind::Batch,
            build: batch_lost::<S>,
        },
        Row {
            id: "18c",
            operation: "batch of N place_hold, one customer",
            grows: "the batch's size, N/4 (time per op)",
            kind: Kind::Batch,
            build: batch_holds::<S>,
        },
    ]
}

/// Row 10: two rentals returned in the day asked for; N/2 returned 20 days ago and N/2 open.
fn revenue<S: Storage + 'static>(store: &BookStore<S>, n: usize, _: usize) -> Res<Measure<S>> {
    let list = copies(store, 2)?;
    let who = customers(store, 1)?;
    let today = rent(store, &list, &who, day(-2))?;
    close(store, &today, now(1))?;
    let list = copies(store, n / 2)?;
    let who = customers(store, 16)?;
    let old = rent(store, &list, &who, day(-30))?;
    close(store, &old, day(-20))?;
    open_rentals(store, n - n / 2, day(-1))?;
    Ok(read(2, |store| {
        let revenue = store.revenue(now(0), day(1))?;
        Ok(revenue.lines.iter().map(|l| l.rentals as usize).sum())
    }))
}

/// Row 11: N regular books and three novels.
fn search_category<S: Storage + 'static>(
    store: &BookStore<S>,
    n: usize,
    _: usize,
) -> Res<Measure<S>> {
    books(store, n, "regular", 1)?;
    books(store, 3, "novel", 1)?;
    let query = BookQuery {
        category: Some("novel".into()),
        ..BookQuery::default()
    };
    Ok(read(3, move |store| {
        Ok(store.search_books(&query, None, 20)?.len())
    }))
}

/// Row 12: N books whose one copy is withdrawn, three with a copy on the shelf.
fn search_available<S: Storage + 'static>(
    store: &BookStore<S>,
    n: usize,
    _: usize,
) -> Res<Measure<S>> {
    let list = books(store, n, "regular", 1)?;
    apply(
        store,
        list.iter()
            .map(|(_, copies)| Operation::SetWithdrawn {
                copy: copies[0],
                withdrawn: true,
                at: None,
            })
            .collect(),
    )?;
    books(store, 3, "regular", 1)?;
    let query = BookQuery {
        available: Some(true),
        ..BookQuery::default()
    };
    Ok(read(3, move |store| {
        Ok(store.search_books(&query, None, 20)?.len())
    }))
}

/// Rows 13 and 13b: a book titled with a word no other book has, with N + 1 copies, N of them rented.
fn rented_book<S: Storage>(store: &BookStore<S>, n: usize) -> Res<koko_core::BookId> {
    let first = (n + 1).min(10_000) as u32;
    let book = store.add_book(&NewBook::new("Zyzzyva", "Scaling", "regular"), first)?;
    let mut list: Vec<_> = store.copies(book.id)?.into_iter().map(|c| c.id).collect();
    while list.len() < n + 1 {
        let more = (n + 1 - list.len()).min(10_000) as u32;
        list.extend(store.add_copies(book.id, more)?.into_iter().map(|c| c.id));
    }
    let who = customers(store, 16)?;
    rent(store, &list[..n], &who, day(-1))?;
    Ok(book.id)
}

/// Row 13: how many copies of that book are on the shelf.
fn available_copies<S: Storage + 'static>(
    store: &BookStore<S>,
    n: usize,
    _: usize,
) -> Res<Measure<S>> {
    let book = rented_book(store, n)?;
    Ok(read(1, move |store| Ok(store.available_copies(book)?)))
}

/// Row 13b: the book found by its word, with a copy on the shelf.
fn search_word_available<S: Storage + 'static>(
    store: &BookStore<S>,
    n: usize,
    _: usize,
) -> Res<Measure<S>> {
    rented_book(store, n)?;
    let query = BookQuery {
        text: Some("zyzzyva".into()),
        available: Some(true),
        ..BookQuery::default()
    };
    Ok(read(1, move |store| {
        Ok(store.search_books(&query, None, 20)?.len())
    }))
}

/// N books of one copy each, each set aside for its own customer's hold (placed an hour before the calls, ready
/// for 3 days).
fn ready_holds<S: Storage>(store: &BookStore<S>, n: usize) -> Res<()> {
    let list = books(store, n, "regular", 1)?;
    let who = customers(store, n)?;
    apply(
        store,
        list.iter()
            .zip(&who)
            .map(|((book, _), customer)| Operation::PlaceHold {
                customer: *customer,
                book: *book,
                at: now(-1),
            })
            .collect(),
    )
    .map(|_| ())
}

/// Row 14: a book whose one copy is withdrawn, with one waiting hold; N ready holds on other books.
fn book_holds<S: Storage + 'static>(store: &BookStore<S>, n: usize, _: usize) -> Res<Measure<S>> {
    ready_holds(store, n)?;
    let (book, copy) = books(store, 1, "regular", 1)?.remove(0);
    let who = customers(store, 1)?;
    apply(
        store,
        vec![
            Operation::SetWithdrawn {
                copy: copy[0],
                withdrawn: true,
                at: None,
            },
            Operation::PlaceHold {
                customer: who[0],
                book,
                at: now(-1),
            },
        ],
    )?;
    Ok(read(1, move |store| Ok(store.book_holds(book)?.len())))
}

/// Row 15: N ready holds, none past its pickup deadline.
fn expire_holds<S: Storage + 'static>(store: &BookStore<S>, n: usize, _: usize) -> Res<Measure<S>> {
    ready_holds(store, n)?;
    Ok(read(0, |store| Ok(store.expire_holds_at(now(0))?.len())))
}

/// Row 16: X has two payments and N open rentals.
fn account<S: Storage + 'static>(store: &BookStore<S>, n: usize, _: usize) -> Res<Measure<S>> {
    let customer = customers(store, 1)?[0];
    let list = copies(store, n)?;
    rent(store, &list, &[customer], day(-1))?;
    let pay = |hours| Operation::Pay {
        customer,
        amount: Decimal::new(100, 2),
        currency: None,
        at: now(hours),
        note: None,
    };
    apply(store, vec![pay(-2), pay(-1)])?;
    Ok(read(2, move |store| {
        Ok(store.account(customer)?.entries.len())
    }))
}

/// Row 17: five customers owe a fee; N customers owe nothing.
fn aged_balances<S: Storage + 'static>(
    store: &BookStore<S>,
    n: usize,
    _: usize,
) -> Res<Measure<S>> {
    customers(store, n)?;
    let owing = customers(store, 5)?;
    apply(
        store,
        owing
            .iter()
            .map(|customer| Operation::PostFee {
                customer: *customer,
                amount: Decimal::new(500, 2),
                at: day(-10),
                rental: None,
                reason: "a lost card".into(),
            })
            .collect(),
    )?;
    Ok(read(5, |store| {
        Ok(store
            .aged_balances(now(0))?
            .collect::<koko_core::Result<Vec<_>>>()?
            .len())
    }))
}

/// Row 18a: each call rents N copies to a new customer (untimed), then returns them all in one timed batch, with
/// each return's receipt.
fn batch_returns<S: Storage + 'static>(
    store: &BookStore<S>,
    n: usize,
    _: usize,
) -> Res<Measure<S>> {
    let list = copies(store, n)?;
    Ok(Box::new(move |store, k| {
        let mut total = Timed {
            elapsed: std::time::Duration::ZERO,
            ops: 0,
        };
        for _ in 0..k {
            let who = customers(store, 1)?;
            let rentals = rent(store, &list, &who, day(-2))?;
            let ops = rentals
                .into_iter()
                .map(|r| Operation::return_at(r, now(0)))
                .collect();
            let timed = timed_batch(store, ops, |store, outcome| {
                store.receipt(outcome.into_rental()?)?;
                Ok(())
            })?;
            total.elapsed += timed.elapsed;
            total.ops += timed.ops;
        }
        Ok(total)
    }))
}

/// Row 18b: each call rents N new copies to a new customer (untimed), then declares them all lost in one timed
/// batch, with each loss's receipt (its charge and fees).
fn batch_lost<S: Storage + 'static>(_: &BookStore<S>, n: usize, _: usize) -> Res<Measure<S>> {
    Ok(Box::new(move |store, k| {
        let mut total = Timed {
            elapsed: std::time::Duration::ZERO,
            ops: 0,
        };
        for _ in 0..k {
            let list = copies(store, n)?;
            let who = customers(store, 1)?;
            let rentals = rent(store, &list, &who, day(-2))?;
            let ops = rentals
                .into_iter()
                .map(|rental| Operation::DeclareLost { rental, at: now(0) })
                .collect();
            let timed = timed_batch(store, ops, |store, outcome| {
                store.closing_receipt(outcome.into_rental()?)?;
                Ok(())
            })?;
            total.elapsed += timed.elapsed;
            total.ops += timed.ops;
        }
        Ok(total)
    }))
}

/// Row 18c: each call has a new customer place holds on N books with a copy on the shelf in one timed batch,
/// then cancels them (untimed).
fn batch_holds<S: Storage + 'static>(store: &BookStore<S>, n: usize, _: usize) -> Res<Measure<S>> {
    let shelf: Vec<_> = books(store, n, "regular", 1)?
        .into_iter()
        .map(|(book, _)| book)
        .collect();
    Ok(Box::new(move |store, k| {
        let mut total = Timed {
            elapsed: std::time::Duration::ZERO,
            ops: 0,
        };
        for _ in 0..k {
            let customer = customers(store, 1)?[0];
            let ops = shelf
                .iter()
                .map(|book| Operation::PlaceHold {
                    customer,
                    book: *book,
                    at: now(0),
                })
                .collect();
            let mut cancels = Vec::with_capacity(shelf.len());
            let timed = timed_batch(store, ops, |_, outcome| {
                cancels.push(Operation::CancelHold {
                    hold: outcome.into_hold()?.id,
                    at: now(0),
                });
                Ok(())
            })?;
            total.elapsed += timed.elapsed;
            total.ops += timed.ops;
            apply(store, cancels)?;
        }
        Ok(total)
    }))
}
