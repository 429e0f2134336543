//! The presets: the original store's three stories as price plans.

use rust_decimal::Decimal;

use super::day_count::DayCount;
use super::plan::{PlanDocument, PricePlan};
use super::tariff::{Tariff, Tier};
use crate::error::{Error, Result};
use crate::money::{Currency, Rounding};

impl PricePlan {
    /// Story 1 of the original store: every book costs 1.00 a day.
    pub fn story1() -> Self {
        preset(
            "story1",
            [
                ("fiction", Tariff::daily(Decimal::ONE)),
                ("novel", Tariff::daily(Decimal::ONE)),
                ("regular", Tariff::daily(Decimal::ONE)),
            ],
        )
    }

    /// Story 2: regular 1.50, fiction 3.00, novel 1.50 a day.
    pub fn story2() -> Self {
        preset(
            "story2",
            [
                ("fiction", Tariff::daily(cents(300))),
                ("novel", Tariff::daily(cents(150))),
                ("regular", Tariff::daily(cents(150))),
            ],
        )
    }

    /// Story 3: regular 1.00 a day for days 1–2 then 1.50 a day, minimum 2.00; fiction 3.00 a day; novel 1.50 a
    /// day, minimum 4.50.
    pub fn story3() -> Self {
        let regular = Tariff {
            tiers: vec![
                Tier {
                    from_day: 1,
                    rate: cents(100),
                },
                Tier {
                    from_day: 3,
                    rate: cents(150),
                },
            ],
            ..Tariff::daily(Decimal::ONE)
        }
        .with_minimum(cents(200));
        preset(
            "story3",
            [
                ("fiction", Tariff::daily(cents(300))),
                ("novel", Tariff::daily(cents(150)).with_minimum(cents(450))),
                ("regular", regular),
            ],
        )
    }

    /// A preset by name: `"story1"`, `"story2"` or `"story3"`.
    pub fn preset(name: &str) -> Result<Self> {
        match name {
            "story1" => Ok(Self::story1()),
            "story2" => Ok(Self::story2()),
            "story3" => Ok(Self::story3()),
            other => Err(Error::invalid_input(
                "preset",
                format!("{other:?} is not a preset (story1, story2, story3)"),
            )),
        }
    }
}

fn cents(value: i64) -> Decimal {
    Decimal::new(value, 2)
}

fn preset<const N: usize>(name: &str, tariffs: [(&str, Tariff); N]) -> PricePlan {
    PricePlan::compile(PlanDocument {
        name: Some(name.to_owned()),
        currency: Currency::usd(),
        rounding: Rounding::HalfEven,
        day_count: DayCount::ElapsedWholeDaysMin1,
        calendar: None,
        categories: tariffs
            .into_iter()
            .map(|(category, tariff)| (category.to_owned(), tariff))
            .collect(),
        default: None,
        limits: None,
        holds: None,
        notices: None,
    })
}
