//! `PricePlan`, `Quote` and `QuoteLine` for Python.

use chrono::{DateTime, Utc};
use pyo3::prelude::*;
use std::collections::HashMap;
use std::hash::{Hash, Hasher};

use pyo3::types::{PyList, PySequence, PyString};
use rust_decimal::Decimal;

use crate::convert::{aware_datetime, count, optional_datetime, quote_args, text};
use crate::errors::{invalid, IntoPy};

/// One line of a quote: the rule behind it and its amount.
#[pyclass(module = "koko", frozen, eq, hash, get_all)]
#[derive(Clone, PartialEq, Hash)]
pub struct QuoteLine {
    /// The rule, e.g. ``"days 1–2 at 1.00"`` or ``"minimum charge adjustment"``.
    pub description: String,
    /// The amount, at the currency's minor-unit scale.
    pub amount: Decimal,
}

#[pymethods]
impl QuoteLine {
    fn __repr__(&self) -> String {
        format!(
            "QuoteLine(description={:?}, amount=Decimal('{}'))",
            self.description, self.amount
        )
    }
}

/// The price of a rental: billable days, the total and the lines that sum to it.
#[pyclass(module = "koko", frozen, eq, hash, get_all)]
#[derive(Clone, PartialEq, Hash)]
pub struct Quote {
    /// Billable days (at least 1).
    pub days: u32,
    /// The total, at the currency's minor-unit scale (``Decimal('4.50')``).
    pub total: Decimal,
    /// The ISO 4217 currency code.
    pub currency: String,
    /// The itemised lines; their amounts sum exactly to ``total``.
    pub lines: Vec<QuoteLine>,
}

impl From<koko_core::Quote> for Quote {
    fn from(q: koko_core::Quote) -> Self {
        Quote {
            days: q.days,
            total: q.total,
            currency: q.currency.code().to_owned(),
            lines: q
                .lines
                .into_iter()
                .map(|l| QuoteLine {
                    description: l.description,
                    amount: l.amount,
                })
                .collect(),
        }
    }
}

#[pymethods]
impl Quote {
    fn __repr__(&self) -> String {
        let lines: Vec<String> = self.lines.iter().map(QuoteLine::__repr__).collect();
        format!(
            "Quote(days={}, total=Decimal('{}'), currency={:?}, lines=[{}])",
            self.days,
            self.total,
            self.currency,
            lines.join(", ")
        )
    }
}

/// A validated price plan: currency, day-count policy, rounding and one tariff per category.
///
/// Hashable (equal plans hash alike) and picklable through its JSON document.
#[pyclass(module = "koko", frozen, eq, hash)]
#[derive(Clone, PartialEq)]
pub struct PricePlan {
    pub(crate) inner: koko_core::PricePlan,
}

impl Hash for PricePlan {
    /// Hashes what equal plans share and no amount can change: the label, the currency and the category names.
    /// (Not the JSON: equal amounts may be written differently, `1.5` and `1.50`.)
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.inner.name().hash(state);
        self.inner.currency().code().hash(state);
        for category in self.inner.categories() {
            category.hash(state);
        }
    }
}

/// The largest batch `quote_many` and `price_curve` accept in one call.
const MAX_BATCH: usize = 10_000_000;

#[pymethods]
impl PricePlan {
    /// Story 1: every book 1.00 a day.
    #[staticmethod]
    fn story1() -> Self {
        PricePlan {
            inner: koko_core::PricePlan::story1(),
        }
    }

    /// Story 2: regular 1.50, fiction 3.00, novel 1.50 a day.
    #[staticmethod]
    fn story2() -> Self {
        PricePlan {
            inner: koko_core::PricePlan::story2(),
        }
    }

    /// Story 3: regular 1.00 a day for days 1–2 then 1.50, minimum 2.00; fiction 3.00; novel 1.50, minimum 4.50.
    #[staticmethod]
    fn story3() -> Self {
        PricePlan {
            inner: koko_core::PricePlan::story3(),
        }
    }

    /// A preset by name: ``"story1"``, ``"story2"`` or ``"story3"``.
    #[staticmethod]
    fn preset(name: &Bound<'_, PyAny>) -> PyResult<Self> {
        let name = text("name", name)?;
        koko_core::PricePlan::preset(&name)
            .py_err()
            .map(|inner| PricePlan { inner })
    }

    /// Parses and validates a JSON plan document; raises ``InvalidPlan`` naming the field.
    #[staticmethod]
    fn from_json(document: &Bound<'_, PyAny>) -> PyResult<Self> {
        let document = text("document", document)?;
        koko_core::PricePlan::from_json(&document)
            .py_err()
            .map(|inner| PricePlan { inner })
    }

    /// Parses and validates a TOML plan document; raises ``InvalidPlan`` naming the field.
    #[staticmethod]
    fn from_toml(document: &Bound<'_, PyAny>) -> PyResult<Self> {
        let document = text("document", document)?;
        koko_core::PricePlan::from_toml(&document)
            .py_err()
            .map(|inner| PricePlan { inner })
    }

    /// The plan as a JSON document.
    fn to_json(&self) -> String {
        self.inner.to_json()
    }

    /// The plan as a TOML document.
    fn to_toml(&self) -> String {
        self.inner.to_toml()
    }

    /// The plan's label, if any.
    #[getter]
    fn name(&self) -> Option<String> {
        self.inner.name().map(str::to_owned)
    }

