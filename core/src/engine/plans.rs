//! Price plan versions in a store: publishing one, the version in force at an instant, the store's one currency,
//! and the rule that a book's category must be priced.

use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::batch::Batch;
use super::events;
use super::view::{IdKind, TxView};
use crate::error::Error;
use crate::ids::PlanVersionId;
use crate::money::Currency;
use crate::pricing::{PlanVersion, PricePlan};

/// The version in force at `at` among `versions`: the latest `effective_from` not after `at`, the higher id on a
/// tie (as [`crate::version_in_force`]).
pub(crate) fn in_force<'a>(
    versions: impl IntoIterator<Item = &'a Arc<PlanVersion>>,
    at: DateTime<Utc>,
) -> Option<&'a Arc<PlanVersion>> {
    versions
        .into_iter()
        .filter(|v| v.effective_from <= at)
        .max_by_key(|v| (v.effective_from, v.id))
}

pub(crate) fn publish_plan<T: TxView>(
    tx: &mut T,
    plan: &PricePlan,
    effective_from: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<PlanVersion, T::E> {
    check_plan_currency(tx, plan.currency())?;
    if tx.plan_starts_at(effective_from)? {
        return Err(Error::Duplicate {
            field: "effective_from",
            value: effective_from.to_rfc3339(),
        }
        .into());
    }
    let version = PlanVersion {
        id: PlanVersionId::new(tx.next_id(IdKind::PlanVersion)?),
        effective_from,
        plan: plan.clone(),
    };
    tx.put_plan_version(&version)?;
    events::plan_published(tx, &version, now)?;
    Ok(version)
}

/// The store's one currency: the currency of its first plan version. Every later version must use it, so every
/// ledger amount is in it and a balance is a single number.
pub(crate) fn store_currency<T: TxView>(tx: &mut T) -> Result<Option<Currency>, T::E> {
    Ok(tx.first_plan()?.map(|v| v.plan.currency()))
}

/// Refuses a plan version whose currency is not the store's.
pub(crate) fn check_plan_currency<T: TxView>(tx: &mut T, currency: Currency) -> Result<(), T::E> {
    match store_currency(tx)? {
        Some(store) if store != currency => Err(Error::invalid_plan(
            "currency",
            format!(
                "the store's currency is {store} (its first plan's); every plan version must use it, so \
                 balances stay in one currency"
            ),
        )
        .into()),
        _ => Ok(()),
    }
}

/// A book's category must be priced: by the plan version in force at the batch's instant, or by a version published
/// earlier in the same batch. A store with no plan in force yet accepts any category.
pub(crate) fn check_category_priced<T: TxView>(
    tx: &mut T,
    category: &str,
    batch: &Batch,
) -> Result<(), T::E> {
    let Some(current) = tx.plan_in_force(batch.now())? else {
        return Ok(());
    };
    let category = category.trim();
    match current.plan.tariff(category) {
        Ok(_) => Ok(()),
        Err(error) => {
            for id in batch.published_plans() {
                if let Some(version) = tx.plan_version(*id)? {
                    if version.plan.tariff(category).is_ok() {
                        return Ok(());
                    }
                }
            }
            Err(error.into())
        }
    }
}
