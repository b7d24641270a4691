//! "Oracle" selection: score every fit of a path against a known truth (e.g. the support
//! recovery AP of simulated coefficients) and keep the best. Only possible on simulations;
//! named `oracle` in outputs.

use nalgebra::DMatrix;

use crate::error::{Error, Result};
use crate::model::{Fit, Problem};
use crate::scalar::Scalar;
use crate::select::grid::Grid;
use crate::select::path::visit_path;
use crate::select::selection::{Goal, Selection};
use crate::select::Builder;

/// The oracle's choice and the winning fit.
#[derive(Clone, Debug)]
pub struct OracleResult<T: Scalar> {
    /// The selection (`method = "oracle"`).
    pub selection: Selection,
    /// The fit at the winning grid point.
    pub fit: Fit<T>,
}

/// Fits the warm-started path on `problem`, scores each fit with `score` (which knows the
/// truth), and returns the best according to `goal` (ties: larger penalties win).
pub fn oracle<T, B, S>(
    problem: &Problem<T>,
    grid: &Grid,
    builder: &B,
    score: S,
    goal: Goal,
) -> Result<OracleResult<T>>
where
    T: Scalar,
    B: Builder<T> + ?Sized,
    S: Fn(&Fit<T>) -> Result<f64>,
{
    let (n_mu, n_lambda) = grid.shape();
    let mut scores = DMatrix::from_element(n_mu, n_lambda, f64::NAN);
    let mut best: Option<(f64, Fit<T>)> = None;
    visit_path(problem, grid, builder, |(i, j), _, fit| {
        let s = score(fit)?;
        scores[(i, j)] = s;
        let better = match (&best, goal) {
            (None, _) => true,
            (Some((b, _)), Goal::Maximize) => s > *b,
            (Some((b, _)), Goal::Minimize) => s < *b,
        };
        if better && s.is_finite() {
            best = Some((s, fit.clone()));
        }
        Ok(())
    })?;

    let selection = Selection::from_scores("oracle", grid, scores, goal)?;
    let fit = best
        .map(|(_, f)| f)
        .ok_or_else(|| Error::Numerical("oracle: no finite score on the grid".into()))?;
    Ok(OracleResult { selection, fit })
}
