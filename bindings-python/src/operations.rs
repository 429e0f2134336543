//! The one place each write's `koko_core::Operation` is built from a method's Python arguments, shared by the
//! `BookStore` methods (which apply it at once, through `inner::execute`) and `Batch` (which keeps it for
//! `BookStore.apply_batch`).
//!
//! Each function converts its arguments in the order given, naming the Python argument in an `InvalidInput`, and
//! takes a time left out (`at=None`) from `now`. Whether the write is allowed is the core's call.

use chrono::{DateTime, Utc};
use koko_core::{
    BookId, BookUpdate, CopyId, CustomerId, CustomerUpdate, Decimal, HoldId, Operation, RentalId,
};
use pyo3::prelude::*;
use pyo3::types::{PyList, PyTuple};

use crate::convert::{
    at_or_now, aware_datetime, copies as copies_arg, count as to_count, damage_arg, id, money,
    new_book, new_customer, optional_currency, optional_datetime, optional_flag, optional_text,
    rent_target, text,
};
use crate::errors::invalid;
use crate::plan::PricePlan;

/// A write built from Python arguments: the operation, and whether its instant is the caller's `now` because the
/// Python caller left the time out — for a store, its clock (a retry under an idempotency key a moment later is
/// then the same request); for a batch, a placeholder for the moment it is applied.
pub(crate) struct Write {
    /// The operation.
    pub(crate) operation: Operation,
    /// Whether the operation's instant came from `now` rather than from the Python caller.
    pub(crate) clock_time: bool,
}

impl Write {
    /// An operation with no instant, or one the Python caller gave.
    fn given(operation: Operation) -> PyResult<Self> {
        Ok(Write {
            operation,
            clock_time: false,
        })
    }

    /// An operation at the time argument `at=`, or at `now` when it is left out.
    fn at(
        at: Option<&Bound<'_, PyAny>>,
        now: impl FnOnce() -> DateTime<Utc>,
        make: impl FnOnce(DateTime<Utc>) -> Operation,
    ) -> PyResult<Self> {
        let (at, clock_time) = at_or_now("at", at, now)?;
        Ok(Write {
            operation: make(at),
            clock_time,
        })
    }
}

/// Whether an operation closes a rental with fees besides its charge, so that its receipt is a closing receipt
/// (a return with a damage fee, a loss).
pub(crate) fn closes_with_fees(operation: &Operation) -> bool {
    matches!(
        operation,
        Operation::DeclareLost { .. }
            | Operation::Return {
                damage: Some(_),
                ..
            }
    )
}

// --- catalogue and customers ---

/// `add_book(title=, author=, category=, isbn=, copies=)`.
pub(crate) fn add_book(
    title: &Bound<'_, PyAny>,
    author: &Bound<'_, PyAny>,
    category: &Bound<'_, PyAny>,
    isbn: Option<&Bound<'_, PyAny>>,
    copies: Option<&Bound<'_, PyAny>>,
) -> PyResult<Write> {
    let book = new_book(title, author, category, isbn)?;
    let copies = copies_arg(copies)?;
    Write::given(Operation::AddBook { book, copies })
}

/// `update_book(book_id, title=, author=, category=, isbn=)`: `None` leaves a field unchanged.
pub(crate) fn update_book(
    book_id: &Bound<'_, PyAny>,
    title: Option<&Bound<'_, PyAny>>,
    author: Option<&Bound<'_, PyAny>>,
    category: Option<&Bound<'_, PyAny>>,
    isbn: Option<&Bound<'_, PyAny>>,
) -> PyResult<Write> {
    let id = BookId::new(id("book_id", book_id)?);
    let update = BookUpdate {
        title: optional_text("title", title)?,
        author: optional_text("author", author)?,
        category: optional_text("category", category)?,
        isbn: optional_text("isbn", isbn)?.map(Some),
    };
    Write::given(Operation::UpdateBook { id, update })
}

/// `add_copies(book_id, count)`: the copies serve the book's waiting holds from `now`.
pub(crate) fn add_copies(
    book_id: &Bound<'_, PyAny>,
    count: &Bound<'_, PyAny>,
    now: impl FnOnce() -> DateTime<Utc>,
) -> PyResult<Write> {
    let book = BookId::new(id("book_id", book_id)?);
    let count = to_count("count", count)?;
    Ok(Write {
        operation: Operation::AddCopies {
            book,
            count,
            at: Some(now()),
        },
        clock_time: true,
    })
}

