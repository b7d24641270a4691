//! Separable grid kernel in the log domain: shifted per-axis products with an exact fallback.

use nalgebra::DMatrix;

use super::separable::apply_axis;
use super::{
    axis_split, exp_or_zero, lse_by, neg_inf, neg_over_eps, shifted_floor, shifted_ok, Domain,
    Kernel,
};
use crate::ot::GridMetric;
use crate::scalar::Scalar;

/// `log K exp(·)` for `K = ⊗_a exp(L_a)`, `L_a = −F_a/ε`, as d successive axis-wise log-sum-exps
/// (exact, since the kernel factorises): memory O(Σ n_a²), time O(p Σ n_a) per task.
///
/// Each axis pass works line by line (a line: the `n_a` entries that differ only in the axis-a
/// index, for one task) with the shifted scaling of the [module documentation](super): with
/// `s` the line maximum, `out_i = s + ln Σ_k exp(L_a)_ik exp(x_k − s)`, the sums for all lines
/// being the products of the scaling-domain [`super::SeparableKernel`]. An output whose sum
/// falls below `n_a · min_positive / ε_mach` (or is not finite) is recomputed alone by the
/// exact two-pass log-sum-exp over its line. Between axes the intermediate is held as
/// logarithms, so every axis pass shifts by its own line maxima.
#[derive(Clone, Debug)]
pub struct LogSeparableKernel<T: Scalar> {
    shape: Vec<usize>,
    p: usize,
    /// `exp(L_a)` and its transpose, per axis.
    k: Vec<DMatrix<T>>,
    kt: Vec<DMatrix<T>>,
    /// `L_a` and `L_aᵀ`, per axis (column `i` of one is row `i` of the other).
    l: Vec<DMatrix<T>>,
    lt: Vec<DMatrix<T>>,
}

impl<T: Scalar> LogSeparableKernel<T> {
    /// Builds the per-axis log kernels of a validated grid metric.
    pub fn new(grid: &GridMetric<T>, epsilon: T) -> Self {
        let l: Vec<DMatrix<T>> = grid.factors.iter().map(|f| neg_over_eps(f, epsilon)).collect();
        let lt: Vec<DMatrix<T>> = l.iter().map(|m| m.transpose()).collect();
        let k: Vec<DMatrix<T>> = l.iter().map(|m| m.map(|v| v.exp())).collect();
        let kt = k.iter().map(|m| m.transpose()).collect();
        LogSeparableKernel { shape: grid.shape.clone(), p: grid.n_features(), k, kt, l, lt }
    }

    fn apply_with(&self, x: &DMatrix<T>, out: &mut DMatrix<T>, transpose: bool) {
        let ntasks = x.ncols();
        let d = self.shape.len();
        // Axis a applies mats[a]; its rows are the columns of rows[a].
        let (mats, mats_t, rows) =
            if transpose { (&self.kt, &self.k, &self.l) } else { (&self.k, &self.kt, &self.lt) };
        let mut buf = AxisBuffers { e: vec![T::zero(); self.p * ntasks], shift: Vec::new() };
        let mut scratch = vec![T::zero(); self.p * ntasks];
        let mut src: Vec<T> = x.as_slice().to_vec();
        for a in 0..d {
            let dst: &mut [T] = if a == d - 1 { out.as_mut_slice() } else { &mut scratch };
            let axis = Axis { ntasks, shape: &self.shape, a, mat: &mats[a], mat_t: &mats_t[a] };
            lse_axis(&src, dst, &axis, &rows[a], &mut buf);
            if a != d - 1 {
                std::mem::swap(&mut src, &mut scratch);
            }
        }
    }
}

/// One axis pass: which axis of which shape, and the factor `exp(L_a)` (and its transpose).
struct Axis<'a, T: Scalar> {
    ntasks: usize,
    shape: &'a [usize],
    a: usize,
    mat: &'a DMatrix<T>,
    mat_t: &'a DMatrix<T>,
}

/// Work space reused by the axis passes: the shifted exponentials and the line maxima.
struct AxisBuffers<T> {
    e: Vec<T>,
    shift: Vec<T>,
}

/// `dst[o, i, r] = LSE_k(L[i, k] + src[o, k, r])` on axis `a`, for every outer block (tasks
/// are consecutive outer blocks); `rows` holds row `i` of `L` as its column `i`.
fn lse_axis<T: Scalar>(
    src: &[T],
    dst: &mut [T],
    axis: &Axis<'_, T>,
    rows: &DMatrix<T>,
    buf: &mut AxisBuffers<T>,
) {
    let (_, n, inner) = axis_split(axis.shape, axis.a);
    let ninf = neg_inf::<T>();
    let len = n * inner;
    let ln_min = T::min_positive().ln();
    let nblocks = src.len() / len;
    // Line maxima s[o, r] and e[o, k, r] = exp(src[o, k, r] − s[o, r]) (0 on an all −∞ line).
    buf.shift.clear();
    buf.shift.resize(nblocks * inner, ninf);
    for ((sb, eb), sh) in src
        .chunks_exact(len)
        .zip(buf.e.chunks_exact_mut(len))
        .zip(buf.shift.chunks_exact_mut(inner))
    {
        for xk in sb.chunks_exact(inner) {
            for (m, &v) in sh.iter_mut().zip(xk) {
                *m = m.max(v);
            }
        }
        for (ek, xk) in eb.chunks_exact_mut(inner).zip(sb.chunks_exact(inner)) {
            for ((e, &v), &m) in ek.iter_mut().zip(xk).zip(sh.iter()) {
                *e = if m == ninf { T::zero() } else { exp_or_zero(v - m, ln_min) };
            }
        }
    }
    apply_axis(&buf.e, dst, axis.ntasks, axis.shape, axis.a, axis.mat, axis.mat_t);
    let floor = shifted_floor::<T>(n);
    for ((sb, db), sh) in
        src.chunks_exact(len).zip(dst.chunks_exact_mut(len)).zip(buf.shift.chunks_exact(inner))
    {
        for (i, di) in db.chunks_exact_mut(inner).enumerate() {
            for (r, (y, &s)) in di.iter_mut().zip(sh).enumerate() {
                *y = if s == ninf {
                    ninf
                } else if shifted_ok(*y, s, floor) {
                    s + y.ln()
                } else {
                    let li = &rows.as_slice()[i * n..(i + 1) * n];
                    lse_by(n, |k| li[k] + sb[k * inner + r])
                };
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
        self.apply_with(x, out, false);
    }

    fn apply_transpose(&self, x: &DMatrix<T>, out: &mut DMatrix<T>) {
        self.apply_with(x, out, true);
    }
}
