//! novanode's arithmetic kernel: the hot loops of BN254/Grumpkin proving, exposed to Python.

#[cfg(feature = "python")]
mod errors;
pub mod poseidon;
#[cfg(feature = "python")]
mod python;
