//! Quotes: the itemised result of pricing a rental.

use std::borrow::Cow;
use std::fmt;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::compiled::RateLabels;
use super::tariff::{ChargeSink, Component};
use crate::money::{decimal_str, format_rate, Currency, Rounding};

/// The price of a rental: billable days, the total and the lines that add up to it.
///
/// `total` has exactly the currency's minor-unit scale, so `quote.total.to_string()` is `"4.50"`, and the
/// amounts of `lines` always sum exactly to `total`.
///
/// ```
/// use koko_core::PricePlan;
///
/// let quote = PricePlan::story3().quote_days("regular", 3).unwrap();
/// assert_eq!(quote.days, 3);
/// assert_eq!(quote.total.to_string(), "3.50");
/// let lines: Vec<_> = quote.lines.iter().map(|l| (l.description.as_str(), l.amount.to_string())).collect();
/// assert_eq!(lines, [("days 1–2 at 1.00", "2.00".to_string()), ("day 3 at 1.50", "1.50".to_string())]);
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Quote {
    /// Billable days (at least 1).
    pub days: u32,
    /// What is charged, rounded once to the currency's minor unit.
    #[serde(with = "decimal_str")]
    pub total: Decimal,
    /// The plan's currency.
    pub currency: Currency,
    /// The itemised charge; the amounts sum exactly to `total`.
    pub lines: Vec<QuoteLine>,
}

/// The one line of a charge recorded by another system and imported as it was (see [`Quote::recorded`]).
pub const RECORDED_CHARGE: &str = "recorded by the original application";

impl Quote {
    /// A charge another system recorded, kept as it was rather than priced by a plan (the history of a store
    /// moved in with `koko import original`): one line, [`RECORDED_CHARGE`], for `total` (rounded to the
    /// currency's minor unit). `koko check` accepts such a charge as it stands instead of comparing it with a
    /// quote.
    ///
    /// ```
    /// use koko_core::{Currency, Decimal, Quote};
    ///
    /// let charge = Quote::recorded(3, Decimal::new(45, 1), Currency::usd());
    /// assert_eq!((charge.total.to_string(), charge.lines.len()), ("4.50".to_owned(), 1));
    /// assert!(charge.is_recorded());
    /// ```
    pub fn recorded(days: u32, total: Decimal, currency: Currency) -> Quote {
        let mut total = total;
        total.rescale(currency.minor_unit());
        Quote {
            days,
            total,
            currency,
            lines: vec![QuoteLine {
                description: RECORDED_CHARGE.to_owned(),
                amount: total,
            }],
        }
    }

    /// Whether this charge is one [`Quote::recorded`] made: a single [`RECORDED_CHARGE`] line for the total.
    pub fn is_recorded(&self) -> bool {
        matches!(self.lines.as_slice(), [line] if line.description == RECORDED_CHARGE && line.amount == self.total)
    }
}

/// One line of a [`Quote`]: the rule behind it and its amount (minor-unit scale; negative for reductions).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuoteLine {
    /// The rule, e.g. `"days 1–2 at 1.00"`, `"minimum charge adjustment"`, `"late fee: 3 days at 0.50"`.
    pub description: String,
    /// The amount this line adds.
    #[serde(with = "decimal_str")]
    pub amount: Decimal,
}

impl fmt::Display for Quote {
    /// An itemised block: one line per item, then the total.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for line in &self.lines {
            writeln!(f, "  {:<34} {:>10}", line.description, line.amount)?;
        }
        write!(
            f,
            "  {:<34} {:>10} {}",
            format!(
                "total ({} day{})",
                self.days,
                if self.days == 1 { "" } else { "s" }
            ),
            self.total,
            self.currency
        )
    }
}

/// Collects the components of a charge as unrounded lines.
pub(crate) struct LineCollector<'a> {
    currency: Currency,
    /// Pre-formatted rates of the tariff being charged, when the plan has them.
    labels: Option<&'a RateLabels>,
    lines: Vec<QuoteLine>,
}

impl<'a> LineCollector<'a> {
    pub(crate) fn new(currency: Currency, labels: Option<&'a RateLabels>) -> Self {
        LineCollector {
            currency,
            labels,
            lines: Vec::with_capacity(4),
        }
    }

    /// Rounds each line for display and adds a `rounding adjustment` line if they no longer sum to `total`.
    pub(crate) fn finish(self, total: Decimal, rounding: Rounding) -> Vec<QuoteLine> {
        let currency = self.currency;
        let mut shown = Decimal::ZERO;
        let mut lines = self.lines;
        for line in &mut lines {
            line.amount = rounding.round(line.amount, currency);
            shown += line.amount;
        }
        if shown != total {
            let mut amount = total - shown;
            amount.rescale(currency.minor_unit());
            lines.push(QuoteLine {
                description: "rounding adjustment".to_owned(),
                amount,
            });
        }
        lines
    }

    /// A rate as lines show it: the plan's pre-formatted label, else formatted now.
    fn rate<'s>(&self, label: Option<&'s str>, rate: Decimal) -> Cow<'s, str> {
        match label {
            Some(label) => Cow::Borrowed(label),
            None => Cow::Owned(format_rate(rate, self.currency)),
        }
    }
}

impl ChargeSink for LineCollector<'_> {
    fn component(&mut self, component: Component, amount: Decimal) {
        let mut numbers = itoa::Buffer::new();
        let description = match component {
            Component::FlatFee => "flat fee".to_owned(),
            Component::Tier {
                index,
                first,
                last,
                rate,
            } => {
                let rate = self.rate(self.labels.and_then(|l| l.tier(index)), rate);
                let mut text = String::with_capacity(24 + rate.len());
                if first == last {
                    text.push_str("day ");
                    text.push_str(numbers.format(first));
                } else {
                    text.push_str("days ");
                    text.push_str(numbers.format(first));
                    text.push('\u{2013}');
                    text.push_str(numbers.format(last));
                }
                text.push_str(" at ");
                text.push_str(&rate);
                text
            }
            Component::Minimum => "minimum charge adjustment".to_owned(),
            Component::Cap => "maximum charge adjustment".to_owned(),
            Component::LateFee { days, rate } => {
                let rate = self.rate(self.labels.and_then(RateLabels::late_fee), rate);
                let mut text = String::with_capacity(32 + rate.len());
                text.push_str("late fee: ");
                text.push_str(numbers.format(days));
                text.push_str(if days == 1 { " day at " } else { " days at " });
                text.push_str(&rate);
                text
            }
            Component::LateFeeCap => "late fee cap adjustment".to_owned(),
        };
        // The exact amount; `finish` rounds it.
        self.lines.push(QuoteLine {
            description,
            amount,
        });
    }
}
