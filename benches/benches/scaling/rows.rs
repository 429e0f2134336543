//! The rows of issue 25's table: for each, a store whose data the call does not return has size N, while what the
//! call returns stays the same at every N. Every call is made at [`now`]`(0)`.

use koko_core::{BookStore, HoldId, NewBook, Operation, RentalQuery, RentalStatus, Storage};

use crate::fixture::{
    apply, books, close, copies, customers, day, limits_plan, now, open_rentals, read, rent, write,
    Kind, Measure, Res, Row,
};
use crate::more_rows;

/// Every row, in the order.
pub fn rows<S: Storage + 'static>() -> Vec<Row<S>> {
    let mut rows = vec![
        Row {
            id: "1",
            operation: "notices(at) -> 5",
            grows: "waiting holds on one book",
            kind: Kind::Read,
            build: notices_one_queue::<S>,
        },
        Row {
            id: "1b",
            operation: "notices(at) -> 5",
            grows: "waiting holds store-wide",
            kind: Kind::Read,
            build: notices_many_queues::<S>,
        },
        Row {
            id: "2",
            operation: "notices(at) -> 5",
            grows: "open rentals not yet due",
            kind: Kind::Read,
            build: notices_open_rentals::<S>,
        },
        Row {
            id: "3",
            operation: "declare_lost_at",
            grows: "the customer's closed rentals and ledger",
            kind: Kind::Write,
            build: declare_lost::<S>,
        },
        Row {
            id: "4",
            operation: "place_hold_at",
            grows: "the customer's cancelled holds",
            kind: Kind::Write,
            build: place_hold_cancelled::<S>,
        },
        Row {
            id: "4b",
            operation: "place_hold_at",
            grows: "the book's waiting queue",
            kind: Kind::Write,
            build: place_hold_queue::<S>,
        },
        Row {
            id: "5",
            operation: "rent_book_at, plan with limits",
            grows: "the customer's open rentals",
            kind: Kind::Write,
            build: rent_with_limits::<S>,
        },
        Row {
            id: "6",
            operation: "statement over a day -> 2 entries",
            grows: "the customer's ledger",
            kind: Kind::Read,
            build: statement::<S>,
        },
        Row {
            id: "7",
            operation: "find_rentals(X, active, 20) -> 20",
            grows: "X's closed rentals",
            kind: Kind::Read,
            build: customer_active_rentals::<S>,
        },
        Row {
            id: "8",
            operation: "find_rentals(closed, 20) -> 20",
            grows: "open rentals before the closed ones",
            kind: Kind::Read,
            build: closed_rentals::<S>,
        },
        Row {
            id: "9",
            operation: "overdue_rentals(at) -> 5",
            grows: "open rentals not overdue",
            kind: Kind::Read,
            build: overdue_rentals::<S>,
        },
        Row {
            id: "9b",
            operation: "find_rentals(overdue_at, 20) -> 5",
            grows: "open rentals not overdue",
            kind: Kind::Read,
            build: overdue_page::<S>,
        },
    ];
    rows.extend(more_rows::rows::<S>());
    rows
}

/// Five rentals of a new customer opened 13 days before `now(0)`: due the next day, so each is due soon (one
/// notice each).
fn five_due_soon<S: Storage>(store: &BookStore<S>) -> Res<()> {
    let list = copies(store, 5)?;
    let who = customers(store, 1)?;
    rent(store, &list, &who, day(-13)).map(|_| ())
}

/// Row 1: a book whose one copy is out, with N waiting holds.
fn notices_one_queue<S: Storage + 'static>(
    store: &BookStore<S>,
    n: usize,
    _: usize,
) -> Res<Measure<S>> {
    five_due_soon(store)?;
    let book = books(store, 1, "regular", 1)?.remove(0);
    let renter = customers(store, 1)?;
    rent(store, &book.1, &renter, day(-1))?;
    let queue = customers(store, n)?;
    apply(
        store,
        queue
            .iter()
            .map(|c| Operation::PlaceHold {
                customer: *c,
                book: book.0,
                at: now(-12),
            })
            .collect(),
    )?;
    Ok(read(5, |store| Ok(store.notices(now(0))?.len())))
}

