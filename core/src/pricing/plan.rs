//! Price plans: validated data (JSON or TOML) that prices every category, and the quoting functions.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::calendar::{self, Calendar, Loan, OpenDays};
use super::circulation::{HoldsPolicy, NoticesPolicy};
use super::compiled::{CompiledPlan, CompiledTariff};
use super::day_count::DayCount;
use super::limits::Limits;
use super::quote::{LineCollector, Quote};
use super::tariff::{Tariff, TotalOnly};
use crate::error::{Error, Result};
use crate::money::{Currency, Rounding};

/// A validated price plan: a currency, a day-count policy, a rounding rule, one [`Tariff`] per category and an
/// optional default tariff for every other category.
///
/// Build one from a preset, from a JSON or TOML document, or with [`PricePlan::new`]; every way validates it,
/// so a `PricePlan` value is always usable.
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use koko_core::PricePlan;
///
/// let plan = PricePlan::from_json(r#"{
///     "currency": "EUR",
///     "day_count": {"policy": "started_days"},
///     "categories": {
///         "regular": {"tiers": [{"from_day": 1, "rate": "1.00"}, {"from_day": 3, "rate": "1.50"}],
///                     "minimum": "2.00"}
///     }
/// }"#).unwrap();
/// let rented = Utc.with_ymd_and_hms(2024, 5, 1, 9, 0, 0).unwrap();
/// let returned = Utc.with_ymd_and_hms(2024, 5, 3, 10, 0, 0).unwrap(); // 49 h: 3 started days
/// let quote = plan.quote("regular", rented, returned).unwrap();
/// assert_eq!((quote.days, quote.total.to_string()), (3, "3.50".to_string()));
/// ```
#[derive(Clone, Serialize, Deserialize)]
#[serde(try_from = "PlanDocument", into = "PlanDocument")]
pub struct PricePlan {
    doc: PlanDocument,
    /// The same tariffs in integer micro-units, for totals without building lines.
    compiled: CompiledPlan,
    /// The calendar, compiled for lookups.
    open_days: Option<OpenDays>,
}

impl PartialEq for PricePlan {
    /// Plans are equal when their documents are (the compiled form follows from the document).
    fn eq(&self, other: &Self) -> bool {
        self.doc == other.doc
    }
}

impl Eq for PricePlan {}

impl std::fmt::Debug for PricePlan {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PricePlan").field("doc", &self.doc).finish()
    }
}

/// The document form of a plan, exactly as written in JSON or TOML.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlanDocument {
    /// An optional label, e.g. `"story3"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The ISO 4217 currency of every amount.
    pub currency: Currency,
    /// How amounts are rounded to the currency's minor unit (`half_even` by default).
    #[serde(default)]
    pub rounding: Rounding,
    /// How billable days are counted (`elapsed_whole_days_min1` by default).
    #[serde(default)]
    pub day_count: DayCount,
    /// The days the store is closed, which due dates skip; none by default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calendar: Option<Calendar>,
    /// The tariff of each named category.
    #[serde(default)]
    pub categories: BTreeMap<String, Tariff>,
    /// The tariff of every category not named in `categories`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<Tariff>,
    /// When a customer may not rent more (open rentals, balance, overdue rentals); none by default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limits: Option<Limits>,
    /// How holds are served (`pickup_days`); a copy set aside waits 7 days without it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub holds: Option<HoldsPolicy>,
    /// When customers are reminded of due and overdue rentals; no reminders without it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notices: Option<NoticesPolicy>,
}

impl TryFrom<PlanDocument> for PricePlan {
    type Error = Error;

    fn try_from(doc: PlanDocument) -> Result<Self> {
        PricePlan::new(doc)
    }
}

impl From<PricePlan> for PlanDocument {
    fn from(plan: PricePlan) -> Self {
        plan.doc
    }
}

