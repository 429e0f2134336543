//! The event feed, streamed. Rules:
//! - the positions of the events kept (not pruned) are consecutive, from the first kept to the last;
//! - each event's id is the one its position gives (`evt_` and the position, 20 digits);
//! - the counter of positions given is the last event's position (an empty feed — never written, or pruned
//!   whole — has any counter);
//! - no consumer's checkpoint is past the last position given;
//! - the feed by type lists exactly the feed's events, each under its type: the feed and each type's range are
//!   read side by side (a page of each type at a time), so the check keeps a page per type, not the feed.

use std::collections::{BTreeMap, VecDeque};

use super::problem::Problem;
use super::source::{Indexed, Source, Stream};
use super::stats::Report;
use crate::domain::{Event, EventKind};

/// Every feed rule.
pub(super) fn check<S: Source>(source: &S, report: &mut Report) -> Result<(), S::Error> {
    let mut by_type = ByType::new(source)?;
    let mut previous: Option<u64> = None;
    for event in source.feed()? {
        let event = event?;
        report.stats.events += 1;
        if let Some(after) = previous {
            if after.checked_add(1) != Some(event.position) {
                report.problems.push(Problem::EventGap {
                    after,
                    next: event.position,
                });
            }
        }
        previous = Some(event.position);
        if event.id != Event::id_at(event.position) {
            report.problems.push(Problem::EventId {
                position: event.position,
                id: event.id.clone(),
            });
        }
        by_type.expect(event.kind, event.position, report)?;
    }
    by_type.finish(report)?;
    let counter = source.last_event_position()?;
    if let Some(last) = previous {
        if counter != last {
            report
                .problems
                .push(Problem::EventCounter { counter, last });
        }
    }
    let last = counter.max(previous.unwrap_or(0));
    for (name, position) in source.checkpoints()? {
        if position > last {
            report.problems.push(Problem::CheckpointPastFeed {
                name,
                position,
                last,
            });
        }
    }
    Ok(())
}

/// Each type's range of the feed by type, read as far as the feed has come.
struct ByType<'a, E> {
    ranges: BTreeMap<EventKind, Range<'a, E>>,
}

/// One type's range: its stream, and the position read ahead of the feed (if any).
struct Range<'a, E> {
    entries: Stream<'a, Indexed, E>,
    ahead: VecDeque<u64>,
    /// The range could not be read on (named once); it is not compared further.
    broken: bool,
}

impl<'a, E> Range<'a, E> {
    /// The next position listed, `None` at the end of the range (or once it cannot be read).
    fn next(&mut self, kind: EventKind, report: &mut Report) -> Result<Option<u64>, E> {
        if let Some(position) = self.ahead.pop_front() {
            return Ok(Some(position));
        }
        if self.broken {
            return Ok(None);
        }
        match self.entries.next().transpose()? {
            Some(Indexed::At(position)) => Ok(Some(position)),
            Some(Indexed::Unreadable(reason)) => {
                self.broken = true;
                report
                    .problems
                    .push(Problem::EventIndexUnreadable { kind, reason });
                Ok(None)
            }
            None => Ok(None),
        }
    }
}

impl<'a, E> ByType<'a, E> {
    fn new<S: Source<Error = E>>(source: &'a S) -> Result<Self, E> {
        let mut ranges = BTreeMap::new();
        for kind in EventKind::ALL {
            let range = Range {
                entries: source.feed_of_type(kind)?,
                ahead: VecDeque::new(),
                broken: false,
            };
            ranges.insert(kind, range);
        }
        Ok(ByType { ranges })
    }

    /// The feed holds a `kind` event at `position`: its range must list it next. Positions listed before it are
    /// positions the feed does not hold as `kind`.
    fn expect(&mut self, kind: EventKind, position: u64, report: &mut Report) -> Result<(), E> {
        let Some(range) = self.ranges.get_mut(&kind) else {
            return Ok(());
        };
        while let Some(listed) = range.next(kind, report)? {
            if listed == position {
                return Ok(());
            }
            if listed > position {
                range.ahead.push_front(listed);
                break;
            }
            report.problems.push(Problem::EventIndexHas {
                kind,
                position: listed,
            });
        }
        if !range.broken {
            report
                .problems
                .push(Problem::EventIndexLacks { kind, position });
        }
        Ok(())
    }

    /// Whatever each range lists past the feed's last event of its type, the feed does not hold.
    fn finish(mut self, report: &mut Report) -> Result<(), E> {
        for (kind, range) in &mut self.ranges {
            while let Some(position) = range.next(*kind, report)? {
                report.problems.push(Problem::EventIndexHas {
                    kind: *kind,
                    position,
                });
            }
        }
        Ok(())
    }
}