/// `withdraw_copy(copy_id)` (`withdrawn`) or `reinstate_copy(copy_id)`: a reinstated copy set aside for a hold is
/// ready from `now`.
pub(crate) fn set_withdrawn(
    copy_id: &Bound<'_, PyAny>,
    withdrawn: bool,
    now: impl FnOnce() -> DateTime<Utc>,
) -> PyResult<Write> {
    let copy = CopyId::new(id("copy_id", copy_id)?);
    Ok(Write {
        operation: Operation::SetWithdrawn {
            copy,
            withdrawn,
            at: Some(now()),
        },
        clock_time: true,
    })
}

/// `register_customer(first_name=, last_name=, email=)`.
pub(crate) fn register_customer(
    first_name: &Bound<'_, PyAny>,
    last_name: &Bound<'_, PyAny>,
    email: Option<&Bound<'_, PyAny>>,
) -> PyResult<Write> {
    let customer = new_customer(first_name, last_name, email)?;
    Write::given(Operation::RegisterCustomer(customer))
}

/// `update_customer(customer_id, first_name=, last_name=, email=, active=)`: `None` leaves a field unchanged.
pub(crate) fn update_customer(
    customer_id: &Bound<'_, PyAny>,
    first_name: Option<&Bound<'_, PyAny>>,
    last_name: Option<&Bound<'_, PyAny>>,
    email: Option<&Bound<'_, PyAny>>,
    active: Option<&Bound<'_, PyAny>>,
) -> PyResult<Write> {
    let id = CustomerId::new(id("customer_id", customer_id)?);
    let update = CustomerUpdate {
        first_name: optional_text("first_name", first_name)?,
        last_name: optional_text("last_name", last_name)?,
        email: optional_text("email", email)?.map(Some),
        active: optional_flag("active", active)?,
    };
    customer_update(id, update)
}

/// `activate_customer(customer_id)` (`active`) or `deactivate_customer(customer_id)`.
pub(crate) fn set_customer_active(customer_id: &Bound<'_, PyAny>, active: bool) -> PyResult<Write> {
    let id = CustomerId::new(id("customer_id", customer_id)?);
    let update = CustomerUpdate {
        active: Some(active),
        ..CustomerUpdate::default()
    };
    customer_update(id, update)
}

/// The one `UpdateCustomer` of `update_customer` and `set_customer_active`.
fn customer_update(id: CustomerId, update: CustomerUpdate) -> PyResult<Write> {
    Write::given(Operation::UpdateCustomer { id, update })
}

// --- rentals ---

/// `rent(customer_id=, book_id=, copy_id=, at=)`: exactly one of `book_id` and `copy_id`.
pub(crate) fn rent(
    customer_id: &Bound<'_, PyAny>,
    book_id: Option<&Bound<'_, PyAny>>,
    copy_id: Option<&Bound<'_, PyAny>>,
    at: Option<&Bound<'_, PyAny>>,
    now: impl FnOnce() -> DateTime<Utc>,
) -> PyResult<Write> {
    let customer = CustomerId::new(id("customer_id", customer_id)?);
    let target = rent_target(book_id, copy_id)?;
    Write::at(at, now, |at| Operation::Rent {
        target,
        customer,
        at,
    })
}

/// `return_rental(rental_id=, at=, damage_fee=, note=)`: the damage fee and its note, both or neither, are
/// converted first.
pub(crate) fn return_rental(
    rental_id: &Bound<'_, PyAny>,
    at: Option<&Bound<'_, PyAny>>,
    damage_fee: Option<&Bound<'_, PyAny>>,
    note: Option<&Bound<'_, PyAny>>,
    now: impl FnOnce() -> DateTime<Utc>,
) -> PyResult<Write> {
    let damage = damage_arg(damage_fee, note)?;
    let rental = RentalId::new(id("rental_id", rental_id)?);
    Write::at(at, now, |at| Operation::Return { rental, at, damage })
}

