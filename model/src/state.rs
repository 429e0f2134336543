//! The model's state: a whole store as plain maps, and what the rules ask of it (the plan in force, the store's
//! currency, the pickup deadline, the next id).

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use koko_core::check::Snapshot;
use koko_core::{PlanVersion, PlanVersionId, PricePlan, Rental};

use crate::rejected::Rejected;

/// The store the rules say an empty store becomes after the operations applied so far.
#[derive(Clone, Debug, Default)]
pub struct Model {
    /// Every record, as the store must hold it (the indexes and listing problems stay empty: [`crate::diff`] compares
    /// records).
    pub state: Snapshot,
    /// The plan versions published by the batch being applied (a category they price may be used in it).
    pub(crate) published: Vec<PlanVersionId>,
}

impl Model {
    /// An empty store with `plan` in force from [`koko_core::DEFAULT_PLAN_START`] (plan version 1), as
    /// `BookStore::with_default_plan` opens one.
    pub fn with_plan(plan: PricePlan) -> Self {
        let mut model = Model::default();
        model.state.plans.push(PlanVersion {
            id: PlanVersionId::new(1),
            effective_from: koko_core::DEFAULT_PLAN_START,
            plan,
        });
        model
    }

    /// A model of the store `state` holds (e.g. a snapshot read before a run).
    pub fn from_snapshot(state: Snapshot) -> Self {
        Model {
            state,
            published: Vec::new(),
        }
    }
}

impl Model {
    /// The plan version in force at `at`: the latest to start at or before it, the higher id on a tie.
    pub fn plan_in_force(&self, at: DateTime<Utc>) -> Option<&PlanVersion> {
        self.state
            .plans
            .iter()
            .filter(|v| v.effective_from <= at)
            .max_by_key(|v| (v.effective_from, v.id))
    }

    /// The plan version `rental` was rented under.
    pub fn plan_of(&self, rental: &Rental) -> &PricePlan {
        &self
            .state
            .plans
            .iter()
            .find(|v| v.id == rental.plan_version)
            .unwrap_or_else(|| panic!("the model's rental {} names an unknown plan", rental.id))
            .plan
    }

    /// The store's currency: its first plan version's.
    pub fn currency(&self) -> Option<koko_core::Currency> {
        self.state
            .plans
            .iter()
            .min_by_key(|v| v.id)
            .map(|v| v.plan.currency())
    }

    /// Until when a copy set aside at `at` waits: the pickup days of the plan in force then.
    pub(crate) fn pickup_deadline(&self, at: DateTime<Utc>) -> Result<DateTime<Utc>, Rejected> {
        let days = self
            .plan_in_force(at)
            .map_or(koko_core::DEFAULT_PICKUP_DAYS, |v| {
                v.plan.holds().pickup_days
            });
        at.checked_add_signed(Duration::days(i64::from(days)))
            .ok_or(Rejected::invalid("at"))
    }
}

/// The next id of a kind: one above the largest so far (ids start at 1 and are never reused).
pub(crate) fn next_id<V>(records: &BTreeMap<u64, V>) -> u64 {
    records.keys().next_back().map_or(1, |last| last + 1)
}
