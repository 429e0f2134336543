//! Versions of the store's price plan over time.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::plan::PricePlan;
use crate::ids::PlanVersionId;

/// One version of the store's price plan, in force from `effective_from` until the next version starts.
///
/// A rental is charged under the version in force when it was opened; that version's id is stored on it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanVersion {
    /// The version's id.
    pub id: PlanVersionId,
    /// The instant from which this version prices new rentals.
    pub effective_from: DateTime<Utc>,
    /// The plan.
    pub plan: PricePlan,
}

/// The version in force at `at`: the one with the latest `effective_from` not after `at`.
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use koko_core::{version_in_force, PlanVersion, PlanVersionId, PricePlan};
///
/// let v1 = PlanVersion { id: PlanVersionId::new(1), effective_from: Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap(), plan: PricePlan::story1() };
/// let v2 = PlanVersion { id: PlanVersionId::new(2), effective_from: Utc.with_ymd_and_hms(2024, 6, 1, 0, 0, 0).unwrap(), plan: PricePlan::story3() };
/// let versions = [v1, v2];
/// let at = Utc.with_ymd_and_hms(2024, 3, 1, 0, 0, 0).unwrap();
/// assert_eq!(version_in_force(&versions, at).unwrap().id, PlanVersionId::new(1));
/// assert!(version_in_force(&versions, Utc.with_ymd_and_hms(2023, 1, 1, 0, 0, 0).unwrap()).is_none());
/// ```
pub fn version_in_force(versions: &[PlanVersion], at: DateTime<Utc>) -> Option<&PlanVersion> {
    versions
        .iter()
        .filter(|v| v.effective_from <= at)
        .max_by_key(|v| (v.effective_from, v.id))
}
