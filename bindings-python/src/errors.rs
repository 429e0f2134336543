//! Maps `koko_core::Error` to the Python exception classes of `koko._errors`.

use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use pyo3::types::PyDict;

/// The Python exception for a core error: the class named after its variant, with `field` (a `Blocked` error's
/// rule) and `reason` set.
pub(crate) fn to_py(err: koko_core::Error) -> PyErr {
    Python::attach(|py| build(py, &err).unwrap_or_else(|lookup| lookup))
}

fn build(py: Python<'_>, err: &koko_core::Error) -> Result<PyErr, PyErr> {
    let class_name = match err.kind() {
        "Storage" => "StorageError",
        other => other,
    };
    let module = py.import("koko._errors")?;
    let class = module
        .getattr(class_name)
        .or_else(|_| module.getattr("KokoError"))?;
    let kwargs = PyDict::new(py);
    if let Some(field) = err.field() {
        kwargs.set_item("field", field)?;
    }
    let reason = match err {
        koko_core::Error::InvalidInput { reason, .. }
        | koko_core::Error::InvalidPlan { reason, .. }
        | koko_core::Error::Blocked { reason, .. } => Some(reason.as_str()),
        _ => None,
    };
    if let Some(reason) = reason {
        kwargs.set_item("reason", reason)?;
    }
    let instance = class.call((err.to_string(),), Some(&kwargs))?;
    Ok(PyErr::from_value(instance))
}

/// `koko.StoreClosed` (a `StorageError`): a call on a store after `close()` or the end of its `with` block.
pub(crate) fn store_closed() -> PyErr {
    Python::attach(|py| {
        let made = py
            .import("koko._errors")
            .and_then(|module| module.getattr("StoreClosed"))
            .and_then(|class| {
                class.call1((
                    "the store is closed (BookStore.close() or the end of its `with` block)",
                ))
            });
        match made {
            Ok(instance) => PyErr::from_value(instance),
            Err(lookup) => lookup,
        }
    })
}

/// An `InvalidInput` for a Python argument that could not be converted.
pub(crate) fn invalid(field: &str, reason: impl Into<String>) -> PyErr {
    to_py(koko_core::Error::InvalidInput {
        field: field.to_owned(),
        reason: reason.into(),
    })
}

/// The extension module could not reach its own Python package (should not happen in an installed wheel).
#[allow(dead_code)]
pub(crate) fn internal(message: &str) -> PyErr {
    PyRuntimeError::new_err(message.to_owned())
}

/// `Result<T, koko_core::Error>` → `PyResult<T>`.
pub(crate) trait IntoPy<T> {
    fn py_err(self) -> PyResult<T>;
}

impl<T> IntoPy<T> for Result<T, koko_core::Error> {
    fn py_err(self) -> PyResult<T> {
        self.map_err(to_py)
    }
}
