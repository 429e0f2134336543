//! Invariants of the charging engine over arbitrary valid plans.

use std::collections::BTreeMap;

use chrono::{DateTime, Days, Duration, TimeZone, Utc};
use koko_core::{
    Calendar, Currency, DayCount, Decimal, LateFee, PlanDocument, PricePlan, Rounding, Tariff,
    Tier, Weekday,
};
use proptest::prelude::*;

const ZONES: [&str; 6] = [
    "America/New_York",
    "Europe/Berlin",
    "Asia/Kolkata",
    "Australia/Lord_Howe",
    "Pacific/Chatham",
    "UTC",
];

fn amount() -> impl Strategy<Value = Decimal> {
    (0i64..=2_000_000, 0u32..=6).prop_map(|(mantissa, scale)| Decimal::new(mantissa, scale))
}

fn day_count() -> impl Strategy<Value = DayCount> {
    prop_oneof![
        Just(DayCount::ElapsedWholeDaysMin1),
        Just(DayCount::StartedDays),
        prop::sample::select(ZONES.to_vec())
            .prop_map(|zone| DayCount::calendar_days(zone).unwrap()),
    ]
}

fn rounding() -> impl Strategy<Value = Rounding> {
    prop::sample::select(vec![
        Rounding::HalfEven,
        Rounding::HalfUp,
        Rounding::HalfDown,
        Rounding::Up,
        Rounding::Down,
        Rounding::Ceiling,
        Rounding::Floor,
    ])
}

fn tiers() -> impl Strategy<Value = Vec<Tier>> {
    prop::collection::vec((1u32..15, amount()), 1..5).prop_map(|steps| {
        let mut from_day = 1;
        steps
            .into_iter()
            .enumerate()
            .map(|(i, (gap, rate))| {
                if i > 0 {
                    from_day += gap;
                }
                Tier { from_day, rate }
            })
            .collect()
    })
}

fn late_fee() -> impl Strategy<Value = Option<LateFee>> {
    prop::option::of(
        (1u32..30, amount(), 0u32..5, prop::option::of(amount())).prop_map(
            |(loan_days, per_day, grace_days, cap)| LateFee {
                loan_days,
                per_day,
                grace_days,
                cap,
                count_closed_days: true,
            },
        ),
    )
}

fn tariff() -> impl Strategy<Value = Tariff> {
    (
        tiers(),
        prop::option::of(amount()),
        prop::option::of(amount()),
        prop::option::of(amount()),
        late_fee(),
    )
        .prop_map(|(tiers, flat_fee, a, b, late_fee)| {
            // Keep minimum <= cap when both are present.
            let (minimum, cap) = match (a, b) {
                (Some(x), Some(y)) => (Some(x.min(y)), Some(x.max(y))),
                other => other,
            };
            Tariff {
                tiers,
                flat_fee,
                minimum,
                cap,
                late_fee,
                renewals: None,
                replacement: None,
            }
        })
}

fn plan() -> impl Strategy<Value = PricePlan> {
    (
        prop::sample::select(vec!["USD", "EUR", "JPY", "KWD"]),
        rounding(),
        day_count(),
        prop::collection::btree_map(
            prop::sample::select(vec!["regular", "fiction", "novel", "poetry"]),
            tariff(),
            1..4,
        ),
        prop::option::of(tariff()),
    )
        .prop_map(|(currency, rounding, day_count, categories, default)| {
            let doc = PlanDocument {
                name: Some("generated".into()),
                currency: currency.parse::<Currency>().unwrap(),
                rounding,
                day_count,
                calendar: None,
                categories: categories
                    .into_iter()
                    .map(|(k, v)| (k.to_owned(), v))
                    .collect::<BTreeMap<_, _>>(),
                default,
                limits: None,
                holds: None,
                notices: None,
            };
            PricePlan::new(doc).expect("generated plans are valid")
        })
}

fn instant() -> impl Strategy<Value = DateTime<Utc>> {
    // 2000-01-01 .. 2040-01-01, to the second.
    (946_684_800i64..2_208_988_800).prop_map(|secs| Utc.timestamp_opt(secs, 0).unwrap())
}

const WEEKDAYS: [Weekday; 7] = [
    Weekday::Monday,
    Weekday::Tuesday,
    Weekday::Wednesday,
    Weekday::Thursday,
    Weekday::Friday,
    Weekday::Saturday,
    Weekday::Sunday,
];

