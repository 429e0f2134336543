//! Shared pieces of the koko-core fuzz targets:
//!
//! - [`GenPlan`]: a structured generator that turns fuzzer bytes into *valid* plan documents (JSON text) most of
//!   the time, so the quoting and store targets spend their time pricing rather than being rejected by validation;
//! - [`model`]: an independent reference implementation of the pricing rules written down in
//!   `core/tests/vectors/README.md` (billable days, late days, lines, rounding), computed in exact integer
//!   micro-units, against which every quote is checked;
//! - [`check_quote_shape`]: the invariants every [`Quote`] must satisfy whatever produced it.

use arbitrary::Arbitrary;
use chrono::{DateTime, TimeDelta, TimeZone as _, Utc};
use koko_core::{Decimal, PricePlan, Quote, MAX_MONEY_DECIMALS};
use serde_json::{json, Map, Value};

pub mod model;

/// Currencies with every minor unit ISO 4217 has: 2, 0, 3, 4 (CLF), and none at all (XAU: kept whole).
pub const CURRENCIES: &[&str] = &["USD", "JPY", "KWD", "EUR", "BHD", "CLF", "XAU"];

/// Every rounding strategy a plan may name.
pub const ROUNDINGS: &[&str] = &[
    "half_even",
    "half_up",
    "half_down",
    "up",
    "down",
    "ceiling",
    "floor",
];

/// Time zones with the edge cases calendar days must survive: DST at midnight (Sao Paulo, Havana), skipped whole
/// days (Apia 2011-12-30, Kiritimati 1994-12-31), half-hour DST (Lord Howe), odd offsets (Kathmandu, Chatham),
/// negative DST (Dublin), a 2-hour DST (Troll), Ramadan DST (Casablanca) and a midnight that never happened
/// (Monrovia 1972-01-07 began at 00:44:30).
pub const TIME_ZONES: &[&str] = &[
    "UTC",
    "Europe/Berlin",
    "America/New_York",
    "America/Sao_Paulo",
    "America/Havana",
    "Pacific/Apia",
    "Pacific/Kiritimati",
    "Australia/Lord_Howe",
    "Asia/Kathmandu",
    "Pacific/Chatham",
    "Europe/Dublin",
    "Antarctica/Troll",
    "Africa/Casablanca",
    "America/St_Johns",
    "Asia/Tehran",
    "Africa/Monrovia",
];

/// Category names a generated plan prices (and a quote asks for); the last ones are never priced by name.
pub const CATEGORIES: &[&str] = &[
    "regular", "fiction", "novel", "poetry", "Regular", "unpriced", " regular",
];

/// How many of [`CATEGORIES`] a generated plan may name.
const PRICEABLE: usize = 4;

/// The largest loan period generated. Bigger ones are valid, but push due dates past the year 262 143 that
/// chrono can represent, which the quote target keeps out of the window where it demands an answer.
pub const MAX_GEN_LOAN_DAYS: u32 = 1_000_000;

/// A money amount, biased toward the everyday (cents) but reaching every scale and the largest accepted value.
#[derive(Arbitrary, Debug, Clone, Copy)]
pub enum GenAmount {
    /// `n / 100`.
    Cents(u16),
    /// A whole amount.
    Whole(u8),
    /// Up to [`MAX_MONEY_DECIMALS`] decimals.
    Fine { mantissa: u32, scale: u8 },
    /// Up to the largest accepted amount, 1 000 000 000.
    Large { mantissa: u64, scale: u8 },
    /// Zero, written with some scale (`0`, `0.00`…).
    Zero { scale: u8 },
}

impl GenAmount {
    /// The amount as a decimal string, always a valid plan amount.
    pub fn text(self) -> String {
        let max_scale = MAX_MONEY_DECIMALS as u8 + 1;
        let d = match self {
            GenAmount::Cents(c) => Decimal::new(i64::from(c), 2),
            GenAmount::Whole(w) => Decimal::from(w),
            GenAmount::Fine { mantissa, scale } => bounded(u64::from(mantissa), scale % max_scale),
            GenAmount::Large { mantissa, scale } => bounded(mantissa, scale % max_scale),
            GenAmount::Zero { scale } => Decimal::new(0, u32::from(scale % max_scale)),
        };
        d.to_string()
    }
}