impl PricePlan {
    /// Validates a plan document: tiers start at day 1 and strictly increase, no negative amounts, a minimum not
    /// above its cap, at least one tariff. Errors are [`Error::InvalidPlan`] naming the field.
    pub fn new(doc: PlanDocument) -> Result<Self> {
        if doc.categories.is_empty() && doc.default.is_none() {
            return Err(Error::invalid_plan(
                "categories",
                "the plan prices nothing: give at least one category or a default tariff",
            ));
        }
        if let Some(name) = &doc.name {
            if name.chars().count() > 200 || name.chars().any(char::is_control) {
                return Err(Error::invalid_plan(
                    "name",
                    "must be at most 200 characters without control characters",
                ));
            }
        }
        for (category, tariff) in &doc.categories {
            if category.trim().is_empty() || category.trim() != category || category.len() > 64 {
                return Err(Error::invalid_plan(
                    format!("categories.{category:?}"),
                    "a category name must be 1 to 64 bytes without surrounding spaces",
                ));
            }
            tariff.validate(&format!("categories.{category}"), doc.calendar.is_some())?;
            if let Some(replacement) = &tariff.replacement {
                replacement.validate(&format!("categories.{category}"), doc.currency)?;
            }
        }
        if let Some(default) = &doc.default {
            default.validate("default", doc.calendar.is_some())?;
            if let Some(replacement) = &default.replacement {
                replacement.validate("default", doc.currency)?;
            }
        }
        if let Some(calendar) = &doc.calendar {
            calendar.validate(&doc.day_count)?;
        }
        if let Some(limits) = &doc.limits {
            limits.validate()?;
        }
        if let Some(holds) = &doc.holds {
            holds.validate()?;
        }
        if let Some(notices) = &doc.notices {
            notices.validate()?;
        }
        Ok(PricePlan::compile(doc))
    }

    /// Pairs a validated document with its compiled tariffs.
    pub(super) fn compile(doc: PlanDocument) -> Self {
        let compiled = CompiledPlan::new(
            doc.categories
                .iter()
                .map(|(name, tariff)| (name.as_str(), tariff)),
            doc.default.as_ref(),
            doc.currency,
            doc.rounding,
        );
        let open_days = doc.calendar.as_ref().map(OpenDays::new);
        PricePlan {
            doc,
            compiled,
            open_days,
        }
    }

    /// Parses and validates a JSON plan document.
    ///
    /// ```
    /// use koko_core::{Error, PricePlan};
    ///
    /// let err = PricePlan::from_json(r#"{"currency": "USD", "categories": {
    ///     "regular": {"tiers": [{"from_day": 1, "rate": "-1.00"}]}}}"#).unwrap_err();
    /// assert!(matches!(err, Error::InvalidPlan { ref field, .. } if field == "categories.regular.tiers[0].rate"));
    /// ```
    pub fn from_json(text: &str) -> Result<Self> {
        // serde would read a struct from a JSON array too, and then blame an element ("[0]"): a plan is an object.
        if !text.trim_start().starts_with('{') {
            return Err(Error::invalid_plan(
                "(document)",
                "a plan is a JSON object ({\"currency\": …})",
            ));
        }
        let mut de = serde_json::Deserializer::from_str(text);
        let doc: PlanDocument = serde_path_to_error::deserialize(&mut de).map_err(|e| {
            let reason = e.inner().to_string();
            plan_error(e.path(), reason)
        })?;
        de.end().map_err(|e| Error::invalid_plan("(document)", e))?;
        PricePlan::new(doc)
    }

    /// Parses and validates a TOML plan document.
    ///
    /// ```
    /// use koko_core::PricePlan;
    ///
    /// let plan = PricePlan::from_toml(r#"
    ///     currency = "USD"
    ///     [categories.regular]
    ///     tiers = [{ from_day = 1, rate = "1.00" }, { from_day = 3, rate = "1.50" }]
    ///     minimum = "2.00"
    /// "#).unwrap();
    /// assert_eq!(plan.quote_days("regular", 1).unwrap().total.to_string(), "2.00");
    /// ```
    pub fn from_toml(text: &str) -> Result<Self> {
        let de = toml::Deserializer::parse(text)
            .map_err(|e| Error::invalid_plan("(document)", e.message()))?;
        let doc: PlanDocument = serde_path_to_error::deserialize(de).map_err(|e| {
            let reason = e.inner().message().to_owned();
            plan_error(e.path(), reason)
        })?;
        PricePlan::new(doc)
    }

