//! Dense kernel in the log domain: one shifted gemm for all tasks, with an exact fallback.

use nalgebra::DMatrix;

use super::{
    exp_or_zero, lse_by, lse_pairs, max_of, neg_inf, neg_over_eps, shifted_floor, shifted_ok,
    Domain, Kernel,
};
use crate::scalar::Scalar;

/// Products with fewer task columns are padded to this many (see `LogDenseKernel::product`).
const MIN_GEMM_COLS: usize = 6;

/// `out_i = LSE_j(L_ij + x_j)` (and the transpose) for `L = −M/ε`, stable for any ε.
///
/// Evaluated by the shifted scaling of the [module documentation](super): per task column,
/// `s = max_j x_j`, `e_j = exp(x_j − s)`, then `out = s + ln(K e)` with `K = exp(L)`, one
/// matrix product for all tasks (`Kᵀ e` is computed as `(eᵀ K)ᵀ`). An output whose sum falls
/// below `p · min_positive / ε_mach` (or is not finite) is recomputed alone by the exact
/// two-pass log-sum-exp over its column (over the finite inputs only when they are few),
/// reading its row of `L` (a column of the stored `Lᵀ`, which is `L` itself when `M` is
/// symmetric) or, for `Kᵀ`, its column of `L`.
///
/// Memory: `K` and `L`, plus `Lᵀ` when `M` is not symmetric (2 or 3 p × p matrices).
#[derive(Clone, Debug)]
pub struct LogDenseKernel<T: Scalar> {
    k: DMatrix<T>,
    l: DMatrix<T>,
    /// `Lᵀ`, or `None` when `L` is symmetric.
    lt: Option<DMatrix<T>>,
}

impl<T: Scalar> LogDenseKernel<T> {
    /// `L = −m/ε` and `K = exp(L)` for a validated metric `m` and `ε > 0`.
    pub fn new(m: &DMatrix<T>, epsilon: T) -> Self {
        let l = neg_over_eps(m, epsilon);
        let k = l.map(|v| v.exp());
        let t = l.transpose();
        let lt = if t == l { None } else { Some(t) };
        LogDenseKernel { k, l, lt }
    }

    /// `out = K e`, or `Kᵀ e` computed as `(eᵀ K)ᵀ`, by nalgebra's gemm.
    ///
    /// nalgebra hands a product to its blocked kernel (matrixmultiply) only when every
    /// dimension exceeds 5, and otherwise multiplies column by column; fewer than
    /// [`MIN_GEMM_COLS`] task columns are therefore padded with zero columns, which costs a few
    /// more flops and is much faster than the column-by-column products for p in the hundreds.
    fn product(&self, e: &DMatrix<T>, out: &mut DMatrix<T>, transpose: bool) {
        let (p, nt) = e.shape();
        let w = nt.max(MIN_GEMM_COLS);
        if transpose {
            let mut et = DMatrix::zeros(w, p);
            et.rows_mut(0, nt).copy_from(&e.transpose());
            let mut ot = DMatrix::zeros(w, p);
            ot.gemm(T::one(), &et, &self.k, T::zero());
            out.copy_from(&ot.rows(0, nt).transpose());
        } else if w == nt {
            out.fill(T::zero());
            out.gemm(T::one(), &self.k, e, T::zero());
        } else {
            let mut ep = DMatrix::zeros(p, w);
            ep.columns_mut(0, nt).copy_from(e);
            let mut o = DMatrix::zeros(p, w);
            o.gemm(T::one(), &self.k, &ep, T::zero());
            out.copy_from(&o.columns(0, nt));
        }
    }

    fn apply_with(&self, x: &DMatrix<T>, out: &mut DMatrix<T>, transpose: bool) {
        let (p, nt) = x.shape();
        let ninf = neg_inf::<T>();
        // Column maxima and the shifted exponentials (0 in a column of −∞ only).
        let ln_min = T::min_positive().ln();
        let mut shift = vec![ninf; nt];
        let mut e = DMatrix::zeros(p, nt);
        for (t, s) in shift.iter_mut().enumerate() {
            let xt = x.column(t);
            let xt = xt.as_slice();
            *s = max_of(xt);
            if *s != ninf {
                for (ej, &v) in e.column_mut(t).as_mut_slice().iter_mut().zip(xt) {
                    *ej = exp_or_zero(v - *s, ln_min);
                }
            }
        }
        self.product(&e, out, transpose);
        // Output i reads row i of L (apply) or column i of L (transpose) in the fallback.
        let rows = if transpose { &self.l } else { self.lt.as_ref().unwrap_or(&self.l) };
        let floor = shifted_floor::<T>(p);
        for (t, &s) in shift.iter().enumerate() {
            let xt = x.column(t);
            let xt = xt.as_slice();
            // Indices of the finite inputs, found on the first fallback of the column; a
            // column with few of them is summed over those only.
            let mut active: Option<Vec<usize>> = None;
            for (i, y) in out.column_mut(t).iter_mut().enumerate() {
                *y = if s == ninf {
                    ninf
                } else if shifted_ok(*y, s, floor) {
                    s + y.ln()
                } else {
                    let li = &rows.as_slice()[i * p..(i + 1) * p];
                    let idx =
                        active.get_or_insert_with(|| (0..p).filter(|&j| xt[j] != ninf).collect());
                    if 4 * idx.len() > p {
                        lse_pairs(li, xt)
                    } else {
                        lse_by(idx.len(), |m| li[idx[m]] + xt[idx[m]])
                    }
                };
            }
        }
    }
}

impl<T: Scalar> Kernel<T> for LogDenseKernel<T> {
    fn n_features(&self) -> usize {
        self.l.nrows()
    }

    fn domain(&self) -> Domain {
        Domain::Log
    }

    fn name(&self) -> &'static str {
        "log-dense"
    }

    fn apply(&self, x: &DMatrix<T>, out: &mut DMatrix<T>) {
        self.apply_with(x, out, false);
    }

    fn apply_transpose(&self, x: &DMatrix<T>, out: &mut DMatrix<T>) {
        self.apply_with(x, out, true);
    }
}
