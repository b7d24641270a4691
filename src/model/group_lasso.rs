//! Group Lasso across tasks (l1/l2 mixed norm, a.k.a. MTFL; Argyriou et al. 2007, Obozinski
//! and Taskar 2006):
//!
//! ```text
//! min_θ (1/2n) Σ_t ‖X_t θ_t − Y_t‖² + µ Σ_j ‖(θ_j¹, …, θ_jᵀ)‖₂        (θ ≥ 0 if positive)
//! ```
//!
//! i.e. the paper's `J = µ‖θ‖₂₁`. Each task keeps its own design, so a feature's block is not
//! separable; the solver does block coordinate descent with one proximal block-gradient step
//! per feature and epoch, of step `1/L_j`, `L_j = max_t ‖X_tj‖²`
//! ([`group_block_step`](crate::model::cd::group_block_step)), and stops on the duality gap.

use std::time::Instant;

use nalgebra::{DMatrix, DVector};

use crate::error::Result;
use crate::model::cd::{self, DualScale};
use crate::model::fit::{Estimator, Fit};
use crate::model::problem::Problem;
use crate::scalar::Scalar;

/// The group Lasso (see the module doc for the objective).
#[derive(Clone, Debug)]
pub struct GroupLasso<T: Scalar> {
    /// Weight µ of the l1/l2 penalty `µ Σ_j ‖θ_j‖₂`.
    pub mu: T,
    /// Constrain every coefficient to be ≥ 0.
    pub positive: bool,
    /// Stop when the duality gap is `≤ tol · max((1/2n) Σ_t ‖Y_t‖², floor)`
    /// (see [`crate::model::cd`]); default [`Scalar::default_tol`].
    pub tol: T,
    /// Maximum number of epochs (default 100 000).
    pub max_iter: usize,
}

solver_settings!(single: GroupLasso);

impl<T: Scalar> GroupLasso<T> {
    /// A group Lasso with penalty `mu ≥ 0`.
    pub fn new(mu: T) -> Result<Self> {
        let est = GroupLasso { mu, positive: false, tol: T::default_tol(), max_iter: 100_000 };
        est.validate()?;
        Ok(est)
    }

    /// Checks the penalty (finite, ≥ 0) and the tolerance.
    pub fn validate(&self) -> Result<()> {
        cd::check_penalty("mu", self.mu)?;
        cd::check_tol(self.tol)
    }

    /// The smallest µ giving θ = 0: `µ_max = max_j (Σ_t (X_tjᵀ Y_t)²)^½ / n` (positive parts
    /// when `positive`), rounded so that the solver stops at 0 with gap 0.
    pub fn mu_max(problem: &Problem<T>, positive: bool) -> T {
        let m = max_row_norm(problem, positive);
        let n = problem.n_samples();
        cd::round_up_max(m / T::of_usize(n), T::one(), n, m)
    }
}

/// `max_j ‖(X_tjᵀ Y_t)_t‖₂` (positive parts when `positive`).
pub(crate) fn max_row_norm<T: Scalar>(problem: &Problem<T>, positive: bool) -> T {
    let grads = cd::correlations(problem.designs(), problem.targets());
    (0..grads.nrows()).fold(T::zero(), |acc, j| acc.max(cd::row_dual_norm(&grads, j, positive)))
}

/// Primal value and duality gap (unnormalised) of `½ Σ_t ‖R_t‖² + κ Σ_j ‖θ_j‖₂`.
fn group_gap<T: Scalar>(
    problem: &Problem<T>,
    resids: &[DVector<T>],
    coef: &DMatrix<T>,
    kappa: T,
    positive: bool,
) -> Result<(T, T)> {
    let grads = cd::correlations(problem.designs(), resids);
    let mut scale = DualScale::new();
    for j in 0..grads.nrows() {
        scale.push(cd::row_dual_norm(&grads, j, positive), kappa);
    }

    let half = T::of_f64(0.5);
    let fit = resids.iter().fold(T::zero(), |acc, r| acc + r.norm_squared());
    let primal = cd::ensure_finite("group Lasso primal objective", half * fit + kappa * l21(coef))?;
    let dual = problem
        .targets()
        .iter()
        .zip(resids)
        .fold(T::zero(), |acc, (y, r)| acc + scale.dual_objective(y, r));
    let dual = cd::ensure_finite("group Lasso dual objective", dual)?;
    let gap = cd::ensure_finite("group Lasso duality gap", primal - dual)?;
    Ok((primal, gap))
}

/// `Σ_j ‖θ_j‖₂` over the rows of a p × T matrix.
pub(crate) fn l21<T: Scalar>(coef: &DMatrix<T>) -> T {
    coef.row_iter().fold(T::zero(), |acc, row| acc + row.norm())
}

impl<T: Scalar> Estimator<T> for GroupLasso<T> {
    fn name(&self) -> &'static str {
        "group-lasso"
    }

    /// Fits from `start.coef` (projected onto θ ≥ 0 when `positive`), else from θ = 0.
    fn fit_from(&self, problem: &Problem<T>, start: Option<&Fit<T>>) -> Result<Fit<T>> {
        let clock = Instant::now();
        self.validate()?;
        let mut coef = cd::start_coef(problem, start, self.positive)?;
        let mut resids = problem.residuals(&coef);

        // Constants.
        let n = problem.n_samples();
        let n_t = T::of_usize(n);
        let kappa = cd::kappa(n, self.mu);
        let col_sq: Vec<Vec<T>> = problem.designs().iter().map(cd::column_sq_norms).collect();
        let lipschitz = cd::block_lipschitz(&col_sq);
        let threshold = cd::gap_threshold(self.tol, problem);
        let threshold_u = threshold * n_t;
        let designs = problem.designs();
        let mut block = vec![T::zero(); problem.n_tasks()];

        // Block coordinate descent, gap checked before the first and after every epoch.
        let (_, mut gap) = group_gap(problem, &resids, &coef, kappa, self.positive)?;
        let mut trace = Vec::new();
        let mut epochs = 0;
        while gap > threshold_u && epochs < self.max_iter {
            for (j, &l) in lipschitz.iter().enumerate() {
                cd::group_block_step(
                    designs,
                    &mut resids,
                    &mut coef,
                    j,
                    l,
                    kappa,
                    self.positive,
                    &mut block,
                );
            }
            epochs += 1;
            let primal;
            (primal, gap) = group_gap(problem, &resids, &coef, kappa, self.positive)?;
            trace.push(primal / n_t);
        }

        // Assemble the result.
        let datafit = problem.datafit(&coef);
        let penalty = self.mu * l21(&coef);
        let objective = cd::ensure_finite("group Lasso objective", datafit + penalty)?;
        let converged = gap <= threshold_u;
        let gap = gap / n_t;
        let mut fit = Fit::new("group-lasso", coef);
        fit.objective = Some(objective);
        fit.objective_parts = vec![("datafit", datafit), ("l21", penalty)];
        fit.objective_trace = trace;
        fit.duality_gap = Some(gap);
        fit.tol_threshold = threshold;
        fit.iterations = epochs;
        fit.converged = converged;
        if !fit.converged {
            cd::warn_not_converged("group-lasso", epochs, gap, threshold);
        }
        fit.seconds = clock.elapsed().as_secs_f64();
        Ok(fit)
    }
}
