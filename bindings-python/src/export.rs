//! Reports that a server hands out as they are produced: the CSV exports as iterators of byte chunks
//! (`BookStore.export_csv_chunks`, `BookStore.export_active_rentals_csv_chunks`), and the charges outstanding on the
//! open rentals (`BookStore.outstanding_charges`). Glue only: the rows and the sums are the core's.
//!
//! A CSV is written by the core's `BookStore::export_csv_with_progress` on a thread of its own, into a writer
//! that cuts it into chunks and passes them through a bounded channel: at most [`CHUNKS_IN_FLIGHT`] chunks wait
//! for the reader, so memory stays a few chunks whatever the number of rentals, and a reader that stops (drops or
//! `close()`s the iterator) ends the export at its next chunk.

use std::io::{self, Write};
use std::sync::mpsc::{sync_channel, Receiver, RecvError, SyncSender};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use koko_core::{ExportKind, ExportProgress};
use pyo3::prelude::*;
use pyo3::types::PyBytes;
use rust_decimal::Decimal;

use crate::convert::{count, optional_datetime};
use crate::errors::{invalid, to_py, IntoPy};
use crate::inner::open;
use crate::store::BookStore;

/// How many chunks may wait between the exporting thread and the reader.
const CHUNKS_IN_FLIGHT: usize = 2;
/// The chunk size when the caller names none.
const DEFAULT_CHUNK_SIZE: usize = 64 * 1024;
/// The largest chunk a caller may ask for.
const MAX_CHUNK_SIZE: usize = 64 * 1024 * 1024;

type Piece = Result<Vec<u8>, koko_core::Error>;

/// An `io::Write` that sends what it is given as chunks of exactly `size` bytes (the last one shorter).
struct ChunkWriter {
    buffer: Vec<u8>,
    size: usize,
    sender: SyncSender<Piece>,
}

impl ChunkWriter {
    fn send(&mut self) -> io::Result<()> {
        let chunk = std::mem::replace(&mut self.buffer, Vec::with_capacity(self.size));
        self.sender
            .send(Ok(chunk))
            .map_err(|_| io::Error::new(io::ErrorKind::BrokenPipe, "the reader of the CSV stopped"))
    }
}

impl Write for ChunkWriter {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        let mut rest = data;
        while !rest.is_empty() {
            let room = self.size - self.buffer.len();
            let (now, later) = rest.split_at(room.min(rest.len()));
            self.buffer.extend_from_slice(now);
            rest = later;
            if self.buffer.len() == self.size {
                self.send()?;
            }
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        if self.buffer.is_empty() {
            Ok(())
        } else {
            self.send()
        }
    }
}

/// A CSV export as it is written: iterate for `bytes` chunks (the header row first); `rows` counts the data rows
/// written so far. `close()` (or dropping it) stops the export; `BookStore.close()` waits for an export in progress,
/// so finish or close the iterator first.
#[pyclass(module = "koko", name = "CsvChunks")]
pub struct CsvChunks {
    /// `None` once exhausted, failed or closed.
    receiver: Mutex<Option<Receiver<Piece>>>,
    /// The rows the exporting thread has written.
    progress: Arc<ExportProgress>,
    /// What is exported.
    kind: ExportKind,
}

enum Next {
    Chunk(Vec<u8>),
    Failed(koko_core::Error),
    Done,
}

#[pymethods]
impl CsvChunks {
    fn __iter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __next__(&self, py: Python<'_>) -> PyResult<Option<Py<PyBytes>>> {
        // Waiting for the exporter releases the GIL; the exporter never needs it.
        let next = py.detach(|| {
            let mut receiver = self.receiver.lock().unwrap_or_else(|p| p.into_inner());
            let next = match receiver.as_ref().map(Receiver::recv) {
                Some(Ok(Ok(chunk))) => Next::Chunk(chunk),
                Some(Ok(Err(err))) => Next::Failed(err),
                Some(Err(RecvError)) | None => Next::Done,
            };
            if !matches!(next, Next::Chunk(_)) {
                *receiver = None;
            }
            next
        });
        match next {
            Next::Chunk(chunk) => Ok(Some(PyBytes::new(py, &chunk).unbind())),
            Next::Failed(err) => Err(to_py(err)),
            Next::Done => Ok(None),
        }
    }

    /// The data rows written so far (the header row not counted): exact once iteration has ended; while it runs,
    /// rows already written may still wait in chunks not yet read.
    #[getter]
    fn rows(&self) -> u64 {
        self.progress.rows()
    }

    /// What is exported: `active-rentals`, `overdue`, `ledger`, `books` or `customers`.
    #[getter]
    fn kind(&self) -> &'static str {
        self.kind.name()
    }

    /// Stops the export (the exporting thread ends at its next chunk); later iteration ends at once.
    fn close(&self, py: Python<'_>) {
        py.detach(|| {
            *self.receiver.lock().unwrap_or_else(|p| p.into_inner()) = None;
        });
    }
}

/// What every open rental would be charged if all came back at `at`, summed by currency.
#[pyclass(module = "koko", frozen, get_all)]
pub struct OutstandingCharges {
    /// The instant the charges are computed for.
    pub at: DateTime<Utc>,
    /// How many open rentals were priced.
    pub rentals: u64,
    /// One sum per currency, sorted by currency code.
    pub totals: Vec<CurrencyTotal>,
}

