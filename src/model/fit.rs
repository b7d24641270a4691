//! The result every estimator returns, and the estimator trait itself.

use nalgebra::{DMatrix, DVector};

use crate::error::Result;
use crate::model::problem::Problem;
use crate::ot::SinkhornState;
use crate::scalar::Scalar;

/// What a fit returns, for every model. Model-specific parts are `None` where they do not apply.
#[derive(Clone, Debug)]
pub struct Fit<T: Scalar> {
    /// Model name as used on the command line and in CSVs (`"mtw"`, `"lasso"`, …).
    pub model: &'static str,
    /// Coefficients θ, p × T (column t = task t).
    pub coef: DMatrix<T>,
    /// Objective value at `coef`; `None` where the solution is a fixed point of an update rule
    /// rather than a minimiser (concomitant MTW, see `fixed_point_residual`).
    pub objective: Option<T>,
    /// Named parts of the objective (`"datafit"`, `"ot"`, `"l1"`, …), summing to `objective`.
    pub objective_parts: Vec<(&'static str, T)>,
    /// Objective after each outer iteration (never increasing for the convex models).
    pub objective_trace: Vec<T>,
    /// Duality gap at `coef` for the models that have one (Lasso, group Lasso, Dirty).
    pub duality_gap: Option<T>,
    /// The threshold the stopping test compared against (tolerance after any scaling/floor).
    pub tol_threshold: T,
    /// Outer iterations performed (0 when the start was already optimal).
    pub iterations: usize,
    /// Whether the stopping test was met before the iteration cap.
    pub converged: bool,
    /// Wall-clock seconds spent in the fit.
    pub seconds: f64,
    /// MTW: barycenter θ̄⁺ − θ̄⁻ (p).
    pub barycenter: Option<DVector<T>>,
    /// MTW: the non-negative parts θ⁺ and θ⁻ (θ = θ⁺ − θ⁻), p × T each.
    pub coef_parts: Option<(DMatrix<T>, DMatrix<T>)>,
    /// Dirty model / multi-level Lasso: shared and task-specific parts, p × T each.
    pub coef_shared: Option<DMatrix<T>>,
    /// Dirty model / multi-level Lasso: task-specific part, p × T.
    pub coef_specific: Option<DMatrix<T>>,
    /// Concomitant MTW: estimated noise level per task.
    pub sigma: Option<DVector<T>>,
    /// Concomitant MTW: residual of its fixed-point equations at the returned point.
    pub fixed_point_residual: Option<T>,
    /// MTW: whether a Sinkhorn solve ran in the log domain.
    pub log_domain_used: bool,
    /// MTW: Sinkhorn scalings of the positive and negative parts, for warm starts.
    pub sinkhorn_states: Option<(SinkhornState<T>, SinkhornState<T>)>,
}

impl<T: Scalar> Fit<T> {
    /// A result with only the common fields set; model-specific ones are `None`/`false`.
    pub fn new(model: &'static str, coef: DMatrix<T>) -> Self {
        Fit {
            model,
            coef,
            objective: None,
            objective_parts: Vec::new(),
            objective_trace: Vec::new(),
            duality_gap: None,
            tol_threshold: T::zero(),
            iterations: 0,
            converged: false,
            seconds: 0.0,
            barycenter: None,
            coef_parts: None,
            coef_shared: None,
            coef_specific: None,
            sigma: None,
            fixed_point_residual: None,
            log_domain_used: false,
            sinkhorn_states: None,
        }
    }

    /// The value of a named objective part, if present.
    pub fn part(&self, name: &str) -> Option<T> {
        self.objective_parts.iter().find(|(n, _)| *n == name).map(|&(_, v)| v)
    }
}

/// A multi-task estimator: a model with its hyperparameters, ready to fit a [`Problem`].
///
/// Estimators are immutable values: a fit never changes the estimator, and the only state that
/// flows from one fit to the next is what the caller passes back as `start` (its coefficients,
/// and for MTW its Sinkhorn scalings).
pub trait Estimator<T: Scalar>: Send + Sync {
    /// Model name as used on the command line and in CSVs.
    fn name(&self) -> &'static str;

    /// Fits, warm-starting from a previous result on a problem of the same shape when given.
    fn fit_from(&self, problem: &Problem<T>, start: Option<&Fit<T>>) -> Result<Fit<T>>;

    /// Fits from the model's documented cold start.
    fn fit(&self, problem: &Problem<T>) -> Result<Fit<T>> {
        self.fit_from(problem, None)
    }
}
