//! The store's calendar: the local dates it is closed. A due date that falls on one moves to the next open day,
//! and a tariff may leave closed days out of its late days (`late_fee.count_closed_days: false`).

use std::collections::HashSet;
use std::fmt;

use chrono::{DateTime, Datelike, Days, NaiveDate, TimeDelta, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::day_count::DayCount;
use super::time_zone::TimeZone;
use crate::error::{Error, Result};

/// The most dates a calendar may list in `closed_dates`.
pub const MAX_CLOSED_DATES: usize = 1000;

/// When the store is closed: days of the week and single dates, as local dates in one time zone.
///
/// In plan documents (optional; without it every day is open):
/// `"calendar": {"time_zone": "Europe/Berlin", "closed_weekdays": ["sunday"], "closed_dates": ["2024-12-25"]}`.
///
/// A due date the plan computes (a rental's, a renewal's) that falls on a closed local date moves forward one
/// local day at a time, keeping its wall-clock time, to the first open date. Late days still count closed days
/// unless the tariff's late fee says `"count_closed_days": false`.
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use koko_core::PricePlan;
///
/// let plan = PricePlan::from_json(r#"{"currency": "EUR",
///     "calendar": {"time_zone": "Europe/Berlin", "closed_weekdays": ["saturday", "sunday"]},
///     "default": {"tiers": [{"from_day": 1, "rate": "1.00"}],
///                 "late_fee": {"loan_days": 7, "per_day": "0.50"}}}"#).unwrap();
/// // Rented on Saturday 2024-06-01 at 12:00 in Berlin: a week later is a Saturday, so it is due on Monday 12:00.
/// let rented = Utc.with_ymd_and_hms(2024, 6, 1, 10, 0, 0).unwrap();
/// let due = Utc.with_ymd_and_hms(2024, 6, 10, 10, 0, 0).unwrap();
/// assert_eq!(plan.due_at("regular", rented).unwrap(), Some(due));
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Calendar {
    /// The IANA time zone whose local dates are open or closed. With the `calendar_days` day count it must be
    /// the day count's own zone.
    pub time_zone: TimeZone,
    /// Days of the week the store is closed (`"sunday"`); not all seven, none twice.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub closed_weekdays: Vec<Weekday>,
    /// Dates the store is closed, written `YYYY-MM-DD`; none twice, at most [`MAX_CLOSED_DATES`]. A date may
    /// also fall on a closed weekday.
    #[serde(default, skip_serializing_if = "Vec::is_empty", with = "date_list")]
    pub closed_dates: Vec<NaiveDate>,
}

impl Calendar {
    /// Whether the store is closed on the local date `date`.
    pub fn is_closed(&self, date: NaiveDate) -> bool {
        let weekday = Weekday::of(date);
        self.closed_weekdays.contains(&weekday) || self.closed_dates.contains(&date)
    }

    /// Checks the calendar against the rules above and the plan's day count. Errors are
    /// [`Error::InvalidPlan`] naming the field (`calendar.closed_weekdays[2]`, `calendar.time_zone`, …).
    pub(crate) fn validate(&self, day_count: &DayCount) -> Result<()> {
        let mut seen = 0u8;
        for (i, weekday) in self.closed_weekdays.iter().enumerate() {
            if seen & weekday.bit() != 0 {
                return Err(Error::invalid_plan(
                    format!("calendar.closed_weekdays[{i}]"),
                    format!("{weekday} is listed twice"),
                ));
            }
            seen |= weekday.bit();
        }
        if seen == ALL_WEEKDAYS {
            return Err(Error::invalid_plan(
                "calendar.closed_weekdays",
                "the store must be open on at least one day of the week",
            ));
        }
        if self.closed_dates.len() > MAX_CLOSED_DATES {
            return Err(Error::invalid_plan(
                "calendar.closed_dates",
                format!(
                    "at most {MAX_CLOSED_DATES} closed dates, got {}",
                    self.closed_dates.len()
                ),
            ));
        }
        let mut dates = HashSet::with_capacity(self.closed_dates.len());
        for (i, date) in self.closed_dates.iter().enumerate() {
            if !(0..=9999).contains(&date.year()) {
                return Err(Error::invalid_plan(
                    format!("calendar.closed_dates[{i}]"),
                    format!("{date} is not a date written YYYY-MM-DD (years 0000 to 9999)"),
                ));
            }
            if !dates.insert(*date) {
                return Err(Error::invalid_plan(
                    format!("calendar.closed_dates[{i}]"),
                    format!("{date} is listed twice"),
                ));
            }
        }
        if let DayCount::CalendarDays { time_zone } = day_count {
            if *time_zone != self.time_zone {
                return Err(Error::invalid_plan(
                    "calendar.time_zone",
                    format!(
                        "the calendar is in {} but calendar_days counts days in {time_zone}: use one zone",
                        self.time_zone
                    ),
                ));
            }
        }
        Ok(())
    }
}

/// A day of the week, written in plan documents by its lowercase English name (`"monday"` … `"sunday"`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Weekday {
    /// Monday.
    Monday,
    /// Tuesday.
    Tuesday,
    /// Wednesday.
    Wednesday,
    /// Thursday.
    Thursday,
    /// Friday.
    Friday,
    /// Saturday.
    Saturday,
    /// Sunday.
    Sunday,
}

