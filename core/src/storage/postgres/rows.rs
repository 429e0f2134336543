//! Rows ↔ records: Koko's ids as PostgreSQL `BIGINT`s and back, each table's row as its domain record, and the
//! columns a record is stored as where they are not simply its fields (a copy's status, a rental's charge, an
//! idempotency key's outcome, an id kind's sequence).
//!
//! Decoders read columns by name, so a query may list them in any order; a value no Koko writes is
//! [`Error::Corruption`].

use chrono::{DateTime, Utc};
use postgres::Row;
use rust_decimal::Decimal;

use super::error::{corrupt, pg_error};
use crate::domain::{
    Block, Book, BookCopy, CopyStatus, Customer, Hold, HoldStatus, LedgerEntry, Rental,
};
use crate::engine::{IdKind, KeyRecord, Outcome, StoredAccount};
use crate::error::{Error, Result};
use crate::ids::{BookId, CopyId, CustomerId, HoldId, LedgerEntryId, PlanVersionId, RentalId};
use crate::pricing::{PlanVersion, PricePlan, Quote};

/// An id as a `BIGINT`; an id beyond it cannot be stored ([`Error::InvalidInput`]).
pub(super) fn to_i64(id: u64) -> Result<i64> {
    i64::try_from(id)
        .map_err(|_| Error::invalid_input("id", format!("{id} is too large for PostgreSQL")))
}

/// A stored `BIGINT` id as Koko's (a negative one is corruption).
pub(super) fn to_u64(id: i64) -> Result<u64> {
    u64::try_from(id).map_err(|_| corrupt("a negative id"))
}

/// The name of the sequence that hands out ids of `kind` (`koko_book_seq`, …), bound as a `regclass` parameter.
pub(super) fn sequence(kind: IdKind) -> String {
    format!("koko_{}_seq", kind.name())
}

/// A `koko_books` row.
pub(super) fn book_row(row: &Row) -> Result<Book> {
    Ok(Book {
        id: BookId::new(to_u64(row.try_get("id").map_err(pg_error)?)?),
        title: row.try_get("title").map_err(pg_error)?,
        author: row.try_get("author").map_err(pg_error)?,
        isbn: row.try_get("isbn").map_err(pg_error)?,
        category: row.try_get("category").map_err(pg_error)?,
    })
}

/// A `koko_copies` row: its status is whichever of `withdrawn`, `rental_id`, `hold_id` and `lost_rental_id` is
/// set (at most one; none: available).
pub(super) fn copy_row(row: &Row) -> Result<BookCopy> {
    let withdrawn: bool = row.try_get("withdrawn").map_err(pg_error)?;
    let rental: Option<i64> = row.try_get("rental_id").map_err(pg_error)?;
    let hold: Option<i64> = row.try_get("hold_id").map_err(pg_error)?;
    let lost: Option<i64> = row.try_get("lost_rental_id").map_err(pg_error)?;
    let status = match (withdrawn, rental, hold, lost) {
        (false, Some(rental), None, None) => CopyStatus::Rented(RentalId::new(to_u64(rental)?)),
        (false, None, Some(hold), None) => CopyStatus::OnHold(HoldId::new(to_u64(hold)?)),
        (false, None, None, Some(rental)) => CopyStatus::Lost(RentalId::new(to_u64(rental)?)),
        (true, None, None, None) => CopyStatus::Withdrawn,
        (false, None, None, None) => CopyStatus::Available,
        _ => return Err(corrupt("a copy with two statuses")),
    };
    Ok(BookCopy {
        id: CopyId::new(to_u64(row.try_get("id").map_err(pg_error)?)?),
        book: BookId::new(to_u64(row.try_get("book_id").map_err(pg_error)?)?),
        status,
    })
}

/// A copy's status as its columns, the inverse of [`copy_row`].
pub(super) struct CopyColumns {
    /// `withdrawn`.
    pub(super) withdrawn: bool,
    /// `rental_id`: the open rental of a rented copy.
    pub(super) rental: Option<i64>,
    /// `hold_id`: the hold a copy is set aside for.
    pub(super) hold: Option<i64>,
    /// `lost_rental_id`: the rental that lost the copy.
    pub(super) lost: Option<i64>,
}

