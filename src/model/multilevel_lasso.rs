//! The multi-level Lasso (Lozano and Swirszcz 2012; paper eq. 13): a product decomposition
//! `θ_jt = C_j S_jt` with a shared non-negative C,
//!
//! ```text
//! min_{C ≥ 0, S} (1/2n) Σ_t ‖X_t (C ⊙ S_t) − Y_t‖² + µ ‖C‖₁ + (λ/T) Σ_t ‖S_t‖₁
//! ```
//!
//! (with S ≥ 0 if positive).
//!
//! Minimising over C for fixed θ gives `C_j = (λ ‖θ_j‖₁ / (T µ))^½` and the equivalent
//! non-convex penalty `2 (µ λ / T)^½ Σ_j ‖θ_j‖₁^½` (paper eq. 14, up to the factor).
//!
//! # Algorithm and initialisation
//!
//! Alternating minimisation, each block solved to the inner tolerance by coordinate descent:
//!
//! 1. S-step: for each task, the Lasso `min_S (1/2n)‖X_t diag(C) S − Y_t‖² + (λ/T)‖S‖₁`
//!    (columns of `X_t` scaled by C);
//! 2. C-step: the non-negative Lasso on the stacked problem
//!    `min_{C ≥ 0} (1/2n) Σ_t ‖X_t diag(S_t) C − Y_t‖² + µ ‖C‖₁`;
//!
//! from `C = 1` (S-step first), until the relative change
//! `max|θ − θ_old| / max(1, max|θ|, max|θ_old|)` is below `tol`. This is the reference
//! implementation's path, so its local solution is reproduced. The problem is non-convex:
//! the returned point is a stationary point (each block optimal given the other), with its
//! objective; a feature whose `C_j` or `S_j·` reaches 0 stays at 0.

use std::time::Instant;

use nalgebra::{DMatrix, DVector};
use rayon::prelude::*;

use crate::error::{Error, Result};
use crate::model::cd;
use crate::model::fit::{Estimator, Fit};
use crate::model::lasso::Lasso;
use crate::model::problem::Problem;
use crate::scalar::Scalar;

/// The multi-level Lasso (see the module doc). The fit's `coef_shared` holds C (p × T, every
/// column equal to C) and `coef_specific` holds S, with `coef = C ⊙ S` column by column.
#[derive(Clone, Debug)]
pub struct MultiLevelLasso<T: Scalar> {
    /// Weight µ of `µ ‖C‖₁` on the shared non-negative factor.
    pub mu: T,
    /// Weight λ of `(λ/T) Σ_t ‖S_t‖₁` on the task-specific factors.
    pub lambda: T,
    /// Constrain θ ≥ 0 (that is S ≥ 0; C ≥ 0 always).
    pub positive: bool,
    /// Stop when the relative change of θ between two alternations is below `tol` (default
    /// [`Scalar::default_tol`]).
    pub tol: T,
    /// Maximum number of alternations (default 10 000).
    pub max_iter: usize,
    /// Tolerance of each inner Lasso solve (gap rule of [`crate::model::cd`] on that
    /// sub-problem); default [`cd::default_inner_tol`].
    pub inner_tol: T,
    /// Maximum number of epochs of each inner solve (default 10 000).
    pub inner_max_iter: usize,
}

solver_settings!(nested: MultiLevelLasso);

impl<T: Scalar> MultiLevelLasso<T> {
    /// A multi-level Lasso with penalties `mu > 0` (on C) and `lambda > 0` (on S).
    ///
    /// Both must be positive: with one of them 0, scaling C up and S down (or the reverse)
    /// drives the other penalty to 0 without changing θ = C ⊙ S, so the objective has no
    /// minimum and the alternation would run forever with C or S growing without bound.
    pub fn new(mu: T, lambda: T) -> Result<Self> {
        let est = MultiLevelLasso {
            mu,
            lambda,
            positive: false,
            tol: T::default_tol(),
            max_iter: 10_000,
            inner_tol: cd::default_inner_tol(),
            inner_max_iter: 10_000,
        };
        est.validate()?;
        Ok(est)
    }

    /// Checks the penalties (finite, > 0) and the tolerances.
    pub fn validate(&self) -> Result<()> {
        for (name, value) in [("mu", self.mu), ("lambda", self.lambda)] {
            cd::check_penalty(name, value)?;
            if value == T::zero() {
                return Err(Error::parameter(
                    name,
                    value,
                    "must be > 0 for mll (with 0 the objective has no minimum)",
                ));
            }
        }
        cd::check_tol(self.tol)?;
        cd::check_tol(self.inner_tol)
    }

