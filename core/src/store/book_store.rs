//! [`BookStore`]: the type users call, its constructors, its clock and its cache of the plan versions. Its
//! methods are in the modules named for their subject (catalogue, rentals, accounts, circulation, notices,
//! search); every write goes through `writes`.

use std::sync::{Arc, RwLock};

use chrono::{DateTime, Utc};

use crate::clock::{Clock, SystemClock};
use crate::engine::Operation;
use crate::error::{Error, Result};
use crate::ids::PlanVersionId;
use crate::pricing::{version_in_force, PlanVersion, PricePlan};
use crate::storage::{MemoryStorage, Storage};

/// A book store: catalogue, customers, rentals and charging over any [`Storage`].
///
/// Handles are `Send + Sync`: share one (e.g. in an `Arc`) between threads. Every method that changes state is
/// atomic; on error nothing changed.
///
/// ```
/// use chrono::{Duration, TimeZone, Utc};
/// use koko_core::{BookStore, NewBook, NewCustomer, PricePlan};
///
/// let store = BookStore::in_memory(PricePlan::story3()).unwrap();
/// let book = store.add_book(&NewBook::new("The Hobbit", "J. R. R. Tolkien", "novel"), 1).unwrap();
/// let ada = store.register_customer(&NewCustomer::new("Ada", "Lovelace")).unwrap();
///
/// let monday = Utc.with_ymd_and_hms(2024, 6, 3, 10, 0, 0).unwrap();
/// let rental = store.rent_book_at(ada.id, book.id, monday).unwrap();
/// let receipt = store.return_rental_at(rental.id, monday + Duration::hours(71)).unwrap();
/// assert_eq!(receipt.charge.total.to_string(), "4.50"); // 2 days of a novel, minimum 4.50
/// ```
pub struct BookStore<S> {
    pub(super) storage: S,
    clock: Arc<dyn Clock>,
    plans: RwLock<Vec<PlanVersion>>,
}

impl<S> std::fmt::Debug for BookStore<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BookStore").finish_non_exhaustive()
    }
}

impl BookStore<MemoryStorage> {
    /// A store in memory priced by `plan` (effective from the Unix epoch).
    pub fn in_memory(plan: PricePlan) -> Result<Self> {
        BookStore::with_default_plan(MemoryStorage::new(), plan)
    }
}

/// The instant from which a store's first (default) plan is in force: 1970-01-01T00:00:00Z.
pub const DEFAULT_PLAN_START: DateTime<Utc> = DateTime::<Utc>::UNIX_EPOCH;

impl<S: Storage> BookStore<S> {
    /// A store over `storage`, priced by the plan versions stored in it (possibly none yet: see
    /// [`BookStore::publish_plan`]).
    pub fn open(storage: S) -> Result<Self> {
        let plans = storage.plan_versions()?;
        Ok(BookStore {
            storage,
            clock: Arc::new(SystemClock),
            plans: RwLock::new(plans),
        })
    }

    /// A store over `storage`; if it holds no plan version yet, `plan` becomes the first, in force from
    /// [`DEFAULT_PLAN_START`]. A store that already has plans keeps them.
    pub fn with_default_plan(storage: S, plan: PricePlan) -> Result<Self> {
        let store = Self::open(storage)?;
        if store.plan_versions().is_empty() {
            store.publish_plan(plan, DEFAULT_PLAN_START)?;
        }
        Ok(store)
    }

    /// Uses `clock` for "now" (e.g. a [`FixedClock`](crate::FixedClock) in tests).
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// The storage underneath.
    pub fn storage(&self) -> &S {
        &self.storage
    }

    /// The clock's current time.
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    // --- price plans ---------------------------------------------------------------------------------------

    /// Publishes a new plan version that prices rentals opened from `effective_from` on. Rentals opened earlier
    /// keep the version they were opened under.
    pub fn publish_plan(
        &self,
        plan: PricePlan,
        effective_from: DateTime<Utc>,
    ) -> Result<PlanVersion> {
        self.apply(Operation::publish_plan(plan, effective_from))?
            .into_plan_version()
    }

    /// Re-reads the plan versions from storage (needed only when another process publishes plans).
    pub fn reload_plans(&self) -> Result<()> {
        let plans = self.storage.plan_versions()?;
        *self.plans.write().unwrap_or_else(|p| p.into_inner()) = plans;
        Ok(())
    }

    /// Every plan version, in id order.
    pub fn plan_versions(&self) -> Vec<PlanVersion> {
        self.plans.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// The plan version in force at `at`.
    pub fn plan_at(&self, at: DateTime<Utc>) -> Result<PlanVersion> {
        let plans = self.plans.read().unwrap_or_else(|p| p.into_inner());
        version_in_force(&plans, at)
            .cloned()
            .ok_or_else(|| Error::not_found(PlanVersionId::ENTITY, format!("in force at {at}")))
    }

    /// The plan version in force now.
    pub fn current_plan(&self) -> Result<PlanVersion> {
        self.plan_at(self.now())
    }

    pub(super) fn plan_version(&self, id: PlanVersionId) -> Result<PlanVersion> {
        let cached = {
            let plans = self.plans.read().unwrap_or_else(|p| p.into_inner());
            plans.iter().find(|v| v.id == id).cloned()
        };
        match cached {
            Some(version) => Ok(version),
            None => {
                self.reload_plans()?;
                let plans = self.plans.read().unwrap_or_else(|p| p.into_inner());
                plans
                    .iter()
                    .find(|v| v.id == id)
                    .cloned()
                    .ok_or_else(|| Error::not_found(PlanVersionId::ENTITY, id))
            }
        }
    }
}

#[allow(dead_code)]
fn assert_send_sync() {
    fn is<T: Send + Sync>() {}
    is::<BookStore<MemoryStorage>>();
    #[cfg(feature = "sled")]
    is::<BookStore<crate::storage::SledStorage>>();
}
