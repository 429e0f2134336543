//! The search index: `koko_words`, one row per word of each book and customer (see `domain::words`), written by
//! the transactions that write those records and read by prefix — a range of the bytewise-ordered primary key.

use postgres::Transaction;

use super::error::{pg_error, TxError};
use super::pool::Statements;
use super::reader::Reader;
use super::rows::{book_row, customer_row, to_i64, to_u64};
use super::tx::PgTx;
use crate::domain::{book_words, customer_words, WordIndex};
use crate::error::Result;

/// Adds one word of one record (a word already there stays).
const INSERT_WORD: &str =
    "INSERT INTO koko_words (kind, word, id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING";

/// The `kind` column of an index's words.
fn kind(index: WordIndex) -> &'static str {
    match index {
        WordIndex::Books => "b",
        WordIndex::Customers => "c",
    }
}

/// Writes the words of every stored book and customer (the migration to schema 4, in its transaction `tx`, whose
/// connection's statements are `statements`).
pub(super) fn index_existing(tx: &mut Transaction<'_>, statements: &mut Statements) -> Result<()> {
    let books = statements
        .query(
            tx,
            "SELECT id, title, author, isbn, category FROM koko_books",
            &[],
        )
        .map_err(pg_error)?;
    for row in &books {
        let book = book_row(row)?;
        for word in book_words(&book) {
            statements
                .execute(
                    tx,
                    INSERT_WORD,
                    &[&kind(WordIndex::Books), &word, &to_i64(book.id.get())?],
                )
                .map_err(pg_error)?;
        }
    }
    let customers = statements
        .query(
            tx,
            "SELECT id, first_name, last_name, email, active FROM koko_customers",
            &[],
        )
        .map_err(pg_error)?;
    for row in &customers {
        let customer = customer_row(row)?;
        for word in customer_words(&customer) {
            statements
                .execute(
                    tx,
                    INSERT_WORD,
                    &[
                        &kind(WordIndex::Customers),
                        &word,
                        &to_i64(customer.id.get())?,
                    ],
                )
                .map_err(pg_error)?;
        }
    }
    Ok(())
}

/// Adds (`present`) or removes one word of the index `index` for record `id`.
pub(super) fn put_word(
    tx: &mut PgTx<'_, '_>,
    index: WordIndex,
    word: &str,
    id: u64,
    present: bool,
) -> Result<(), TxError> {
    let id = to_i64(id)?;
    if present {
        tx.execute(INSERT_WORD, &[&kind(index), &word, &id])?;
    } else {
        tx.execute(
            "DELETE FROM koko_words WHERE kind = $1 AND word = $2 AND id = $3",
            &[&kind(index), &word, &id],
        )?;
    }
    Ok(())
}

/// The ids of the records of `index` one of whose words starts with `prefix`, ascending, without repeats; `None`
/// when more than `at_most` words match. Read from the replica while it may serve.
pub(super) fn word_matches(
    reader: &Reader,
    index: WordIndex,
    prefix: &str,
    at_most: usize,
) -> Result<Option<Vec<u64>>> {
    // Every word starting with `prefix` sorts (bytewise) from `prefix` to `prefix` followed by the largest
    // character.
    let end = format!("{prefix}\u{10FFFF}");
    let cap = i64::try_from(at_most.saturating_add(1)).unwrap_or(i64::MAX);
    let rows = reader.replica_or_primary(
        "SELECT id FROM koko_words WHERE kind = $1 AND word >= $2 AND word < $3 LIMIT $4",
        &[&kind(index), &prefix, &end, &cap],
    )?;
    if rows.len() > at_most {
        return Ok(None);
    }
    let mut ids = rows
        .iter()
        .map(|row| to_u64(row.try_get(0).map_err(pg_error)?))
        .collect::<Result<Vec<_>>>()?;
    ids.sort_unstable();
    ids.dedup();
    Ok(Some(ids))
}

/// The ids of the records of `index` with exactly the word `word`, after `after`, ascending: a range of the primary
/// key, streamed page by page from the replica while it may serve.
pub(super) fn word_ids_after<'a>(
    reader: &'a Reader,
    index: WordIndex,
    word: &str,
    after: Option<u64>,
) -> crate::storage::Records<'a, u64> {
    reader.paged_with(
        "SELECT id FROM koko_words WHERE kind = $3 AND word = $4 AND id > $1 ORDER BY id LIMIT $2",
        after.map_or(0, |id| i64::try_from(id).unwrap_or(i64::MAX)),
        vec![kind(index).to_owned(), word.to_owned()],
        |row| to_u64(row.try_get("id").map_err(pg_error)?),
    )
}
