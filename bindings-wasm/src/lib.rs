//! `koko-wasm`: the Koko pricing engine for JavaScript, as glue over `koko-core` (built without sled).
//!
//! Money crosses as decimal strings (`"4.50"`), never as numbers. Errors are thrown as real `Error` objects whose
//! `name` is the core variant (`InvalidInput`, `InvalidPlan`, …), with a `code` and, where it applies, a `field`
//! (named as in the core and the Python package — `rented_at`, `max_days` — so every runtime reports the same field).
//! No input panics: a panic would abort the module, so every argument is checked before it reaches the core.
#![forbid(unsafe_code)]

use chrono::{DateTime, SecondsFormat, Utc};
use js_sys::{Array, Reflect, JSON};
use serde::Serialize;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

#[wasm_bindgen(typescript_custom_section)]
const TYPES: &'static str = r#"
/** One line of a quote: the rule behind it and its amount as a decimal string. */
export interface QuoteLine {
  /** The rule, e.g. "days 1–2 at 1.00" or "minimum charge adjustment". */
  description: string;
  /** The amount, e.g. "2.00" (negative for reductions, e.g. "-1.50"). */
  amount: string;
}

/** The price of a rental. */
export interface Quote {
  /** Billable days (at least 1). */
  days: number;
  /** The total as a decimal string at the currency's minor unit, e.g. "4.50". */
  total: string;
  /** ISO 4217 currency code, e.g. "USD". */
  currency: string;
  /** The itemised lines; their amounts sum exactly to `total`. */
  lines: QuoteLine[];
}

/** The `name` of every error Koko throws. */
export type KokoErrorName =
  | "NotFound" | "Unavailable" | "AlreadyReturned" | "InactiveCustomer" | "Blocked" | "Duplicate"
  | "InvalidInput" | "InvalidPlan" | "Storage" | "Corruption";

/** What Koko throws: a real `Error` with the core variant as `name`, a stable `code` and the field at fault. */
export interface KokoError extends Error {
  name: KokoErrorName;
  /** e.g. "KOKO_INVALID_INPUT". */
  code: string;
  /** The argument or plan field at fault, e.g. "days" or "categories.regular.tiers[1].from_day". */
  field?: string;
}

/** A point in time: a `Date`, or an ISO-8601 string with an offset ("2024-06-01T10:00:00Z"). */
export type Instant = Date | string;
"#;

/// Builds the thrown `Error` for a core error.
fn js_error(err: &koko_core::Error) -> JsValue {
    let error = js_sys::Error::new(&err.to_string());
    error.set_name(err.kind());
    let code = format!("KOKO_{}", upper_snake(err.kind()));
    // Setting a property on a fresh Error object cannot fail; if it ever did, the error is still thrown.
    let _ = Reflect::set(
        &error,
        &JsValue::from_str("code"),
        &JsValue::from_str(&code),
    );
    if let Some(field) = err.field() {
        let _ = Reflect::set(
            &error,
            &JsValue::from_str("field"),
            &JsValue::from_str(field),
        );
    }
    error.into()
}

fn upper_snake(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 4);
    for (i, c) in name.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            out.push('_');
        }
        out.push(c.to_ascii_uppercase());
    }
    out
}

fn invalid(field: &str, reason: impl Into<String>) -> JsValue {
    js_error(&koko_core::Error::InvalidInput {
        field: field.to_owned(),
        reason: reason.into(),
    })
}

fn thrown<T>(result: koko_core::Result<T>) -> Result<T, JsValue> {
    result.map_err(|e| js_error(&e))
}

fn describe(value: &JsValue) -> String {
    value
        .js_typeof()
        .as_string()
        .unwrap_or_else(|| "value".to_owned())
}

/// A string argument.
fn text(field: &str, value: &JsValue) -> Result<String, JsValue> {
    value
        .as_string()
        .ok_or_else(|| invalid(field, format!("expected a string, got {}", describe(value))))
}

/// A whole, non-negative number that fits in a u32 (no NaN, Infinity, fractions or BigInt).
fn whole_number(field: &str, value: &JsValue) -> Result<u32, JsValue> {
    let number = value
        .as_f64()
        .ok_or_else(|| invalid(field, format!("expected a number, got {}", describe(value))))?;
    if !number.is_finite() {
        return Err(invalid(
            field,
            format!("must be a finite number, got {number}"),
        ));
    }
    if number.fract() != 0.0 {
        return Err(invalid(
            field,
            format!("must be a whole number, got {number}"),
        ));
    }
    if number < 0.0 {
        return Err(invalid(
            field,
            format!("must not be negative, got {number}"),
        ));
    }
    if number > 4_294_967_295.0 {
        return Err(invalid(field, format!("at most 4294967295, got {number}")));
    }
    Ok(number as u32)
}

