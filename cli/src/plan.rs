//! `koko init` and `koko plan`: creating a store with its price plan, and showing, publishing and listing the
//! plan versions of a store.

use std::path::Path;

use chrono::{DateTime, SecondsFormat, Utc};
use koko_core::{PlanVersion, PricePlan};

use crate::store::{Failure, Store};

/// A plan named on the command line: `story3` (the store's reference plan) or a JSON file.
pub(crate) fn read(name: &str) -> Result<PricePlan, Failure> {
    if name == "story3" {
        return Ok(PricePlan::story3());
    }
    let path = Path::new(name);
    let json = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read the plan {}: {e}", path.display()))?;
    PricePlan::from_json(&json).map_err(|e| format!("{}: {e}", path.display()).into())
}

/// `koko init PATH [--plan P]`: a new store, with `plan` in force from the start when given.
pub(crate) fn init(store: &Store, name: &str, plan: Option<&str>) -> Result<String, Failure> {
    match plan {
        Some(plan) => {
            let plan = read(plan)?;
            let version = store.publish_plan(plan, koko_core::DEFAULT_PLAN_START)?;
            Ok(format!(
                "created a Koko store at {name}, its plan (version {}) in force from {}",
                version.id,
                instant(version.effective_from)
            ))
        }
        None => Ok(format!(
            "created a Koko store at {name}, without a price plan: publish one with `koko --store {name} plan \
             publish FILE` before importing books"
        )),
    }
}

/// The refusal of a store without a plan, saying how to give it one.
pub(crate) fn none_yet() -> Failure {
    "the store has no price plan, so nothing can be priced or checked against one: publish one with `koko plan \
     publish FILE` (or create stores with `koko init PATH --plan story3|FILE`)"
        .into()
}

/// `koko plan show`: the version in force now, as the JSON a `plan publish` reads.
pub(crate) fn show(store: &Store) -> Result<String, Failure> {
    let versions = store.plan_versions();
    let Some(current) = koko_core::version_in_force(&versions, Utc::now()) else {
        return Err(none_yet());
    };
    Ok(format!(
        "# plan version {}, in force from {}\n{}",
        current.id,
        instant(current.effective_from),
        current.plan.to_json()
    ))
}

/// `koko plan publish FILE [--from T]`: a new version, in force from `from` (now by default).
pub(crate) fn publish(
    store: &Store,
    file: &str,
    from: Option<DateTime<Utc>>,
) -> Result<String, Failure> {
    let plan = read(file)?;
    let from = from.unwrap_or_else(Utc::now);
    let version: PlanVersion = store.publish_plan(plan, from)?;
    Ok(format!(
        "published plan version {}, in force from {}",
        version.id,
        instant(version.effective_from)
    ))
}

/// `koko plan history`: every version, oldest first: id, start, categories.
pub(crate) fn history(store: &Store) -> Result<String, Failure> {
    let mut versions = store.plan_versions();
    if versions.is_empty() {
        return Err(none_yet());
    }
    versions.sort_by_key(|v| v.effective_from);
    let mut out = String::from("version,in_force_from,currency,categories\n");
    for version in versions {
        out.push_str(&format!(
            "{},{},{},{}\n",
            version.id,
            instant(version.effective_from),
            version.plan.currency().code(),
            version.plan.categories().collect::<Vec<_>>().join(" ")
        ));
    }
    Ok(out)
}

fn instant(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}
