//! Customers: registering them and changing their fields (activating and deactivating included), with the
//! search words kept in step. An e-mail address, when given, is the customer's natural key: unique (case
//! ignored), so a second registration with it is a [`Error::Duplicate`] on `email`.

use chrono::{DateTime, Utc};

use super::events;
use super::view::{reindex, require, IdKind, TxView};
use crate::domain::{
    customer_words, email_key, Customer, CustomerUpdate, EventKind, NewCustomer, WordIndex,
};
use crate::error::Error;
use crate::ids::CustomerId;

/// Refuses `email` when another customer than `me` has it.
fn check_email_free<T: TxView>(
    tx: &mut T,
    email: Option<&str>,
    me: Option<CustomerId>,
) -> Result<(), T::E> {
    let Some(email) = email else {
        return Ok(());
    };
    match tx.email_owner(&email_key(email))? {
        Some(owner) if Some(owner) != me => Err(Error::Duplicate {
            field: "email",
            value: email.to_owned(),
        }
        .into()),
        _ => Ok(()),
    }
}

pub(crate) fn insert_customer<T: TxView>(
    tx: &mut T,
    new: &NewCustomer,
    at: DateTime<Utc>,
) -> Result<Customer, T::E> {
    let new = new.validated()?;
    check_email_free(tx, new.email.as_deref(), None)?;
    let customer = Customer {
        id: CustomerId::new(tx.next_id(IdKind::Customer)?),
        first_name: new.first_name,
        last_name: new.last_name,
        email: new.email,
        active: true,
    };
    tx.put_customer(&customer)?;
    if let Some(email) = &customer.email {
        tx.set_email_owner(&email_key(email), Some(customer.id))?;
    }
    reindex(
        tx,
        WordIndex::Customers,
        customer.id.get(),
        &Default::default(),
        &customer_words(&customer),
    )?;
    events::customer(tx, EventKind::CustomerRegistered, &customer, at)?;
    Ok(customer)
}

pub(crate) fn update_customer<T: TxView>(
    tx: &mut T,
    id: CustomerId,
    update: &CustomerUpdate,
    at: DateTime<Utc>,
) -> Result<Customer, T::E> {
    let old = require(tx.customer(id)?, CustomerId::ENTITY, id)?;
    let new = update.apply(&old)?;
    let (old_key, new_key) = (
        old.email.as_deref().map(email_key),
        new.email.as_deref().map(email_key),
    );
    if old_key != new_key {
        check_email_free(tx, new.email.as_deref(), Some(id))?;
    }
    tx.put_customer(&new)?;
    if old_key != new_key {
        if let Some(key) = &old_key {
            // Only the address's owner gives it up (a customer who shares it from before the key keeps nothing).
            if tx.email_owner(key)? == Some(id) {
                tx.set_email_owner(key, None)?;
            }
        }
        if let Some(key) = &new_key {
            tx.set_email_owner(key, Some(id))?;
        }
    }
    reindex(
        tx,
        WordIndex::Customers,
        id.get(),
        &customer_words(&old),
        &customer_words(&new),
    )?;
    events::customer(tx, EventKind::CustomerChanged, &new, at)?;
    Ok(new)
}
