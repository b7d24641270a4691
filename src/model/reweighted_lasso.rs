//! Independent reweighted Lasso per task (the "IndRewLasso" baseline): the non-convex l0.5
//! penalty, minimised by majorize-minimize (iterative reweighting, Candès et al. 2008):
//!
//! ```text
//! min_θ (1/2n) Σ_t ‖X_t θ_t − Y_t‖² + Σ_t (λ_t / T) Σ_j |θ_jt|^½        (θ ≥ 0 if positive)
//! ```
//!
//! # Algorithm (per task, tasks in parallel)
//!
//! `w = 1`; repeat: solve the Lasso with penalty `λ_t/T` on the column-scaled design
//! `X_t diag(w)`, set `θ_t = w ⊙ b` (b its solution), then `w_j = 2 (|θ_jt|^½ + 10⁻¹⁰)`; stop
//! when the relative change `max|θ − θ_old| / max(1, max|θ|, max|θ_old|)` is below `tol`,
//! after at least two Lasso solves. Each step minimises the majorizer
//! `(λ_t/T) Σ_j |θ_j| / w_j` of the square-root penalty at the previous iterate (tangent of the
//! concave `√·`), so the objective never increases. The first step is the plain Lasso, so the
//! sequence (and the local minimum it reaches) is that of the reference implementation.
//!
//! `λ_t = T a_t` for a per-task scikit-learn-style weight `a_t` (penalty `a_t Σ_j |θ_jt|^½`).

use std::time::Instant;

use nalgebra::{DMatrix, DVector};
use rayon::prelude::*;

use crate::error::{Error, Result};
use crate::model::cd;
use crate::model::fit::{Estimator, Fit};
use crate::model::lasso::Lambda;
use crate::model::problem::Problem;
use crate::scalar::Scalar;

/// The offset in the reweighting `w = 2 (|θ|^½ + REWEIGHT_OFFSET)`, which keeps the l1 weights
/// `1/w` finite at θ = 0.
pub const REWEIGHT_OFFSET: f64 = 1e-10;

/// Reweighted (square-root penalty) Lasso per task (see the module doc).
#[derive(Clone, Debug)]
pub struct ReweightedLasso<T: Scalar> {
    /// Penalty λ (paper notation: the objective carries `λ_t / T`), shared or per task.
    pub lambda: Lambda<T>,
    /// Constrain every coefficient to be ≥ 0.
    pub positive: bool,
    /// Stop the reweighting when the relative change of θ is below `tol` (default
    /// [`Scalar::default_tol`]).
    pub tol: T,
    /// Maximum number of reweighting steps (Lasso solves) per task (default 1 000).
    pub max_iter: usize,
    /// Tolerance of each inner Lasso solve (gap rule of [`crate::model::cd`] on that task);
    /// default [`cd::default_inner_tol`].
    pub inner_tol: T,
    /// Maximum number of epochs of each inner Lasso solve (default 10 000).
    pub inner_max_iter: usize,
}

/// One task's outcome.
struct TaskOutcome<T: Scalar> {
    coef: DVector<T>,
    steps: usize,
    converged: bool,
    change: T,
    trace: Vec<T>,
    inner_failures: usize,
}

solver_settings!(nested: ReweightedLasso);

impl<T: Scalar> ReweightedLasso<T> {
    /// A reweighted Lasso with the same `lambda ≥ 0` for every task.
    pub fn new(lambda: T) -> Result<Self> {
        Self::with_lambda(Lambda::Shared(lambda))
    }

    /// One `λ_t ≥ 0` per task (penalty `Σ_t (λ_t/T) Σ_j |θ_jt|^½`).
    pub fn per_task(lambdas: Vec<T>) -> Result<Self> {
        Self::with_lambda(Lambda::PerTask(lambdas))
    }

    fn with_lambda(lambda: Lambda<T>) -> Result<Self> {
        let est = ReweightedLasso {
            lambda,
            positive: false,
            tol: T::default_tol(),
            max_iter: 1000,
            inner_tol: cd::default_inner_tol(),
            inner_max_iter: 10_000,
        };
        est.validate()?;
        Ok(est)
    }

    /// Checks the penalties (finite, ≥ 0) and the tolerances.
    pub fn validate(&self) -> Result<()> {
        self.lambda.validate()?;
        cd::check_tol(self.tol)?;
        cd::check_tol(self.inner_tol)
    }

    /// The smallest shared λ giving θ = 0: the first step is the Lasso, whose zero solution is
    /// a fixed point of the reweighting, so this is [`Lasso::lambda_max`]
    /// (`T max_t ‖X_tᵀ Y_t‖_∞ / n`).
    ///
    /// [`Lasso::lambda_max`]: crate::model::lasso::Lasso::lambda_max
    pub fn lambda_max(problem: &Problem<T>, positive: bool) -> T {
        crate::model::lasso::Lasso::lambda_max(problem, positive)
    }

