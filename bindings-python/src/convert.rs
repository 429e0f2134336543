//! Checked conversions of Python arguments: aware datetimes, day counts, ids, strings, money.

use chrono::{DateTime, FixedOffset, Utc};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDateTime, PyFloat, PyInt, PyString};
use rust_decimal::Decimal;

use crate::errors::invalid;

fn type_name(value: &Bound<'_, PyAny>) -> String {
    value
        .get_type()
        .name()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "object".to_owned())
}

/// A timezone-aware `datetime` as UTC; a naive one or any other type is `InvalidInput` naming `field`.
pub(crate) fn aware_datetime(field: &str, value: &Bound<'_, PyAny>) -> PyResult<DateTime<Utc>> {
    if !value.is_instance_of::<PyDateTime>() {
        return Err(invalid(
            field,
            format!(
                "expected a timezone-aware datetime, got {}",
                type_name(value)
            ),
        ));
    }
    let offset = value
        .call_method0("utcoffset")
        .map_err(|e| invalid(field, format!("its utcoffset() failed: {e}")))?;
    if offset.is_none() {
        return Err(invalid(
            field,
            "naive datetime: pass a timezone-aware datetime, e.g. datetime(2024, 6, 1, tzinfo=timezone.utc)",
        ));
    }
    let fixed: DateTime<FixedOffset> = value
        .extract()
        .map_err(|e| invalid(field, format!("cannot read the datetime: {e}")))?;
    Ok(fixed.with_timezone(&Utc))
}

/// An optional aware datetime; `None` means "now" to the caller.
pub(crate) fn optional_datetime(
    field: &str,
    value: Option<&Bound<'_, PyAny>>,
) -> PyResult<Option<DateTime<Utc>>> {
    match value {
        None => Ok(None),
        Some(v) if v.is_none() => Ok(None),
        Some(v) => aware_datetime(field, v).map(Some),
    }
}

/// A non-negative `int` that fits in `u32` (booleans and floats are rejected).
pub(crate) fn count(field: &str, value: &Bound<'_, PyAny>) -> PyResult<u32> {
    if !value.is_instance_of::<PyInt>() || value.is_instance_of::<PyBool>() {
        return Err(invalid(
            field,
            format!("expected an int, got {}", type_name(value)),
        ));
    }
    let big: i128 = value
        .extract()
        .map_err(|_| invalid(field, "the number is out of range"))?;
    if big < 0 {
        return Err(invalid(field, format!("must not be negative, got {big}")));
    }
    u32::try_from(big).map_err(|_| invalid(field, format!("at most {}, got {big}", u32::MAX)))
}

/// A positive `int` id.
pub(crate) fn id(field: &str, value: &Bound<'_, PyAny>) -> PyResult<u64> {
    if !value.is_instance_of::<PyInt>() || value.is_instance_of::<PyBool>() {
        return Err(invalid(
            field,
            format!("expected an int id, got {}", type_name(value)),
        ));
    }
    let big: i128 = value
        .extract()
        .map_err(|_| invalid(field, "the id is out of range"))?;
    u64::try_from(big)
        .ok()
        .filter(|id| *id > 0)
        .ok_or_else(|| invalid(field, format!("ids are positive integers, got {big}")))
}

/// A `str` argument.
pub(crate) fn text(field: &str, value: &Bound<'_, PyAny>) -> PyResult<String> {
    if !value.is_instance_of::<PyString>() {
        return Err(invalid(
            field,
            format!("expected a str, got {}", type_name(value)),
        ));
    }
    value
        .extract::<String>()
        .map_err(|e| invalid(field, format!("not valid text: {e}")))
}

/// An optional `bool` argument (`None` stays `None`); an int or a str is `InvalidInput`, not a silent truth value.
pub(crate) fn optional_flag(
    field: &str,
    value: Option<&Bound<'_, PyAny>>,
) -> PyResult<Option<bool>> {
    match value {
        None => Ok(None),
        Some(v) if v.is_none() => Ok(None),
        Some(v) if v.is_instance_of::<PyBool>() => v.extract().map(Some),
        Some(v) => Err(invalid(
            field,
            format!("expected a bool, got {}", type_name(v)),
        )),
    }
}

