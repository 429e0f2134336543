//! Lazy listings: `BookStore.iter_books`, `iter_customers` and `iter_rentals` return a [`KeysetIterator`] that
//! reads one keyset page at a time (the records after the last id it handed out), so walking a store of a
//! million rentals holds one page in memory. The pages are the core's `books_page`, `customers_page` and
//! `find_rentals`: the same pages `books(after=, limit=)` and friends answer.

use std::collections::VecDeque;
use std::sync::Mutex;

use koko_core::{BookId, CustomerId, RentalId, RentalQuery};
use pyo3::prelude::*;

use crate::convert::count;
use crate::errors::invalid;
use crate::inner::open;
use crate::records::{Book, Customer, Rental};
use crate::store::BookStore;
use crate::store_search::{optional_id, rental_query};

/// The page size when the caller names none.
const DEFAULT_PAGE_SIZE: usize = 500;

/// What a `KeysetIterator` lists.
enum Listing {
    Books,
    Customers,
    Rentals(RentalQuery),
}

/// One record of a page, before it becomes a Python object.
enum Record {
    Book(Book),
    Customer(Customer),
    Rental(Rental),
}

impl Record {
    fn id(&self) -> u64 {
        match self {
            Record::Book(b) => b.id,
            Record::Customer(c) => c.id,
            Record::Rental(r) => r.id,
        }
    }

    fn into_py(self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        Ok(match self {
            Record::Book(b) => b.into_pyobject(py)?.into_any().unbind(),
            Record::Customer(c) => c.into_pyobject(py)?.into_any().unbind(),
            Record::Rental(r) => r.into_pyobject(py)?.into_any().unbind(),
        })
    }
}

/// Where a walk stands: the id to read after, the page read but not yet handed out, and whether the last page
/// was the end.
struct Cursor {
    after: Option<u64>,
    page: VecDeque<Record>,
    finished: bool,
}

/// Books, customers or rentals in id order, read lazily one keyset page at a time. Records added while the walk
/// goes on appear if their ids are past the current page; a closed store raises ``StoreClosed`` at the next page.
#[pyclass(module = "koko", frozen)]
pub struct KeysetIterator {
    store: Py<BookStore>,
    listing: Listing,
    page_size: usize,
    /// Locked only without the GIL, so a thread waiting for it never holds the GIL another needs.
    cursor: Mutex<Cursor>,
}

impl KeysetIterator {
    /// Reads the next page into `cursor` (the store's read lock is held only while it reads).
    fn read_page(&self, cursor: &mut Cursor) -> PyResult<()> {
        let store = self.store.get();
        let guard = store.read()?;
        let inner = open(&guard)?;
        let size = self.page_size;
        let page: koko_core::Result<Vec<Record>> = match &self.listing {
            Listing::Books => inner
                .books_page(cursor.after.map(BookId::new), size)
                .map(|p| p.into_iter().map(|b| Record::Book(b.into())).collect()),
            Listing::Customers => inner
                .customers_page(cursor.after.map(CustomerId::new), size)
                .map(|p| p.into_iter().map(|c| Record::Customer(c.into())).collect()),
            Listing::Rentals(query) => inner
                .find_rentals(query, cursor.after.map(RentalId::new), size)
                .map(|p| p.into_iter().map(|r| Record::Rental(r.into())).collect()),
        };
        let page = page.map_err(crate::errors::to_py)?;
        cursor.finished = page.len() < size;
        if let Some(last) = page.last() {
            cursor.after = Some(last.id());
        }
        cursor.page.extend(page);
        Ok(())
    }

    /// The next record, reading a page when the one in hand is used up; `None` at the end.
    fn next_record(&self) -> PyResult<Option<Record>> {
        let mut cursor = self.cursor.lock().unwrap_or_else(|p| p.into_inner());
        if cursor.page.is_empty() && !cursor.finished {
            if let Err(err) = self.read_page(&mut cursor) {
                // A failed page ends the walk: iterators do not resume after raising.
                cursor.finished = true;
                return Err(err);
            }
        }
        Ok(cursor.page.pop_front())
    }
}

