//! Books, copies, plan versions and customers: what a store holds before anything is lent.

use chrono::{DateTime, Utc};
use koko_core::{
    Book, BookCopy, BookId, BookUpdate, CopyId, CopyStatus, Customer, CustomerId, CustomerUpdate,
    NewBook, NewCustomer, Outcome, PlanVersion, PlanVersionId, PricePlan,
};

use crate::rejected::Rejected;
use crate::state::{next_id, Model};
use crate::{holds, text};

/// Most copies one call may add.
const MAX_COPIES_PER_CALL: u32 = 10_000;

fn check_copy_count(count: u32) -> Result<(), Rejected> {
    if count == 0 || count > MAX_COPIES_PER_CALL {
        return Err(Rejected::invalid("copies"));
    }
    Ok(())
}

/// A book's category must be priced by the plan in force at the batch's instant, or by a version the batch
/// published before; a store with no plan in force takes any category.
fn check_category_priced(
    model: &Model,
    category: &str,
    now: DateTime<Utc>,
) -> Result<(), Rejected> {
    let Some(current) = model.plan_in_force(now) else {
        return Ok(());
    };
    let category = category.trim();
    match current.plan.tariff(category) {
        Ok(_) => Ok(()),
        Err(error) => {
            let published = model
                .state
                .plans
                .iter()
                .filter(|v| model.published.contains(&v.id));
            for version in published {
                if version.plan.tariff(category).is_ok() {
                    return Ok(());
                }
            }
            Err(Rejected::from(&error))
        }
    }
}

/// The book owning `key` as a title, other than `except`.
fn title_owner(model: &Model, key: &str, except: Option<BookId>) -> bool {
    model
        .state
        .books
        .values()
        .any(|b| Some(b.id) != except && text::title_key(&b.title) == key)
}

fn isbn_owner(model: &Model, isbn: &str, except: Option<BookId>) -> bool {
    model
        .state
        .books
        .values()
        .any(|b| Some(b.id) != except && b.isbn.as_deref() == Some(isbn))
}

/// `count` new copies of `book`, on the shelf, with the next copy ids.
fn make_copies(model: &mut Model, book: BookId, count: u32) -> Vec<BookCopy> {
    let first = next_id(&model.state.copies);
    let made: Vec<BookCopy> = (0..u64::from(count))
        .map(|i| BookCopy {
            id: CopyId::new(first + i),
            book,
            status: CopyStatus::Available,
        })
        .collect();
    for copy in &made {
        model.state.copies.insert(copy.id.get(), copy.clone());
        model
            .state
            .book_copies
            .entry(book.get())
            .or_default()
            .push(copy.id.get());
    }
    made
}

pub(crate) fn add_book(
    model: &mut Model,
    new: &NewBook,
    copies: u32,
    now: DateTime<Utc>,
) -> Result<Outcome, Rejected> {
    check_category_priced(model, &new.category, now)?;
    let title = text::required("title", &new.title)?;
    let author = text::required("author", &new.author)?;
    let isbn = new.isbn.as_deref().map(text::isbn).transpose()?;
    let category = text::category(&new.category)?;
    check_copy_count(copies)?;
    if title_owner(model, &text::title_key(&title), None) {
        return Err(Rejected::duplicate("title"));
    }
    if isbn.as_deref().is_some_and(|i| isbn_owner(model, i, None)) {
        return Err(Rejected::duplicate("isbn"));
    }
    let book = Book {
        id: BookId::new(next_id(&model.state.books)),
        title,
        author,
        isbn,
        category,
    };
    model.state.books.insert(book.id.get(), book.clone());
    model.state.book_copies.insert(book.id.get(), Vec::new());
    let copies = make_copies(model, book.id, copies);
    Ok(Outcome::Book { book, copies })
}

pub(crate) fn update_book(
    model: &mut Model,
    id: BookId,
    update: &BookUpdate,
    now: DateTime<Utc>,
) -> Result<Outcome, Rejected> {
    if let Some(category) = &update.category {
        check_category_priced(model, category, now)?;
    }
    let old = model
        .state
        .books
        .get(&id.get())
        .ok_or(Rejected::not_found())?;
    let mut new = old.clone();
    if let Some(title) = &update.title {
        new.title = text::required("title", title)?;
    }
    if let Some(author) = &update.author {
        new.author = text::required("author", author)?;
    }
    if let Some(isbn) = &update.isbn {
        new.isbn = isbn.as_deref().map(text::isbn).transpose()?;
    }
    if let Some(category) = &update.category {
        new.category = text::category(category)?;
    }
    let key = text::title_key(&new.title);
    if key != text::title_key(&old.title) && title_owner(model, &key, Some(id)) {
        return Err(Rejected::duplicate("title"));
    }
    if new.isbn != old.isbn
        && new
            .isbn
            .as_deref()
            .is_some_and(|i| isbn_owner(model, i, Some(id)))
    {
        return Err(Rejected::duplicate("isbn"));
    }
    // Open rentals keep the category they were rented under.
    model.state.books.insert(id.get(), new.clone());
    Ok(Outcome::BookUpdated(new))
}

