//! Cases of the accounts: statements and the aged balances.

use super::*;

/// A payment of 1.00 by `customer` at `at`.
fn payment(customer: CustomerId, at: DateTime<Utc>) -> Operation {
    Operation::Pay {
        customer,
        amount: Decimal::new(100, 2),
        currency: None,
        at,
        note: None,
    }
}

/// The statement of one day (2 entries) of a customer with `n` entries long before it, and of an old day (2
/// entries) of a customer with `n` entries since (row 6 of the scaling issue): each reads its day and the shorter
/// side of the rest.
pub fn statements_beside_older_and_newer_entries<S: Storage>(
    store: &BookStore<S>,
    n: usize,
) -> Work {
    let [old, new] = customers(store, "Ledger", 2)[..] else {
        unreachable!("two customers")
    };
    let day = t0() - Duration::days(20);
    let mut ops: Vec<Operation> = (0..n)
        .map(|i| payment(old, day - Duration::days(30) + Duration::seconds(i as i64)))
        .collect();
    ops.extend((0..n).map(|i| payment(new, day + Duration::days(3) + Duration::seconds(i as i64))));
    for customer in [old, new] {
        ops.push(payment(customer, day + Duration::hours(1)));
        ops.push(payment(customer, day + Duration::hours(2)));
    }
    batch(store, ops);
    measure(store, |store| {
        let recent = store
            .statement(old, day, day + Duration::days(1))
            .expect("statement");
        assert_eq!(recent.entries.len(), 2);
        assert_eq!(
            (recent.opening_balance, recent.closing_balance),
            (
                Decimal::new(-100 * n as i64, 2),
                Decimal::new(-100 * (n as i64 + 2), 2)
            )
        );
        let early = store
            .statement(new, day, day + Duration::days(1))
            .expect("statement");
        assert_eq!(early.entries.len(), 2);
        assert_eq!(
            (early.opening_balance, early.closing_balance),
            (Decimal::new(0, 2), Decimal::new(-200, 2))
        );
        recent.entries.len() + early.entries.len()
    })
}

/// The aged balances (5 customers owe), beside `n` customers with a credit and `n` who never paid or rented
/// (row 17).
pub fn aged_balances_beside_customers_who_owe_nothing<S: Storage>(
    store: &BookStore<S>,
    n: usize,
) -> Work {
    let in_credit = customers(store, "Credit", n);
    batch(store, in_credit.iter().map(|c| payment(*c, t0())).collect());
    customers(store, "Idle", n);
    let owing = customers(store, "Owing", 5);
    let shelf = books(store, "Owed", 1, 5)[0];
    let rents = owing
        .iter()
        .map(|customer| Operation::Rent {
            target: RentTarget::Book(shelf),
            customer: *customer,
            at: t0() - Duration::days(3),
        })
        .collect();
    let returns = batch(store, rents)
        .into_iter()
        .map(|o| Operation::return_at(o.into_rental().expect("a rental").id, t0()))
        .collect();
    batch(store, returns);
    measure(store, |store| {
        let aged: Vec<_> = store
            .aged_balances(t0())
            .expect("aged")
            .collect::<koko_core::Result<_>>()
            .expect("rows");
        assert_eq!(aged.len(), 5);
        aged.len()
    })
}

/// A rent under a plan with limits, and the account (its count of open rentals), of a customer with `n` open
/// rentals not yet due and 2 overdue (rows 5 and 16): the limits count the open rentals from a counter and the
/// overdue ones up to the limit.
pub fn rent_with_limits_beside_own_open_rentals<S: Storage>(
    store: &BookStore<S>,
    n: usize,
) -> Work {
    let mut limited: serde_json::Value = serde_json::from_str(&plan().to_json()).unwrap();
    limited["limits"] = serde_json::json!({"max_open_rentals": 1000, "max_overdue_rentals": 2});
    let limited = PricePlan::from_json(&limited.to_string()).unwrap();
    store
        .storage()
        .insert_plan_version(t0() - Duration::days(30), &limited)
        .expect("a plan with limits");
    let reader = customers(store, "Limited", 1)[0];
    late_and_fresh(store, reader, 2, n);
    let wanted = books(store, "Wanted", 1, 1)[0];
    measure(store, |store| {
        store.rent_book_at(reader, wanted, t0()).expect("rent");
        let open = store
            .storage()
            .account(reader)
            .expect("account")
            .open_rentals;
        assert_eq!(open, n as u64 + 3);
        2
    })
}
