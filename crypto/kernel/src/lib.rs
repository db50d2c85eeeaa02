//! novanode's arithmetic kernel: the hot loops of BN254/Grumpkin proving, exposed to Python.

pub mod compact;
#[cfg(feature = "python")]
mod errors;
pub mod field;
pub mod input;
pub mod poseidon;
pub mod group;
pub mod hash_to_curve;
pub mod msm;
pub mod pippenger;
#[cfg(feature = "python")]
mod py_group;
#[cfg(feature = "python")]
mod py_msm;
#[cfg(feature = "python")]
mod python;
pub mod sparse;
