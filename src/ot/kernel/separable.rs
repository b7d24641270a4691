//! The Kronecker-structured kernel of a grid metric, applied axis by axis.

use nalgebra::{DMatrix, DMatrixView, DMatrixViewMut};

use super::{axis_split, Domain, Kernel};
use crate::ot::GridMetric;
use crate::scalar::Scalar;

/// `K = K_0 ⊗ K_1 ⊗ … ⊗ K_{d−1}` with `K_a = exp(−F_a/ε)` (`M = Σ_a F_a` separable, features
/// row-major). Never forms p × p: memory O(Σ n_a²), time O(p Σ n_a) per task.
///
/// Axis `a` of a p-vector viewed as an (outer, n_a, inner) row-major array is an
/// `inner × n_a` column-major matrix per outer index, multiplied on the right by `K_aᵀ`;
/// for the last axis (inner = 1) the whole p × T block is an `n_a × (p T / n_a)` matrix
/// multiplied on the left by `K_a` in one product.
#[derive(Clone, Debug)]
pub struct SeparableKernel<T: Scalar> {
    shape: Vec<usize>,
    p: usize,
    k: Vec<DMatrix<T>>,
    kt: Vec<DMatrix<T>>,
}

impl<T: Scalar> SeparableKernel<T> {
    /// Builds the per-axis kernels of a validated grid metric.
    pub fn new(grid: &GridMetric<T>, epsilon: T) -> Self {
        let k: Vec<DMatrix<T>> =
            grid.factors.iter().map(|f| f.map(|x| (-(x / epsilon)).exp())).collect();
        let kt = k.iter().map(|m| m.transpose()).collect();
        SeparableKernel { shape: grid.shape.clone(), p: grid.n_features(), k, kt }
    }

    fn apply_with(
        &self,
        x: &DMatrix<T>,
        out: &mut DMatrix<T>,
        mats: &[DMatrix<T>],
        mats_t: &[DMatrix<T>],
    ) {
        let ntasks = x.ncols();
        let d = self.shape.len();
        // Ping-pong between `out` and one scratch buffer so that the last axis lands in `out`.
        let mut scratch = vec![T::zero(); self.p * ntasks];
        let mut src: Vec<T> = x.as_slice().to_vec();
        for a in 0..d {
            let dst: &mut [T] = if a == d - 1 { out.as_mut_slice() } else { &mut scratch };
            apply_axis(&src, dst, ntasks, &self.shape, a, &mats[a], &mats_t[a]);
            if a != d - 1 {
                std::mem::swap(&mut src, &mut scratch);
            }
        }
    }
}

/// `dst = (I ⊗ … ⊗ mat ⊗ … ⊗ I) src` on axis `a`, for every task.
pub(super) fn apply_axis<T: Scalar>(
    src: &[T],
    dst: &mut [T],
    ntasks: usize,
    shape: &[usize],
    a: usize,
    mat: &DMatrix<T>,
    mat_t: &DMatrix<T>,
) {
    let (outer, n, inner) = axis_split(shape, a);
    if inner == 1 {
        let cols = outer * ntasks;
        let s = DMatrixView::from_slice(src, n, cols);
        let mut o = DMatrixViewMut::from_slice(dst, n, cols);
        o.fill(T::zero());
        o.gemm(T::one(), mat, &s, T::zero());
    } else {
        let len = n * inner;
        for (sb, db) in src.chunks_exact(len).zip(dst.chunks_exact_mut(len)) {
            let s = DMatrixView::from_slice(sb, inner, n);
            let mut o = DMatrixViewMut::from_slice(db, inner, n);
            o.fill(T::zero());
            o.gemm(T::one(), &s, mat_t, T::zero());
        }
    }
}

impl<T: Scalar> Kernel<T> for SeparableKernel<T> {
    fn n_features(&self) -> usize {
        self.p
    }

    fn domain(&self) -> Domain {
        Domain::Scaling
    }

    fn name(&self) -> &'static str {
        "separable"
    }

    fn apply(&self, x: &DMatrix<T>, out: &mut DMatrix<T>) {
        self.apply_with(x, out, &self.k, &self.kt);
    }

    fn apply_transpose(&self, x: &DMatrix<T>, out: &mut DMatrix<T>) {
        // (⊗ K_a)ᵀ = ⊗ K_aᵀ.
        self.apply_with(x, out, &self.kt, &self.k);
    }
}