impl CopyColumns {
    /// The columns of `status`.
    pub(super) fn of(status: CopyStatus) -> Result<Self> {
        let mut columns = CopyColumns {
            withdrawn: false,
            rental: None,
            hold: None,
            lost: None,
        };
        match status {
            CopyStatus::Available => {}
            CopyStatus::Withdrawn => columns.withdrawn = true,
            CopyStatus::Rented(r) => columns.rental = Some(to_i64(r.get())?),
            CopyStatus::OnHold(h) => columns.hold = Some(to_i64(h.get())?),
            CopyStatus::Lost(r) => columns.lost = Some(to_i64(r.get())?),
        }
        Ok(columns)
    }
}

/// A `koko_customers` row.
pub(super) fn customer_row(row: &Row) -> Result<Customer> {
    Ok(Customer {
        id: CustomerId::new(to_u64(row.try_get("id").map_err(pg_error)?)?),
        first_name: row.try_get("first_name").map_err(pg_error)?,
        last_name: row.try_get("last_name").map_err(pg_error)?,
        email: row.try_get("email").map_err(pg_error)?,
        active: row.try_get("active").map_err(pg_error)?,
    })
}

/// A `koko_rentals` row (its `charge` is the JSON of the [`Quote`]; `charge_total` is not read).
pub(super) fn rental_row(row: &Row) -> Result<Rental> {
    let charge: Option<serde_json::Value> = row.try_get("charge").map_err(pg_error)?;
    let charge: Option<Quote> = charge
        .map(|value| {
            serde_json::from_value(value).map_err(|e| corrupt(&format!("a stored charge ({e})")))
        })
        .transpose()?;
    Ok(Rental {
        id: RentalId::new(to_u64(row.try_get("id").map_err(pg_error)?)?),
        copy: CopyId::new(to_u64(row.try_get("copy_id").map_err(pg_error)?)?),
        book: BookId::new(to_u64(row.try_get("book_id").map_err(pg_error)?)?),
        customer: CustomerId::new(to_u64(row.try_get("customer_id").map_err(pg_error)?)?),
        category: row.try_get("category").map_err(pg_error)?,
        rented_at: row.try_get("rented_at").map_err(pg_error)?,
        due_at: row.try_get("due_at").map_err(pg_error)?,
        returned_at: row.try_get("returned_at").map_err(pg_error)?,
        plan_version: PlanVersionId::new(to_u64(row.try_get("plan_version").map_err(pg_error)?)?),
        charge,
        renewals: row.try_get("renewals").map_err(pg_error)?,
        lost: row.try_get("lost").map_err(pg_error)?,
    })
}

/// A rental's charge as its `charge` column (JSON) and its `charge_total` column; both `NULL` while it is open.
pub(super) fn charge_columns(
    rental: &Rental,
) -> Result<(Option<serde_json::Value>, Option<Decimal>)> {
    let charge = rental
        .charge
        .as_ref()
        .map(|q| serde_json::to_value(q).map_err(|e| corrupt(&format!("a charge ({e})"))))
        .transpose()?;
    Ok((charge, rental.charge.as_ref().map(|q| q.total)))
}

/// A `koko_plan_versions` row (its `plan` is the plan's JSON).
pub(super) fn plan_row(row: &Row) -> Result<PlanVersion> {
    let plan: String = row.try_get("plan").map_err(pg_error)?;
    Ok(PlanVersion {
        id: PlanVersionId::new(to_u64(row.try_get("id").map_err(pg_error)?)?),
        effective_from: row.try_get("effective_from").map_err(pg_error)?,
        plan: PricePlan::from_json(&plan).map_err(|e| corrupt(&format!("a stored plan ({e})")))?,
    })
}

