//! Immutable record objects returned to Python: books, copies, customers, rentals, receipts. Each compares by value
//! and hashes consistently with that (`#[pyclass(eq, hash)]` over derived `PartialEq` and `Hash`).

use chrono::{DateTime, Utc};
use pyo3::prelude::*;
use rust_decimal::Decimal;

use crate::plan::{PricePlan, Quote};

/// A title in the catalogue.
#[pyclass(module = "koko", frozen, eq, hash, get_all)]
#[derive(Clone, PartialEq, Hash)]
pub struct Book {
    /// The book's id.
    pub id: u64,
    /// The title.
    pub title: String,
    /// The author.
    pub author: String,
    /// The ISBN (digits only), if any.
    pub isbn: Option<String>,
    /// The pricing category.
    pub category: String,
}

impl From<koko_core::Book> for Book {
    fn from(b: koko_core::Book) -> Self {
        Book {
            id: b.id.get(),
            title: b.title,
            author: b.author,
            isbn: b.isbn,
            category: b.category,
        }
    }
}

#[pymethods]
impl Book {
    fn __repr__(&self) -> String {
        format!(
            "Book(id={}, title={:?}, author={:?}, isbn={}, category={:?})",
            self.id,
            self.title,
            self.author,
            py_opt(&self.isbn),
            self.category
        )
    }
}

/// One physical copy of a book.
#[pyclass(module = "koko", frozen, eq, hash, get_all)]
#[derive(Clone, PartialEq, Hash)]
pub struct Copy {
    /// The copy's id.
    pub id: u64,
    /// The book it is a copy of.
    pub book_id: u64,
    /// ``"available"``, ``"rented"``, ``"withdrawn"``, ``"on_hold"`` or ``"lost"``.
    pub status: &'static str,
    /// The open rental holding it, when rented; the rental it was lost under, when lost.
    pub rental_id: Option<u64>,
}

impl From<koko_core::BookCopy> for Copy {
    fn from(c: koko_core::BookCopy) -> Self {
        let (status, rental_id) = match c.status {
            koko_core::CopyStatus::Available => ("available", None),
            koko_core::CopyStatus::Rented(r) => ("rented", Some(r.get())),
            koko_core::CopyStatus::Withdrawn => ("withdrawn", None),
            koko_core::CopyStatus::OnHold(_) => ("on_hold", None),
            koko_core::CopyStatus::Lost(r) => ("lost", Some(r.get())),
        };
        Copy {
            id: c.id.get(),
            book_id: c.book.get(),
            status,
            rental_id,
        }
    }
}

#[pymethods]
impl Copy {
    pub(crate) fn __repr__(&self) -> String {
        format!(
            "Copy(id={}, book_id={}, status={:?}, rental_id={})",
            self.id,
            self.book_id,
            self.status,
            py_opt_id(self.rental_id)
        )
    }
}

/// A registered customer.
#[pyclass(module = "koko", frozen, eq, hash, get_all)]
#[derive(Clone, PartialEq, Hash)]
pub struct Customer {
    /// The customer's id.
    pub id: u64,
    /// First name.
    pub first_name: String,
    /// Last name.
    pub last_name: String,
    /// E-mail address, if any.
    pub email: Option<String>,
    /// Whether the customer may rent.
    pub active: bool,
}

impl From<koko_core::Customer> for Customer {
    fn from(c: koko_core::Customer) -> Self {
        Customer {
            id: c.id.get(),
            first_name: c.first_name,
            last_name: c.last_name,
            email: c.email,
            active: c.active,
        }
    }
}

#[pymethods]
impl Customer {
    fn __repr__(&self) -> String {
        format!(
            "Customer(id={}, first_name={:?}, last_name={:?}, email={}, active={})",
            self.id,
            self.first_name,
            self.last_name,
            py_opt(&self.email),
            if self.active { "True" } else { "False" }
        )
    }
}

/// A rental: open (``status == "active"``) or closed with its charge.
#[pyclass(module = "koko", frozen, eq, hash, get_all)]
#[derive(Clone, PartialEq, Hash)]
pub struct Rental {
    /// The rental's id.
    pub id: u64,
    /// The copy lent.
    pub copy_id: u64,
    /// The book of that copy.
    pub book_id: u64,
    /// The customer.
    pub customer_id: u64,
    /// The category it is charged under.
    pub category: String,
    /// When it was lent (UTC).
    pub rented_at: DateTime<Utc>,
    /// When it is due, if the plan sets a loan period.
    pub due_at: Option<DateTime<Utc>>,
    /// When it came back; ``None`` while open.
    pub returned_at: Option<DateTime<Utc>>,
    /// The price plan version it is charged under.
    pub plan_version: u64,
    /// The stored charge, once closed.
    pub charge: Option<Quote>,
    /// ``"active"``, ``"closed"`` or ``"lost"`` (closed by declaring the copy lost).
    pub status: &'static str,
    /// When it was renewed, oldest first (UTC).
    pub renewals: Vec<DateTime<Utc>>,
    /// Whether it was closed by declaring the copy lost (``returned_at`` is then when; the replacement fees are
    /// ledger entries).
    pub lost: bool,
}

