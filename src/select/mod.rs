//! Hyperparameter selection for any estimator: log-spaced grids relative to the penalties'
//! `*_max` values, warm-started paths, seeded k-fold cross-validation and "oracle" selection
//! against a known truth.
//!
//! The caller supplies a *builder*, a function from [`Hyper`] to a boxed [`Estimator`], so one
//! mechanism serves every model (Lasso, group Lasso, Dirty, multi-level Lasso, MTW):
//!
//! ```
//! use mtw::model::{Estimator, Lasso, Problem};
//! use mtw::select::{Grid, Hyper};
//! # use nalgebra::{DMatrix, DVector};
//! # let prob = Problem::shared_design(DMatrix::<f64>::identity(3, 3),
//! #     vec![DVector::from_vec(vec![3.0, 1.0, 0.0])]).unwrap();
//! let builder = |h: &Hyper| -> mtw::Result<Box<dyn Estimator<f64>>> {
//!     Ok(Box::new(Lasso::new(h.lambda)?))
//! };
//! let grid = Grid::lambda_path(Lasso::lambda_max(&prob, false), 5, 0.01).unwrap();
//! let path = mtw::select::fit_path(&prob, &grid, &builder).unwrap();
//! assert!(path[0].fit.coef.iter().all(|&c| c == 0.0));
//! ```

pub mod catalog;
pub mod cv;
pub mod grid;
pub mod oracle;
pub mod path;
pub mod selection;

pub use catalog::{CatalogOptions, ModelKind};
pub use cv::{cross_validate, misclassification, mse, subproblem, CvOptions, CvResult, Folds};
pub use grid::{Grid, Hyper};
pub use oracle::{oracle, OracleResult};
pub use path::{fit_path, visit_path, PathPoint};
pub use selection::{EdgeFlags, Goal, Selection};

use crate::error::Result;
use crate::model::Estimator;

/// Builds the estimator for one grid point. `Sync` so that cross-validation folds can run in
/// parallel.
pub trait Builder<T: crate::Scalar>: Fn(&Hyper) -> Result<Box<dyn Estimator<T>>> + Sync {}

impl<T: crate::Scalar, F> Builder<T> for F where
    F: Fn(&Hyper) -> Result<Box<dyn Estimator<T>>> + Sync
{
}
