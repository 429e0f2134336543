//! What a dump holds, counted: [`DumpSummary`]; and the error of a dump that is not one.

use std::collections::BTreeMap;
use std::fmt;

use super::record::DumpRecord;
use crate::error::Error;

/// How many records of each kind a backup wrote, a restore read or a migration moved.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DumpSummary {
    counts: BTreeMap<String, u64>,
}

impl DumpSummary {
    /// The count of one kind: `plan_version`, `book`, `copy`, `customer`, `rental`, `entry`, `hold`, `notice`.
    pub fn count(&self, kind: &str) -> u64 {
        self.counts.get(kind).copied().unwrap_or(0)
    }

    /// Every kind and its count, by name.
    pub fn counts(&self) -> &BTreeMap<String, u64> {
        &self.counts
    }

    pub(super) fn add(&mut self, record: &DumpRecord) {
        if let DumpRecord::Book { copies, .. } = record {
            *self.counts.entry("copy".into()).or_default() += copies.len() as u64;
        }
        *self.counts.entry(record.kind().into()).or_default() += 1;
    }
}

impl fmt::Display for DumpSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const KINDS: [(&str, &str); 8] = [
            ("plan_version", "plan versions"),
            ("book", "books"),
            ("copy", "copies"),
            ("customer", "customers"),
            ("rental", "rentals"),
            ("entry", "ledger entries"),
            ("hold", "holds"),
            ("notice", "notices sent"),
        ];
        let parts: Vec<String> = KINDS
            .iter()
            .map(|(kind, name)| format!("{} {name}", self.count(kind)))
            .collect();
        f.write_str(&parts.join(", "))
    }
}

pub(super) fn bad_dump(line: usize, reason: &str) -> Error {
    Error::InvalidInput {
        field: "dump".into(),
        reason: if line == 0 {
            reason.to_owned()
        } else {
            format!("line {line}: {reason}")
        },
    }
}

pub(super) fn at_line(line: usize, error: Error) -> Error {
    match error {
        Error::InvalidInput { field, reason } if field == "dump" => Error::InvalidInput {
            field,
            reason: format!("line {line}: {reason}"),
        },
        other => other,
    }
}
