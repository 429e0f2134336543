//! The event feed's methods of `BookStore` for Python (a `#[pymethods]` block of its own): reading the feed,
//! consumers' checkpoints, pruning.

use koko_core::EventKind;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyInt, PyString};

use crate::convert::text;
use crate::errors::{invalid, IntoPy};
use crate::events::Event;
use crate::inner::open;
use crate::store::BookStore;

/// A position: a non-negative `int` (`field` names it in the error).
fn position(field: &str, value: &Bound<'_, PyAny>) -> PyResult<u64> {
    if !value.is_instance_of::<PyInt>() || value.is_instance_of::<PyBool>() {
        return Err(invalid(field, "expected an int position"));
    }
    let big: i128 = value
        .extract()
        .map_err(|_| invalid(field, "the position is out of range"))?;
    u64::try_from(big).map_err(|_| invalid(field, format!("must not be negative, got {big}")))
}

/// `types=`: `None`, one type name, or an iterable of them (each checked: an unknown one is `InvalidInput` on
/// `types`).
fn kinds(value: Option<&Bound<'_, PyAny>>) -> PyResult<Option<Vec<EventKind>>> {
    let Some(value) = value.filter(|v| !v.is_none()) else {
        return Ok(None);
    };
    if value.is_instance_of::<PyString>() {
        return Ok(Some(vec![
            EventKind::parse(&text("types", value)?).py_err()?
        ]));
    }
    let mut kinds = Vec::new();
    for item in value
        .try_iter()
        .map_err(|_| invalid("types", "expected a list of event types"))?
    {
        kinds.push(EventKind::parse(&text("types", &item?)?).py_err()?);
    }
    if kinds.is_empty() {
        return Err(invalid(
            "types",
            "name at least one event type, or pass None for all",
        ));
    }
    Ok(Some(kinds))
}

#[pymethods]
impl BookStore {
    /// Up to ``limit`` (1 to 1000) events after position ``after`` (from the feed's start for ``None``), in
    /// position order; with ``types`` (a type name or a list of them), only those. A consumer passes the last
    /// position it handled: positions are gap-free in commit order, so it never misses an event nor sees one
    /// twice. ``InvalidInput`` on ``types`` for an unknown type, on ``limit`` or ``after`` for a bad number.
    #[pyo3(signature = (after=None, limit=None, types=None))]
    fn events(
        &self,
        py: Python<'_>,
        after: Option<&Bound<'_, PyAny>>,
        limit: Option<&Bound<'_, PyAny>>,
        types: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Vec<Event>> {
        let after = match after.filter(|a| !a.is_none()) {
            Some(a) => Some(position("after", a)?),
            None => None,
        };
        let limit = match limit.filter(|l| !l.is_none()) {
            Some(l) => usize::try_from(position("limit", l)?)
                .map_err(|_| invalid("limit", "the number is out of range"))?,
            None => 100,
        };
        let kinds = kinds(types)?;
        let guard = self.read()?;
        let store = open(&guard)?;
        let events = py
            .detach(|| store.events(after, limit, kinds.as_deref()))
            .py_err()?;
        events.into_iter().map(Event::try_from).collect()
    }

    /// The last position consumer ``name`` stored with ``set_checkpoint``, or ``None``.
    fn checkpoint(&self, py: Python<'_>, name: &Bound<'_, PyAny>) -> PyResult<Option<u64>> {
        let name = text("name", name)?;
        let guard = self.read()?;
        let store = open(&guard)?;
        py.detach(|| store.checkpoint(&name)).py_err()
    }

    /// Every consumer's checkpoint: ``{name: position}``.
    fn checkpoints(&self, py: Python<'_>) -> PyResult<std::collections::BTreeMap<String, u64>> {
        let guard = self.read()?;
        let store = open(&guard)?;
        py.detach(|| store.checkpoints())
            .py_err()
            .map(|all| all.into_iter().collect())
    }

    /// Stores consumer ``name``'s checkpoint (the last position it handled, at most the feed's last) atomically
    /// and answers it. A registered consumer holds back ``prune_events`` until it has passed the events.
    fn set_checkpoint(
        &self,
        py: Python<'_>,
        name: &Bound<'_, PyAny>,
        position: &Bound<'_, PyAny>,
    ) -> PyResult<u64> {
        let name = text("name", name)?;
        let at = self::position("position", position)?;
        let guard = self.read()?;
        let store = open(&guard)?;
        py.detach(|| store.set_checkpoint(&name, at)).py_err()
    }

    /// Forgets consumer ``name``'s checkpoint (a consumer that is gone no longer holds back ``prune_events``);
    /// answers the checkpoint it had, or ``None``.
    fn remove_checkpoint(&self, py: Python<'_>, name: &Bound<'_, PyAny>) -> PyResult<Option<u64>> {
        let name = text("name", name)?;
        let guard = self.read()?;
        let store = open(&guard)?;
        py.detach(|| store.remove_checkpoint(&name)).py_err()
    }

    /// The feed's last position (0 before the first event; pruning does not lower it): a consumer that wants only
    /// what comes next stores it as its checkpoint.
    fn last_event_position(&self, py: Python<'_>) -> PyResult<u64> {
        let guard = self.read()?;
        let store = open(&guard)?;
        py.detach(|| store.last_event_position()).py_err()
    }

    /// Removes the events before position ``before``; answers how many. Refused (``InvalidInput`` on
    /// ``before``) past a registered consumer's checkpoint: nothing a consumer has not passed is dropped.
    #[pyo3(signature = (*, before))]
    fn prune_events(&self, py: Python<'_>, before: &Bound<'_, PyAny>) -> PyResult<u64> {
        let before = position("before", before)?;
        let guard = self.read()?;
        let store = open(&guard)?;
        py.detach(|| store.prune_events(before)).py_err()
    }
}