/// The bits of all seven weekdays.
const ALL_WEEKDAYS: u8 = 0b111_1111;

impl Weekday {
    /// The day of the week of `date`.
    pub fn of(date: NaiveDate) -> Weekday {
        Weekday::from(date.weekday())
    }

    /// The weekday's name as plan documents write it (`"sunday"`).
    pub fn name(self) -> &'static str {
        match self {
            Weekday::Monday => "monday",
            Weekday::Tuesday => "tuesday",
            Weekday::Wednesday => "wednesday",
            Weekday::Thursday => "thursday",
            Weekday::Friday => "friday",
            Weekday::Saturday => "saturday",
            Weekday::Sunday => "sunday",
        }
    }

    /// Bit 0 for Monday … bit 6 for Sunday.
    fn bit(self) -> u8 {
        1 << chrono::Weekday::from(self).num_days_from_monday()
    }
}

impl From<chrono::Weekday> for Weekday {
    fn from(day: chrono::Weekday) -> Self {
        match day {
            chrono::Weekday::Mon => Weekday::Monday,
            chrono::Weekday::Tue => Weekday::Tuesday,
            chrono::Weekday::Wed => Weekday::Wednesday,
            chrono::Weekday::Thu => Weekday::Thursday,
            chrono::Weekday::Fri => Weekday::Friday,
            chrono::Weekday::Sat => Weekday::Saturday,
            chrono::Weekday::Sun => Weekday::Sunday,
        }
    }
}

impl From<Weekday> for chrono::Weekday {
    fn from(day: Weekday) -> Self {
        match day {
            Weekday::Monday => chrono::Weekday::Mon,
            Weekday::Tuesday => chrono::Weekday::Tue,
            Weekday::Wednesday => chrono::Weekday::Wed,
            Weekday::Thursday => chrono::Weekday::Thu,
            Weekday::Friday => chrono::Weekday::Fri,
            Weekday::Saturday => chrono::Weekday::Sat,
            Weekday::Sunday => chrono::Weekday::Sun,
        }
    }
}

impl fmt::Display for Weekday {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// `closed_dates` as strict `YYYY-MM-DD` strings (chrono's own parser also takes `2024-1-5` and `+2024-01-05`).
mod date_list {
    use super::*;

    pub(super) fn serialize<S: Serializer>(dates: &[NaiveDate], s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(dates.iter().map(|date| date.format("%Y-%m-%d").to_string()))
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<NaiveDate>, D::Error> {
        // Element by element, so an error names its index (`calendar.closed_dates[3]`).
        let dates: Vec<StrictDate> = Vec::deserialize(d)?;
        Ok(dates.into_iter().map(|date| date.0).collect())
    }

    struct StrictDate(NaiveDate);

    impl<'de> Deserialize<'de> for StrictDate {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            let text = String::deserialize(d)?;
            parse_date(&text).map(StrictDate).ok_or_else(|| {
                serde::de::Error::custom(format!("{text:?} is not a date written YYYY-MM-DD"))
            })
        }
    }

