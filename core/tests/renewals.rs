//! Renewed due dates and a store calendar's closed days, on the plan alone (pure pricing). The renewal rules on a
//! store (limits, blocks, refusals, due dates after a reopen, rents and renewals on a calendar) are rule scenarios:
//! tests/scenarios/renewals.json, run on every backend by tests/scenarios.rs.

use chrono::{DateTime, TimeZone, Utc};
use koko_core::PricePlan;

fn t(day: u32, hour: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 6, day, hour, 0, 0).unwrap()
}

/// Regular (7-day loans renewed from the due date) and novel (14 days, renewed from the renewal), with the store closed on Sundays and on Monday 2024-06-24 (Berlin).
const CALENDAR_PLAN: &str = r#"{"currency": "USD",
    "calendar": {"time_zone": "Europe/Berlin", "closed_weekdays": ["sunday"], "closed_dates": ["2024-06-24"]},
    "categories": {
        "regular": {"tiers": [{"from_day": 1, "rate": "1.00"}],
                    "late_fee": {"loan_days": 7, "per_day": "0.50"},
                    "renewals": {"max": 2, "from": "due_date"}},
        "novel": {"tiers": [{"from_day": 1, "rate": "1.50"}],
                  "late_fee": {"loan_days": 14, "per_day": "0.25"},
                  "renewals": {"max": 1, "from": "renewal"}}}}"#;

#[test]
fn renewed_due_dates_skip_the_calendars_closed_days() {
    let plan = PricePlan::from_json(CALENDAR_PLAN).unwrap();
    // The plan alone: from the due date, Mon 06-17 10:00Z + 7 days is Mon 06-24, closed: Tue 06-25 10:00Z.
    assert_eq!(
        plan.renewed_due("regular", t(17, 10), t(16, 8), 1).unwrap(),
        t(25, 10)
    );
    // From the renewal, Sun 06-02 10:00Z + 14 days is Sun 06-16, closed: Mon 06-17 10:00Z.
    assert_eq!(
        plan.renewed_due("novel", t(15, 10), t(2, 10), 0).unwrap(),
        t(17, 10)
    );
}