    /// The smallest λ giving θ = 0 **for every µ**: from C = 1 the first S-step is the Lasso
    /// with penalty λ/T per task, which is 0 iff `λ ≥ T max_t ‖X_tᵀ Y_t‖_∞ / n`
    /// ([`Lasso::lambda_max`]); then the C-step gives C = 0 and θ stays 0. (θ = 0 is a local
    /// minimum for every µ, λ; this is about the solution the algorithm returns.)
    pub fn lambda_max(problem: &Problem<T>, positive: bool) -> T {
        Lasso::lambda_max(problem, positive)
    }

    /// For a given λ below [`MultiLevelLasso::lambda_max`], the smallest µ giving θ = 0: the
    /// first C-step returns C = 0 iff
    ///
    /// ```text
    /// µ ≥ µ_max(λ) = max_j (Σ_t S_jt X_tjᵀ Y_t)₊ / n,
    /// ```
    ///
    /// with S the first S-step (the Lasso at λ, solved here to `inner_tol` of a default
    /// estimator), after which θ stays 0. Below µ_max(λ) the first C-step is non-zero, but
    /// later alternations can still shrink the fit to 0: the exact boundary of the zero fit
    /// depends on the whole path. Returns 0 when λ ≥ λ_max.
    pub fn mu_max(problem: &Problem<T>, lambda: T, positive: bool) -> Result<T> {
        let lasso = Lasso::new(lambda)?.positive(positive).tol(cd::default_inner_tol())?;
        let s = lasso.fit(problem)?.coef;
        let n = problem.n_samples();
        let grads = cd::correlations(problem.designs(), problem.targets());
        let m = (0..problem.n_features()).fold(T::zero(), |acc, j| {
            let g = (0..problem.n_tasks()).fold(T::zero(), |a, t| a + s[(j, t)] * grads[(j, t)]);
            acc.max(g)
        });
        Ok(cd::round_up_max(m / T::of_usize(n), T::one(), n, m))
    }

    /// The S-step: each task's Lasso on `X_t diag(C)`, in place from the current S.
    fn s_step(&self, problem: &Problem<T>, c: &[T], s: &mut DMatrix<T>) -> Result<usize> {
        let n = problem.n_samples();
        let kappa = cd::kappa(n, self.lambda / T::of_usize(problem.n_tasks()));
        let half = T::of_f64(0.5);
        let columns: Vec<(DVector<T>, bool)> = (0..problem.n_tasks())
            .into_par_iter()
            .map(|t| {
                let (x, y) = (problem.design(t), problem.target(t));
                let xc = cd::scale_columns(x, c);
                let cols = cd::column_sq_norms(&xc);
                let mut st: DVector<T> = s.column(t).into_owned();
                let mut resid = y - &xc * &st;
                let thr = self.inner_tol * (half * y.norm_squared()).max(T::min_positive());
                let solve = cd::lasso_task(
                    &xc,
                    y,
                    &cols,
                    kappa,
                    self.positive,
                    &mut st,
                    &mut resid,
                    thr,
                    self.inner_max_iter,
                )
                .map_err(|e| context(e, &format!("S-step, task {t}")))?;
                Ok((st, solve.converged))
            })
            .collect::<Result<_>>()?;

        let mut failures = 0;
        for (t, (st, ok)) in columns.into_iter().enumerate() {
            s.set_column(t, &st);
            failures += usize::from(!ok);
        }
        Ok(failures)
    }

    /// The C-step: the non-negative Lasso on the stacked design `[X_t diag(S_t)]_t`, in place.
    fn c_step(&self, problem: &Problem<T>, s: &DMatrix<T>, c: &mut DVector<T>) -> Result<usize> {
        let (n, p, n_tasks) = (problem.n_samples(), problem.n_features(), problem.n_tasks());
        let mut z = DMatrix::zeros(n * n_tasks, p);
        let mut y = DVector::zeros(n * n_tasks);
        for t in 0..n_tasks {
            let st: Vec<T> = s.column(t).iter().copied().collect();
            z.rows_mut(t * n, n).copy_from(&cd::scale_columns(problem.design(t), &st));
            y.rows_mut(t * n, n).copy_from(problem.target(t));
        }

        let cols = cd::column_sq_norms(&z);
        let mut resid = &y - &z * &*c;
        let half = T::of_f64(0.5);
        let thr = self.inner_tol * (half * y.norm_squared()).max(T::min_positive());
        let kappa = cd::kappa(n, self.mu);
        let solve =
            cd::lasso_task(&z, &y, &cols, kappa, true, c, &mut resid, thr, self.inner_max_iter)
                .map_err(|e| context(e, "C-step"))?;
        Ok(usize::from(!solve.converged))
    }
}

