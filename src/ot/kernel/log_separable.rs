//! Separable grid kernel in the log domain: one log-sum-exp per axis.

use nalgebra::DMatrix;

use super::{axis_split, finish_lse, lse_cutoff, neg_inf, neg_over_eps, Domain, Kernel};
use crate::ot::GridMetric;
use crate::scalar::Scalar;

/// Stores `L_a = −F_a/ε` per axis and applies `log K exp(·)` as d successive axis-wise
/// log-sum-exps (exact, since `K = ⊗ exp(L_a)`): memory O(Σ n_a²), time O(p Σ n_a) per task.
#[derive(Clone, Debug)]
pub struct LogSeparableKernel<T: Scalar> {
    shape: Vec<usize>,
    p: usize,
    l: Vec<DMatrix<T>>,
    lt: Vec<DMatrix<T>>,
}

impl<T: Scalar> LogSeparableKernel<T> {
    /// Builds the per-axis log kernels of a validated grid metric.
    pub fn new(grid: &GridMetric<T>, epsilon: T) -> Self {
        let l: Vec<DMatrix<T>> = grid.factors.iter().map(|f| neg_over_eps(f, epsilon)).collect();
        let lt = l.iter().map(|m| m.transpose()).collect();
        LogSeparableKernel { shape: grid.shape.clone(), p: grid.n_features(), l, lt }
    }

    fn apply_with(&self, x: &DMatrix<T>, out: &mut DMatrix<T>, mats: &[DMatrix<T>]) {
        let ntasks = x.ncols();
        let d = self.shape.len();
        let mut scratch = vec![T::zero(); self.p * ntasks];
        let mut src: Vec<T> = x.as_slice().to_vec();
        for (a, mat) in mats.iter().enumerate() {
            let dst: &mut [T] = if a == d - 1 { out.as_mut_slice() } else { &mut scratch };
            lse_axis(&src, dst, &self.shape, a, mat);
            if a != d - 1 {
                std::mem::swap(&mut src, &mut scratch);
            }
        }
    }
}

/// `dst[o, i, r] = LSE_k(mat[i, k] + src[o, k, r])` on axis `a`, for every outer block
/// (tasks are consecutive outer blocks).
fn lse_axis<T: Scalar>(src: &[T], dst: &mut [T], shape: &[usize], a: usize, mat: &DMatrix<T>) {
    let (_, n, inner) = axis_split(shape, a);
    let ninf = neg_inf::<T>();
    let len = n * inner;
    let mut mx = vec![ninf; inner];
    let mut sum = vec![T::zero(); inner];
    let cut = lse_cutoff::<T>(n);
    for (sb, db) in src.chunks_exact(len).zip(dst.chunks_exact_mut(len)) {
        for i in 0..n {
            mx.fill(ninf);
            for k in 0..n {
                let lik = mat[(i, k)];
                for (m, &xv) in mx.iter_mut().zip(&sb[k * inner..(k + 1) * inner]) {
                    *m = m.max(lik + xv);
                }
            }
            sum.fill(T::zero());
            for k in 0..n {
                let lik = mat[(i, k)];
                for ((s, &m), &xv) in sum.iter_mut().zip(&mx).zip(&sb[k * inner..(k + 1) * inner]) {
                    // With m = −∞ the difference is NaN or −∞: skipped (and the output is −∞).
                    let a = lik + xv - m;
                    if a > cut {
                        *s += a.exp();
                    }
                }
            }
            for r in 0..inner {
                db[i * inner + r] = finish_lse(mx[r], sum[r]);
            }
        }
    }
}

impl<T: Scalar> Kernel<T> for LogSeparableKernel<T> {
    fn n_features(&self) -> usize {
        self.p
    }

    fn domain(&self) -> Domain {
        Domain::Log
    }

    fn name(&self) -> &'static str {
        "log-separable"
    }

    fn apply(&self, x: &DMatrix<T>, out: &mut DMatrix<T>) {
        self.apply_with(x, out, &self.l);
    }

    fn apply_transpose(&self, x: &DMatrix<T>, out: &mut DMatrix<T>) {
        self.apply_with(x, out, &self.lt);
    }
}
