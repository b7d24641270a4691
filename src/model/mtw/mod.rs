//! The Multi-task Wasserstein estimator (Algorithm 1) and its reweighted variant.
//!
//! # Objective
//!
//! With T tasks, designs `X_t` (n × p), targets `Y_t`, coefficients split into non-negative parts
//! `θ = θ⁺ − θ⁻` (p × T each, independent variables), MTW minimises (paper eq. 1-2, 7)
//!
//! ```text
//! F(θ⁺, θ⁻) = (1/2n) Σ_t ‖Y_t − X_t (θ⁺_t − θ⁻_t)‖²
//!           + (µ/T) [OT(θ⁺) + OT(θ⁻)]
//!           + (λ/T) Σ_{j,t} (θ⁺_jt + θ⁻_jt)
//! OT(A)     = min_{θ̄ ≥ 0} Σ_t W(A_t, θ̄)
//! ```
//!
//! where `W` is entropic unbalanced optimal transport with the plain entropy of eq. (5)
//! (`ε Σ P(log P − 1)`, kernel `exp(−M/ε)`) and KL marginal relaxation γ. The minimising θ̄ of
//! each part is its barycenter. With `positive`, θ⁻ = 0.
//!
//! The authors' package `mutar` calls `alpha = µ/T` and `beta = λ/T`.
//!
//! # Algorithm
//!
//! Alternating minimisation (Algorithm 1): with the transport plans fixed, a few epochs of
//! coordinate descent on every task (in parallel) using the closed-form prox of Proposition 3;
//! then warm-started generalized Sinkhorn sweeps (Algorithm 2) update the barycenters and the
//! left marginals that the next coordinate descent uses.
//!
//! The alternation converges slowly when γ ≫ ε: the transport term is stiff along its
//! large-scale modes and soft along the others, and one Sinkhorn sweep contracts the scalings
//! only by about γ/(γ+ε). Two accelerations, both on by default, leave the fixed points
//! unchanged:
//!
//! - [`MtwParams::momentum`]: every iteration ends with a Nesterov momentum step on
//!   `z = (log θ, log v, log m)` (coefficients, Sinkhorn scalings and the left marginals the
//!   next coordinate descent reads), restarted whenever an iteration raised the objective
//!   (see `momentum.rs`);
//! - [`MtwParams::anderson`]: every `anderson + 1` iterations the last iterates of
//!   `(log θ, log v)` are combined by Anderson extrapolation (see `anderson.rs`), kept only
//!   when the objective is lower. Besides its own gain, it settles entries so small that
//!   neither the objective nor the stopping test sees them, which momentum alone leaves with
//!   optimality residuals up to 1e-2 of β (`tests/mtw_acceleration.rs`).
//!
//! Measured with `cargo run --release --example mtw_momentum` (the overlap study's MTW path on
//! one blur trial, overlap 0.5: 5 × 5 grid, warm starts, tol 1e-4, 1,000-iteration cap; one
//! thread, idle machine): plain 19.4 s, 20,089 outer iterations, 18 of 25 fits at the cap,
//! best AUC 0.242; Anderson alone 24.3 s, 15,560, 12, 0.328; momentum alone 7.2 s, 4,572, 0,
//! 0.376; both 8.4 s, 4,773, 0, 0.375 (the optimum of the best grid point: 0.39). The momentum
//! paths also end at lower objectives (22–23 of 25 points below the plain path's).
//!
//! The loop stops when the relative change of the coefficients in one iteration,
//! `max|Δθ| / max|θ|`, is below `tol` and the decrease of the objective still to come, as
//! extrapolated from its decrease over the last three windows of `max(10, 2(anderson + 1))`
//! iterations (a geometric series at the observed rate), is below `tol · |F|`.
//!
//! # Start
//!
//! θ = 0 is a spurious fixed point of the alternation (zero marginals raise the coordinate
//! threshold to `n(αγ + β)` although the transport term has slope −∞ at 0), so a cold start sets
//! every entry of each part to `1/p` (as the authors' code does), with the residual computed
//! for that start. A warm start takes the parts of a previous fit with every entry below `1/p`
//! lifted to `1/p`: entries near 0 are near that spurious fixed point, and the alternation
//! grows them back only by a bounded factor per iteration (measured on the overlap study:
//! without the lift, warm-started fits took 2-10× more iterations than cold ones and stopped
//! up to 0.4 % above the optimum).
//!
//! The barycenters of a warm start are solved from fresh scalings unless
//! [`MtwParams::reuse_scalings`] is set. Measured on an overlap-study path (blur design,
//! µ = 0.3 λ_max, λ from λ_max to λ_max/100, tol 1e-4, 1,000-iteration cap): with reused
//! scalings the last point stopped 2.2 % above its optimal objective (support AUC 0.18 against
//! 0.39 at the optimum), with fresh ones 1.1 % above (AUC 0.33), as a cold start does.
//!
//! # Translation step
//!
//! With [`MtwParams::translate`] (off by default) every Sinkhorn sweep of the barycenter steps
//! ends its u-update with the per-task shift of the scalings that maximises the barycenter's
//! dual ([`crate::ot::translation`]). The fixed points are those of the plain sweeps; the
//! outer loop needs fewer iterations because the barycenters it alternates with no longer lag
//! behind along their slowest mode. Measured with `cargo run --release --example
//! mtw_translation -- tight` (the overlap study's blur design, overlap 0.5, trial 0; µ and λ
//! as multiples of λ_max; cold starts, tol 1e-8; one thread while another job used the other
//! core): at (0.3, 0.1) 1,696 outer iterations instead of 15,214 (4.1 s instead of 46.2 s),
//! (0.3, 0.01) 1,944 instead of 13,734, (0.03, 0.03) 4,636 instead of 15,184, (0.1, 0.01)
//! 3,172 instead of 14,583, (0.01, 0.1) 3,192 instead of 6,843, (0.003, 0.01) 16,784 instead
//! of 22,366: 1.3–9× fewer iterations and 1.1–11× less time, at objectives equal to 3e-11
//! relative. Each outer iteration costs more (a few Newton steps on T unknowns per sweep), so
//! at a loose tolerance and a low iteration cap the step can cost more than it saves: on that
//! trial's 5 × 5 study path (`-- path 1e-4 1000`) it took 58 s instead of 27 s, its fits
//! stopping at objectives from 0.3 % below to 0.4 % above the plain ones (3 fits at the cap
//! instead of 12). The studies keep it off. On the 6 × 6 problems of
//! `tests/mtw_acceleration.rs` (γ/ε ≈ 270 against 5,900 at p = 576) it changes the iteration
//! count by −30 % to +10 % (tol 1e-9 and 1e-10). With [`ReweightedMtw`] the step first made
//! the reweighting loop run all its 100 steps: the inner fits, which now move from their warm
//! starts, know θ only to ~1e-6 at tol 1e-8, so the steps' changes levelled off there and
//! never met the 1e-10 test. The loop now stops when the changes stall at the inner fits'
//! precision (see [`ReweightedMtw`]); on the 8 × 8 case of `tests/mtw_acceleration.rs` it
//! then needs 2,339 iterations against 3,395 without the step, at the same objective. Off by
//! default, as in the studies.
//!
//! # Zero design columns
//!
//! A feature whose column of `X_t` is zero carries no information about `Y_t`; its coefficients
//! in task t are fixed at 0 (the transport term alone would otherwise copy barycenter mass
//! there). In particular all-zero data give θ = 0.

