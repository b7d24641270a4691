//! Dense kernel in the log domain (log-sum-exp), stable for any ε.

use nalgebra::DMatrix;

use super::{finish_lse, lse_cutoff, neg_inf, neg_over_eps, Domain, Kernel};
use crate::scalar::Scalar;

/// Stores `L = −M/ε` (p × p) and computes `out_i = LSE_j(L_ij + x_j)` (and the transpose),
/// subtracting the exact maximum of every sum. Both directions read `L` column by column.
#[derive(Clone, Debug)]
pub struct LogDenseKernel<T: Scalar> {
    l: DMatrix<T>,
}

impl<T: Scalar> LogDenseKernel<T> {
    /// `L = −m/ε` for a validated metric `m` and `ε > 0`.
    pub fn new(m: &DMatrix<T>, epsilon: T) -> Self {
        LogDenseKernel { l: neg_over_eps(m, epsilon) }
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
        let p = self.l.nrows();
        let ninf = neg_inf::<T>();
        let mut mx = vec![ninf; p];
        let mut sum = vec![T::zero(); p];
        let cut = lse_cutoff::<T>(p);
        for t in 0..x.ncols() {
            let xt = x.column(t);
            mx.fill(ninf);
            for j in 0..p {
                let xj = xt[j];
                if xj == ninf {
                    continue;
                }
                let col = self.l.column(j);
                for (m, &lij) in mx.iter_mut().zip(col.iter()) {
                    *m = m.max(lij + xj);
                }
            }
            sum.fill(T::zero());
            for j in 0..p {
                let xj = xt[j];
                if xj == ninf {
                    continue;
                }
                let col = self.l.column(j);
                for ((s, &m), &lij) in sum.iter_mut().zip(&mx).zip(col.iter()) {
                    // Rows with m = −∞ never get here (all their x_j are −∞).
                    let a = lij + xj - m;
                    if a > cut {
                        *s += a.exp();
                    }
                }
            }
            let mut ot = out.column_mut(t);
            for i in 0..p {
                ot[i] = finish_lse(mx[i], sum[i]);
            }
        }
    }

    fn apply_transpose(&self, x: &DMatrix<T>, out: &mut DMatrix<T>) {
        let p = self.l.nrows();
        let ninf = neg_inf::<T>();
        let cut = lse_cutoff::<T>(p);
        for t in 0..x.ncols() {
            let xt = x.column(t);
            for j in 0..p {
                let col = self.l.column(j);
                let mut m = ninf;
                for (&lij, &xi) in col.iter().zip(xt.iter()) {
                    m = m.max(lij + xi);
                }
                let mut s = T::zero();
                if m != ninf {
                    for (&lij, &xi) in col.iter().zip(xt.iter()) {
                        let a = lij + xi - m;
                        if a > cut {
                            s += a.exp();
                        }
                    }
                }
                out[(j, t)] = finish_lse(m, s);
            }
        }
    }
}
