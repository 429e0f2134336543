//! Customer accounts on every backend: the charge posted with each return, the ledger summing to the balance,
//! limits and idempotency keys under concurrency, pruning, the one store currency, and persistence.

mod common;

use std::collections::BTreeSet;

use chrono::{DateTime, Duration, TimeZone, Utc};
use koko_core::{
    BookStore, CustomerId, Decimal, EntryKind, Error, NewBook, NewCustomer, Operation, Outcome,
    PricePlan, RentTarget, RentalId, Storage,
};

#[cfg(feature = "postgres")]
use common::Postgres;
use common::{Backend, Memory, Persistent, Sled};

fn t(day: u32, hour: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 6, day, hour, 0, 0).unwrap()
}

fn cents(c: i64) -> Decimal {
    Decimal::new(c, 2)
}

fn limited_plan(max_open: u32) -> PricePlan {
    PricePlan::from_json(&format!(
        r#"{{"currency": "USD", "default": {{"tiers": [{{"from_day": 1, "rate": "1.00"}}]}},
            "limits": {{"max_open_rentals": {max_open}}}}}"#
    ))
    .unwrap()
}

/// Adds "Emma" (a novel) with `copies` copies and registers Ada and Alan.
fn emma_ada_alan<S: Storage>(
    store: &BookStore<S>,
    copies: u32,
) -> (koko_core::Book, CustomerId, CustomerId) {
    let book = store
        .add_book(&NewBook::new("Emma", "Jane Austen", "novel"), copies)
        .unwrap();
    let ada = store
        .register_customer(&NewCustomer::new("Ada", "Lovelace"))
        .unwrap();
    let alan = store
        .register_customer(&NewCustomer::new("Alan", "Turing"))
        .unwrap();
    (book, ada.id, alan.id)
}

/// A payment in the store's currency.
fn pay(customer: CustomerId, amount: Decimal, at: DateTime<Utc>, note: Option<&str>) -> Operation {
    Operation::Pay {
        customer,
        amount,
        currency: None,
        at,
        note: note.map(str::to_owned),
    }
}

fn ledger_sums_to_balance<S: Storage>(storage: &S, customer: CustomerId) -> Decimal {
    let balance = storage.account(customer).unwrap().balance;
    let entries: Vec<_> = storage
        .ledger(customer)
        .unwrap()
        .map(|e| e.unwrap())
        .collect();
    let sum: Decimal = entries.iter().map(|e| e.signed_amount()).sum();
    assert_eq!(sum, balance, "the ledger sums to the balance");
    if let Some(last) = entries.last() {
        assert_eq!(last.balance_after, balance);
    }
    balance
}

/// Every return posts exactly one charge entry equal to the stored quote, in the same operation; a failed
/// return posts nothing.
fn returns_post_one_charge_each<B: Backend>() {
    let b = B::fresh();
    let store = BookStore::with_default_plan(b.storage(), PricePlan::story3()).unwrap();
    let book = store
        .add_book(&NewBook::new("Emma", "Jane Austen", "novel"), 3)
        .unwrap();
    let ada = store
        .register_customer(&NewCustomer::new("Ada", "Lovelace"))
        .unwrap();
    let mut closed = Vec::new();
    for day in 3..6 {
        let rental = store.rent_book_at(ada.id, book.id, t(day, 10)).unwrap();
        let receipt = store.return_rental_at(rental.id, t(day + 3, 10)).unwrap();
        closed.push(receipt);
    }
    let open = store.rent_book_at(ada.id, book.id, t(10, 10)).unwrap();
    assert!(b.storage().charge_entry(open.id).unwrap().is_none());
    // A return before the rental is refused and posts nothing.
    assert!(store.return_rental_at(open.id, t(9, 10)).is_err());
    assert!(matches!(
        store.return_rental_at(closed[0].rental.id, t(20, 10)),
        Err(Error::AlreadyReturned { .. })
    ));
    for receipt in &closed {
        let entry = b
            .storage()
            .charge_entry(receipt.rental.id)
            .unwrap()
            .unwrap();
        assert_eq!(entry.kind, EntryKind::Charge);
        assert_eq!(entry.amount, receipt.charge.total);
        assert_eq!(entry.at, receipt.rental.returned_at.unwrap());
        assert_eq!(entry.balance_after, receipt.balance);
    }
    let entries: Vec<_> = b
        .storage()
        .ledger(ada.id)
        .unwrap()
        .map(|e| e.unwrap())
        .collect();
    assert_eq!(entries.len(), 3, "one entry per closed rental");
    let rentals: BTreeSet<RentalId> = entries.iter().filter_map(|e| e.rental).collect();
    assert_eq!(rentals.len(), 3);
    // 72 h of a novel: 3 × 1.50 = 4.50 each.
    assert_eq!(ledger_sums_to_balance(b.storage(), ada.id), cents(1350));
    assert_eq!(b.storage().account(ada.id).unwrap().open_rentals, 1);
}

