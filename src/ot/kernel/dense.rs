//! `K = exp(−M/ε)` stored densely; all tasks applied by one matrix product.

use nalgebra::DMatrix;

use super::{Domain, Kernel};
use crate::scalar::Scalar;

/// The dense Gibbs kernel `K = exp(−M/ε)` (p × p, built once).
///
/// `K x` is one gemm over the whole p × T block; `Kᵀ x` uses the transposed product on the
/// same storage (no symmetry assumed).
#[derive(Clone, Debug)]
pub struct DenseKernel<T: Scalar> {
    k: DMatrix<T>,
}

impl<T: Scalar> DenseKernel<T> {
    /// `K = exp(−m/ε)` for a validated metric `m` and `ε > 0`.
    pub fn new(m: &DMatrix<T>, epsilon: T) -> Self {
        DenseKernel { k: m.map(|x| (-(x / epsilon)).exp()) }
    }

    /// The stored kernel matrix.
    pub fn matrix(&self) -> &DMatrix<T> {
        &self.k
    }
}

impl<T: Scalar> Kernel<T> for DenseKernel<T> {
    fn n_features(&self) -> usize {
        self.k.nrows()
    }

    fn domain(&self) -> Domain {
        Domain::Scaling
    }

    fn name(&self) -> &'static str {
        "dense"
    }

    fn apply(&self, x: &DMatrix<T>, out: &mut DMatrix<T>) {
        out.fill(T::zero());
        out.gemm(T::one(), &self.k, x, T::zero());
    }

    fn apply_transpose(&self, x: &DMatrix<T>, out: &mut DMatrix<T>) {
        out.fill(T::zero());
        out.gemm_tr(T::one(), &self.k, x, T::zero());
    }
}