/// A `koko_ledger` row.
pub(super) fn entry_row(row: &Row) -> Result<LedgerEntry> {
    let kind: String = row.try_get("kind").map_err(pg_error)?;
    let currency: String = row.try_get("currency").map_err(pg_error)?;
    let rental: Option<i64> = row.try_get("rental_id").map_err(pg_error)?;
    Ok(LedgerEntry {
        id: LedgerEntryId::new(to_u64(row.try_get("id").map_err(pg_error)?)?),
        customer: CustomerId::new(to_u64(row.try_get("customer_id").map_err(pg_error)?)?),
        kind: kind
            .parse()
            .map_err(|_| corrupt(&format!("a ledger entry of kind {kind:?}")))?,
        amount: row.try_get("amount").map_err(pg_error)?,
        currency: currency
            .parse()
            .map_err(|_| corrupt(&format!("a ledger entry in currency {currency:?}")))?,
        at: row.try_get("at").map_err(pg_error)?,
        rental: rental.map(to_u64).transpose()?.map(RentalId::new),
        note: row.try_get("note").map_err(pg_error)?,
        balance_after: row.try_get("balance_after").map_err(pg_error)?,
    })
}

/// A `koko_accounts` row: the balance and the manual block (the open rentals are counted apart).
pub(super) fn account_row(row: &Row) -> Result<StoredAccount> {
    let reason: Option<String> = row.try_get("block_reason").map_err(pg_error)?;
    let since: Option<DateTime<Utc>> = row.try_get("block_since").map_err(pg_error)?;
    Ok(StoredAccount {
        balance: row.try_get::<_, Decimal>("balance").map_err(pg_error)?,
        block: match (reason, since) {
            (Some(reason), Some(since)) => Some(Block {
                reason,
                since,
                until: row.try_get("block_until").map_err(pg_error)?,
            }),
            _ => None,
        },
    })
}

/// A `koko_idempotency_keys` row (its `outcome` is the JSON of the [`Outcome`]).
pub(super) fn key_row(row: &Row) -> Result<KeyRecord> {
    let outcome: String = row.try_get("outcome").map_err(pg_error)?;
    Ok(KeyRecord {
        request: row.try_get("request").map_err(pg_error)?,
        outcome: serde_json::from_str::<Outcome>(&outcome)
            .map_err(|e| corrupt(&format!("an idempotency key's outcome ({e})")))?,
        recorded_at: row.try_get("recorded_at").map_err(pg_error)?,
    })
}

/// An idempotency key's outcome as its `outcome` column (JSON).
pub(super) fn outcome_column(record: &KeyRecord) -> Result<String> {
    serde_json::to_string(&record.outcome)
        .map_err(|e| corrupt(&format!("an outcome that cannot be encoded ({e})")))
}

/// A `koko_holds` row, with its `position` column: its place in the book's queue while it waits, or `NULL` (a
/// transaction's reads do not number holds).
pub(super) fn hold_row(row: &Row) -> Result<Hold> {
    let status: String = row.try_get("status").map_err(pg_error)?;
    let copy: Option<i64> = row.try_get("copy_id").map_err(pg_error)?;
    let rental: Option<i64> = row.try_get("rental_id").map_err(pg_error)?;
    let position: Option<i64> = row.try_get("position").map_err(pg_error)?;
    Ok(Hold {
        id: HoldId::new(to_u64(row.try_get("id").map_err(pg_error)?)?),
        book: BookId::new(to_u64(row.try_get("book_id").map_err(pg_error)?)?),
        customer: CustomerId::new(to_u64(row.try_get("customer_id").map_err(pg_error)?)?),
        placed_at: row.try_get("placed_at").map_err(pg_error)?,
        status: hold_status(&status)?,
        copy: copy.map(to_u64).transpose()?.map(CopyId::new),
        ready_until: row.try_get("ready_until").map_err(pg_error)?,
        closed_at: row.try_get("closed_at").map_err(pg_error)?,
        rental: rental.map(to_u64).transpose()?.map(RentalId::new),
        position: position.map(|p| u32::try_from(p).unwrap_or(u32::MAX)),
    })
}

/// A hold's `status` column (written from [`HoldStatus::as_str`]).
fn hold_status(status: &str) -> Result<HoldStatus> {
    Ok(match status {
        "waiting" => HoldStatus::Waiting,
        "ready" => HoldStatus::Ready,
        "fulfilled" => HoldStatus::Fulfilled,
        "cancelled" => HoldStatus::Cancelled,
        "expired" => HoldStatus::Expired,
        other => return Err(corrupt(&format!("a hold with status {other:?}"))),
    })
}