/// `mantissa / 10^scale`, wrapped into the accepted range `0..=1_000_000_000`.
fn bounded(mantissa: u64, scale: u8) -> Decimal {
    let scale = u32::from(scale);
    let limit = 1_000_000_000u64 * 10u64.pow(scale);
    Decimal::new((mantissa % (limit + 1)) as i64, scale)
}

/// A day count or gap, biased toward small values.
#[derive(Arbitrary, Debug, Clone, Copy)]
pub enum GenDays {
    Small(u8),
    Medium(u16),
    Large(u32),
}

impl GenDays {
    pub fn get(self) -> u32 {
        match self {
            GenDays::Small(d) => u32::from(d % 16),
            GenDays::Medium(d) => u32::from(d),
            GenDays::Large(d) => d,
        }
    }
}

/// A late fee.
#[derive(Arbitrary, Debug, Clone)]
pub struct GenLateFee {
    pub loan_days: GenDays,
    pub per_day: GenAmount,
    pub grace_days: Option<GenDays>,
    pub cap: Option<GenAmount>,
}

/// A tariff: 1 to 6 tiers (the first at day 1), optional flat fee, minimum, cap and late fee.
#[derive(Arbitrary, Debug, Clone)]
pub struct GenTariff {
    pub first_rate: GenAmount,
    pub more_tiers: Vec<(GenDays, GenAmount)>,
    pub flat_fee: Option<GenAmount>,
    pub minimum: Option<GenAmount>,
    pub cap: Option<GenAmount>,
    pub late_fee: Option<GenLateFee>,
}

/// The day-count policy.
#[derive(Arbitrary, Debug, Clone, Copy)]
pub enum GenDayCount {
    /// Not written: the default.
    Omitted,
    Elapsed,
    Started,
    Calendar(u8),
}

/// A whole plan document.
#[derive(Arbitrary, Debug, Clone)]
pub struct GenPlan {
    pub name: bool,
    pub currency: u8,
    pub rounding: Option<u8>,
    pub day_count: GenDayCount,
    pub categories: Vec<(u8, GenTariff)>,
    pub default: Option<GenTariff>,
}

fn pick<'a>(list: &[&'a str], i: u8) -> &'a str {
    list[usize::from(i) % list.len()]
}

impl GenTariff {
    fn to_json(&self) -> Value {
        let mut tiers = vec![json!({"from_day": 1, "rate": self.first_rate.text()})];
        let mut from_day = 1u32;
        for (gap, rate) in self.more_tiers.iter().take(5) {
            match from_day.checked_add(gap.get().max(1)) {
                Some(next) => from_day = next,
                None => break,
            }
            tiers.push(json!({"from_day": from_day, "rate": rate.text()}));
        }
        let mut t = Map::new();
        t.insert("tiers".into(), Value::Array(tiers));
        if let Some(flat) = self.flat_fee {
            t.insert("flat_fee".into(), flat.text().into());
        }
        // A minimum above the cap is invalid: order the pair.
        let (mut minimum, mut cap) = (
            self.minimum.map(GenAmount::text),
            self.cap.map(GenAmount::text),
        );
        if let (Some(m), Some(c)) = (&minimum, &cap) {
            let (dm, dc): (Decimal, Decimal) =
                (m.parse().unwrap_or_default(), c.parse().unwrap_or_default());
            if dm > dc {
                std::mem::swap(&mut minimum, &mut cap);
            }
        }
        if let Some(m) = minimum {
            t.insert("minimum".into(), m.into());
        }
        if let Some(c) = cap {
            t.insert("cap".into(), c.into());
        }
        if let Some(late) = &self.late_fee {
            let mut l = Map::new();
            l.insert(
                "loan_days".into(),
                late.loan_days.get().clamp(1, MAX_GEN_LOAN_DAYS).into(),
            );
            l.insert("per_day".into(), late.per_day.text().into());
            if let Some(grace) = late.grace_days {
                l.insert("grace_days".into(), grace.get().into());
            }
            if let Some(cap) = late.cap {
                l.insert("cap".into(), cap.text().into());
            }
            t.insert("late_fee".into(), Value::Object(l));
        }
        Value::Object(t)
    }
}

