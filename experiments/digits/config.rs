//! The study's configuration: everything that defines its results, serialised into `run.json`
//! (a change of any field is a different study, refused in an existing results folder).

use serde::Serialize;

use mtw::data::MfeatPix;
use mtw::ot::KernelStrategy;
use mtw::select::Grid;

/// Hyperparameter grid of one model, relative to maxima computed on each split's training
/// problem (the same absolute grid then serves every CV fold and the refit).
///
/// `µ_i = mu_ref · mu_ratios[i]`, `λ_j = lambda_ref · lambda_ratios[j]`, where the references
/// are named in [`Reference`]. An empty axis means the penalty is unused (set to 0).
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct GridSpec {
    /// What µ is relative to.
    pub mu_ref: Reference,
    /// Ratios of the µ axis, non-increasing.
    pub mu_ratios: Vec<f64>,
    /// What λ is relative to.
    pub lambda_ref: Reference,
    /// Ratios of the λ axis, non-increasing.
    pub lambda_ratios: Vec<f64>,
}

/// The quantity a grid axis is relative to.
#[derive(Clone, Copy, Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Reference {
    /// Penalty unused (axis is {0}).
    Unused,
    /// `Lasso::lambda_max` = `T max_t ‖X_tᵀY_t‖_∞ / n` (also MTW's and MLL's λ_max).
    LassoLambdaMax,
    /// `GroupLasso::mu_max` = `max_j ‖(X_tjᵀY_t)_t‖₂ / n`.
    GroupMuMax,
    /// `Dirty::lambda_max` = `max_{j,t} |X_tjᵀY_t| / n`.
    DirtyLambdaMax,
}

impl GridSpec {
    /// A 1-D λ grid (µ unused).
    pub fn lambda_only(lambda_ref: Reference, lambda_ratios: Vec<f64>) -> GridSpec {
        GridSpec { mu_ref: Reference::Unused, mu_ratios: vec![], lambda_ref, lambda_ratios }
    }

    /// A 1-D µ grid (λ unused).
    pub fn mu_only(mu_ref: Reference, mu_ratios: Vec<f64>) -> GridSpec {
        GridSpec { mu_ref, mu_ratios, lambda_ref: Reference::Unused, lambda_ratios: vec![] }
    }

    /// The absolute grid for the given reference values (`refs(reference)`).
    pub fn grid(&self, refs: impl Fn(Reference) -> f64) -> mtw::Result<Grid> {
        let axis = |reference: Reference, ratios: &[f64]| -> Vec<f64> {
            if reference == Reference::Unused || ratios.is_empty() {
                vec![0.0]
            } else {
                let base = refs(reference);
                ratios.iter().map(|r| base * r).collect()
            }
        };
        Grid::new(axis(self.mu_ref, &self.mu_ratios), axis(self.lambda_ref, &self.lambda_ratios))
    }
}

/// `n` ratios from `high` down to `low`, evenly spaced in log scale.
pub fn log_ratios(high: f64, low: f64, n: usize) -> Vec<f64> {
    if n == 1 {
        return vec![high];
    }
    let step = (low / high).ln() / (n - 1) as f64;
    (0..n).map(|k| high * (step * k as f64).exp()).collect()
}

/// MTW's fixed parameters (section 3 of the paper, for this data).
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct MtwSettings {
    /// Ground metric: squared Euclidean distance between pixel positions on this grid
    /// (rows, columns), divided by its median.
    pub grid_shape: [usize; 2],
    /// ε = median(M)/p on the median-normalised metric (= 1/p).
    pub epsilon_rule: &'static str,
    /// τ of the marginal bound: γ = −max(M)/ln τ.
    pub tau: f64,
    /// Signed MTW (θ = θ⁺ − θ⁻); `false` as the indicators' regressions need both signs.
    pub positive: bool,
    /// How the Gibbs kernel is applied.
    pub kernel: KernelStrategy,
    /// Outer tolerance of every MTW fit (CV paths and refit). Looser than the solver default
    /// (1e-8 in f64) to keep cross-validation affordable.
    pub tol: f64,
    /// Sinkhorn tolerance of the barycenter updates inside each outer iteration.
    pub tol_ot: f64,
    /// Sinkhorn sweeps per outer iteration (at most).
    pub max_iter_ot: usize,
    /// Coordinate-descent epochs per outer iteration (at most).
    pub max_iter_cd: usize,
    /// Cap on outer iterations.
    pub max_iter: usize,
    /// Reweighted MTW: cap on reweighting steps.
    pub max_reweighting: usize,
    /// Reweighted MTW: tolerance on the relative change of θ between steps.
    pub tol_reweighting: f64,
}

