//! The outcome of a selection over a grid: which hyperparameters won, with what score, and
//! whether the winner sits on the edge of its grid.

use nalgebra::DMatrix;

use crate::error::{Error, Result};
use crate::select::grid::{Grid, Hyper};

/// Whether larger or smaller scores are better.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Goal {
    /// Larger is better (average precision, accuracy).
    Maximize,
    /// Smaller is better (MSE, misclassification, estimation error).
    Minimize,
}

/// Per axis, whether the winner is at the first or last value of a grid axis that has more
/// than one value (a hint that the grid should be extended). A single-value axis (the unused
/// penalty of a 1-D grid) is never flagged.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct EdgeFlags {
    /// The winning µ is the largest or the smallest of its axis.
    pub mu: bool,
    /// The winning λ is the largest or the smallest of its axis.
    pub lambda: bool,
}

/// Result of a selection over a grid.
#[derive(Clone, Debug)]
pub struct Selection {
    /// `"oracle"` (scored against the truth) or `"cv"` (cross-validation).
    pub method: &'static str,
    /// Direction of the scores.
    pub goal: Goal,
    /// The winning hyperparameters.
    pub best: Hyper,
    /// The winner's index `(i, j)` on the (µ, λ) axes.
    pub best_index: (usize, usize),
    /// The winner's score.
    pub best_score: f64,
    /// Every score, `n_µ × n_λ` (for CV: the mean over folds).
    pub scores: DMatrix<f64>,
    /// Whether the winner is on the edge of its grid, per axis.
    pub on_grid_edge: EdgeFlags,
}

impl Selection {
    /// Picks the best score (first in path order on ties, i.e. the larger penalties).
    /// Fails with [`Error::Numerical`] if a score is NaN or infinite.
    pub fn from_scores(
        method: &'static str,
        grid: &Grid,
        scores: DMatrix<f64>,
        goal: Goal,
    ) -> Result<Self> {
        let mut best: Option<((usize, usize), f64)> = None;
        for ((i, j), h) in grid.points() {
            let s = scores[(i, j)];
            if !s.is_finite() {
                return Err(Error::Numerical(format!(
                    "{method} score at mu = {}, lambda = {} is {s}",
                    h.mu, h.lambda
                )));
            }
            let better = match (best, goal) {
                (None, _) => true,
                (Some((_, b)), Goal::Maximize) => s > b,
                (Some((_, b)), Goal::Minimize) => s < b,
            };
            if better {
                best = Some(((i, j), s));
            }
        }

        let ((i, j), best_score) = best.expect("a grid has at least one point");
        let (n_mu, n_lambda) = grid.shape();
        let edge = |k: usize, n: usize| n > 1 && (k == 0 || k == n - 1);
        Ok(Selection {
            method,
            goal,
            best: grid.get(i, j),
            best_index: (i, j),
            best_score,
            scores,
            on_grid_edge: EdgeFlags { mu: edge(i, n_mu), lambda: edge(j, n_lambda) },
        })
    }
}