/// Prefixes a numerical error with the step that produced it.
fn context(e: Error, step: &str) -> Error {
    match e {
        Error::Numerical(m) => Error::Numerical(format!("multi-level Lasso {step}: {m}")),
        other => other,
    }
}

/// `θ = C ⊙ S` column by column.
fn product<T: Scalar>(c: &DVector<T>, s: &DMatrix<T>) -> DMatrix<T> {
    DMatrix::from_fn(s.nrows(), s.ncols(), |j, t| c[j] * s[(j, t)])
}

impl<T: Scalar> MultiLevelLasso<T> {
    /// The objective and its parts `(datafit, µ‖C‖₁, (λ/T)‖S‖₁)` at (C, S).
    fn objective(&self, problem: &Problem<T>, c: &DVector<T>, s: &DMatrix<T>) -> (T, T, T) {
        let datafit = problem.datafit(&product(c, s));
        let shared = self.mu * c.iter().fold(T::zero(), |acc, v| acc + v.abs());
        let l1 = s.iter().fold(T::zero(), |acc, v| acc + v.abs());
        (datafit, shared, self.lambda / T::of_usize(problem.n_tasks()) * l1)
    }
}

impl<T: Scalar> Estimator<T> for MultiLevelLasso<T> {
    fn name(&self) -> &'static str {
        "mll"
    }

    /// The alternation always starts from C = 1 with the S-step first (the documented
    /// initialisation); `start.coef` only seeds that first S-step's solver (θ = 1 ⊙ S), so a
    /// warm start changes the cost, not the stationary point reached (up to `inner_tol`).
    fn fit_from(&self, problem: &Problem<T>, start: Option<&Fit<T>>) -> Result<Fit<T>> {
        let clock = Instant::now();
        self.validate()?;
        let (p, n_tasks) = (problem.n_features(), problem.n_tasks());
        let mut s = cd::start_coef(problem, start, self.positive)?;
        let mut c = DVector::from_element(p, T::one());

        let mut coef = product(&c, &s);
        let mut trace = Vec::new();
        let mut iterations = 0;
        let mut converged = false;
        let mut change = T::max_finite();
        let mut inner_failures = 0;
        while iterations < self.max_iter {
            // 1. S-step given C, then C-step given S.
            let c_vec: Vec<T> = c.iter().copied().collect();
            inner_failures += self.s_step(problem, &c_vec, &mut s)?;
            inner_failures += self.c_step(problem, &s, &mut c)?;
            iterations += 1;

            // 2. Objective and relative change of θ.
            let (datafit, shared, l1) = self.objective(problem, &c, &s);
            trace.push(cd::ensure_finite("multi-level Lasso objective", datafit + shared + l1)?);
            let new = product(&c, &s);
            change = cd::relative_change(&new, &coef);
            coef = new;
            if change < self.tol {
                converged = true;
                break;
            }
        }

        // Assemble the result.
        let (datafit, shared, l1) = self.objective(problem, &c, &s);
        let objective = cd::ensure_finite("multi-level Lasso objective", datafit + shared + l1)?;
        let mut fit = Fit::new("mll", coef);
        fit.objective = Some(objective);
        fit.objective_parts =
            vec![("datafit", datafit), ("l1_shared", shared), ("l1_specific", l1)];
        fit.objective_trace = trace;
        fit.tol_threshold = self.tol;
        fit.iterations = iterations;
        fit.converged = converged;
        if !converged {
            cd::warn_not_converged("mll", iterations, change, self.tol);
        }
        if inner_failures > 0 {
            log::warn!("mll: {inner_failures} inner Lasso solves stopped at inner_max_iter");
        }
        fit.coef_shared = Some(DMatrix::from_fn(p, n_tasks, |j, _| c[j]));
        fit.coef_specific = Some(s);
        fit.seconds = clock.elapsed().as_secs_f64();
        Ok(fit)
    }
}