/// New copies of a book; each goes to the first waiting hold of the book, if any, as a returned copy would.
pub(crate) fn add_copies(
    model: &mut Model,
    book: BookId,
    count: u32,
    at: DateTime<Utc>,
) -> Result<Outcome, Rejected> {
    check_copy_count(count)?;
    if !model.state.books.contains_key(&book.get()) {
        return Err(Rejected::not_found());
    }
    let ready_until = match holds::first_waiting(model, book) {
        Some(_) => Some(model.pickup_deadline(at)?),
        None => None,
    };
    let mut made = make_copies(model, book, count);
    if let Some(until) = ready_until {
        for copy in &mut made {
            *copy = holds::release(model, copy.id, until);
        }
    }
    Ok(Outcome::Copies(made))
}

/// Withdrawing takes a copy on the shelf, lost or withdrawn out of circulation (not one rented or set aside);
/// reinstating brings a withdrawn copy back as a returned one comes back (a lost one must be found instead).
pub(crate) fn set_withdrawn(
    model: &mut Model,
    id: CopyId,
    withdrawn: bool,
    at: DateTime<Utc>,
) -> Result<Outcome, Rejected> {
    let copy = model
        .state
        .copies
        .get(&id.get())
        .ok_or(Rejected::not_found())?
        .clone();
    let copy = match (copy.status, withdrawn) {
        (CopyStatus::Rented(_) | CopyStatus::OnHold(_), true) => {
            return Err(Rejected::kind("Unavailable"))
        }
        (_, true) => {
            let copy = BookCopy {
                status: CopyStatus::Withdrawn,
                ..copy
            };
            model.state.copies.insert(id.get(), copy.clone());
            copy
        }
        (CopyStatus::Lost(_), false) => return Err(Rejected::invalid("copy")),
        (CopyStatus::Withdrawn, false) => {
            let until = model.pickup_deadline(at)?;
            holds::release(model, id, until)
        }
        (_, false) => copy,
    };
    Ok(Outcome::Copy(copy))
}

/// A new plan version: in the store's currency, starting at an instant no other version starts at.
pub(crate) fn publish_plan(
    model: &mut Model,
    plan: &PricePlan,
    effective_from: DateTime<Utc>,
) -> Result<Outcome, Rejected> {
    if model.currency().is_some_and(|c| c != plan.currency()) {
        return Err(Rejected::naming("InvalidPlan", "currency"));
    }
    if model
        .state
        .plans
        .iter()
        .any(|v| v.effective_from == effective_from)
    {
        return Err(Rejected::duplicate("effective_from"));
    }
    let id = model
        .state
        .plans
        .iter()
        .map(|v| v.id.get())
        .max()
        .unwrap_or(0)
        + 1;
    let version = PlanVersion {
        id: PlanVersionId::new(id),
        effective_from,
        plan: plan.clone(),
    };
    model.state.plans.push(version.clone());
    Ok(Outcome::PlanVersion(Box::new(version)))
}

/// An e-mail address is one customer's: another customer than `me` with it, case ignored, refuses it.
fn email_free(model: &Model, email: Option<&str>, me: Option<CustomerId>) -> Result<(), Rejected> {
    let Some(key) = email.map(str::to_lowercase) else {
        return Ok(());
    };
    let taken = model.state.customers.values().any(|other| {
        Some(other.id) != me && other.email.as_deref().map(str::to_lowercase) == Some(key.clone())
    });
    if taken {
        return Err(Rejected::duplicate("email"));
    }
    Ok(())
}

pub(crate) fn register_customer(model: &mut Model, new: &NewCustomer) -> Result<Outcome, Rejected> {
    let customer = Customer {
        id: CustomerId::new(next_id(&model.state.customers)),
        first_name: text::required("first_name", &new.first_name)?,
        last_name: text::required("last_name", &new.last_name)?,
        email: new.email.as_deref().map(text::email).transpose()?,
        active: true,
    };
    email_free(model, customer.email.as_deref(), None)?;
    model
        .state
        .customers
        .insert(customer.id.get(), customer.clone());
    model
        .state
        .accounts
        .insert(customer.id.get(), Default::default());
    Ok(Outcome::Customer(customer))
}

pub(crate) fn update_customer(
    model: &mut Model,
    id: CustomerId,
    update: &CustomerUpdate,
) -> Result<Outcome, Rejected> {
    let mut customer = model
        .state
        .customers
        .get(&id.get())
        .ok_or(Rejected::not_found())?
        .clone();
    if let Some(first) = &update.first_name {
        customer.first_name = text::required("first_name", first)?;
    }
    if let Some(last) = &update.last_name {
        customer.last_name = text::required("last_name", last)?;
    }
    if let Some(email) = &update.email {
        customer.email = email.as_deref().map(text::email).transpose()?;
    }
    if let Some(active) = update.active {
        customer.active = active;
    }
    email_free(model, customer.email.as_deref(), Some(id))?;
    model.state.customers.insert(id.get(), customer.clone());
    Ok(Outcome::Customer(customer))
}
