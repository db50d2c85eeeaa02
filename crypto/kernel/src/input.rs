//! Why the kernel rejected its input, in pure Rust.
//!
//! Each variant names the `crypto.errors` class the Python bindings raise for it, so a caller
//! catches the same exception whether a check ran in Python or here.

use std::fmt;

/// An input the kernel refuses to compute on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InputError {
    /// An integer ≥ the modulus where a canonical field element was required.
    NonCanonical {
        operand: &'static str,
        index: Option<usize>,
    },
    /// An encoding of a value that has another, canonical encoding (e.g. a compact vector
    /// listing 1 among its "other" values although 1 has a tag of its own).
    NonCanonicalForm(String),
    /// Zero where an invertible element was required.
    ZeroInversion { operand: &'static str, index: usize },
    /// Operands whose lengths or dimensions do not fit together.
    ShapeMismatch(String),
    /// Bytes whose length is not the one the encoding requires.
    WrongLength(String),
    /// An array whose memory layout is not the one the kernel reads.
    Layout(String),
    /// A sparse matrix whose CSR arrays are inconsistent.
    MalformedMatrix(String),
    /// A compact-vector tag outside the four defined ones.
    InvalidTag { index: usize, tag: u8 },
}

impl InputError {
    /// The name of the `crypto.errors` class that stands for this error in Python.
    pub fn class_name(&self) -> &'static str {
        match self {
            Self::NonCanonical { .. } | Self::NonCanonicalForm(_) => "NonCanonicalEncodingError",
            Self::ZeroInversion { .. } => "ZeroInversionError",
            Self::ShapeMismatch(_) => "ShapeMismatchError",
            Self::WrongLength(_) => "WrongLengthError",
            Self::Layout(_) => "LayoutError",
            Self::MalformedMatrix(_) => "MalformedMatrixError",
            Self::InvalidTag { .. } => "InvalidTagError",
        }
    }
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NonCanonical {
                operand,
                index: Some(i),
            } => write!(
                f,
                "element {i} of {operand} is not canonical: it is not below the field modulus"
            ),
            Self::NonCanonical {
                operand,
                index: None,
            } => write!(
                f,
                "scalar {operand} is not canonical: it is not below the field modulus"
            ),
            Self::ZeroInversion { operand, index } => {
                write!(f, "element {index} of {operand} is zero and has no inverse")
            }
            Self::InvalidTag { index, tag } => write!(
                f,
                "tag {index} is {tag}; a compact vector's tags are 0 (zero), 1 (one), \
                 2 (minus one) or 3 (other)"
            ),
            Self::NonCanonicalForm(m)
            | Self::ShapeMismatch(m)
            | Self::WrongLength(m)
            | Self::Layout(m)
            | Self::MalformedMatrix(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for InputError {}

#[cfg(feature = "python")]
impl InputError {
    /// The `crypto.errors` exception standing for this error.
    pub fn into_pyerr(self, py: pyo3::Python<'_>) -> pyo3::PyErr {
        crate::errors::crypto_error(py, self.class_name(), self.to_string())
    }
}