/// A plan with a calendar, and a rental time whose due dates land among its closed dates: up to 40 closed dates in
/// the 60 days from `base`, any closed weekdays but not all seven, `count_closed_days` at random; the rental opens
/// 15 days before `base` (loan periods are 1 to 29 days).
fn calendar_plan() -> impl Strategy<Value = (PricePlan, DateTime<Utc>)> {
    (
        plan(),
        prop::sample::select(ZONES.to_vec()),
        0u8..0b111_1111,
        instant(),
        prop::collection::btree_set(0u64..60, 0..40),
        any::<bool>(),
    )
        .prop_map(|(plan, zone, weekdays, base, offsets, count_closed_days)| {
            let mut doc = plan.document().clone();
            // calendar_days needs the calendar in its own zone.
            let time_zone = match doc.day_count {
                DayCount::CalendarDays { time_zone } => time_zone,
                _ => zone.parse().unwrap(),
            };
            let first = base.date_naive();
            doc.calendar = Some(Calendar {
                time_zone,
                closed_weekdays: (0..7)
                    .filter(|bit| weekdays & (1 << bit) != 0)
                    .map(|bit| WEEKDAYS[bit])
                    .collect(),
                closed_dates: offsets
                    .into_iter()
                    .map(|offset| first + Days::new(offset))
                    .collect(),
            });
            for tariff in doc.categories.values_mut().chain(doc.default.as_mut()) {
                if let Some(late) = &mut tariff.late_fee {
                    late.count_closed_days = count_closed_days;
                }
            }
            let plan = PricePlan::new(doc).expect("generated calendars are valid");
            (plan, base - Duration::days(15))
        })
}

/// The same plan with every late fee's `count_closed_days` set to `count`, or without its calendar (`None`).
fn with_closed_days(plan: &PricePlan, count: Option<bool>) -> PricePlan {
    let mut doc = plan.document().clone();
    if count.is_none() {
        doc.calendar = None;
    }
    for tariff in doc.categories.values_mut().chain(doc.default.as_mut()) {
        if let Some(late) = &mut tariff.late_fee {
            late.count_closed_days = count.unwrap_or(true);
        }
    }
    PricePlan::new(doc).unwrap()
}