/// `return_copy(copy_id=, at=)`: the open rental of a copy (a drop box).
pub(crate) fn return_copy(
    copy_id: &Bound<'_, PyAny>,
    at: Option<&Bound<'_, PyAny>>,
    now: impl FnOnce() -> DateTime<Utc>,
) -> PyResult<Write> {
    let copy = CopyId::new(id("copy_id", copy_id)?);
    Write::at(at, now, |at| Operation::ReturnCopy { copy, at })
}

/// `renew(rental_id=, at=)`.
pub(crate) fn renew(
    rental_id: &Bound<'_, PyAny>,
    at: Option<&Bound<'_, PyAny>>,
    now: impl FnOnce() -> DateTime<Utc>,
) -> PyResult<Write> {
    let rental = RentalId::new(id("rental_id", rental_id)?);
    Write::at(at, now, |at| Operation::Renew { rental, at })
}

// --- holds, lost and found, notices ---

/// `place_hold(customer_id=, book_id=, at=)`.
pub(crate) fn place_hold(
    customer_id: &Bound<'_, PyAny>,
    book_id: &Bound<'_, PyAny>,
    at: Option<&Bound<'_, PyAny>>,
    now: impl FnOnce() -> DateTime<Utc>,
) -> PyResult<Write> {
    let customer = CustomerId::new(id("customer_id", customer_id)?);
    let book = BookId::new(id("book_id", book_id)?);
    Write::at(at, now, |at| Operation::PlaceHold { customer, book, at })
}

/// `cancel_hold(hold_id, at=)`.
pub(crate) fn cancel_hold(
    hold_id: &Bound<'_, PyAny>,
    at: Option<&Bound<'_, PyAny>>,
    now: impl FnOnce() -> DateTime<Utc>,
) -> PyResult<Write> {
    let hold = HoldId::new(id("hold_id", hold_id)?);
    Write::at(at, now, |at| Operation::CancelHold { hold, at })
}

/// `expire_holds(at=)`.
pub(crate) fn expire_holds(
    at: Option<&Bound<'_, PyAny>>,
    now: impl FnOnce() -> DateTime<Utc>,
) -> PyResult<Write> {
    Write::at(at, now, |at| Operation::ExpireHolds { at })
}

/// `declare_lost(rental_id=, at=)`.
pub(crate) fn declare_lost(
    rental_id: &Bound<'_, PyAny>,
    at: Option<&Bound<'_, PyAny>>,
    now: impl FnOnce() -> DateTime<Utc>,
) -> PyResult<Write> {
    let rental = RentalId::new(id("rental_id", rental_id)?);
    Write::at(at, now, |at| Operation::DeclareLost { rental, at })
}

/// `mark_found(copy_id=, at=)`.
pub(crate) fn mark_found(
    copy_id: &Bound<'_, PyAny>,
    at: Option<&Bound<'_, PyAny>>,
    now: impl FnOnce() -> DateTime<Utc>,
) -> PyResult<Write> {
    let copy = CopyId::new(id("copy_id", copy_id)?);
    Write::at(at, now, |at| Operation::MarkFound { copy, at })
}

/// `mark_notified(keys, at=)`: `keys` is a list or tuple of `str` (a lone `str` is refused, not read as its
/// characters).
pub(crate) fn mark_notified(
    keys: &Bound<'_, PyAny>,
    at: Option<&Bound<'_, PyAny>>,
    now: impl FnOnce() -> DateTime<Utc>,
) -> PyResult<Write> {
    if !keys.is_instance_of::<PyList>() && !keys.is_instance_of::<PyTuple>() {
        return Err(invalid(
            "keys",
            "expected a list of notice keys (str), e.g. [notice.key for notice in store.notices()]",
        ));
    }
    let keys = keys
        .try_iter()?
        .map(|key| text("keys", &key?))
        .collect::<PyResult<Vec<String>>>()?;
    Write::at(at, now, |at| Operation::MarkNotified { keys, at })
}

// --- plans ---

/// `publish_plan(plan, effective_from)`; `not_a_plan` is the reason given when `plan` is not a `PricePlan`.
pub(crate) fn publish_plan(
    plan: &Bound<'_, PyAny>,
    effective_from: &Bound<'_, PyAny>,
    not_a_plan: &str,
) -> PyResult<Write> {
    let plan = plan
        .extract::<PyRef<'_, PricePlan>>()
        .map_err(|_| invalid("plan", not_a_plan))?
        .inner
        .clone();
    let from = aware_datetime("effective_from", effective_from)?;
    Write::given(Operation::publish_plan(plan, from))
}

