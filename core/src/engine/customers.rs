//! Customers: registering them and changing their fields (activating and deactivating included), with the
//! search words kept in step.

use super::view::{reindex, require, IdKind, TxView};
use crate::domain::{customer_words, Customer, CustomerUpdate, NewCustomer, WordIndex};
use crate::ids::CustomerId;

pub(crate) fn insert_customer<T: TxView>(tx: &mut T, new: &NewCustomer) -> Result<Customer, T::E> {
    let new = new.validated()?;
    let customer = Customer {
        id: CustomerId::new(tx.next_id(IdKind::Customer)?),
        first_name: new.first_name,
        last_name: new.last_name,
        email: new.email,
        active: true,
    };
    tx.put_customer(&customer)?;
    reindex(
        tx,
        WordIndex::Customers,
        customer.id.get(),
        &Default::default(),
        &customer_words(&customer),
    )?;
    Ok(customer)
}

pub(crate) fn update_customer<T: TxView>(
    tx: &mut T,
    id: CustomerId,
    update: &CustomerUpdate,
) -> Result<Customer, T::E> {
    let old = require(tx.customer(id)?, CustomerId::ENTITY, id)?;
    let new = update.apply(&old)?;
    tx.put_customer(&new)?;
    reindex(
        tx,
        WordIndex::Customers,
        id.get(),
        &customer_words(&old),
        &customer_words(&new),
    )?;
    Ok(new)
}
