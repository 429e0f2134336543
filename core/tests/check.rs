//! `koko_core::check` on every backend: a store run through a varied workload (several copies, rents, returns,
//! renewals, holds placed, fulfilled, cancelled and expired, copies lost and found, a damaged return, payments, a
//! waiver, a refund, staff fees, blocks, a re-categorised book, a second plan version) passes, with every count
//! exact, streamed and as a snapshot alike; and the same store damaged, one invariant family at a time, is
//! reported by name. Damage goes in through the public API: a backup whose records are altered, restored into a
//! fresh store (a restore writes records as they are, keeping the backend's indexes in step), or — for the
//! listings and indexes, which a restore cannot break — a damaged [`Snapshot`].

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Duration, TimeZone, Utc};
use koko_core::backup::{self, DumpHeader, DumpRecord, DUMP_FORMAT};
use koko_core::check::{self, CheckStats, Family, Listing, Problem, Record, Report, Snapshot};
use koko_core::{
    BookId, BookStore, BookUpdate, CopyId, CopyStatus, CustomerId, CustomerUpdate, Decimal,
    EntryKind, FixedClock, HoldId, HoldStatus, HoldsPolicy, LateFee, Limits, NewBook, NewCustomer,
    Operation, PricePlan, RenewFrom, Renewals, RentalId, Replacement, Storage,
};

mod common;

#[cfg(feature = "postgres")]
use common::Postgres;
use common::{Backend, Memory, Sled, SledInterval};

fn t(day: u32, hour: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 6, day, hour, 0, 0).unwrap()
}

fn money(cents: i64) -> Decimal {
    Decimal::new(cents, 2)
}

/// Story 3 with loan periods, late fees, renewals, holds and replacement fees. Regular: due after 7 days, renewed
/// up to twice from the due date, a lost copy 20.00 + 5.00 processing, the 20.00 credited when found. Novel: due
/// after 3 days, renewed once from the renewal, a lost copy 15.00, not credited. Fiction: no loan period, no
/// replacement fee. A copy waits 2 days for its hold.
fn plan(regular_late_cents: i64) -> PricePlan {
    let mut doc = PricePlan::story3().document().clone();
    doc.name = Some(format!("check-{regular_late_cents}"));
    let terms = [
        (
            "regular",
            7,
            regular_late_cents,
            2,
            RenewFrom::DueDate,
            (2000, 500, true),
        ),
        ("novel", 3, 25, 1, RenewFrom::Renewal, (1500, 0, false)),
    ];
    for (category, loan_days, late, max, from, (fee, processing, refund)) in terms {
        let tariff = doc.categories.get_mut(category).unwrap();
        tariff.late_fee = Some(LateFee {
            loan_days,
            per_day: money(late),
            grace_days: 0,
            cap: None,
            count_closed_days: true,
        });
        tariff.renewals = Some(Renewals { max, from });
        tariff.replacement = Some(Replacement {
            fee: money(fee),
            processing_fee: (processing > 0).then(|| money(processing)),
            refund_when_found: refund,
        });
    }
    doc.holds = Some(HoldsPolicy { pickup_days: 2 });
    doc.limits = Some(Limits {
        max_holds: Some(3),
        ..Limits::default()
    });
    PricePlan::new(doc).unwrap()
}

/// The records the damage tests aim at.
struct Story {
    ada: CustomerId,
    dee: CustomerId,
    emma: BookId,
    /// Ada's Emma, renewed, returned damaged.
    renewed: RentalId,
    /// Cy's Ulysses, returned on time.
    returned: RentalId,
    /// Dee's Ulysses, fulfilling her hold.
    fulfilling: RentalId,
    /// Cy's Odyssey, lost and found (credited).
    found: RentalId,
    /// Bob's Dune, open.
    open: RentalId,
    open_copy: CopyId,
    /// Ada's Ulysses under the second plan version, open.
    later: RentalId,
    /// Dee's hold on Dune, ready on its second copy.
    ready: HoldId,
    ready_copy: CopyId,
}

/// What the workload leaves: 4 books, 9 copies, 6 customers, 8 rentals (2 open, 1 renewal, 3 lost of which 1
/// found, 2 copies lost), 20 ledger entries (3 payments), 5 holds (1 waiting, 1 ready), and the 70 events of all
/// that in the feed.
const EXPECTED: CheckStats = CheckStats {
    books: 4,
    copies: 9,
    customers: 6,
    rentals: 8,
    open_rentals: 2,
    renewals: 1,
    entries: 20,
    payments: 3,
    holds: 5,
    waiting_holds: 1,
    ready_holds: 1,
    lost_copies: 2,
    lost_rentals: 3,
    found_rentals: 1,
    events: 70,
};

