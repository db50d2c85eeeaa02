//! PyO3 bindings: field vectors cross as contiguous numpy arrays.

use pyo3::prelude::*;

#[pymodule]
fn _kernel(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    crate::poseidon::register(m)?;
    crate::field::py::register(m)?;
    crate::sparse::py::register(m)?;
    crate::sumcheck::py::register(m)?;
    crate::compact::py::register(m)?;
    crate::py_group::register(m)?;
    crate::py_msm::register(m)?;
    crate::py_fold::register(m)?;
    Ok(())
}
