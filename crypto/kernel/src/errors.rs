//! Raising the Python exception types of `crypto.errors` from the kernel.

use pyo3::prelude::*;

/// A `PyErr` of the class `crypto.errors.<name>` carrying `message`.
pub fn crypto_error(py: Python<'_>, name: &str, message: impl Into<String>) -> PyErr {
    let message = message.into();
    match py
        .import("crypto.errors")
        .and_then(|module| module.getattr(name))
    {
        Ok(class) => PyErr::from_type(class.downcast_into().expect("exception class"), message),
        Err(err) => err,
    }
}
