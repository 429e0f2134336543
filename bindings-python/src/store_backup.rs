//! `BookStore.backup`, `BookStore.restore` and `BookStore.migrate_to`: koko-core's dumps (`koko_core::backup`).
//! A backup is taken from the process that holds the store (a sled store's directory is locked to it), with the
//! store's writes paused meanwhile; the work runs without the GIL.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufReader, BufWriter, Write};
use std::path::PathBuf;

use koko_core::backup;
use koko_core::{Error, Storage};
use pyo3::prelude::*;

use crate::convert::text;
use crate::errors::IntoPy;
use crate::inner::{open, Inner};
use crate::store::BookStore;

fn io(err: std::io::Error) -> Error {
    Error::Storage(Box::new(err))
}

/// The storage a location names, without a plan (a restore needs it empty): ``memory``, ``postgresql://…`` /
/// ``postgres://…``, or a sled directory (``sled:DIR`` too).
fn storage_at(location: &str) -> koko_core::Result<Box<dyn Storage>> {
    let location = location.trim();
    if location == "memory" {
        Ok(Box::new(koko_core::MemoryStorage::new()))
    } else if location.starts_with("postgresql://") || location.starts_with("postgres://") {
        Ok(Box::new(koko_core::PostgresStorage::connect(location)?))
    } else {
        let dir = location.strip_prefix("sled:").unwrap_or(location);
        Ok(Box::new(koko_core::SledStorage::open(dir)?))
    }
}

#[pymethods]
impl BookStore {
    /// Writes a dump of the whole store to the file ``path``: a portable, versioned text file (one JSON record
    /// per line) with every record, its history and every plan version, which this or a newer Koko restores.
    /// Writes to the store wait while it runs (none is refused), so the dump is one consistent state. Returns the
    /// count of each kind of record written (``{"book": 3, "copy": 6, …}``).
    fn backup(&self, py: Python<'_>, path: PathBuf) -> PyResult<BTreeMap<String, u64>> {
        let guard = self.read()?;
        let store = open(&guard)?;
        py.detach(|| {
            let mut out = BufWriter::new(File::create(&path).map_err(io)?);
            let summary = backup::backup(store.storage(), &mut out)?;
            out.flush().map_err(io)?;
            out.into_inner()
                .map_err(|e| io(e.into_error()))?
                .sync_all()
                .map_err(io)?;
            Ok(summary.counts().clone())
        })
        .py_err()
    }

    /// Restores the dump in the file ``path`` into the store at ``location`` — a sled directory, ``"memory"`` or
    /// ``"postgresql://…"`` — which must be empty, and returns that store, open. A truncated or damaged dump, a
    /// newer dump format, or a store that is not empty raise ``InvalidInput``.
    #[staticmethod]
    fn restore(py: Python<'_>, path: PathBuf, location: &Bound<'_, PyAny>) -> PyResult<Self> {
        let location = text("location", location)?;
        let inner = py
            .detach(|| -> koko_core::Result<Inner> {
                let storage = storage_at(&location)?;
                let input = BufReader::new(File::open(&path).map_err(io)?);
                backup::restore(&storage, input)?;
                koko_core::BookStore::open(storage)
            })
            .py_err()?;
        Ok(BookStore::new(inner))
    }

    /// Copies this whole store into the empty store at ``location`` (a sled directory, ``"memory"`` or
    /// ``"postgresql://…"``), keeping ids, history and plan versions, then dumps both and compares them record
    /// for record. Writes to this store wait while it runs. Returns the count of each kind of record copied.
    fn migrate_to(
        &self,
        py: Python<'_>,
        location: &Bound<'_, PyAny>,
    ) -> PyResult<BTreeMap<String, u64>> {
        let guard = self.read()?;
        let store = open(&guard)?;
        let location = text("location", location)?;
        py.detach(|| {
            let target = storage_at(&location)?;
            let moved = backup::migrate(store.storage(), &target)?;
            target.flush()?;
            Ok(moved.counts().clone())
        })
        .py_err()
    }
}
