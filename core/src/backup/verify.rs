//! Reading a dump without restoring it: a copy of a dump that arrives from elsewhere (a server's backup over
//! HTTP), checked line by line as it is written on.

use std::io::{BufRead, Write};

use super::record::{DumpHeader, DumpRecord, DUMP_FORMAT};
use super::summary::{bad_dump, DumpSummary};
use crate::error::{Error, Result};

/// Copies the dump `input` to `out` line by line, checking it as a restore would without writing any store: the
/// header's format, every record, and the end line's counts against the records before it. Returns the counts.
/// An error means `out` holds an incomplete or damaged copy (a truncated transfer ends without its end line).
///
/// ```
/// use koko_core::backup::{backup, copy_verified};
/// use koko_core::{BookStore, NewBook, PricePlan};
///
/// let store = BookStore::in_memory(PricePlan::story3()).unwrap();
/// store.add_book(&NewBook::new("Emma", "Jane Austen", "novel"), 2).unwrap();
/// let mut dump = Vec::new();
/// backup(store.storage(), &mut dump).unwrap();
/// let mut copy = Vec::new();
/// let summary = copy_verified(dump.as_slice(), &mut copy).unwrap();
/// assert_eq!((summary.count("book"), summary.count("copy")), (1, 2));
/// assert_eq!(copy, dump);
/// // Cut short, it is refused.
/// let cut = &dump[..dump.len() - 20];
/// assert!(copy_verified(cut, &mut Vec::new()).is_err());
/// ```
pub fn copy_verified<R: BufRead, W: Write>(input: R, mut out: W) -> Result<DumpSummary> {
    let mut lines = input.lines().enumerate();
    let header = match lines.next() {
        Some((_, line)) => line.map_err(Error::storage)?,
        None => return Err(bad_dump(1, "the dump is empty")),
    };
    let parsed: DumpHeader = serde_json::from_str(&header)
        .map_err(|e| bad_dump(1, &format!("not a koko dump header: {e}")))?;
    if parsed.koko_dump > DUMP_FORMAT || parsed.koko_dump == 0 {
        return Err(bad_dump(
            1,
            &format!(
                "dump format {} (written by {}); this Koko reads formats 1 to {DUMP_FORMAT}: upgrade Koko",
                parsed.koko_dump, parsed.written_by
            ),
        ));
    }
    writeln!(out, "{header}").map_err(Error::storage)?;
    let mut summary = DumpSummary::default();
    for (index, line) in lines {
        let line = line.map_err(Error::storage)?;
        if line.trim().is_empty() {
            continue;
        }
        let record: DumpRecord =
            serde_json::from_str(&line).map_err(|e| bad_dump(index + 1, &e.to_string()))?;
        writeln!(out, "{line}").map_err(Error::storage)?;
        if let DumpRecord::End { counts } = record {
            if &counts != summary.counts() {
                return Err(bad_dump(
                    index + 1,
                    &format!(
                        "the end line counts {counts:?} but the dump holds {:?}: it is damaged",
                        summary.counts()
                    ),
                ));
            }
            out.flush().map_err(Error::storage)?;
            return Ok(summary);
        }
        summary.add(&record);
    }
    Err(bad_dump(
        0,
        "the dump ends without its end line: it is truncated",
    ))
}
