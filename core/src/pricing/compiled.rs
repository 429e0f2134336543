//! A plan's tariffs compiled to integers for the totals-only hot path.
//!
//! Every plan amount has at most [`MAX_MONEY_DECIMALS`] (6) decimals and is at most `MAX_PLAN_AMOUNT`, so it is
//! an exact `i64` count of some fixed unit: the currency's minor unit when every amount of the plan is a whole
//! number of those (cents, for a plan written in cents — no rounding step at all), else the smallest power of ten
//! the amounts need. A total is then a few checked integer multiplications and additions and at most one integer
//! rounding — the same arithmetic as the `Decimal` path, exactly, because no step before the last rounds. When a
//! product would not fit in an `i64` (very long rentals at very high rates) the compiled path answers `None` and
//! the caller falls back to the `Decimal` path, which is exact for every `u32` day count.

use rust_decimal::Decimal;

use super::amount::MAX_MONEY_DECIMALS;
use super::tariff::Tariff;
use crate::money::{format_rate, Currency, Rounding};

/// The tariffs of a plan in integer units, looked up by category name.
#[derive(Clone, Debug)]
pub(crate) struct CompiledPlan {
    /// In the plan's (sorted) category order.
    categories: Box<[(CategoryKey, CompiledTariff)]>,
    default: Option<CompiledTariff>,
    /// How many decimal digits the integer unit is below the minor unit (0: amounts are in minor units), or
    /// `None` when the plan cannot be compiled and every total takes the `Decimal` path.
    extra_digits: Option<u32>,
    minor_unit: u32,
    rounding: Rounding,
}

/// One tariff in integer units.
#[derive(Clone, Debug)]
pub(crate) struct CompiledTariff {
    /// `(first day, rate)` per tier, in increasing day order.
    tiers: Box<[(u32, i64)]>,
    flat_fee: i64,
    minimum: Option<i64>,
    cap: Option<i64>,
    late_fee: Option<CompiledLateFee>,
    /// The rates as quote lines show them, formatted once.
    labels: RateLabels,
}

/// A tariff's rates formatted for quote lines (`"1.50"`), so a quote does not format a `Decimal` per line.
#[derive(Clone, Debug, Default)]
pub(crate) struct RateLabels {
    tiers: Box<[Box<str>]>,
    late_fee: Option<Box<str>>,
}

impl RateLabels {
    fn new(tariff: &Tariff, currency: Currency) -> Self {
        RateLabels {
            tiers: tariff
                .tiers
                .iter()
                .map(|tier| format_rate(tier.rate, currency).into_boxed_str())
                .collect(),
            late_fee: tariff
                .late_fee
                .as_ref()
                .map(|late| format_rate(late.per_day, currency).into_boxed_str()),
        }
    }

    /// The label of tier `index`'s rate.
    #[inline]
    pub(crate) fn tier(&self, index: usize) -> Option<&str> {
        self.tiers.get(index).map(|label| &**label)
    }

    /// The label of the late fee's daily rate.
    #[inline]
    pub(crate) fn late_fee(&self) -> Option<&str> {
        self.late_fee.as_deref()
    }
}

#[derive(Clone, Copy, Debug)]
struct CompiledLateFee {
    loan_days: u32,
    per_day: i64,
    grace_days: u32,
    cap: Option<i64>,
    count_closed_days: bool,
}