fn workload<S: Storage>(storage: S) -> Story {
    let clock = Arc::new(FixedClock::new(t(1, 8)));
    let store = BookStore::with_default_plan(storage, plan(50))
        .unwrap()
        .with_clock(clock.clone());
    let book = |title: &str, category: &str, copies: u32| {
        store
            .add_book(&NewBook::new(title, "Someone", category), copies)
            .unwrap()
            .id
    };
    let (emma, dune, ulysses, odyssey) = (
        book("Emma", "novel", 3),
        book("Dune", "fiction", 2),
        book("Ulysses", "regular", 1),
        book("Odyssey", "regular", 2),
    );
    store.add_copies(odyssey, 1).unwrap();
    let customer = |name: &str| {
        store
            .register_customer(&NewCustomer::new(name, "Reader"))
            .unwrap()
            .id
    };
    let [ada, bob, cy, dee, eve, fay] = ["Ada", "Bob", "Cy", "Dee", "Eve", "Fay"].map(customer);
    let update = CustomerUpdate {
        email: Some(Some("eve@example.org".to_owned())),
        ..CustomerUpdate::default()
    };
    store.update_customer(eve, &update).unwrap();
    store.deactivate_customer(fay).unwrap();

    // Rents, a renewal, and a queue on the one copy of Ulysses: fulfilled, cancelled, expired.
    let renewed = store.rent_book_at(ada, emma, t(1, 9)).unwrap().id;
    let lost_novel = store.rent_book_at(bob, emma, t(1, 10)).unwrap().id;
    let returned = store.rent_book_at(cy, ulysses, t(1, 11)).unwrap().id;
    let first = store.place_hold_at(dee, ulysses, t(1, 12)).unwrap();
    let second = store.place_hold_at(eve, ulysses, t(1, 13)).unwrap();
    assert_eq!((first.position, second.position), (Some(1), Some(2)));
    store.renew_at(renewed, t(2, 9)).unwrap();
    store.return_rental_at(returned, t(3, 9)).unwrap();
    let fulfilling = store.rent_book_at(dee, ulysses, t(3, 10)).unwrap().id;
    assert_eq!(store.hold(first.id).unwrap().status, HoldStatus::Fulfilled);
    store.cancel_hold_at(second.id, t(3, 11)).unwrap();
    let third = store.place_hold_at(ada, ulysses, t(3, 12)).unwrap();
    store.return_rental_at(fulfilling, t(4, 9)).unwrap();
    assert_eq!(store.hold(third.id).unwrap().status, HoldStatus::Ready);

    // Lost copies: a novel (not credited), a regular found again (credited), a regular lost for good.
    store.declare_lost_at(lost_novel, t(4, 10)).unwrap();
    let found = store.rent_book_at(cy, odyssey, t(4, 11)).unwrap();
    store.declare_lost_at(found.id, t(4, 12)).unwrap();
    let (_, credit) = store.mark_found_at(found.copy, t(5, 9)).unwrap();
    assert_eq!(credit.map(|c| c.amount), Some(money(2000)));
    let lost = store.rent_book_at(eve, odyssey, t(5, 10)).unwrap();
    assert_eq!(
        lost.copy, found.copy,
        "the found copy is the first on the shelf"
    );
    store.declare_lost_at(lost.id, t(5, 11)).unwrap();
    store
        .return_damaged_at(renewed, t(5, 12), money(200), "coffee on the cover")
        .unwrap();

    // A book re-categorised while rented: its rental keeps the category it was priced under.
    let open = store.rent_book_at(bob, dune, t(6, 9)).unwrap();
    let recategorised = BookUpdate {
        category: Some("regular".to_owned()),
        ..BookUpdate::default()
    };
    store.update_book(dune, &recategorised).unwrap();
    assert_eq!(store.expire_holds_at(t(7, 9)).unwrap().len(), 1);
    clock.set(t(7, 10));
    let spare = store.copies(emma).unwrap()[2].id;
    store.withdraw_copy(spare).unwrap();
    store.reinstate_copy(spare).unwrap();

    // Money: payments, a waiver, a refund of a credit, staff fees (one naming a closed rental), a block.
    clock.set(t(8, 9));
    let balance = |who| store.account(who).unwrap().balance;
    store.pay(ada, balance(ada), Some("cash")).unwrap();
    store.pay(bob, money(500), None).unwrap();
    store.waive(bob, money(100), "goodwill").unwrap();
    store.pay(cy, balance(cy) + money(100), None).unwrap();
    store.refund(cy, money(100), "overpaid").unwrap();
    let fee = |customer, rental, cents, reason: &str| {
        store
            .apply(Operation::PostFee {
                customer,
                amount: money(cents),
                at: t(8, 13),
                rental,
                reason: reason.to_owned(),
            })
            .unwrap()
    };
    fee(dee, Some(fulfilling), 300, "torn page");
    fee(eve, None, 150, "lost card");
    store
        .block_customer(eve, "unpaid fees", Some(t(20, 0)))
        .unwrap();
    store.unblock_customer(eve).unwrap();

    // A second plan version, a waiting hold, a ready hold.
    store.publish_plan(plan(75), t(9, 0)).unwrap();
    let later = store.rent_book_at(ada, ulysses, t(9, 9)).unwrap();
    assert_ne!(later.plan_version, open.plan_version);
    store.place_hold_at(bob, ulysses, t(9, 10)).unwrap();
    let ready = store.place_hold_at(dee, dune, t(9, 11)).unwrap();
    assert_eq!(ready.status, HoldStatus::Ready);
    Story {
        ada,
        dee,
        emma,
        renewed,
        returned,
        fulfilling,
        found: found.id,
        open: open.id,
        open_copy: open.copy,
        later: later.id,
        ready: ready.id,
        ready_copy: ready.copy.unwrap(),
    }
}

