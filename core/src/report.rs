//! Receipts, revenue and the CSV export of open rentals.

use std::collections::BTreeMap;
use std::fmt;

use chrono::{DateTime, Datelike, SecondsFormat, Timelike, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::domain::Rental;
use crate::error::{Error, Result};
use crate::money::{decimal_str, Currency};
use crate::pricing::Quote;
use crate::storage::Storage;

/// What a customer gets on return: the closed rental and the charge stored with it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Receipt {
    /// The closed rental.
    pub rental: Rental,
    /// The book's title.
    pub title: String,
    /// The stored charge: total and lines.
    pub charge: Quote,
    /// The customer's balance once the charge was posted (what they owe; negative: a credit).
    #[serde(with = "crate::money::decimal_str")]
    pub balance: Decimal,
}

impl Receipt {
    pub(crate) fn new(rental: Rental, title: String, balance: Decimal) -> Result<Self> {
        let charge = rental.charge.clone().ok_or_else(|| {
            Error::Corruption(format!("closed rental {} has no charge", rental.id))
        })?;
        Ok(Receipt {
            rental,
            title,
            charge,
            balance,
        })
    }
}

impl fmt::Display for Receipt {
    /// An itemised receipt.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let r = &self.rental;
        writeln!(
            f,
            "Receipt for rental {} — {:?} ({})",
            r.id, self.title, r.category
        )?;
        writeln!(f, "  customer {}, copy {}", r.customer, r.copy)?;
        writeln!(
            f,
            "  rented   {}",
            r.rented_at.to_rfc3339_opts(SecondsFormat::Secs, true)
        )?;
        if let Some(returned) = r.returned_at {
            writeln!(
                f,
                "  returned {}",
                returned.to_rfc3339_opts(SecondsFormat::Secs, true)
            )?;
        }
        writeln!(f, "{}", self.charge)?;
        write!(
            f,
            "  {:<34} {:>10} {}",
            "balance after this charge", self.balance, self.charge.currency
        )
    }
}

/// Revenue over a period, by currency and category.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Revenue {
    /// One line per (currency, category), sorted.
    pub lines: Vec<RevenueLine>,
}

/// The revenue of one category in one currency.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RevenueLine {
    /// The currency of the charges.
    pub currency: Currency,
    /// The category the rentals were charged under.
    pub category: String,
    /// How many rentals were returned.
    pub rentals: u64,
    /// What they were charged.
    #[serde(with = "decimal_str")]
    pub total: Decimal,
}

impl Revenue {
    /// The total in one currency (zero when nothing was charged in it).
    pub fn total(&self, currency: Currency) -> Decimal {
        self.lines
            .iter()
            .filter(|l| l.currency == currency)
            .map(|l| l.total)
            .sum()
    }

    /// The number of rentals counted.
    pub fn rentals(&self) -> u64 {
        self.lines.iter().map(|l| l.rentals).sum()
    }
}

pub(crate) fn revenue(
    rentals: impl Iterator<Item = Result<Rental>>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Revenue> {
    let mut by: BTreeMap<(&'static str, String), (Currency, u64, Decimal)> = BTreeMap::new();
    for rental in rentals {
        let rental = rental?;
        let (Some(returned), Some(charge)) = (rental.returned_at, &rental.charge) else {
            continue;
        };
        if returned < from || returned >= to {
            continue;
        }
        let entry = by
            .entry((charge.currency.code(), rental.category.clone()))
            .or_insert((charge.currency, 0, Decimal::ZERO));
        entry.1 += 1;
        entry.2 = entry
            .2
            .checked_add(charge.total)
            .ok_or_else(|| Error::invalid_input("to", "the revenue is too large to sum"))?;
    }
    Ok(Revenue {
        lines: by
            .into_iter()
            .map(|((_, category), (currency, rentals, total))| RevenueLine {
                currency,
                category,
                rentals,
                total,
            })
            .collect(),
    })
}

/// What the open rentals would be charged if all came back at one instant, by currency.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutstandingCharges {
    /// The instant the charges are computed for.
    pub at: Option<DateTime<Utc>>,
    /// How many open rentals were priced.
    pub rentals: u64,
    /// The sum per currency, sorted by currency code.
    pub totals: Vec<CurrencyTotal>,
}

/// A sum of money in one currency.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CurrencyTotal {
    /// The currency.
    pub currency: Currency,
    /// The sum.
    #[serde(with = "decimal_str")]
    pub total: Decimal,
}

