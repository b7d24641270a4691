//! Coordinate-descent pieces shared by the Lasso-type estimators: the stopping rule, duality
//! gaps, the single-task (weighted-column) Lasso solver and the proximal block step of the
//! l1/l2 penalty.
//!
//! # Scales
//!
//! The estimators state their objectives on the paper's `(1/2n)` scale. The kernels here work
//! on the unnormalised scale (objective multiplied by n): data fit `½‖y − Xc‖²` and penalties
//! `κ = n · penalty`, which keeps the coordinate updates free of divisions by n. Gaps and
//! thresholds cross the boundary by a factor n.
//!
//! # The stopping rule (`tol`)
//!
//! Every solver that has a duality gap stops when
//!
//! ```text
//! gap ≤ tol · max(D₀, floor),   D₀ = (1/2n) Σ_t ‖Y_t‖²  (the data fit at θ = 0),
//! ```
//!
//! with `floor` the smallest positive normal number of the scalar type: an all-zero `Y` then
//! gives an exact stop (gap exactly 0) instead of a zero threshold. The threshold is what
//! [`Fit::tol_threshold`](crate::model::Fit) records. Solvers without a gap (reweighted Lasso,
//! multi-level Lasso) stop on the relative change of the coefficients instead, see their docs.

use nalgebra::{DMatrix, DVector};

use crate::error::{Error, Result};
use crate::model::fit::Fit;
use crate::model::problem::Problem;
use crate::model::prox::{block_soft_threshold, soft_threshold};
use crate::scalar::Scalar;
use crate::validate;

/// The data fit at θ = 0: `D₀ = (1/2n) Σ_t ‖Y_t‖²`.
pub fn null_datafit<T: Scalar>(problem: &Problem<T>) -> T {
    let n = T::of_usize(problem.n_samples());
    let total = problem.targets().iter().fold(T::zero(), |acc, y| acc + y.norm_squared());
    total / (n + n)
}

/// The gap threshold `tol · max(D₀, floor)` on the `(1/2n)` scale (see the module doc).
pub fn gap_threshold<T: Scalar>(tol: T, problem: &Problem<T>) -> T {
    tol * null_datafit(problem).max(T::min_positive())
}

/// The unnormalised penalty `κ = n · penalty` used by the kernels. Every solver and every
/// `*_max` helper goes through this one function, so that "penalty ≥ its max" and "the solver
/// sees a zero gradient test pass" agree to the last bit.
#[inline]
pub fn kappa<T: Scalar>(n_samples: usize, penalty: T) -> T {
    T::of_usize(n_samples) * penalty
}

/// The smallest `penalty ≥ start` (up to a few ulps) such that `kappa(n, penalty / divisor)`
/// is at least `bound`: rounds the analytic `*_max` value so that the solver's own test
/// accepts it.
pub fn round_up_max<T: Scalar>(start: T, divisor: T, n_samples: usize, bound: T) -> T {
    let mut value = start;
    for _ in 0..16 {
        if kappa(n_samples, value / divisor) >= bound {
            break;
        }
        value += value * T::epsilon_machine();
    }
    value
}

/// Returns `value`, or [`Error::Numerical`] naming `what` if it is NaN or infinite.
pub fn ensure_finite<T: Scalar>(what: &str, value: T) -> Result<T> {
    if value.finite() {
        Ok(value)
    } else {
        Err(Error::Numerical(format!("{what} is {value}")))
    }
}

/// Checks a penalty: finite and ≥ 0, else [`Error::Parameter`].
pub fn check_penalty<T: Scalar>(name: &str, value: T) -> Result<()> {
    validate::nonnegative(name, value)
}

/// Checks a tolerance: finite and ≥ 0, else [`Error::Parameter`].
pub fn check_tol<T: Scalar>(tol: T) -> Result<()> {
    validate::nonnegative("tol", tol)
}

/// The starting coefficients: `start.coef` (checked: p × T, finite; projected onto θ ≥ 0 when
/// `positive`), or zeros.
pub fn start_coef<T: Scalar>(
    problem: &Problem<T>,
    start: Option<&Fit<T>>,
    positive: bool,
) -> Result<DMatrix<T>> {
    let (p, n_tasks) = (problem.n_features(), problem.n_tasks());
    match start {
        None => Ok(DMatrix::zeros(p, n_tasks)),
        Some(fit) => checked_start(problem, "start.coef", &fit.coef, positive),
    }
}

