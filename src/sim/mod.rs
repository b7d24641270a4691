//! Simulators of the synthetic studies.

pub mod benchmark;
pub mod blur;
pub mod grid_gaussian;
pub mod meg;
pub mod overlap;
pub mod support;

pub use overlap::{Design, OverlapConfig, OverlapSimulator, OverlapTrial, SnrConvention};