    /// The ISO 4217 currency code.
    #[getter]
    fn currency(&self) -> &'static str {
        self.inner.currency().code()
    }

    /// The categories the plan names.
    #[getter]
    fn categories(&self) -> Vec<String> {
        self.inner.categories().map(str::to_owned).collect()
    }

    /// Prices a rental of ``category`` from ``rented_at`` to ``returned_at`` (timezone-aware datetimes).
    ///
    /// ``due_at`` (aware) prices it with that due date, as given — a renewed rental's, say; ``None`` (the
    /// default) uses the due date the plan computes (``due_at(category, rented_at)``). A due date before
    /// ``rented_at`` raises ``InvalidInput`` on ``due_at``.
    #[pyo3(signature = (category, rented_at, returned_at, *, due_at=None))]
    fn quote(
        &self,
        category: &Bound<'_, PyAny>,
        rented_at: &Bound<'_, PyAny>,
        returned_at: &Bound<'_, PyAny>,
        due_at: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Quote> {
        let (category, rented, returned) = quote_args(category, rented_at, returned_at)?;
        let quote = match optional_datetime("due_at", due_at)? {
            Some(due) => self
                .inner
                .quote_with_due(&category, rented, Some(due), returned),
            None => self.inner.quote(&category, rented, returned),
        };
        quote.py_err().map(Quote::from)
    }

    /// When a rental of ``category`` opened at ``rented_at`` (aware) is due back: an aware UTC datetime, or
    /// ``None`` when the tariff has no loan period. The plan's calendar moves a due date off closed days.
    /// Python datetimes hold microseconds: a ``calendar_days`` due time (the end of the day, to the nanosecond)
    /// reads ``23:59:59.999999`` local.
    fn due_at(
        &self,
        category: &Bound<'_, PyAny>,
        rented_at: &Bound<'_, PyAny>,
    ) -> PyResult<Option<DateTime<Utc>>> {
        let category = text("category", category)?;
        let rented = aware_datetime("rented_at", rented_at)?;
        self.inner.due_at(&category, rented).py_err()
    }

    /// Prices ``days`` billable days of ``category`` (0 is billed as 1).
    fn quote_days(&self, category: &Bound<'_, PyAny>, days: &Bound<'_, PyAny>) -> PyResult<Quote> {
        let category = text("category", category)?;
        let days = count("days", days)?;
        self.inner
            .quote_days(&category, days)
            .py_err()
            .map(Quote::from)
    }

    /// The totals of many rentals in one call: ``categories`` is one category for all, or one per rental;
    /// ``days`` has one day count per rental.
    fn quote_many<'py>(
        &self,
        py: Python<'py>,
        categories: &Bound<'py, PyAny>,
        days: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyList>> {
        let days_seq = days
            .cast::<PySequence>()
            .map_err(|_| invalid("days", "expected a sequence of ints"))?;
        let n = days_seq.len()?;
        if n > MAX_BATCH {
            return Err(invalid(
                "days",
                format!("at most {MAX_BATCH} per call, got {n}"),
            ));
        }
        let mut day_counts = Vec::with_capacity(n);
        for item in days_seq.try_iter()? {
            day_counts.push(count("days", &item?)?);
        }
        let per_rental: Option<Vec<String>> = if categories.is_instance_of::<PyString>() {
            None
        } else {
            let seq = categories
                .cast::<PySequence>()
                .map_err(|_| invalid("categories", "expected a str or a sequence of str"))?;
            if seq.len()? != n {
                return Err(invalid(
                    "categories",
                    format!("{} categories for {n} day counts", seq.len()?),
                ));
            }
            let mut out = Vec::with_capacity(n);
            for item in seq.try_iter()? {
                out.push(text("categories", &item?)?);
            }
            Some(out)
        };
        let single = match &per_rental {
            None => Some(text("categories", categories)?),
            Some(_) => None,
        };
        let plan = &self.inner;
        let totals = py
            .detach(|| match (&single, &per_rental) {
                (Some(category), _) => day_counts
                    .iter()
                    .map(|d| plan.total_for_days(category, *d))
                    .collect::<Result<Vec<_>, _>>(),
                (None, Some(categories)) => categories
                    .iter()
                    .zip(&day_counts)
                    .map(|(c, d)| plan.total_for_days(c, *d))
                    .collect(),
                (None, None) => Ok(Vec::new()),
            })
            .py_err()?;
        // A batch has few distinct totals: build each `decimal.Decimal` once (they are immutable) and share it.
        let mut made: HashMap<Decimal, Bound<'py, PyAny>> = HashMap::new();
        let list = PyList::empty(py);
        for total in totals {
            let object = match made.get(&total) {
                Some(object) => object.clone(),
                None => {
                    let object = total.into_pyobject(py)?.into_any();
                    made.insert(total, object.clone());
                    object
                }
            };
            list.append(object)?;
        }
        Ok(list)
    }

    /// The total for returning after each of days 1..``max_days``.
    fn price_curve(
        &self,
        category: &Bound<'_, PyAny>,
        max_days: &Bound<'_, PyAny>,
    ) -> PyResult<Vec<Decimal>> {
        let category = text("category", category)?;
        let max_days = count("max_days", max_days)?;
        self.inner.price_curve(&category, max_days).py_err()
    }

    /// Pickles the plan as its JSON document: ``pickle.loads(pickle.dumps(plan)) == plan``.
    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> PyResult<(Bound<'py, PyAny>, (String,))> {
        let from_json = slf.get_type().getattr("from_json")?;
        Ok((from_json, (slf.get().inner.to_json(),)))
    }

    fn __repr__(&self) -> String {
        format!(
            "PricePlan(name={:?}, currency={:?}, categories={:?})",
            self.inner.name().unwrap_or(""),
            self.inner.currency().code(),
            self.categories()
        )
    }
}