mod anderson;
mod cd;
mod momentum;
pub mod prox;
mod reweighted;
mod solver;

use std::sync::Arc;

use serde::Serialize;

use crate::error::{Error, Result};
use crate::model::{Estimator, Fit, Problem};
use crate::ot::{GroundMetric, KernelStrategy, UnbalancedBarycenter};
use crate::scalar::Scalar;
use crate::validate::{nonnegative, positive};
use solver::Start;

pub use reweighted::ReweightedMtw;
pub use solver::kkt_violation;

/// Hyperparameters and solver settings of MTW, in the paper's notation.
#[derive(Clone, Debug, Serialize)]
pub struct MtwParams<T: Scalar> {
    /// µ ≥ 0: weight of the transport term (the objective uses µ/T).
    pub mu: T,
    /// λ ≥ 0: weight of the ℓ1 term (the objective uses λ/T).
    pub lambda: T,
    /// ε > 0: entropic regularisation of the transport plans.
    pub epsilon: T,
    /// γ > 0: KL relaxation of the plans' marginals.
    pub gamma: T,
    /// Fit θ ≥ 0 only (θ⁻ = 0).
    pub positive: bool,
    /// Estimate a noise level σ_t per task jointly (fixed-point scheme; see [`Mtw`]).
    pub concomitant: bool,
    /// Outer tolerance: on the relative change of θ in one iteration and on the relative
    /// decrease of the objective over a window of iterations (see the module doc).
    pub tol: T,
    /// Cap on outer iterations.
    pub max_iter: usize,
    /// Coordinate-descent epochs per outer iteration (stopping earlier when a pass changes
    /// no coefficient by more than `tol` relative).
    pub max_iter_cd: usize,
    /// Sinkhorn sweeps per outer iteration (stopping earlier at `tol_ot`).
    pub max_iter_ot: usize,
    /// Sinkhorn tolerance on the relative max change of the barycenter.
    pub tol_ot: T,
    /// Nesterov momentum on `(log θ, log v, log m)` after every outer iteration, restarted
    /// when an iteration raises the objective (unused by the concomitant scheme).
    pub momentum: bool,
    /// The momentum rules as they were before two fixes of 2026-12-05, kept only to reproduce
    /// runs made before them (the overlap study's committed default run): entries that are
    /// zero in one of the two iterates are extrapolated too (their log gap from the stand-in
    /// ln(min_positive) is meaningless and overflowed signed reweighted fits), and the momentum
    /// history survives an accepted Anderson step (the next momentum step then extrapolates
    /// Anderson's jump again; at ε ≤ 1e-6 this diverged to coefficients of 1e155 that the
    /// relative stopping tests accepted). Off by default.
    pub legacy_momentum: bool,
    /// Anderson memory: every `anderson + 1` outer iterations, `(log θ, log v)` is extrapolated
    /// from the last `anderson` steps and the extrapolation kept when it lowers the objective
    /// (0 turns it off; unused by the concomitant scheme).
    pub anderson: usize,
    /// Whether a warm start also reuses the previous fit's Sinkhorn scalings (else only its
    /// coefficients, with the barycenters solved afresh). Off by default: scalings fitted to
    /// the previous coefficients carry a mass level that the slow mode of the sweeps takes
    /// thousands of sweeps to correct once the coefficients are lifted (see "Start").
    /// Reweighted MTW always reuses them between its own steps (same µ and λ).
    pub reuse_scalings: bool,
    /// Whether every Sinkhorn sweep takes the translation step of
    /// [`crate::ot::translation`] (the per-task mass mode that a sweep shrinks only by
    /// `(γ/(γ+ε))²`). Off by default. Same fixed points; at the paper's ε and γ tight fits
    /// need 1.3–9× fewer outer iterations and loose ones can cost more (see "Translation
    /// step" in the module doc).
    pub translate: bool,
}

