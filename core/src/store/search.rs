//! Keyset pages and search on [`BookStore`]: a page names the last id of the page before it, so a page costs the
//! same at row 1,000,000 as at row 1; books and customers are found by the words of the search index, which every
//! write keeps in the same atomic operation as the record.

use chrono::{DateTime, Utc};

use super::BookStore;
use crate::domain::MAX_QUERY_WORDS;
use crate::domain::{query_words, Book, CopyStatus, Customer, Rental, RentalStatus, WordIndex};
use crate::error::{Error, Result};
use crate::ids::{BookId, CustomerId, RentalId};
use crate::storage::Storage;

/// The largest page.
pub const MAX_PAGE: usize = 1000;
/// The longest search text, in characters.
const MAX_QUERY_CHARS: usize = 200;

/// What to look for among books; every part given must match.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BookQuery {
    /// Words of the title or the author, or an ISBN: each word must start a word of the book (`tolk` finds
    /// Tolkien), case and accents ignored; digits and hyphens alone are an ISBN prefix.
    pub text: Option<String>,
    /// Exactly this category.
    pub category: Option<String>,
    /// Books with a copy on the shelf (`true`) or without one (`false`).
    pub available: Option<bool>,
}

/// Which rentals to list; every part given must match.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RentalQuery {
    /// Open, closed, or closed as lost.
    pub status: Option<RentalStatus>,
    /// One customer's.
    pub customer: Option<CustomerId>,
    /// Open and past their due date at this instant.
    pub overdue_at: Option<DateTime<Utc>>,
}

fn check_limit(limit: usize) -> Result<()> {
    if limit == 0 || limit > MAX_PAGE {
        return Err(Error::invalid_input(
            "limit",
            format!("must be between 1 and {MAX_PAGE}, got {limit}"),
        ));
    }
    Ok(())
}

/// The prefixes a search text stands for, checked.
fn prefixes(text: &str) -> Result<Vec<String>> {
    if text.chars().count() > MAX_QUERY_CHARS || text.chars().any(char::is_control) {
        return Err(Error::invalid_input(
            "search",
            format!("at most {MAX_QUERY_CHARS} characters without control characters"),
        ));
    }
    let words = query_words(text);
    if words.len() > MAX_QUERY_WORDS {
        return Err(Error::invalid_input(
            "search",
            format!("at most {MAX_QUERY_WORDS} words"),
        ));
    }
    Ok(words)
}

/// The ids that match every prefix (ascending), or `None` when there is no prefix (everything matches).
fn matching<S: Storage>(
    storage: &S,
    index: WordIndex,
    words: &[String],
) -> Result<Option<Vec<u64>>> {
    let mut sets = Vec::with_capacity(words.len());
    for word in words {
        sets.push(storage.word_matches(index, word)?);
    }
    sets.sort_by_key(Vec::len);
    let mut sets = sets.into_iter();
    let Some(mut ids) = sets.next() else {
        return Ok(None);
    };
    for other in sets {
        ids.retain(|id| other.binary_search(id).is_ok());
    }
    Ok(Some(ids))
}

impl<S: Storage> BookStore<S> {
    /// Up to `limit` (1 to [`MAX_PAGE`]) books after `after`, in id order.
    pub fn books_page(&self, after: Option<BookId>, limit: usize) -> Result<Vec<Book>> {
        check_limit(limit)?;
        self.storage.books_after(after)?.take(limit).collect()
    }

    /// Up to `limit` customers after `after`, in id order.
    pub fn customers_page(&self, after: Option<CustomerId>, limit: usize) -> Result<Vec<Customer>> {
        check_limit(limit)?;
        self.storage.customers_after(after)?.take(limit).collect()
    }