    /// MM on one task from the start `coef` (which seeds the first, unweighted Lasso solve).
    fn solve_task(
        &self,
        x: &DMatrix<T>,
        y: &DVector<T>,
        a: T,
        start: DVector<T>,
    ) -> Result<TaskOutcome<T>> {
        let n = x.nrows();
        let kappa = cd::kappa(n, a);
        let half = T::of_f64(0.5);
        let inner_thr = self.inner_tol * (half * y.norm_squared()).max(T::min_positive());
        let offset = T::of_f64(REWEIGHT_OFFSET);

        let mut weights = vec![T::one(); x.ncols()];
        let mut coef = DMatrix::from_column_slice(x.ncols(), 1, start.as_slice());
        let mut out = TaskOutcome {
            coef: start.clone(),
            steps: 0,
            converged: false,
            change: T::max_finite(),
            trace: Vec::new(),
            inner_failures: 0,
        };

        while out.steps < self.max_iter {
            // 1. Lasso on X diag(w), started from the current θ (b = θ / w, w > 0).
            let xw = cd::scale_columns(x, &weights);
            let cols = cd::column_sq_norms(&xw);
            let mut b = DVector::from_fn(x.ncols(), |j, _| coef[j] / weights[j]);
            let mut resid = y - &xw * &b;
            let solve = cd::lasso_task(
                &xw,
                y,
                &cols,
                kappa,
                self.positive,
                &mut b,
                &mut resid,
                inner_thr,
                self.inner_max_iter,
            )?;
            out.inner_failures += usize::from(!solve.converged);
            out.steps += 1;

            // 2. New iterate and objective (1/2n scale).
            let new = DMatrix::from_fn(x.ncols(), 1, |j, _| b[j] * weights[j]);
            let sqrt_pen = new.iter().fold(T::zero(), |acc, c| acc + c.abs().sqrt());
            let resid_new = y - x * new.column(0);
            out.trace.push(half * resid_new.norm_squared() / T::of_usize(n) + a * sqrt_pen);

            // 3. Stop on the relative change (after two solves), else reweight.
            out.change = cd::relative_change(&new, &coef);
            coef = new;
            if out.steps >= 2 && out.change < self.tol {
                out.converged = true;
                break;
            }
            for (w, c) in weights.iter_mut().zip(coef.iter()) {
                *w = (T::one() + T::one()) * (c.abs().sqrt() + offset);
            }
        }

        out.coef = coef.column(0).into_owned();
        Ok(out)
    }
}

impl<T: Scalar> Estimator<T> for ReweightedLasso<T> {
    fn name(&self) -> &'static str {
        "relasso"
    }

    /// `start.coef` seeds the first (unweighted) Lasso solve only: the reweighting sequence
    /// always begins with the Lasso step, so a warm start changes the cost, not the local
    /// minimum reached (up to the inner tolerance).
    fn fit_from(&self, problem: &Problem<T>, start: Option<&Fit<T>>) -> Result<Fit<T>> {
        let clock = Instant::now();
        self.validate()?;
        let n_tasks = problem.n_tasks();
        let lambdas = self.lambda.per_task_values(n_tasks)?;
        let coef0 = cd::start_coef(problem, start, self.positive)?;
        let n_tasks_t = T::of_usize(n_tasks);

        let outcomes: Vec<TaskOutcome<T>> = (0..n_tasks)
            .into_par_iter()
            .map(|t| {
                let a = lambdas[t] / n_tasks_t;
                let start_t = coef0.column(t).into_owned();
                self.solve_task(problem.design(t), problem.target(t), a, start_t).map_err(|e| {
                    match e {
                        Error::Numerical(m) => Error::Numerical(format!("relasso task {t}: {m}")),
                        other => other,
                    }
                })
            })
            .collect::<Result<_>>()?;

        // Assemble the result.
        let mut coef = DMatrix::zeros(problem.n_features(), n_tasks);
        for (t, o) in outcomes.iter().enumerate() {
            coef.set_column(t, &o.coef);
        }
        let datafit = problem.datafit(&coef);
        let penalty = (0..n_tasks).fold(T::zero(), |acc, t| {
            let s = coef.column(t).iter().fold(T::zero(), |a, c| a + c.abs().sqrt());
            acc + lambdas[t] / n_tasks_t * s
        });
        let objective = cd::ensure_finite("reweighted Lasso objective", datafit + penalty)?;
        let len = outcomes.iter().map(|o| o.trace.len()).max().unwrap_or(0);
        let trace = (0..len)
            .map(|k| {
                outcomes.iter().fold(T::zero(), |acc, o| {
                    acc + o.trace.get(k).or(o.trace.last()).copied().unwrap_or(T::zero())
                })
            })
            .collect::<Vec<T>>();
        for x in &trace {
            cd::ensure_finite("reweighted Lasso objective trace", *x)?;
        }

        let mut fit = Fit::new("relasso", coef);
        fit.objective = Some(objective);
        fit.objective_parts = vec![("datafit", datafit), ("sqrt_penalty", penalty)];
        fit.objective_trace = trace;
        fit.tol_threshold = self.tol;
        fit.iterations = outcomes.iter().map(|o| o.steps).max().unwrap_or(0);
        fit.converged = outcomes.iter().all(|o| o.converged);
        if !fit.converged {
            let change = outcomes.iter().fold(T::zero(), |acc, o| acc.max(o.change));
            cd::warn_not_converged("relasso", fit.iterations, change, self.tol);
        }
        let failures: usize = outcomes.iter().map(|o| o.inner_failures).sum();
        if failures > 0 {
            log::warn!("relasso: {failures} inner Lasso solves stopped at inner_max_iter");
        }
        fit.seconds = clock.elapsed().as_secs_f64();
        Ok(fit)
    }
}
