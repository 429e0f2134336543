//! Cases of the rentals by status and by return time.

use super::*;

/// `n` rentals of one new customer from a new book, opened at `at`; answers their ids.
fn rentals_at<S: Storage>(
    store: &BookStore<S>,
    tag: &str,
    n: usize,
    at: DateTime<Utc>,
) -> Vec<koko_core::RentalId> {
    let reader = customers(store, tag, 1)[0];
    let shelf = books(store, tag, 1, n as u32)[0];
    let rents = (0..n)
        .map(|_| Operation::Rent {
            target: RentTarget::Book(shelf),
            customer: reader,
            at,
        })
        .collect();
    batch(store, rents)
        .into_iter()
        .map(|o| o.into_rental().expect("a rental").id)
        .collect()
}

/// Returns each of `rentals` at `at`.
fn return_all<S: Storage>(
    store: &BookStore<S>,
    rentals: &[koko_core::RentalId],
    at: DateTime<Utc>,
) {
    let returns = rentals
        .iter()
        .map(|id| Operation::return_at(*id, at))
        .collect();
    batch(store, returns);
}

/// A page of the closed rentals (20 of 25), beside `n` open rentals and `n` lost ones opened before them (row 8
/// of the scaling issue).
pub fn closed_page_beside_open_and_lost_rentals<S: Storage>(
    store: &BookStore<S>,
    n: usize,
) -> Work {
    rentals_at(store, "Open", n, t0() - Duration::days(3));
    let lost = rentals_at(store, "Lost", n, t0() - Duration::days(3));
    let losses = lost
        .iter()
        .map(|id| Operation::DeclareLost {
            rental: *id,
            at: t0() - Duration::days(1),
        })
        .collect();
    batch(store, losses);
    let closed = rentals_at(store, "Closed", 25, t0() - Duration::days(3));
    return_all(store, &closed, t0() - Duration::days(2));
    let query = koko_core::RentalQuery {
        status: Some(koko_core::RentalStatus::Closed),
        ..Default::default()
    };
    measure(store, |store| {
        let page = store.find_rentals(&query, None, 20).expect("page");
        assert_eq!(page.len(), 20);
        assert_eq!(page[0].id, closed[0]);
        page.len()
    })
}

/// The revenue of one day (2 rentals returned that day), beside `n` rentals returned the day before, `n` the day
/// after, and `n` still open (row 10).
pub fn revenue_of_a_day_beside_other_days<S: Storage>(store: &BookStore<S>, n: usize) -> Work {
    let day = t0() - Duration::days(10);
    let before = rentals_at(store, "Before", n, day - Duration::days(3));
    return_all(store, &before, day - Duration::hours(1));
    let that_day = rentals_at(store, "That day", 2, day - Duration::days(3));
    return_all(store, &that_day, day + Duration::hours(5));
    let after = rentals_at(store, "After", n, day - Duration::days(3));
    return_all(store, &after, day + Duration::days(1));
    rentals_at(store, "Open", n, day - Duration::days(3));
    measure(store, |store| {
        let revenue = store
            .revenue(day, day + Duration::days(1))
            .expect("revenue");
        let rentals: u64 = revenue.lines.iter().map(|line| line.rentals).sum();
        assert_eq!(rentals, 2);
        rentals as usize
    })
}