/// An optional `str` argument (`None` stays `None`).
pub(crate) fn optional_text(
    field: &str,
    value: Option<&Bound<'_, PyAny>>,
) -> PyResult<Option<String>> {
    match value {
        None => Ok(None),
        Some(v) if v.is_none() => Ok(None),
        Some(v) => text(field, v).map(Some),
    }
}

/// The arguments of a quote: a `str` category and two aware datetimes.
pub(crate) fn quote_args(
    category: &Bound<'_, PyAny>,
    rented_at: &Bound<'_, PyAny>,
    returned_at: &Bound<'_, PyAny>,
) -> PyResult<(String, DateTime<Utc>, DateTime<Utc>)> {
    Ok((
        text("category", category)?,
        aware_datetime("rented_at", rented_at)?,
        aware_datetime("returned_at", returned_at)?,
    ))
}

/// A new book's fields.
pub(crate) fn new_book(
    title: &Bound<'_, PyAny>,
    author: &Bound<'_, PyAny>,
    category: &Bound<'_, PyAny>,
    isbn: Option<&Bound<'_, PyAny>>,
) -> PyResult<koko_core::NewBook> {
    let mut book = koko_core::NewBook::new(
        text("title", title)?,
        text("author", author)?,
        text("category", category)?,
    );
    book.isbn = optional_text("isbn", isbn)?;
    Ok(book)
}

/// A `copies=` argument: 1 when absent or `None`.
pub(crate) fn copies(value: Option<&Bound<'_, PyAny>>) -> PyResult<u32> {
    match value {
        Some(c) if !c.is_none() => count("copies", c),
        _ => Ok(1),
    }
}

/// A new customer's fields.
pub(crate) fn new_customer(
    first_name: &Bound<'_, PyAny>,
    last_name: &Bound<'_, PyAny>,
    email: Option<&Bound<'_, PyAny>>,
) -> PyResult<koko_core::NewCustomer> {
    let mut customer = koko_core::NewCustomer::new(
        text("first_name", first_name)?,
        text("last_name", last_name)?,
    );
    customer.email = optional_text("email", email)?;
    Ok(customer)
}

/// What a `rent` names: exactly one of `book_id` and `copy_id`.
pub(crate) fn rent_target(
    book_id: Option<&Bound<'_, PyAny>>,
    copy_id: Option<&Bound<'_, PyAny>>,
) -> PyResult<koko_core::RentTarget> {
    let book = book_id
        .filter(|b| !b.is_none())
        .map(|b| id("book_id", b))
        .transpose()?;
    let copy = copy_id
        .filter(|c| !c.is_none())
        .map(|c| id("copy_id", c))
        .transpose()?;
    match (book, copy) {
        (Some(book), None) => Ok(koko_core::RentTarget::Book(koko_core::BookId::new(book))),
        (None, Some(copy)) => Ok(koko_core::RentTarget::Copy(koko_core::CopyId::new(copy))),
        _ => Err(invalid(
            "book_id",
            "give exactly one of book_id and copy_id",
        )),
    }
}

