//! Receipts, revenue and the CSV export of open rentals.

use std::collections::BTreeMap;
use std::fmt;
use std::io::Write;

use chrono::{DateTime, SecondsFormat, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::domain::Rental;
use crate::error::{Error, Result};
use crate::money::{decimal_str, Currency};
use crate::pricing::Quote;

/// What a customer gets on return: the closed rental and the charge stored with it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Receipt {
    /// The closed rental.
    pub rental: Rental,
    /// The book's title.
    pub title: String,
    /// The stored charge: total and lines.
    pub charge: Quote,
}

impl Receipt {
    pub(crate) fn new(rental: Rental, title: String) -> Result<Self> {
        let charge = rental.charge.clone().ok_or_else(|| {
            Error::Corruption(format!("closed rental {} has no charge", rental.id))
        })?;
        Ok(Receipt {
            rental,
            title,
            charge,
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
        write!(f, "{}", self.charge)
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
    rentals: impl Iterator<Item = Result<Rental>>,
    at: DateTime<Utc>,
    mut charge: impl FnMut(&Rental) -> Result<(Currency, Decimal)>,
) -> Result<OutstandingCharges> {
    let mut by: BTreeMap<&'static str, (Currency, Decimal)> = BTreeMap::new();
    let mut count = 0u64;
    for rental in rentals {
        let rental = rental?;
        let (currency, total) = charge(&rental)?;
        let entry = by
            .entry(currency.code())
            .or_insert((currency, Decimal::ZERO));
        entry.1 = entry.1.checked_add(total).ok_or_else(|| {
            Error::invalid_input("at", "the outstanding charges are too large to sum")
        })?;
        count += 1;
    }
    Ok(OutstandingCharges {
        at: Some(at),
        rentals: count,
        totals: by
            .into_values()
            .map(|(currency, total)| CurrencyTotal { currency, total })
            .collect(),
    })
}

/// The columns of the active-rentals CSV export.
pub const ACTIVE_RENTALS_CSV_HEADER: [&str; 8] = [
    "rental_id",
    "copy_id",
    "book_id",
    "customer_id",
    "category",
    "rented_at",
    "due_at",
    "plan_version",
];

pub(crate) fn export_active_csv<W: Write>(
    rentals: impl Iterator<Item = Result<Rental>>,
    out: W,
) -> Result<u64> {
    let mut writer = csv::Writer::from_writer(out);
    let csv_err = |e: csv::Error| Error::storage(e);
    writer
        .write_record(ACTIVE_RENTALS_CSV_HEADER)
        .map_err(csv_err)?;
    let mut count = 0u64;
    for rental in rentals {
        let r = rental?;
        let due = r
            .due_at
            .map(|d| d.to_rfc3339_opts(SecondsFormat::AutoSi, true))
            .unwrap_or_default();
        let record = [
            r.id.to_string(),
            r.copy.to_string(),
            r.book.to_string(),
            r.customer.to_string(),
            r.category,
            r.rented_at.to_rfc3339_opts(SecondsFormat::AutoSi, true),
            due,
            r.plan_version.to_string(),
        ];
        writer.write_record(&record).map_err(csv_err)?;
        count += 1;
    }
    writer.flush().map_err(Error::storage)?;
    Ok(count)
}
