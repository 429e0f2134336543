//! IANA time zones: names, and the UTC offset in force at any instant.
//!
//! The offsets come from a compact table of the tz database (`table.rs` and `changes.bin`, written by
//! `scripts/gen-tzdata.py` from the data of the locked `chrono-tz`): each zone's changes as varints, decoded on a
//! zone's first use. It is a tenth of the size of `chrono-tz`'s static data, which made up two thirds of the web
//! `.wasm`. The lookups walk the same spans the same way as `chrono-tz` does, so every answer is the same; the tests
//! below check that against `chrono-tz` at every change of every zone.

#[rustfmt::skip]
mod table;

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;
use std::sync::OnceLock;

use chrono::{DateTime, FixedOffset, LocalResult, NaiveDate, NaiveDateTime, Offset as _, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::{Error, Result};

use table::{CHANGES, TZDB_VERSION, ZONES, ZONE_COUNT};

/// An IANA time zone (any name of the tz database, links included), written by its name.
///
/// ```
/// use koko_core::TimeZone;
///
/// let tz: TimeZone = "America/New_York".parse().unwrap();
/// assert_eq!(tz.name(), "America/New_York");
/// assert!("Mars/Olympus_Mons".parse::<TimeZone>().is_err());
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct TimeZone(u16);

impl TimeZone {
    /// The release of the tz database the zones come from, such as `"2025b"`.
    pub const TZDB_VERSION: &'static str = TZDB_VERSION;

    /// Every zone, in the byte order of their names.
    ///
    /// ```
    /// use koko_core::TimeZone;
    ///
    /// assert!(TimeZone::all().any(|tz| tz.name() == "Europe/Berlin"));
    /// ```
    pub fn all() -> impl Iterator<Item = TimeZone> {
        (0..ZONES.len()).filter_map(|i| u16::try_from(i).ok().map(TimeZone))
    }

    /// The zone's IANA name.
    pub fn name(&self) -> &'static str {
        ZONES[usize::from(self.0)].0
    }

    /// The local calendar date of `at` in this zone.
    pub fn local_date(&self, at: DateTime<Utc>) -> NaiveDate {
        self.local_datetime(at).date()
    }

    /// The local date and wall-clock time of `at` in this zone.
    pub(crate) fn local_datetime(&self, at: DateTime<Utc>) -> NaiveDateTime {
        at.with_timezone(&self.offset_at(at.timestamp()))
            .naive_local()
    }

    /// The first instant of the first local day after `date` that exists.
    pub(crate) fn start_of_next_day(&self, date: NaiveDate) -> Option<DateTime<Utc>> {
        let mut day = date.succ_opt()?;
        // No zone has skipped more than one date in a row; a few tries cover any future rule too.
        for _ in 0..4 {
            if let Some(start) = self.start_of_day(day) {
                return Some(start);
            }
            day = day.succ_opt()?;
        }
        None
    }

    /// The first instant whose local date is `date`, or `None` if the zone skipped that date.
    fn start_of_day(&self, date: NaiveDate) -> Option<DateTime<Utc>> {
        let start = self.instant_of(date.and_hms_opt(0, 0, 0)?)?;
        // Local midnight may fall in a gap (clocks jumped forward over it): the day starts when the gap ends —
        // unless the gap covers the whole date.
        (self.local_date(start) == date).then_some(start)
    }

    /// The instant the local wall-clock time `wall` names in this zone: the earlier one when the clocks went back
    /// over it (a fold), the first instant after the gap when they jumped over it. `None` only out of range.
    pub(crate) fn instant_of(&self, wall: NaiveDateTime) -> Option<DateTime<Utc>> {
        match self.instants_of_local(wall) {
            LocalResult::Single(at) => Some(at),
            LocalResult::Ambiguous(first, second) => Some(first.min(second)),
            LocalResult::None => self.first_instant_at_or_after(wall),
        }
    }

    /// The instants the local wall-clock time `wall` names: one, two in a fold, none in a gap.
    fn instants_of_local(&self, wall: NaiveDateTime) -> LocalResult<DateTime<Utc>> {
        // As chrono does it: an instant out of range drops the answer (both answers in a fold).
        let instant =
            |offset: FixedOffset| wall.checked_sub_offset(offset).map(|utc| utc.and_utc());
        match self.offsets_of_local(wall.and_utc().timestamp()) {
            LocalResult::Single(offset) => {
                instant(offset).map_or(LocalResult::None, LocalResult::Single)
            }
            LocalResult::Ambiguous(first, second) => match (instant(first), instant(second)) {
                (Some(first), Some(second)) => LocalResult::Ambiguous(first, second),
                _ => LocalResult::None,
            },
            LocalResult::None => LocalResult::None,
        }
    }

    /// The first instant whose local time is at or after `wall`: where a gap over `wall` ends. Offsets are within
    /// ±26 h and change at whole seconds, so a binary search over whole seconds in that window finds it.
    fn first_instant_at_or_after(&self, wall: NaiveDateTime) -> Option<DateTime<Utc>> {
        let guess = wall.and_utc().timestamp();
        let at = |secs: i64| DateTime::<Utc>::from_timestamp(secs, 0);
        let reached = |secs: i64| at(secs).is_some_and(|t| self.local_datetime(t) >= wall);
        let (mut low, mut high) = (guess - 26 * 3_600, guess + 26 * 3_600);
        if reached(low) || !reached(high) {
            return None;
        }
        // Invariant: `low` is before `wall` is reached, `high` at or after it.
        while high - low > 1 {
            let mid = low + (high - low) / 2;
            if reached(mid) {
                high = mid;
            } else {
                low = mid;
            }
        }
        at(high)
    }

    /// The offset in force at the Unix time `secs`.
    fn offset_at(&self, secs: i64) -> FixedOffset {
        let spans = self.spans();
        // Span `i` runs from change `i - 1` (inclusive) to change `i`: the count of changes at or before `secs`.
        spans.offset(spans.changes.partition_point(|&(at, _)| at <= secs))
    }

    /// The offsets whose span holds the local time `local` (Unix seconds of the wall clock read as UTC): one, two
    /// in a fold, none in a gap. Found as `chrono-tz` finds it — a binary search over the spans' local ranges,
    /// then a look at the neighbours for a fold — so that the answers are the same.
    fn offsets_of_local(&self, local: i64) -> LocalResult<FixedOffset> {
        let spans = self.spans();
        let len = spans.len();
        let (mut start, mut end) = (0, len);
        let found = loop {
            let mid = start + (end - start) / 2;
            if mid == end {
                break None;
            }
            match spans.compare_local(mid, local) {
                Ordering::Less => start = mid + 1,
                Ordering::Greater => end = mid,
                Ordering::Equal => break Some(mid),
            }
        };
        let Some(i) = found else {
            return LocalResult::None;
        };
        let holds = |j: usize| spans.compare_local(j, local) == Ordering::Equal;
        if i > 0 && holds(i - 1) {
            LocalResult::Ambiguous(spans.offset(i - 1), spans.offset(i))
        } else if i + 1 < len && holds(i + 1) {
            LocalResult::Ambiguous(spans.offset(i), spans.offset(i + 1))
        } else {
            LocalResult::Single(spans.offset(i))
        }
    }

    /// This zone's spans, decoded on first use.
    fn spans(&self) -> &'static Spans {
        static DECODED: [OnceLock<Spans>; ZONE_COUNT] = [const { OnceLock::new() }; ZONE_COUNT];
        let index = usize::from(self.0);
        DECODED[index].get_or_init(|| Spans::decode(ZONES[index].1).unwrap_or_default())
    }
}