    /// The plan as a JSON document that [`PricePlan::from_json`] reads back to an equal plan.
    pub fn to_json(&self) -> String {
        // A `PlanDocument` holds only strings, integers, maps and sequences: serialising it cannot fail.
        serde_json::to_string_pretty(&self.doc).unwrap_or_default()
    }

    /// The plan as a TOML document that [`PricePlan::from_toml`] reads back to an equal plan.
    pub fn to_toml(&self) -> String {
        toml::to_string(&self.doc).unwrap_or_default()
    }

    /// The document this plan was built from.
    pub fn document(&self) -> &PlanDocument {
        &self.doc
    }

    /// The plan's label, if any.
    pub fn name(&self) -> Option<&str> {
        self.doc.name.as_deref()
    }

    /// The currency of every amount.
    pub fn currency(&self) -> Currency {
        self.doc.currency
    }

    /// The limits on renting, if the plan sets any.
    pub fn limits(&self) -> Option<&Limits> {
        self.doc.limits.as_ref()
    }

    /// How holds are served (the default policy when the plan has no `holds` section).
    pub fn holds(&self) -> HoldsPolicy {
        self.doc.holds.unwrap_or_default()
    }

    /// When customers are reminded, if the plan says.
    pub fn notices(&self) -> Option<&NoticesPolicy> {
        self.doc.notices.as_ref()
    }

    /// The rounding rule applied once to each total.
    pub fn rounding(&self) -> Rounding {
        self.doc.rounding
    }

    /// The day-count policy.
    pub fn day_count(&self) -> DayCount {
        self.doc.day_count
    }

    /// The days the store is closed, if the plan has a calendar.
    pub fn calendar(&self) -> Option<&Calendar> {
        self.doc.calendar.as_ref()
    }

    /// The categories the plan names (a default tariff, if any, prices every other one too).
    pub fn categories(&self) -> impl Iterator<Item = &str> {
        self.doc.categories.keys().map(String::as_str)
    }

    /// The tariff for `category`: its own, else the default, else [`Error::InvalidInput`] on `category`.
    pub fn tariff(&self, category: &str) -> Result<&Tariff> {
        self.doc
            .categories
            .get(category)
            .or(self.doc.default.as_ref())
            .ok_or_else(|| self.unpriced(category))
    }

    /// The error for a category this plan does not price.
    #[cold]
    fn unpriced(&self, category: &str) -> Error {
        let known: Vec<&str> = self.categories().collect();
        Error::invalid_input(
            "category",
            format!(
                "{category:?} is not priced by this plan (it prices: {})",
                known.join(", ")
            ),
        )
    }

    /// When a rental of `category` opened at `rented_at` is due back, if the tariff has a loan period: the day
    /// count's due date, moved past the days the plan's calendar closes.
    pub fn due_at(
        &self,
        category: &str,
        rented_at: DateTime<Utc>,
    ) -> Result<Option<DateTime<Utc>>> {
        match &self.tariff(category)?.late_fee {
            Some(late) => self.loan_due(rented_at, late.loan_days).map(Some),
            None => Ok(None),
        }
    }

    /// The due time of a loan of `loan_days` from `from`, moved past closed days.
    fn loan_due(&self, from: DateTime<Utc>, loan_days: u32) -> Result<DateTime<Utc>> {
        let due = calendar::due_of_loan(
            &self.doc.day_count,
            self.open_days.as_ref(),
            from,
            loan_days,
        )?;
        Ok(due.at)
    }