    /// Up to `limit` books matching `query` after `after`, in id order.
    ///
    /// ```
    /// use koko_core::{BookQuery, BookStore, NewBook, PricePlan};
    ///
    /// let store = BookStore::in_memory(PricePlan::story3()).unwrap();
    /// store.add_book(&NewBook::new("The Hobbit", "J. R. R. Tolkien", "regular"), 1).unwrap();
    /// store.add_book(&NewBook::new("Émile", "Jean-Jacques Rousseau", "novel"), 1).unwrap();
    /// let query = |text: &str| BookQuery { text: Some(text.into()), ..BookQuery::default() };
    /// assert_eq!(store.search_books(&query("tolk"), None, 10).unwrap()[0].title, "The Hobbit");
    /// assert_eq!(store.search_books(&query("EMILE rous"), None, 10).unwrap()[0].title, "Émile");
    /// assert!(store.search_books(&query("hobbit rousseau"), None, 10).unwrap().is_empty());
    /// ```
    pub fn search_books(
        &self,
        query: &BookQuery,
        after: Option<BookId>,
        limit: usize,
    ) -> Result<Vec<Book>> {
        check_limit(limit)?;
        let mut words = match &query.text {
            Some(text) => prefixes(text)?,
            None => Vec::new(),
        };
        if let Some(category) = &query.category {
            words.push(crate::domain::category_word(category.trim()));
        }
        let keep = |book: &Book| -> Result<bool> {
            match query.available {
                None => Ok(true),
                Some(want) => Ok(self.has_copy_on_shelf(book.id)? == want),
            }
        };
        let mut found = Vec::new();
        match matching(&self.storage, WordIndex::Books, &words)? {
            Some(ids) => {
                let start = after.map_or(0, |a| ids.partition_point(|id| *id <= a.get()));
                for id in &ids[start..] {
                    let book = self.storage.book(BookId::new(*id))?;
                    if keep(&book)? {
                        found.push(book);
                        if found.len() == limit {
                            break;
                        }
                    }
                }
            }
            None => {
                for book in self.storage.books_after(after)? {
                    let book = book?;
                    if keep(&book)? {
                        found.push(book);
                        if found.len() == limit {
                            break;
                        }
                    }
                }
            }
        }
        Ok(found)
    }

    fn has_copy_on_shelf(&self, book: BookId) -> Result<bool> {
        Ok(self
            .storage
            .copies_of(book)?
            .iter()
            .any(|c| c.status == CopyStatus::Available))
    }

    /// Up to `limit` customers whose names or email start with each word of `text`, after `after`, in id order.
    pub fn search_customers(
        &self,
        text: &str,
        after: Option<CustomerId>,
        limit: usize,
    ) -> Result<Vec<Customer>> {
        check_limit(limit)?;
        let words = prefixes(text)?;
        match matching(&self.storage, WordIndex::Customers, &words)? {
            Some(ids) => {
                let start = after.map_or(0, |a| ids.partition_point(|id| *id <= a.get()));
                ids[start..]
                    .iter()
                    .take(limit)
                    .map(|id| self.storage.customer(CustomerId::new(*id)))
                    .collect()
            }
            None => self.customers_page(after, limit),
        }
    }

    /// Up to `limit` rentals matching `query` after `after`, in id order. Open and overdue rentals are read from
    /// the open-rental index, a customer's from theirs.
    pub fn find_rentals(
        &self,
        query: &RentalQuery,
        after: Option<RentalId>,
        limit: usize,
    ) -> Result<Vec<Rental>> {
        check_limit(limit)?;
        let keep = |rental: &Rental| {
            query.status.is_none_or(|s| rental.status() == s)
                && query.customer.is_none_or(|c| rental.customer == c)
                && query.overdue_at.is_none_or(|at| rental.is_overdue(at))
        };
        let open_only = query.status == Some(RentalStatus::Active) || query.overdue_at.is_some();
        let source = match query.customer {
            Some(customer) => Box::new(self.storage.customer_rentals(customer)?.skip_while(
                move |r| match (r, after) {
                    (Ok(r), Some(after)) => r.id <= after,
                    _ => false,
                },
            )) as crate::storage::Records<'_, Rental>,
            None if open_only => self.storage.active_rentals_after(after)?,
            None => self.storage.rentals_after(after)?,
        };
        let mut found = Vec::new();
        for rental in source {
            let rental = rental?;
            if keep(&rental) {
                found.push(rental);
                if found.len() == limit {
                    break;
                }
            }
        }
        Ok(found)
    }
}
