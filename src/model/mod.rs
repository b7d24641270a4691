//! Regression models: the problem, the common fit result and estimator trait, and one module
//! per estimator.

/// The builder methods shared by the coordinate-descent estimators: `positive`, `tol` and
/// `max_iter`, either with one tolerance and cap (`single`) or with an outer and an inner one
/// (`nested`: reweighting or alternation around an inner solver).
macro_rules! solver_settings {
    (single: $estimator:ident) => {
        impl<T: Scalar> $estimator<T> {
            /// Sets the non-negativity constraint.
            pub fn positive(mut self, positive: bool) -> Self {
                self.positive = positive;
                self
            }

            /// Sets the tolerance (finite, ≥ 0).
            pub fn tol(mut self, tol: T) -> Result<Self> {
                cd::check_tol(tol)?;
                self.tol = tol;
                Ok(self)
            }

            /// Sets the maximum number of epochs.
            pub fn max_iter(mut self, max_iter: usize) -> Self {
                self.max_iter = max_iter;
                self
            }
        }
    };
    (nested: $estimator:ident) => {
        impl<T: Scalar> $estimator<T> {
            /// Sets the non-negativity constraint.
            pub fn positive(mut self, positive: bool) -> Self {
                self.positive = positive;
                self
            }

            /// Sets the outer and inner tolerances (finite, ≥ 0).
            pub fn tol(mut self, tol: T, inner_tol: T) -> Result<Self> {
                cd::check_tol(tol)?;
                cd::check_tol(inner_tol)?;
                self.tol = tol;
                self.inner_tol = inner_tol;
                Ok(self)
            }

            /// Sets the maximum numbers of outer steps and of inner epochs.
            pub fn max_iter(mut self, max_iter: usize, inner_max_iter: usize) -> Self {
                self.max_iter = max_iter;
                self.inner_max_iter = inner_max_iter;
                self
            }
        }
    };
}

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
