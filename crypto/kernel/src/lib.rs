//! novanode's arithmetic kernel: the hot loops of BN254/Grumpkin proving, exposed to Python.

pub mod compact;
#[cfg(feature = "python")]
mod errors;
pub mod field;
pub mod input;
pub mod poseidon;
#[cfg(feature = "python")]
mod python;
pub mod sparse;