// --- accounts ---

/// `pay(customer_id=, amount=, at=, note=, currency=)`: the currency, if given, must be the store's.
pub(crate) fn pay(
    customer_id: &Bound<'_, PyAny>,
    amount: &Bound<'_, PyAny>,
    at: Option<&Bound<'_, PyAny>>,
    note: Option<&Bound<'_, PyAny>>,
    currency: Option<&Bound<'_, PyAny>>,
    now: impl FnOnce() -> DateTime<Utc>,
) -> PyResult<Write> {
    let customer = CustomerId::new(id("customer_id", customer_id)?);
    let amount = money("amount", amount)?;
    let (at, clock_time) = at_or_now("at", at, now)?;
    let operation = Operation::Pay {
        customer,
        amount,
        currency: optional_currency("currency", currency)?,
        at,
        note: optional_text("note", note)?,
    };
    Ok(Write {
        operation,
        clock_time,
    })
}

/// `waive(customer_id=, amount=, reason=, at=)`.
pub(crate) fn waive(
    [customer_id, amount, reason]: [&Bound<'_, PyAny>; 3],
    at: Option<&Bound<'_, PyAny>>,
    now: impl FnOnce() -> DateTime<Utc>,
) -> PyResult<Write> {
    let (customer, amount, reason) = reasoned(customer_id, amount, reason)?;
    Write::at(at, now, |at| Operation::Waive {
        customer,
        amount,
        at,
        reason,
    })
}

/// `refund(customer_id=, amount=, reason=, at=)`.
pub(crate) fn refund(
    [customer_id, amount, reason]: [&Bound<'_, PyAny>; 3],
    at: Option<&Bound<'_, PyAny>>,
    now: impl FnOnce() -> DateTime<Utc>,
) -> PyResult<Write> {
    let (customer, amount, reason) = reasoned(customer_id, amount, reason)?;
    Write::at(at, now, |at| Operation::Refund {
        customer,
        amount,
        at,
        reason,
    })
}

/// `post_fee(customer_id=, amount=, reason=, rental_id=, at=)`.
pub(crate) fn post_fee(
    [customer_id, amount, reason]: [&Bound<'_, PyAny>; 3],
    rental_id: Option<&Bound<'_, PyAny>>,
    at: Option<&Bound<'_, PyAny>>,
    now: impl FnOnce() -> DateTime<Utc>,
) -> PyResult<Write> {
    let (customer, amount, reason) = reasoned(customer_id, amount, reason)?;
    let rental = match rental_id {
        Some(r) if !r.is_none() => Some(RentalId::new(id("rental_id", r)?)),
        _ => None,
    };
    Write::at(at, now, |at| Operation::PostFee {
        customer,
        amount,
        at,
        rental,
        reason,
    })
}

/// The customer, amount and reason of a waiver, refund or fee, converted in that order.
fn reasoned(
    customer_id: &Bound<'_, PyAny>,
    amount: &Bound<'_, PyAny>,
    reason: &Bound<'_, PyAny>,
) -> PyResult<(CustomerId, Decimal, String)> {
    Ok((
        CustomerId::new(id("customer_id", customer_id)?),
        money("amount", amount)?,
        text("reason", reason)?,
    ))
}

/// `block_customer(customer_id, reason=, until=, at=)`.
pub(crate) fn block_customer(
    customer_id: &Bound<'_, PyAny>,
    reason: &Bound<'_, PyAny>,
    until: Option<&Bound<'_, PyAny>>,
    at: Option<&Bound<'_, PyAny>>,
    now: impl FnOnce() -> DateTime<Utc>,
) -> PyResult<Write> {
    let customer = CustomerId::new(id("customer_id", customer_id)?);
    let reason = text("reason", reason)?;
    let until = optional_datetime("until", until)?;
    Write::at(at, now, |at| Operation::BlockCustomer {
        customer,
        reason,
        at,
        until,
    })
}

/// `unblock_customer(customer_id)`.
pub(crate) fn unblock_customer(customer_id: &Bound<'_, PyAny>) -> PyResult<Write> {
    let customer = CustomerId::new(id("customer_id", customer_id)?);
    Write::given(Operation::UnblockCustomer { customer })
}
