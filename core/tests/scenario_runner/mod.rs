//! Runs one scenario file on one backend: reads it, makes a fresh store per scenario with the scenario's plan, runs
//! each step through [`BookStore`] ([`calls`]), and compares the answer with what the step expects ([`matches`]).

mod answers;
mod calls;

use std::path::PathBuf;

use koko_core::{BookStore, PricePlan};
use serde_json::Value;

use crate::Reopen;

/// The folder of the scenario files.
pub fn folder() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/scenarios")
}

fn load(file: &str) -> Value {
    let path = folder().join(format!("{file}.json"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A scenario's plan: a plan of the file's `plans` by name, a preset by name, or a plan document.
fn plan(file: &Value, spec: &Value) -> PricePlan {
    match spec {
        Value::String(name) => match file.get("plans").and_then(|p| p.get(name)) {
            Some(doc) => PricePlan::from_json(&doc.to_string()).expect("the file's plan"),
            None => PricePlan::preset(name).expect("a preset"),
        },
        doc => PricePlan::from_json(&doc.to_string()).expect("a plan document"),
    }
}

/// Whether `got` answers what `expected` asks: an object names only the keys it checks (recursively), a list is
/// compared item by item (same length), anything else must be equal.
pub fn matches(expected: &Value, got: &Value) -> bool {
    match (expected, got) {
        (Value::Object(want), Value::Object(have)) => want
            .iter()
            .all(|(key, value)| matches(value, have.get(key).unwrap_or(&Value::Null))),
        (Value::Array(want), Value::Array(have)) => {
            want.len() == have.len() && want.iter().zip(have).all(|(w, h)| matches(w, h))
        }
        _ => expected == got,
    }
}

/// A step's call and its arguments (the one key besides `expect`, `error` and `note`).
pub fn call(step: &Value) -> (&str, &Value) {
    step.as_object()
        .and_then(|o| {
            o.iter()
                .find(|(k, _)| !matches!(k.as_str(), "expect" | "error" | "note"))
        })
        .map(|(k, v)| (k.as_str(), v))
        .unwrap_or_else(|| panic!("a step names its call: {step}"))
}

fn check(outcome: Result<Value, koko_core::Error>, step: &Value, label: &str) {
    match (outcome, step.get("error")) {
        (Ok(got), None) => {
            if let Some(expect) = step.get("expect") {
                assert!(
                    matches(expect, &got),
                    "{label}\n  expected {expect}\n  got      {got}"
                );
            }
        }
        (Ok(got), Some(error)) => panic!("{label}\n  expected the error {error}, got {got}"),
        (Err(err), None) => panic!("{label}\n  unexpected error {}: {err}", err.kind()),
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

/// Runs every scenario of `tests/scenarios/{file}.json` on a fresh store of backend `B` each.
pub fn run_file<B: Reopen>(file: &str) {
    let doc = load(file);
    let scenarios = doc["scenarios"].as_array().expect("a list of scenarios");
    assert!(!scenarios.is_empty(), "{file}: no scenario");
    for scenario in scenarios {
        let name = scenario["name"].as_str().expect("a name");
        let steps = scenario["steps"].as_array().expect("steps");
        let mut backend = B::fresh();
        let mut next = 0;
        let mut first = true;
        while next < steps.len() {
            let store = if first {
                BookStore::with_default_plan(backend.storage(), plan(&doc, &scenario["plan"]))
            } else {
                BookStore::open(backend.storage())
            }
            .expect("a store");
            first = false;
            while next < steps.len() {
                let step = &steps[next];
                next += 1;
                if call(step).0 == "reopen" {
                    break;
                }
                let label = format!("{file}.json / {name} / step {next}: {step}");
                check(calls::run(&store, step), step, &label);
            }
            drop(store);
            if next < steps.len() {
                backend = backend.reopened();
            }
        }
    }
}
