//! The differences between the store the model expects and the store found.

use std::collections::BTreeMap;
use std::fmt::Debug;

use koko_core::check::Snapshot;

/// Every difference between `expected` and `actual`, one line each (empty when they are equal). The records
/// only: what the indexes answered is [`koko_core::check::check`]'s to compare with the records.
pub fn diff(expected: &Snapshot, actual: &Snapshot) -> Vec<String> {
    let mut out = Vec::new();
    if expected.plans != actual.plans {
        let ids = |s: &Snapshot| s.plans.iter().map(|p| p.id.get()).collect::<Vec<_>>();
        out.push(format!(
            "plan versions: expected {:?}, found {:?}",
            ids(expected),
            ids(actual)
        ));
    }
    maps("book", &expected.books, &actual.books, &mut out);
    maps(
        "copy list of book",
        &expected.book_copies,
        &actual.book_copies,
        &mut out,
    );
    maps("copy", &expected.copies, &actual.copies, &mut out);
    maps("customer", &expected.customers, &actual.customers, &mut out);
    maps("rental", &expected.rentals, &actual.rentals, &mut out);
    maps(
        "account of customer",
        &expected.accounts,
        &actual.accounts,
        &mut out,
    );
    maps("ledger entry", &expected.ledger, &actual.ledger, &mut out);
    maps("hold", &expected.holds, &actual.holds, &mut out);
    out
}

fn maps<T: PartialEq + Debug>(
    what: &str,
    expected: &BTreeMap<u64, T>,
    actual: &BTreeMap<u64, T>,
    out: &mut Vec<String>,
) {
    for (id, want) in expected {
        match actual.get(id) {
            None => out.push(format!("{what} {id}: expected {want:?}, missing")),
            Some(got) if got != want => {
                out.push(format!("{what} {id}: expected {want:?}, found {got:?}"))
            }
            Some(_) => {}
        }
    }
    for (id, got) in actual {
        if !expected.contains_key(id) {
            out.push(format!("{what} {id}: not expected, found {got:?}"));
        }
    }
}