impl<T: Scalar> MtwParams<T> {
    /// Parameters with the solver defaults of this precision.
    pub fn new(mu: T, lambda: T, epsilon: T, gamma: T) -> Self {
        MtwParams {
            mu,
            lambda,
            epsilon,
            gamma,
            positive: false,
            concomitant: false,
            tol: T::default_tol(),
            max_iter: 20_000,
            max_iter_cd: 3,
            max_iter_ot: 5,
            tol_ot: T::default_tol(),
            momentum: true,
            legacy_momentum: false,
            anderson: 3,
            reuse_scalings: false,
            translate: false,
        }
    }

    /// Checks every parameter's domain.
    pub fn validate(&self) -> Result<()> {
        nonnegative("mu", self.mu)?;
        nonnegative("lambda", self.lambda)?;
        positive("epsilon", self.epsilon)?;
        positive("gamma", self.gamma)?;
        positive("tol", self.tol)?;
        positive("tol_ot", self.tol_ot)?;
        if self.max_iter == 0 || self.max_iter_cd == 0 || self.max_iter_ot == 0 {
            return Err(Error::parameter("max_iter", self.max_iter, "iteration caps must be >= 1"));
        }
        if self.concomitant && self.lambda <= T::zero() {
            // σ_t only enters through the ℓ1 weight βσ_t.
            log::warn!("concomitant estimation with lambda = 0 has no effect");
        }
        Ok(())
    }
}

