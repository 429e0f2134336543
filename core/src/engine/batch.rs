//! What the operations of one batch share.

use chrono::{DateTime, Utc};

use crate::ids::PlanVersionId;

/// What the operations of one batch share: the instant the store's clock gave when the batch was submitted
/// (the time of an operation that names none), and the plan versions published earlier in the batch.
#[derive(Clone, Debug)]
pub(crate) struct Batch {
    now: DateTime<Utc>,
    published: Vec<PlanVersionId>,
}

impl Batch {
    /// A batch submitted at `now` (by the store's clock).
    pub(crate) fn new(now: DateTime<Utc>) -> Self {
        Batch {
            now,
            published: Vec::new(),
        }
    }

    /// The store's clock when the batch was submitted.
    pub(crate) fn now(&self) -> DateTime<Utc> {
        self.now
    }

    /// The plan versions published earlier in the batch, in order.
    pub(crate) fn published_plans(&self) -> &[PlanVersionId] {
        &self.published
    }

    /// Notes a plan version the batch published.
    pub(crate) fn published(&mut self, version: PlanVersionId) {
        self.published.push(version);
    }
}