impl CompiledPlan {
    /// Compiles validated tariffs. If an amount does not fit (validation rules that out) or the currency has more
    /// than 6 decimals, the plan compiles to "always use the `Decimal` path".
    pub(crate) fn new<'a>(
        categories: impl Iterator<Item = (&'a str, &'a Tariff)> + Clone,
        default: Option<&Tariff>,
        currency: Currency,
        rounding: Rounding,
    ) -> Self {
        let minor_unit = currency.minor_unit();
        let all = categories.clone().map(|(_, t)| t).chain(default);
        let scale = all
            .flat_map(amounts)
            .map(|a| a.normalize().scale())
            .fold(minor_unit, u32::max);
        let extra_digits = (scale <= MAX_MONEY_DECIMALS).then(|| scale - minor_unit);
        let compile = |tariff: &Tariff| CompiledTariff::new(tariff, scale, currency);
        let compiled: Option<Box<[(CategoryKey, CompiledTariff)]>> = categories
            .map(|(name, tariff)| Some((CategoryKey::new(name), compile(tariff)?)))
            .collect();
        let default_compiled = default.map(compile);
        match (compiled, default_compiled, extra_digits) {
            (Some(categories), None, Some(_)) => CompiledPlan {
                categories,
                default: None,
                extra_digits,
                minor_unit,
                rounding,
            },
            (Some(categories), Some(Some(default)), Some(_)) => CompiledPlan {
                categories,
                default: Some(default),
                extra_digits,
                minor_unit,
                rounding,
            },
            _ => CompiledPlan {
                categories: Box::new([]),
                default: None,
                extra_digits: None,
                minor_unit,
                rounding,
            },
        }
    }

    /// The tariff for `category`, or the default; `None` when the plan does not price it (or is not compiled).
    #[inline]
    pub(crate) fn tariff(&self, category: &str) -> Option<&CompiledTariff> {
        // Plans have a handful of categories: a linear scan over (length, first 8 bytes) keys beats a binary
        // search of string comparisons; only longer names compare their tails.
        let prefix = prefix_of(category);
        self.categories
            .iter()
            .find(|(key, _)| key.matches(category, prefix))
            .map(|(_, tariff)| tariff)
            .or(self.default.as_ref())
    }

    /// The rounded total for `days` billable days (at least 1) and `late_days`, or `None` if an intermediate
    /// amount does not fit in an `i64` (the caller then uses the `Decimal` path).
    #[inline]
    pub(crate) fn total(
        &self,
        tariff: &CompiledTariff,
        days: u32,
        late_days: u32,
    ) -> Option<Decimal> {
        let exact = tariff.charge(days, late_days)?;
        let minor = match self.extra_digits? {
            0 => exact,
            digits => round_pow10(exact, digits, self.rounding)?,
        };
        // `minor ≥ 0` (totals are never negative), so its two low words and the scale describe it.
        let minor = u64::try_from(minor).ok()?;
        Some(Decimal::from_parts(
            minor as u32,
            (minor >> 32) as u32,
            0,
            false,
            self.minor_unit,
        ))
    }
}

/// A category name with its length and first 8 bytes as one integer, for comparisons without `memcmp`.
#[derive(Clone, Debug)]
struct CategoryKey {
    name: Box<str>,
    prefix: u64,
}

impl CategoryKey {
    fn new(name: &str) -> Self {
        CategoryKey {
            name: Box::from(name),
            prefix: prefix_of(name),
        }
    }

    #[inline]
    fn matches(&self, category: &str, prefix: u64) -> bool {
        self.prefix == prefix
            && self.name.len() == category.len()
            && (category.len() <= 8 || *self.name == *category)
    }
}

/// The first 8 bytes of `text`, zero-padded, as an integer.
#[inline]
fn prefix_of(text: &str) -> u64 {
    let mut bytes = [0u8; 8];
    for (to, from) in bytes.iter_mut().zip(text.as_bytes()) {
        *to = *from;
    }
    u64::from_le_bytes(bytes)
}

/// Every money amount of a tariff.
fn amounts(tariff: &Tariff) -> impl Iterator<Item = Decimal> + '_ {
    let late = tariff
        .late_fee
        .iter()
        .flat_map(|late| std::iter::once(late.per_day).chain(late.cap));
    tariff
        .tiers
        .iter()
        .map(|tier| tier.rate)
        .chain(tariff.flat_fee)
        .chain(tariff.minimum)
        .chain(tariff.cap)
        .chain(late)
}

impl CompiledTariff {
    /// The tariff with every amount as an integer count of `10^-scale`; `None` if one does not convert exactly.
    fn new(tariff: &Tariff, scale: u32, currency: Currency) -> Option<Self> {
        let units = |amount: Decimal| to_units(amount, scale);
        let opt_units = |amount: Option<Decimal>| match amount {
            Some(amount) => units(amount).map(Some),
            None => Some(None),
        };
        let late_fee = match &tariff.late_fee {
            Some(late) => Some(CompiledLateFee {
                loan_days: late.loan_days,
                per_day: units(late.per_day)?,
                grace_days: late.grace_days,
                cap: opt_units(late.cap)?,
                count_closed_days: late.count_closed_days,
            }),
            None => None,
        };
        Some(CompiledTariff {
            tiers: tariff
                .tiers
                .iter()
                .map(|tier| Some((tier.from_day, units(tier.rate)?)))
                .collect::<Option<_>>()?,
            flat_fee: opt_units(tariff.flat_fee)?.unwrap_or(0),
            minimum: opt_units(tariff.minimum)?,
            cap: opt_units(tariff.cap)?,
            late_fee,
            labels: RateLabels::new(tariff, currency),
        })
    }

    /// Days beyond the loan period, for a day-count quote.
    #[inline]
    pub(crate) fn late_days_after(&self, days: u32) -> u32 {
        self.late_fee
            .map_or(0, |late| days.saturating_sub(late.loan_days))
    }

    /// The tariff's rates formatted for quote lines.
    #[inline]
    pub(crate) fn labels(&self) -> &RateLabels {
        &self.labels
    }

