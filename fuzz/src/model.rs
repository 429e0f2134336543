//! A reference implementation of the pricing rules of `core/tests/vectors/README.md`, written from the rules and
//! not from koko-core's code: amounts are exact integers of micro-units (`i128`: a validated plan amount has at
//! most 6 decimals and is at most 10^9, so rate × u32 days × tiers cannot overflow), billable and late days are
//! counted on nanosecond timestamps and local calendar dates.

use chrono::{DateTime, Days, NaiveDate, Utc};
use koko_core::{DayCount, Decimal, PricePlan, Quote, Tariff};

/// Micro-units in one unit of money.
pub const MICRO: i128 = 1_000_000;
const DAY_NS: i128 = 86_400 * 1_000_000_000;

/// A validated amount in micro-units.
pub fn micros(d: Decimal) -> i128 {
    let n = d.normalize();
    assert!(
        n.scale() <= 6,
        "a validated amount has at most 6 decimals: {d}"
    );
    n.mantissa() * 10i128.pow(6 - n.scale())
}

/// Micro-units back to a decimal (scale 6).
pub fn decimal(m: i128) -> Decimal {
    Decimal::try_from_i128_with_scale(m, 6).expect("model amount out of Decimal range")
}

/// A rate as a line shows it: trailing zeros removed, never fewer decimals than the minor unit.
pub fn format_rate(m: i128, minor: u32) -> String {
    let int = m / MICRO;
    let mut frac = format!("{:06}", m % MICRO);
    while frac.ends_with('0') {
        frac.pop();
    }
    while frac.len() < minor as usize {
        frac.push('0');
    }
    if frac.is_empty() {
        int.to_string()
    } else {
        format!("{int}.{frac}")
    }
}

/// One unrounded line of a quote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub description: String,
    pub micros: i128,
}

/// The quote the rules give: billed days and the unrounded lines, in order.
#[derive(Debug, Clone)]
pub struct Expected {
    pub days: u32,
    pub late_days: u32,
    pub lines: Vec<Line>,
}

/// Why the rules reject a quote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rejected {
    /// The plan does not price the category (`InvalidInput` on `category`).
    Category,
    /// The return is before the rental (`InvalidInput` on `returned_at`).
    ReturnedBeforeRented,
}

impl Rejected {
    pub fn field(self) -> &'static str {
        match self {
            Rejected::Category => "category",
            Rejected::ReturnedBeforeRented => "returned_at",
        }
    }
}

/// The tariff of `category`: its own, else the default.
pub fn tariff<'a>(plan: &'a PricePlan, category: &str) -> Option<&'a Tariff> {
    let doc = plan.document();
    doc.categories.get(category).or(doc.default.as_ref())
}

fn plural(n: u32, one: &str) -> String {
    if n == 1 {
        format!("{n} {one}")
    } else {
        format!("{n} {one}s")
    }
}

/// Rules 1–6: the lines of `days` billable days and `late_days` late days.
pub fn lines(tariff: &Tariff, minor: u32, days: u32, late_days: u32) -> Vec<Line> {
    let mut out = Vec::new();
    let mut rental = 0i128;
    if let Some(flat) = tariff.flat_fee.map(micros).filter(|f| *f != 0) {
        out.push(Line {
            description: "flat fee".into(),
            micros: flat,
        });
        rental += flat;
    }
    for (k, tier) in tariff.tiers.iter().enumerate() {
        let first = tier.from_day;
        if first > days {
            break;
        }
        let last = match tariff.tiers.get(k + 1) {
            Some(next) => (next.from_day - 1).min(days),
            None => days,
        };
        let rate = micros(tier.rate);
        let amount = rate * i128::from(last - first + 1);
        let r = format_rate(rate, minor);
        let description = if first == last {
            format!("day {first} at {r}")
        } else {
            format!("days {first}\u{2013}{last} at {r}")
        };
        out.push(Line {
            description,
            micros: amount,
        });
        rental += amount;
    }
    if let Some(minimum) = tariff.minimum.map(micros) {
        if minimum > rental {
            out.push(Line {
                description: "minimum charge adjustment".into(),
                micros: minimum - rental,
            });
            rental = minimum;
        }
    }
    if let Some(cap) = tariff.cap.map(micros) {
        if cap < rental {
            out.push(Line {
                description: "maximum charge adjustment".into(),
                micros: cap - rental,
            });
        }
    }
    if let Some(late) = &tariff.late_fee {
        if late_days > late.grace_days {
            let rate = micros(late.per_day);
            let fee = rate * i128::from(late_days);
            out.push(Line {
                description: format!(
                    "late fee: {} at {}",
                    plural(late_days, "day"),
                    format_rate(rate, minor)
                ),
                micros: fee,
            });
            if let Some(cap) = late.cap.map(micros) {
                if cap < fee {
                    out.push(Line {
                        description: "late fee cap adjustment".into(),
                        micros: cap - fee,
                    });
                }
            }
        }
    }
    out
}

/// `quote_days(category, days)`: 0 is billed as 1; late days are the days beyond the loan period.
pub fn for_days(plan: &PricePlan, category: &str, days: u32) -> Result<Expected, Rejected> {
    let tariff = tariff(plan, category).ok_or(Rejected::Category)?;
    let days = days.max(1);
    let late_days = tariff
        .late_fee
        .as_ref()
        .map_or(0, |l| days.saturating_sub(l.loan_days));
    Ok(Expected {
        days,
        late_days,
        lines: lines(tariff, plan.currency().minor_unit(), days, late_days),
    })
}

