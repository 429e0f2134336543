//! The rules of `koko import original`: the original's rows to Koko's records, and every row that cannot be
//! mapped, with why. Pure: reads the rows and the store's plan versions, writes nothing. Books and customers here,
//! rentals in `rentals.rs`, the cells of a row in `cells.rs`.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use koko_core::backup::DumpRecord;
use koko_core::{
    version_in_force, Book, BookCopy, BookId, CopyId, CopyStatus, Customer, CustomerId, Decimal,
    EntryKind, LedgerEntry, LedgerEntryId, PlanVersion, Rental, RentalId,
};

use super::cells::{flag, positive, required_text, shown, text};
use super::rentals::{one_open_per_book, rentals};
use super::rows::{refusal, Accepted, Refusal, Tables};
use crate::store::Failure;

/// The note on an imported charge's ledger entry: its charge's one line.
const RECORDED: &str = koko_core::RECORDED_CHARGE;

/// How many rows of each table were imported and refused, and the charges recorded per currency.
#[derive(Default)]
pub(crate) struct Counts {
    pub(crate) books: u64,
    pub(crate) customers: u64,
    pub(crate) open: u64,
    pub(crate) closed: u64,
    pub(crate) refused_books: u64,
    pub(crate) refused_customers: u64,
    pub(crate) refused_rentals: u64,
    /// The recorded charges' sum per currency, e.g. `47.50 USD`.
    pub(crate) charged: Vec<String>,
}

/// The records to write, in dump order, and what was refused or corrected.
pub(crate) struct Mapped {
    pub(crate) records: Vec<DumpRecord>,
    pub(crate) refused: Vec<Refusal>,
    pub(crate) warnings: Vec<Refusal>,
    pub(crate) counts: Counts,
}

/// Maps the original's tables under the store's plan `versions` (the category check uses the one in force at
/// `now`). An error refuses the whole file: a rental borrowed before the store's plan is in force.
pub(crate) fn map(
    tables: &Tables,
    versions: &[PlanVersion],
    now: DateTime<Utc>,
) -> Result<Mapped, Failure> {
    let mut refused = Vec::new();
    let current = version_in_force(versions, now)
        .or_else(|| versions.iter().max_by_key(|v| v.effective_from))
        .ok_or_else(crate::plan::none_yet)?;
    let books = books(tables, current, &mut refused);
    let customers = customers(tables, &mut refused);
    let mut rentals = rentals(tables, versions, &books, &customers, &mut refused)?;
    let holder = one_open_per_book(&mut rentals, &mut refused);
    refused.sort_by_key(|r| (table_order(r.table), r.id));
    Ok(records(&books, &customers, rentals, &holder, refused))
}

/// The books, by their id in the original: the first of a title (by id) keeps it.
fn books(
    tables: &Tables,
    current: &PlanVersion,
    refused: &mut Vec<Refusal>,
) -> BTreeMap<i64, Accepted> {
    let mut books: BTreeMap<i64, Accepted> = BTreeMap::new();
    let mut titles: HashMap<String, (i64, String)> = HashMap::new();
    for row in &tables.books {
        let mut reasons = Vec::new();
        let id = positive(row.id, &mut reasons);
        let title = required_text("title", &row.title, &mut reasons);
        let author = required_text("author", &row.author, &mut reasons);
        let category = match text(&row.book_type).map(str::trim) {
            Some("R") => Some("regular"),
            Some("F") => Some("fiction"),
            Some("N") => Some("novel"),
            _ => {
                reasons.push(format!(
                    "unknown book_type {} (the original's types are R regular, F fiction, N novel)",
                    shown(&row.book_type)
                ));
                None
            }
        };
        if let Some(category) = category {
            if let Err(e) = current.plan.tariff(category) {
                reasons.push(format!("the store's plan does not price it: {e}"));
            }
        }
        let rented_out = flag("rental_status", &row.rental_status, &mut reasons);
        if let (true, Some(title)) = (reasons.is_empty(), &title) {
            let key = title.to_lowercase();
            if let Some((first, first_title)) = titles.get(&key) {
                reasons.push(format!(
                    "its title {title:?} is book {first}'s ({first_title:?}): Koko compares titles trimmed and \
                     case-insensitively"
                ));
            } else {
                titles.insert(key, (row.id, title.clone()));
            }
        }
        match (id, title, author, category, rented_out) {
            (Some(id), Some(title), Some(author), Some(category), Some(rented_out))
                if reasons.is_empty() =>
            {
                let book = Book {
                    id: BookId::new(id),
                    title,
                    author,
                    isbn: None,
                    category: category.to_owned(),
                };
                books.insert(row.id, Accepted { book, rented_out });
            }
            _ => refused.push(refusal("books", row.id, reasons)),
        }
    }
    books
}

