//! The cells of the original's rows as SQLite holds them: ids, text, 0/1 flags, Django's times and decimals.

use std::collections::{BTreeMap, HashSet};
use std::str::FromStr;

use chrono::{DateTime, NaiveDateTime, SecondsFormat, Utc};
use koko_core::Decimal;
use rusqlite::types::Value;

/// The id as Koko's, if positive.
pub(super) fn positive(id: i64, reasons: &mut Vec<String>) -> Option<u64> {
    let id = u64::try_from(id).ok().filter(|&id| id > 0);
    if id.is_none() {
        reasons.push("the id is not positive".into());
    }
    id
}

/// The row a rental names (`book_id`, `customer_id`), if it was accepted; else why not.
pub(super) fn linked<'a, T>(
    what: &str,
    value: &Value,
    accepted: &'a BTreeMap<i64, T>,
    rows: &HashSet<i64>,
    reasons: &mut Vec<String>,
) -> Option<&'a T> {
    let Value::Integer(id) = value else {
        reasons.push(format!("{what}_id {} is not an id", shown(value)));
        return None;
    };
    let found = accepted.get(id);
    if found.is_none() {
        reasons.push(if rows.contains(id) {
            format!("its {what} {id} was refused")
        } else {
            format!("its {what} {id} is not in the {what}s table")
        });
    }
    found
}

/// Trimmed text, not empty, at most 500 characters, no control characters (as Koko's names and titles).
pub(super) fn required_text(
    field: &str,
    value: &Value,
    reasons: &mut Vec<String>,
) -> Option<String> {
    let Some(text) = text(value).map(str::trim) else {
        reasons.push(format!("{field} {} is not text", shown(value)));
        return None;
    };
    let problem = if text.is_empty() {
        Some("is empty")
    } else if text.chars().count() > 500 {
        Some("is longer than 500 characters")
    } else if text.chars().any(char::is_control) {
        Some("holds control characters")
    } else {
        None
    };
    match problem {
        Some(problem) => {
            reasons.push(format!("{field} {problem}"));
            None
        }
        None => Some(text.to_owned()),
    }
}

/// A 0/1 column (`rental_status`, `is_active`) as a bool.
pub(super) fn flag(field: &str, value: &Value, reasons: &mut Vec<String>) -> Option<bool> {
    match value {
        Value::Integer(0) => Some(false),
        Value::Integer(1) => Some(true),
        other => {
            reasons.push(format!("unknown {field} {} (0 or 1)", shown(other)));
            None
        }
    }
}

pub(super) fn text(value: &Value) -> Option<&str> {
    match value {
        Value::Text(text) => Some(text),
        _ => None,
    }
}

/// An amount as SQLite holds Django's decimal: an integer, a real (its shortest decimal form) or text.
pub(super) fn decimal(value: &Value) -> Option<Decimal> {
    match value {
        Value::Integer(i) => Some(Decimal::from(*i)),
        Value::Real(r) if r.is_finite() => Decimal::from_str(&r.to_string()).ok(),
        Value::Text(t) => Decimal::from_str(t.trim()).ok(),
        _ => None,
    }
}

/// A time as Django writes it on SQLite: UTC text `2019-05-21 20:03:00[.123456][+00:00]` (a `T` or an offset
/// other than UTC accepted too).
pub(super) fn time(field: &str, value: &Value, reasons: &mut Vec<String>) -> Option<DateTime<Utc>> {
    let parsed = text(value).and_then(|text| {
        let text = text.trim().replacen('T', " ", 1);
        let text = text.strip_suffix('Z').unwrap_or(&text);
        DateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.f%:z")
            .map(|t| t.with_timezone(&Utc))
            .or_else(|_| {
                NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.f").map(|t| t.and_utc())
            })
            .ok()
    });
    if parsed.is_none() {
        reasons.push(format!("{field} {} is not a time", shown(value)));
    }
    parsed
}

/// A value as a refusal names it.
pub(super) fn shown(value: &Value) -> String {
    match value {
        Value::Null => "NULL".into(),
        Value::Integer(i) => i.to_string(),
        Value::Real(r) => r.to_string(),
        Value::Text(t) => format!("{t:?}"),
        Value::Blob(b) => format!("(a blob of {} bytes)", b.len()),
    }
}

pub(super) fn instant(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn django_times_with_and_without_fraction_and_offset() {
        let mut reasons = Vec::new();
        let at = |s: &str, reasons: &mut Vec<String>| time("t", &Value::Text(s.into()), reasons);
        let want = "2019-05-21T20:03:00Z".parse::<DateTime<Utc>>().ok();
        assert_eq!(at("2019-05-21 20:03:00", &mut reasons), want);
        assert_eq!(at("2019-05-21 20:03:00+00:00", &mut reasons), want);
        assert_eq!(at("2019-05-21T20:03:00Z", &mut reasons), want);
        assert_eq!(at("2019-05-21 23:03:00+03:00", &mut reasons), want);
        let fraction = at("2019-05-21 20:03:00.123456", &mut reasons);
        assert_eq!(fraction.map(|t| t.timestamp_subsec_micros()), Some(123_456));
        assert!(reasons.is_empty(), "{reasons:?}");
        assert_eq!(at("yesterday", &mut reasons), None);
        assert_eq!(reasons, ["t \"yesterday\" is not a time"]);
    }

    #[test]
    fn amounts_as_sqlite_holds_them() {
        let d = |s: &str| Decimal::from_str(s).ok();
        assert_eq!(decimal(&Value::Real(6.5)), d("6.5"));
        assert_eq!(decimal(&Value::Integer(3)), d("3"));
        assert_eq!(decimal(&Value::Real(0.1 + 0.2)), d("0.30000000000000004"));
        assert_eq!(decimal(&Value::Text(" 4.50 ".into())), d("4.50"));
        assert_eq!(decimal(&Value::Null), None);
        assert_eq!(decimal(&Value::Real(f64::NAN)), None);
    }
}
