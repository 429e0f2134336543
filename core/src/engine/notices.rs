//! Notices marked sent: each notice key is stored once, so no notice is sent twice.

use chrono::{DateTime, Utc};

use super::events;
use super::view::TxView;
use crate::error::Error;

/// The most notice keys one [`Operation::MarkNotified`](super::operation::Operation::MarkNotified) takes.
const MAX_NOTICE_KEYS: usize = 10_000;

/// [`Operation::MarkNotified`](super::operation::Operation::MarkNotified): checks every key, then marks the new ones.
pub(crate) fn mark_notified<T: TxView>(
    tx: &mut T,
    keys: &[String],
    at: DateTime<Utc>,
) -> Result<u64, T::E> {
    if keys.is_empty() || keys.len() > MAX_NOTICE_KEYS {
        return Err(Error::invalid_input(
            "keys",
            format!(
                "give 1 to {MAX_NOTICE_KEYS} notice keys, not {}",
                keys.len()
            ),
        )
        .into());
    }
    for key in keys {
        let chars = key.chars().count();
        if chars == 0 || chars > 255 || key.chars().any(char::is_control) {
            return Err(Error::invalid_input(
                "keys",
                format!("{key:?} is not a notice key (1 to 255 characters, no control characters)"),
            )
            .into());
        }
    }
    let mut fresh = Vec::new();
    for key in keys {
        if tx.notified(key)?.is_none() && !fresh.contains(&key) {
            fresh.push(key);
        }
    }
    for key in &fresh {
        tx.put_notified(key, at)?;
        events::notice_sent(tx, key, at)?;
    }
    Ok(fresh.len() as u64)
}
