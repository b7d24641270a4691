//! k-fold cross-validation over a grid, with seeded (reproducible) folds.
//!
//! The n samples (rows, shared by every task) are shuffled by a ChaCha8 generator seeded with
//! `seed` and cut into k contiguous folds whose sizes differ by at most one (the first
//! `n mod k` folds get one more). For each fold, a warm-started path is fitted on the other
//! folds and every grid point is scored on the held-out rows by a user metric; the grid point
//! with the best mean score over folds wins. Folds run in parallel (rayon).

use nalgebra::DMatrix;
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

use crate::error::{Error, Result};
use crate::metrics::classification_error;
use crate::model::{Fit, Problem};
use crate::scalar::Scalar;
use crate::select::grid::Grid;
use crate::select::path::visit_path;
use crate::select::selection::{Goal, Selection};
use crate::select::Builder;

/// A seeded partition of `0..n` into k folds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Folds {
    /// Fold of each sample.
    assignment: Vec<usize>,
    k: usize,
}

impl Folds {
    /// Shuffles `0..n_samples` with `seed` and cuts it into `k` folds (`2 ≤ k ≤ n_samples`).
    pub fn new(n_samples: usize, k: usize, seed: u64) -> Result<Self> {
        if k < 2 || k > n_samples {
            return Err(Error::parameter(
                "folds",
                k,
                &format!("needs 2 <= k <= n_samples = {n_samples}"),
            ));
        }
        let mut order: Vec<usize> = (0..n_samples).collect();
        order.shuffle(&mut ChaCha8Rng::seed_from_u64(seed));

        let (base, extra) = (n_samples / k, n_samples % k);
        let mut assignment = vec![0; n_samples];
        let mut pos = 0;
        for fold in 0..k {
            let size = base + usize::from(fold < extra);
            for &i in &order[pos..pos + size] {
                assignment[i] = fold;
            }
            pos += size;
        }
        Ok(Folds { assignment, k })
    }

    /// Number of folds.
    pub fn k(&self) -> usize {
        self.k
    }

    /// Held-out samples of fold `f`, increasing.
    pub fn test(&self, f: usize) -> Vec<usize> {
        (0..self.assignment.len()).filter(|&i| self.assignment[i] == f).collect()
    }

    /// Training samples of fold `f` (all the others), increasing.
    pub fn train(&self, f: usize) -> Vec<usize> {
        (0..self.assignment.len()).filter(|&i| self.assignment[i] != f).collect()
    }
}

/// The problem restricted to the given rows (samples) of every task.
pub fn subproblem<T: Scalar>(problem: &Problem<T>, rows: &[usize]) -> Result<Problem<T>> {
    if let Some(&bad) = rows.iter().find(|&&i| i >= problem.n_samples()) {
        return Err(Error::parameter("row", bad, "is not a sample index of the problem"));
    }
    let designs = problem.designs().iter().map(|x| x.select_rows(rows)).collect();
    let targets = problem.targets().iter().map(|y| y.select_rows(rows)).collect();
    Problem::new(designs, targets)
}

/// Options of [`cross_validate`].
#[derive(Clone, Copy, Debug)]
pub struct CvOptions {
    /// Number of folds k (default 5, as in the paper's digits experiment).
    pub folds: usize,
    /// Seed of the fold shuffling.
    pub seed: u64,
    /// Direction of the metric (default [`Goal::Minimize`]).
    pub goal: Goal,
    /// Refit on all samples at the winning point (default true).
    pub refit: bool,
}

impl Default for CvOptions {
    fn default() -> Self {
        CvOptions { folds: 5, seed: 0, goal: Goal::Minimize, refit: true }
    }
}

/// What [`cross_validate`] returns.
#[derive(Clone, Debug)]
pub struct CvResult<T: Scalar> {
    /// The selection (`method = "cv"`; `scores` are means over folds).
    pub selection: Selection,
    /// Per fold, the `n_µ × n_λ` validation scores.
    pub fold_scores: Vec<DMatrix<f64>>,
    /// The folds used.
    pub folds: Folds,
    /// Cold fit on all samples at the winner, when `refit`.
    pub refit: Option<Fit<T>>,
}

