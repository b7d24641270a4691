//! Independent Lasso per task (the "IndLasso" baseline): MTW with µ = 0.
//!
//! ```text
//! min_θ (1/2n) Σ_t ‖X_t θ_t − Y_t‖² + Σ_t (λ_t / T) ‖θ_t‖₁        (θ_t ≥ 0 if positive)
//! ```
//!
//! with one shared λ (`λ_t = λ`, the paper's eq. (1)-(2) with µ = 0) or one λ_t per task. The
//! tasks are independent and solved in parallel (rayon), each by cyclic coordinate descent
//! stopped on its duality gap. A per-task penalty `a_t` of scikit-learn's `Lasso`
//! (`(1/2n)‖X_t θ_t − Y_t‖² + a_t ‖θ_t‖₁`) is `λ_t = T a_t` here.

use std::time::Instant;

use nalgebra::{DMatrix, DVector};
use rayon::prelude::*;

use crate::error::{Error, Result};
use crate::model::cd::{self, TaskSolve};
use crate::model::fit::{Estimator, Fit};
use crate::model::problem::Problem;
use crate::scalar::Scalar;

/// The l1 penalty level: one λ for every task, or one λ_t per task.
#[derive(Clone, Debug, PartialEq)]
pub enum Lambda<T: Scalar> {
    /// `λ_t = λ` for every task.
    Shared(T),
    /// One `λ_t` per task (length must equal the number of tasks T).
    PerTask(Vec<T>),
}

impl<T: Scalar> Lambda<T> {
    /// Checks every value (finite, ≥ 0) and that a per-task list is not empty.
    pub fn validate(&self) -> Result<()> {
        match self {
            Lambda::Shared(l) => cd::check_penalty("lambda", *l),
            Lambda::PerTask(ls) if ls.is_empty() => {
                Err(Error::parameter("lambda", "[]", "needs one value per task"))
            }
            Lambda::PerTask(ls) => ls
                .iter()
                .enumerate()
                .try_for_each(|(t, &l)| cd::check_penalty(&format!("lambda[{t}]"), l)),
        }
    }

    /// λ_t for each of `n_tasks` tasks ([`Error::Shape`] if a per-task list has another
    /// length).
    pub fn per_task_values(&self, n_tasks: usize) -> Result<Vec<T>> {
        match self {
            Lambda::Shared(l) => Ok(vec![*l; n_tasks]),
            Lambda::PerTask(ls) if ls.len() == n_tasks => Ok(ls.clone()),
            Lambda::PerTask(ls) => Err(Error::Shape(format!(
                "{} per-task penalties but the problem has {n_tasks} tasks",
                ls.len()
            ))),
        }
    }
}

/// Independent Lasso estimators, one per task (see the module doc for the objective).
#[derive(Clone, Debug)]
pub struct Lasso<T: Scalar> {
    /// l1 penalty λ (paper notation: the objective carries `λ_t / T`), shared or per task.
    pub lambda: Lambda<T>,
    /// Constrain every coefficient to be ≥ 0.
    pub positive: bool,
    /// Stop when the total duality gap is `≤ tol · max((1/2n) Σ_t ‖Y_t‖², floor)`
    /// (see [`crate::model::cd`]); default [`Scalar::default_tol`].
    pub tol: T,
    /// Maximum number of epochs per task (default 10 000).
    pub max_iter: usize,
}

solver_settings!(single: Lasso);

impl<T: Scalar> Lasso<T> {
    /// A Lasso with the same `lambda ≥ 0` for every task.
    pub fn new(lambda: T) -> Result<Self> {
        Self::with_lambda(Lambda::Shared(lambda))
    }

    /// A Lasso with one `λ_t ≥ 0` per task (penalty `Σ_t (λ_t/T) ‖θ_t‖₁`).
    pub fn per_task(lambdas: Vec<T>) -> Result<Self> {
        Self::with_lambda(Lambda::PerTask(lambdas))
    }

    fn with_lambda(lambda: Lambda<T>) -> Result<Self> {
        let est = Lasso { lambda, positive: false, tol: T::default_tol(), max_iter: 10_000 };
        est.validate()?;
        Ok(est)
    }

    /// Checks the penalties (finite, ≥ 0) and the tolerance.
    pub fn validate(&self) -> Result<()> {
        self.lambda.validate()?;
        cd::check_tol(self.tol)
    }

    /// The smallest shared λ giving θ = 0: `λ_max = T max_t ‖X_tᵀ Y_t‖_∞ / n` (positive parts
    /// of `X_tᵀ Y_t` when `positive`), rounded so that the solver stops at 0 with gap 0.
    pub fn lambda_max(problem: &Problem<T>, positive: bool) -> T {
        let per_task = Self::lambda_max_per_task(problem, positive);
        per_task.into_iter().fold(T::zero(), |acc, l| acc.max(l))
    }

