//! The models every study compares, with their hyperparameter grids and builders, so a study
//! binary only names the models it wants.
//!
//! Grids are relative to each model's `*_max` (the smallest penalty giving θ = 0) and go from
//! large to small penalties (warm-started paths):
//!
//! | model | µ axis | λ axis |
//! |---|---|---|
//! | `lasso`, `relasso` | – | λ_max · r^(k/(n−1)) |
//! | `group-lasso` | µ_max · r^(k/(n−1)) | – |
//! | `dirty` | Dirty µ_max · … | Dirty λ_max · … |
//! | `mll` | group-Lasso µ_max · … (the scale of C's penalty) | λ_max · … |
//! | `mtw`, `remtw` | λ_max · `mtw_mu_ratios` | λ_max · r^(k/(n−1)) |
//!
//! with `r = min_ratio` and n points per axis. For MTW, λ_max is the Lasso value
//! `T max_t ‖X_tᵀY_t‖_∞ / n`; µ is given as a multiple of it because the transport term's
//! gradient per coefficient is `(µ/T)γ(1 − m/θ)`, to be weighed against `λ/T`.

use std::fmt;
use std::str::FromStr;

use crate::error::{Error, Result};
use crate::model::mtw::{lambda_max as mtw_lambda_max, Mtw, ReweightedMtw};
use crate::model::{
    Dirty, Estimator, GroupLasso, Lasso, MultiLevelLasso, Problem, ReweightedLasso,
};
use crate::scalar::Scalar;
use crate::select::grid::{Grid, Hyper};

/// A model of the comparison, by its command-line name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ModelKind {
    /// Multi-task Wasserstein.
    Mtw,
    /// Reweighted MTW (ℓ0.5).
    Remtw,
    /// Independent Lasso.
    Lasso,
    /// Independent reweighted Lasso.
    Relasso,
    /// Group Lasso ℓ1/ℓ2.
    GroupLasso,
    /// Dirty model.
    Dirty,
    /// Multi-level Lasso.
    Mll,
}

impl ModelKind {
    /// Every model, in display order.
    pub const ALL: [ModelKind; 7] = [
        ModelKind::Lasso,
        ModelKind::Relasso,
        ModelKind::GroupLasso,
        ModelKind::Dirty,
        ModelKind::Mll,
        ModelKind::Mtw,
        ModelKind::Remtw,
    ];

    /// The name used on the command line and in CSVs.
    pub fn name(self) -> &'static str {
        match self {
            ModelKind::Mtw => "mtw",
            ModelKind::Remtw => "remtw",
            ModelKind::Lasso => "lasso",
            ModelKind::Relasso => "relasso",
            ModelKind::GroupLasso => "group-lasso",
            ModelKind::Dirty => "dirty",
            ModelKind::Mll => "mll",
        }
    }

    /// Whether the model needs a ground metric (an MTW estimator in [`CatalogOptions`]).
    pub fn uses_transport(self) -> bool {
        matches!(self, ModelKind::Mtw | ModelKind::Remtw)
    }
}

impl fmt::Display for ModelKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for ModelKind {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        ModelKind::ALL.into_iter().find(|m| m.name() == s).ok_or_else(|| {
            let names: Vec<_> = ModelKind::ALL.iter().map(|m| m.name()).collect();
            Error::parameter("model", s, &format!("expected one of {}", names.join(", ")))
        })
    }
}

/// How grids and estimators are made.
#[derive(Clone)]
pub struct CatalogOptions<T: Scalar> {
    /// Fit non-negative coefficients only.
    pub positive: bool,
    /// Points per grid axis.
    pub grid_size: usize,
    /// Smallest penalty on an axis as a fraction of its largest.
    pub min_ratio: f64,
    /// MTW's µ axis as multiples of λ_max, largest first.
    pub mtw_mu_ratios: Vec<f64>,
    /// Tolerance given to every solver (`None`: each solver's default).
    pub tol: Option<T>,
    /// Cap on every baseline solver's iterations (`None`: each solver's default); MTW's cap
    /// is part of the `mtw` estimator's parameters.
    pub max_iter: Option<usize>,
    /// The MTW estimator (ground metric, ε, γ, kernel, solver settings) that MTW grid points
    /// derive from with [`Mtw::with_penalties`]; needed for `mtw` and `remtw`.
    pub mtw: Option<Mtw<T>>,
    /// Cap on reweighting steps of `remtw` and `relasso`.
    pub max_reweighting: usize,
}

impl<T: Scalar> CatalogOptions<T> {
    /// The grid of `kind` on `problem`.
    pub fn grid(&self, kind: ModelKind, problem: &Problem<T>) -> Result<Grid> {
        let (n, r, pos) = (self.grid_size, self.min_ratio, self.positive);
        let axis = |name: &str, max: T| Grid::log_spaced(penalty_limit(kind, name, max)?, n, r);
        match kind {
            ModelKind::Lasso | ModelKind::Relasso => {
                let lmax = penalty_limit(kind, "lambda_max", Lasso::lambda_max(problem, pos))?;
                Grid::lambda_path(lmax, n, r)
            }
            ModelKind::GroupLasso => {
                let mu_max = penalty_limit(kind, "mu_max", GroupLasso::mu_max(problem, pos))?;
                Grid::mu_path(mu_max, n, r)
            }
            ModelKind::Dirty => Grid::new(
                axis("mu_max", Dirty::mu_max(problem, pos))?,
                axis("lambda_max", Dirty::lambda_max(problem, pos))?,
            ),
            ModelKind::Mll => Grid::new(
                axis("mu_max", GroupLasso::mu_max(problem, pos))?,
                axis("lambda_max", MultiLevelLasso::lambda_max(problem, pos))?,
            ),
            ModelKind::Mtw | ModelKind::Remtw => {
                let lmax = penalty_limit(kind, "lambda_max", mtw_lambda_max(problem, pos))?;
                let mu = self.mtw_mu_ratios.iter().map(|&m| m * lmax).collect();
                Grid::new(mu, Grid::log_spaced(lmax, n, r)?)
            }
        }
    }