    /// `YYYY-MM-DD`, exactly ten characters, a date that exists.
    pub(super) fn parse_date(text: &str) -> Option<NaiveDate> {
        let bytes = text.as_bytes();
        if bytes.len() != 10 || bytes[4] != b'-' || bytes[7] != b'-' {
            return None;
        }
        let number = |from: usize, to: usize| -> Option<u32> {
            bytes.get(from..to)?.iter().try_fold(0u32, |acc, &b| {
                b.is_ascii_digit().then(|| acc * 10 + u32::from(b - b'0'))
            })
        };
        let year = i32::try_from(number(0, 4)?).ok()?;
        NaiveDate::from_ymd_opt(year, number(5, 7)?, number(8, 10)?)
    }
}

/// A validated calendar compiled for lookups: a weekday bit set and the closed dates, sorted.
#[derive(Clone, Debug)]
pub(crate) struct OpenDays {
    zone: TimeZone,
    /// Bit 0 Monday … bit 6 Sunday.
    closed_weekdays: u8,
    /// Sorted, without duplicates.
    closed_dates: Box<[NaiveDate]>,
}

impl OpenDays {
    /// The lookup form of a validated calendar.
    pub(crate) fn new(calendar: &Calendar) -> Self {
        let mut dates = calendar.closed_dates.clone();
        dates.sort_unstable();
        dates.dedup();
        OpenDays {
            zone: calendar.time_zone,
            closed_weekdays: calendar
                .closed_weekdays
                .iter()
                .fold(0, |bits, day| bits | day.bit()),
            closed_dates: dates.into_boxed_slice(),
        }
    }

    fn weekday_closed(&self, date: NaiveDate) -> bool {
        self.closed_weekdays & Weekday::of(date).bit() != 0
    }

    /// Whether the store is open on the local date `date`.
    fn is_open(&self, date: NaiveDate) -> bool {
        !self.weekday_closed(date) && self.closed_dates.binary_search(&date).is_err()
    }

    /// The first open date after `date`. A run of closed dates is bounded: each week of it needs a closed date on
    /// an open weekday, so it is shorter than 7 × (MAX_CLOSED_DATES + 1) days.
    fn next_open_date(&self, date: NaiveDate) -> Option<NaiveDate> {
        let mut day = date;
        for _ in 0..7 * (MAX_CLOSED_DATES + 1) {
            day = day.succ_opt()?;
            if self.is_open(day) {
                return Some(day);
            }
        }
        None
    }

    /// A due instant moved past closed days: unchanged if its local date is open; else the same local wall-clock
    /// time on the next open date — the earlier instant if the clocks go back over that time, the first instant
    /// after the gap if they jump over it.
    fn move_past_closed(&self, due: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let wall = self.zone.local_datetime(due);
        if self.is_open(wall.date()) {
            return Some(due);
        }
        let date = self.next_open_date(wall.date())?;
        self.zone.instant_of(date.and_time(wall.time()))
    }

    /// How many of the `count` local dates after `date` are open, without walking them one by one.
    fn open_days_after(&self, date: NaiveDate, count: u32) -> Result<u32> {
        if count == 0 {
            return Ok(0);
        }
        let last = date
            .checked_add_days(Days::new(u64::from(count)))
            .ok_or_else(|| Error::invalid_input("returned_at", "the late days are out of range"))?;
        // Whole weeks have every closed weekday once; the remaining days continue from `date`'s weekday.
        let (weeks, rest) = (count / 7, count % 7);
        let mut closed = u64::from(weeks) * u64::from(self.closed_weekdays.count_ones());
        let first = Weekday::of(date).bit().trailing_zeros();
        closed += (1..=rest)
            .filter(|k| self.closed_weekdays & (1 << ((first + k) % 7)) != 0)
            .count() as u64;
        // Closed dates in (date, last] that are not already closed by their weekday.
        let from = self.closed_dates.partition_point(|d| *d <= date);
        let to = self.closed_dates.partition_point(|d| *d <= last);
        closed += self.closed_dates[from..to]
            .iter()
            .filter(|d| !self.weekday_closed(**d))
            .count() as u64;
        Ok(u64::from(count)
            .saturating_sub(closed)
            .try_into()
            .unwrap_or(0))
    }
}

/// When a loan is due: the instant, and for `calendar_days` the local date it is due by the end of.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Due {
    /// The due instant.
    pub(crate) at: DateTime<Utc>,
    /// For `calendar_days`, the due date (late days count from it).
    pub(crate) date: Option<NaiveDate>,
}