    /// Per task, the smallest λ_t giving θ_t = 0: `λ_t,max = T ‖X_tᵀ Y_t‖_∞ / n`.
    pub fn lambda_max_per_task(problem: &Problem<T>, positive: bool) -> Vec<T> {
        let (n, n_tasks) = (problem.n_samples(), T::of_usize(problem.n_tasks()));
        (0..problem.n_tasks())
            .map(|t| {
                let corr = problem.design(t).tr_mul(problem.target(t));
                let m = corr.iter().fold(T::zero(), |acc, &g| acc.max(cd::dual_part(g, positive)));
                cd::round_up_max(n_tasks * m / T::of_usize(n), n_tasks, n, m)
            })
            .collect()
    }
}

/// Splits the total gap threshold over tasks in proportion to `‖Y_t‖²` (equally when Y = 0),
/// so that the per-task gaps sum to at most the total threshold.
pub(crate) fn task_thresholds<T: Scalar>(problem: &Problem<T>, total: T) -> Vec<T> {
    let sq: Vec<T> = problem.targets().iter().map(|y| y.norm_squared()).collect();
    let sum = sq.iter().fold(T::zero(), |acc, &v| acc + v);
    let n_tasks = T::of_usize(sq.len());
    sq.iter().map(|&v| if sum > T::zero() { total * v / sum } else { total / n_tasks }).collect()
}

/// Sums per-task traces epoch by epoch (a finished task keeps its last value).
pub(crate) fn merge_traces<T: Scalar>(solves: &[TaskSolve<T>], scale: T) -> Vec<T> {
    let len = solves.iter().map(|s| s.trace.len()).max().unwrap_or(0);
    (0..len)
        .map(|k| {
            let total = solves.iter().fold(T::zero(), |acc, s| {
                acc + s.trace.get(k).or(s.trace.last()).copied().unwrap_or(s.primal)
            });
            total / scale
        })
        .collect()
}

impl<T: Scalar> Estimator<T> for Lasso<T> {
    fn name(&self) -> &'static str {
        "lasso"
    }

    /// Fits from `start.coef` (projected onto θ ≥ 0 when `positive`), else from θ = 0.
    fn fit_from(&self, problem: &Problem<T>, start: Option<&Fit<T>>) -> Result<Fit<T>> {
        let clock = Instant::now();
        self.validate()?;
        let lambdas = self.lambda.per_task_values(problem.n_tasks())?;
        let coef0 = cd::start_coef(problem, start, self.positive)?;

        // Thresholds: total on the (1/2n) scale, split over tasks, unnormalised (× n).
        let n = problem.n_samples();
        let n_t = T::of_usize(n);
        let n_tasks = T::of_usize(problem.n_tasks());
        let threshold = cd::gap_threshold(self.tol, problem);
        let task_thr = task_thresholds(problem, threshold);

        // Independent tasks in parallel.
        let results: Vec<(DVector<T>, TaskSolve<T>)> = (0..problem.n_tasks())
            .into_par_iter()
            .map(|t| {
                let (x, y) = (problem.design(t), problem.target(t));
                let mut coef: DVector<T> = coef0.column(t).into_owned();
                let mut resid = y - x * &coef;
                let cols = cd::column_sq_norms(x);
                let kappa = cd::kappa(n, lambdas[t] / n_tasks);
                let solve = cd::lasso_task(
                    x,
                    y,
                    &cols,
                    kappa,
                    self.positive,
                    &mut coef,
                    &mut resid,
                    task_thr[t] * n_t,
                    self.max_iter,
                )
                .map_err(|e| match e {
                    Error::Numerical(m) => Error::Numerical(format!("lasso task {t}: {m}")),
                    other => other,
                })?;
                Ok((coef, solve))
            })
            .collect::<Result<_>>()?;

        // Assemble the result.
        let mut coef = DMatrix::zeros(problem.n_features(), problem.n_tasks());
        for (t, (c, _)) in results.iter().enumerate() {
            coef.set_column(t, c);
        }
        let solves: Vec<TaskSolve<T>> = results.into_iter().map(|(_, s)| s).collect();
        let gap = solves.iter().fold(T::zero(), |acc, s| acc + s.gap) / n_t;
        let datafit = problem.datafit(&coef);
        let l1 = (0..problem.n_tasks()).fold(T::zero(), |acc, t| {
            acc + lambdas[t] / n_tasks * coef.column(t).iter().fold(T::zero(), |a, c| a + c.abs())
        });
        let objective = cd::ensure_finite("Lasso objective", datafit + l1)?;

        let mut fit = Fit::new("lasso", coef);
        fit.objective = Some(objective);
        fit.objective_parts = vec![("datafit", datafit), ("l1", l1)];
        fit.objective_trace = merge_traces(&solves, n_t);
        fit.duality_gap = Some(gap);
        fit.tol_threshold = threshold;
        fit.iterations = solves.iter().map(|s| s.epochs).max().unwrap_or(0);
        fit.converged = solves.iter().all(|s| s.converged);
        if !fit.converged {
            cd::warn_not_converged("lasso", fit.iterations, gap, threshold);
        }
        fit.seconds = clock.elapsed().as_secs_f64();
        Ok(fit)
    }
}