/// A zone's offsets: `first` until the first change, then each change's instant (Unix seconds) and the total
/// offset (seconds east of UTC) from it on.
#[derive(Debug, Default, PartialEq, Eq)]
struct Spans {
    first: i32,
    changes: Box<[(i64, i32)]>,
}

impl Spans {
    /// Reads the zone whose data starts at `at` in the table; `None` if the data is cut short.
    fn decode(at: u32) -> Option<Spans> {
        let mut bytes = CHANGES.get(usize::try_from(at).ok()?..)?.iter().copied();
        let count = usize::try_from(varint(&mut bytes)?).ok()?;
        let first = i32::try_from(zigzag(&mut bytes)?).ok()?;
        let (mut secs, mut offset) = (0_i64, i64::from(first));
        let mut changes = Vec::with_capacity(count);
        for _ in 0..count {
            secs = secs.checked_add(zigzag(&mut bytes)?)?;
            offset = offset.checked_add(zigzag(&mut bytes)?)?;
            changes.push((secs, i32::try_from(offset).ok()?));
        }
        Some(Spans {
            first,
            changes: changes.into_boxed_slice(),
        })
    }

    fn len(&self) -> usize {
        self.changes.len() + 1
    }

    /// The offset of span `i`.
    fn offset(&self, i: usize) -> FixedOffset {
        let secs = match i.checked_sub(1) {
            None => self.first,
            Some(change) => self.changes.get(change).map_or(self.first, |c| c.1),
        };
        FixedOffset::east_opt(secs).unwrap_or_else(|| Utc.fix())
    }

