//! One step of a scenario: its call made through [`BookStore`] (writes through `BookStore::execute`, with the step's
//! idempotency `key` if it has one), answered as JSON (see `answers`).

use chrono::{DateTime, Utc};
use koko_core::{
    BookId, BookStore, CopyId, CustomerId, CustomerUpdate, Damage, Decimal, Error, HoldId, NewBook,
    NewCustomer, Operation, Outcome, RentTarget, RentalId, Storage, WriteOptions,
};
use serde_json::{json, Value};

use super::answers;
use super::call;

fn time(v: &Value) -> DateTime<Utc> {
    v.as_str()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("an RFC 3339 time, not {v}"))
}

fn money(v: &Value) -> Decimal {
    v.as_str()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("money as a string, not {v}"))
}

fn id(v: &Value) -> u64 {
    v.as_u64().unwrap_or_else(|| panic!("an id, not {v}"))
}

fn text(v: &Value) -> String {
    v.as_str()
        .unwrap_or_else(|| panic!("text, not {v}"))
        .to_owned()
}

fn opt_text(args: &Value, key: &str) -> Option<String> {
    args.get(key).map(text)
}

/// Money at the store currency's two decimals (an empty aging bucket is `0.00`).
fn cents(mut amount: Decimal) -> Value {
    amount.rescale(2);
    Value::String(amount.to_string())
}

/// Applies `operation` through the facade's one write door, under the step's idempotency key if it has one.
fn write<S: Storage>(
    store: &BookStore<S>,
    args: &Value,
    operation: Operation,
) -> Result<Outcome, Error> {
    let mut options = WriteOptions::new();
    if let Some(key) = args.get("key").and_then(Value::as_str) {
        options = options.idempotency_key(key);
    }
    store.execute(operation, &options)
}

/// The receipt of a closing operation's rental (with every fee the closing posted in its balance).
fn closed<S: Storage>(store: &BookStore<S>, outcome: Outcome) -> Result<Value, Error> {
    let rental = outcome.into_rental()?;
    Ok(answers::receipt(&store.closing_receipt(rental)?))
}