/// An amount of money: a finite `decimal.Decimal`, an `int`, or a `str` like `"1.50"`, exactly as given.
///
/// A `float` is refused (it cannot hold most amounts exactly), as are `bool`, NaN and infinities and any other
/// type: `InvalidInput` naming `field`. Whether the amount is positive and fits the currency is the core's call.
pub(crate) fn money(field: &str, value: &Bound<'_, PyAny>) -> PyResult<Decimal> {
    let py = value.py();
    let decimal_class = py.import("decimal")?.getattr("Decimal")?;
    if value.is_instance(&decimal_class)? {
        let finite: bool = value.call_method0("is_finite")?.extract()?;
        if !finite {
            return Err(invalid(
                field,
                format!("must be a finite amount, got Decimal('{}')", value.str()?),
            ));
        }
        // rust_decimal holds at most 28 decimals and 29 digits: a larger exponent cannot fit (and its fixed-point
        // text could be huge).
        let exponent: i64 = value
            .call_method0("as_tuple")?
            .getattr("exponent")?
            .extract()
            .map_err(|_| invalid(field, "the amount's exponent is out of range"))?;
        if !(-28..=28).contains(&exponent) {
            return Err(invalid(
                field,
                format!("Decimal('{}') is out of range", value.str()?),
            ));
        }
        // Fixed-point form: `Decimal("1E+3")` is "1000"; a value too long for 28 digits is refused, not rounded.
        let fixed: String = value.call_method1("__format__", ("f",))?.extract()?;
        return Decimal::from_str_exact(&fixed)
            .map_err(|_| invalid(field, format!("{fixed} is out of range")));
    }
    if value.is_instance_of::<PyBool>() {
        return Err(invalid(
            field,
            "expected a decimal.Decimal, an int or a str like \"1.50\", got bool",
        ));
    }
    if value.is_instance_of::<PyInt>() {
        let whole: i128 = value
            .extract()
            .map_err(|_| invalid(field, "the number is out of range"))?;
        return Decimal::try_from_i128_with_scale(whole, 0)
            .map_err(|_| invalid(field, format!("{whole} is out of range")));
    }
    if value.is_instance_of::<PyString>() {
        let written = text(field, value)?;
        return Decimal::from_str_exact(&written).map_err(|_| {
            invalid(
                field,
                format!("{written:?} is not a decimal amount like \"1.50\""),
            )
        });
    }
    if value.is_instance_of::<PyFloat>() {
        return Err(invalid(
            field,
            "a float cannot hold money exactly: pass a decimal.Decimal, an int or a str like \"1.50\"",
        ));
    }
    Err(invalid(
        field,
        format!(
            "expected a decimal.Decimal, an int or a str like \"1.50\", got {}",
            type_name(value)
        ),
    ))
}

/// An optional ISO 4217 currency code (`None` stays `None`); an unknown code is `InvalidInput` on `field`.
pub(crate) fn optional_currency(
    field: &str,
    value: Option<&Bound<'_, PyAny>>,
) -> PyResult<Option<koko_core::Currency>> {
    optional_text(field, value)?
        .map(|code| {
            code.parse::<koko_core::Currency>()
                .map_err(|_| invalid(field, format!("{code:?} is not an ISO 4217 currency code")))
        })
        .transpose()
}

/// An `idempotency_key=` argument: `None`, or a `str` (its length and characters are the core's to check).
pub(crate) fn key_arg(value: Option<&Bound<'_, PyAny>>) -> PyResult<Option<String>> {
    optional_text("idempotency_key", value)
}

/// A time argument that may be left out: the given aware datetime, or `now` — with whether `now` was used, which
/// an idempotency key needs (a retry of "now" a moment later is the same request).
pub(crate) fn at_or_now(
    field: &str,
    value: Option<&Bound<'_, PyAny>>,
    now: impl FnOnce() -> DateTime<Utc>,
) -> PyResult<(DateTime<Utc>, bool)> {
    Ok(match optional_datetime(field, value)? {
        Some(at) => (at, false),
        None => (now(), true),
    })
}

/// The `damage_fee=` and `note=` of a return: both (a fee as [`money`] takes it, and a `str`) or neither.
pub(crate) fn damage_arg(
    fee: Option<&Bound<'_, PyAny>>,
    note: Option<&Bound<'_, PyAny>>,
) -> PyResult<Option<koko_core::Damage>> {
    let fee = fee
        .filter(|f| !f.is_none())
        .map(|f| money("damage_fee", f))
        .transpose()?;
    match (fee, optional_text("note", note)?) {
        (None, None) => Ok(None),
        (Some(fee), Some(note)) => Ok(Some(koko_core::Damage { fee, note })),
        (Some(_), None) => Err(invalid(
            "note",
            "a damage fee needs a note saying what was damaged",
        )),
        (None, Some(_)) => Err(invalid(
            "damage_fee",
            "a note is for a damage fee: give damage_fee too",
        )),
    }
}
