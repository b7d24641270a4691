//! Hyperparameter grids: one axis for µ (shared/coupling penalty) and one for λ (sparsity),
//! each ordered from large to small penalties so that a path starts at the sparsest model.

use crate::error::{Error, Result};

/// One point of a grid in the paper's notation: µ weights the shared or coupling term
/// (group norm, Dirty's shared part, MLL's C, MTW's OT term), λ the sparsity (l1) term.
/// A model that uses only one of them ignores the other, which grids set to 0.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Hyper {
    /// µ (0 when unused).
    pub mu: f64,
    /// λ (0 when unused).
    pub lambda: f64,
}

/// A rectangular grid `µ_i × λ_j` with both axes non-increasing (large to small penalties).
#[derive(Clone, Debug, PartialEq)]
pub struct Grid {
    mu: Vec<f64>,
    lambda: Vec<f64>,
}

impl Grid {
    /// A grid from explicit axes: each non-empty, finite, ≥ 0 and non-increasing.
    pub fn new(mu: Vec<f64>, lambda: Vec<f64>) -> Result<Self> {
        check_axis("mu", &mu)?;
        check_axis("lambda", &lambda)?;
        Ok(Grid { mu, lambda })
    }

    /// `n` values from `max` down to `max · min_ratio`, evenly spaced in log scale
    /// (`max · min_ratio^(k/(n−1))`, the first exactly `max`). Needs `max ≥ 0` finite,
    /// `n ≥ 1` and `0 < min_ratio ≤ 1`.
    pub fn log_spaced(max: f64, n: usize, min_ratio: f64) -> Result<Vec<f64>> {
        if !(max.is_finite() && max >= 0.0) {
            return Err(Error::parameter("max", max, "must be finite and >= 0"));
        }
        if n == 0 {
            return Err(Error::parameter("n", n, "a grid axis needs at least one value"));
        }
        if !(min_ratio > 0.0 && min_ratio <= 1.0) {
            return Err(Error::parameter("min_ratio", min_ratio, "must be in (0, 1]"));
        }
        if n == 1 {
            return Ok(vec![max]);
        }
        let step = min_ratio.ln() / (n - 1) as f64;
        Ok((0..n).map(|k| if k == 0 { max } else { max * (step * k as f64).exp() }).collect())
    }

    /// A 1-D grid over λ (µ = 0): `n` log-spaced values from `lambda_max` down to
    /// `lambda_max · min_ratio` (Lasso, reweighted Lasso).
    pub fn lambda_path(lambda_max: f64, n: usize, min_ratio: f64) -> Result<Self> {
        Self::new(vec![0.0], Self::log_spaced(lambda_max, n, min_ratio)?)
    }

    /// A 1-D grid over µ (λ = 0), e.g. for the group Lasso.
    pub fn mu_path(mu_max: f64, n: usize, min_ratio: f64) -> Result<Self> {
        Self::new(Self::log_spaced(mu_max, n, min_ratio)?, vec![0.0])
    }

    /// A 2-D grid µ × λ, each axis log-spaced from its max down to `max · min_ratio` (Dirty,
    /// multi-level Lasso, MTW).
    pub fn mu_lambda(
        mu_max: f64,
        n_mu: usize,
        lambda_max: f64,
        n_lambda: usize,
        min_ratio: f64,
    ) -> Result<Self> {
        Self::new(
            Self::log_spaced(mu_max, n_mu, min_ratio)?,
            Self::log_spaced(lambda_max, n_lambda, min_ratio)?,
        )
    }

    /// The µ axis (non-increasing).
    pub fn mu(&self) -> &[f64] {
        &self.mu
    }

    /// The λ axis (non-increasing).
    pub fn lambda(&self) -> &[f64] {
        &self.lambda
    }

    /// `(number of µ values, number of λ values)`.
    pub fn shape(&self) -> (usize, usize) {
        (self.mu.len(), self.lambda.len())
    }

    /// The point `(µ_i, λ_j)`.
    pub fn get(&self, i: usize, j: usize) -> Hyper {
        Hyper { mu: self.mu[i], lambda: self.lambda[j] }
    }

    /// Every point with its index `(i, j)`, in path order: µ outer, λ inner, both from large
    /// to small.
    pub fn points(&self) -> impl Iterator<Item = ((usize, usize), Hyper)> + '_ {
        (0..self.mu.len())
            .flat_map(move |i| (0..self.lambda.len()).map(move |j| ((i, j), self.get(i, j))))
    }
}

/// Checks a grid axis: non-empty, finite, ≥ 0, non-increasing.
fn check_axis(name: &str, values: &[f64]) -> Result<()> {
    if values.is_empty() {
        return Err(Error::parameter(name, "[]", "a grid axis needs at least one value"));
    }
    if let Some(v) = values.iter().find(|v| !(v.is_finite() && **v >= 0.0)) {
        return Err(Error::parameter(name, v, "grid values must be finite and >= 0"));
    }
    if let Some(w) = values.windows(2).find(|w| w[1] > w[0]) {
        return Err(Error::parameter(
            name,
            format!("{} then {}", w[0], w[1]),
            "grid axes go from large to small penalties",
        ));
    }
    Ok(())
}
