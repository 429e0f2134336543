//! `BookStore` listings by keyset page and search: `books`, `customers`, `rentals` (with filters),
//! `search_books`, `search_customers`. A page names the last id of the page before (`after=`) and its size
//! (`limit=`, 1 to 1,000), so a page costs the same at row 1,000,000 as at row 1; without `limit` a listing
//! returns everything after `after` as a list; `iter_books` and friends (`pages`) walk lazily by page.

use koko_core::{BookId, BookQuery, CustomerId, RentalId, RentalQuery, RentalStatus};
use pyo3::prelude::*;

use crate::convert::{count, id, optional_datetime, optional_flag, optional_text, text};
use crate::errors::{invalid, IntoPy};
use crate::inner::{collect, open};
use crate::records::{Book, Customer, Rental};
use crate::store::BookStore;

/// The default page of a search.
const SEARCH_PAGE: usize = 50;

/// An optional id argument (`None` when absent or `None`).
pub(crate) fn optional_id(field: &str, value: Option<&Bound<'_, PyAny>>) -> PyResult<Option<u64>> {
    match value {
        Some(v) if !v.is_none() => id(field, v).map(Some),
        _ => Ok(None),
    }
}

fn optional_limit(value: Option<&Bound<'_, PyAny>>) -> PyResult<Option<usize>> {
    match value {
        Some(v) if !v.is_none() => Ok(Some(count("limit", v)? as usize)),
        _ => Ok(None),
    }
}

fn rental_status(value: Option<&Bound<'_, PyAny>>) -> PyResult<Option<RentalStatus>> {
    Ok(match optional_text("status", value)?.as_deref() {
        None => None,
        Some("active") => Some(RentalStatus::Active),
        Some("closed") => Some(RentalStatus::Closed),
        Some("lost") => Some(RentalStatus::Lost),
        Some(other) => {
            return Err(invalid(
                "status",
                format!("{other:?} is not a rental status (active, closed, lost)"),
            ))
        }
    })
}

/// The filters of a rental listing: ``status``, ``customer_id`` and ``overdue_at``.
pub(crate) fn rental_query(
    status: Option<&Bound<'_, PyAny>>,
    customer_id: Option<&Bound<'_, PyAny>>,
    overdue_at: Option<&Bound<'_, PyAny>>,
) -> PyResult<RentalQuery> {
    Ok(RentalQuery {
        status: rental_status(status)?,
        customer: optional_id("customer_id", customer_id)?.map(CustomerId::new),
        overdue_at: optional_datetime("overdue_at", overdue_at)?,
    })
}

#[pymethods]
impl BookStore {
    /// Books in id order: every book, or with ``after``/``limit`` one keyset page (the books after id ``after``,
    /// at most ``limit``, 1 to 1,000).
    #[pyo3(signature = (*, after=None, limit=None))]
    fn books(
        &self,
        py: Python<'_>,
        after: Option<&Bound<'_, PyAny>>,
        limit: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Vec<Book>> {
        let guard = self.read()?;
        let store = open(&guard)?;
        let after = optional_id("after", after)?.map(BookId::new);
        let limit = optional_limit(limit)?;
        py.detach(|| match limit {
            Some(limit) => store
                .books_page(after, limit)
                .map(|page| page.into_iter().map(Book::from).collect()),
            None => collect(store.storage().books_after(after)),
        })
        .py_err()
    }

    /// Customers in id order: every customer, or one keyset page (see ``books``).
    #[pyo3(signature = (*, after=None, limit=None))]
    fn customers(
        &self,
        py: Python<'_>,
        after: Option<&Bound<'_, PyAny>>,
        limit: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Vec<Customer>> {
        let guard = self.read()?;
        let store = open(&guard)?;
        let after = optional_id("after", after)?.map(CustomerId::new);
        let limit = optional_limit(limit)?;
        py.detach(|| match limit {
            Some(limit) => store
                .customers_page(after, limit)
                .map(|page| page.into_iter().map(Customer::from).collect()),
            None => collect(store.storage().customers_after(after)),
        })
        .py_err()
    }

    /// Rentals in id order: every one, or those matching ``status`` (``"active"``, ``"closed"``, ``"lost"``),
    /// ``customer_id`` and ``overdue_at`` (open and past due at that instant), one keyset page at a time (see
    /// ``books``; a filtered listing takes a ``limit``, 1,000 when not given).
    #[pyo3(signature = (*, after=None, limit=None, status=None, customer_id=None, overdue_at=None))]
    #[allow(clippy::too_many_arguments)]
    fn rentals(
        &self,
        py: Python<'_>,
        after: Option<&Bound<'_, PyAny>>,
        limit: Option<&Bound<'_, PyAny>>,
        status: Option<&Bound<'_, PyAny>>,
        customer_id: Option<&Bound<'_, PyAny>>,
        overdue_at: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Vec<Rental>> {
        let guard = self.read()?;
        let store = open(&guard)?;
        let after = optional_id("after", after)?.map(RentalId::new);
        let limit = optional_limit(limit)?;
        let query = rental_query(status, customer_id, overdue_at)?;
        py.detach(|| {
            if query == RentalQuery::default() && limit.is_none() {
                return collect(store.storage().rentals_after(after));
            }
            store
                .find_rentals(&query, after, limit.unwrap_or(koko_core::MAX_PAGE))
                .map(|page| page.into_iter().map(Rental::from).collect())
        })
        .py_err()
    }

    /// Books whose title, author or ISBN words start with each word of ``search`` (case and accents ignored;
    /// ``"978-0-441"`` is an ISBN prefix), of ``category`` exactly, with (``available=True``) or without a copy
    /// on the shelf — every part given must match — in id order, one keyset page (``limit`` 50 by default).
    #[pyo3(signature = (search=None, *, category=None, available=None, after=None, limit=None))]
    fn search_books(
        &self,
        py: Python<'_>,
        search: Option<&Bound<'_, PyAny>>,
        category: Option<&Bound<'_, PyAny>>,
        available: Option<&Bound<'_, PyAny>>,
        after: Option<&Bound<'_, PyAny>>,
        limit: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Vec<Book>> {
        let guard = self.read()?;
        let store = open(&guard)?;
        let query = BookQuery {
            text: optional_text("search", search)?,
            category: optional_text("category", category)?,
            available: optional_flag("available", available)?,
        };
        let after = optional_id("after", after)?.map(BookId::new);
        let limit = optional_limit(limit)?.unwrap_or(SEARCH_PAGE);
        py.detach(|| store.search_books(&query, after, limit))
            .py_err()
            .map(|page| page.into_iter().map(Book::from).collect())
    }

    /// Customers whose names or email start with each word of ``search``, in id order, one keyset page
    /// (``limit`` 50 by default).
    #[pyo3(signature = (search, *, after=None, limit=None))]
    fn search_customers(
        &self,
        py: Python<'_>,
        search: &Bound<'_, PyAny>,
        after: Option<&Bound<'_, PyAny>>,
        limit: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Vec<Customer>> {
        let guard = self.read()?;
        let store = open(&guard)?;
        let search = text("search", search)?;
        let after = optional_id("after", after)?.map(CustomerId::new);
        let limit = optional_limit(limit)?.unwrap_or(SEARCH_PAGE);
        py.detach(|| store.search_customers(&search, after, limit))
            .py_err()
            .map(|page| page.into_iter().map(Customer::from).collect())
    }
}