impl GenPlan {
    /// The plan as a JSON document.
    pub fn to_json(&self) -> String {
        let mut doc = Map::new();
        if self.name {
            doc.insert("name".into(), "fuzzed plan".into());
        }
        doc.insert("currency".into(), pick(CURRENCIES, self.currency).into());
        if let Some(r) = self.rounding {
            doc.insert("rounding".into(), pick(ROUNDINGS, r).into());
        }
        match self.day_count {
            GenDayCount::Omitted => {}
            GenDayCount::Elapsed => {
                doc.insert(
                    "day_count".into(),
                    json!({"policy": "elapsed_whole_days_min1"}),
                );
            }
            GenDayCount::Started => {
                doc.insert("day_count".into(), json!({"policy": "started_days"}));
            }
            GenDayCount::Calendar(tz) => {
                doc.insert(
                    "day_count".into(),
                    json!({"policy": "calendar_days", "time_zone": pick(TIME_ZONES, tz)}),
                );
            }
        }
        let mut categories = Map::new();
        for (name, tariff) in self.categories.iter().take(PRICEABLE) {
            categories.insert(
                CATEGORIES[usize::from(*name) % PRICEABLE].to_owned(),
                tariff.to_json(),
            );
        }
        if categories.is_empty() && self.default.is_none() {
            categories.insert(
                "regular".into(),
                json!({"tiers": [{"from_day": 1, "rate": "1.00"}]}),
            );
        }
        doc.insert("categories".into(), Value::Object(categories));
        if let Some(default) = &self.default {
            doc.insert("default".into(), default.to_json());
        }
        Value::Object(doc).to_string()
    }

    /// The validated plan. Every generated document is valid: a rejection is a bug in the parser or validation.
    pub fn build(&self) -> PricePlan {
        let text = self.to_json();
        match PricePlan::from_json(&text) {
            Ok(plan) => plan,
            Err(e) => panic!("a valid generated plan was rejected: {e}\n{text}"),
        }
    }
}

/// A plan to price with: a preset or a generated document.
#[derive(Arbitrary, Debug, Clone)]
pub enum PlanChoice {
    Preset(u8),
    Generated(GenPlan),
}

impl PlanChoice {
    pub fn build(&self) -> PricePlan {
        match self {
            PlanChoice::Preset(i) => match i % 3 {
                0 => PricePlan::story1(),
                1 => PricePlan::story2(),
                _ => PricePlan::story3(),
            },
            PlanChoice::Generated(g) => g.build(),
        }
    }
}

/// Instants worth starting from: DST changes, skipped days, leap days, the epoch and the ends of time.
pub const ANCHORS: &[i64] = &[
    1_704_067_200,   // 2024-01-01T00:00:00Z
    1_710_054_000,   // 2024-03-10T07:00:00Z  New York springs forward
    1_730_613_600,   // 2024-11-03T06:00:00Z  New York falls back
    1_711_846_800,   // 2024-03-31T01:00:00Z  Europe springs forward
    1_729_990_800,   // 2024-10-27T01:00:00Z  Europe falls back
    1_325_239_200,   // 2011-12-30T10:00:00Z  Apia skips 30 December
    788_868_000,     // 1994-12-31T10:00:00Z  Kiritimati skips 31 December
    1_541_300_400,   // 2018-11-04T03:00:00Z  Sao Paulo springs forward at midnight
    951_825_600,     // 2000-02-29T12:00:00Z
    0,               // 1970-01-01T00:00:00Z
    253_402_300_799, // 9999-12-31T23:59:59Z
    1_712_415_600,   // 2024-04-06T15:00:00Z  Lord Howe falls back half an hour
    63_593_070,      // 1972-01-07T00:44:30Z  Monrovia skips 00:00–00:44:30
];

