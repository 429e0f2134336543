//! The event feed damaged, one rule at a time: a gap in its positions, an id off its position, a counter of
//! positions given past the last event, a checkpoint past the feed, a feed by type off the feed — each reported by
//! name, streamed and as a snapshot alike (a restore cannot break the feed by type, which it writes with each
//! event: that is damaged in a snapshot, and on sled in the store itself).

use super::*;

use koko_core::EventKind;

/// The workload's feed: its last position, and the type of each position.
fn feed_of(storage: &impl Storage) -> (u64, BTreeMap<u64, EventKind>) {
    let mut kinds = BTreeMap::new();
    let mut after = None;
    loop {
        let page = storage.events_after(after, 100).unwrap();
        let Some(last) = page.last() else {
            break;
        };
        after = Some(last.position);
        kinds.extend(page.iter().map(|e| (e.position, e.kind)));
    }
    (storage.last_event_position().unwrap(), kinds)
}

/// Only problems of the feed, exactly `expected`, in any order.
fn assert_feed_problems(report: &Report, mut expected: Vec<Problem>) {
    let mut found = report.problems.clone();
    assert!(
        found.iter().all(|p| p.family() == Family::Events),
        "{found:#?}"
    );
    found.sort_by_key(ToString::to_string);
    expected.sort_by_key(ToString::to_string);
    assert_eq!(found, expected);
}

pub fn a_gap_in_the_feed_and_an_id_off_its_position_are_named<B: Backend>() {
    let (damaged, _) = restored::<B>(|_, records| {
        records.retain(|r| !matches!(r, DumpRecord::Event(e) if e.position == 5));
        for record in records.iter_mut() {
            if let DumpRecord::Event(event) = record {
                if event.position == 7 {
                    event.id = "evt_7".to_owned();
                }
            }
        }
    });
    let report = checked(damaged.storage());
    assert_feed_problems(
        &report,
        vec![
            Problem::EventGap { after: 4, next: 6 },
            Problem::EventId {
                position: 7,
                id: "evt_7".to_owned(),
            },
        ],
    );
    assert_eq!(
        report.problems[0].to_string(),
        "the feed goes from position 4 to position 6: its positions are not consecutive"
    );
    assert_eq!(report.stats.events, EXPECTED.events - 1);
}

pub fn a_counter_and_a_checkpoint_past_the_feed_are_named<B: Backend>() {
    let (damaged, _) = restored::<B>(|_, records| {
        let last = records
            .iter()
            .filter_map(|r| match r {
                DumpRecord::Event(e) => Some(e.position),
                _ => None,
            })
            .max()
            .unwrap();
        for record in records.iter_mut() {
            if let DumpRecord::Feed { last_position } = record {
                *last_position = last + 3;
            }
        }
        records.push(DumpRecord::Checkpoint {
            name: "mailer".to_owned(),
            position: last + 5,
        });
    });
    let (last, _) = feed_of(damaged.storage());
    let kept = last - 3;
    let report = checked(damaged.storage());
    assert_feed_problems(
        &report,
        vec![
            Problem::EventCounter {
                counter: last,
                last: kept,
            },
            Problem::CheckpointPastFeed {
                name: "mailer".to_owned(),
                position: kept + 5,
                last,
            },
        ],
    );
}

pub fn a_feed_by_type_off_the_feed_is_named<B: Backend>() {
    let backend = B::fresh();
    workload(backend.storage());
    let good = Snapshot::read(backend.storage()).unwrap();
    assert_eq!(check::check(&good), Ok(EXPECTED));
    let (_, kinds) = feed_of(backend.storage());
    // The feed by type lacks position 3, and lists position 4 under a type it is not (beside its own).
    let (lacked, listed) = (3, 4);
    let other = [EventKind::CopyFound, EventKind::NoticeSent]
        .into_iter()
        .find(|k| *k != kinds[&listed])
        .unwrap();
    let mut bad = good.clone();
    bad.indexes
        .events_by_type
        .get_mut(&kinds[&lacked])
        .unwrap()
        .retain(|p| *p != lacked);
    let wrong = bad.indexes.events_by_type.entry(other).or_default();
    wrong.push(listed);
    wrong.sort_unstable();
    let problems = check::check(&bad).unwrap_err();
    assert_feed_problems(
        &Report {
            problems,
            ..Report::default()
        },
        vec![
            Problem::EventIndexLacks {
                kind: kinds[&lacked],
                position: lacked,
            },
            Problem::EventIndexHas {
                kind: other,
                position: listed,
            },
        ],
    );
}

/// A sled store whose feed by type lacks an event's key, and names an event the feed lost: the streamed check
/// names both, and the gap the lost event leaves.
#[cfg(feature = "sled")]
#[test]
fn a_sled_feed_by_type_off_the_feed_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let kinds = {
        let storage = koko_core::SledStorage::open(dir.path()).unwrap();
        workload(&storage);
        assert_eq!(checked(&storage).problems, []);
        feed_of(&storage).1
    };
    {
        let db = ::sled::open(dir.path()).unwrap();
        let events = db.open_tree("events").unwrap();
        let type_key = |position: u64| {
            let mut key = vec![b't'];
            key.extend_from_slice(kinds[&position].as_str().as_bytes());
            key.push(0);
            key.extend_from_slice(&position.to_be_bytes());
            key
        };
        let mut lost = vec![b'e'];
        lost.extend_from_slice(&5u64.to_be_bytes());
        assert!(events.remove(lost).unwrap().is_some());
        assert!(events.remove(type_key(7)).unwrap().is_some());
        db.flush().unwrap();
    }
    let storage = koko_core::SledStorage::open(dir.path()).unwrap();
    let report = check::check_storage(&storage, &mut |_| {}).unwrap();
    let unreadable = |p: &Problem| {
        matches!(p, Problem::EventIndexUnreadable { kind, reason }
            if *kind == kinds[&5] && reason.contains("position 5"))
    };
    assert!(
        report.problems.iter().any(unreadable),
        "{:#?}",
        report.problems
    );
    let rest: Vec<Problem> = report
        .problems
        .iter()
        .filter(|p| !unreadable(p))
        .cloned()
        .collect();
    let mut expected = vec![
        Problem::EventGap { after: 4, next: 6 },
        Problem::EventIndexLacks {
            kind: kinds[&7],
            position: 7,
        },
    ];
    if kinds[&7] == kinds[&5] {
        // The range of that type cannot be read past position 5: its later events are not compared.
        expected.pop();
    }
    assert_feed_problems(
        &Report {
            problems: rest,
            ..Report::default()
        },
        expected,
    );
}