/// The streamed check's report, after making sure a snapshot of the same store breaks the same invariants.
fn checked(storage: &impl Storage) -> Report {
    let report = check::check_storage(storage, &mut |_| {}).unwrap();
    let snapshot = Snapshot::read(storage).unwrap();
    match check::check(&snapshot) {
        Ok(stats) => assert!(report.problems.is_empty() && stats == report.stats),
        Err(problems) => assert_eq!(problems, report.problems),
    }
    report
}

fn a_varied_workload_passes_with_exact_counts<B: Backend>() {
    let backend = B::fresh();
    workload(backend.storage());
    let mut steps = BTreeMap::new();
    let report = check::check_storage(backend.storage(), &mut |step| {
        *steps.entry(format!("{step:?}")).or_insert(0u64) += 1
    })
    .unwrap();
    assert_eq!(report.problems, [], "{:#?}", report.problems);
    assert_eq!(report.stats, EXPECTED);
    let steps: Vec<(&str, u64)> = steps.iter().map(|(k, v)| (k.as_str(), *v)).collect();
    assert_eq!(steps, [("Book", 4), ("Customer", 6), ("Rental", 8)]);
    assert_eq!(checked(backend.storage()).stats, EXPECTED);
}

/// The workload's store, backed up, its records damaged by `damage`, restored into a fresh store.
fn restored<B: Backend>(damage: impl FnOnce(&Story, &mut Vec<DumpRecord>)) -> (B, Story) {
    let healthy = B::fresh();
    let story = workload(healthy.storage());
    let mut records = Vec::new();
    backup::visit(healthy.storage(), &mut |record| {
        records.push(record);
        Ok(())
    })
    .unwrap();
    records.retain(|r| !matches!(r, DumpRecord::End { .. }));
    damage(&story, &mut records);
    let mut counts: BTreeMap<String, u64> = BTreeMap::new();
    for record in &records {
        let kind = match record {
            DumpRecord::PlanVersion(_) => "plan_version",
            DumpRecord::Book { copies, .. } => {
                *counts.entry("copy".to_owned()).or_default() += copies.len() as u64;
                "book"
            }
            DumpRecord::Customer { .. } => "customer",
            DumpRecord::Rental(_) => "rental",
            DumpRecord::Entry(_) => "entry",
            DumpRecord::Hold(_) => "hold",
            DumpRecord::Feed { .. } => "feed",
            DumpRecord::Event(_) => "event",
            DumpRecord::Checkpoint { .. } => "checkpoint",
            _ => "notice",
        };
        *counts.entry(kind.to_owned()).or_default() += 1;
    }
    records.push(DumpRecord::End { counts });
    let header = DumpHeader {
        koko_dump: DUMP_FORMAT,
        written_by: "core/tests/check.rs".to_owned(),
        taken_at: t(10, 0),
    };
    let mut dump = serde_json::to_string(&header).unwrap();
    for record in &records {
        dump.push('\n');
        dump.push_str(&serde_json::to_string(record).unwrap());
    }
    dump.push('\n');
    let damaged = B::fresh();
    backup::restore(damaged.storage(), dump.as_bytes()).unwrap();
    (damaged, story)
}

