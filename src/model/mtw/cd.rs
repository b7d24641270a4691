//! Proximal coordinate descent on the coefficients of one task, with the transport plans (hence
//! the left marginals) held fixed.
//!
//! With the plans fixed, the transport term of task t contributes `αγ Σ_j (θ_j − m_j log θ_j)`
//! per part (the part of `γ KL(m | θ)` that depends on θ), so each coordinate has the closed-form
//! minimiser of Proposition 3 ([`coordinate_minimizer`]).

use nalgebra::{DMatrix, DVector};

use crate::model::mtw::prox::coordinate_minimizer;
use crate::scalar::Scalar;

/// Everything coordinate descent changes for one task.
#[derive(Clone, Debug)]
pub struct TaskState<T: Scalar> {
    /// θ⁺_t (p).
    pub pos: DVector<T>,
    /// θ⁻_t (p); identically 0 for positive fits.
    pub neg: DVector<T>,
    /// Residual `Y_t − X_t (θ⁺_t − θ⁻_t)` (n), kept up to date after every coordinate change.
    pub residual: DVector<T>,
    /// Concomitant noise level σ_t (1 when the option is off).
    pub sigma: T,
}

/// Fixed inputs of one task's coordinate descent.
pub struct TaskInputs<'a, T: Scalar> {
    /// Design `X_t` (n × p).
    pub design: &'a DMatrix<T>,
    /// `‖X_tj‖²` for every feature j; features with 0 are skipped (their coefficient stays 0).
    pub col_norms_sq: &'a DVector<T>,
    /// Left marginals of the positive part's plan for this task (p).
    pub marg_pos: DVector<T>,
    /// Left marginals of the negative part's plan (p); unused for positive fits.
    pub marg_neg: DVector<T>,
    /// Per-entry ℓ1 weights of the positive part (reweighted MTW), `None` for 1.
    pub weights_pos: Option<DVector<T>>,
    /// Per-entry ℓ1 weights of the negative part.
    pub weights_neg: Option<DVector<T>>,
}

/// Penalty constants of the coordinate problem, already multiplied by n.
#[derive(Clone, Copy, Debug)]
pub struct CdConstants<T: Scalar> {
    /// `n α γ` with `α = µ/T`.
    pub transport: T,
    /// `n β` with `β = λ/T`.
    pub l1: T,
    /// Fit θ ≥ 0 only.
    pub positive: bool,
    /// Concomitant estimation: σ floor (`None` when off).
    pub sigma_floor: Option<T>,
}

/// Runs up to `max_epochs` passes over the features, stopping early when the largest change of
/// a coefficient in a pass is below `tol` times the largest coefficient. Returns the epochs run.
pub fn coordinate_descent<T: Scalar>(
    state: &mut TaskState<T>,
    inputs: &TaskInputs<'_, T>,
    k: &CdConstants<T>,
    max_epochs: usize,
    tol: T,
) -> usize {
    let p = inputs.design.ncols();
    let n = T::of_usize(inputs.design.nrows());
    let sqrt_n = n.sqrt();
    let one = T::one();

    for epoch in 1..=max_epochs {
        let mut max_change = T::zero();
        let mut max_coef = T::zero();

        for j in 0..p {
            let l = inputs.col_norms_sq[j];
            if l <= T::zero() {
                continue;
            }
            let column = inputs.design.column(j);

            // Positive part: design X_j.
            let w = inputs.weights_pos.as_ref().map_or(one, |w| w[j]);
            let old = state.pos[j];
            let y = column.dot(&state.residual) + l * old;
            let new =
                coordinate_minimizer(l, y, k.transport, inputs.marg_pos[j], k.l1 * w * state.sigma);
            if new != old {
                state.residual.axpy(old - new, &column, one);
                state.pos[j] = new;
                update_sigma(state, k, sqrt_n);
            }
            max_change = max_change.max((new - old).abs());
            max_coef = max_coef.max(new);

            if k.positive {
                continue;
            }

            // Negative part: design −X_j.
            let w = inputs.weights_neg.as_ref().map_or(one, |w| w[j]);
            let old = state.neg[j];
            let y = -column.dot(&state.residual) + l * old;
            let new =
                coordinate_minimizer(l, y, k.transport, inputs.marg_neg[j], k.l1 * w * state.sigma);
            if new != old {
                state.residual.axpy(new - old, &column, one);
                state.neg[j] = new;
                update_sigma(state, k, sqrt_n);
            }
            max_change = max_change.max((new - old).abs());
            max_coef = max_coef.max(new);
        }

        if max_change <= tol * max_coef {
            return epoch;
        }
    }
    max_epochs
}

/// Concomitant update `σ_t = max(‖R_t‖/√n, σ₀)`.
fn update_sigma<T: Scalar>(state: &mut TaskState<T>, k: &CdConstants<T>, sqrt_n: T) {
    if let Some(floor) = k.sigma_floor {
        state.sigma = (state.residual.norm() / sqrt_n).max(floor);
    }
}