/// Checks a start matrix (shape and finiteness) and projects it onto θ ≥ 0 if `positive`.
pub fn checked_start<T: Scalar>(
    problem: &Problem<T>,
    what: &str,
    coef: &DMatrix<T>,
    positive: bool,
) -> Result<DMatrix<T>> {
    problem.check_coef(what, coef)?;
    validate::finite_matrix(what, coef)?;
    if positive {
        Ok(coef.map(|v| v.max(T::zero())))
    } else {
        Ok(coef.clone())
    }
}

/// Logs the standard non-convergence warning.
pub fn warn_not_converged<T: Scalar>(model: &str, iterations: usize, criterion: T, threshold: T) {
    log::warn!(
        "{model}: not converged after {iterations} iterations (stopping criterion \
         {criterion:.3e} > threshold {threshold:.3e}); raise max_iter or tol"
    );
}

/// Relative change `max|a − b| / max(1, max|a|, max|b|)`, the stopping criterion of the
/// solvers without a duality gap.
pub fn relative_change<T: Scalar>(a: &DMatrix<T>, b: &DMatrix<T>) -> T {
    let diff = a.iter().zip(b.iter()).fold(T::zero(), |acc, (&x, &y)| acc.max((x - y).abs()));
    let scale = T::one().max(a.amax()).max(b.amax());
    diff / scale
}

/// The design with column j multiplied by `weights[j]`: `X diag(w)`.
pub fn scale_columns<T: Scalar>(x: &DMatrix<T>, weights: &[T]) -> DMatrix<T> {
    let mut scaled = x.clone();
    for (j, mut col) in scaled.column_iter_mut().enumerate() {
        col *= weights[j];
    }
    scaled
}

/// The default tolerance of inner Lasso solves in the alternating and reweighted solvers:
/// `max(tol_default / 100, 100 ε)` (`1e-10` in f64, about `1.2e-5` in f32).
pub fn default_inner_tol<T: Scalar>() -> T {
    (T::default_tol() * T::of_f64(0.01)).max(T::of_f64(100.0) * T::epsilon_machine())
}

/// Squared column norms `‖X_j‖²` of a design.
pub fn column_sq_norms<T: Scalar>(x: &DMatrix<T>) -> Vec<T> {
    x.column_iter().map(|col| col.norm_squared()).collect()
}

/// Block Lipschitz constants `L_j = max_t ‖X_tj‖²` from per-task squared column norms.
pub fn block_lipschitz<T: Scalar>(col_sq: &[Vec<T>]) -> Vec<T> {
    let p = col_sq.first().map_or(0, Vec::len);
    (0..p).map(|j| col_sq.iter().fold(T::zero(), |acc, norms| acc.max(norms[j]))).collect()
}

/// Gradients of the unnormalised data fit at the residuals: `G_jt = X_tjᵀ R_t` (p × T).
pub fn correlations<T: Scalar>(designs: &[DMatrix<T>], resids: &[DVector<T>]) -> DMatrix<T> {
    let p = designs.first().map_or(0, DMatrix::ncols);
    let mut grads = DMatrix::zeros(p, designs.len());
    for (t, (x, r)) in designs.iter().zip(resids).enumerate() {
        grads.set_column(t, &x.tr_mul(r));
    }
    grads
}

/// The part of a correlation that a dual constraint bounds: `|g|`, or `max(g, 0)` when the
/// primal variable is constrained to be non-negative.
#[inline]
pub fn dual_part<T: Scalar>(g: T, positive: bool) -> T {
    if positive {
        g.max(T::zero())
    } else {
        g.abs()
    }
}

/// The l2 norm of row j of the correlations (positive parts when `positive`), summed in task
/// order; shared by the group solvers and `mu_max` so both see the same bits.
pub fn row_dual_norm<T: Scalar>(grads: &DMatrix<T>, j: usize, positive: bool) -> T {
    let sq = (0..grads.ncols()).fold(T::zero(), |acc, t| {
        let g = dual_part(grads[(j, t)], positive);
        acc + g * g
    });
    sq.sqrt()
}

/// The factor `s ≥ 1` that rescales residuals into a dual ball: the max over constraints of
/// `a / κ` for the constraints `a ≤ κ` that are violated.
#[derive(Clone, Copy, Debug)]
pub struct DualScale<T: Scalar>(T);

impl<T: Scalar> DualScale<T> {
    /// Starts at `s = 1`.
    pub fn new() -> Self {
        DualScale(T::one())
    }