/// The due date of a loan of `loan_days` counted from `from`, moved past the calendar's closed days.
///
/// The 24-hour policies move the due instant (see [`OpenDays::move_past_closed`]). `calendar_days` moves the due
/// date to the next open date and is due by its end — the same thing, stated for dates. An open due date is
/// exactly the day count's own.
pub(crate) fn due_of_loan(
    policy: &DayCount,
    open: Option<&OpenDays>,
    from: DateTime<Utc>,
    loan_days: u32,
) -> Result<Due> {
    let too_far = || Error::invalid_input("loan_days", "the due date is out of range");
    match policy {
        DayCount::CalendarDays { time_zone } => {
            let date = time_zone
                .local_date(from)
                .checked_add_days(Days::new(u64::from(loan_days)))
                .ok_or_else(too_far)?;
            match open {
                Some(open) if !open.is_open(date) => {
                    let date = open.next_open_date(date).ok_or_else(too_far)?;
                    let at = time_zone
                        .start_of_next_day(date)
                        .and_then(|next| next.checked_sub_signed(TimeDelta::nanoseconds(1)))
                        .ok_or_else(too_far)?;
                    Ok(Due {
                        at,
                        date: Some(date),
                    })
                }
                _ => Ok(Due {
                    at: policy.due_at(from, loan_days)?,
                    date: Some(date),
                }),
            }
        }
        DayCount::ElapsedWholeDaysMin1 | DayCount::StartedDays => {
            let at = policy.due_at(from, loan_days)?;
            let at = match open {
                Some(open) => open.move_past_closed(at).ok_or_else(too_far)?,
                None => at,
            };
            Ok(Due { at, date: None })
        }
    }
}

/// The terms of a rental's late days: when it was opened, its loan period and whether closed days count.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Loan {
    /// When the rental was opened.
    pub(crate) rented_at: DateTime<Utc>,
    /// The tariff's loan period.
    pub(crate) loan_days: u32,
    /// The tariff's `late_fee.count_closed_days`.
    pub(crate) count_closed_days: bool,
}

