//! The Gibbs kernel truncated to its significant entries, stored sparsely (CSR of `K` and of
//! `Kᵀ`), in the scaling domain.

use nalgebra::DMatrix;
use rayon::prelude::*;

use super::truncation::{kept_entries, threshold_log};
use super::{Domain, Kernel};
use crate::error::{Error, Result};
use crate::ot::GroundMetric;
use crate::scalar::Scalar;
use crate::validate::positive;

/// Below this many multiply-adds per apply the product runs on one thread.
const PARALLEL_WORK: usize = 1 << 16;

/// A p × p matrix in compressed sparse row form.
#[derive(Clone, Debug)]
struct Csr<T> {
    row_ptr: Vec<usize>,
    col: Vec<u32>,
    val: Vec<T>,
}

impl<T: Scalar> Csr<T> {
    /// From `(i, j, v)` triplets sorted by `(i, j)`.
    fn from_sorted(p: usize, entries: &[(u32, u32, T)]) -> Self {
        let mut row_ptr = vec![0usize; p + 1];
        for &(i, _, _) in entries {
            row_ptr[i as usize + 1] += 1;
        }
        for i in 0..p {
            row_ptr[i + 1] += row_ptr[i];
        }
        Csr {
            row_ptr,
            col: entries.iter().map(|e| e.1).collect(),
            val: entries.iter().map(|e| e.2).collect(),
        }
    }

    /// `out_k = Σ val x_col` over row `start + k` of the matrix, for one column `x`.
    fn mul_rows(&self, x: &[T], start: usize, out: &mut [T]) {
        for (k, o) in out.iter_mut().enumerate() {
            let i = start + k;
            let (a, b) = (self.row_ptr[i], self.row_ptr[i + 1]);
            let mut s = T::zero();
            for (&c, &v) in self.col[a..b].iter().zip(&self.val[a..b]) {
                s += v * x[c as usize];
            }
            *o = s;
        }
    }

    /// `out = A x` for every column of the p × T block.
    fn mul_block(&self, x: &DMatrix<T>, out: &mut DMatrix<T>) {
        let p = x.nrows();
        let work = self.val.len() * x.ncols();
        let xs = x.as_slice();
        let os = out.as_mut_slice();
        if work < PARALLEL_WORK {
            for (xc, oc) in xs.chunks_exact(p).zip(os.chunks_exact_mut(p)) {
                self.mul_rows(xc, 0, oc);
            }
        } else {
            // Rows in blocks of every task: each block writes its own disjoint output slice.
            const BLOCK: usize = 256;
            os.par_chunks_mut(p).zip(xs.par_chunks(p)).for_each(|(oc, xc)| {
                oc.par_chunks_mut(BLOCK).enumerate().for_each(|(b, piece)| {
                    self.mul_rows(xc, b * BLOCK, piece);
                });
            });
        }
    }
}

/// `K = exp(−M/ε)` with the entries below a per-row/column relative threshold dropped, so that
/// for every `x ≥ 0`
///
/// ```text
/// ‖K x − K̃ x‖_∞ ≤ τ ‖K x‖_∞   and   ‖Kᵀ x − K̃ᵀ x‖_∞ ≤ τ ‖Kᵀ x‖_∞
/// ```
///
/// (derivation, and the componentwise form, in [`truncation`](super::truncation)). The default
/// `τ` is the machine epsilon of `T`: the truncation is then no larger, in this norm, than one
/// rounding of the largest output. Entries of outputs much smaller than the largest one are
/// only accurate to `τ ‖K x‖_∞` in absolute terms.
///
/// Storage: `K̃` and `K̃ᵀ` in CSR form, `2 nnz (size_of::<T>() + 4) + 16 (p + 1)` bytes; every
/// apply costs `2 nnz` flops per task. With `ε = median(M)/p` on a 2-D grid `nnz/p` is a few
/// tens, independent of p. Building never forms a dense p × p kernel; a grid metric is walked
/// row by row without forming M either.
///
/// # Limits (why `Auto` does not use it)
///
/// The bound is normwise. In the unbalanced barycenter the scalings `u`, `v` span many orders
/// of magnitude where the inputs are localised or ε is small (ε = median(M)/p), so an output
/// far from the mass can be dominated by dropped entries meeting huge scalings. The
/// certificate ([`Kernel::uncertified`]) detects this and the solve stops with
/// [`Error::Numerical`]; it does so on 6 of the 9 reference cases in f64 (tests/ot_sparse.rs)
/// and at ε = median/p even for broadly supported inputs on a 12 × 12 grid. Not done: the
/// remedy is to truncate the *stabilised* kernel `exp((α_i + β_j − M_ij)/ε)` with the current
/// potentials absorbed and the pattern rebuilt when they drift (Schmitzer's stabilised sparse
/// scaling), which needs the barycenter loop to own the absorption.
#[derive(Clone, Debug)]
pub struct SparseTruncatedKernel<T: Scalar> {
    p: usize,
    tau: T,
    certify: T,
    log_inv_delta: T,
    /// `ln(max dropped K_ij)` over row i (a bound from the construction; ≤ `ln(δ R_i)`).
    log_drop_row: Vec<T>,
    /// The same per column j.
    log_drop_col: Vec<T>,
    k: Csr<T>,
    kt: Csr<T>,
}

impl<T: Scalar> SparseTruncatedKernel<T> {
    /// The truncated kernel with the default targets: normwise `τ = ε_mach(T)`, componentwise
    /// certificate `√ε_mach(T)` (see [`SparseTruncatedKernel::with_tolerance`]).
    pub fn new(metric: &GroundMetric<T>, epsilon: T) -> Result<Self> {
        let u = T::epsilon_machine();
        Self::with_tolerance(metric, epsilon, u, u.sqrt())
    }