/// An instant: within days of an anchor, within years of one, or anywhere chrono can represent.
#[derive(Arbitrary, Debug, Clone, Copy)]
pub enum GenInstant {
    /// Up to ±5 days around an anchor.
    Near {
        anchor: u8,
        hours: i8,
        secs: u16,
    },
    /// Up to ±68 years around an anchor.
    Far {
        anchor: u8,
        offset_secs: i32,
        nanos: u32,
    },
    Raw {
        secs: i64,
        nanos: u32,
    },
}

impl GenInstant {
    pub fn at(self) -> DateTime<Utc> {
        let anchor = |i: u8| ANCHORS[usize::from(i) % ANCHORS.len()];
        let (secs, nanos) = match self {
            GenInstant::Near {
                anchor: a,
                hours,
                secs,
            } => (
                anchor(a) + i64::from(hours) * 3600 + i64::from(secs % 3600),
                0,
            ),
            GenInstant::Far {
                anchor: a,
                offset_secs,
                nanos,
            } => (anchor(a) + i64::from(offset_secs), nanos % 1_000_000_000),
            GenInstant::Raw { secs, nanos } => (secs, nanos % 1_000_000_000),
        };
        Utc.timestamp_opt(secs, nanos)
            .single()
            .unwrap_or_else(|| Utc.timestamp_opt(anchor(0), 0).unwrap())
    }
}

/// A return time relative to the rental.
#[derive(Arbitrary, Debug, Clone, Copy)]
pub enum GenReturn {
    Hours(u16),
    Days {
        days: u16,
        secs: i32,
    },
    Secs(u32),
    Nanos(u32),
    /// Up to ±5 days around the due time of the loan period (`loan × 24 h`).
    NearDue {
        loan: u8,
        hours: i8,
        secs: u16,
    },
    /// Strictly before the rental.
    Before {
        secs: u32,
        nanos: u32,
    },
    Anywhere(GenInstant),
}

impl GenReturn {
    pub fn after(self, rented: DateTime<Utc>, loan_days: Option<u32>) -> DateTime<Utc> {
        let delta = match self {
            GenReturn::Hours(h) => TimeDelta::hours(i64::from(h)),
            GenReturn::Days { days, secs } => {
                TimeDelta::days(i64::from(days)) + TimeDelta::seconds(i64::from(secs))
            }
            GenReturn::Secs(s) => TimeDelta::seconds(i64::from(s)),
            GenReturn::Nanos(n) => TimeDelta::nanoseconds(i64::from(n)),
            GenReturn::NearDue { loan, hours, secs } => {
                let days = loan_days.unwrap_or(u32::from(loan % 32));
                TimeDelta::days(i64::from(days))
                    + TimeDelta::hours(i64::from(hours))
                    + TimeDelta::seconds(i64::from(secs % 3600))
            }
            GenReturn::Before { secs, nanos } => {
                -(TimeDelta::seconds(i64::from(secs))
                    + TimeDelta::nanoseconds(i64::from(nanos % 1_000_000_000) + 1))
            }
            GenReturn::Anywhere(at) => return at.at(),
        };
        rented.checked_add_signed(delta).unwrap_or(rented)
    }
}