/// The digits study's configuration.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct DigitsConfig {
    /// Data file name (in the crate's `data/` folder or `--data`).
    pub data: String,
    /// Digits used as tasks (task t scores digit `digits[t]`).
    pub digits: Vec<usize>,
    /// Training samples per digit.
    pub sizes: Vec<usize>,
    /// Random training / validation splits per size.
    pub splits: usize,
    /// Cross-validation folds.
    pub folds: usize,
    /// Floating-point precision of the fits (`"f64"` or `"f32"`).
    pub precision: String,
    /// Reduced grids and settings for smoke runs.
    pub quick: bool,
    /// Selection metric of cross-validation.
    pub cv_metric: &'static str,
    /// Grids of the models, in chart order (model name, grid).
    pub models: Vec<(String, GridSpec)>,
    /// MTW settings (MTW and reweighted MTW).
    pub mtw: MtwSettings,
    /// Stopping tolerance of the Lasso, group Lasso and Dirty fits (relative duality gap).
    /// Every tolerance of the study is raised to the precision's floor where below it
    /// (1e-5 in f32; see `Precision::tol_floor`).
    pub baseline_tol: f64,
    /// Stopping tolerance of the multi-level Lasso (relative change of θ between
    /// alternations; its default 1e-8 made one CV take ~20 s at n = 10).
    pub mll_tol: f64,
    /// The split whose coefficients are drawn in `coefficients.png`: (n, split index).
    pub coefficient_split: (usize, usize),
}

/// Model names, in chart order.
pub const MODELS: [&str; 6] = ["lasso", "group-lasso", "dirty", "mll", "mtw", "remtw"];

impl DigitsConfig {
    /// The grids of the default run (`quick = false`) or of a smoke run (fewer points).
    ///
    /// The ranges were chosen from single fits on one split at n = 10: λ ≥ 0.6 λ_max leaves
    /// MTW far from convergence (and useless, ~28% error), µ below 1e-4 λ_max makes the
    /// multi-level Lasso very slow without improving it.
    ///
    /// MTW's chosen µ often sits on an edge of its axis: cross-validation barely sees µ.
    /// Widening the axis to µ ∈ {3, 0.3, 0.03, 0.003} λ_max and λ down to 0.003 λ_max
    /// (measured 2026-12-05, MTW alone, splits 0–2 at n = 10 and 50) moved the choice to the new
    /// edges without lowering the validation error (mean 0.114 vs 0.112 at n = 10, 0.039 vs
    /// 0.035 at n = 50) and cost 1.6× more (584 s vs 368 s of CV), so the axes stay.
    pub fn grids(quick: bool) -> Vec<(String, GridSpec)> {
        let pick = |full: usize, small: usize| if quick { small } else { full };
        let lasso =
            GridSpec::lambda_only(Reference::LassoLambdaMax, log_ratios(1.0, 1e-2, pick(12, 4)));
        let group = GridSpec::mu_only(Reference::GroupMuMax, log_ratios(1.0, 1e-2, pick(12, 4)));
        let dirty = GridSpec {
            mu_ref: Reference::GroupMuMax,
            mu_ratios: log_ratios(1.0, 0.03, pick(4, 2)),
            lambda_ref: Reference::DirtyLambdaMax,
            lambda_ratios: log_ratios(1.0, 0.03, pick(4, 2)),
        };
        let mll = GridSpec {
            mu_ref: Reference::LassoLambdaMax,
            mu_ratios: log_ratios(1e-2, 1e-4, pick(3, 2)),
            lambda_ref: Reference::LassoLambdaMax,
            lambda_ratios: log_ratios(0.3, 0.03, pick(3, 2)),
        };
        let mtw = GridSpec {
            mu_ref: Reference::LassoLambdaMax,
            mu_ratios: if quick { vec![0.1] } else { log_ratios(1.0, 1e-2, 3) },
            lambda_ref: Reference::LassoLambdaMax,
            lambda_ratios: log_ratios(0.3, 0.01, pick(4, 2)),
        };
        // The √ penalty weighs small entries more (weights 1/(2√θ)), so its λ sits lower.
        let remtw = GridSpec { lambda_ratios: log_ratios(0.03, 0.003, pick(3, 1)), ..mtw.clone() };
        let specs = [lasso, group, dirty, mll, mtw, remtw];
        MODELS.iter().map(|m| m.to_string()).zip(specs).collect()
    }

    /// Fixed MTW settings (looser tolerance and fewer reweighting steps when `quick`).
    pub fn mtw_settings(quick: bool) -> MtwSettings {
        MtwSettings {
            grid_shape: MfeatPix::GRID_SHAPE,
            epsilon_rule: "median(M)/p",
            tau: mtw::ot::defaults::PAPER_TAU,
            positive: false,
            kernel: KernelStrategy::Auto,
            tol: if quick { 1e-3 } else { 1e-4 },
            tol_ot: 1e-5,
            max_iter_ot: 5,
            max_iter_cd: 10,
            max_iter: 5_000,
            max_reweighting: if quick { 2 } else { 5 },
            tol_reweighting: 1e-4,
        }
    }
}