/// Row 1b: N books whose one copy is withdrawn, each with one waiting hold.
fn notices_many_queues<S: Storage + 'static>(
    store: &BookStore<S>,
    n: usize,
    _: usize,
) -> Res<Measure<S>> {
    five_due_soon(store)?;
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
    let who = customers(store, n)?;
    apply(
        store,
        list.iter()
            .zip(&who)
            .map(|((book, _), customer)| Operation::PlaceHold {
                customer: *customer,
                book: *book,
                at: now(-12),
            })
            .collect(),
    )?;
    Ok(read(5, |store| Ok(store.notices(now(0))?.len())))
}

/// Row 2: N rentals opened a day ago (due in 13 days: no notice).
fn notices_open_rentals<S: Storage + 'static>(
    store: &BookStore<S>,
    n: usize,
    _: usize,
) -> Res<Measure<S>> {
    five_due_soon(store)?;
    open_rentals(store, n, day(-1))?;
    Ok(read(5, |store| Ok(store.notices(now(0))?.len())))
}

/// A new customer with N rentals opened 30 days ago and returned 20 days ago (N charges in their ledger).
fn customer_with_history<S: Storage>(store: &BookStore<S>, n: usize) -> Res<koko_core::CustomerId> {
    let who = customers(store, 1)?;
    let list = copies(store, n)?;
    let rentals = rent(store, &list, &who, day(-30))?;
    close(store, &rentals, day(-20))?;
    Ok(who[0])
}

/// Row 3: the customer's N closed rentals and charges; each call declares one of their open rentals lost.
fn declare_lost<S: Storage + 'static>(
    store: &BookStore<S>,
    n: usize,
    calls: usize,
) -> Res<Measure<S>> {
    let customer = customer_with_history(store, n)?;
    let list = copies(store, calls)?;
    let targets = rent(store, &list, &[customer], day(-1))?;
    Ok(write(targets, |store, rental| {
        store.declare_lost_at(rental, now(0)).map(|_| ())?;
        Ok(())
    }))
}

/// Row 4: the customer placed and cancelled N holds (on 250 books in turn); each call places one on a new book
/// with a copy on the shelf.
fn place_hold_cancelled<S: Storage + 'static>(
    store: &BookStore<S>,
    n: usize,
    calls: usize,
) -> Res<Measure<S>> {
    let customer = customers(store, 1)?[0];
    let shelf = books(store, n.min(250), "regular", 1)?;
    let mut left = n;
    while left > 0 {
        let round = &shelf[..left.min(shelf.len())];
        let placed = apply(
            store,
            round
                .iter()
                .map(|(book, _)| Operation::PlaceHold {
                    customer,
                    book: *book,
                    at: day(-2),
                })
                .collect(),
        )?;
        let ids = placed
            .into_iter()
            .map(|o| Ok(o.into_hold()?.id))
            .collect::<Res<Vec<HoldId>>>()?;
        apply(
            store,
            ids.into_iter()
                .map(|hold| Operation::CancelHold { hold, at: day(-2) })
                .collect(),
        )?;
        left -= round.len();
    }
    let targets = books(store, calls, "regular", 1)?;
    Ok(write(targets, move |store, (book, _)| {
        store.place_hold_at(customer, book, now(0))?;
        Ok(())
    }))
}

/// Row 4b: a book whose one copy is out, with N waiting holds; each call queues one more customer.
fn place_hold_queue<S: Storage + 'static>(
    store: &BookStore<S>,
    n: usize,
    calls: usize,
) -> Res<Measure<S>> {
    let (book, copy) = books(store, 1, "regular", 1)?.remove(0);
    let renter = customers(store, 1)?;
    rent(store, &copy, &renter, day(-1))?;
    let queue = customers(store, n)?;
    apply(
        store,
        queue
            .iter()
            .map(|c| Operation::PlaceHold {
                customer: *c,
                book,
                at: now(-12),
            })
            .collect(),
    )?;
    let targets = customers(store, calls)?;
    Ok(write(targets, move |store, customer| {
        store.place_hold_at(customer, book, now(0))?;
        Ok(())
    }))
}