fn category_of(plan: &PricePlan) -> String {
    plan.categories().next().unwrap_or("regular").to_owned()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn total_never_decreases_as_the_return_time_grows(
        plan in plan(),
        rented in instant(),
        a in 0i64..(400 * 86_400),
        b in 0i64..(400 * 86_400),
    ) {
        let category = category_of(&plan);
        let (early, late) = (a.min(b), a.max(b));
        let q1 = plan.quote(&category, rented, rented + Duration::seconds(early)).unwrap();
        let q2 = plan.quote(&category, rented, rented + Duration::seconds(late)).unwrap();
        prop_assert!(q1.total <= q2.total, "{} then {}", q1.total, q2.total);
        prop_assert!(q1.days <= q2.days);
    }

    #[test]
    fn total_never_decreases_with_more_days(plan in plan(), d1 in 0u32..2_000, d2 in 0u32..2_000) {
        let category = category_of(&plan);
        let t1 = plan.quote_days(&category, d1.min(d2)).unwrap().total;
        let t2 = plan.quote_days(&category, d1.max(d2)).unwrap().total;
        prop_assert!(t1 <= t2);
    }

    #[test]
    fn minimum_and_cap_always_hold(plan in plan(), days in 0u32..5_000) {
        // Late fees come on top of the cap, so check the rental part on the same plan without them.
        let mut doc = plan.document().clone();
        for tariff in doc.categories.values_mut().chain(doc.default.as_mut()) {
            tariff.late_fee = None;
        }
        let plain = PricePlan::new(doc).unwrap();
        let round = |d: Decimal| plan.rounding().round(d, plan.currency());
        for category in plan.categories().map(str::to_owned).collect::<Vec<_>>() {
            let tariff = plan.tariff(&category).unwrap();
            let with_late = plan.quote_days(&category, days).unwrap().total;
            let total = plain.quote_days(&category, days).unwrap().total;
            prop_assert!(with_late >= total, "a late fee never lowers the charge");
            if let Some(minimum) = tariff.minimum {
                prop_assert!(total >= round(minimum), "total {} below minimum {}", total, minimum);
            }
            if let Some(cap) = tariff.cap {
                prop_assert!(total <= round(cap), "total {} above cap {}", total, cap);
            }
            if let Some(late) = &tariff.late_fee {
                if let Some(late_cap) = late.cap {
                    let late_part = with_late - total;
                    prop_assert!(late_part <= round(late_cap) + Decimal::new(1, plan.currency().minor_unit()),
                        "late fee {} above its cap {}", late_part, late_cap);
                }
            }
        }
    }

    #[test]
    fn lines_sum_exactly_to_the_total(plan in plan(), rented in instant(), secs in 0i64..(800 * 86_400)) {
        let category = category_of(&plan);
        let quote = plan.quote(&category, rented, rented + Duration::seconds(secs)).unwrap();
        let minor = plan.currency().minor_unit();
        let sum: Decimal = quote.lines.iter().map(|l| l.amount).sum();
        prop_assert_eq!(sum, quote.total);
        prop_assert_eq!(quote.total.scale(), minor);
        for line in &quote.lines {
            prop_assert_eq!(line.amount.scale(), minor, "{:?}", line);
        }
        prop_assert!(quote.days >= 1);
    }

    #[test]
    fn quote_days_agrees_with_totals_and_curve(plan in plan(), days in 1u32..60) {
        let category = category_of(&plan);
        let curve = plan.price_curve(&category, days).unwrap();
        prop_assert_eq!(curve.len(), days as usize);
        for (i, total) in curve.iter().enumerate() {
            let quote = plan.quote_days(&category, i as u32 + 1).unwrap();
            prop_assert_eq!(&quote.total, total);
            prop_assert_eq!(plan.total_for_days(&category, i as u32 + 1).unwrap(), *total);
        }
    }

    #[test]
    fn any_valid_plan_round_trips_through_json_and_toml(plan in plan()) {
        prop_assert_eq!(&PricePlan::from_json(&plan.to_json()).unwrap(), &plan);
        prop_assert_eq!(&PricePlan::from_toml(&plan.to_toml()).unwrap(), &plan);
    }

    #[test]
    fn any_u32_day_count_gives_a_quote_or_a_typed_error(plan in plan(), days in any::<u32>(), category in "[a-z]{1,8}") {
        match plan.quote_days(&category, days) {
            Ok(quote) => {
                let sum: Decimal = quote.lines.iter().map(|l| l.amount).sum();
                prop_assert_eq!(sum, quote.total);
                // The compiled integer path (or its exact fallback) gives the same number, at the same scale.
                let total = plan.total_for_days(&category, days).unwrap();
                prop_assert_eq!(total.to_string(), quote.total.to_string());
            }
            Err(err) => {
                prop_assert_eq!(err.kind(), "InvalidInput");
                prop_assert!(plan.total_for_days(&category, days).is_err());
            }
        }
    }

    #[test]
    fn any_instants_give_a_quote_or_a_typed_error(plan in plan(), a in any::<i64>(), b in any::<i64>()) {
        let at = |secs: i64| Utc.timestamp_opt(secs % 8_000_000_000_000, 0).single();
        if let (Some(rented), Some(returned)) = (at(a), at(b)) {
            let category = category_of(&plan);
            match plan.quote(&category, rented, returned) {
                Ok(quote) => {
                    prop_assert!(returned >= rented && quote.days >= 1);
                    let due = plan.due_at(&category, rented).unwrap();
                    let total = plan.total_with_due(&category, rented, due, returned).unwrap();
                    prop_assert_eq!(total.to_string(), quote.total.to_string());
                }
                Err(err) => prop_assert_eq!(err.kind(), "InvalidInput", "{}", err),
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn a_computed_due_date_is_the_first_open_day_from_the_plain_one((plan, rented) in calendar_plan()) {
        let calendar = plan.calendar().unwrap().clone();
        let zone = calendar.time_zone;
        let plain = with_closed_days(&plan, None);
        for category in plan.categories().map(str::to_owned).collect::<Vec<_>>() {
            match (plan.due_at(&category, rented).unwrap(), plain.due_at(&category, rented).unwrap()) {
                (Some(due), Some(unmoved)) => {
                    let (date, unmoved_date) = (zone.local_date(due), zone.local_date(unmoved));
                    prop_assert!(!calendar.is_closed(date), "due on a closed day: {}", due);
                    if calendar.is_closed(unmoved_date) {
                        prop_assert!(due > unmoved);
                        // Every local date from the plain due date up to the moved one is closed.
                        let mut day = unmoved_date;
                        while day < date {
                            prop_assert!(calendar.is_closed(day), "{} is open, before {}", day, date);
                            day = day.succ_opt().unwrap();
                        }
                    } else {
                        prop_assert_eq!(due, unmoved);
                    }
                }
                (None, None) => {}
                other => prop_assert!(false, "due dates differ in kind: {:?}", other),
            }
        }
    }

    #[test]
    fn calendars_keep_the_totals_only_path_exact(
        (plan, rented) in calendar_plan(),
        secs in 0i64..(90 * 86_400),
        due_secs in 0i64..(60 * 86_400),
    ) {
        let category = category_of(&plan);
        let returned = rented + Duration::seconds(secs);
        let quote = plan.quote(&category, rented, returned).unwrap();
        let due = plan.due_at(&category, rented).unwrap();
        prop_assert_eq!(plan.total_with_due(&category, rented, due, returned).unwrap(), quote.total);
        let explicit = Some(rented + Duration::seconds(due_secs));
        let renewed = plan.quote_with_due(&category, rented, explicit, returned).unwrap();
        prop_assert_eq!(plan.total_with_due(&category, rented, explicit, returned).unwrap(), renewed.total);
        let sum: Decimal = renewed.lines.iter().map(|l| l.amount).sum();
        prop_assert_eq!(sum, renewed.total);
        prop_assert_eq!(&PricePlan::from_json(&plan.to_json()).unwrap(), &plan);
        prop_assert_eq!(&PricePlan::from_toml(&plan.to_toml()).unwrap(), &plan);
    }

    #[test]
    fn leaving_closed_days_out_never_charges_more(
        (plan, rented) in calendar_plan(),
        secs in 0i64..(90 * 86_400),
        days in 0u32..60,
    ) {
        let (counted, open_only) = (with_closed_days(&plan, Some(true)), with_closed_days(&plan, Some(false)));
        let returned = rented + Duration::seconds(secs);
        for category in plan.categories().map(str::to_owned).collect::<Vec<_>>() {
            let all = counted.quote(&category, rented, returned).unwrap();
            let fewer = open_only.quote(&category, rented, returned).unwrap();
            prop_assert!(fewer.total <= all.total, "{} > {}", fewer.total, all.total);
            prop_assert_eq!(fewer.days, all.days);
            // quote_days has no dates: the calendar changes nothing.
            prop_assert_eq!(open_only.quote_days(&category, days).unwrap(), counted.quote_days(&category, days).unwrap());
        }
    }
}

#[test]
fn the_largest_day_count_is_exact_for_the_largest_rates() {
    let max = koko_core::MAX_PLAN_AMOUNT;
    let plan = PricePlan::from_json(&format!(
        r#"{{"currency": "USD", "categories": {{"x": {{"tiers": [{{"from_day": 1, "rate": "{max}"}}]}}}}}}"#
    ))
    .unwrap();
    let quote = plan.quote_days("x", u32::MAX).unwrap();
    assert_eq!(quote.total, max * Decimal::from(u32::MAX));
}

/// The largest inputs that are *valid*: a day count of `u32::MAX` and a return in year 9999 are quoted exactly.
#[test]
fn huge_day_counts_are_quoted_exactly() {
    let plan = PricePlan::story3();
    let quote = plan.quote_days("regular", u32::MAX).unwrap();
    // 2 days at 1.00, then u32::MAX - 2 days at 1.50.
    let expected = 2 + (u64::from(u32::MAX) - 2) * 3 / 2;
    assert_eq!(quote.total.to_string(), format!("{expected}.50"));
    let rented = Utc.with_ymd_and_hms(2024, 6, 1, 12, 0, 0).unwrap();
    let far = Utc.with_ymd_and_hms(9999, 12, 31, 0, 0, 0).unwrap();
    let quote = plan.quote("fiction", rented, far).unwrap();
    assert_eq!(quote.days as i64, (far - rented).num_days());
}