fn nanos(t: DateTime<Utc>) -> i128 {
    i128::from(t.timestamp()) * 1_000_000_000 + i128::from(t.timestamp_subsec_nanos())
}

fn local_date(policy: &DayCount, t: DateTime<Utc>) -> NaiveDate {
    match policy {
        DayCount::CalendarDays { time_zone } => time_zone.local_date(t),
        _ => t.date_naive(),
    }
}

/// A 24-hour policy's count of a non-negative span, before the minimum of 1.
fn count_span(policy: &DayCount, span_ns: i128) -> i128 {
    match policy {
        DayCount::StartedDays => (span_ns + DAY_NS - 1) / DAY_NS,
        _ => span_ns / DAY_NS,
    }
}

/// Billable days from `rented` to `returned` (at least 1), or `None` for a return before the rental.
pub fn days_between(
    policy: &DayCount,
    rented: DateTime<Utc>,
    returned: DateTime<Utc>,
) -> Option<u32> {
    if returned < rented {
        return None;
    }
    let raw = match policy {
        DayCount::CalendarDays { .. } => {
            i128::from((local_date(policy, returned) - local_date(policy, rented)).num_days())
        }
        _ => count_span(policy, nanos(returned) - nanos(rented)),
    };
    Some(u32::try_from(raw.max(1)).expect("more billable days than a u32"))
}

/// Late days of a return, for a rental of `loan_days` days opened at `rented`.
///
/// 24-hour policies: due at `rented + loan_days × 24 h`; a return at or before it is not late, a later one is late
/// by the policy's count of the span from the due time (at least 1). `calendar_days`: the due date is the local
/// rental date + `loan_days`; late days = local return date − due date when positive.
pub fn late_days_between(
    policy: &DayCount,
    rented: DateTime<Utc>,
    returned: DateTime<Utc>,
    loan_days: u32,
) -> u32 {
    let late = match policy {
        DayCount::CalendarDays { .. } => {
            let due_date = local_date(policy, rented)
                .checked_add_days(Days::new(u64::from(loan_days)))
                .expect("due date out of range");
            i128::from((local_date(policy, returned) - due_date).num_days()).max(0)
        }
        _ => {
            let due = nanos(rented) + i128::from(loan_days) * DAY_NS;
            let t = nanos(returned);
            if t <= due {
                0
            } else {
                count_span(policy, t - due).max(1)
            }
        }
    };
    u32::try_from(late).expect("more late days than a u32")
}

/// `quote(category, rented, returned)` with the plan's own due date.
pub fn for_times(
    plan: &PricePlan,
    category: &str,
    rented: DateTime<Utc>,
    returned: DateTime<Utc>,
) -> Result<Expected, Rejected> {
    let tariff = tariff(plan, category).ok_or(Rejected::Category)?;
    let policy = plan.day_count();
    let days = days_between(&policy, rented, returned).ok_or(Rejected::ReturnedBeforeRented)?;
    let late_days = tariff.late_fee.as_ref().map_or(0, |l| {
        late_days_between(&policy, rented, returned, l.loan_days)
    });
    Ok(Expected {
        days,
        late_days,
        lines: lines(tariff, plan.currency().minor_unit(), days, late_days),
    })
}

impl Expected {
    /// Rule 7: the exact sum of the unrounded lines, rounded once.
    pub fn total(&self, plan: &PricePlan) -> Decimal {
        let exact: i128 = self.lines.iter().map(|l| l.micros).sum();
        plan.rounding().round(decimal(exact), plan.currency())
    }

    /// The lines as a quote shows them: each rounded, then a `rounding adjustment` if they miss the total.
    pub fn shown(&self, plan: &PricePlan) -> Vec<(String, Decimal)> {
        let total = self.total(plan);
        let mut shown: Vec<(String, Decimal)> = self
            .lines
            .iter()
            .map(|l| {
                (
                    l.description.clone(),
                    plan.rounding().round(decimal(l.micros), plan.currency()),
                )
            })
            .collect();
        let sum: Decimal = shown.iter().map(|(_, a)| *a).sum();
        if sum != total {
            shown.push(("rounding adjustment".into(), total - sum));
        }
        shown
    }

    /// Panics unless `quote` is exactly what the rules give.
    pub fn check(&self, plan: &PricePlan, quote: &Quote, context: &dyn std::fmt::Debug) {
        let want_lines = self.shown(plan);
        let got_lines: Vec<(String, Decimal)> = quote
            .lines
            .iter()
            .map(|l| (l.description.clone(), l.amount))
            .collect();
        let ok = quote.days == self.days
            && quote.total == self.total(plan)
            && quote.currency == plan.currency()
            && got_lines == want_lines;
        assert!(
            ok,
            "quote differs from the rules\n  context: {context:?}\n  plan: {}\n  got:  days {} total {} lines {:?}\n  want: days {} (late {}) total {} lines {:?}",
            plan.to_json(),
            quote.days,
            quote.total,
            got_lines,
            self.days,
            self.late_days,
            self.total(plan),
            want_lines
        );
    }
}
