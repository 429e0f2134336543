//! What a dump holds: a header line, then one JSON record per line, then an end line with the counts.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub use crate::domain::DumpRecord;

/// The dump format this Koko writes. A reader accepts every version up to its own and refuses newer ones.
pub const DUMP_FORMAT: u32 = 1;

/// The first line of a dump.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DumpHeader {
    /// The format version ([`DUMP_FORMAT`] when written by this Koko).
    pub koko_dump: u32,
    /// The Koko that wrote it, e.g. `koko-core 0.1.0`.
    pub written_by: String,
    /// When the dump was taken.
    pub taken_at: DateTime<Utc>,
}
