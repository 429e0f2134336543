//! `Event` for Python: one entry of a store's event feed (`BookStore.events`), its payload as a `dict`.

use chrono::{DateTime, Utc};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyModule};

use crate::errors::internal;

/// One event of a store's feed: what changed, in the same atomic step as the change.
#[pyclass(module = "koko", frozen, eq, hash)]
#[derive(Clone, PartialEq, Hash)]
pub struct Event {
    position: u64,
    id: String,
    kind: &'static str,
    at: DateTime<Utc>,
    subjects: Vec<(&'static str, u64)>,
    data: String,
}

impl TryFrom<koko_core::Event> for Event {
    type Error = PyErr;

    fn try_from(event: koko_core::Event) -> PyResult<Self> {
        let s = event.subjects;
        let subjects = [
            ("book", s.book),
            ("copy", s.copy),
            ("customer", s.customer),
            ("rental", s.rental),
            ("hold", s.hold),
        ]
        .into_iter()
        .filter_map(|(name, id)| id.map(|id| (name, id)))
        .collect();
        let data = serde_json::to_string(&event.data)
            .map_err(|e| internal(&format!("cannot encode an event's payload: {e}")))?;
        Ok(Event {
            position: event.position,
            id: event.id,
            kind: event.kind.as_str(),
            at: event.at,
            subjects,
            data,
        })
    }
}

#[pymethods]
impl Event {
    /// Where the event is in the feed: strictly increasing and gap-free in commit order, from 1.
    #[getter]
    fn position(&self) -> u64 {
        self.position
    }

    /// The event's stable id (``evt_`` and its position in 20 digits): what a receiver deduplicates on.
    #[getter]
    fn id(&self) -> &str {
        &self.id
    }

    /// What happened: ``"rental.opened"``, ``"ledger.posted"``, …
    #[getter]
    fn r#type(&self) -> &'static str {
        self.kind
    }

    /// When it happened (UTC).
    #[getter]
    fn at(&self) -> DateTime<Utc> {
        self.at
    }

    /// The ids of what it concerns, by kind of record: ``{"rental": 7, "customer": 2, …}``.
    #[getter]
    fn subjects<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let dict = PyDict::new(py);
        for (name, id) in &self.subjects {
            dict.set_item(name, id)?;
        }
        Ok(dict)
    }

    /// The payload, a new ``dict`` on each read (its ``"v"`` is the schema version; money is text, as in JSON).
    #[getter]
    fn data<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let decimal = PyModule::import(py, "decimal")?.getattr("Decimal")?;
        let kwargs = PyDict::new(py);
        kwargs.set_item("parse_float", decimal)?;
        PyModule::import(py, "json")?
            .getattr("loads")?
            .call((self.data.as_str(),), Some(&kwargs))
    }

    /// The payload as JSON text, exactly as the store keeps it.
    #[getter]
    fn data_json(&self) -> &str {
        &self.data
    }

    fn __repr__(&self) -> String {
        format!(
            "Event(position={}, id={:?}, type={:?}, at={:?})",
            self.position,
            self.id,
            self.kind,
            self.at.to_rfc3339()
        )
    }
}