    /// Accounts for the constraint `a ≤ κ`; with `κ = 0` and `a > 0` the scale becomes
    /// infinite (the dual point is then 0).
    pub fn push(&mut self, a: T, kappa: T) {
        if a > kappa {
            let ratio = if kappa > T::zero() { a / kappa } else { T::max_finite() };
            self.0 = self.0.max(ratio);
        }
    }

    /// The scale s.
    pub fn value(self) -> T {
        self.0
    }

    /// The dual objective `½‖y‖² − ½‖y − r/s‖²` at the rescaled residual (unnormalised).
    pub fn dual_objective(self, y: &DVector<T>, r: &DVector<T>) -> T {
        let half = T::of_f64(0.5);
        if self.0 == T::one() {
            // Exact when r = y (θ = 0): the difference is then exactly zero.
            return half * (y.norm_squared() - (y - r).norm_squared());
        }
        if self.0 >= T::max_finite() {
            return T::zero();
        }
        let inv = T::one() / self.0;
        let dist = y.iter().zip(r.iter()).fold(T::zero(), |acc, (&yi, &ri)| {
            let d = yi - ri * inv;
            acc + d * d
        });
        half * (y.norm_squared() - dist)
    }
}

impl<T: Scalar> Default for DualScale<T> {
    fn default() -> Self {
        Self::new()
    }
}

/// What one single-task Lasso solve returns (unnormalised scale).
#[derive(Clone, Debug)]
pub struct TaskSolve<T: Scalar> {
    /// Epochs (full passes over the features) performed.
    pub epochs: usize,
    /// Primal objective `½‖r‖² + κ‖c‖₁` at the returned point.
    pub primal: T,
    /// Duality gap at the returned point.
    pub gap: T,
    /// Primal objective after each epoch.
    pub trace: Vec<T>,
    /// Whether `gap ≤ threshold` was met.
    pub converged: bool,
}

/// Primal value and duality gap of `½‖y − Xc‖² + κ‖c‖₁` (`c ≥ 0` if `positive`) at `coef`
/// with residual `r = y − X coef`; the dual point is `r / s`, with s the smallest factor ≥ 1
/// making `|X_jᵀ r| / s ≤ κ` (one-sided when `positive`).
pub fn lasso_gap<T: Scalar>(
    x: &DMatrix<T>,
    y: &DVector<T>,
    resid: &DVector<T>,
    coef: &DVector<T>,
    kappa: T,
    positive: bool,
) -> Result<(T, T)> {
    let half = T::of_f64(0.5);
    let mut scale = DualScale::new();
    for g in x.tr_mul(resid).iter() {
        scale.push(dual_part(*g, positive), kappa);
    }

    let l1 = coef.iter().fold(T::zero(), |acc, c| acc + c.abs());
    let primal = ensure_finite("Lasso primal objective", half * resid.norm_squared() + kappa * l1)?;
    let dual = ensure_finite("Lasso dual objective", scale.dual_objective(y, resid))?;
    let gap = ensure_finite("Lasso duality gap", primal - dual)?;
    Ok((primal, gap))
}

/// Cyclic coordinate descent for `min_c ½‖y − Xc‖² + κ‖c‖₁` (with `c ≥ 0` if `positive`),
/// in place: `coef` is the start, `resid` must equal `y − X coef` on entry and is kept equal.
///
/// The update of coordinate j is exact:
/// `c_j ← S_κ(X_jᵀ r + ‖X_j‖² c_j) / ‖X_j‖²` (S the soft-thresholding); a zero column is
/// skipped (its coefficient set to 0, the only minimiser when κ > 0). The gap is checked
/// before the first epoch (so an optimal start costs no epoch) and after every epoch; the
/// solve stops when `gap ≤ threshold` (unnormalised) or after `max_epochs`.
#[allow(clippy::too_many_arguments)]
pub fn lasso_task<T: Scalar>(
    x: &DMatrix<T>,
    y: &DVector<T>,
    col_sq: &[T],
    kappa: T,
    positive: bool,
    coef: &mut DVector<T>,
    resid: &mut DVector<T>,
    threshold: T,
    max_epochs: usize,
) -> Result<TaskSolve<T>> {
    let (mut primal, mut gap) = lasso_gap(x, y, resid, coef, kappa, positive)?;
    let mut trace = Vec::new();
    let mut epochs = 0;

    while gap > threshold && epochs < max_epochs {
        // 1. One pass of exact coordinate updates.
        for (j, &l) in col_sq.iter().enumerate() {
            if l == T::zero() {
                coef[j] = T::zero();
                continue;
            }
            let xj = x.column(j);
            let old = coef[j];
            let new = soft_threshold(xj.dot(resid) + l * old, kappa, positive) / l;
            if new != old {
                resid.axpy(old - new, &xj, T::one());
                coef[j] = new;
            }
        }
        epochs += 1;

        // 2. Certificate.
        (primal, gap) = lasso_gap(x, y, resid, coef, kappa, positive)?;
        trace.push(primal);
    }

    Ok(TaskSolve { epochs, primal, gap, trace, converged: gap <= threshold })
}

