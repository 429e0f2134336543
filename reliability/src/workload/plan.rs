//! The plan every writer publishes: story 3's prices with loan periods, late fees, renewals, holds and replacement
//! fees, so that every circulation rule is exercised.

use koko_core::{
    Decimal, HoldsPolicy, LateFee, Limits, PricePlan, RenewFrom, Renewals, Replacement,
};

/// The categories story 3 prices.
pub const CATEGORIES: [&str; 3] = ["regular", "fiction", "novel"];

/// The plan every writer publishes (and the checker tests use): story 3's prices, plus loan periods, late fees,
/// renewals, holds and replacement fees, so that every circulation rule is exercised. Regular: due after 7 days,
/// 0.50 a late day, renewed up to twice from the due date; a lost copy costs 20.00 plus 5.00 processing, the 20.00
/// credited back when found. Novel: due after 3 days, 0.25 a late day, renewed once from the renewal; a lost copy
/// costs 15.00, not credited when found. Fiction: no loan period, so never renewed, and no replacement fee. A copy
/// set aside for a hold waits [`PICKUP_DAYS`] days; a customer has at most [`MAX_HOLDS`] waiting or ready holds.
pub fn plan() -> PricePlan {
    let mut doc = PricePlan::story3().document().clone();
    doc.name = Some("story3-circulation".to_owned());
    let terms = [
        ("regular", 7, 50, 2, RenewFrom::DueDate, (2000, 500, true)),
        ("novel", 3, 25, 1, RenewFrom::Renewal, (1500, 0, false)),
    ];
    for (category, loan_days, per_day_cents, max, from, (fee, processing, refund)) in terms {
        if let Some(tariff) = doc.categories.get_mut(category) {
            tariff.late_fee = Some(LateFee {
                loan_days,
                per_day: Decimal::new(per_day_cents, 2),
                grace_days: 0,
                cap: None,
                count_closed_days: true,
            });
            tariff.renewals = Some(Renewals { max, from });
            tariff.replacement = Some(Replacement {
                fee: Decimal::new(fee, 2),
                processing_fee: (processing > 0).then(|| Decimal::new(processing, 2)),
                refund_when_found: refund,
            });
        }
    }
    doc.holds = Some(HoldsPolicy {
        pickup_days: PICKUP_DAYS,
    });
    doc.limits = Some(Limits {
        max_holds: Some(MAX_HOLDS),
        ..Limits::default()
    });
    PricePlan::new(doc).expect("the workload's plan is valid")
}

/// How many days [`plan`] sets a copy aside for a ready hold.
pub const PICKUP_DAYS: u32 = 2;

/// How many waiting or ready holds [`plan`] lets a customer have.
pub const MAX_HOLDS: u32 = 3;