fn rental_mut(records: &mut [DumpRecord], id: RentalId) -> &mut koko_core::Rental {
    records
        .iter_mut()
        .find_map(|r| match r {
            DumpRecord::Rental(rental) if rental.id == id => Some(rental),
            _ => None,
        })
        .unwrap()
}

/// The problems of the damaged store, each of `family` asserted present by `wanted`.
fn assert_named(report: &Report, family: Family, wanted: &[&dyn Fn(&Problem) -> bool]) {
    assert!(!report.problems.is_empty());
    for (i, wanted) in wanted.iter().enumerate() {
        assert!(
            report
                .problems
                .iter()
                .any(|p| p.family() == family && wanted(p)),
            "problem {i} of {family:?} not found in {:#?}",
            report.problems
        );
    }
}

fn a_rental_off_its_quote_or_due_date_is_named<B: Backend>() {
    let (damaged, story) = restored::<B>(|story, records| {
        let charge = rental_mut(records, story.returned).charge.as_mut().unwrap();
        charge.total += Decimal::ONE;
        let renewed = rental_mut(records, story.renewed);
        renewed.due_at = renewed.due_at.map(|due| due + Duration::days(1));
    });
    let report = checked(damaged.storage());
    assert_named(
        &report,
        Family::Rentals,
        &[
            &|p| matches!(p, Problem::ChargeNotQuote { rental, charged, quote } if *rental == story.returned && *charged == quote + Decimal::ONE),
            &|p| matches!(p, Problem::DueDateWrong { rental, .. } if *rental == story.renewed),
        ],
    );
    // The charge entry is the charge's no more; the renewed rental's charge (its late days) is not the quote for
    // its moved due date either.
    assert_named(
        &report,
        Family::Charges,
        &[
            &|p| matches!(p, Problem::ChargeEntryMismatch { rental, .. } if *rental == story.returned),
        ],
    );
    let line = format!(
        "rental {} was charged {}",
        story.returned,
        report
            .problems
            .iter()
            .find_map(|p| match p {
                Problem::ChargeNotQuote {
                    rental, charged, ..
                } if *rental == story.returned => Some(*charged),
                _ => None,
            })
            .unwrap()
    );
    assert!(
        report
            .problems
            .iter()
            .any(|p| p.to_string().starts_with(&line)),
        "{line}: {:#?}",
        report
            .problems
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
    );
}

fn a_rented_copy_on_the_shelf_is_named<B: Backend>() {
    let (damaged, story) = restored::<B>(|story, records| {
        for record in records.iter_mut() {
            if let DumpRecord::Book { copies, .. } = record {
                for copy in copies.iter_mut().filter(|c| c.id == story.open_copy) {
                    copy.status = CopyStatus::Available;
                }
            }
        }
    });
    let report = checked(damaged.storage());
    assert_named(
        &report,
        Family::Copies,
        &[&|p| {
            matches!(p, Problem::OpenRentalNotMarked { rental, copy, status: CopyStatus::Available }
                if *rental == story.open && *copy == story.open_copy)
        }],
    );
    assert!(report.problems.iter().any(|p| p.to_string()
        == format!(
            "open rental {} holds copy {}, which is not marked rented under it",
            story.open, story.open_copy
        )));
}

fn a_balance_off_its_ledger_is_named<B: Backend>() {
    let (damaged, story) = restored::<B>(|story, records| {
        for record in records.iter_mut() {
            if let DumpRecord::Customer {
                customer, balance, ..
            } = record
            {
                if customer.id == story.ada {
                    *balance += money(1);
                }
            }
        }
    });
    let report = checked(damaged.storage());
    assert_named(
        &report,
        Family::Ledger,
        &[
            &|p| matches!(p, Problem::AccountBalance { customer, balance, sum } if *customer == story.ada && *balance == sum + money(1)),
        ],
    );
    assert_eq!(report.problems.len(), 1, "{:#?}", report.problems);
}