/// Invariants of any quote: the lines sum exactly to the total, every amount has the currency's minor-unit scale,
/// at least one day is billed, the total is not negative, and there is at least one line (a tier covers day 1).
pub fn check_quote_shape(plan: &PricePlan, quote: &Quote) {
    let minor = plan.currency().minor_unit();
    assert_eq!(quote.currency, plan.currency(), "quote currency");
    assert!(quote.days >= 1, "a quote bills at least one day: {quote:?}");
    assert_eq!(quote.total.scale(), minor, "total scale: {quote:?}");
    assert!(quote.total >= Decimal::ZERO, "negative total: {quote:?}");
    assert!(
        !quote.lines.is_empty(),
        "a quote has at least one line: {quote:?}"
    );
    let mut sum = Decimal::ZERO;
    for line in &quote.lines {
        assert_eq!(line.amount.scale(), minor, "line scale: {quote:?}");
        sum += line.amount;
    }
    assert_eq!(sum, quote.total, "lines must sum to the total: {quote:?}");
}

/// Day counts worth quoting for `tariff`: small ones, the largest, and both sides of every tier start, the loan
/// period and the grace period.
pub fn interesting_days(tariff: &koko_core::Tariff) -> Vec<u32> {
    let mut days = vec![0, 1, 2, 3, 7, 30, 365, 100_000, u32::MAX - 1, u32::MAX];
    for tier in tariff.tiers.iter().take(8) {
        days.extend([
            tier.from_day.saturating_sub(1),
            tier.from_day,
            tier.from_day.saturating_add(1),
        ]);
    }
    if let Some(late) = &tariff.late_fee {
        let edge = late.loan_days.saturating_add(late.grace_days);
        days.extend([
            late.loan_days,
            late.loan_days.saturating_add(1),
            edge,
            edge.saturating_add(1),
        ]);
    }
    days.sort_unstable();
    days.dedup();
    days
}

/// Checks a plan that parsed: it writes back to JSON and TOML that read back to an equal plan (and the same text
/// again), and every category it prices quotes exactly by the rules for every interesting day count.
pub fn check_plan(plan: &PricePlan) {
    let json = plan.to_json();
    match PricePlan::from_json(&json) {
        Ok(back) => {
            assert_eq!(&back, plan, "JSON round trip changed the plan:\n{json}");
            assert_eq!(back.to_json(), json, "JSON round trip changed the text");
        }
        Err(e) => panic!("to_json wrote a document from_json rejects: {e}\n{json}"),
    }
    let toml = plan.to_toml();
    match PricePlan::from_toml(&toml) {
        Ok(back) => {
            assert_eq!(&back, plan, "TOML round trip changed the plan:\n{toml}");
            assert_eq!(back.to_toml(), toml, "TOML round trip changed the text");
        }
        Err(e) => {
            panic!("to_toml wrote a document from_toml rejects: {e}\n{toml:?}\nfrom JSON {json}")
        }
    }
    let mut categories: Vec<String> = plan.categories().map(str::to_owned).collect();
    categories.push("zz-not-named".to_owned());
    for category in &categories {
        let Some(tariff) = model::tariff(plan, category) else {
            let err = plan
                .quote_days(category, 1)
                .expect_err("an unpriced category quotes");
            assert_eq!(err.field(), Some("category"), "{err}");
            continue;
        };
        for days in interesting_days(tariff) {
            check_days(plan, category, days);
        }
    }
}

/// `quote_days` and `total_for_days` of a priced category: Ok, well-formed, exactly the rules, same total.
pub fn check_days(plan: &PricePlan, category: &str, days: u32) {
    let quote = match plan.quote_days(category, days) {
        Ok(q) => q,
        Err(e) => panic!(
            "quote_days({category:?}, {days}) failed on a valid plan: {e}\n{}",
            plan.to_json()
        ),
    };
    check_quote_shape(plan, &quote);
    let expected = model::for_days(plan, category, days).expect("category is priced");
    expected.check(plan, &quote, &(category, days));
    match plan.total_for_days(category, days) {
        Ok(total) => assert_eq!(
            total, quote.total,
            "total_for_days != quote_days.total ({category:?}, {days})"
        ),
        Err(e) => panic!("total_for_days failed where quote_days did not: {e}"),
    }
}
