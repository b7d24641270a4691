//! The Dirty model (Jalali et al. 2010; paper eq. 12): a shared part with a group penalty plus a
//! task-specific part with an l1 penalty,
//!
//! ```text
//! min_{S,P} (1/2n) Σ_t ‖X_t (S_t + P_t) − Y_t‖² + µ ‖S‖₂₁ + λ Σ_t ‖P_t‖₁,   θ = S + P
//! ```
//!
//! (`S ≥ 0`, `P ≥ 0` if positive). Both parts are active only when `µ/√T < λ < µ`: for λ ≥ µ
//! the specific part vanishes (group Lasso), for λ ≤ µ/√T the shared one does (Lasso).
//! The solver does not take that shortcut, and at λ = µ exactly it is slow: a row's split
//! between S and P is then free (`µ|S_jt| + λ|P_jt|` depends only on the sum when one task is
//! active), and the block updates drift along that flat direction. A fresh-user test on a
//! 3 × 20 × 64 problem at µ = λ = 0.1 stopped at the 20,000-iteration cap 2e-6 (relative)
//! above the group Lasso's objective; fit [`GroupLasso`] instead when λ ≥ µ.
//!
//! Block coordinate descent: for each feature j, one proximal block-gradient step on `S_j`
//! (step `1/max_t ‖X_tj‖²`) then an exact soft-thresholding update of each `P_jt`; stopped on
//! the duality gap, whose dual point is the residual rescaled into both the l2,∞ ball of
//! radius µ and the l∞ ball of radius λ.

use std::time::Instant;

use nalgebra::{DMatrix, DVector};

use crate::error::Result;
use crate::model::cd::{self, DualScale};
use crate::model::fit::{Estimator, Fit};
use crate::model::group_lasso::{l21, GroupLasso};
use crate::model::problem::Problem;
use crate::model::prox::soft_threshold;
use crate::scalar::Scalar;

/// The Dirty model (see the module doc for the objective). The fit's `coef_shared` is S and
/// `coef_specific` is P.
#[derive(Clone, Debug)]
pub struct Dirty<T: Scalar> {
    /// Weight µ of the group penalty `µ ‖S‖₂₁` on the shared part.
    pub mu: T,
    /// Weight λ of the l1 penalty `λ Σ_t ‖P_t‖₁` on the specific part.
    pub lambda: T,
    /// Constrain both parts to be ≥ 0 (exact prox of each constrained penalty).
    pub positive: bool,
    /// Stop when the duality gap is `≤ tol · max((1/2n) Σ_t ‖Y_t‖², floor)`
    /// (see [`crate::model::cd`]); default [`Scalar::default_tol`].
    pub tol: T,
    /// Maximum number of epochs (default 100 000).
    pub max_iter: usize,
}

solver_settings!(single: Dirty);

impl<T: Scalar> Dirty<T> {
    /// A Dirty model with penalties `mu ≥ 0` (shared) and `lambda ≥ 0` (specific).
    pub fn new(mu: T, lambda: T) -> Result<Self> {
        let est = Dirty { mu, lambda, positive: false, tol: T::default_tol(), max_iter: 100_000 };
        est.validate()?;
        Ok(est)
    }

    /// Checks the penalties (finite, ≥ 0) and the tolerance.
    pub fn validate(&self) -> Result<()> {
        cd::check_penalty("mu", self.mu)?;
        cd::check_penalty("lambda", self.lambda)?;
        cd::check_tol(self.tol)
    }

    /// The group threshold `µ_max = max_j (Σ_t (X_tjᵀ Y_t)²)^½ / n`. The fit is θ = 0 if and
    /// only if `µ ≥ µ_max` **and** `λ ≥ λ_max` ([`Dirty::lambda_max`]). Positive parts of
    /// `X_tᵀ Y_t` when `positive`; rounded so that the solver stops at 0 with gap 0.
    pub fn mu_max(problem: &Problem<T>, positive: bool) -> T {
        GroupLasso::mu_max(problem, positive)
    }

    /// The l1 threshold `λ_max = max_{j,t} |X_tjᵀ Y_t| / n` (see [`Dirty::mu_max`]).
    pub fn lambda_max(problem: &Problem<T>, positive: bool) -> T {
        let grads = cd::correlations(problem.designs(), problem.targets());
        let m = grads.iter().fold(T::zero(), |acc, &g| acc.max(cd::dual_part(g, positive)));
        let n = problem.n_samples();
        cd::round_up_max(m / T::of_usize(n), T::one(), n, m)
    }
}

/// Primal value and duality gap (unnormalised) of
/// `½ Σ_t ‖R_t‖² + κ_µ ‖S‖₂₁ + κ_λ ‖P‖₁`.
#[allow(clippy::too_many_arguments)]
fn dirty_gap<T: Scalar>(
    problem: &Problem<T>,
    resids: &[DVector<T>],
    shared: &DMatrix<T>,
    specific: &DMatrix<T>,
    kappa_mu: T,
    kappa_lambda: T,
    positive: bool,
) -> Result<(T, T)> {
    let grads = cd::correlations(problem.designs(), resids);
    let mut scale = DualScale::new();
    for j in 0..grads.nrows() {
        scale.push(cd::row_dual_norm(&grads, j, positive), kappa_mu);
    }
    for &g in grads.iter() {
        scale.push(cd::dual_part(g, positive), kappa_lambda);
    }

    let half = T::of_f64(0.5);
    let fit = resids.iter().fold(T::zero(), |acc, r| acc + r.norm_squared());
    let l1 = specific.iter().fold(T::zero(), |acc, v| acc + v.abs());
    let primal = half * fit + kappa_mu * l21(shared) + kappa_lambda * l1;
    let primal = cd::ensure_finite("Dirty primal objective", primal)?;
    let dual = problem
        .targets()
        .iter()
        .zip(resids)
        .fold(T::zero(), |acc, (y, r)| acc + scale.dual_objective(y, r));
    let dual = cd::ensure_finite("Dirty dual objective", dual)?;
    let gap = cd::ensure_finite("Dirty duality gap", primal - dual)?;
    Ok((primal, gap))
}

