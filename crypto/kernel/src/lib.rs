//! novanode's arithmetic kernel: the hot loops of BN254/Grumpkin proving, exposed to Python.

pub mod compact;
#[cfg(feature = "python")]
mod errors;
pub mod field;
pub mod fixed_base;
pub mod fold;
pub mod group;
pub mod hash_to_curve;
pub mod input;
pub mod msm;
pub mod pippenger;
pub mod poseidon;
#[cfg(feature = "python")]
mod py_fold;
#[cfg(feature = "python")]
mod py_group;
#[cfg(feature = "python")]
mod py_msm;
#[cfg(feature = "python")]
mod python;
pub mod sparse;
pub mod sumcheck;
