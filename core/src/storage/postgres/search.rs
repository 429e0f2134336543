//! The search index on PostgreSQL: `koko_words`, written by the transactions that write books and customers, and
//! read by prefix (a range of the bytewise-ordered primary key).

use postgres::Transaction;

use super::{book_row, customer_row, pg_error, to_i64, to_u64, PgTx, PostgresStorage, TxError};
use crate::domain::{book_words, customer_words, WordIndex};
use crate::error::Result;

fn kind(index: WordIndex) -> &'static str {
    match index {
        WordIndex::Books => "b",
        WordIndex::Customers => "c",
    }
}

/// Writes the words of every stored book and customer (migration to schema 4, in its transaction).
pub(super) fn index_existing(tx: &mut Transaction<'_>) -> Result<()> {
    let insert = tx
        .prepare(
            "INSERT INTO koko_words (kind, word, id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
        )
        .map_err(pg_error)?;
    let books = tx
        .query(
            "SELECT id, title, author, isbn, category FROM koko_books",
            &[],
        )
        .map_err(pg_error)?;
    for row in &books {
        let book = book_row(row)?;
        for word in book_words(&book) {
            tx.execute(&insert, &[&"b", &word, &to_i64(book.id.get())?])
                .map_err(pg_error)?;
        }
    }
    let customers = tx
        .query(
            "SELECT id, first_name, last_name, email, active FROM koko_customers",
            &[],
        )
        .map_err(pg_error)?;
    for row in &customers {
        let customer = customer_row(row)?;
        for word in customer_words(&customer) {
            tx.execute(&insert, &[&"c", &word, &to_i64(customer.id.get())?])
                .map_err(pg_error)?;
        }
    }
    Ok(())
}

impl PgTx<'_, '_> {
    pub(super) fn store_word(
        &mut self,
        index: WordIndex,
        word: &str,
        id: u64,
        present: bool,
    ) -> Result<(), TxError> {
        let id = to_i64(id)?;
        if present {
            self.execute(
                "INSERT INTO koko_words (kind, word, id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
                &[&kind(index), &word, &id],
            )?;
        } else {
            self.execute(
                "DELETE FROM koko_words WHERE kind = $1 AND word = $2 AND id = $3",
                &[&kind(index), &word, &id],
            )?;
        }
        Ok(())
    }
}

impl PostgresStorage {
    pub(super) fn read_word_matches(
        &self,
        index: WordIndex,
        prefix: &str,
        at_most: usize,
    ) -> Result<Option<Vec<u64>>> {
        // Every word starting with `prefix` sorts (bytewise) from `prefix` to `prefix` followed by the largest
        // character.
        let end = format!("{prefix}\u{10FFFF}");
        let cap = i64::try_from(at_most.saturating_add(1)).unwrap_or(i64::MAX);
        let rows = self.read_query(
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
}