#[pymethods]
impl KeysetIterator {
    fn __iter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __next__(&self, py: Python<'_>) -> PyResult<Option<Py<PyAny>>> {
        match py.detach(|| self.next_record())? {
            Some(record) => record.into_py(py).map(Some),
            None => Ok(None),
        }
    }

    /// ``KeysetIterator[Book]`` in annotations evaluated at run time (a ``types.GenericAlias``).
    #[classmethod]
    fn __class_getitem__<'py>(
        cls: &Bound<'py, pyo3::types::PyType>,
        item: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let generic_alias = cls.py().import("types")?.getattr("GenericAlias")?;
        generic_alias.call1((cls, item))
    }

    /// How many records one read fetches.
    #[getter]
    fn page_size(&self) -> usize {
        self.page_size
    }

    fn __repr__(&self) -> String {
        let what = match self.listing {
            Listing::Books => "books",
            Listing::Customers => "customers",
            Listing::Rentals(_) => "rentals",
        };
        format!("KeysetIterator({what}, page_size={})", self.page_size)
    }
}

/// A ``page_size=`` argument: 1 to the core's largest page, 500 when absent or ``None``.
fn page_size_arg(value: Option<&Bound<'_, PyAny>>) -> PyResult<usize> {
    let size = match value {
        Some(v) if !v.is_none() => count("page_size", v)? as usize,
        _ => return Ok(DEFAULT_PAGE_SIZE),
    };
    if (1..=koko_core::MAX_PAGE).contains(&size) {
        Ok(size)
    } else {
        Err(invalid(
            "page_size",
            format!("expected 1 to {}, got {size}", koko_core::MAX_PAGE),
        ))
    }
}

/// A walk of `listing` from after `after`; a closed store raises here rather than at the first record.
fn walk(
    store: &Bound<'_, BookStore>,
    listing: Listing,
    after: Option<u64>,
    page_size: usize,
) -> PyResult<KeysetIterator> {
    {
        let guard = store.get().read()?;
        open(&guard)?;
    }
    Ok(KeysetIterator {
        store: store.clone().unbind(),
        listing,
        page_size,
        cursor: Mutex::new(Cursor {
            after,
            page: VecDeque::new(),
            finished: false,
        }),
    })
}

#[pymethods]
impl BookStore {
    /// Every book after id ``after`` (from the first by default), in id order, read lazily ``page_size`` books
    /// at a time (1 to 1,000; 500 by default).
    #[pyo3(signature = (*, after=None, page_size=None))]
    fn iter_books(
        slf: &Bound<'_, Self>,
        after: Option<&Bound<'_, PyAny>>,
        page_size: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<KeysetIterator> {
        let after = optional_id("after", after)?;
        walk(slf, Listing::Books, after, page_size_arg(page_size)?)
    }

    /// Every customer after id ``after``, in id order, read lazily one page at a time (see ``iter_books``).
    #[pyo3(signature = (*, after=None, page_size=None))]
    fn iter_customers(
        slf: &Bound<'_, Self>,
        after: Option<&Bound<'_, PyAny>>,
        page_size: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<KeysetIterator> {
        let after = optional_id("after", after)?;
        walk(slf, Listing::Customers, after, page_size_arg(page_size)?)
    }

    /// Every rental after id ``after`` matching ``status``, ``customer_id`` and ``overdue_at`` (as in
    /// ``rentals``), in id order, read lazily one page at a time (see ``iter_books``).
    #[pyo3(signature = (*, after=None, page_size=None, status=None, customer_id=None, overdue_at=None))]
    fn iter_rentals(
        slf: &Bound<'_, Self>,
        after: Option<&Bound<'_, PyAny>>,
        page_size: Option<&Bound<'_, PyAny>>,
        status: Option<&Bound<'_, PyAny>>,
        customer_id: Option<&Bound<'_, PyAny>>,
        overdue_at: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<KeysetIterator> {
        let after = optional_id("after", after)?;
        let query = rental_query(status, customer_id, overdue_at)?;
        walk(
            slf,
            Listing::Rentals(query),
            after,
            page_size_arg(page_size)?,
        )
    }
}
