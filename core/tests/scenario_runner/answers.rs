//! What each kind of record answers in a scenario, as JSON: the shapes every runner (Rust, Python, HTTP) writes.

use chrono::{DateTime, SecondsFormat, Utc};
use koko_core::{BookCopy, CopyStatus, Hold, LedgerEntry, Notice, Receipt, Rental};
use serde_json::{json, Value};

/// An instant as the scenarios write it: `2024-06-08T10:00:00Z`.
pub fn time(at: DateTime<Utc>) -> Value {
    Value::String(at.to_rfc3339_opts(SecondsFormat::Secs, true))
}

fn opt_time(at: Option<DateTime<Utc>>) -> Value {
    at.map_or(Value::Null, time)
}

/// A rental: its id, copy, due date, renewals, return, whether it was lost, and its charge once closed.
pub fn rental(r: &Rental) -> Value {
    json!({
        "rental": r.id.get(),
        "copy": r.copy.get(),
        "book": r.book.get(),
        "customer": r.customer.get(),
        "rented_at": time(r.rented_at),
        "due_at": opt_time(r.due_at),
        "renewals": r.renewals.iter().map(|t| time(*t)).collect::<Vec<_>>(),
        "returned_at": opt_time(r.returned_at),
        "lost": r.lost,
        "charge": r.charge.as_ref().map(|c| c.total.to_string()),
    })
}

/// A closed rental's receipt: the rental, its charge's lines and the customer's balance after it.
pub fn receipt(r: &Receipt) -> Value {
    let mut value = rental(&r.rental);
    value["balance"] = Value::String(r.balance.to_string());
    value["lines"] = r
        .charge
        .lines
        .iter()
        .map(|l| json!([l.description, l.amount.to_string()]))
        .collect();
    value
}

/// A copy's status: `available`, `rented`, `on_hold`, `withdrawn` or `lost`, with the rental or hold it names.
pub fn copy(c: &BookCopy) -> Value {
    let mut value = json!({"copy": c.id.get(), "book": c.book.get(), "status": c.status.as_str()});
    match c.status {
        CopyStatus::Rented(r) | CopyStatus::Lost(r) => value["rental"] = json!(r.get()),
        CopyStatus::OnHold(h) => value["hold"] = json!(h.get()),
        CopyStatus::Available | CopyStatus::Withdrawn => {}
    }
    value
}

/// A hold: status, the copy set aside, until when, its place in the queue while it waits, and how it ended.
pub fn hold(h: &Hold) -> Value {
    json!({
        "hold": h.id.get(),
        "book": h.book.get(),
        "customer": h.customer.get(),
        "status": h.status.as_str(),
        "copy": h.copy.map(|c| c.get()),
        "ready_until": opt_time(h.ready_until),
        "position": h.position,
        "rental": h.rental.map(|r| r.get()),
        "closed_at": opt_time(h.closed_at),
    })
}

/// A ledger entry: what it posted and the balance after it.
pub fn entry(e: &LedgerEntry) -> Value {
    json!({
        "entry": e.id.get(),
        "kind": e.kind.name(),
        "amount": e.amount.to_string(),
        "balance": e.balance_after.to_string(),
        "rental": e.rental.map(|r| r.get()),
        "note": e.note,
    })
}

/// Entries as `[kind, amount]` pairs, in posting order.
pub fn entry_pairs(entries: &[LedgerEntry]) -> Value {
    entries
        .iter()
        .map(|e| json!([e.kind.name(), e.amount.to_string()]))
        .collect()
}

/// A notice: its kind, level, customer, what it is about, when it is due, what it would cost, and its key.
pub fn notice(n: &Notice) -> Value {
    json!({
        "kind": n.kind.as_str(),
        "level": n.level,
        "customer": n.customer.get(),
        "book": n.book.get(),
        "rental": n.rental.map(|r| r.get()),
        "hold": n.hold.map(|h| h.get()),
        "due_at": time(n.due_at),
        "amount": n.amount.map(|a| a.to_string()),
        "currency": n.currency.map(|c| c.to_string()),
        "key": n.key,
    })
}
