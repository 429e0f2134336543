//! The compact table against `chrono-tz`, whose data it is made from: the same names, and the same offsets at and
//! around every change of every zone, read from UTC and from the local wall clock.

use std::collections::BTreeSet;

use chrono::{DateTime, NaiveDate, Offset as _, TimeZone as _, Utc};
use chrono_tz::{Tz, TZ_VARIANTS};

use super::*;

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn pair(tz: Tz) -> TimeZone {
    tz.name().parse().unwrap()
}

fn naive(secs: i64) -> NaiveDateTime {
    DateTime::<Utc>::from_timestamp(secs, 0)
        .unwrap()
        .naive_utc()
}

/// `chrono-tz`'s offset at the Unix time `secs`.
fn reference_utc(tz: Tz, secs: i64) -> FixedOffset {
    tz.offset_from_utc_datetime(&naive(secs)).fix()
}

/// `chrono-tz`'s offsets for the wall-clock time `local`.
fn reference_local(tz: Tz, local: i64) -> LocalResult<FixedOffset> {
    tz.offset_from_local_datetime(&naive(local))
        .map(|o| o.fix())
}

#[test]
fn names_are_chrono_tz_names() {
    let ours: BTreeSet<&str> = TimeZone::all().map(|tz| tz.name()).collect();
    let theirs: BTreeSet<&str> = TZ_VARIANTS.iter().map(|tz| tz.name()).collect();
    assert_eq!(ours, theirs);
    assert_eq!(ours.len(), 597);
    assert_eq!(TimeZone::TZDB_VERSION, chrono_tz::IANA_TZDB_VERSION);
    for tz in TZ_VARIANTS {
        assert_eq!(pair(tz).name(), tz.name());
    }
    for bad in [
        "",
        "america/new_york",
        "America/New_York ",
        "Mars/Olympus_Mons",
        "EST5EDT/",
    ] {
        assert!(bad.parse::<Tz>().is_err(), "{bad:?}");
        let err = bad.parse::<TimeZone>().unwrap_err();
        assert_eq!(err.field(), Some("time_zone"), "{bad:?}");
    }
}

#[test]
fn every_zone_decodes_whole() {
    let mut changes = 0;
    for (name, at) in ZONES {
        let spans = Spans::decode(at).unwrap_or_else(|| panic!("{name} does not decode"));
        assert!(
            spans.changes.windows(2).all(|w| w[0].0 < w[1].0),
            "{name}: changes out of order"
        );
        changes += spans.changes.len();
    }
    // The count `scripts/gen-tzdata.py` read from chrono-tz 0.10.4 (tz database 2025b).
    assert_eq!(changes, 65_578);
}

#[test]
fn offsets_equal_chrono_tz_at_every_change() {
    let mut probes = 0;
    for tz in TZ_VARIANTS {
        let ours = pair(tz);
        let spans = ours.spans();
        let mut before = i64::from(spans.first);
        for (i, &(change, offset)) in spans.changes.iter().enumerate() {
            let after = i64::from(offset);
            let next = spans
                .changes
                .get(i + 1)
                .map_or(change + 86_400 * 400, |c| c.0);
            for secs in [change - 1, change, change + 1, change + (next - change) / 2] {
                assert_eq!(
                    ours.offset_at(secs),
                    reference_utc(tz, secs),
                    "{tz} at {secs}"
                );
                probes += 1;
            }
            // Around where the change falls on the wall clock, read with the offset before it and after it: the
            // edges of a gap or of a fold.
            for wall in [change + before, change + after] {
                for local in [wall - 3_601, wall - 1, wall, wall + 1, wall + 3_601] {
                    assert_eq!(
                        ours.offsets_of_local(local),
                        reference_local(tz, local),
                        "{tz} at local {local}"
                    );
                    probes += 1;
                }
            }
            before = after;
        }
    }
    // Four probes from UTC and ten from the wall clock at each of the 65,578 changes.
    assert_eq!(probes, 65_578 * 14);
}

#[test]
fn offsets_equal_chrono_tz_week_by_week() {
    // A change the table missed would show between the changes it has: every zone, every week of 1840–2100, and
    // the far ends of time.
    let start = at("1840-01-01T00:00:00Z").timestamp();
    let end = at("2100-01-01T00:00:00Z").timestamp();
    for tz in TZ_VARIANTS {
        let ours = pair(tz);
        for secs in (start..end).step_by(7 * 86_400 + 3_607) {
            assert_eq!(
                ours.offset_at(secs),
                reference_utc(tz, secs),
                "{tz} at {secs}"
            );
        }
        for secs in [i64::from(i32::MIN) * 8, -1, 0, 1 << 40] {
            assert_eq!(
                ours.offset_at(secs),
                reference_utc(tz, secs),
                "{tz} at {secs}"
            );
            assert_eq!(
                ours.offsets_of_local(secs),
                reference_local(tz, secs),
                "{tz} at {secs}"
            );
        }
    }
}

#[test]
fn local_dates_and_instants_equal_chrono_tz() {
    // The public answers built on the offsets, around the spring and autumn changes of a few zones.
    for name in [
        "America/New_York",
        "Europe/Berlin",
        "Australia/Lord_Howe",
        "Pacific/Apia",
        "Asia/Kolkata",
    ] {
        let tz: Tz = name.parse().unwrap();
        let ours = pair(tz);
        let mut t = at("2023-01-01T00:00:00Z");
        while t < at("2025-01-01T00:00:00Z") {
            assert_eq!(
                ours.local_date(t),
                t.with_timezone(&tz).date_naive(),
                "{name} at {t}"
            );
            let wall = t.naive_utc();
            let theirs = tz.from_local_datetime(&wall).map(|d| d.with_timezone(&Utc));
            assert_eq!(ours.instants_of_local(wall), theirs, "{name} wall {wall}");
            t += chrono::TimeDelta::minutes(29);
        }
    }
}

#[test]
fn days_start_after_a_gap_over_midnight_and_skipped_dates_have_no_start() {
    // Africa/Monrovia moved from UTC-0:44:30 to UTC at 1972-01-07 00:00 local: that day began at 00:44:30.
    let monrovia: TimeZone = "Africa/Monrovia".parse().unwrap();
    let jan7 = NaiveDate::from_ymd_opt(1972, 1, 7).unwrap();
    assert_eq!(
        monrovia.start_of_day(jan7),
        Some(at("1972-01-07T00:44:30Z"))
    );
    // Pacific/Kiritimati went from UTC-10 to UTC+14 and skipped 1994-12-31 entirely.
    let kiritimati: TimeZone = "Pacific/Kiritimati".parse().unwrap();
    let dec31 = NaiveDate::from_ymd_opt(1994, 12, 31).unwrap();
    assert_eq!(kiritimati.start_of_day(dec31), None);
    let dec30 = NaiveDate::from_ymd_opt(1994, 12, 30).unwrap();
    assert_eq!(
        kiritimati.start_of_next_day(dec30),
        Some(at("1994-12-31T10:00:00Z"))
    );
    // An ordinary day starts at local midnight.
    let berlin: TimeZone = "Europe/Berlin".parse().unwrap();
    let day = NaiveDate::from_ymd_opt(2024, 3, 31).unwrap();
    assert_eq!(berlin.start_of_day(day), Some(at("2024-03-30T23:00:00Z")));
}