impl<T: Scalar> Dirty<T> {
    /// The starting parts: `start.coef_shared` and `start.coef_specific` when both are
    /// present, else S = `start.coef` and P = 0, else zeros.
    fn start_parts(
        &self,
        problem: &Problem<T>,
        start: Option<&Fit<T>>,
    ) -> Result<(DMatrix<T>, DMatrix<T>)> {
        let zeros = DMatrix::zeros(problem.n_features(), problem.n_tasks());
        match start {
            Some(Fit { coef_shared: Some(s), coef_specific: Some(p), .. }) => Ok((
                cd::checked_start(problem, "start.coef_shared", s, self.positive)?,
                cd::checked_start(problem, "start.coef_specific", p, self.positive)?,
            )),
            _ => Ok((cd::start_coef(problem, start, self.positive)?, zeros)),
        }
    }
}

impl<T: Scalar> Estimator<T> for Dirty<T> {
    fn name(&self) -> &'static str {
        "dirty"
    }

    /// Fits from the parts of `start` (see `start_parts`), else from S = P = 0.
    fn fit_from(&self, problem: &Problem<T>, start: Option<&Fit<T>>) -> Result<Fit<T>> {
        let clock = Instant::now();
        self.validate()?;
        let (mut shared, mut specific) = self.start_parts(problem, start)?;
        let mut resids = problem.residuals(&(&shared + &specific));

        // Constants.
        let n = problem.n_samples();
        let n_t = T::of_usize(n);
        let kappa_mu = cd::kappa(n, self.mu);
        let kappa_lambda = cd::kappa(n, self.lambda);
        let designs = problem.designs();
        let col_sq: Vec<Vec<T>> = designs.iter().map(cd::column_sq_norms).collect();
        let lipschitz = cd::block_lipschitz(&col_sq);
        let threshold = cd::gap_threshold(self.tol, problem);
        let threshold_u = threshold * n_t;
        let mut block = vec![T::zero(); problem.n_tasks()];

        // Block coordinate descent, gap checked before the first and after every epoch.
        let gap_at = |res: &[DVector<T>], s: &DMatrix<T>, p: &DMatrix<T>| {
            dirty_gap(problem, res, s, p, kappa_mu, kappa_lambda, self.positive)
        };
        let (_, mut gap) = gap_at(&resids, &shared, &specific)?;
        let mut trace = Vec::new();
        let mut epochs = 0;
        while gap > threshold_u && epochs < self.max_iter {
            for (j, &l) in lipschitz.iter().enumerate() {
                // 1. Shared block: proximal gradient step on S_j.
                cd::group_block_step(
                    designs,
                    &mut resids,
                    &mut shared,
                    j,
                    l,
                    kappa_mu,
                    self.positive,
                    &mut block,
                );

                // 2. Specific coordinates: exact update of each P_jt.
                for t in 0..problem.n_tasks() {
                    let l_t = col_sq[t][j];
                    if l_t == T::zero() {
                        specific[(j, t)] = T::zero();
                        continue;
                    }
                    let xj = designs[t].column(j);
                    let old = specific[(j, t)];
                    let g = xj.dot(&resids[t]) + l_t * old;
                    let new = soft_threshold(g, kappa_lambda, self.positive) / l_t;
                    if new != old {
                        resids[t].axpy(old - new, &xj, T::one());
                        specific[(j, t)] = new;
                    }
                }
            }
            epochs += 1;
            let primal;
            (primal, gap) = gap_at(&resids, &shared, &specific)?;
            trace.push(primal / n_t);
        }

        // Assemble the result.
        let coef = &shared + &specific;
        let datafit = problem.datafit(&coef);
        let group = self.mu * l21(&shared);
        let l1 = self.lambda * specific.iter().fold(T::zero(), |acc, v| acc + v.abs());
        let objective = cd::ensure_finite("Dirty objective", datafit + group + l1)?;
        let converged = gap <= threshold_u;
        let gap = gap / n_t;
        let mut fit = Fit::new("dirty", coef);
        fit.objective = Some(objective);
        fit.objective_parts = vec![("datafit", datafit), ("l21", group), ("l1", l1)];
        fit.objective_trace = trace;
        fit.duality_gap = Some(gap);
        fit.tol_threshold = threshold;
        fit.iterations = epochs;
        fit.converged = converged;
        if !converged {
            cd::warn_not_converged("dirty", epochs, gap, threshold);
        }
        fit.coef_shared = Some(shared);
        fit.coef_specific = Some(specific);
        fit.seconds = clock.elapsed().as_secs_f64();
        Ok(fit)
    }
}