/// Two customers with one e-mail address (restored from a dump of a store from before addresses were unique):
/// named as a pair, neither merged; the restore keeps the address with the first.
fn customers_sharing_an_email_address_are_named<B: Backend>() {
    let (damaged, story) = restored::<B>(|story, records| {
        for record in records.iter_mut() {
            if let DumpRecord::Customer { customer, .. } = record {
                if customer.id == story.ada {
                    customer.email = Some("shared@example.org".into());
                }
                if customer.id == story.dee {
                    customer.email = Some("Shared@Example.org".into());
                }
            }
        }
    });
    let report = checked(damaged.storage());
    let (first, later) = (story.ada.min(story.dee), story.ada.max(story.dee));
    assert_named(
        &report,
        Family::Ledger,
        &[&|p| {
            matches!(p, Problem::SharedEmail { customer, first: f, email }
                if *customer == later && *f == first && email == "shared@example.org")
        }],
    );
    assert_eq!(report.problems.len(), 1, "{:#?}", report.problems);
    // The first keeps the address: a third customer cannot take it, the later one may change theirs.
    let store = BookStore::open(damaged.storage()).unwrap();
    let err = store
        .register_customer(
            &koko_core::NewCustomer::new("Eve", "Third").with_email("SHARED@example.org"),
        )
        .unwrap_err();
    assert!(
        matches!(err, koko_core::Error::Duplicate { field: "email", .. }),
        "{err:?}"
    );
    let moved = koko_core::CustomerUpdate {
        email: Some(Some("own@example.org".into())),
        ..Default::default()
    };
    store.update_customer(later, &moved).unwrap();
    assert!(checked(damaged.storage()).problems.is_empty());
}

fn a_closed_rental_without_its_charge_entry_is_named<B: Backend>() {
    let (damaged, story) = restored::<B>(|story, records| {
        records.retain(|r| {
            !matches!(r, DumpRecord::Entry(e) if e.kind == EntryKind::Charge && e.rental == Some(story.fulfilling))
        });
    });
    let report = checked(damaged.storage());
    assert_named(
        &report,
        Family::Charges,
        &[
            &|p| matches!(p, Problem::ChargeEntryCount { rental, entries } if *rental == story.fulfilling && entries.is_empty()),
        ],
    );
    // Dee's later entries and her balance no longer add up either.
    assert_named(
        &report,
        Family::Ledger,
        &[&|p| matches!(p, Problem::AccountBalance { customer, .. } if *customer == story.dee)],
    );
}

fn a_copy_set_aside_for_a_cancelled_hold_is_named<B: Backend>() {
    let (damaged, story) = restored::<B>(|story, records| {
        for record in records.iter_mut() {
            if let DumpRecord::Hold(hold) = record {
                if hold.id == story.ready {
                    hold.status = HoldStatus::Cancelled;
                    hold.closed_at = Some(t(9, 12));
                }
            }
        }
    });
    let report = checked(damaged.storage());
    assert_named(
        &report,
        Family::Holds,
        &[
            &|p| matches!(p, Problem::CopyOnHoldUnnamed { copy, hold, .. } if *copy == story.ready_copy && *hold == story.ready),
        ],
    );
}

fn a_lost_rental_without_its_processing_fee_is_named<B: Backend>() {
    let (damaged, story) = restored::<B>(|story, records| {
        records.retain(|r| {
            !matches!(r, DumpRecord::Entry(e) if e.kind == EntryKind::Fee && e.rental == Some(story.found) && e.amount == money(500))
        });
    });
    let report = checked(damaged.storage());
    assert_named(
        &report,
        Family::Lost,
        &[&|p| {
            matches!(p, Problem::ReplacementFees { rental, expected, entries, .. }
                if *rental == story.found && expected == &[money(2000), money(500)] && entries.len() == 1)
        }],
    );
}