impl OutstandingCharges {
    /// The total in one currency (zero when nothing is charged in it).
    pub fn total(&self, currency: Currency) -> Decimal {
        self.totals
            .iter()
            .filter(|t| t.currency == currency)
            .map(|t| t.total)
            .sum()
    }
}

/// Sums `charge(rental)` over `rentals`; `charge` gives a rental's currency and total.
pub(crate) fn outstanding(
    storage: &impl Storage,
    at: DateTime<Utc>,
    mut charge: impl FnMut(&Rental) -> Result<(Currency, Decimal)>,
) -> Result<OutstandingCharges> {
    // Nearly always one currency: a short list beats a map.
    let mut by: Vec<(Currency, Decimal)> = Vec::with_capacity(1);
    let mut count = 0u64;
    storage.visit_active_rentals(&mut |rental| {
        let (currency, total) = charge(rental)?;
        let i = match by.iter().position(|(c, _)| *c == currency) {
            Some(i) => i,
            None => {
                by.push((currency, Decimal::ZERO));
                by.len() - 1
            }
        };
        let sum = &mut by[i].1;
        *sum = sum.checked_add(total).ok_or_else(|| {
            Error::invalid_input("at", "the outstanding charges are too large to sum")
        })?;
        count += 1;
        Ok(())
    })?;
    by.sort_by(|a, b| a.0.code().cmp(b.0.code()));
    Ok(OutstandingCharges {
        at: Some(at),
        rentals: count,
        totals: by
            .into_iter()
            .map(|(currency, total)| CurrencyTotal { currency, total })
            .collect(),
    })
}

/// Replaces `buf` with `at` in RFC 3339 — UTC with `Z`, and 0, 3, 6 or 9 fractional digits as needed, exactly as
/// chrono's `to_rfc3339_opts(SecondsFormat::AutoSi, true)` writes it — or with nothing. Digits are written
/// directly; years outside 0–9999 and leap seconds go through chrono.
pub(crate) fn write_time(buf: &mut String, at: Option<DateTime<Utc>>) {
    buf.clear();
    let Some(at) = at else { return };
    let nanos = at.nanosecond();
    if !(0..=9999).contains(&at.year()) || nanos >= 1_000_000_000 {
        buf.push_str(&at.to_rfc3339_opts(SecondsFormat::AutoSi, true));
        return;
    }
    push_digits(buf, at.year() as u32, 4);
    for (separator, value) in [
        ('-', at.month()),
        ('-', at.day()),
        ('T', at.hour()),
        (':', at.minute()),
        (':', at.second()),
    ] {
        buf.push(separator);
        push_digits(buf, value, 2);
    }
    if nanos != 0 {
        buf.push('.');
        if nanos % 1_000_000 == 0 {
            push_digits(buf, nanos / 1_000_000, 3);
        } else if nanos % 1_000 == 0 {
            push_digits(buf, nanos / 1_000, 6);
        } else {
            push_digits(buf, nanos, 9);
        }
    }
    buf.push('Z');
}

/// Appends the last `width` decimal digits of `value`, zero-padded.
fn push_digits(buf: &mut String, value: u32, width: u32) {
    for place in (0..width).rev() {
        let digit = (value / 10u32.pow(place) % 10) as u8;
        buf.push(char::from(b'0' + digit));
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use proptest::prelude::*;

    use super::*;

    fn chrono_writes(at: DateTime<Utc>) -> String {
        at.to_rfc3339_opts(SecondsFormat::AutoSi, true)
    }

    proptest! {
        #[test]
        fn times_are_written_exactly_as_chrono_writes_them(
            secs in -70_000_000_000i64..300_000_000_000,
            nanos in prop_oneof![Just(0u32), (0u32..1000).prop_map(|m| m * 1_000_000),
                                 (0u32..1_000_000).prop_map(|u| u * 1000), 0u32..1_000_000_000],
        ) {
            if let Some(at) = Utc.timestamp_opt(secs, nanos).single() {
                let mut buf = String::from("stale");
                write_time(&mut buf, Some(at));
                prop_assert_eq!(buf, chrono_writes(at));
            }
        }
    }

    #[test]
    fn no_time_is_an_empty_field_and_leap_seconds_go_through_chrono() {
        let mut buf = String::from("stale");
        write_time(&mut buf, None);
        assert_eq!(buf, "");
        let leap = Utc
            .timestamp_opt(1_483_228_799, 1_500_000_000)
            .single()
            .unwrap();
        write_time(&mut buf, Some(leap));
        assert_eq!(buf, chrono_writes(leap));
        assert_eq!(buf, "2016-12-31T23:59:60.500Z");
    }
}