/// A `Date` (valid) or an ISO-8601 / RFC 3339 string with an offset.
fn instant(field: &str, value: &JsValue) -> Result<DateTime<Utc>, JsValue> {
    if let Some(text) = value.as_string() {
        return DateTime::parse_from_rfc3339(text.trim())
            .map(|t| t.with_timezone(&Utc))
            .map_err(|e| {
                invalid(
                    field,
                    format!("{text:?} is not an ISO-8601 date-time with an offset, like \"2024-06-01T10:00:00Z\" ({e})"),
                )
            });
    }
    if let Some(date) = value.dyn_ref::<js_sys::Date>() {
        let millis = date.get_time();
        if millis.is_nan() {
            return Err(invalid(field, "Invalid Date"));
        }
        return DateTime::<Utc>::from_timestamp_millis(millis as i64)
            .ok_or_else(|| invalid(field, "the date is out of range"));
    }
    Err(invalid(
        field,
        format!(
            "expected a Date or an ISO-8601 string, got {}",
            describe(value)
        ),
    ))
}

/// A result as a plain JS object. It crosses the boundary as one JSON string that `JSON.parse` turns into the
/// object: one call, where building it field by field costs one call per property.
fn to_js<T: Serialize>(value: &T) -> Result<JsValue, JsValue> {
    let conversion = |e: &dyn std::fmt::Display| {
        js_error(&koko_core::Error::Corruption(format!(
            "cannot convert a result: {e}"
        )))
    };
    let json = serde_json::to_string(value).map_err(|e| conversion(&e))?;
    JSON::parse(&json).map_err(|e| conversion(&format!("{e:?}")))
}

/// A validated price plan: currency, day-count policy, rounding and one tariff per category.
///
/// ```js
/// import init, { PricePlan } from "koko-wasm";
/// await init();
/// const plan = PricePlan.story3();
/// plan.quoteDays("novel", 2).total; // "4.50"
/// ```
#[wasm_bindgen]
pub struct PricePlan {
    inner: koko_core::PricePlan,
}

#[wasm_bindgen]
impl PricePlan {
    /// Story 1: every book 1.00 a day. `PricePlan.story1()`
    pub fn story1() -> PricePlan {
        PricePlan {
            inner: koko_core::PricePlan::story1(),
        }
    }

    /// Story 2: regular 1.50, fiction 3.00, novel 1.50 a day. `PricePlan.story2()`
    pub fn story2() -> PricePlan {
        PricePlan {
            inner: koko_core::PricePlan::story2(),
        }
    }

    /// Story 3: regular 1.00 a day for days 1–2 then 1.50, minimum 2.00; fiction 3.00 a day; novel 1.50 a day,
    /// minimum 4.50. `PricePlan.story3()`
    pub fn story3() -> PricePlan {
        PricePlan {
            inner: koko_core::PricePlan::story3(),
        }
    }

    /// Parses and validates a JSON plan document; throws `InvalidPlan` naming the field.
    /// `PricePlan.fromJson('{"currency": "USD", "default": {"tiers": [{"from_day": 1, "rate": "1.00"}]}}')`
    #[wasm_bindgen(js_name = fromJson)]
    pub fn from_json(
        #[wasm_bindgen(js_name = text, unchecked_param_type = "string")] document: JsValue,
    ) -> Result<PricePlan, JsValue> {
        let document = text("document", &document)?;
        thrown(koko_core::PricePlan::from_json(&document)).map(|inner| PricePlan { inner })
    }

    /// The plan as a JSON document. `plan.toJson()`
    #[wasm_bindgen(js_name = toJson)]
    pub fn to_json(&self) -> String {
        self.inner.to_json()
    }

    /// The plan's label, if any. `plan.name`
    #[wasm_bindgen(getter)]
    pub fn name(&self) -> Option<String> {
        self.inner.name().map(str::to_owned)
    }

    /// The ISO 4217 currency code. `plan.currency // "USD"`
    #[wasm_bindgen(getter)]
    pub fn currency(&self) -> String {
        self.inner.currency().code().to_owned()
    }

    /// The categories the plan names. `plan.categories // ["fiction", "novel", "regular"]`
    #[wasm_bindgen(getter)]
    pub fn categories(&self) -> Vec<String> {
        self.inner.categories().map(str::to_owned).collect()
    }

