//! Keyset pages and search on [`BookStore`]: a page names the last id of the page before it, so a page costs the
//! same at row 1,000,000 as at row 1; books and customers are found by the words of the search index, which every
//! write keeps in the same atomic operation as the record.

use chrono::{DateTime, Utc};

use super::book_store::BookStore;
use crate::domain::{
    book_words, customer_words, query_words, Book, Customer, Rental, RentalStatus, WordIndex,
    MAX_QUERY_WORDS,
};
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

/// How many index entries a prefix may match and still drive a search; a prefix matching more (a common word, a
/// large category) is checked against each record instead.
const DRIVING_PREFIX: usize = 2_000;

/// Whether every prefix starts some word of `words`.
fn all_match(prefixes: &[String], words: &std::collections::BTreeSet<String>) -> bool {
    prefixes.iter().all(|p| {
        words
            .range::<str, _>((
                std::ops::Bound::Included(p.as_str()),
                std::ops::Bound::Unbounded,
            ))
            .next()
            .is_some_and(|w| w.starts_with(p.as_str()))
    })
}

/// The ids that the most selective prefix matches (ascending), when one matches at most [`DRIVING_PREFIX`]
/// entries; `None` when there is no prefix or every one is common. A category is not a prefix here: its books are
/// streamed from the search index in id order instead (see [`BookStore::search_books`]), which finds the first page
/// at once whether the category is large or small.
fn driving_ids<S: Storage>(
    storage: &S,
    index: WordIndex,
    prefixes: &[String],
) -> Result<Option<Vec<u64>>> {
    let mut best: Option<Vec<u64>> = None;
    for prefix in prefixes.iter().filter(|p| !p.starts_with('\u{1}')) {
        let cap = best.as_ref().map_or(DRIVING_PREFIX, Vec::len);
        if let Some(ids) = storage.word_matches(index, prefix, cap)? {
            if best.as_ref().is_none_or(|b| ids.len() < b.len()) {
                best = Some(ids);
            }
        }
    }
    Ok(best)
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
        let mut prefixes = match &query.text {
            Some(text) => prefixes(text)?,
            None => Vec::new(),
        };
        if let Some(category) = &query.category {
            prefixes.push(crate::domain::category_word(category.trim()));
        }
        let keep = |book: &Book| -> Result<bool> {
            if !all_match(&prefixes, &book_words(book)) {
                return Ok(false);
            }
            match query.available {
                None => Ok(true),
                Some(want) => Ok(self.has_copy_on_shelf(book.id)? == want),
            }
        };
        let mut found = Vec::new();
        // The candidates, from the narrowest source that holds every match: the books of an uncommon word of the
        // text; else the category's books, else those with a copy on the shelf, from their indexes in id order;
        // else every book.
        let by_id = |id: Result<BookId>| id.and_then(|id| self.storage.book(id));
        let candidates: crate::storage::Records<'_, Book> =
            match driving_ids(&self.storage, WordIndex::Books, &prefixes)? {
                Some(ids) => {
                    let start = after.map_or(0, |a| ids.partition_point(|id| *id <= a.get()));
                    Box::new(
                        ids.into_iter()
                            .skip(start)
                            .map(|id| self.storage.book(BookId::new(id))),
                    )
                }
                None => match (&query.category, query.available) {
                    (Some(category), _) => Box::new(
                        self.storage
                            .word_ids_after(
                                WordIndex::Books,
                                &crate::domain::category_word(category.trim()),
                                after.map(BookId::get),
                            )?
                            .map(move |id| by_id(id.map(BookId::new))),
                    ),
                    (None, Some(true)) => {
                        Box::new(self.storage.books_on_shelf_after(after)?.map(by_id))
                    }
                    _ => self.storage.books_after(after)?,
                },
            };
        for book in candidates {
            let book = book?;
            if keep(&book)? {
                found.push(book);
                if found.len() == limit {
                    break;
                }
            }
        }
        Ok(found)
    }

    fn has_copy_on_shelf(&self, book: BookId) -> Result<bool> {
        Ok(self.storage.available_copies(book)? > 0)
    }

    /// Up to `limit` customers whose names or email start with each word of `text`, after `after`, in id order.
    pub fn search_customers(
        &self,
        text: &str,
        after: Option<CustomerId>,
        limit: usize,
    ) -> Result<Vec<Customer>> {
        check_limit(limit)?;
        let prefixes = prefixes(text)?;
        let candidates: crate::storage::Records<'_, Customer> =
            match driving_ids(&self.storage, WordIndex::Customers, &prefixes)? {
                Some(ids) => {
                    let start = after.map_or(0, |a| ids.partition_point(|id| *id <= a.get()));
                    Box::new(
                        ids.into_iter()
                            .skip(start)
                            .map(|id| self.storage.customer(CustomerId::new(id))),
                    )
                }
                None => self.storage.customers_after(after)?,
            };
        let mut found = Vec::new();
        for customer in candidates {
            let customer = customer?;
            if all_match(&prefixes, &customer_words(&customer)) {
                found.push(customer);
                if found.len() == limit {
                    break;
                }
            }
        }
        Ok(found)
    }

    /// Up to `limit` rentals matching `query` after `after`, in id order. A customer's open (or overdue) rentals are
    /// read from the index of their open rentals, a customer's others from theirs, overdue rentals from the index of
    /// the open rentals by due date, the rentals of one status from that status's index.
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
        let source = match (query.customer, query.overdue_at) {
            // A customer's open ones from the index of each customer's open rentals: their closed ones cost nothing.
            (Some(customer), _) if open_only => {
                self.storage.customer_open_rentals(customer, after)?
            }
            (Some(customer), _) => Box::new(self.storage.customer_rentals(customer)?.skip_while(
                move |r| match (r, after) {
                    (Ok(r), Some(after)) => r.id <= after,
                    _ => false,
                },
            )) as crate::storage::Records<'_, Rental>,
            // The overdue ones from the index of the open rentals by due date: those not yet due cost nothing.
            (None, Some(at)) => Box::new(
                self.overdue_at(at)?
                    .into_iter()
                    .filter(move |r| after.is_none_or(|after| r.id > after))
                    .map(Ok),
            ),
            (None, None) if open_only => self.storage.active_rentals_after(after)?,
            // A status's rentals from that status's index: the others cost nothing.
            (None, None) => match query.status {
                Some(status) => self.storage.rentals_with_status_after(status, after)?,
                None => self.storage.rentals_after(after)?,
            },
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