    /// The loan period and whether closed days count as late days, if the tariff has a late fee (and so a due
    /// date). The caller counts the late days (with the plan's calendar, if any) exactly as the `Decimal` path
    /// does, so a calendar needs no fallback here: only the day counts depend on it, never the arithmetic.
    #[inline]
    pub(crate) fn late_terms(&self) -> Option<(u32, bool)> {
        self.late_fee
            .map(|late| (late.loan_days, late.count_closed_days))
    }

    /// The exact total in integer units: `min(cap, max(minimum, flat + tiers)) + late fee (capped)`, the rule of
    /// [`Tariff::charge`].
    #[inline]
    fn charge(&self, days: u32, late_days: u32) -> Option<i64> {
        let mut subtotal = self.flat_fee;
        let mut tiers = self.tiers.iter().peekable();
        while let Some(&(first, rate)) = tiers.next() {
            if first > days {
                break;
            }
            let last = match tiers.peek() {
                Some(&&(next, _)) => (next - 1).min(days),
                None => days,
            };
            let count = i64::from(last - first + 1);
            subtotal = subtotal.checked_add(rate.checked_mul(count)?)?;
        }
        if let Some(minimum) = self.minimum {
            subtotal = subtotal.max(minimum);
        }
        if let Some(cap) = self.cap {
            subtotal = subtotal.min(cap);
        }
        if let Some(late) = self.late_fee {
            if late_days > late.grace_days {
                let mut fee = late.per_day.checked_mul(i64::from(late_days))?;
                if let Some(cap) = late.cap {
                    fee = fee.min(cap);
                }
                subtotal = subtotal.checked_add(fee)?;
            }
        }
        Some(subtotal)
    }
}

/// `amount × 10^scale` as an `i64`, if that is a whole number that fits.
fn to_units(amount: Decimal, scale: u32) -> Option<i64> {
    let factor = Decimal::from(10i64.checked_pow(scale)?);
    let scaled = amount.checked_mul(factor)?;
    if scaled.fract().is_zero() {
        i64::try_from(scaled.trunc()).ok()
    } else {
        None
    }
}

/// `value / 10^digits` rounded by `rounding`, for `value ≥ 0` and `1 ≤ digits ≤ 6`; `None` otherwise (no valid
/// tariff produces a negative total). Each divisor is a constant, so the division compiles to a multiplication.
#[inline]
fn round_pow10(value: i64, digits: u32, rounding: Rounding) -> Option<i64> {
    let (quotient, remainder, divisor) = match digits {
        1 => (value / 10, value % 10, 10),
        2 => (value / 100, value % 100, 100),
        3 => (value / 1_000, value % 1_000, 1_000),
        4 => (value / 10_000, value % 10_000, 10_000),
        5 => (value / 100_000, value % 100_000, 100_000),
        6 => (value / 1_000_000, value % 1_000_000, 1_000_000),
        _ => return None,
    };
    if value < 0 {
        return None;
    }
    if remainder == 0 {
        return Some(quotient);
    }
    // `remainder < divisor ≤ 10^6`, so doubling it cannot overflow.
    let twice = remainder * 2;
    let up = match rounding {
        Rounding::HalfEven => twice > divisor || (twice == divisor && quotient % 2 == 1),
        Rounding::HalfUp => twice >= divisor,
        Rounding::HalfDown => twice > divisor,
        Rounding::Up | Rounding::Ceiling => true,
        Rounding::Down | Rounding::Floor => false,
    };
    Some(if up { quotient + 1 } else { quotient })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integer_rounding_matches_each_strategy_at_the_half() {
        // 0.125 and 0.135 in micro-units, to cents (4 digits).
        let cases = [
            (Rounding::HalfEven, 125_000, 12),
            (Rounding::HalfEven, 135_000, 14),
            (Rounding::HalfUp, 125_000, 13),
            (Rounding::HalfDown, 125_000, 12),
            (Rounding::HalfDown, 125_001, 13),
            (Rounding::Up, 120_001, 13),
            (Rounding::Ceiling, 120_001, 13),
            (Rounding::Down, 129_999, 12),
            (Rounding::Floor, 129_999, 12),
        ];
        for (rounding, micros, cents) in cases {
            assert_eq!(
                round_pow10(micros, 4, rounding),
                Some(cents),
                "{rounding:?} {micros}"
            );
        }
        assert_eq!(round_pow10(-1, 4, Rounding::HalfEven), None);
        assert_eq!(round_pow10(5, 7, Rounding::HalfEven), None);
    }

    #[test]
    fn amounts_convert_to_exact_units() {
        assert_eq!(to_units(Decimal::new(150, 2), 2), Some(150));
        assert_eq!(to_units(Decimal::new(150, 2), 6), Some(1_500_000));
        assert_eq!(to_units(Decimal::new(1, 6), 6), Some(1));
        assert_eq!(to_units(Decimal::new(1, 3), 2), None);
    }
}
