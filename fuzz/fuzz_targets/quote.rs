//! Quoting arbitrary plans, categories and times.
//!
//! The plan is a preset or a generated, valid plan document (tiers, flat fee, minimum, cap, late fee, every
//! currency minor unit, rounding strategy and day-count policy, tricky time zones). Checked, for `quote_days`,
//! `total_for_days`, `quote`, `total_with_due` and `price_curve`:
//! - no panic; an unpriced category is `InvalidInput` on `category`, a return before the rental `InvalidInput` on
//!   `returned_at`, and (for times between the years 1000 and 9000) nothing else is an error;
//! - the lines sum exactly to the total, every amount has the currency's scale, the total is not negative;
//! - without a late fee line the total is within the tariff's rounded minimum and cap;
//! - `quote_days(d).total == total_for_days(d)`, `quote(..).total == total_with_due(..)`, the price curve agrees;
//! - days, lines (text and amount) and total are exactly those of the reference model of the written rules.
#![no_main]

use arbitrary::Arbitrary;
use chrono::{DateTime, Datelike, Utc};
use koko_core::{Decimal, PricePlan};
use koko_fuzz::{check_quote_shape, model, GenDays, GenInstant, GenReturn, PlanChoice, CATEGORIES};
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
enum DaysChoice {
    Plain(GenDays),
    Max,
    /// Around the start of tier `tier`.
    TierEdge {
        tier: u8,
        delta: i8,
    },
    /// Around the end of the loan period plus grace.
    LoanEdge {
        delta: i8,
    },
}

#[derive(Arbitrary, Debug)]
struct Input {
    plan: PlanChoice,
    category: u8,
    days: DaysChoice,
    rented: GenInstant,
    returned: GenReturn,
    curve: u8,
}

fn shift(base: u32, delta: i8) -> u32 {
    base.saturating_add_signed(i32::from(delta))
}

fn in_window(t: DateTime<Utc>) -> bool {
    (1000..=9000).contains(&t.year())
}

fn check_bounds(plan: &PricePlan, category: &str, quote: &koko_core::Quote) {
    let Some(tariff) = model::tariff(plan, category) else {
        return;
    };
    let late = quote
        .lines
        .iter()
        .any(|l| l.description.starts_with("late fee"));
    let round = |d: Decimal| plan.rounding().round(d, plan.currency());
    if !late {
        if let Some(cap) = tariff.cap {
            assert!(
                quote.total <= round(cap),
                "total above the cap {cap}: {quote:?}"
            );
        }
    }
    if let Some(minimum) = tariff.minimum {
        assert!(
            quote.total >= round(minimum),
            "total below the minimum {minimum}: {quote:?}"
        );
    }
}

fuzz_target!(|input: Input| {
    let plan = input.plan.build();
    let category = CATEGORIES[usize::from(input.category) % CATEGORIES.len()];
    let tariff = model::tariff(&plan, category);

    // --- by day count ---
    let days = match (&input.days, tariff) {
        (DaysChoice::Plain(d), _) => d.get(),
        (DaysChoice::Max, _) => u32::MAX,
        (DaysChoice::TierEdge { tier, delta }, Some(t)) => {
            shift(t.tiers[usize::from(*tier) % t.tiers.len()].from_day, *delta)
        }
        (DaysChoice::LoanEdge { delta }, Some(t)) => match &t.late_fee {
            Some(l) => shift(l.loan_days.saturating_add(l.grace_days), *delta),
            None => shift(1, *delta),
        },
        (_, None) => 1,
    };
    match model::for_days(&plan, category, days) {
        Ok(_) => {
            koko_fuzz::check_days(&plan, category, days);
            let quote = plan.quote_days(category, days).expect("checked above");
            check_bounds(&plan, category, &quote);
        }
        Err(rejected) => {
            let err = plan
                .quote_days(category, days)
                .expect_err("unpriced category quoted");
            assert_eq!(
                (err.kind(), err.field()),
                ("InvalidInput", Some(rejected.field()))
            );
            let err = plan
                .total_for_days(category, days)
                .expect_err("unpriced category totalled");
            assert_eq!(err.field(), Some(rejected.field()));
        }
    }

    // --- by times ---
    let rented = input.rented.at();
    let loan = tariff
        .and_then(|t| t.late_fee.as_ref())
        .map(|l| l.loan_days);
    let returned = input.returned.after(rented, loan);
    let got = plan.quote(category, rented, returned);
    let context = (category, rented, returned);
    if in_window(rented) && in_window(returned) {
        match (model::for_times(&plan, category, rented, returned), &got) {
            (Ok(expected), Ok(quote)) => {
                check_quote_shape(&plan, quote);
                check_bounds(&plan, category, quote);
                expected.check(&plan, quote, &context);
                let due = plan.due_at(category, rented).expect("due date of a quoted rental");
                let total = plan
                    .total_with_due(category, rented, due, returned)
                    .expect("total_with_due of a quoted rental");
                assert_eq!(total, quote.total, "total_with_due != quote.total {context:?}");
            }
            (Err(rejected), Err(err)) => {
                assert_eq!(
                    (err.kind(), err.field()),
                    ("InvalidInput", Some(rejected.field())),
                    "{context:?}: {err}"
                );
            }
            (Ok(expected), Err(err)) => panic!(
                "quote failed where the rules give a price: {err}\n  {context:?}\n  want {expected:?}\n  plan {}",
                plan.to_json()
            ),
            (Err(rejected), Ok(quote)) => {
                panic!("quote succeeded where the rules reject ({rejected:?}): {quote:?} {context:?}")
            }
        }
    } else if let Ok(quote) = &got {
        // Near the ends of time a due date may be unrepresentable (a typed error); an answer must still be sound.
        check_quote_shape(&plan, quote);
        check_bounds(&plan, category, quote);
    }

    // --- the price curve agrees with total_for_days ---
    if tariff.is_some() {
        let n = u32::from(input.curve % 16);
        let curve = plan
            .price_curve(category, n)
            .expect("price curve of a priced category");
        assert_eq!(curve.len(), n as usize);
        for (i, total) in curve.iter().enumerate() {
            let d = i as u32 + 1;
            assert_eq!(
                Some(*total),
                plan.total_for_days(category, d).ok(),
                "price curve day {d}"
            );
        }
    }
});
