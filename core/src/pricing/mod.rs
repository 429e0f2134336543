//! The charging engine: pure functions from (plan, category, times or days) to an itemised [`Quote`].
//!
//! Nothing here touches storage.

mod amount;
mod calendar;
mod circulation;
mod compiled;
mod day_count;
mod limits;
mod plan;
mod presets;
mod quote;
mod tariff;
mod time_zone;
mod version;

pub use amount::{MAX_MONEY_DECIMALS, MAX_PLAN_AMOUNT};
pub use calendar::{Calendar, Weekday, MAX_CLOSED_DATES};
pub use circulation::{HoldsPolicy, NoticesPolicy, Replacement, DEFAULT_PICKUP_DAYS};
pub use day_count::DayCount;
pub use limits::Limits;
pub use plan::{PlanDocument, PricePlan};
pub use quote::{Quote, QuoteLine, RECORDED_CHARGE};
pub use tariff::{LateFee, RenewFrom, Renewals, Tariff, Tier};
pub use time_zone::TimeZone;
pub use version::{version_in_force, PlanVersion};