/// A sum of money in one currency.
#[pyclass(module = "koko", frozen, eq, hash, get_all)]
#[derive(Clone, PartialEq, Hash)]
pub struct CurrencyTotal {
    /// The ISO 4217 currency code.
    pub currency: String,
    /// The sum.
    pub total: Decimal,
}

#[pymethods]
impl CurrencyTotal {
    fn __repr__(&self) -> String {
        format!(
            "CurrencyTotal(currency={:?}, total=Decimal('{}'))",
            self.currency, self.total
        )
    }
}

#[pymethods]
impl OutstandingCharges {
    fn __repr__(&self) -> String {
        format!(
            "OutstandingCharges(at={:?}, rentals={}, totals={})",
            self.at.to_rfc3339(),
            self.rentals,
            self.totals.len()
        )
    }
}

#[pymethods]
impl BookStore {
    /// The open rentals as CSV (the header row, then one row per rental in id order), streamed in chunks of
    /// `chunk_size` bytes.
    #[pyo3(signature = (chunk_size = None))]
    fn export_active_rentals_csv_chunks(
        slf: &Bound<'_, Self>,
        chunk_size: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<CsvChunks> {
        chunks(slf, ExportKind::ActiveRentals, chunk_size)
    }

    /// The `kind` export as CSV (`active-rentals`, `overdue`, `ledger`, `books` or `customers`: the columns and
    /// rows of `koko export KIND`), streamed in chunks of `chunk_size` bytes.
    #[pyo3(signature = (kind, chunk_size = None))]
    fn export_csv_chunks(
        slf: &Bound<'_, Self>,
        kind: &Bound<'_, PyAny>,
        chunk_size: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<CsvChunks> {
        {
            // A closed store raises StoreClosed whatever the arguments.
            let guard = slf.get().read()?;
            open(&guard)?;
        }
        let kind: ExportKind = match kind.extract::<String>() {
            Ok(name) => name.parse().py_err()?,
            Err(_) => {
                return Err(invalid(
                    "kind",
                    "expected a string: active-rentals, overdue, ledger, books or customers",
                ))
            }
        };
        chunks(slf, kind, chunk_size)
    }

    /// What every open rental would be charged if all came back at `at` (now by default), summed by currency.
    #[pyo3(signature = (at = None))]
    fn outstanding_charges(
        &self,
        py: Python<'_>,
        at: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<OutstandingCharges> {
        let guard = self.read()?;
        let store = open(&guard)?;
        let at = optional_datetime("at", at)?.unwrap_or_else(|| store.now());
        let report = py.detach(|| store.outstanding_charges(at)).py_err()?;
        Ok(OutstandingCharges {
            at: report.at.unwrap_or(at),
            rentals: report.rentals,
            totals: report
                .totals
                .into_iter()
                .map(|t| CurrencyTotal {
                    currency: t.currency.code().to_owned(),
                    total: t.total,
                })
                .collect(),
        })
    }
}

/// Starts the `kind` export on a thread of its own; its chunks come through the returned iterator.
fn chunks(
    slf: &Bound<'_, BookStore>,
    kind: ExportKind,
    chunk_size: Option<&Bound<'_, PyAny>>,
) -> PyResult<CsvChunks> {
    let chunk_size = match chunk_size {
        Some(size) if !size.is_none() => count("chunk_size", size)? as usize,
        _ => DEFAULT_CHUNK_SIZE,
    };
    if !(1..=MAX_CHUNK_SIZE).contains(&chunk_size) {
        return Err(invalid(
            "chunk_size",
            format!("expected 1 to {MAX_CHUNK_SIZE} bytes"),
        ));
    }
    {
        // A closed store raises here rather than at the first chunk.
        let guard = slf.get().read()?;
        open(&guard)?;
    }
    let (sender, receiver) = sync_channel::<Piece>(CHUNKS_IN_FLIGHT);
    let store = slf.clone().unbind();
    let progress = Arc::new(ExportProgress::new());
    let counted = Arc::clone(&progress);
    std::thread::Builder::new()
        .name("koko-csv-export".into())
        .spawn(move || {
            let mut writer = ChunkWriter {
                buffer: Vec::with_capacity(chunk_size),
                size: chunk_size,
                sender: sender.clone(),
            };
            let exported = match store.get().read() {
                Ok(guard) => match guard.as_ref() {
                    Some(inner) => inner
                        .export_csv_with_progress(kind, &mut writer, &counted)
                        .map(drop),
                    None => Err(closed_meanwhile()),
                },
                Err(_) => Err(closed_meanwhile()),
            };
            if let Err(err) = exported {
                // Nobody to tell when the reader is gone (that is how the export stopped).
                let _ = sender.send(Err(err));
            }
        })
        .map_err(|e| to_py(koko_core::Error::Storage(Box::new(e))))?;
    Ok(CsvChunks {
        receiver: Mutex::new(Some(receiver)),
        progress,
        kind,
    })
}

fn closed_meanwhile() -> koko_core::Error {
    koko_core::Error::Storage("the store was closed before the export began".into())
}
