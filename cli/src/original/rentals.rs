//! The rentals of `koko import original`: each row checked on its own (its book and customer, its times, its
//! status, its amount, the plan version in force when it was borrowed), then one open rental per book.

use std::collections::{BTreeMap, HashSet};

use chrono::{DateTime, Utc};
use koko_core::{
    version_in_force, BookId, CopyId, Customer, PlanVersion, Quote, Rental, RentalId,
    MAX_PLAN_AMOUNT,
};
use rusqlite::types::Value;

use super::cells::{decimal, flag, instant, linked, positive, shown, time};
use super::rows::{refusal, Accepted, Refusal, Tables};
use crate::store::Failure;

/// The rentals that can be mapped, each under the plan version in force when it was borrowed. An error refuses
/// the whole file: a rental borrowed before any plan version is in force.
pub(super) fn rentals(
    tables: &Tables,
    versions: &[PlanVersion],
    books: &BTreeMap<i64, Accepted>,
    customers: &BTreeMap<i64, Customer>,
    refused: &mut Vec<Refusal>,
) -> Result<Vec<Rental>, Failure> {
    let book_rows: HashSet<i64> = tables.books.iter().map(|b| b.id).collect();
    let customer_rows: HashSet<i64> = tables.customers.iter().map(|c| c.id).collect();
    let mut rentals: Vec<Rental> = Vec::new();
    let mut too_early: Option<(i64, DateTime<Utc>)> = None;
    for row in &tables.rentals {
        let mut reasons = Vec::new();
        let id = positive(row.id, &mut reasons);
        let book = linked("book", &row.book_id, books, &book_rows, &mut reasons);
        let customer = linked(
            "customer",
            &row.customer_id,
            customers,
            &customer_rows,
            &mut reasons,
        );
        let rented_at = time("date_borrowed", &row.date_borrowed, &mut reasons);
        let closed = flag("rental_status", &row.rental_status, &mut reasons);
        let mut returned = None;
        let mut amount = None;
        match closed {
            Some(false) => {
                if !matches!(row.date_returned, Value::Null) {
                    reasons.push(format!(
                        "active (rental_status 0), yet returned at {}",
                        shown(&row.date_returned)
                    ));
                }
                if !matches!(decimal(&row.amount_charged), Some(a) if a.is_zero()) {
                    reasons.push(format!(
                        "active (rental_status 0), yet charged {}",
                        shown(&row.amount_charged)
                    ));
                }
            }
            Some(true) => {
                if matches!(row.date_returned, Value::Null) {
                    reasons.push("closed (rental_status 1) without a date_returned".into());
                } else {
                    returned = time("date_returned", &row.date_returned, &mut reasons);
                }
                if let (Some(rented), Some(back)) = (rented_at, returned) {
                    if back < rented {
                        reasons.push(format!(
                            "returned at {}, before it was borrowed at {}",
                            instant(back),
                            instant(rented)
                        ));
                    }
                }
                amount = decimal(&row.amount_charged);
                match amount {
                    None => reasons.push(format!(
                        "amount_charged {} is not an amount",
                        shown(&row.amount_charged)
                    )),
                    Some(a) if a.is_sign_negative() && !a.is_zero() => {
                        reasons.push(format!("amount_charged {a} is negative"))
                    }
                    Some(a) if a > MAX_PLAN_AMOUNT => reasons.push(format!(
                        "amount_charged {a} is more than Koko accepts ({MAX_PLAN_AMOUNT})"
                    )),
                    Some(_) => {}
                }
            }
            None => {}
        }
        let (Some(id), Some(book), Some(customer), Some(rented_at), Some(closed), true) =
            (id, book, customer, rented_at, closed, reasons.is_empty())
        else {
            refused.push(refusal("rentals", row.id, reasons));
            continue;
        };
        let Some(version) = version_in_force(versions, rented_at) else {
            if too_early.is_none_or(|(_, at)| rented_at < at) {
                too_early = Some((row.id, rented_at));
            }
            continue;
        };
        let category = book.book.category.clone();
        let due_at = match version.plan.due_at(&category, rented_at) {
            Ok(due) => due,
            Err(e) => {
                let reason = format!("plan version {} cannot price it: {e}", version.id);
                refused.push(refusal("rentals", row.id, vec![reason]));
                continue;
            }
        };
        let currency = version.plan.currency();
        let charge = match (closed, returned, amount) {
            (true, Some(returned), Some(total)) => {
                if total.normalize().scale() > currency.minor_unit() {
                    let reason = format!(
                        "amount_charged {total} has more decimals than {} allows",
                        currency.code()
                    );
                    refused.push(refusal("rentals", row.id, vec![reason]));
                    continue;
                }
                let days = (returned - rented_at)
                    .num_days()
                    .clamp(1, i64::from(u32::MAX));
                Some(Quote::recorded(
                    u32::try_from(days).unwrap_or(u32::MAX),
                    total,
                    currency,
                ))
            }
            _ => None,
        };
        rentals.push(Rental {
            id: RentalId::new(id),
            copy: CopyId::new(book.book.id.get()),
            book: book.book.id,
            customer: customer.id,
            category,
            rented_at,
            due_at,
            returned_at: returned.filter(|_| closed),
            plan_version: version.id,
            charge,
            renewals: Vec::new(),
            lost: false,
        });
    }
    if let Some((rental, at)) = too_early {
        let start = versions
            .iter()
            .map(|v| v.effective_from)
            .min()
            .unwrap_or(at);
        return Err(format!(
            "rental {rental} was borrowed at {}, but the store's price plan is in force only from {}: nothing was \
             imported. Publish a plan in force from then (`koko plan publish story3 --from {}`, or a JSON plan \
             file), or import into a new store made with `koko init PATH --plan story3`, whose plan is in force \
             from the start",
            instant(at),
            instant(start),
            instant(at)
        )
        .into());
    }
    Ok(rentals)
}

/// One open rental per book: the earliest borrowed keeps it, the others are refused. Returns which rental holds
/// each book out.
pub(super) fn one_open_per_book(
    rentals: &mut Vec<Rental>,
    refused: &mut Vec<Refusal>,
) -> BTreeMap<BookId, RentalId> {
    let mut order: Vec<usize> = (0..rentals.len()).collect();
    order.sort_by_key(|&i| (rentals[i].rented_at, rentals[i].id));
    let mut holder: BTreeMap<BookId, RentalId> = BTreeMap::new();
    let mut second: HashSet<RentalId> = HashSet::new();
    for i in order {
        let rental = &rentals[i];
        if rental.returned_at.is_some() {
            continue;
        }
        match holder.get(&rental.book) {
            Some(first) => {
                second.insert(rental.id);
                let reason = format!("book {} is already out on open rental {first}", rental.book);
                refused.push(refusal("rentals", rental.id.get() as i64, vec![reason]));
            }
            None => {
                holder.insert(rental.book, rental.id);
            }
        }
    }
    rentals.retain(|r| !second.contains(&r.id));
    holder
}