/// The MTW estimator: parameters plus the Gibbs kernel, built once and shared by every fit
/// (and by the estimators [`Mtw::with_penalties`] derives for a hyperparameter path).
///
/// With `concomitant`, each task's coordinate descent uses the ℓ1 weight `β σ_t`, and
/// `σ_t = max(‖R_t‖/√n, σ₀)` (σ₀ = 0.01 min_t ‖Y_t‖/√n) is refreshed after every coordinate
/// change; barycenters are unweighted. This is the scheme of the authors' package. Its limit is
/// a fixed point of these updates, **not** a minimiser of any single objective (in particular
/// not of `Σ_t [‖R_t‖²/(2nσ_t) + σ_t/2] + …`, whose gradient would also scale the transport
/// term by 1/σ_t). Concomitant fits therefore report `objective = None` and the residual of the
/// fixed-point equations in `fixed_point_residual`.
#[derive(Clone)]
pub struct Mtw<T: Scalar> {
    params: MtwParams<T>,
    barycenter: Arc<UnbalancedBarycenter<T>>,
    n_features: usize,
}

impl<T: Scalar> Mtw<T> {
    /// Builds the estimator, the kernel of `metric` for `params.epsilon` with `kernel`.
    pub fn new(
        metric: &GroundMetric<T>,
        params: MtwParams<T>,
        kernel: KernelStrategy,
    ) -> Result<Self> {
        params.validate()?;
        let barycenter = UnbalancedBarycenter::new(metric, params.epsilon, params.gamma, kernel)?
            .with_translation(params.translate);
        Ok(Mtw { params, barycenter: Arc::new(barycenter), n_features: metric.n_features() })
    }

    /// The same estimator with other penalties µ, λ, sharing the kernel.
    pub fn with_penalties(&self, mu: T, lambda: T) -> Result<Self> {
        let mut params = self.params.clone();
        params.mu = mu;
        params.lambda = lambda;
        params.validate()?;
        Ok(Mtw { params, barycenter: Arc::clone(&self.barycenter), n_features: self.n_features })
    }

    /// The same estimator with other solver settings (same ε, γ, kernel).
    pub fn with_params(&self, params: MtwParams<T>) -> Result<Self> {
        params.validate()?;
        if params.epsilon != self.params.epsilon || params.gamma != self.params.gamma {
            return Err(Error::parameter(
                "epsilon/gamma",
                format!("{}/{}", params.epsilon, params.gamma),
                "changing epsilon or gamma needs a new kernel: use Mtw::new",
            ));
        }
        if params.translate != self.params.translate {
            return Err(Error::parameter(
                "translate",
                params.translate,
                "the translation step is set when the barycenter solver is built: use Mtw::new",
            ));
        }
        Ok(Mtw { params, barycenter: Arc::clone(&self.barycenter), n_features: self.n_features })
    }

    /// The parameters.
    pub fn params(&self) -> &MtwParams<T> {
        &self.params
    }

    /// The barycenter solver (kernel included).
    pub fn barycenter_solver(&self) -> &UnbalancedBarycenter<T> {
        &self.barycenter
    }

    fn check_problem(&self, problem: &Problem<T>) -> Result<()> {
        if problem.n_features() != self.n_features {
            return Err(Error::Shape(format!(
                "the ground metric has {} features but X has p = {}",
                self.n_features,
                problem.n_features()
            )));
        }
        Ok(())
    }
}

impl<T: Scalar> Estimator<T> for Mtw<T> {
    fn name(&self) -> &'static str {
        "mtw"
    }

    fn fit_from(&self, problem: &Problem<T>, start: Option<&Fit<T>>) -> Result<Fit<T>> {
        self.check_problem(problem)?;
        solver::solve(self, problem, Start::warm(start, self.params.reuse_scalings), None, "mtw")
    }
}

/// λ_max: the smallest λ for which θ = 0 solves MTW with µ = 0 (the independent Lasso with
/// penalty (λ/T)‖θ_t‖₁): `λ_max = T · max_t ‖X_tᵀ Y_t‖_∞ / n` (positive parts only when
/// `positive`).
pub fn lambda_max<T: Scalar>(problem: &Problem<T>, positive: bool) -> T {
    let n = T::of_usize(problem.n_samples());
    let tasks = T::of_usize(problem.n_tasks());
    let mut best = T::zero();
    for t in 0..problem.n_tasks() {
        let corr = problem.design(t).tr_mul(problem.target(t));
        for &c in corr.iter() {
            let c = if positive { c } else { c.abs() };
            best = best.max(c);
        }
    }
    tasks * best / n
}