    /// The truncated kernel with normwise relative error at most `tau` (`0 < tau ≤ 1`), whose
    /// [`Kernel::uncertified`] flags every output `(K̃ x)_i` whose certified componentwise
    /// relative error `D_i ‖x‖_1 / (K̃ x)_i` exceeds `certify` (`0 < certify`), where
    /// `D_i ≤ δ R_i` bounds the dropped entries of row i (the dropped mass is at most
    /// `D_i Σ_{j dropped} x_j ≤ D_i ‖x‖_1`); the barycenter then stops with
    /// [`Error::Numerical`] instead of iterating on values it cannot vouch for.
    ///
    /// Errors: [`Error::Parameter`] for `epsilon ≤ 0`, `tau` outside `(0, 1]`, `certify` not
    /// finite and positive, or more than `u32::MAX` features; the metric's validation errors.
    pub fn with_tolerance(
        metric: &GroundMetric<T>,
        epsilon: T,
        tau: T,
        certify: T,
    ) -> Result<Self> {
        positive("epsilon", epsilon)?;
        if !(tau.finite() && tau > T::zero() && tau <= T::one()) {
            return Err(Error::parameter("truncation tolerance", tau, "must be in (0, 1]"));
        }
        if !(certify.finite() && certify > T::zero()) {
            return Err(Error::parameter(
                "certified relative error",
                certify,
                "must be finite and > 0",
            ));
        }
        metric.validate()?;
        let p = metric.n_features();
        if p > u32::MAX as usize {
            return Err(Error::parameter(
                "number of features",
                p,
                "the sparse kernel indexes features with 32 bits",
            ));
        }
        let log_inv_delta = threshold_log(metric, epsilon, tau);
        let kept = kept_entries(metric, epsilon * log_inv_delta);
        let log_drop_row = kept.drop_row_min.iter().map(|&m| -(m / epsilon)).collect();
        let log_drop_col = kept.drop_col_min.iter().map(|&m| -(m / epsilon)).collect();
        let mut entries: Vec<(u32, u32, T)> =
            kept.entries.into_iter().map(|(i, j, m)| (i, j, (-(m / epsilon)).exp())).collect();
        let k = Csr::from_sorted(p, &entries);
        for e in entries.iter_mut() {
            std::mem::swap(&mut e.0, &mut e.1);
        }
        entries.sort_unstable_by_key(|e| (e.0, e.1));
        let kt = Csr::from_sorted(p, &entries);
        Ok(SparseTruncatedKernel {
            p,
            tau,
            certify,
            log_inv_delta,
            log_drop_row,
            log_drop_col,
            k,
            kt,
        })
    }

    /// Number of stored entries of `K̃`.
    pub fn nnz(&self) -> usize {
        self.k.val.len()
    }

    /// The guaranteed normwise relative error `τ`.
    pub fn tolerance(&self) -> T {
        self.tau
    }

    /// `ln(1/δ)`: entries with `M_ij > ε ln(1/δ) + max(min_k M_ik, min_k M_kj)` are dropped.
    pub fn log_inv_threshold(&self) -> T {
        self.log_inv_delta
    }

    /// Per row i of `K` (or per column when `transpose`): `ln` of an upper bound on every
    /// dropped entry (`−∞` where nothing is dropped is not used: the bound is then
    /// `exp(−max_finite/ε)`, harmless).
    pub fn log_max_dropped(&self, transpose: bool) -> &[T] {
        if transpose {
            &self.log_drop_col
        } else {
            &self.log_drop_row
        }
    }

    /// Bytes held by the two CSR matrices.
    pub fn storage_bytes(&self) -> usize {
        2 * (self.nnz() * (std::mem::size_of::<T>() + 4) + (self.p + 1) * 8)
    }

    /// The stored `K̃` as a dense matrix (for tests and small problems).
    pub fn to_dense(&self) -> DMatrix<T> {
        let mut d = DMatrix::zeros(self.p, self.p);
        for i in 0..self.p {
            for k in self.k.row_ptr[i]..self.k.row_ptr[i + 1] {
                d[(i, self.k.col[k] as usize)] = self.k.val[k];
            }
        }
        d
    }
}

impl<T: Scalar> Kernel<T> for SparseTruncatedKernel<T> {
    fn n_features(&self) -> usize {
        self.p
    }

    fn domain(&self) -> Domain {
        Domain::Scaling
    }

    fn name(&self) -> &'static str {
        "sparse-truncated"
    }

    fn apply(&self, x: &DMatrix<T>, out: &mut DMatrix<T>) {
        self.k.mul_block(x, out);
    }

    fn apply_transpose(&self, x: &DMatrix<T>, out: &mut DMatrix<T>) {
        self.kt.mul_block(x, out);
    }

    fn uncertified(
        &self,
        x: &DMatrix<T>,
        out: &DMatrix<T>,
        transpose: bool,
        expected: &dyn Fn(usize, usize) -> bool,
    ) -> Option<(usize, usize, T)> {
        let log_drop = if transpose { &self.log_drop_col } else { &self.log_drop_row };
        let log_cert = self.certify.ln();
        let tiny = T::min_positive();
        for t in 0..x.ncols() {
            let l1: T = x.column(t).iter().copied().fold(T::zero(), |a, b| a + b);
            if l1 == T::zero() {
                continue;
            }
            let log_l1 = l1.ln();
            for i in 0..x.nrows() {
                let y = out[(i, t)];
                // Zero or subnormal outputs are the caller's underflow check.
                if y < tiny || !expected(i, t) {
                    continue;
                }
                let log_bound = log_drop[i] + log_l1 - y.ln();
                if log_bound > log_cert {
                    return Some((i, t, log_bound.exp()));
                }
            }
        }
        None
    }
}