/// Runs the step's call; its answer, or the error it met.
pub fn run<S: Storage>(store: &BookStore<S>, step: &Value) -> Result<Value, Error> {
    let (name, args) = call(step);
    let customer = || CustomerId::new(id(&args["customer"]));
    let rental = || RentalId::new(id(&args["rental"]));
    let copy = || CopyId::new(id(&args["copy"]));
    let at = || time(&args["at"]);
    match name {
        "add_book" => {
            let mut book = NewBook::new(
                opt_text(args, "title").unwrap_or_default(),
                opt_text(args, "author").unwrap_or_else(|| "A".into()),
                text(&args["category"]),
            );
            book.isbn = opt_text(args, "isbn");
            let copies = args.get("copies").map_or(1, |c| id(c) as u32);
            let (book, copies) =
                write(store, args, Operation::AddBook { book, copies })?.into_book()?;
            Ok(
                json!({"book": book.id.get(), "copies": copies.iter().map(|c| c.id.get()).collect::<Vec<_>>()}),
            )
        }
        "add_copies" => {
            let op = Operation::AddCopies {
                book: BookId::new(id(&args["book"])),
                count: id(&args["count"]) as u32,
                at: args.get("at").map(time),
            };
            let copies = write(store, args, op)?.into_copies()?;
            Ok(json!({"copies": copies.iter().map(answers::copy).collect::<Vec<_>>()}))
        }
        "withdraw" | "reinstate" => {
            let op = Operation::SetWithdrawn {
                copy: copy(),
                withdrawn: name == "withdraw",
                at: args.get("at").map(time),
            };
            Ok(answers::copy(&write(store, args, op)?.into_copy()?))
        }
        "register" => {
            let mut new = NewCustomer::new(text(&args["first_name"]), text(&args["last_name"]));
            new.email = opt_text(args, "email");
            let customer = write(store, args, Operation::RegisterCustomer(new))?.into_customer()?;
            Ok(json!({"customer": customer.id.get(), "active": customer.active}))
        }
        "deactivate" | "activate" => {
            let update = CustomerUpdate {
                active: Some(name == "activate"),
                ..CustomerUpdate::default()
            };
            let op = Operation::UpdateCustomer {
                id: customer(),
                update,
            };
            let customer = write(store, args, op)?.into_customer()?;
            Ok(json!({"customer": customer.id.get(), "active": customer.active}))
        }
        "rent" => {
            let target = match (args.get("book"), args.get("copy")) {
                (Some(book), None) => RentTarget::Book(BookId::new(id(book))),
                (None, Some(copy)) => RentTarget::Copy(CopyId::new(id(copy))),
                _ => panic!("a rent names a book or a copy: {args}"),
            };
            let op = Operation::Rent {
                target,
                customer: customer(),
                at: at(),
            };
            Ok(answers::rental(&write(store, args, op)?.into_rental()?))
        }
        "return" => {
            let damage = args.get("damage").map(|d| Damage {
                fee: money(&d["fee"]),
                note: text(&d["note"]),
            });
            let op = Operation::Return {
                rental: rental(),
                at: at(),
                damage,
            };
            closed(store, write(store, args, op)?)
        }
        "return_copy" => {
            let op = Operation::ReturnCopy {
                copy: copy(),
                at: at(),
            };
            closed(store, write(store, args, op)?)
        }
        "declare_lost" => {
            let op = Operation::DeclareLost {
                rental: rental(),
                at: at(),
            };
            closed(store, write(store, args, op)?)
        }
        "renew" => {
            let op = Operation::Renew {
                rental: rental(),
                at: at(),
            };
            Ok(answers::rental(&write(store, args, op)?.into_rental()?))
        }
        "place_hold" => {
            let op = Operation::PlaceHold {
                customer: customer(),
                book: BookId::new(id(&args["book"])),
                at: at(),
            };
            let placed = write(store, args, op)?.into_hold()?;
            // The hold as the store lists it (a waiting hold with its place in the queue).
            Ok(answers::hold(&store.hold(placed.id)?))
        }
        "cancel_hold" => {
            let op = Operation::CancelHold {
                hold: HoldId::new(id(&args["hold"])),
                at: at(),
            };
            Ok(answers::hold(&write(store, args, op)?.into_hold()?))
        }
        "expire_holds" => {
            let expired = write(store, args, Operation::ExpireHolds { at: at() })?.into_holds()?;
            Ok(json!({"expired": expired.iter().map(|h| h.id.get()).collect::<Vec<_>>()}))
        }
        "mark_found" => {
            let op = Operation::MarkFound {
                copy: copy(),
                at: at(),
            };
            let (copy, credit) = write(store, args, op)?.into_found()?;
            let mut answer = answers::copy(&copy);
            answer["credit"] = credit.map_or(Value::Null, |c| answers::entry(&c));
            Ok(answer)
        }
        "pay" => {
            let op = Operation::Pay {
                customer: customer(),
                amount: money(&args["amount"]),
                currency: args
                    .get("currency")
                    .map(|c| text(c).parse().expect("a currency code")),
                at: at(),
                note: opt_text(args, "note"),
            };
            Ok(answers::entry(&write(store, args, op)?.into_entry()?))
        }
        "waive" | "refund" => {
            let (customer, amount, at, reason) = (
                customer(),
                money(&args["amount"]),
                at(),
                text(&args["reason"]),
            );
            let op = if name == "waive" {
                Operation::Waive {
                    customer,
                    amount,
                    at,
                    reason,
                }
            } else {
                Operation::Refund {
                    customer,
                    amount,
                    at,
                    reason,
                }
            };
            Ok(answers::entry(&write(store, args, op)?.into_entry()?))
        }
        "fee" => {
            let op = Operation::PostFee {
                customer: customer(),
                amount: money(&args["amount"]),
                at: at(),
                rental: args.get("rental").map(|r| RentalId::new(id(r))),
                reason: text(&args["reason"]),
            };
            Ok(answers::entry(&write(store, args, op)?.into_entry()?))
        }
        "block" => {
            let op = Operation::BlockCustomer {
                customer: customer(),
                reason: text(&args["reason"]),
                at: at(),
                until: args.get("until").map(time),
            };
            let block = write(store, args, op)?.into_block()?;
            Ok(json!({"blocked": block.is_some()}))
        }
        "unblock" => {
            let op = Operation::UnblockCustomer {
                customer: customer(),
            };
            let block = write(store, args, op)?.into_block()?;
            Ok(json!({"blocked": block.is_some()}))
        }
        "mark_notified" => {
            let keys: Vec<String> = args["keys"]
                .as_array()
                .expect("a list of keys")
                .iter()
                .map(text)
                .collect();
            let op = Operation::MarkNotified { keys, at: at() };
            Ok(json!({"marked": write(store, args, op)?.into_notified()?}))
        }
        "account" => {
            let account = store.account(customer())?;
            let sum: Decimal = account.entries.iter().map(|e| e.signed_amount()).sum();
            assert_eq!(account.balance, sum, "the ledger sums to the balance");
            Ok(json!({
                "balance": account.balance.to_string(),
                "blocked": account.block.is_some(),
                "entries": answers::entry_pairs(&account.entries),
            }))
        }
        "statement" => {
            let statement =
                store.statement(customer(), time(&args["start"]), time(&args["end"]))?;
            Ok(json!({
                "opening": statement.opening_balance.to_string(),
                "closing": statement.closing_balance.to_string(),
                "entries": answers::entry_pairs(&statement.entries),
            }))
        }
        "aging" => {
            let rows = store
                .aged_balances(time(&args["as_of"]))?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows
                .iter()
                .map(|row| {
                    json!({
                        "customer": row.customer.get(),
                        "balance": cents(row.balance),
                        "days_0_30": cents(row.days_0_30),
                        "days_31_60": cents(row.days_31_60),
                        "days_61_90": cents(row.days_61_90),
                        "days_over_90": cents(row.days_over_90),
                    })
                })
                .collect())
        }
        "rental" => Ok(answers::rental(&store.rental(rental())?)),
        "open_rentals" => {
            let open = store.active_rentals()?.collect::<Result<Vec<_>, _>>()?;
            Ok(json!({"rentals": open.iter().map(answers::rental).collect::<Vec<_>>()}))
        }
        "copy" => Ok(answers::copy(&store.storage().copy(copy())?)),
        "hold" => Ok(answers::hold(&store.hold(HoldId::new(id(&args["hold"])))?)),
        "book_holds" => {
            let holds = store.book_holds(BookId::new(id(&args["book"])))?;
            Ok(json!({"holds": holds.iter().map(answers::hold).collect::<Vec<_>>()}))
        }
        "customer_holds" => {
            let holds = store.customer_holds(customer())?;
            Ok(json!({"holds": holds.iter().map(answers::hold).collect::<Vec<_>>()}))
        }
        "notices" => {
            let notices = store.notices(at())?;
            Ok(json!({"notices": notices.iter().map(answers::notice).collect::<Vec<_>>()}))
        }
        other => panic!("unknown call {other:?} (tests/scenarios/README.md lists the calls)"),
    }
}