    /// The due date a renewal at `at` gives a rental of `category` now due at `due_at`: the loan period counted
    /// from the due date or from `at`, as the tariff's `renewals.from` says, moved past the days the plan's
    /// calendar closes. [`Error::Blocked`] on
    /// `renewals.max` when the tariff allows no (more) renewals — `renewed` is how many the rental has had.
    pub fn renewed_due(
        &self,
        category: &str,
        due_at: DateTime<Utc>,
        at: DateTime<Utc>,
        renewed: usize,
    ) -> Result<DateTime<Utc>> {
        let tariff = self.tariff(category)?;
        let (Some(renewals), Some(late)) = (&tariff.renewals, &tariff.late_fee) else {
            return Err(Error::Blocked {
                rule: "renewals.max".into(),
                reason: format!("the plan allows no renewals of {category:?}"),
            });
        };
        if renewed >= renewals.max as usize {
            return Err(Error::Blocked {
                rule: "renewals.max".into(),
                reason: format!(
                    "the rental was renewed {renewed} times; the plan allows {} for {category:?}",
                    renewals.max
                ),
            });
        }
        let base = match renewals.from {
            super::tariff::RenewFrom::DueDate => due_at,
            super::tariff::RenewFrom::Renewal => at,
        };
        self.loan_due(base, late.loan_days)
    }

    /// Prices a rental of `category` from `rented_at` to `returned_at`, with the due date the plan's loan period
    /// gives (if any).
    ///
    /// ```
    /// use chrono::{Duration, TimeZone, Utc};
    /// use koko_core::PricePlan;
    ///
    /// let plan = PricePlan::story3();
    /// let rented = Utc.with_ymd_and_hms(2024, 1, 1, 12, 0, 0).unwrap();
    /// let quote = plan.quote("novel", rented, rented + Duration::hours(71)).unwrap();
    /// assert_eq!((quote.days, quote.total.to_string()), (2, "4.50".to_string()));
    /// ```
    pub fn quote(
        &self,
        category: &str,
        rented_at: DateTime<Utc>,
        returned_at: DateTime<Utc>,
    ) -> Result<Quote> {
        let due_at = self.due_at(category, rented_at)?;
        self.quote_with_due(category, rented_at, due_at, returned_at)
    }

    /// Prices a rental with an explicit due date (`None`: no late fee can apply), e.g. a renewed rental's. The
    /// due date is used as given (a calendar never moves it); one before `rented_at` is [`Error::InvalidInput`]
    /// on `due_at`.
    ///
    /// ```
    /// use chrono::{TimeZone, Utc};
    /// use koko_core::PricePlan;
    ///
    /// let plan = PricePlan::from_json(r#"{"currency": "USD", "default": {"tiers": [{"from_day": 1, "rate": "1.00"}],
    ///     "late_fee": {"loan_days": 7, "per_day": "0.50"}}}"#).unwrap();
    /// let rented = Utc.with_ymd_and_hms(2024, 6, 3, 10, 0, 0).unwrap();
    /// let renewed_due = Utc.with_ymd_and_hms(2024, 6, 17, 10, 0, 0).unwrap();
    /// let returned = Utc.with_ymd_and_hms(2024, 6, 20, 10, 0, 0).unwrap();
    /// // 17 days at 1.00, and 3 days late at 0.50 (the plan's own due date, June 10, would make it 10 days late).
    /// let quote = plan.quote_with_due("regular", rented, Some(renewed_due), returned).unwrap();
    /// assert_eq!(quote.total.to_string(), "18.50");
    /// ```
    pub fn quote_with_due(
        &self,
        category: &str,
        rented_at: DateTime<Utc>,
        due_at: Option<DateTime<Utc>>,
        returned_at: DateTime<Utc>,
    ) -> Result<Quote> {
        let (tariff, days, late_days) =
            self.terms_for_times(category, rented_at, due_at, returned_at)?;
        self.build_quote(category, tariff, days, late_days)
    }

