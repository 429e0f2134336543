//! Restoring records written elsewhere (an import from another application) into a store that already has its
//! price plan: the same restore steps as a dump's, without the dump's header and end line.

use super::record::DumpRecord;
use super::restorer::Restorer;
use super::summary::DumpSummary;
use crate::error::{Error, Result};
use crate::storage::Storage;

/// Writes `records` into `storage`, which may hold plan versions but no book, customer or rental yet, exactly as
/// [`restore`](super::restore) writes a dump's records: ids kept (each kind's counter raised past them), copies
/// that name a rental given their status once every record is written, a thousand records per atomic batch.
///
/// `records` come in dump order — books with their copies, customers with their balance, rentals, then ledger
/// entries — and are not checked against the rules (the caller has validated them; `koko check` verifies the
/// store after). A plan version, a record of the event feed (the store keeps its own) or an end line among them is
/// refused before anything is written, as is a store
/// that already holds a book, a customer or a rental. If writing fails half-way (a storage error), the batches
/// written stay: discard that store and import into a new one. Returns the counts written.
///
/// ```
/// use koko_core::backup::{restore_beside_plans, DumpRecord};
/// use koko_core::{Book, BookId, BookStore, PricePlan};
///
/// let store = BookStore::in_memory(PricePlan::story3()).unwrap();
/// let book = Book { id: BookId::new(7), title: "Emma".into(), author: "Jane Austen".into(), isbn: None,
///                   category: "novel".into() };
/// let written = restore_beside_plans(store.storage(), vec![DumpRecord::Book { book, copies: vec![] }]).unwrap();
/// assert_eq!(written.count("book"), 1);
/// assert_eq!(store.book(BookId::new(7)).unwrap().title, "Emma");
/// ```
pub fn restore_beside_plans<S: Storage + ?Sized>(
    storage: &S,
    records: impl IntoIterator<Item = DumpRecord>,
) -> Result<DumpSummary> {
    let records: Vec<DumpRecord> = records.into_iter().collect();
    if let Some(record) = records.iter().find(|r| {
        matches!(
            r,
            DumpRecord::PlanVersion(_)
                | DumpRecord::End { .. }
                | DumpRecord::Feed { .. }
                | DumpRecord::Event(_)
                | DumpRecord::Checkpoint { .. }
        )
    }) {
        return Err(Error::InvalidInput {
            field: "records".into(),
            reason: format!(
                "a {} record cannot be restored beside the store's own plans",
                record.kind()
            ),
        });
    }
    let holds_records = storage.books_after(None)?.next().is_some()
        || storage.customers_after(None)?.next().is_some()
        || storage.rentals_after(None)?.next().is_some();
    if holds_records {
        return Err(Error::InvalidInput {
            field: "target".into(),
            reason: "the store already holds books, customers or rentals: import into a new store (`koko init \
                     PATH --plan …`)"
                .into(),
        });
    }
    let mut writer = Restorer::beside_plans(storage);
    for record in records {
        writer.push(record)?;
    }
    let counts = writer.counts.counts().clone();
    writer.push(DumpRecord::End { counts })?;
    writer.finish()
}
