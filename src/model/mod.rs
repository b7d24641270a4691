//! Regression models: the problem, the common fit result and estimator trait, and one module
//! per estimator.

pub mod cd;
pub mod dirty;
pub mod fit;
pub mod group_lasso;
pub mod lasso;
pub mod mtw;
pub mod multilevel_lasso;
pub mod problem;
pub mod prox;
pub mod reweighted_lasso;

pub use dirty::Dirty;
pub use fit::{Estimator, Fit};
pub use group_lasso::GroupLasso;
pub use lasso::{Lambda, Lasso};
pub use multilevel_lasso::MultiLevelLasso;
pub use problem::Problem;
pub use reweighted_lasso::ReweightedLasso;
