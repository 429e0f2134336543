//! The event feed against the log: an honest run's operations all have their events; an acknowledged operation
//! whose event is missing from the feed, and a feed whose positions skip one, are caught.

use koko_core::EventKind;
use koko_reliability::verify::{verify, Policy};

use super::{actual, index_of, run};

#[test]
fn every_operation_of_an_honest_run_has_its_events() {
    let run = run(6, 300);
    let actual = actual(&run);
    let verified = verify(&run.before, &run.log, &actual, &Policy::durable()).unwrap();
    // Each acknowledged operation appended at least one event the check names (a rent its `rental.opened`, …).
    assert!(
        verified.events >= verified.acked_present,
        "{} events for {} operations",
        verified.events,
        verified.acked_present
    );
    let positions: Vec<u64> = actual.events.iter().map(|e| e.position).collect();
    assert_eq!(positions, (1..=positions.len() as u64).collect::<Vec<_>>());
}

#[test]
fn an_acknowledged_rent_without_its_event_is_caught() {
    let run = run(4, 300);
    let mut actual = actual(&run);
    let i = index_of(&run.lines, "ok", "rent_book");
    let id = run.lines[i]["outcome"]["rental"]["id"].as_u64().unwrap();
    let at = actual
        .events
        .iter()
        .position(|e| e.kind == EventKind::RentalOpened && e.subjects.rental == Some(id))
        .unwrap();
    // The event's type changed, so its position stays and only the event is missing.
    actual.events[at].kind = EventKind::NoticeSent;
    let problems = verify(&run.before, &run.log, &actual, &Policy::durable()).unwrap_err();
    let wanted = format!("its rental.opened event of {id} is not in the feed");
    assert!(problems.iter().any(|p| p.contains(&wanted)), "{problems:?}");
}

#[test]
fn a_gap_in_the_feed_is_caught() {
    let run = run(4, 300);
    let mut actual = actual(&run);
    // An event no operation is checked by (the plan's), so only the gap shows.
    let at = actual
        .events
        .iter()
        .position(|e| e.kind == EventKind::PlanPublished)
        .unwrap();
    actual.events.remove(at);
    let problems = verify(&run.before, &run.log, &actual, &Policy::durable()).unwrap_err();
    assert!(
        problems
            .iter()
            .any(|p| p.contains("its positions are not 1, 2, 3")),
        "{problems:?}"
    );
}