impl From<koko_core::Rental> for Rental {
    fn from(r: koko_core::Rental) -> Self {
        Rental {
            id: r.id.get(),
            copy_id: r.copy.get(),
            book_id: r.book.get(),
            customer_id: r.customer.get(),
            status: match r.status() {
                koko_core::RentalStatus::Active => "active",
                koko_core::RentalStatus::Closed => "closed",
                koko_core::RentalStatus::Lost => "lost",
            },
            lost: r.lost,
            category: r.category,
            rented_at: r.rented_at,
            due_at: r.due_at,
            returned_at: r.returned_at,
            plan_version: r.plan_version.get(),
            charge: r.charge.map(Quote::from),
            renewals: r.renewals,
        }
    }
}

#[pymethods]
impl Rental {
    fn __repr__(&self) -> String {
        format!(
            "Rental(id={}, copy_id={}, book_id={}, customer_id={}, category={:?}, rented_at={:?}, status={:?}, total={})",
            self.id,
            self.copy_id,
            self.book_id,
            self.customer_id,
            self.category,
            self.rented_at.to_rfc3339(),
            self.status,
            self.charge
                .as_ref()
                .map_or("None".to_owned(), |c| format!("Decimal('{}')", c.total))
        )
    }
}

/// What a customer gets on return: the closed rental, the title, the charge and the balance after it.
#[pyclass(module = "koko", frozen, eq, hash, get_all)]
#[derive(Clone, PartialEq, Hash)]
pub struct Receipt {
    /// The closed rental.
    pub rental: Rental,
    /// The book's title.
    pub title: String,
    /// The charge stored with the rental.
    pub charge: Quote,
    /// The customer's balance once the charge was posted (what they owe; negative: a credit).
    pub balance: Decimal,
    /// The receipt as printable text.
    pub text: String,
}

impl From<koko_core::Receipt> for Receipt {
    fn from(r: koko_core::Receipt) -> Self {
        Receipt {
            text: r.to_string(),
            rental: Rental::from(r.rental),
            title: r.title,
            charge: Quote::from(r.charge),
            balance: r.balance,
        }
    }
}

#[pymethods]
impl Receipt {
    fn __repr__(&self) -> String {
        format!(
            "Receipt(rental_id={}, title={:?}, total=Decimal('{}'), currency={:?}, \
             balance=Decimal('{}'))",
            self.rental.id, self.title, self.charge.total, self.charge.currency, self.balance
        )
    }

    fn __str__(&self) -> String {
        self.text.clone()
    }
}

/// One version of the store's price plan.
#[pyclass(module = "koko", frozen, eq, hash, get_all)]
#[derive(Clone, PartialEq, Hash)]
pub struct PlanVersion {
    /// The version's id.
    pub id: u64,
    /// From when it prices new rentals (UTC).
    pub effective_from: DateTime<Utc>,
    /// The plan.
    pub plan: PricePlan,
}

impl From<koko_core::PlanVersion> for PlanVersion {
    fn from(v: koko_core::PlanVersion) -> Self {
        PlanVersion {
            id: v.id.get(),
            effective_from: v.effective_from,
            plan: PricePlan { inner: v.plan },
        }
    }
}

#[pymethods]
impl PlanVersion {
    fn __repr__(&self) -> String {
        format!(
            "PlanVersion(id={}, effective_from={:?}, plan={:?})",
            self.id,
            self.effective_from.to_rfc3339(),
            self.plan.inner.name().unwrap_or("")
        )
    }
}

/// Revenue of one category in one currency over a period.
#[pyclass(module = "koko", frozen, eq, hash, get_all)]
#[derive(Clone, PartialEq, Hash)]
pub struct RevenueLine {
    /// The ISO 4217 currency code.
    pub currency: String,
    /// The category.
    pub category: String,
    /// How many rentals were returned in the period.
    pub rentals: u64,
    /// What they were charged.
    pub total: Decimal,
}

impl From<koko_core::RevenueLine> for RevenueLine {
    fn from(l: koko_core::RevenueLine) -> Self {
        RevenueLine {
            currency: l.currency.code().to_owned(),
            category: l.category,
            rentals: l.rentals,
            total: l.total,
        }
    }
}

#[pymethods]
impl RevenueLine {
    fn __repr__(&self) -> String {
        format!(
            "RevenueLine(currency={:?}, category={:?}, rentals={}, total=Decimal('{}'))",
            self.currency, self.category, self.rentals, self.total
        )
    }
}

fn py_opt(value: &Option<String>) -> String {
    value
        .as_ref()
        .map_or("None".to_owned(), |v| format!("{v:?}"))
}

/// An optional id or number as Python prints it.
pub(crate) fn py_opt_id(value: Option<u64>) -> String {
    value.map_or("None".to_owned(), |v| v.to_string())
}

/// An optional time as the records print it: its RFC 3339 text quoted, or `None`.
pub(crate) fn py_opt_time(value: Option<DateTime<Utc>>) -> String {
    value.map_or("None".to_owned(), |t| format!("{:?}", t.to_rfc3339()))
}
