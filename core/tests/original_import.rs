//! `backup::restore_beside_plans`: records made elsewhere (`koko import original`) written into a store that has
//! its price plan and nothing else, through the restore steps — ids kept, a rented copy given its status after its
//! rental exists, charge entries indexed — so the store passes every check; a store already holding records, or a
//! plan version among the records, is refused before anything is written.

use chrono::{DateTime, Utc};
use koko_core::backup::{restore_beside_plans, DumpRecord};
use koko_core::check;
use koko_core::{
    Book, BookCopy, BookId, BookStore, CopyId, CopyStatus, Customer, CustomerId, EntryKind,
    LedgerEntry, LedgerEntryId, MemoryStorage, NewBook, PricePlan, Rental, RentalId, Storage,
};

fn at(time: &str) -> DateTime<Utc> {
    time.parse().unwrap()
}

/// A book of `id` (copy id = book id) with its one copy in `status`.
fn book(id: u64, title: &str, status: CopyStatus) -> DumpRecord {
    DumpRecord::Book {
        book: Book {
            id: BookId::new(id),
            title: title.into(),
            author: "Ngũgĩ wa Thiong'o".into(),
            isbn: None,
            category: "novel".into(),
        },
        copies: vec![BookCopy {
            id: CopyId::new(id),
            book: BookId::new(id),
            status,
        }],
    }
}

/// Customer 4 with a closed rental (1) of book 7 and an open one (2) of book 9: book and customer ids with gaps,
/// as an old database has them (the memory backend keeps rental ids dense; `cli/tests/original.rs` imports rental
/// ids with gaps into sled).
fn records(store: &BookStore<MemoryStorage>) -> Vec<DumpRecord> {
    let version = store.plan_versions()[0].id;
    let plan = PricePlan::story3();
    let charge = plan
        .quote(
            "novel",
            at("2019-06-04T12:00:00Z"),
            at("2019-06-11T12:00:00Z"),
        )
        .unwrap();
    assert_eq!(charge.total.to_string(), "10.50");
    let rental = |id: u64, book: u64, rented: &str| Rental {
        id: RentalId::new(id),
        copy: CopyId::new(book),
        book: BookId::new(book),
        customer: CustomerId::new(4),
        category: "novel".into(),
        rented_at: at(rented),
        due_at: None,
        returned_at: None,
        plan_version: version,
        charge: None,
        renewals: Vec::new(),
        lost: false,
    };
    let closed = Rental {
        returned_at: Some(at("2019-06-11T12:00:00Z")),
        charge: Some(charge.clone()),
        ..rental(1, 7, "2019-06-04T12:00:00Z")
    };
    vec![
        book(7, "Petals of Blood", CopyStatus::Available),
        book(9, "The River Between", CopyStatus::Rented(RentalId::new(2))),
        DumpRecord::Customer {
            customer: Customer {
                id: CustomerId::new(4),
                first_name: "Diana".into(),
                last_name: "Wambui".into(),
                email: None,
                active: false,
            },
            balance: charge.total,
            block: None,
        },
        DumpRecord::Rental(closed),
        DumpRecord::Rental(rental(2, 9, "2019-07-10T09:00:00Z")),
        DumpRecord::Entry(LedgerEntry {
            id: LedgerEntryId::new(1),
            customer: CustomerId::new(4),
            kind: EntryKind::Charge,
            amount: charge.total,
            currency: charge.currency,
            at: at("2019-06-11T12:00:00Z"),
            rental: Some(RentalId::new(1)),
            note: None,
            balance_after: charge.total,
        }),
    ]
}

#[test]
fn records_restored_beside_the_plan_keep_their_ids_and_pass_every_check() {
    let store = BookStore::in_memory(PricePlan::story3()).unwrap();
    let written = restore_beside_plans(store.storage(), records(&store)).unwrap();
    assert_eq!(
        [
            "book",
            "copy",
            "customer",
            "rental",
            "entry",
            "plan_version"
        ]
        .map(|k| written.count(k)),
        [2, 2, 1, 2, 1, 0]
    );
    let copy = &store.copies(BookId::new(9)).unwrap()[0];
    assert_eq!(copy.status, CopyStatus::Rented(RentalId::new(2)));
    assert_eq!(
        store
            .account(CustomerId::new(4))
            .unwrap()
            .balance
            .to_string(),
        "10.50"
    );
    assert!(!store.customer(CustomerId::new(4)).unwrap().active);
    let report = check::check_storage(store.storage(), &mut |_| {}).unwrap();
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    // The counters moved past the ids kept: the next book is 10, not 1.
    let next = store
        .add_book(&NewBook::new("Kintu", "Jennifer Makumbi", "fiction"), 1)
        .unwrap();
    assert_eq!(next.id, BookId::new(10));
}

#[test]
fn a_store_with_records_or_a_plan_among_the_records_is_refused_and_left_as_it_was() {
    let store = BookStore::in_memory(PricePlan::story3()).unwrap();
    store
        .add_book(&NewBook::new("Dune", "Frank Herbert", "fiction"), 1)
        .unwrap();
    let err = restore_beside_plans(store.storage(), records(&store)).unwrap_err();
    assert_eq!(err.field(), Some("target"), "{err}");
    assert!(store.book(BookId::new(7)).is_err());

    let empty = BookStore::in_memory(PricePlan::story3()).unwrap();
    let mut with_plan = records(&empty);
    let version = empty.plan_versions()[0].clone();
    with_plan.push(DumpRecord::PlanVersion(Box::new(version)));
    let err = restore_beside_plans(empty.storage(), with_plan).unwrap_err();
    assert_eq!(err.field(), Some("records"), "{err}");
    assert!(empty.storage().books_after(None).unwrap().next().is_none());
}
