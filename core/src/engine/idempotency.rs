//! Idempotency keys: a write applied at most once per key. The first use of a key applies the operation and stores
//! the key with its outcome in the same transaction; a later use with the same request answers from the key, and
//! with another request is refused.

use chrono::{DateTime, Utc};

use super::operation::{Operation, Outcome};
use super::view::{KeyRecord, TxView};
use crate::error::Error;

/// The longest idempotency key, in characters.
pub(crate) const MAX_KEY_CHARS: usize = 255;

/// The identity of a request under an idempotency key: the operation as JSON, without its instant when the
/// store's clock supplied it (a retry of "rent now" is the same request a second later).
fn fingerprint(operation: &Operation, clock_time: bool) -> Result<String, Error> {
    // An amount is the same request however it is written: 4.5 and 4.50.
    let mut operation = operation.clone();
    if let Operation::Pay { amount, .. }
    | Operation::Waive { amount, .. }
    | Operation::Refund { amount, .. }
    | Operation::PostFee { amount, .. } = &mut operation
    {
        *amount = amount.normalize();
    }
    if let Operation::Return {
        damage: Some(damage),
        ..
    } = &mut operation
    {
        damage.fee = damage.fee.normalize();
    }
    let mut value = serde_json::to_value(&operation)
        .map_err(|e| Error::Corruption(format!("cannot encode an operation: {e}")))?;
    if clock_time {
        if let Some(fields) = value
            .as_object_mut()
            .and_then(|tagged| tagged.values_mut().next())
            .and_then(|inner| inner.as_object_mut())
        {
            fields.remove("at");
        }
    }
    Ok(value.to_string())
}

/// [`Operation::Idempotent`], applying the operation itself with `apply` (the dispatcher): the first use of a key applies the operation and stores the key with its outcome,
/// in the same transaction; a later use answers from the key.
pub(crate) fn idempotent<T: TxView>(
    tx: &mut T,
    key: &str,
    recorded_at: DateTime<Utc>,
    clock_time: bool,
    operation: &Operation,
    apply: impl FnOnce(&mut T, &Operation) -> Result<Outcome, T::E>,
) -> Result<Outcome, T::E> {
    let chars = key.chars().count();
    if chars == 0 || chars > MAX_KEY_CHARS || key.chars().any(char::is_control) {
        return Err(Error::invalid_input(
            "idempotency_key",
            format!("must be 1 to {MAX_KEY_CHARS} characters without control characters"),
        )
        .into());
    }
    if matches!(operation, Operation::Idempotent { .. }) {
        return Err(Error::invalid_input(
            "idempotency_key",
            "an operation takes one idempotency key, not a key inside a key",
        )
        .into());
    }
    let request = fingerprint(operation, clock_time)?;
    tx.lock_key(key)?;
    if let Some(record) = tx.idempotency(key)? {
        if record.request == request {
            return Ok(record.outcome);
        }
        return Err(Error::Duplicate {
            field: "idempotency_key",
            value: key.to_owned(),
        }
        .into());
    }
    let outcome = apply(tx, operation)?;
    tx.put_idempotency(
        key,
        &KeyRecord {
            request,
            outcome: outcome.clone(),
            recorded_at,
        },
    )?;
    Ok(outcome)
}