    /// Prices a rental of `category` from `rentedAt` to `returnedAt` (each a `Date` or an ISO-8601 string with
    /// an offset). `plan.quote("regular", "2024-06-01T10:00:00Z", new Date("2024-06-04T10:00:00Z"))`
    ///
    /// `dueAt` (optional, the same forms) prices it with that due date, as given — a renewed rental's; left out,
    /// `undefined` or `null`, the plan computes the due date (`plan.dueAt(category, rentedAt)`). A due date before
    /// `rentedAt` throws `InvalidInput` on `due_at`.
    /// `plan.quote("regular", "2024-06-03T10:00:00Z", "2024-06-18T11:00:00Z", "2024-06-17T10:00:00Z")`
    #[wasm_bindgen(unchecked_return_type = "Quote")]
    pub fn quote(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] category: JsValue,
        #[wasm_bindgen(js_name = rentedAt, unchecked_param_type = "Instant")] rented_at: JsValue,
        #[wasm_bindgen(js_name = returnedAt, unchecked_param_type = "Instant")]
        returned_at: JsValue,
        #[wasm_bindgen(js_name = dueAt, unchecked_optional_param_type = "Instant | null")]
        due_at: JsValue,
    ) -> Result<JsValue, JsValue> {
        let category = text("category", &category)?;
        let rented = instant("rented_at", &rented_at)?;
        let returned = instant("returned_at", &returned_at)?;
        let quote = if due_at.is_undefined() || due_at.is_null() {
            self.inner.quote(&category, rented, returned)
        } else {
            let due = instant("due_at", &due_at)?;
            self.inner
                .quote_with_due(&category, rented, Some(due), returned)
        };
        to_js(&thrown(quote)?)
    }

    /// When a rental of `category` opened at `rentedAt` (a `Date` or an ISO-8601 string with an offset) is due
    /// back, moved off the days the plan's calendar closes; `null` when the tariff has no loan period. An RFC 3339
    /// string in UTC with `Z`, to the nanosecond: whole seconds carry no fraction, others 3, 6 or 9 digits
    /// (`calendar_days` is due by the end of a day, `…T21:59:59.999999999Z`), so passing it back as `dueAt` is
    /// exact (a `Date` keeps only milliseconds). `plan.dueAt("regular", "2024-06-01T10:00:00Z") // "2024-06-10T10:00:00Z"`
    #[wasm_bindgen(js_name = dueAt, unchecked_return_type = "string | null")]
    pub fn due_at(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] category: JsValue,
        #[wasm_bindgen(js_name = rentedAt, unchecked_param_type = "Instant")] rented_at: JsValue,
    ) -> Result<JsValue, JsValue> {
        let category = text("category", &category)?;
        let rented = instant("rented_at", &rented_at)?;
        Ok(match thrown(self.inner.due_at(&category, rented))? {
            Some(due) => JsValue::from_str(&due.to_rfc3339_opts(SecondsFormat::AutoSi, true)),
            None => JsValue::NULL,
        })
    }

    /// Prices `days` billable days (a whole number ≥ 0; 0 is billed as 1). `plan.quoteDays("novel", 2).total // "4.50"`
    #[wasm_bindgen(js_name = quoteDays, unchecked_return_type = "Quote")]
    pub fn quote_days(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] category: JsValue,
        #[wasm_bindgen(unchecked_param_type = "number")] days: JsValue,
    ) -> Result<JsValue, JsValue> {
        let category = text("category", &category)?;
        let days = whole_number("days", &days)?;
        to_js(&thrown(self.inner.quote_days(&category, days))?)
    }

    /// The total alone for `days` billable days, as a decimal string — the same as `quoteDays(...).total`
    /// without building the lines: the fast path for tables and batches. `plan.totalForDays("novel", 2) // "4.50"`
    #[wasm_bindgen(js_name = totalForDays)]
    pub fn total_for_days(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] category: JsValue,
        #[wasm_bindgen(unchecked_param_type = "number")] days: JsValue,
    ) -> Result<String, JsValue> {
        let category = text("category", &category)?;
        let days = whole_number("days", &days)?;
        Ok(thrown(self.inner.total_for_days(&category, days))?.to_string())
    }

    /// The total for returning after each of days 1..`maxDays`, as decimal strings.
    /// `plan.priceCurve("regular", 4) // ["2.00", "2.00", "3.50", "5.00"]`
    #[wasm_bindgen(js_name = priceCurve, unchecked_return_type = "string[]")]
    pub fn price_curve(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] category: JsValue,
        #[wasm_bindgen(js_name = maxDays, unchecked_param_type = "number")] max_days: JsValue,
    ) -> Result<JsValue, JsValue> {
        let category = text("category", &category)?;
        let max_days = whole_number("max_days", &max_days)?;
        let curve = thrown(self.inner.price_curve(&category, max_days))?;
        let out = Array::new_with_length(curve.len() as u32);
        for (i, total) in curve.iter().enumerate() {
            out.set(i as u32, JsValue::from_str(&total.to_string()));
        }
        Ok(out.into())
    }
}

/// The package version. `version() // "0.1.0"`
#[wasm_bindgen]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_owned()
}