    /// Where the local time `local` lies against span `i`'s local range: `Less` when the range ends at or before
    /// it, `Equal` when the range holds it, `Greater` otherwise.
    fn compare_local(&self, i: usize, local: i64) -> Ordering {
        let offset = i64::from(self.offset(i).local_minus_utc());
        let begin = i.checked_sub(1).map(|c| self.changes[c].0 + offset);
        let end = self.changes.get(i).map(|c| c.0 + offset);
        match (begin, end) {
            (Some(a), Some(b)) if a <= local && local < b => Ordering::Equal,
            (Some(a), Some(b)) if a <= local && b <= local => Ordering::Less,
            (Some(a), None) if a <= local => Ordering::Equal,
            (Some(_), _) => Ordering::Greater,
            (None, Some(b)) if b <= local => Ordering::Less,
            (None, _) => Ordering::Equal,
        }
    }
}

/// An unsigned LEB128 varint.
fn varint(bytes: &mut impl Iterator<Item = u8>) -> Option<u64> {
    let mut value = 0_u64;
    for shift in (0..64).step_by(7) {
        let byte = bytes.next()?;
        value |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return Some(value);
        }
    }
    None
}

/// A zig-zag encoded signed varint.
fn zigzag(bytes: &mut impl Iterator<Item = u8>) -> Option<i64> {
    let raw = varint(bytes)?;
    // The low bit is the sign: 0, -1, 1, -2, … encode as 0, 1, 2, 3, …
    let magnitude = i64::try_from(raw >> 1).ok()?;
    Some(if raw & 1 == 0 {
        magnitude
    } else {
        -magnitude - 1
    })
}

impl FromStr for TimeZone {
    type Err = Error;

    fn from_str(name: &str) -> Result<Self> {
        ZONES
            .binary_search_by(|(zone, _)| zone.as_bytes().cmp(name.as_bytes()))
            .ok()
            .and_then(|i| u16::try_from(i).ok())
            .map(TimeZone)
            .ok_or_else(|| {
                Error::invalid_input(
                    "time_zone",
                    format!("{name:?} is not an IANA time zone name"),
                )
            })
    }
}

impl fmt::Debug for TimeZone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl fmt::Display for TimeZone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl Serialize for TimeZone {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

impl<'de> Deserialize<'de> for TimeZone {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let name = String::deserialize(d)?;
        name.parse().map_err(|_| {
            serde::de::Error::custom(format!("{name:?} is not an IANA time zone name"))
        })
    }
}

#[cfg(test)]
mod tests;