    /// The estimator of `kind` at the grid point `h`.
    pub fn estimator(&self, kind: ModelKind, h: &Hyper) -> Result<Box<dyn Estimator<T>>> {
        let (mu, lambda, pos) = (T::of_f64(h.mu), T::of_f64(h.lambda), self.positive);
        let (tol, cap) = (self.tol, self.max_iter);
        let est: Box<dyn Estimator<T>> = match kind {
            ModelKind::Lasso => {
                let est = Lasso::new(lambda)?.positive(pos);
                Box::new(tuned(est, tol, cap, Lasso::tol, Lasso::max_iter)?)
            }
            ModelKind::Relasso => {
                let est = ReweightedLasso::new(lambda)?.positive(pos);
                Box::new(tuned(est, tol, cap, |e, t| e.tol(t, t), |e, m| e.max_iter(m, m))?)
            }
            ModelKind::GroupLasso => {
                let est = GroupLasso::new(mu)?.positive(pos);
                Box::new(tuned(est, tol, cap, GroupLasso::tol, GroupLasso::max_iter)?)
            }
            ModelKind::Dirty => {
                let est = Dirty::new(mu, lambda)?.positive(pos);
                Box::new(tuned(est, tol, cap, Dirty::tol, Dirty::max_iter)?)
            }
            ModelKind::Mll => {
                let est = MultiLevelLasso::new(mu, lambda)?.positive(pos);
                Box::new(tuned(est, tol, cap, |e, t| e.tol(t, t), |e, m| e.max_iter(m, m))?)
            }
            ModelKind::Mtw | ModelKind::Remtw => {
                let base = self.mtw.as_ref().ok_or_else(|| {
                    Error::parameter("model", kind, "needs a ground metric (CatalogOptions::mtw)")
                })?;
                let mtw = base.with_penalties(mu, lambda)?;
                if kind == ModelKind::Mtw {
                    Box::new(mtw)
                } else {
                    let mut re = ReweightedMtw::new(mtw);
                    re.max_reweighting = self.max_reweighting;
                    // Grids fit capped inner fits at a loose tol, where the inner precision says
                    // little: run the steps to `max_reweighting` or to the θ test, as the
                    // committed study runs did.
                    re.stop_at_inner_precision = false;
                    Box::new(re)
                }
            }
        };
        Ok(est)
    }
}

/// The largest penalty `value` of `kind`'s grid, refused when it is not positive: then
/// `Xᵀy` vanishes for every task (constant features or targets, or with `positive` no
/// feature correlating positively), every penalty gives θ = 0, and a grid scaled by it would
/// be all zeros.
fn penalty_limit<T: Scalar>(kind: ModelKind, name: &str, value: T) -> Result<f64> {
    let value = value.to_f64();
    if value > 0.0 && value.is_finite() {
        return Ok(value);
    }
    Err(Error::parameter(
        &format!("{kind} {name}"),
        value,
        "must be > 0 to scale the hyperparameter grid: Xᵀy vanishes for every task (are the \
         features or the targets constant?), so every penalty gives θ = 0",
    ))
}

/// `est` with the catalog's tolerance and iteration cap applied where they are set (the same
/// value for outer and inner loops of nested solvers).
fn tuned<E, T: Scalar>(
    est: E,
    tol: Option<T>,
    max_iter: Option<usize>,
    set_tol: impl FnOnce(E, T) -> Result<E>,
    set_max_iter: impl FnOnce(E, usize) -> E,
) -> Result<E> {
    let est = match max_iter {
        Some(m) => set_max_iter(est, m),
        None => est,
    };
    match tol {
        Some(t) => set_tol(est, t),
        None => Ok(est),
    }
}

#[cfg(test)]
mod tests {
    use nalgebra::{DMatrix, DVector};

    use super::{CatalogOptions, ModelKind};
    use crate::model::Problem;

    fn options() -> CatalogOptions<f64> {
        CatalogOptions {
            positive: false,
            grid_size: 3,
            min_ratio: 0.1,
            mtw_mu_ratios: vec![1.0, 0.1],
            tol: None,
            max_iter: None,
            mtw: None,
            max_reweighting: 2,
        }
    }

    #[test]
    fn a_grid_on_targets_no_feature_explains_is_refused_by_name() {
        let design = DMatrix::from_fn(6, 3, |i, j| (i * 3 + j) as f64);
        let zero = Problem::shared_design(design.clone(), vec![DVector::zeros(6); 2]).unwrap();
        for kind in ModelKind::ALL {
            let err = options().grid(kind, &zero).unwrap_err().to_string();
            assert!(err.contains(&kind.to_string()) && err.contains("_max"), "{err}");
            assert!(err.contains("constant"), "{err}");
        }

        let targets = vec![DVector::from_fn(6, |i, _| i as f64); 2];
        let fine = Problem::shared_design(design, targets).unwrap();
        for kind in ModelKind::ALL {
            let grid = options().grid(kind, &fine).unwrap();
            assert!(grid.mu().iter().chain(grid.lambda()).any(|&v| v > 0.0), "{kind}");
        }
    }
}