/// Row 5: the customer has N open rentals; a plan with limits is in force from an hour before the calls; each
/// call rents a copy of a book on the shelf.
fn rent_with_limits<S: Storage + 'static>(
    store: &BookStore<S>,
    n: usize,
    calls: usize,
) -> Res<Measure<S>> {
    let customer = customers(store, 1)?[0];
    let list = copies(store, n)?;
    rent(store, &list, &[customer], day(-1))?;
    let book = store.add_book(
        &NewBook::new("Pool of copies", "Scaling", "regular"),
        calls as u32,
    )?;
    store.publish_plan(limits_plan(), now(-1))?;
    Ok(write(vec![(); calls], move |store, ()| {
        store.rent_book_at(customer, book.id, now(0))?;
        Ok(())
    }))
}

/// Row 6: the customer's N payments 40 days ago; two in the day asked for.
fn statement<S: Storage + 'static>(store: &BookStore<S>, n: usize, _: usize) -> Res<Measure<S>> {
    let customer = customers(store, 1)?[0];
    let pay = |at| Operation::Pay {
        customer,
        amount: koko_core::Decimal::new(100, 2),
        currency: None,
        at,
        note: None,
    };
    let mut ops: Vec<Operation> = (0..n)
        .map(|i| pay(day(-40) + chrono::Duration::seconds(i as i64)))
        .collect();
    ops.extend([pay(now(1)), pay(now(2))]);
    apply(store, ops)?;
    Ok(read(2, move |store| {
        Ok(store.statement(customer, now(0), day(1))?.entries.len())
    }))
}

/// Row 7: X's N closed rentals, then 20 open ones.
fn customer_active_rentals<S: Storage + 'static>(
    store: &BookStore<S>,
    n: usize,
    _: usize,
) -> Res<Measure<S>> {
    let customer = customer_with_history(store, n)?;
    let list = copies(store, 20)?;
    rent(store, &list, &[customer], day(-1))?;
    let query = RentalQuery {
        status: Some(RentalStatus::Active),
        customer: Some(customer),
        overdue_at: None,
    };
    Ok(read(20, move |store| {
        Ok(store.find_rentals(&query, None, 20)?.len())
    }))
}

/// Row 8: N open rentals, then 25 closed ones.
fn closed_rentals<S: Storage + 'static>(
    store: &BookStore<S>,
    n: usize,
    _: usize,
) -> Res<Measure<S>> {
    open_rentals(store, n, day(-1))?;
    let list = copies(store, 25)?;
    let who = customers(store, 1)?;
    let rentals = rent(store, &list, &who, day(-3))?;
    close(store, &rentals, day(-2))?;
    let query = RentalQuery {
        status: Some(RentalStatus::Closed),
        ..RentalQuery::default()
    };
    Ok(read(20, move |store| {
        Ok(store.find_rentals(&query, None, 20)?.len())
    }))
}

/// Rows 9 and 9b: five rentals 6 days overdue, then N rentals opened a day ago.
fn five_overdue<S: Storage>(store: &BookStore<S>, n: usize) -> Res<()> {
    let list = copies(store, 5)?;
    let who = customers(store, 1)?;
    rent(store, &list, &who, day(-20))?;
    open_rentals(store, n, day(-1))
}

/// Row 9: the overdue rentals.
fn overdue_rentals<S: Storage + 'static>(
    store: &BookStore<S>,
    n: usize,
    _: usize,
) -> Res<Measure<S>> {
    five_overdue(store, n)?;
    Ok(read(5, |store| Ok(store.overdue_rentals(now(0))?.count())))
}

/// Row 9b: a page of overdue rentals.
fn overdue_page<S: Storage + 'static>(store: &BookStore<S>, n: usize, _: usize) -> Res<Measure<S>> {
    five_overdue(store, n)?;
    let query = RentalQuery {
        overdue_at: Some(now(0)),
        ..RentalQuery::default()
    };
    Ok(read(5, move |store| {
        Ok(store.find_rentals(&query, None, 20)?.len())
    }))
}
