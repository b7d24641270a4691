//! The six models of the study and their estimators at one grid point.
//!
//! | name | estimator | µ | λ |
//! |---|---|---|---|
//! | `lasso` | independent Lasso, `(λ/T) Σ_t ‖θ_t‖₁` | – | yes |
//! | `group-lasso` | group Lasso, `µ ‖θ‖₂₁` | yes | – |
//! | `dirty` | Dirty model, `µ ‖S‖₂₁ + λ ‖P‖₁` | yes | yes |
//! | `mll` | multi-level Lasso, `µ ‖C‖₁ + (λ/T) Σ_t ‖S_t‖₁` | yes | yes |
//! | `mtw` | signed MTW, `(µ/T) OT + (λ/T) ‖θ‖₁` | yes | yes |
//! | `remtw` | reweighted signed MTW (ℓ0.5 penalty) | yes | yes |
//!
//! MTW's ground metric is the squared Euclidean distance between pixel positions on the
//! 16 × 15 grid divided by its median, with ε = median(M)/p and γ = −max(M)/ln τ; the kernel
//! (built once) is shared by every MTW estimator of the run.

use mtw::model::cd::default_inner_tol;
use mtw::model::mtw::{Mtw, MtwParams, ReweightedMtw};
use mtw::model::{Dirty, Estimator, Fit, GroupLasso, Lasso, MultiLevelLasso, Problem};
use mtw::ot::{default_epsilon, gamma_from_tau, GroundMetric};
use mtw::select::Hyper;
use mtw::{Error, Result, Scalar};

use crate::digits::config::{MtwSettings, Reference};

/// Builds every model's estimator at a grid point.
pub struct Models<T: Scalar> {
    mtw: Mtw<T>,
    settings: MtwSettings,
    baseline_tol: T,
    mll_tol: T,
}

impl<T: Scalar> Models<T> {
    /// The MTW kernel for `settings` (metric, ε, γ) and the tolerances (already raised to
    /// the precision's floor by `Args::config`).
    pub fn new(settings: &MtwSettings, baseline_tol: f64, mll_tol: f64) -> Result<Models<T>> {
        let metric = GroundMetric::<T>::grid_squared_euclidean(&settings.grid_shape)?
            .normalized_by_median()?;
        let epsilon = default_epsilon(&metric);
        let gamma = gamma_from_tau(&metric, T::of_f64(settings.tau))?;
        let mut params = MtwParams::new(T::zero(), T::zero(), epsilon, gamma);
        params.positive = settings.positive;
        params.tol = T::of_f64(settings.tol);
        params.tol_ot = T::of_f64(settings.tol_ot);
        params.max_iter_ot = settings.max_iter_ot;
        params.max_iter_cd = settings.max_iter_cd;
        params.max_iter = settings.max_iter;
        let mtw = Mtw::new(&metric, params, settings.kernel)?;
        Ok(Models {
            mtw,
            settings: settings.clone(),
            baseline_tol: T::of_f64(baseline_tol),
            mll_tol: T::of_f64(mll_tol),
        })
    }

    /// The reference value a grid axis is relative to, on the training problem.
    pub fn reference(problem: &Problem<T>, reference: Reference) -> f64 {
        match reference {
            Reference::Unused => 0.0,
            Reference::LassoLambdaMax => Lasso::lambda_max(problem, false).to_f64(),
            Reference::GroupMuMax => GroupLasso::mu_max(problem, false).to_f64(),
            Reference::DirtyLambdaMax => Dirty::lambda_max(problem, false).to_f64(),
        }
    }

    /// The estimator of model `name` at `h`.
    pub fn build(&self, name: &str, h: &Hyper) -> Result<Box<dyn Estimator<T>>> {
        let (mu, lambda) = (T::of_f64(h.mu), T::of_f64(h.lambda));
        let tol = self.baseline_tol;
        Ok(match name {
            "lasso" => Box::new(Lasso::new(lambda)?.tol(tol)?),
            "group-lasso" => Box::new(GroupLasso::new(mu)?.tol(tol)?),
            "dirty" => Box::new(Dirty::new(mu, lambda)?.tol(tol)?),
            "mll" => {
                Box::new(MultiLevelLasso::new(mu, lambda)?.tol(self.mll_tol, default_inner_tol())?)
            }
            "mtw" => Box::new(ColdStart(self.mtw.with_penalties(mu, lambda)?)),
            "remtw" => {
                let mut re = ReweightedMtw::new(self.mtw.with_penalties(mu, lambda)?);
                re.max_reweighting = self.settings.max_reweighting;
                // As in the committed runs (see `CatalogOptions::estimator`).
                re.stop_at_inner_precision = false;
                re.tol_reweighting = T::of_f64(self.settings.tol_reweighting);
                Box::new(ColdStart(re))
            }
            other => return Err(Error::parameter("model", other, "is not a model of the study")),
        })
    }
}

/// An estimator that ignores warm starts: every fit starts from the model's cold start.
///
/// Used for MTW and reweighted MTW. Measured on one split at n = 10 (12-point grid, tol 1e-4):
/// warm-starting each grid point from the previous one took 2-10× more outer iterations than
/// the cold start (1/p everywhere), e.g. 3886 vs 900 at µ = 0.1 λ_max, λ = 0.03 λ_max, and a
/// switch to the log domain persists through warm starts (Sinkhorn states carry the domain),
/// making later points ~4× slower per iteration. Stripping the Sinkhorn states alone did not
/// help: entries that a sparser start left near 0 grow back slowly. With the momentum solver
/// (2026-12-05, split 0 at n = 10 and 50, one thread) warm starts cost about the same
/// (CV 40 s vs 39 s and 47 s vs 51 s for MTW, 290 s vs 313 s for reweighted MTW at n = 50)
/// and chose the same penalties, so cold starts stay.
pub struct ColdStart<E>(pub E);

impl<T: Scalar, E: Estimator<T>> Estimator<T> for ColdStart<E> {
    fn name(&self) -> &'static str {
        self.0.name()
    }

    fn fit_from(&self, problem: &Problem<T>, _start: Option<&Fit<T>>) -> Result<Fit<T>> {
        self.0.fit(problem)
    }
}