    /// The total alone of [`PricePlan::quote_with_due`], without building the lines: for reports over many rentals.
    pub fn total_with_due(
        &self,
        category: &str,
        rented_at: DateTime<Utc>,
        due_at: Option<DateTime<Utc>>,
        returned_at: DateTime<Utc>,
    ) -> Result<Decimal> {
        let Some(compiled) = self.compiled.tariff(category) else {
            let (tariff, days, late_days) =
                self.terms_for_times(category, rented_at, due_at, returned_at)?;
            return self.exact_total(tariff, days, late_days);
        };
        let (days, late_days) =
            self.days_between(rented_at, due_at, compiled.late_terms(), returned_at)?;
        self.total_of(category, compiled, days, late_days)
    }

    /// The rounded total from the compiled tariff, or from the exact `Decimal` path when it does not fit in
    /// integer units.
    #[inline]
    fn total_of(
        &self,
        category: &str,
        compiled: &CompiledTariff,
        days: u32,
        late_days: u32,
    ) -> Result<Decimal> {
        match self.compiled.total(compiled, days, late_days) {
            Some(total) => Ok(total),
            None => self.exact_total(self.tariff(category)?, days, late_days),
        }
    }

    /// The rounded total by `Decimal` arithmetic: exact for every `u32` day count.
    #[cold]
    fn exact_total(&self, tariff: &Tariff, days: u32, late_days: u32) -> Result<Decimal> {
        let exact = tariff.charge(days, late_days, &mut TotalOnly)?;
        Ok(self.doc.rounding.round(exact, self.doc.currency))
    }

    /// The tariff, billable days and late days of a rental between two instants.
    fn terms_for_times(
        &self,
        category: &str,
        rented_at: DateTime<Utc>,
        due_at: Option<DateTime<Utc>>,
        returned_at: DateTime<Utc>,
    ) -> Result<(&Tariff, u32, u32)> {
        let tariff = self.tariff(category)?;
        let late_terms = tariff
            .late_fee
            .as_ref()
            .map(|late| (late.loan_days, late.count_closed_days));
        let (days, late_days) = self.days_between(rented_at, due_at, late_terms, returned_at)?;
        Ok((tariff, days, late_days))
    }

    /// Billable days and late days between two instants; late days only with a due date and a loan period
    /// (`late_terms`: the loan period and whether closed days count).
    fn days_between(
        &self,
        rented_at: DateTime<Utc>,
        due_at: Option<DateTime<Utc>>,
        late_terms: Option<(u32, bool)>,
        returned_at: DateTime<Utc>,
    ) -> Result<(u32, u32)> {
        let policy = &self.doc.day_count;
        let days = policy.days(rented_at, returned_at)?;
        if let Some(due) = due_at.filter(|due| *due < rented_at) {
            return Err(Error::invalid_input(
                "due_at",
                format!("{due} is before rented_at {rented_at}"),
            ));
        }
        let late_days = match (due_at, late_terms) {
            (Some(due), Some((loan_days, count_closed_days))) => {
                let loan = Loan {
                    rented_at,
                    loan_days,
                    count_closed_days,
                };
                calendar::late_days(policy, self.open_days.as_ref(), loan, due, returned_at)?
            }
            _ => 0,
        };
        Ok((days, late_days))
    }

    /// Prices `days` billable days of `category` (0 is billed as 1). Days beyond the tariff's loan period are late.
    ///
    /// ```
    /// use koko_core::PricePlan;
    ///
    /// assert_eq!(PricePlan::story2().quote_days("fiction", 3).unwrap().total.to_string(), "9.00");
    /// // Any u32 gives a quote or a typed error, never a panic.
    /// assert!(PricePlan::story3().quote_days("regular", u32::MAX).is_ok());
    /// ```
    pub fn quote_days(&self, category: &str, days: u32) -> Result<Quote> {
        let (tariff, days, late_days) = self.terms_for_days(category, days)?;
        self.build_quote(category, tariff, days, late_days)
    }

