//! `koko events`: the store's event feed as JSON lines, from a position on, optionally following new events as
//! they are committed (positions are gap-free in commit order, so a follower never misses one nor sees one twice).

use std::io::Write;
use std::time::Duration;

use koko_core::{EventKind, MAX_EVENTS_PAGE};

use crate::store::{Failure, Store};

/// How often `--follow` asks for new events.
const POLL: Duration = Duration::from_millis(500);

/// Writes the events after `after` (of `types` only, when given) to `out`, one JSON object per line, and with
/// `follow` keeps waiting for new ones until the reader goes away. Returns how many it wrote.
pub(crate) fn run(
    store: &Store,
    after: Option<u64>,
    types: &[String],
    follow: bool,
    mut out: impl Write,
) -> Result<u64, Failure> {
    let kinds = types
        .iter()
        .map(|name| EventKind::parse(name.trim()))
        .collect::<Result<Vec<_>, _>>()?;
    let filter = (!kinds.is_empty()).then_some(kinds.as_slice());
    let mut cursor = after;
    let mut written = 0;
    loop {
        // Read before the page: every event up to `end` is in it or of another type.
        let end = store.storage().last_event_position()?;
        let page = store.events(cursor, MAX_EVENTS_PAGE, filter)?;
        for event in &page {
            serde_json::to_writer(&mut out, event)?;
            out.write_all(b"\n")?;
            written += 1;
        }
        out.flush()?;
        // A filtered page that ends short read the feed to its end past events of other types: the next page
        // starts after the feed's end as it was before this one (or after the page's last event, if later).
        let full = page.len() == MAX_EVENTS_PAGE;
        let last = page.last().map(|e| e.position);
        cursor = if full || filter.is_none() {
            last.or(cursor)
        } else {
            Some(end.max(last.unwrap_or(0)).max(cursor.unwrap_or(0)))
        };
        if !full {
            if !follow {
                return Ok(written);
            }
            std::thread::sleep(POLL);
        }
    }
}