/// One proximal block-gradient step on row j of `coef` for `½ Σ_t ‖R_t‖² + κ‖θ_j‖₂`:
///
/// ```text
/// θ_j ← BST(θ_j + g_j / L_j, κ / L_j),   g_jt = X_tjᵀ R_t,   L_j = max_t ‖X_tj‖²,
/// ```
///
/// with BST the block soft-thresholding (on the positive part when `positive`), and the
/// residuals `R_t` updated. `L_j = 0` (feature absent from every design) sets the row to 0.
/// `block` is scratch space of length T.
#[allow(clippy::too_many_arguments)]
pub fn group_block_step<T: Scalar>(
    designs: &[DMatrix<T>],
    resids: &mut [DVector<T>],
    coef: &mut DMatrix<T>,
    j: usize,
    lipschitz: T,
    kappa: T,
    positive: bool,
    block: &mut [T],
) {
    if lipschitz == T::zero() {
        coef.row_mut(j).fill(T::zero());
        return;
    }

    for (t, b) in block.iter_mut().enumerate() {
        *b = coef[(j, t)] + designs[t].column(j).dot(&resids[t]) / lipschitz;
    }
    block_soft_threshold(block, kappa / lipschitz, positive);

    for (t, &new) in block.iter().enumerate() {
        let old = coef[(j, t)];
        if new != old {
            resids[t].axpy(old - new, &designs[t].column(j), T::one());
            coef[(j, t)] = new;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ensure_finite_names_the_quantity() {
        let err = ensure_finite("duality gap", f64::NAN).unwrap_err();
        assert!(matches!(&err, Error::Numerical(m) if m.contains("duality gap")));
        assert!(ensure_finite("x", f32::INFINITY).is_err());
        assert_eq!(ensure_finite("x", 1.5f64).unwrap(), 1.5);
    }

    #[test]
    fn nan_residual_never_becomes_a_gap() {
        // Problem::new rejects NaN input, so feed the kernel directly.
        let x = DMatrix::from_row_slice(2, 2, &[1.0, 0.0, 0.0, 1.0]);
        let y = DVector::from_vec(vec![1.0, 2.0]);
        let resid = DVector::from_vec(vec![f64::NAN, 2.0]);
        let coef = DVector::zeros(2);
        let err = lasso_gap(&x, &y, &resid, &coef, 0.1, false).unwrap_err();
        assert!(matches!(err, Error::Numerical(_)));

        let mut coef = DVector::zeros(2);
        let mut resid = resid.clone();
        let cols = column_sq_norms(&x);
        let out = lasso_task(&x, &y, &cols, 0.1, false, &mut coef, &mut resid, 1e-12, 100);
        assert!(matches!(out, Err(Error::Numerical(_))));
    }

    #[test]
    fn dual_scale_with_zero_kappa() {
        let mut s = DualScale::<f64>::new();
        s.push(0.0, 0.0);
        assert_eq!(s.value(), 1.0);
        s.push(1.0, 0.0);
        let y = DVector::from_vec(vec![1.0, 1.0]);
        assert_eq!(s.dual_objective(&y, &y), 0.0);
    }

    #[test]
    fn lasso_task_solves_orthogonal_design() {
        // With X = I the solution is the soft-thresholded target.
        let x = DMatrix::<f64>::identity(3, 3);
        let y = DVector::from_vec(vec![3.0, -0.5, -2.0]);
        let mut coef = DVector::zeros(3);
        let mut resid = y.clone();
        let cols = column_sq_norms(&x);
        let out = lasso_task(&x, &y, &cols, 1.0, false, &mut coef, &mut resid, 1e-14, 10).unwrap();
        assert!(out.converged);
        assert_eq!(coef.as_slice(), &[2.0, 0.0, -1.0]);
        assert!(out.gap.abs() < 1e-14);
    }
}