    /// The total alone for `days` billable days: the same number as `quote_days(..).total`, without the lines.
    pub fn total_for_days(&self, category: &str, days: u32) -> Result<Decimal> {
        let Some(compiled) = self.compiled.tariff(category) else {
            let (tariff, days, late_days) = self.terms_for_days(category, days)?;
            return self.exact_total(tariff, days, late_days);
        };
        let days = days.max(1);
        self.total_of(category, compiled, days, compiled.late_days_after(days))
    }

    /// The tariff, billable days (at least 1) and late days (beyond the loan period) of a day-count quote.
    fn terms_for_days(&self, category: &str, days: u32) -> Result<(&Tariff, u32, u32)> {
        let tariff = self.tariff(category)?;
        let days = days.max(1);
        let late_days = tariff
            .late_fee
            .as_ref()
            .map_or(0, |late| days.saturating_sub(late.loan_days));
        Ok((tariff, days, late_days))
    }

    /// The total for returning after each of days `1..=max_days`: what a "price by day" table shows.
    ///
    /// ```
    /// use koko_core::PricePlan;
    ///
    /// let curve = PricePlan::story3().price_curve("regular", 4).unwrap();
    /// let shown: Vec<String> = curve.iter().map(|d| d.to_string()).collect();
    /// assert_eq!(shown, ["2.00", "2.00", "3.50", "5.00"]);
    /// ```
    pub fn price_curve(&self, category: &str, max_days: u32) -> Result<Vec<Decimal>> {
        const MAX_CURVE: u32 = 100_000;
        if max_days > MAX_CURVE {
            return Err(Error::invalid_input(
                "max_days",
                format!("at most {MAX_CURVE} days, got {max_days}"),
            ));
        }
        let Some(compiled) = self.compiled.tariff(category) else {
            // Also when `max_days` is 0: an unpriced category is an error, not an empty curve.
            self.tariff(category)?;
            return (1..=max_days)
                .map(|days| self.total_for_days(category, days))
                .collect();
        };
        (1..=max_days)
            .map(|days| self.total_of(category, compiled, days, compiled.late_days_after(days)))
            .collect()
    }

    fn build_quote(
        &self,
        category: &str,
        tariff: &Tariff,
        days: u32,
        late_days: u32,
    ) -> Result<Quote> {
        let currency = self.doc.currency;
        let labels = self.compiled.tariff(category).map(CompiledTariff::labels);
        let mut lines = LineCollector::new(currency, labels);
        let exact = tariff.charge(days, late_days, &mut lines)?;
        let total = self.doc.rounding.round(exact, currency);
        Ok(Quote {
            days,
            total,
            currency,
            lines: lines.finish(total, self.doc.rounding),
        })
    }
}

/// An [`Error::InvalidPlan`] for a document that did not deserialise; a missing field is named in the path.
fn plan_error(path: &serde_path_to_error::Path, reason: String) -> Error {
    let mut field = document_path(path);
    // A missing or repeated field is named by the message, not by the path (which stops at its parent).
    let missing = ["missing field `", "duplicate field `"]
        .iter()
        .find_map(|prefix| reason.strip_prefix(prefix))
        .and_then(|rest| rest.split('`').next());
    // Fields of the internally tagged `day_count` lose their path inside serde; put it back.
    if field == "day_count" && reason.contains("IANA time zone") {
        field = "day_count.time_zone".to_owned();
    }
    if let Some(name) = missing {
        field = if field == "(document)" {
            name.to_owned()
        } else {
            format!("{field}.{name}")
        };
    }
    Error::invalid_plan(field, reason)
}

/// `categories.regular.tiers[1].rate` from serde_path_to_error's path.
fn document_path(path: &serde_path_to_error::Path) -> String {
    let mut out = String::new();
    for segment in path.iter() {
        match segment {
            serde_path_to_error::Segment::Seq { index } => out.push_str(&format!("[{index}]")),
            serde_path_to_error::Segment::Map { key }
            | serde_path_to_error::Segment::Enum { variant: key } => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(key);
            }
            serde_path_to_error::Segment::Unknown => {}
        }
    }
    if out.is_empty() {
        "(document)".to_owned()
    } else {
        out
    }
}
