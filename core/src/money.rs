//! Currencies, rounding and the serde form of money: always a decimal string, never a float.

use std::fmt;
use std::str::FromStr;

use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::Error;

/// An ISO 4217 currency with its minor unit (USD: 2 decimals, JPY: 0, KWD: 3).
///
/// ```
/// use koko_core::Currency;
///
/// let usd: Currency = "USD".parse().unwrap();
/// assert_eq!(usd.code(), "USD");
/// assert_eq!(usd.minor_unit(), 2);
/// assert!("XYZ".parse::<Currency>().is_err());
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Currency {
    inner: iso_currency::Currency,
    minor_unit: u32,
}

impl Currency {
    /// US dollars.
    pub fn usd() -> Self {
        Self::from_iso(iso_currency::Currency::USD)
    }

    fn from_iso(inner: iso_currency::Currency) -> Self {
        // Funds and metals (XAU, XDR…) have no minor unit; money of those is kept whole.
        let minor_unit = inner.exponent().map(u32::from).unwrap_or(0);
        Currency { inner, minor_unit }
    }

    /// The three-letter code, e.g. `"USD"`.
    pub fn code(&self) -> &'static str {
        self.inner.code()
    }

    /// Decimals of the minor unit: 2 for USD, 0 for JPY, 3 for KWD.
    pub fn minor_unit(&self) -> u32 {
        self.minor_unit
    }
}

impl FromStr for Currency {
    type Err = Error;

    fn from_str(code: &str) -> Result<Self, Error> {
        iso_currency::Currency::from_code(code)
            .map(Self::from_iso)
            .ok_or_else(|| {
                Error::invalid_input(
                    "currency",
                    format!("{code:?} is not an ISO 4217 currency code"),
                )
            })
    }
}

impl fmt::Debug for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl Serialize for Currency {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.code())
    }
}

impl<'de> Deserialize<'de> for Currency {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let code = String::deserialize(d)?;
        code.parse()
            .map_err(|_| serde::de::Error::custom(format!("unknown currency code {code:?}")))
    }
}

/// How an amount is rounded to the currency's minor unit. Applied once, to the total.
///
/// In plan documents: `"half_even"` (the default, banker's rounding), `"half_up"`, `"half_down"`, `"up"`,
/// `"down"`, `"ceiling"`, `"floor"`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Rounding {
    /// Halves go to the even neighbour: 0.125 → 0.12, 0.135 → 0.14.
    #[default]
    HalfEven,
    /// Halves go away from zero: 0.125 → 0.13.
    HalfUp,
    /// Halves go toward zero: 0.125 → 0.12.
    HalfDown,
    /// Always away from zero: 0.121 → 0.13.
    Up,
    /// Always toward zero (truncate): 0.129 → 0.12.
    Down,
    /// Toward positive infinity.
    Ceiling,
    /// Toward negative infinity.
    Floor,
}

impl Rounding {
    /// The matching `rust_decimal` strategy.
    pub fn strategy(self) -> RoundingStrategy {
        match self {
            Rounding::HalfEven => RoundingStrategy::MidpointNearestEven,
            Rounding::HalfUp => RoundingStrategy::MidpointAwayFromZero,
            Rounding::HalfDown => RoundingStrategy::MidpointTowardZero,
            Rounding::Up => RoundingStrategy::AwayFromZero,
            Rounding::Down => RoundingStrategy::ToZero,
            Rounding::Ceiling => RoundingStrategy::ToPositiveInfinity,
            Rounding::Floor => RoundingStrategy::ToNegativeInfinity,
        }
    }

    /// Rounds `amount` to `currency`'s minor unit and fixes the scale to it (`4.5` → `4.50`).
    ///
    /// ```
    /// use koko_core::{Currency, Rounding};
    /// use rust_decimal::Decimal;
    ///
    /// let usd = Currency::usd();
    /// assert_eq!(Rounding::HalfEven.round(Decimal::new(125, 3), usd).to_string(), "0.12");
    /// assert_eq!(Rounding::HalfUp.round(Decimal::new(125, 3), usd).to_string(), "0.13");
    /// assert_eq!(Rounding::HalfEven.round(Decimal::new(45, 1), usd).to_string(), "4.50");
    /// ```
    pub fn round(self, amount: Decimal, currency: Currency) -> Decimal {
        let mut rounded = amount.round_dp_with_strategy(currency.minor_unit(), self.strategy());
        rounded.rescale(currency.minor_unit());
        rounded
    }
}

/// serde for money fields: written as a decimal string; read from a string or an integer, never from a float.
pub(crate) mod decimal_str {
    use super::*;

    pub fn serialize<S: Serializer>(value: &Decimal, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(value)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Decimal, D::Error> {
        if d.is_human_readable() {
            d.deserialize_any(DecimalVisitor)
        } else {
            d.deserialize_str(DecimalVisitor)
        }
    }

    struct DecimalVisitor;

    impl serde::de::Visitor<'_> for DecimalVisitor {
        type Value = Decimal;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a decimal amount written as a string, like \"1.50\"")
        }

        fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Decimal, E> {
            let trimmed = v.trim();
            if trimmed.is_empty() || trimmed.contains(['e', 'E']) {
                return Err(E::custom(format!("{v:?} is not a decimal amount")));
            }
            Decimal::from_str_exact(trimmed)
                .map_err(|e| E::custom(format!("{v:?} is not a decimal amount ({e})")))
        }

        fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Decimal, E> {
            Ok(Decimal::from(v))
        }

        fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Decimal, E> {
            Ok(Decimal::from(v))
        }

        fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Decimal, E> {
            Err(E::custom(format!(
                "money must be a string like \"{v}\", not a floating-point number"
            )))
        }
    }
}

/// [`decimal_str`] for `Option<Decimal>`.
pub(crate) mod opt_decimal_str {
    use super::*;

    pub fn serialize<S: Serializer>(value: &Option<Decimal>, s: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Wrap<'a>(#[serde(with = "decimal_str")] &'a Decimal);
        value.as_ref().map(Wrap).serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Decimal>, D::Error> {
        #[derive(Deserialize)]
        struct Wrap(#[serde(with = "decimal_str")] Decimal);
        Ok(Option::<Wrap>::deserialize(d)?.map(|w| w.0))
    }
}

/// Writes `amount` with at least the currency's minor-unit decimals and no needless trailing zeros
/// (`1.5` → `"1.50"`, `0.125` → `"0.125"`, `2` → `"2.00"`).
pub(crate) fn format_rate(amount: Decimal, currency: Currency) -> String {
    let mut value = amount.normalize();
    if value.scale() < currency.minor_unit() {
        value.rescale(currency.minor_unit());
    }
    value.to_string()
}
