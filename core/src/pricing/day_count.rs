//! Day-count policies: how many days a rental is billed for, and how many days late it came back.

use chrono::{DateTime, Days, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::time_zone::TimeZone;
use crate::error::{Error, Result};

const SECONDS_PER_DAY: i64 = 86_400;

/// How the days of a rental are counted. Every policy bills at least one day.
///
/// In plan documents: `{"policy": "elapsed_whole_days_min1"}` (the default), `{"policy": "started_days"}` or
/// `{"policy": "calendar_days", "time_zone": "Europe/Berlin"}`.
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use koko_core::DayCount;
///
/// let rented = Utc.with_ymd_and_hms(2024, 3, 1, 10, 0, 0).unwrap();
/// let returned = Utc.with_ymd_and_hms(2024, 3, 3, 9, 0, 0).unwrap(); // 47 hours later
/// assert_eq!(DayCount::ElapsedWholeDaysMin1.days(rented, returned).unwrap(), 1);
/// assert_eq!(DayCount::StartedDays.days(rented, returned).unwrap(), 2);
/// let berlin = DayCount::calendar_days("Europe/Berlin").unwrap();
/// assert_eq!(berlin.days(rented, returned).unwrap(), 2);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "policy", rename_all = "snake_case", deny_unknown_fields)]
pub enum DayCount {
    /// Whole 24-hour periods elapsed, floored, at least 1: 47 h is 1 day, 48 h is 2 (the original store's rule).
    #[default]
    ElapsedWholeDaysMin1,
    /// Every started 24-hour period counts: 1 h is 1 day, 24 h is 1, 25 h is 2.
    StartedDays,
    /// The local return date minus the local rental date in a time zone, at least 1. DST changes neither add nor
    /// remove a day, because a day is a date, not 24 hours.
    CalendarDays {
        /// The IANA time zone whose calendar counts, e.g. `"America/New_York"`.
        time_zone: TimeZone,
    },
}

impl DayCount {
    /// The `calendar_days` policy in the named IANA time zone.
    pub fn calendar_days(time_zone: &str) -> Result<Self> {
        Ok(DayCount::CalendarDays {
            time_zone: time_zone.parse()?,
        })
    }

    /// The billable days from `rented_at` to `returned_at` (at least 1).
    ///
    /// A return before the rental is [`Error::InvalidInput`] on `returned_at`.
    pub fn days(&self, rented_at: DateTime<Utc>, returned_at: DateTime<Utc>) -> Result<u32> {
        if returned_at < rented_at {
            return Err(Error::invalid_input(
                "returned_at",
                format!("{returned_at} is before rented_at {rented_at}"),
            ));
        }
        let raw = match self {
            DayCount::ElapsedWholeDaysMin1 => {
                (returned_at - rented_at).num_seconds() / SECONDS_PER_DAY
            }
            DayCount::StartedDays => {
                let elapsed = returned_at - rented_at;
                let whole = elapsed.num_seconds() / SECONDS_PER_DAY;
                let exact = elapsed == chrono::TimeDelta::seconds(whole * SECONDS_PER_DAY);
                if exact {
                    whole
                } else {
                    whole + 1
                }
            }
            DayCount::CalendarDays { time_zone } => {
                let from = time_zone.local_date(rented_at);
                let to = time_zone.local_date(returned_at);
                (to - from).num_days()
            }
        };
        day_count_u32(raw.max(1))
    }

    /// When a rental opened at `rented_at` with a loan period of `loan_days` is due back.
    ///
    /// For the 24-hour policies that is `loan_days × 24 h` later. For `calendar_days` the due date is the local
    /// rental date plus `loan_days`, and the rental is due by the end of that local day: the last instant before
    /// the next local day begins (the next day that exists — a zone can skip a whole date, as Pacific/Kiritimati
    /// skipped 1994-12-31).
    pub fn due_at(&self, rented_at: DateTime<Utc>, loan_days: u32) -> Result<DateTime<Utc>> {
        let too_far = || Error::invalid_input("loan_days", "the due date is out of range");
        match self {
            DayCount::ElapsedWholeDaysMin1 | DayCount::StartedDays => {
                let period =
                    chrono::TimeDelta::try_days(i64::from(loan_days)).ok_or_else(too_far)?;
                rented_at.checked_add_signed(period).ok_or_else(too_far)
            }
            DayCount::CalendarDays { time_zone } => {
                let due_date = time_zone
                    .local_date(rented_at)
                    .checked_add_days(Days::new(u64::from(loan_days)))
                    .ok_or_else(too_far)?;
                let start_of_next = time_zone.start_of_next_day(due_date).ok_or_else(too_far)?;
                start_of_next
                    .checked_sub_signed(chrono::TimeDelta::nanoseconds(1))
                    .ok_or_else(too_far)
            }
        }
    }

    /// Days late: 0 for a return at or before `due_at`; otherwise this policy's count from the due time to the
    /// return (at least 1), or for `calendar_days` the local return date minus the local due date.
    pub fn late_days(&self, due_at: DateTime<Utc>, returned_at: DateTime<Utc>) -> Result<u32> {
        self.late_days_from(due_at, None, returned_at)
    }

    /// [`DayCount::late_days`] with, for `calendar_days`, the local due date the late days count from when the
    /// caller knows it: a due instant cannot always tell its date — when the zone skipped the due date, the end of
    /// the due date is the same instant as the end of the day before it. `None`: the local date of `due_at`.
    /// The 24-hour policies ignore `due_date`.
    pub(crate) fn late_days_from(
        &self,
        due_at: DateTime<Utc>,
        due_date: Option<NaiveDate>,
        returned_at: DateTime<Utc>,
    ) -> Result<u32> {
        if returned_at <= due_at {
            return Ok(0);
        }
        match self {
            DayCount::CalendarDays { time_zone } => {
                let due_date = due_date.unwrap_or_else(|| time_zone.local_date(due_at));
                let late = (time_zone.local_date(returned_at) - due_date).num_days();
                day_count_u32(late.max(0))
            }
            _ => self.days(due_at, returned_at),
        }
    }
}

fn day_count_u32(days: i64) -> Result<u32> {
    u32::try_from(days).map_err(|_| {
        Error::invalid_input(
            "returned_at",
            "the rental spans more days than can be billed",
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn elapsed_floors_whole_days() {
        let p = DayCount::ElapsedWholeDaysMin1;
        let t0 = at("2024-01-01T12:00:00Z");
        for (hours, days) in [(0, 1), (23, 1), (24, 1), (47, 1), (48, 2), (71, 2), (72, 3)] {
            let t1 = t0 + chrono::TimeDelta::hours(hours);
            assert_eq!(p.days(t0, t1).unwrap(), days, "{hours} h");
        }
    }

    #[test]
    fn started_counts_every_started_day() {
        let p = DayCount::StartedDays;
        let t0 = at("2024-01-01T12:00:00Z");
        assert_eq!(p.days(t0, t0).unwrap(), 1);
        assert_eq!(p.days(t0, t0 + chrono::TimeDelta::hours(24)).unwrap(), 1);
        assert_eq!(
            p.days(
                t0,
                t0 + chrono::TimeDelta::hours(24) + chrono::TimeDelta::nanoseconds(1)
            )
            .unwrap(),
            2
        );
    }

    #[test]
    fn calendar_due_is_end_of_local_due_date() {
        let p = DayCount::calendar_days("America/New_York").unwrap();
        // 2024-03-08 20:00 local (EST) + 2 days → due by the end of 2024-03-10 local (EDT after 02:00).
        let due = p.due_at(at("2024-03-09T01:00:00Z"), 2).unwrap();
        assert_eq!(due, at("2024-03-11T03:59:59.999999999Z"));
        assert_eq!(p.late_days(due, at("2024-03-11T03:59:00Z")).unwrap(), 0);
        assert_eq!(p.late_days(due, at("2024-03-11T04:00:00Z")).unwrap(), 1);
    }

    #[test]
    fn return_before_rent_is_rejected() {
        let err = DayCount::StartedDays
            .days(at("2024-01-02T00:00:00Z"), at("2024-01-01T00:00:00Z"))
            .unwrap_err();
        assert_eq!(err.field(), Some("returned_at"));
    }
}