/// The customers, by their id in the original.
fn customers(tables: &Tables, refused: &mut Vec<Refusal>) -> BTreeMap<i64, Customer> {
    let mut customers: BTreeMap<i64, Customer> = BTreeMap::new();
    for row in &tables.customers {
        let mut reasons = Vec::new();
        let id = positive(row.id, &mut reasons);
        let first = required_text("first_name", &row.first_name, &mut reasons);
        let last = required_text("last_name", &row.last_name, &mut reasons);
        let active = flag("is_active", &row.is_active, &mut reasons);
        match (id, first, last, active) {
            (Some(id), Some(first_name), Some(last_name), Some(active)) if reasons.is_empty() => {
                let customer = Customer {
                    id: CustomerId::new(id),
                    first_name,
                    last_name,
                    email: None,
                    active,
                };
                customers.insert(row.id, customer);
            }
            _ => refused.push(refusal("customers", row.id, reasons)),
        }
    }
    customers
}

/// The records, in dump order: books with their copy, customers with their balance, rentals, charge entries.
fn records(
    books: &BTreeMap<i64, Accepted>,
    customers: &BTreeMap<i64, Customer>,
    rentals: Vec<Rental>,
    holder: &BTreeMap<BookId, RentalId>,
    refused: Vec<Refusal>,
) -> Mapped {
    let mut warnings = Vec::new();
    let mut counts = Counts::default();
    let mut records = Vec::new();
    for (row, accepted) in books {
        let book = &accepted.book;
        let status = match (holder.get(&book.id), accepted.rented_out) {
            (Some(rental), rented_out) => {
                if !rented_out {
                    warnings.push(warning(*row, format!(
                        "marked available (rental_status 0), but open rental {rental} holds it: imported as rented"
                    )));
                }
                CopyStatus::Rented(*rental)
            }
            (None, true) => {
                warnings.push(warning(
                    *row,
                    "marked rented out (rental_status 1), but no open rental of it was imported: imported as \
                     available"
                        .into(),
                ));
                CopyStatus::Available
            }
            (None, false) => CopyStatus::Available,
        };
        let copy = BookCopy {
            id: CopyId::new(book.id.get()),
            book: book.id,
            status,
        };
        records.push(DumpRecord::Book {
            book: book.clone(),
            copies: vec![copy],
        });
    }
    let mut closed: Vec<&Rental> = rentals.iter().filter(|r| r.charge.is_some()).collect();
    closed.sort_by_key(|r| (r.returned_at, r.id));
    let mut balances: BTreeMap<CustomerId, Decimal> = BTreeMap::new();
    let mut charged: BTreeMap<&'static str, Decimal> = BTreeMap::new();
    let mut entries = Vec::with_capacity(closed.len());
    for (rental, id) in closed.iter().zip(1u64..) {
        let (Some(charge), Some(at)) = (&rental.charge, rental.returned_at) else {
            continue;
        };
        let balance = balances.entry(rental.customer).or_default();
        *balance += charge.total;
        *charged.entry(charge.currency.code()).or_default() += charge.total;
        entries.push(DumpRecord::Entry(LedgerEntry {
            id: LedgerEntryId::new(id),
            customer: rental.customer,
            kind: EntryKind::Charge,
            amount: charge.total,
            currency: charge.currency,
            at,
            rental: Some(rental.id),
            note: Some(RECORDED.into()),
            balance_after: *balance,
        }));
    }
    for customer in customers.values() {
        records.push(DumpRecord::Customer {
            customer: customer.clone(),
            balance: balances.get(&customer.id).copied().unwrap_or_default(),
            block: None,
        });
    }
    counts.books = books.len() as u64;
    counts.customers = customers.len() as u64;
    counts.closed = closed.len() as u64;
    counts.open = (rentals.len() - closed.len()) as u64;
    counts.charged = charged
        .iter()
        .map(|(code, total)| format!("{total} {code}"))
        .collect();
    for table in refused.iter().map(|r| r.table) {
        match table {
            "books" => counts.refused_books += 1,
            "customers" => counts.refused_customers += 1,
            _ => counts.refused_rentals += 1,
        }
    }
    records.extend(rentals.into_iter().map(DumpRecord::Rental));
    records.extend(entries);
    Mapped {
        records,
        refused,
        warnings,
        counts,
    }
}

fn warning(book: i64, reason: String) -> Refusal {
    Refusal {
        table: "books",
        id: book,
        reason,
    }
}

fn table_order(table: &str) -> u8 {
    match table {
        "books" => 0,
        "customers" => 1,
        _ => 2,
    }
}