/// Listings and indexes a restore keeps in step: damaged in a snapshot.
fn broken_listings_and_indexes_are_named<B: Backend>() {
    let backend = B::fresh();
    let story = workload(backend.storage());
    let good = Snapshot::read(backend.storage()).unwrap();
    assert_eq!(check::check(&good), Ok(EXPECTED));
    let problems = |damage: &dyn Fn(&mut Snapshot)| {
        let mut bad = good.clone();
        damage(&mut bad);
        check::check(&bad).unwrap_err()
    };
    let named = |problems: &[Problem], family: Family, wanted: &dyn Fn(&Problem) -> bool| {
        assert!(
            problems.iter().any(|p| p.family() == family && wanted(p)),
            "{family:?}: {problems:#?}"
        );
    };

    // Listings: a book's copies out of order; a ledger entry of a customer who does not exist.
    let listed = problems(&|bad| {
        bad.book_copies
            .get_mut(&story.emma.get())
            .unwrap()
            .reverse();
    });
    named(
        &listed,
        Family::Listing,
        &|p| matches!(p, Problem::OutOfOrder { listing: Listing::Copies { book }, .. } if *book == story.emma),
    );
    let orphan = problems(&|bad| {
        let mut entry = bad.ledger.values().next().unwrap().clone();
        entry.id = koko_core::LedgerEntryId::new(1_000);
        entry.customer = CustomerId::new(99);
        bad.ledger.insert(1_000, entry);
    });
    named(&orphan, Family::Listing, &|p| {
        *p == Problem::OwnerMissing {
            record: Record::LedgerEntry,
            id: 1_000,
            customer: CustomerId::new(99),
        }
    });

    // Indexes: an open rental the open-rental index lacks; a charge entry the charge index does not find; a
    // customer's rental index without their latest rental; a copy found by id that no book lists; the active
    // holds missing.
    let indexes = problems(&|bad| {
        bad.indexes.open_rentals.retain(|id| *id != story.open);
        bad.indexes.charge_entries.remove(&story.renewed.get());
        let ada = bad
            .indexes
            .customer_rentals
            .get_mut(&story.ada.get())
            .unwrap();
        ada.retain(|id| *id != story.later);
        bad.indexes.copies_found.insert(12);
        bad.indexes.active_holds.clear();
    });
    let all: [&dyn Fn(&Problem) -> bool; 5] = [
        &|p| {
            *p == Problem::IndexLacks {
                listing: Listing::OpenRentals,
                id: story.open.get(),
            }
        },
        &|p| matches!(p, Problem::ChargeIndex { rental, found: None, ledger: Some(_) } if *rental == story.renewed),
        &|p| {
            *p == Problem::IndexLacks {
                listing: Listing::CustomerRentals {
                    customer: story.ada,
                },
                id: story.later.get(),
            }
        },
        &|p| {
            *p == Problem::FoundUnlisted {
                record: Record::Copy,
                id: 12,
            }
        },
        &|p| matches!(p, Problem::HoldQueue { book: None, listed, expected } if listed.is_empty() && expected.len() == 2),
    ];
    for wanted in all {
        named(&indexes, Family::Indexes, wanted);
    }
    assert_eq!(indexes.len(), 5, "{indexes:#?}");
}

#[path = "check/events.rs"]
mod events;
use events::{
    a_counter_and_a_checkpoint_past_the_feed_are_named, a_feed_by_type_off_the_feed_is_named,
    a_gap_in_the_feed_and_an_id_off_its_position_are_named,
};

macro_rules! check_suite {
    ($($module:ident => $backend:ident),* $(,)?) => {
        $(
            mod $module {
                crate::backend_test!($backend, a_varied_workload_passes_with_exact_counts);
                crate::backend_test!($backend, a_rental_off_its_quote_or_due_date_is_named);
                crate::backend_test!($backend, a_rented_copy_on_the_shelf_is_named);
                crate::backend_test!($backend, a_balance_off_its_ledger_is_named);
                crate::backend_test!($backend, customers_sharing_an_email_address_are_named);
                crate::backend_test!($backend, a_closed_rental_without_its_charge_entry_is_named);
                crate::backend_test!($backend, a_copy_set_aside_for_a_cancelled_hold_is_named);
                crate::backend_test!($backend, a_lost_rental_without_its_processing_fee_is_named);
                crate::backend_test!($backend, broken_listings_and_indexes_are_named);
                crate::backend_test!(
                    $backend,
                    a_gap_in_the_feed_and_an_id_off_its_position_are_named
                );
                crate::backend_test!($backend, a_counter_and_a_checkpoint_past_the_feed_are_named);
                crate::backend_test!($backend, a_feed_by_type_off_the_feed_is_named);
            }
        )*
    };
}

check_suite!(memory => Memory, sled => Sled, sled_interval => SledInterval);
#[cfg(feature = "postgres")]
check_suite!(postgres => Postgres);
