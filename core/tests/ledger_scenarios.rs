//! The shared ledger scenarios (`tests/ledger/scenarios.json`, worked out by hand and also run from Python) on
//! every backend: each step is one call through [`BookStore`], and its answer or error must be the one written
//! down.

mod common;

use chrono::{DateTime, Utc};
use koko_core::{
    BookId, BookStore, CustomerId, Decimal, Error, NewBook, NewCustomer, Operation, Outcome,
    PricePlan, RentTarget, RentalId, Storage,
};
use serde_json::Value;

#[cfg(feature = "postgres")]
use common::Postgres;
use common::{Backend, Memory, Sled};

const SCENARIOS: &str = include_str!("ledger/scenarios.json");

fn scenarios() -> Vec<Value> {
    let doc: Value = serde_json::from_str(SCENARIOS).expect("scenarios parse");
    doc["scenarios"].as_array().expect("a list").clone()
}

fn plan(spec: &Value) -> PricePlan {
    match spec {
        Value::String(name) => PricePlan::preset(name).expect("preset"),
        doc => PricePlan::from_json(&doc.to_string()).expect("plan"),
    }
}

fn time(v: &Value) -> DateTime<Utc> {
    v.as_str()
        .expect("an RFC 3339 string")
        .parse()
        .expect("a time")
}

fn money(v: &Value) -> Decimal {
    v.as_str()
        .expect("money as a string")
        .parse()
        .expect("money")
}

fn id(v: &Value) -> u64 {
    v.as_u64().expect("an id")
}

fn text(v: &Value) -> String {
    v.as_str().expect("text").to_owned()
}

/// What a step answered, in the scenario file's terms.
fn answer(outcome: Result<Value, Error>, step: &Value, label: &str) {
    match (outcome, step.get("error")) {
        (Ok(got), None) => {
            if let Some(expect) = step.get("expect") {
                assert_eq!(&got, expect, "{label}");
            }
        }
        (Ok(got), Some(error)) => panic!("{label}: expected {error}, got {got}"),
        (Err(err), None) => panic!("{label}: unexpected {err}"),
        (Err(err), Some(error)) => {
            assert_eq!(
                err.kind(),
                error["kind"].as_str().unwrap(),
                "{label}: {err}"
            );
            if let Some(field) = error.get("field") {
                assert_eq!(err.field(), field.as_str(), "{label}: {err}");
            }
        }
    }
}

/// Applies an operation, under the step's idempotency key if it has one.
fn apply<S: Storage>(store: &BookStore<S>, args: &Value, op: Operation) -> Result<Outcome, Error> {
    match args.get("key").and_then(Value::as_str) {
        Some(key) => store.apply_idempotent(key, op, false),
        None => store
            .apply_batch(vec![op])?
            .into_iter()
            .next()
            .expect("one answer"),
    }
}

fn entries_json(entries: &[koko_core::LedgerEntry]) -> Value {
    Value::Array(
        entries
            .iter()
            .map(|e| serde_json::json!([e.kind.name(), e.amount.to_string()]))
            .collect(),
    )
}

