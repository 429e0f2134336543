//! Reading a store as the check needs it: a record the store does not have is `None`, not an error.

use crate::domain::LedgerEntry;
use crate::error::{Error, Result};
use crate::ids::RentalId;
use crate::storage::Storage;

/// `Ok(None)` for a record the store does not have.
pub(super) fn absent_as_none<T>(read: Result<T>) -> Result<Option<T>> {
    match read {
        Ok(record) => Ok(Some(record)),
        Err(Error::NotFound { .. }) => Ok(None),
        Err(e) => Err(e),
    }
}

/// What the charge index (`Storage::charge_entry`) finds for `rental`. A backend that looks the entry up in the
/// customer's ledger reports a closed rental without one as corrupt: that is the index finding nothing, and the
/// check names the rental itself ([`Problem::ChargeEntryCount`](super::problem::Problem::ChargeEntryCount)).
pub(super) fn charge_index<S: Storage + ?Sized>(
    storage: &S,
    rental: RentalId,
) -> Result<Option<LedgerEntry>> {
    match storage.charge_entry(rental) {
        Ok(found) => Ok(found),
        Err(Error::NotFound { .. } | Error::Corruption(_)) => Ok(None),
        Err(e) => Err(e),
    }
}