/// Late days of a rental due at `due_at` and returned at `returned_at`: the policy's count from the due date; with
/// `count_closed_days: false`, only the open dates among the that many local dates after the local due date.
pub(crate) fn late_days(
    policy: &DayCount,
    open: Option<&OpenDays>,
    loan: Loan,
    due_at: DateTime<Utc>,
    returned_at: DateTime<Utc>,
) -> Result<u32> {
    if returned_at <= due_at {
        return Ok(0);
    }
    // For calendar_days, the plan's own due date for this rental, when `due_at` is it (see `late_days_from`).
    let own_date = match policy {
        DayCount::CalendarDays { .. } => due_of_loan(policy, open, loan.rented_at, loan.loan_days)
            .ok()
            .filter(|own| own.at == due_at)
            .and_then(|own| own.date),
        _ => None,
    };
    let late = policy.late_days_from(due_at, own_date, returned_at)?;
    match open {
        Some(open) if !loan.count_closed_days => {
            let due_date = own_date.unwrap_or_else(|| open.zone.local_date(due_at));
            open.open_days_after(due_date, late)
        }
        _ => Ok(late),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(text: &str) -> NaiveDate {
        date_list::parse_date(text).unwrap()
    }

    fn berlin(closed_weekdays: Vec<Weekday>, closed_dates: &[&str]) -> Calendar {
        Calendar {
            time_zone: "Europe/Berlin".parse().unwrap(),
            closed_weekdays,
            closed_dates: closed_dates.iter().map(|d| date(d)).collect(),
        }
    }

    #[test]
    fn dates_are_strictly_four_two_two_digits() {
        assert_eq!(
            date_list::parse_date("2024-02-29"),
            NaiveDate::from_ymd_opt(2024, 2, 29)
        );
        for bad in [
            "2023-02-29",
            "2024-1-05",
            "2024-01-5 ",
            "+2024-01-05",
            "2024/01/05",
            "24-01-2024",
            "2024-13-01",
            "",
            "２０２４-01-05",
        ] {
            assert_eq!(date_list::parse_date(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn open_days_are_counted_by_weeks_and_dates() {
        // Closed on Sundays and on Wednesday 2024-12-25; Sunday 2024-12-22 is also listed (it counts once).
        let open = OpenDays::new(&berlin(
            vec![Weekday::Sunday],
            &["2024-12-25", "2024-12-22"],
        ));
        // After Monday 2024-12-16: Tue 17 … Mon 30 (14 dates) hold Sundays 22 and 29 and the 25th: 11 open.
        assert_eq!(open.open_days_after(date("2024-12-16"), 14).unwrap(), 11);
        // After Saturday 2024-12-21: Sunday 22 only.
        assert_eq!(open.open_days_after(date("2024-12-21"), 1).unwrap(), 0);
        assert_eq!(open.open_days_after(date("2024-12-21"), 0).unwrap(), 0);
        // 700 days after Monday 2024-01-01: 100 weeks, 100 Sundays, and the 25th of December 2024 (a Wednesday).
        assert_eq!(open.open_days_after(date("2024-01-01"), 700).unwrap(), 599);
        // Each date one at a time gives the same count.
        let start = date("2024-12-01");
        for count in 0..40 {
            let walked = (1..=u64::from(count))
                .filter(|k| open.is_open(start + Days::new(*k)))
                .count() as u32;
            assert_eq!(
                open.open_days_after(start, count).unwrap(),
                walked,
                "{count}"
            );
        }
    }

    #[test]
    fn validation_names_the_field() {
        let policy = DayCount::ElapsedWholeDaysMin1;
        let all = vec![
            Weekday::Monday,
            Weekday::Tuesday,
            Weekday::Wednesday,
            Weekday::Thursday,
            Weekday::Friday,
            Weekday::Saturday,
            Weekday::Sunday,
        ];
        let err = berlin(all, &[]).validate(&policy).unwrap_err();
        assert_eq!(err.field(), Some("calendar.closed_weekdays"));
        let twice = berlin(vec![Weekday::Sunday, Weekday::Monday, Weekday::Sunday], &[]);
        let err = twice.validate(&policy).unwrap_err();
        assert_eq!(err.field(), Some("calendar.closed_weekdays[2]"));
        let err = berlin(vec![], &["2024-12-25", "2024-12-26", "2024-12-25"])
            .validate(&policy)
            .unwrap_err();
        assert_eq!(err.field(), Some("calendar.closed_dates[2]"));
        // 1000 distinct dates are fine, 1001 are not.
        let first = date("2024-01-01");
        let mut many = berlin(vec![], &[]);
        many.closed_dates = (0..1000).map(|k| first + Days::new(k)).collect();
        assert!(many.validate(&policy).is_ok());
        many.closed_dates.push(date("2000-01-01"));
        let err = many.validate(&policy).unwrap_err();
        assert_eq!(err.field(), Some("calendar.closed_dates"));
        // A year that YYYY-MM-DD cannot write.
        let mut far = berlin(vec![], &[]);
        far.closed_dates = vec![NaiveDate::from_ymd_opt(10_000, 1, 1).unwrap()];
        let err = far.validate(&policy).unwrap_err();
        assert_eq!(err.field(), Some("calendar.closed_dates[0]"));
        // calendar_days in another zone.
        let tokyo = DayCount::calendar_days("Asia/Tokyo").unwrap();
        let err = berlin(vec![], &[]).validate(&tokyo).unwrap_err();
        assert_eq!(err.field(), Some("calendar.time_zone"));
        let same = DayCount::calendar_days("Europe/Berlin").unwrap();
        assert!(berlin(vec![Weekday::Sunday], &[]).validate(&same).is_ok());
    }

    #[test]
    fn a_long_closed_run_ends() {
        // Open only on Mondays, and every Monday of 2024 to 2042 is a closed date: the first open day is the
        // first Monday after them.
        let mut calendar = berlin(
            vec![
                Weekday::Tuesday,
                Weekday::Wednesday,
                Weekday::Thursday,
                Weekday::Friday,
                Weekday::Saturday,
                Weekday::Sunday,
            ],
            &[],
        );
        let first_monday = date("2024-01-01");
        calendar.closed_dates = (0..MAX_CLOSED_DATES as u64)
            .map(|week| first_monday + Days::new(7 * week))
            .collect();
        calendar.validate(&DayCount::StartedDays).unwrap();
        let open = OpenDays::new(&calendar);
        let after = first_monday + Days::new(7 * MAX_CLOSED_DATES as u64);
        assert_eq!(open.next_open_date(date("2023-12-31")), Some(after));
    }
}