/// Many threads renting for one customer never exceed `limits.max_open_rentals`.
fn open_rental_limit_holds_under_concurrency<B: Backend>() {
    let b = B::fresh();
    let store = BookStore::with_default_plan(b.storage(), limited_plan(3)).unwrap();
    let book = store
        .add_book(&NewBook::new("Emma", "Jane Austen", "novel"), 40)
        .unwrap();
    let ada = store
        .register_customer(&NewCustomer::new("Ada", "Lovelace"))
        .unwrap();
    let results: Vec<Result<koko_core::Rental, Error>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..8)
            .map(|i| {
                let store = &store;
                scope.spawn(move || {
                    (0..5)
                        .map(|j| {
                            store.rent_book_at(
                                ada.id,
                                book.id,
                                t(3, 10) + Duration::seconds(i * 10 + j),
                            )
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    });
    let ok = results.iter().filter(|r| r.is_ok()).count();
    let blocked = results
        .iter()
        .filter(
            |r| matches!(r, Err(Error::Blocked { rule, .. }) if rule == "limits.max_open_rentals"),
        )
        .count();
    assert_eq!((ok, blocked), (3, 37), "{results:?}");
    assert_eq!(store.active_rentals().unwrap().count(), 3);
    assert_eq!(b.storage().account(ada.id).unwrap().open_rentals, 3);
}

/// Eight threads retrying one key: one effect, every answer the same rental.
fn one_key_retried_by_eight_threads_has_one_effect<B: Backend>() {
    let b = B::fresh();
    let store = BookStore::with_default_plan(b.storage(), PricePlan::story3()).unwrap();
    let book = store
        .add_book(&NewBook::new("Emma", "Jane Austen", "novel"), 10)
        .unwrap();
    let ada = store
        .register_customer(&NewCustomer::new("Ada", "Lovelace"))
        .unwrap();
    let answers: Vec<RentalId> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..8)
            .map(|_| {
                let store = &store;
                scope.spawn(move || {
                    let op = Operation::Rent {
                        target: RentTarget::Book(book.id),
                        customer: ada.id,
                        at: t(3, 10),
                    };
                    store
                        .apply_idempotent("checkout-42", op, false)
                        .unwrap()
                        .into_rental()
                        .unwrap()
                        .id
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert!(answers.iter().all(|id| *id == answers[0]), "{answers:?}");
    assert_eq!(store.active_rentals().unwrap().count(), 1);
    // The same with payments: one entry.
    std::thread::scope(|scope| {
        for _ in 0..8 {
            let store = &store;
            scope.spawn(move || {
                let op = pay(ada.id, cents(250), t(4, 10), None);
                store
                    .apply_idempotent("payment-7", op, false)
                    .unwrap()
                    .into_entry()
                    .unwrap()
            });
        }
    });
    assert_eq!(ledger_sums_to_balance(b.storage(), ada.id), cents(-250));
}

/// A key whose operation failed is not stored; pruned keys are forgotten; a key from the clock's "now" matches
/// a later retry.
fn keys_store_only_effects_and_can_be_pruned<B: Backend>() {
    let b = B::fresh();
    let store = BookStore::with_default_plan(b.storage(), PricePlan::story3()).unwrap();
    let book = store
        .add_book(&NewBook::new("Emma", "Jane Austen", "novel"), 1)
        .unwrap();
    let ada = store
        .register_customer(&NewCustomer::new("Ada", "Lovelace"))
        .unwrap();
    let rent = |at| Operation::Rent {
        target: RentTarget::Book(book.id),
        customer: ada.id,
        at,
    };
    let first = store
        .apply_idempotent("k1", rent(t(3, 10)), true)
        .unwrap()
        .into_rental()
        .unwrap();
    // A retry a minute later, its time from the clock too: the same request.
    let again = store
        .apply_idempotent("k1", rent(t(3, 11)), true)
        .unwrap()
        .into_rental()
        .unwrap();
    assert_eq!(first, again);
    // An amount is the same however it is written.
    let paid = store
        .apply_idempotent(
            "p1",
            pay(ada.id, Decimal::new(45, 1), t(3, 12), None),
            false,
        )
        .unwrap();
    let again = store
        .apply_idempotent(
            "p1",
            pay(ada.id, Decimal::new(450, 2), t(3, 12), None),
            false,
        )
        .unwrap();
    assert_eq!(paid, again);
    // Caller-given times are part of the request.
    assert!(matches!(
        store.apply_idempotent("k1", rent(t(3, 11)), false),
        Err(Error::Duplicate {
            field: "idempotency_key",
            ..
        })
    ));
    // Refused: the only copy is out. The key is not kept, so a retry once it is back succeeds.
    assert!(matches!(
        store.apply_idempotent("k2", rent(t(4, 10)), false),
        Err(Error::Unavailable { .. })
    ));
    store.return_rental_at(first.id, t(4, 9)).unwrap();
    let second = store
        .apply_idempotent("k2", rent(t(4, 10)), false)
        .unwrap()
        .into_rental()
        .unwrap();
    assert_ne!(second.id, first.id);
    for bad in ["", &"x".repeat(256), "a\nb"] {
        assert!(matches!(
            store.apply_idempotent(bad, rent(t(5, 10)), false),
            Err(Error::InvalidInput { ref field, .. }) if field == "idempotency_key"
        ));
    }
    // The three keys were recorded "now" by the store's clock: pruning before a far future forgets them all.
    let far = Utc::now() + Duration::days(365);
    assert_eq!(
        store
            .prune_idempotency_keys(Utc::now() - Duration::days(365))
            .unwrap(),
        0
    );
    assert_eq!(store.prune_idempotency_keys(far).unwrap(), 3);
    store.return_rental_at(second.id, t(4, 12)).unwrap();
    let third = store
        .apply_idempotent("k1", rent(t(6, 10)), false)
        .unwrap()
        .into_rental()
        .unwrap();
    assert_ne!(third.id, first.id, "a pruned key is a new request");
}

/// The store has one currency; fees name a rental of the same customer; blocks end after they start.
fn one_currency_and_checked_arguments<B: Backend>() {
    let b = B::fresh();
    let store = BookStore::with_default_plan(b.storage(), PricePlan::story3()).unwrap();
    let mut euro = PricePlan::story3().document().clone();
    euro.currency = "EUR".parse().unwrap();
    let euro = PricePlan::new(euro).unwrap();
    assert!(matches!(
        store.publish_plan(euro, t(1, 0)),
        Err(Error::InvalidPlan { ref field, .. }) if field == "currency"
    ));
    let (book, ada, alan) = emma_ada_alan(&store, 1);
    let rental = store.rent_book_at(ada, book.id, t(3, 10)).unwrap();
    let fee = |customer, reason: &str| Operation::PostFee {
        customer,
        amount: cents(300),
        at: t(4, 10),
        rental: Some(rental.id),
        reason: reason.into(),
    };
    assert!(matches!(
        b.storage().apply(fee(alan, "coffee stain")),
        Err(Error::InvalidInput { ref field, .. }) if field == "rental"
    ));
    assert!(matches!(
        b.storage().apply(fee(ada, "")),
        Err(Error::InvalidInput { ref field, .. }) if field == "reason"
    ));
    let entry = b
        .storage()
        .apply(fee(ada, "coffee stain"))
        .unwrap()
        .into_entry()
        .unwrap();
    assert_eq!(
        (entry.kind, entry.amount, entry.balance_after),
        (EntryKind::Fee, cents(300), cents(300))
    );
    assert!(matches!(
        b.storage().apply(Operation::BlockCustomer {
            customer: ada,
            reason: "x".into(),
            at: t(5, 10),
            until: Some(t(5, 9)),
        }),
        Err(Error::InvalidInput { ref field, .. }) if field == "until"
    ));
    assert!(matches!(
        b.storage().apply(Operation::UnblockCustomer {
            customer: CustomerId::new(99)
        }),
        Err(Error::NotFound { .. })
    ));
    assert!(matches!(
        b.storage().account(CustomerId::new(99)),
        Err(Error::NotFound { .. })
    ));
    // The rejected operations left nothing.
    assert_eq!(b.storage().ledger(ada).unwrap().count(), 1);
    assert!(b.storage().ledger(alan).unwrap().next().is_none());
}

/// Balances, entries, blocks and keys survive closing and reopening.
fn accounts_survive_reopening<B: Persistent>() {
    let b = B::fresh();
    let (ada, key_answer) = {
        let store = BookStore::with_default_plan(b.storage(), PricePlan::story3()).unwrap();
        let book = store
            .add_book(&NewBook::new("Emma", "Jane Austen", "novel"), 2)
            .unwrap();
        let ada = store
            .register_customer(&NewCustomer::new("Ada", "Lovelace"))
            .unwrap();
        let rental = store.rent_book_at(ada.id, book.id, t(3, 10)).unwrap();
        store.return_rental_at(rental.id, t(5, 10)).unwrap();
        let pay = pay(ada.id, cents(100), t(6, 10), Some("card"));
        let answer = store.apply_idempotent("pay-1", pay, false).unwrap();
        store.block_customer(ada.id, "unpaid", None).unwrap();
        (ada.id, answer)
    };
    let b = b.reopen();
    let store = BookStore::open(b.storage()).unwrap();
    let account = store.account(ada).unwrap();
    assert_eq!(account.balance, cents(350));
    assert_eq!(account.entries.len(), 2);
    assert_eq!(account.entries[1].note.as_deref(), Some("card"));
    assert_eq!(
        account.block.as_ref().map(|b| b.reason.as_str()),
        Some("unpaid")
    );
    let pay = pay(ada, cents(100), t(6, 10), Some("card"));
    assert_eq!(
        store.apply_idempotent("pay-1", pay, false).unwrap(),
        key_answer
    );
    assert_eq!(store.account(ada).unwrap().entries.len(), 2);
    assert!(matches!(
        store.rent_book_at(ada, koko_core::BookId::new(1), t(7, 10)),
        Err(Error::Blocked { ref rule, .. }) if rule == "manual"
    ));
}

macro_rules! accounts {
    ($($module:ident => $backend:ident),*) => {
        $(
            mod $module {
                crate::backend_test!($backend, returns_post_one_charge_each);
                crate::backend_test!($backend, open_rental_limit_holds_under_concurrency);
                crate::backend_test!($backend, one_key_retried_by_eight_threads_has_one_effect);
                crate::backend_test!($backend, keys_store_only_effects_and_can_be_pruned);
                crate::backend_test!($backend, one_currency_and_checked_arguments);
            }
        )*
    };
}

accounts!(memory => Memory, sled => Sled);
#[cfg(feature = "postgres")]
accounts!(postgres => Postgres);

#[test]
fn sled_accounts_survive_reopening() {
    accounts_survive_reopening::<Sled>();
}

#[cfg(feature = "postgres")]
#[test]
#[cfg_attr(
    not(koko_test_postgres),
    ignore = "needs PostgreSQL: set KOKO_TEST_POSTGRES, or run `scripts/test core`, which starts a server"
)]
fn postgres_accounts_survive_reopening() {
    accounts_survive_reopening::<Postgres>();
}

/// Separate PostgreSQL connection pools (as separate processes have) renting for one customer at once still
/// never exceed the limit, and one key used from all of them has one effect.
#[cfg(feature = "postgres")]
#[test]
#[cfg_attr(
    not(koko_test_postgres),
    ignore = "needs PostgreSQL: set KOKO_TEST_POSTGRES, or run `scripts/test core`, which starts a server"
)]
fn postgres_limits_and_keys_hold_across_pools() {
    let b = Postgres::fresh();
    let store = BookStore::with_default_plan(b.storage(), limited_plan(2)).unwrap();
    let book = store
        .add_book(&NewBook::new("Emma", "Jane Austen", "novel"), 20)
        .unwrap();
    let ada = store
        .register_customer(&NewCustomer::new("Ada", "Lovelace"))
        .unwrap();
    let outcomes: Vec<(usize, Option<RentalId>)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..6)
            .map(|i| {
                let url = b.url().to_owned();
                scope.spawn(move || {
                    let own = koko_core::PostgresStorage::connect(&url).unwrap();
                    let store = BookStore::open(own).unwrap();
                    let ok = (0..4)
                        .filter(|j| {
                            store
                                .rent_book_at(
                                    ada.id,
                                    book.id,
                                    t(3, 10) + Duration::seconds(i * 10 + j),
                                )
                                .is_ok()
                        })
                        .count();
                    let op = pay(ada.id, cents(100), t(4, 10), None);
                    let keyed = store.apply_idempotent("pay-across", op, false).unwrap();
                    (
                        ok,
                        matches!(keyed, Outcome::Entry(_)).then_some(RentalId::new(0)),
                    )
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(outcomes.iter().map(|(ok, _)| ok).sum::<usize>(), 2);
    assert!(outcomes.iter().all(|(_, entry)| entry.is_some()));
    assert_eq!(store.active_rentals().unwrap().count(), 2);
    let payments = b
        .storage()
        .ledger(ada.id)
        .unwrap()
        .filter(|e| e.as_ref().unwrap().kind == EntryKind::Payment)
        .count();
    assert_eq!(payments, 1);
}

/// Migration 2 posts the charges of rentals closed under schema 1: rebuild a schema-1 database from one written
/// by today's code (drop what migration 2 made) and migrate it again.
#[cfg(feature = "postgres")]
#[test]
#[cfg_attr(
    not(koko_test_postgres),
    ignore = "needs PostgreSQL: set KOKO_TEST_POSTGRES, or run `scripts/test core`, which starts a server"
)]
fn postgres_migration_posts_the_charges_of_old_rentals() {
    let b = Postgres::fresh();
    let (ada, alan) = {
        let store = BookStore::with_default_plan(b.storage(), PricePlan::story3()).unwrap();
        let (book, ada, alan) = emma_ada_alan(&store, 3);
        let r1 = store.rent_book_at(ada, book.id, t(3, 10)).unwrap();
        let r2 = store.rent_book_at(alan, book.id, t(3, 11)).unwrap();
        store.rent_book_at(ada, book.id, t(3, 12)).unwrap();
        store.return_rental_at(r2.id, t(7, 11)).unwrap(); // 4 days of a novel: 6.00
        store.return_rental_at(r1.id, t(5, 10)).unwrap(); // 2 days: 3.00, minimum 4.50
        (ada, alan)
    };
    let mut client = ::postgres::Client::connect(b.url(), ::postgres::NoTls).unwrap();
    client
        .batch_execute(
            "DROP INDEX koko_events_by_type;
             DELETE FROM koko_schema_version WHERE version = 8;
             DROP TABLE koko_events, koko_event_counter, koko_event_checkpoints;
             DELETE FROM koko_schema_version WHERE version = 7;
             DROP INDEX koko_copies_on_shelf, koko_rentals_closed, koko_rentals_lost, koko_rentals_by_return,
                 koko_ledger_by_date, koko_accounts_owing, koko_rentals_open_due_by_customer;
             ALTER TABLE koko_customers DROP COLUMN email_key;
             DELETE FROM koko_schema_version WHERE version = 6;
             DROP INDEX koko_ledger_by_rental, koko_rentals_open_by_due;
             DELETE FROM koko_schema_version WHERE version = 5;
             DROP TABLE koko_words;
             DELETE FROM koko_schema_version WHERE version = 4;
             ALTER TABLE koko_copies DROP COLUMN hold_id, DROP COLUMN lost_rental_id;
             DROP TABLE koko_holds, koko_notices;
             DROP SEQUENCE koko_hold_seq;
             ALTER TABLE koko_rentals DROP COLUMN lost;
             DELETE FROM koko_schema_version WHERE version = 3;
             DROP TABLE koko_ledger, koko_accounts, koko_idempotency_keys;
             DROP FUNCTION koko_ledger_append_only;
             DROP SEQUENCE koko_ledger_entry_seq;
             DROP INDEX koko_rentals_open_by_customer;
             ALTER TABLE koko_rentals DROP COLUMN renewals;
             DELETE FROM koko_schema_version WHERE version = 2;",
        )
        .unwrap();
    let b = b.reopen();
    assert_eq!(b.storage().schema_version().unwrap(), 8);
    // Schema 4 indexed the books and customers stored before it.
    let found = BookStore::open(b.storage())
        .unwrap()
        .search_books(
            &koko_core::BookQuery {
                text: Some("austen emm".into()),
                ..Default::default()
            },
            None,
            10,
        )
        .unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(
        BookStore::open(b.storage())
            .unwrap()
            .search_customers("turing", None, 10)
            .unwrap()
            .len(),
        1
    );
    let entries = |c| -> Vec<(u64, String, String, u64)> {
        b.storage()
            .ledger(c)
            .unwrap()
            .map(|e| {
                let e = e.unwrap();
                (
                    e.id.get(),
                    e.amount.to_string(),
                    e.balance_after.to_string(),
                    e.rental.unwrap().get(),
                )
            })
            .collect()
    };
    // Entries in rental id order: rental 1 (Ada) is entry 1, rental 2 (Alan) entry 2.
    assert_eq!(entries(ada), [(1, "4.50".into(), "4.50".into(), 1)]);
    assert_eq!(entries(alan), [(2, "6.00".into(), "6.00".into(), 2)]);
    assert_eq!(b.storage().account(ada).unwrap().open_rentals, 1);
    // Schema 5 finds them by rental.
    let by_rental: Vec<u64> = b
        .storage()
        .rental_entries(RentalId::new(2))
        .unwrap()
        .iter()
        .map(|e| e.id.get())
        .collect();
    assert_eq!(by_rental, [2]);
    // Schema 6 counts the copies on the shelf (3 copies, one still out).
    let store = BookStore::open(b.storage()).unwrap();
    assert_eq!(
        store.available_copies(koko_core::BookId::new(1)).unwrap(),
        2
    );
    // New entries continue the numbering, and the ledger refuses edits.
    let store = BookStore::open(b.storage()).unwrap();
    assert_eq!(store.pay(alan, cents(600), None).unwrap().id.get(), 3);
    let mut client = ::postgres::Client::connect(b.url(), ::postgres::NoTls).unwrap();
    assert!(client
        .execute("UPDATE koko_ledger SET amount = 0", &[])
        .is_err());
    assert!(client.execute("DELETE FROM koko_ledger", &[]).is_err());
}