fn run_step<S: Storage>(store: &BookStore<S>, step: &Value) -> Result<Value, Error> {
    let (name, args) = step
        .as_object()
        .and_then(|o| {
            o.iter()
                .find(|(k, _)| !matches!(k.as_str(), "expect" | "error"))
        })
        .expect("a step names its call");
    let entry = |outcome: Outcome| -> Result<Value, Error> {
        let entry = outcome.into_entry()?;
        Ok(
            serde_json::json!({"balance": entry.balance_after.to_string(), "amount": entry.amount.to_string()}),
        )
    };
    match name.as_str() {
        "add_book" => {
            let book = NewBook::new(
                text(&args["title"]),
                text(&args["author"]),
                text(&args["category"]),
            );
            store.add_book(&book, args["copies"].as_u64().unwrap() as u32)?;
            Ok(Value::Null)
        }
        "register" => {
            store.register_customer(&NewCustomer::new(
                text(&args["first_name"]),
                text(&args["last_name"]),
            ))?;
            Ok(Value::Null)
        }
        "rent" => {
            let op = Operation::Rent {
                target: RentTarget::Book(BookId::new(id(&args["book"]))),
                customer: CustomerId::new(id(&args["customer"])),
                at: time(&args["at"]),
            };
            let rental = apply(store, args, op)?.into_rental()?;
            Ok(serde_json::json!({"rental": rental.id.get()}))
        }
        "return" => {
            let op = Operation::return_at(RentalId::new(id(&args["rental"])), time(&args["at"]));
            let receipt = store.receipt(apply(store, args, op)?.into_rental()?)?;
            Ok(
                serde_json::json!({"charge": receipt.charge.total.to_string(), "balance": receipt.balance.to_string()}),
            )
        }
        "pay" => {
            let op = Operation::Pay {
                customer: CustomerId::new(id(&args["customer"])),
                amount: money(&args["amount"]),
                currency: args
                    .get("currency")
                    .map(|c| c.as_str().unwrap().parse().unwrap()),
                at: time(&args["at"]),
                note: args.get("note").map(text),
            };
            entry(apply(store, args, op)?)
        }
        "waive" | "refund" => {
            let (customer, amount, at, reason) = (
                CustomerId::new(id(&args["customer"])),
                money(&args["amount"]),
                time(&args["at"]),
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
            entry(apply(store, args, op)?)
        }
        "block" => {
            let op = Operation::BlockCustomer {
                customer: CustomerId::new(id(&args["customer"])),
                reason: text(&args["reason"]),
                at: time(&args["at"]),
                until: args.get("until").map(time),
            };
            apply(store, args, op)?.into_block()?;
            Ok(Value::Null)
        }
        "unblock" => {
            let op = Operation::UnblockCustomer {
                customer: CustomerId::new(id(&args["customer"])),
            };
            apply(store, args, op)?.into_block()?;
            Ok(Value::Null)
        }
        "account" => {
            let account = store.account(CustomerId::new(id(&args["customer"])))?;
            assert_eq!(
                account.balance,
                account
                    .entries
                    .iter()
                    .map(|e| e.signed_amount())
                    .sum::<Decimal>(),
                "the ledger sums to the balance"
            );
            Ok(serde_json::json!({
                "balance": account.balance.to_string(),
                "blocked": account.block.is_some(),
                "entries": entries_json(&account.entries),
            }))
        }
        "statement" => {
            let statement = store.statement(
                CustomerId::new(id(&args["customer"])),
                time(&args["start"]),
                time(&args["end"]),
            )?;
            Ok(serde_json::json!({
                "opening": statement.opening_balance.to_string(),
                "closing": statement.closing_balance.to_string(),
                "entries": entries_json(&statement.entries),
            }))
        }
        "aging" => {
            let rows = store
                .aged_balances(time(&args["as_of"]))?
                .collect::<Result<Vec<_>, _>>()?;
            // Buckets compare as numbers: an empty bucket is 0 whatever its scale.
            let expected = step["expect"].as_array().expect("rows");
            assert_eq!(rows.len(), expected.len(), "aging rows");
            for (row, want) in rows.iter().zip(expected) {
                assert_eq!(row.customer.get(), id(&want["customer"]));
                for (got, key) in [
                    (row.balance, "balance"),
                    (row.days_0_30, "days_0_30"),
                    (row.days_31_60, "days_31_60"),
                    (row.days_61_90, "days_61_90"),
                    (row.days_over_90, "days_over_90"),
                ] {
                    assert_eq!(got, money(&want[key]), "aging {key}");
                }
            }
            Ok(step["expect"].clone())
        }
        other => panic!("unknown step {other}"),
    }
}

fn run_all<B: Backend>() {
    let mut steps = 0;
    for scenario in scenarios() {
        let b = B::fresh();
        let store =
            BookStore::with_default_plan(b.storage(), plan(&scenario["plan"])).expect("store");
        for (i, step) in scenario["steps"].as_array().unwrap().iter().enumerate() {
            let label = format!("{} / step {}: {step}", scenario["name"], i + 1);
            answer(run_step(&store, step), step, &label);
            steps += 1;
        }
    }
    assert!(steps > 60, "only {steps} steps ran");
}

#[test]
fn memory() {
    run_all::<Memory>();
}

#[test]
fn sled() {
    run_all::<Sled>();
}

#[cfg(feature = "postgres")]
#[test]
fn postgres() {
    run_all::<Postgres>();
}