/// k-fold cross-validation of the estimators built by `builder` over `grid`.
///
/// `metric(fit, validation, rows)` scores a fit on the held-out problem `validation`, whose
/// sample k is row `rows[k]` of `problem` (so that per-sample side data such as class labels
/// can be looked up); see [`mse`] and [`misclassification`].
pub fn cross_validate<T, B, M>(
    problem: &Problem<T>,
    grid: &Grid,
    builder: &B,
    metric: M,
    options: CvOptions,
) -> Result<CvResult<T>>
where
    T: Scalar,
    B: Builder<T> + ?Sized,
    M: Fn(&Fit<T>, &Problem<T>, &[usize]) -> Result<f64> + Sync,
{
    let folds = Folds::new(problem.n_samples(), options.folds, options.seed)?;
    let (n_mu, n_lambda) = grid.shape();

    // 1. Per fold: path on the training rows, scores on the held-out rows.
    let fold_scores: Vec<DMatrix<f64>> = (0..folds.k())
        .into_par_iter()
        .map(|f| {
            let (train_rows, test_rows) = (folds.train(f), folds.test(f));
            let train = subproblem(problem, &train_rows)?;
            let test = subproblem(problem, &test_rows)?;
            let mut scores = DMatrix::zeros(n_mu, n_lambda);
            visit_path(&train, grid, builder, |(i, j), _, fit| {
                scores[(i, j)] = metric(fit, &test, &test_rows)?;
                Ok(())
            })?;
            Ok(scores)
        })
        .collect::<Result<_>>()?;

    // 2. Mean over folds, winner.
    let mean = fold_scores.iter().fold(DMatrix::zeros(n_mu, n_lambda), |acc, s| acc + s)
        / folds.k() as f64;
    let selection = Selection::from_scores("cv", grid, mean, options.goal)?;

    // 3. Refit at the winner on every sample.
    let refit = if options.refit { Some(builder(&selection.best)?.fit(problem)?) } else { None };
    Ok(CvResult { selection, fold_scores, folds, refit })
}

/// Mean squared prediction error over tasks and samples, `(1/(n T)) Σ_t ‖Y_t − X_t θ_t‖²`.
pub fn mse<T: Scalar>(fit: &Fit<T>, validation: &Problem<T>, _rows: &[usize]) -> Result<f64> {
    validation.check_coef("fit.coef", &fit.coef)?;
    let total: f64 =
        validation.residuals(&fit.coef).iter().map(|r| r.norm_squared().to_f64()).sum();
    let count = (validation.n_samples() * validation.n_tasks()) as f64;
    crate::model::cd::ensure_finite("validation MSE", total / count)
}

/// A misclassification metric for one-vs-rest multi-task classification: task t scores class
/// t, sample k gets `argmax_t (X_t θ_t)_k`, compared with `labels[rows[k]]` (`labels` has one
/// class index per sample of the full problem).
pub fn misclassification<T: Scalar>(
    labels: Vec<usize>,
) -> impl Fn(&Fit<T>, &Problem<T>, &[usize]) -> Result<f64> + Sync {
    move |fit: &Fit<T>, validation: &Problem<T>, rows: &[usize]| {
        validation.check_coef("fit.coef", &fit.coef)?;
        if let Some(&bad) = rows.iter().find(|&&i| i >= labels.len()) {
            return Err(Error::Shape(format!("row {bad} has no label ({} labels)", labels.len())));
        }
        let (n, n_tasks) = (validation.n_samples(), validation.n_tasks());
        let mut scores = DMatrix::zeros(n, n_tasks);
        for t in 0..n_tasks {
            scores.set_column(t, &(validation.design(t) * fit.coef.column(t)));
        }
        let truth: Vec<usize> = rows.iter().map(|&i| labels[i]).collect();
        classification_error(&scores, &truth)
    }
}
