//! Regression models: the problem, the common fit result and estimator trait, and one module
//! per estimator.

pub mod fit;
pub mod problem;

pub use fit::{Estimator, Fit};
pub use problem::Problem;

pub mod mtw;
