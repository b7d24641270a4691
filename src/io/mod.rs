//! File input and output: numpy `.npy` arrays and atomic file writes.

pub mod atomic;
pub mod npy;
