//! Runs every case of `core/tests/vectors/*.json` (hand-computed; see the README there). The Python and JS
//! suites read the same files.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use koko_core::{Error, PricePlan, Quote};
use serde::Deserialize;
use serde_json::Value;

#[derive(Deserialize)]
struct VectorFile {
    #[allow(dead_code)]
    description: String,
    cases: Vec<Case>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    name: String,
    plan: Value,
    category: String,
    #[serde(default)]
    rented_at: Option<String>,
    #[serde(default)]
    returned_at: Option<String>,
    #[serde(default)]
    days: Option<u32>,
    /// An explicit due date: the case is quoted with `quote_with_due`.
    #[serde(default)]
    due_at: Option<String>,
    #[serde(default)]
    expect: Option<Expected>,
    /// A due-date case: `Some(None)` is a JSON `null` (no due date).
    #[serde(default, deserialize_with = "present")]
    expect_due_at: Option<Option<String>>,
    #[serde(default)]
    expect_error: Option<ExpectedError>,
    #[serde(default)]
    #[allow(dead_code)]
    note: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Expected {
    days: u32,
    total: String,
    currency: String,
    lines: Vec<ExpectedLine>,
}

#[derive(Deserialize, PartialEq, Debug)]
#[serde(deny_unknown_fields)]
struct ExpectedLine {
    description: String,
    amount: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ExpectedError {
    kind: String,
    field: String,
}

/// Tells a field written as `null` (`Some(None)`) from one left out (`None`, by `#[serde(default)]`).
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(d).map(Some)
}

fn vector_files() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("vectors folder")
        .map(|entry| entry.expect("dir entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .collect();
    files.sort();
    files
}

fn plan_of(value: &Value) -> Result<PricePlan, Error> {
    match value {
        Value::String(preset) => PricePlan::preset(preset),
        other => PricePlan::from_json(&other.to_string()),
    }
}

fn time(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .unwrap_or_else(|e| panic!("bad timestamp {text:?} in a vector: {e}"))
        .with_timezone(&Utc)
}

fn run(case: &Case) -> Result<Quote, Error> {
    let plan = plan_of(&case.plan)?;
    match (&case.rented_at, &case.returned_at, case.days) {
        (Some(rented), Some(returned), None) => match &case.due_at {
            Some(due) => plan.quote_with_due(
                &case.category,
                time(rented),
                Some(time(due)),
                time(returned),
            ),
            None => plan.quote(&case.category, time(rented), time(returned)),
        },
        (None, None, Some(days)) => plan.quote_days(&case.category, days),
        _ => panic!(
            "case {:?} needs rented_at + returned_at, or days",
            case.name
        ),
    }
}

/// The same case through the totals-only path (compiled integer tariffs), which builds no lines.
fn run_total(case: &Case) -> Result<String, Error> {
    let plan = plan_of(&case.plan)?;
    let total = match (&case.rented_at, &case.returned_at, case.days) {
        (Some(rented), Some(returned), None) => {
            let due = match &case.due_at {
                Some(due) => Some(time(due)),
                None => plan.due_at(&case.category, time(rented))?,
            };
            plan.total_with_due(&case.category, time(rented), due, time(returned))?
        }
        _ => plan.total_for_days(&case.category, case.days.unwrap_or_default())?,
    };
    Ok(total.to_string())
}

/// A due-date case: `plan.due_at(category, rented_at)` is the expected instant, or `None` for `null`.
fn check_due(case: &Case, expected: Option<&str>) -> Result<(), String> {
    let (Some(rented), None, None, None, None, None) = (
        &case.rented_at,
        &case.returned_at,
        case.days,
        &case.due_at,
        &case.expect,
        &case.expect_error,
    ) else {
        return Err("a due-date case has rented_at and expect_due_at, and nothing else".to_owned());
    };
    let got = plan_of(&case.plan)
        .and_then(|plan| plan.due_at(&case.category, time(rented)))
        .map_err(|err| format!("expected a due date, got {err:?}"))?;
    let want = expected.map(time);
    if got == want {
        Ok(())
    } else {
        Err(format!("expected due at {want:?}\n     got {got:?}"))
    }
}

fn check(case: &Case) -> Result<(), String> {
    if let Some(expected) = &case.expect_due_at {
        return check_due(case, expected.as_deref());
    }
    let outcome = run(case);
    match (&case.expect, &case.expect_error, outcome) {
        (Some(expected), None, Ok(quote)) => {
            match run_total(case) {
                Ok(total) if total == expected.total => {}
                other => {
                    return Err(format!(
                        "totals-only path: expected {:?}, got {other:?}",
                        expected.total
                    ))
                }
            }
            let lines: Vec<ExpectedLine> = quote
                .lines
                .iter()
                .map(|l| ExpectedLine {
                    description: l.description.clone(),
                    amount: l.amount.to_string(),
                })
                .collect();
            let got = (
                quote.days,
                quote.total.to_string(),
                quote.currency.code().to_owned(),
                lines,
            );
            let want = (
                expected.days,
                expected.total.clone(),
                expected.currency.clone(),
                expected
                    .lines
                    .iter()
                    .map(|l| ExpectedLine {
                        description: l.description.clone(),
                        amount: l.amount.clone(),
                    })
                    .collect::<Vec<_>>(),
            );
            if got == want {
                Ok(())
            } else {
                Err(format!("expected {want:?}\n     got {got:?}"))
            }
        }
        (None, Some(expected), Err(err)) => {
            if err.kind() == expected.kind && err.field() == Some(expected.field.as_str()) {
                Ok(())
            } else {
                Err(format!(
                    "expected {} on {:?}, got {err:?}",
                    expected.kind, expected.field
                ))
            }
        }
        (Some(_), None, Err(err)) => Err(format!("expected a quote, got {err:?}")),
        (None, Some(expected), Ok(quote)) => Err(format!(
            "expected {} on {:?}, got a quote of {}",
            expected.kind, expected.field, quote.total
        )),
        _ => Err("a case needs exactly one of expect / expect_error".to_owned()),
    }
}

#[test]
fn every_golden_vector_matches() {
    let files = vector_files();
    assert!(!files.is_empty(), "no vector files found");
    let mut total = 0;
    let mut failures = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).expect("read vector file");
        let parsed: VectorFile = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("{} is not a vector file: {e}", file.display()));
        assert!(!parsed.cases.is_empty(), "{} has no cases", file.display());
        for case in &parsed.cases {
            total += 1;
            if let Err(why) = check(case) {
                let name = file.file_name().unwrap_or_default().to_string_lossy();
                failures.push(format!("{name}: {}\n     {why}", case.name));
            }
        }
    }
    println!(
        "golden vectors: {total} cases in {} files, {} failed",
        files.len(),
        failures.len()
    );
    assert!(
        failures.is_empty(),
        "{} of {total} vectors failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(
        total >= 100,
        "expected at least 100 golden cases, found {total}"
    );
}

/// The acceptance facts of the original store, stated once more outside the data files.
#[test]
fn the_original_stories_hold() {
    let story3 = PricePlan::story3();
    let t0 = time("2024-01-01T09:00:00Z");
    let cases = [
        ("regular", 47, "2.00"),
        ("regular", 72, "3.50"),
        ("novel", 71, "4.50"),
        ("fiction", 48, "6.00"),
    ];
    for (category, hours, total) in cases {
        let quote = story3
            .quote(category, t0, t0 + chrono::Duration::hours(hours))
            .unwrap();
        assert_eq!(quote.total.to_string(), total, "{category} {hours} h");
    }
}
