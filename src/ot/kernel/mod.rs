//! Gibbs kernels `K = exp(−M/ε)`, stored and applied in one of several ways behind the
//! [`Kernel`] trait.
//!
//! Every kernel acts on a p × T block (column t = task t) at once:
//!
//! * scaling domain ([`Domain::Scaling`]): `out = K x` and `out = Kᵀ x`;
//! * log domain ([`Domain::Log`]): `out_i = log Σ_j K_ij exp(x_j) = LSE_j(−M_ij/ε + x_j)` and
//!   the transpose `out_j = LSE_i(−M_ij/ε + x_i)`. Inputs may be `−∞` (zero scalings); a sum
//!   whose terms are all `−∞` gives `−∞`, never NaN.
//!
//! | strategy | storage | cost per task and apply |
//! |---|---|---|
//! | [`DenseKernel`] | `K`, p × p | one gemm for all tasks: O(p²) |
//! | [`SeparableKernel`] | one `n_a × n_a` factor per axis | O(p Σ n_a) |
//! | [`LogDenseKernel`] | `K`, `−M/ε` (`−Mᵀ/ε` too if not symmetric) | one gemm + O(p) exp, ln |
//! | [`LogSeparableKernel`] | `K_a` and `−M_a/ε` per axis | O(p Σ n_a) + O(p d) exp, ln |
//! | [`SparseTruncatedKernel`] | significant entries of `K` and `Kᵀ` (CSR) | O(nnz) |
//!
//! `M` need not be symmetric: every strategy applies `K` and `Kᵀ` as such.
//!
//! # Log-domain evaluation: shifted scaling with an exact fallback
//!
//! Both log kernels evaluate `out_i = log Σ_k K_ik exp(x_k)` over one *line* of inputs (one
//! task column for [`LogDenseKernel`]; one line along the current axis for
//! [`LogSeparableKernel`]) as
//!
//! ```text
//! s = max_k x_k,   e_k = exp(x_k − s) ∈ [0, 1],   S_i = Σ_k K_ik e_k,   out_i = s + ln S_i
//! ```
//!
//! with `K = exp(−M/ε)` precomputed, the sums `S` being plain (gemm) products as in the
//! scaling domain: one exponential per input and one logarithm per output instead of one
//! exponential per term. `x_k = −∞` gives `e_k = 0`; a line whose inputs are all `−∞`
//! (`s = −∞`) gives `−∞` outputs, never NaN. An `e_k` below `min_positive` is set to 0
//! directly (within the underflow error below). The separable kernel shifts by a power of two
//! instead of `s` itself, which keeps the shifts exact between axes (see its documentation).
//!
//! Every `K_ik`, `e_k` and product is non-negative, so `S_i` has no cancellation: computed
//! terms carry relative rounding errors, and the sum a relative error growing at most linearly
//! with the number of terms, as any sum of non-negative numbers. The one way to lose accuracy
//! is underflow: a `K_ik` (where `M_ik/ε` is large), an `e_k` (far below the line maximum) or a
//! product below `min_positive` is rounded to a subnormal or to 0, an absolute error below
//! `min_positive` per factor. With `K_ik ≤ 1` and `e_k < 2` that is at most `4 min_positive`
//! per term and `4 n · min_positive` over the `n` terms of a sum, even if subnormals are
//! flushed to zero. Hence the **fallback rule**: `S_i` is accepted when it is finite and
//!
//! ```text
//! S_i ≥ n · min_positive / ε_mach          (f64: n · 1.0e-292, f32: n · 9.9e-32)
//! ```
//!
//! where the underflow error is at most `4 ε_mach` relative (with gradual underflow, at most
//! `4 ε_mach²`). Otherwise (or if `s` is `+∞` or NaN) output `i` of that line is recomputed
//! alone, exactly: by the two-pass log-sum-exp over the stored `−M/ε` (its maximum term, then
//! the shifted sum, skipping terms below `lse_cutoff`) in the dense kernel, by the same sum
//! with exponents held apart from the mantissas in the separable kernel. This assumes `M ≥ 0`
//! (so `K_ik ≤ 1`), which [`build_kernel`] checks; a larger `S` that overflows is not finite
//! and falls back too.
//!
//! Cost: an output more than about `ln(ε_mach / (n · min_positive)) ≈ 672 − ln n` (f64) or
//! `71 − ln n` (f32) below the maximum of its line falls back and costs O(n), a sum over its
//! line (the dense kernel visits only the finite inputs of the column when they are few). The
//! separable kernel computes in f64 for either precision, so the f64 figure applies to it.
//! Every other output costs what the scaling domain costs, plus one exponential per input and
//! one logarithm per output.

mod dense;
mod log_dense;
mod log_separable;
mod separable;
mod sparse;
pub mod truncation;

use nalgebra::DMatrix;

pub use dense::DenseKernel;
pub use log_dense::LogDenseKernel;
pub use log_separable::LogSeparableKernel;
pub use separable::SeparableKernel;
pub use sparse::SparseTruncatedKernel;

use crate::error::{Error, Result};
use crate::ot::{GroundMetric, KernelStrategy};
use crate::scalar::Scalar;
use crate::validate::positive;

/// Which quantities a kernel maps: scalings (`K x`) or log-scalings (`log K exp(x)`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Domain {
    /// `out = K x`.
    Scaling,
    /// `out = log(K exp(x))`, computed by log-sum-exp.
    Log,
}

/// A Gibbs kernel for a fixed metric and ε, applied to p × T blocks.
///
/// Implementations are immutable after construction and `Send + Sync`, so one kernel can be
/// shared by threads.
pub trait Kernel<T: Scalar>: Send + Sync + std::fmt::Debug {
    /// Number of features p (the block has p rows).
    fn n_features(&self) -> usize;

    /// Whether [`Kernel::apply`] maps scalings or log-scalings.
    fn domain(&self) -> Domain;

    /// A short name (`"dense"`, `"log-separable"`, …).
    fn name(&self) -> &'static str;

    /// Scaling domain: `out = K x`; log domain: `out_i = LSE_j(−M_ij/ε + x_j)`.
    /// `x` and `out` are p × T; `out` is overwritten.
    fn apply(&self, x: &DMatrix<T>, out: &mut DMatrix<T>);

    /// Scaling domain: `out = Kᵀ x`; log domain: `out_j = LSE_i(−M_ij/ε + x_i)`.
    fn apply_transpose(&self, x: &DMatrix<T>, out: &mut DMatrix<T>);

    /// For approximate scaling-domain kernels: given the input `x` and the output `out` of
    /// [`Kernel::apply`] (or of [`Kernel::apply_transpose`] when `transpose`), the first output
    /// `(i, t)` with `expected(i, t)` whose **certified** componentwise relative error bound
    /// exceeds the kernel's tolerance, with that bound. `None` when every expected output is
    /// certified. Exact kernels (the default) certify everything.
    fn uncertified(
        &self,
        _x: &DMatrix<T>,
        _out: &DMatrix<T>,
        _transpose: bool,
        _expected: &dyn Fn(usize, usize) -> bool,
    ) -> Option<(usize, usize, T)> {
        None
    }
}

/// Builds the kernel of a single (non-`Auto`) strategy for `metric` and `epsilon`.
///
/// Dense strategies on a grid metric use its dense p × p form; separable strategies on a dense
/// metric are an [`Error::Parameter`]. `Auto` is not a single kernel (the barycenter builds a
/// scaling and a log kernel for it): asking for it here is an [`Error::Parameter`].
pub fn build_kernel<T: Scalar>(
    metric: &GroundMetric<T>,
    epsilon: T,
    strategy: KernelStrategy,
) -> Result<Box<dyn Kernel<T>>> {
    positive("epsilon", epsilon)?;
    metric.validate()?;
    Ok(match (strategy, metric) {
        (KernelStrategy::Dense, GroundMetric::Dense(m)) => Box::new(DenseKernel::new(m, epsilon)),
        (KernelStrategy::Dense, g) => Box::new(DenseKernel::new(&g.to_dense(), epsilon)),
        (KernelStrategy::LogDense, GroundMetric::Dense(m)) => {
            Box::new(LogDenseKernel::new(m, epsilon))
        }
        (KernelStrategy::LogDense, g) => Box::new(LogDenseKernel::new(&g.to_dense(), epsilon)),
        (KernelStrategy::Separable, GroundMetric::Grid(g)) => {
            Box::new(SeparableKernel::new(g, epsilon))
        }
        (KernelStrategy::LogSeparable, GroundMetric::Grid(g)) => {
            Box::new(LogSeparableKernel::new(g, epsilon))
        }
        (KernelStrategy::Separable | KernelStrategy::LogSeparable, GroundMetric::Dense(_)) => {
            return Err(Error::parameter(
                "kernel strategy",
                strategy.name(),
                "a separable kernel needs a grid metric (GroundMetric::Grid), not a dense matrix",
            ))
        }
        (KernelStrategy::SparseTruncated, m) => Box::new(SparseTruncatedKernel::new(m, epsilon)?),
        (KernelStrategy::Auto, _) => {
            return Err(Error::parameter(
                "kernel strategy",
                strategy.name(),
                "auto pairs a scaling and a log kernel; build one of them explicitly",
            ))
        }
    })
}

/// `−∞` in `T`.
#[inline]
pub(crate) fn neg_inf<T: Scalar>() -> T {
    T::of_f64(f64::NEG_INFINITY)
}

/// `−m/ε`, clamped to `−max_finite` so that the log kernel never holds `−∞`.
pub(crate) fn neg_over_eps<T: Scalar>(m: &DMatrix<T>, epsilon: T) -> DMatrix<T> {
    let floor = -T::max_finite();
    m.map(|x| (-(x / epsilon)).max(floor))
}

/// Shifted terms `a = L_ij + x_j − max ≤ 0` below this cutoff are skipped in log-sum-exps:
/// their total, at most `n · exp(cut) = ε_mach²` relative to the largest term (which is 1
/// after the shift), is far below the rounding of the sum. Saves most exponentials when
/// `M/ε` is large (small ε), which is where the log domain is needed.
pub(crate) fn lse_cutoff<T: Scalar>(n: usize) -> T {
    let e = T::epsilon_machine().ln();
    e + e - T::of_usize(n.max(1)).ln()
}

/// `log Σ exp(terms)` over pre-shifted terms: `max + ln(sum)`, `−∞` if `max` is `−∞`.
#[inline]
pub(crate) fn finish_lse<T: Scalar>(max: T, sum: T) -> T {
    if max == neg_inf::<T>() {
        max
    } else {
        max + sum.ln()
    }
}

/// The exact log-sum-exp `LSE_k term(k)` over `k < n`, in two passes: the maximum term `m`,
/// then `m + ln Σ exp(term(k) − m)` over the shifted terms above [`lse_cutoff`]. `−∞` when
/// every term is `−∞` (or `n = 0`). `term` is called twice per index.
#[inline]
pub(crate) fn lse_by<T: Scalar>(n: usize, term: impl Fn(usize) -> T) -> T {
    let ninf = neg_inf::<T>();
    let mut m = ninf;
    for k in 0..n {
        m = m.max(term(k));
    }
    if m == ninf {
        return m;
    }
    let cut = lse_cutoff::<T>(n);
    let mut sum = T::zero();
    for k in 0..n {
        let a = term(k) - m;
        if a > cut {
            sum += a.exp();
        }
    }
    finish_lse(m, sum)
}

/// The largest element of `v` (`−∞` if empty; NaN elements are ignored), with four
/// independent running maxima and comparisons instead of `max`, so that it vectorises.
pub(crate) fn max_of<T: Scalar>(v: &[T]) -> T {
    let ninf = neg_inf::<T>();
    let mut mx = [ninf; 4];
    let chunks = v.chunks_exact(4);
    for &x in chunks.remainder() {
        mx[0] = if x > mx[0] { x } else { mx[0] };
    }
    for c in chunks {
        for j in 0..4 {
            mx[j] = if c[j] > mx[j] { c[j] } else { mx[j] };
        }
    }
    mx[0].max(mx[1]).max(mx[2].max(mx[3]))
}

/// [`lse_by`] for the terms `l[k] + x[k]` of two slices of equal length, written so that the
/// compiler can vectorise both passes (four independent maxima, comparisons instead of
/// `max`; a NaN term is ignored by both).
pub(crate) fn lse_pairs<T: Scalar>(l: &[T], x: &[T]) -> T {
    debug_assert_eq!(l.len(), x.len());
    let ninf = neg_inf::<T>();
    let mut mx = [ninf; 4];
    let (lc, xc) = (l.chunks_exact(4), x.chunks_exact(4));
    let (lr, xr) = (lc.remainder(), xc.remainder());
    for (a, b) in lc.zip(xc) {
        for j in 0..4 {
            let v = a[j] + b[j];
            mx[j] = if v > mx[j] { v } else { mx[j] };
        }
    }
    for (&a, &b) in lr.iter().zip(xr) {
        let v = a + b;
        mx[0] = if v > mx[0] { v } else { mx[0] };
    }
    let m = mx[0].max(mx[1]).max(mx[2].max(mx[3]));
    if m == ninf {
        return m;
    }
    let cut = lse_cutoff::<T>(l.len()) + m;
    let mut sum = T::zero();
    for (&a, &b) in l.iter().zip(x) {
        let v = a + b;
        if v > cut {
            sum += (v - m).exp();
        }
    }
    finish_lse(m, sum)
}

/// The smallest shifted sum `S = Σ_k K_ik exp(x_k − s)` of `n` terms that the log kernels use
/// as is: `n · min_positive / ε_mach`. Underflow of the factors and products moves `S` by at
/// most `3 n · min_positive` (even with subnormals flushed to zero), i.e. by at most
/// `3 ε_mach` relative at this floor; smaller (or non-finite) sums are recomputed by
/// [`lse_by`]. See the module documentation.
#[inline]
pub(crate) fn shifted_floor<T: Scalar>(n: usize) -> T {
    T::of_usize(n.max(1)) * T::min_positive() / T::epsilon_machine()
}

/// `exp(a)` for a shifted exponent `a ≤ 0`, but 0 where the result would be below
/// `min_positive` (`a < ln min_positive`): an absolute error below `min_positive`, which the
/// fallback rule allows for, and no call into the slow underflow path of `exp`.
#[inline]
pub(crate) fn exp_or_zero<T: Scalar>(a: T, ln_min: T) -> T {
    if a < ln_min {
        T::zero()
    } else {
        a.exp()
    }
}

/// Whether a shifted sum `y` of `n` terms, with line maximum `s`, can be used as `s + ln y`.
#[inline]
pub(crate) fn shifted_ok<T: Scalar>(y: T, s: T, floor: T) -> bool {
    y >= floor && y.finite() && s.finite()
}

/// Shape of a row-major axis `a` of `shape`: (outer, n_a, inner).
pub(crate) fn axis_split(shape: &[usize], a: usize) -> (usize, usize, usize) {
    let outer: usize = shape[..a].iter().product();
    let inner: usize = shape[a + 1..].iter().product();
    (outer, shape[a], inner)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ot::GroundMetric;

    fn block(p: usize, t: usize, seed: u64) -> DMatrix<f64> {
        // Deterministic pseudo-random values in (0, 1).
        let mut s = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        DMatrix::from_fn(p, t, |_, _| {
            s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            ((s >> 11) as f64 / (1u64 << 53) as f64) * 0.98 + 0.01
        })
    }

    fn rel(a: &DMatrix<f64>, b: &DMatrix<f64>) -> f64 {
        let scale = b.iter().fold(0.0f64, |m, x| m.max(x.abs())).max(f64::MIN_POSITIVE);
        a.iter().zip(b.iter()).fold(
            0.0f64,
            |m, (x, y)| {
                if x == y {
                    m
                } else {
                    m.max((x - y).abs() / scale)
                }
            },
        )
    }

    /// An anisotropic, non-symmetric 3-D grid metric, to catch axis-order and transpose bugs.
    fn grid_3d() -> GroundMetric<f64> {
        let shape = [3usize, 4, 5];
        let factors = shape
            .iter()
            .enumerate()
            .map(|(a, &n)| {
                DMatrix::from_fn(n, n, |i, k| {
                    let d = i as f64 - k as f64;
                    d * d * (1.0 + 0.3 * a as f64) + if i < k { 0.2 } else { 0.0 }
                })
            })
            .collect();
        GroundMetric::grid(&shape, factors).unwrap()
    }

    #[test]
    fn separable_equals_dense_on_3d_grid() {
        let g = grid_3d();
        let eps = 0.7;
        let dense =
            build_kernel(&GroundMetric::Dense(g.to_dense()), eps, KernelStrategy::Dense).unwrap();
        let sep = build_kernel(&g, eps, KernelStrategy::Separable).unwrap();
        let x = block(60, 3, 1);
        let (mut a, mut b) = (DMatrix::zeros(60, 3), DMatrix::zeros(60, 3));
        dense.apply(&x, &mut a);
        sep.apply(&x, &mut b);
        assert!(rel(&b, &a) < 1e-13, "K x: {}", rel(&b, &a));
        dense.apply_transpose(&x, &mut a);
        sep.apply_transpose(&x, &mut b);
        assert!(rel(&b, &a) < 1e-13, "K^T x: {}", rel(&b, &a));
        // K is not symmetric here: K x != K^T x.
        let mut c = DMatrix::zeros(60, 3);
        dense.apply(&x, &mut c);
        assert!(rel(&c, &a) > 1e-3);
    }

    #[test]
    fn log_kernels_equal_log_of_dense() {
        let g = grid_3d();
        let eps = 0.7;
        let dense = build_kernel(&g, eps, KernelStrategy::Dense).unwrap();
        let x = block(60, 3, 2);
        let mut lx = x.map(f64::ln);
        // A −∞ entry (zero scaling) and an all −∞ column.
        lx[(7, 0)] = f64::NEG_INFINITY;
        let mut x0 = x.clone();
        x0[(7, 0)] = 0.0;
        for i in 0..60 {
            lx[(i, 2)] = f64::NEG_INFINITY;
            x0[(i, 2)] = 0.0;
        }
        for strategy in [KernelStrategy::LogDense, KernelStrategy::LogSeparable] {
            let k = build_kernel(&g, eps, strategy).unwrap();
            assert_eq!(k.domain(), Domain::Log);
            for transpose in [false, true] {
                let (mut a, mut b) = (DMatrix::zeros(60, 3), DMatrix::zeros(60, 3));
                if transpose {
                    dense.apply_transpose(&x0, &mut a);
                    k.apply_transpose(&lx, &mut b);
                } else {
                    dense.apply(&x0, &mut a);
                    k.apply(&lx, &mut b);
                }
                for i in 0..60 {
                    assert_eq!(b[(i, 2)], f64::NEG_INFINITY, "{strategy:?}");
                }
                let eb = b.map(f64::exp);
                assert!(
                    rel(&eb, &a) < 1e-13,
                    "{strategy:?} transpose={transpose}: {}",
                    rel(&eb, &a)
                );
                assert!(b.iter().all(|v| !v.is_nan()));
            }
        }
    }

    // -----------------------------------------------------------------------------------------
    // Shifted scaling against the plain two-pass log-sum-exp on adversarial inputs.

    /// Deterministic pseudo-random numbers in [0, 1).
    struct Lcg(u64);

    impl Lcg {
        fn next(&mut self) -> f64 {
            self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (self.0 >> 11) as f64 / (1u64 << 53) as f64
        }
    }

    /// The log kernel `L` as the kernels hold it (computed in `T`), widened to f64 and summed
    /// over the axes in f64 for a grid: the exact `L` the kernel applies.
    fn exact_l<T: Scalar>(metric: &GroundMetric<T>, eps: T) -> DMatrix<f64> {
        match metric {
            GroundMetric::Dense(m) => neg_over_eps(m, eps).map(|v| v.to_f64()),
            GroundMetric::Grid(g) => {
                let ls: Vec<DMatrix<f64>> =
                    g.factors.iter().map(|f| neg_over_eps(f, eps).map(|v| v.to_f64())).collect();
                let p = g.n_features();
                let index = |mut f: usize| {
                    let mut idx = vec![0; g.shape.len()];
                    for a in (0..g.shape.len()).rev() {
                        idx[a] = f % g.shape[a];
                        f /= g.shape[a];
                    }
                    idx
                };
                DMatrix::from_fn(p, p, |i, k| {
                    let (ii, kk) = (index(i), index(k));
                    (0..ls.len()).map(|a| ls[a][(ii[a], kk[a])]).sum()
                })
            }
        }
    }

    /// Checks `apply` and `apply_transpose` of `kernel` against the two-pass log-sum-exp in f64
    /// over the exact `L`: equal `−∞` pattern, no NaN, and `|out − ref| ≤ C ε_T scale` with
    /// `scale = 1 + |ref| + max |x_k| + max |L_ik|` over the finite terms of the output: the
    /// terms `L_ik + x_k` themselves are only known to rounding at that scale (in `T`, both for
    /// the kernels and for the two-pass evaluation in `T`). Returns the largest error in units
    /// of `ε_T scale`.
    fn check_against_lse<T: Scalar>(
        kernel: &dyn Kernel<T>,
        l: &DMatrix<f64>,
        x: &DMatrix<T>,
        what: &str,
    ) -> f64 {
        let (p, nt) = x.shape();
        let xf = x.map(|v| v.to_f64());
        let mut worst = 0.0f64;
        for transpose in [false, true] {
            let mut out = DMatrix::from_element(p, nt, T::of_f64(f64::NAN));
            if transpose {
                kernel.apply_transpose(x, &mut out);
            } else {
                kernel.apply(x, &mut out);
            }
            for t in 0..nt {
                for i in 0..p {
                    let lik = |k: usize| if transpose { l[(k, i)] } else { l[(i, k)] };
                    let reference = lse_by(p, |k| lik(k) + xf[(k, t)]);
                    let got = out[(i, t)].to_f64();
                    let at = format!("{what} transpose={transpose} ({i}, {t})");
                    assert!(!got.is_nan(), "{at}: NaN");
                    if reference == f64::NEG_INFINITY {
                        assert_eq!(got, f64::NEG_INFINITY, "{at}");
                        continue;
                    }
                    let mut scale = 1.0 + reference.abs();
                    let (mut mx, mut ml) = (0.0f64, 0.0f64);
                    for k in (0..p).filter(|&k| xf[(k, t)].is_finite()) {
                        mx = mx.max(xf[(k, t)].abs());
                        ml = ml.max(lik(k).abs());
                    }
                    scale += mx + ml;
                    let err = (got - reference).abs() / (T::epsilon_machine().to_f64() * scale);
                    assert!(err <= 8.0, "{at}: {got} vs {reference} ({err:.2} ulps of {scale:e})");
                    worst = worst.max(err);
                }
            }
        }
        worst
    }

    /// Inputs uniform in `[−range, range]`, a fraction `holes` of them `−∞`; column 1 all `−∞`
    /// and column 2 with a single finite entry (when there are that many columns).
    fn wild_inputs<T: Scalar>(
        p: usize,
        nt: usize,
        range: f64,
        holes: f64,
        seed: u64,
    ) -> DMatrix<T> {
        let mut rng = Lcg(seed);
        let mut x = DMatrix::from_fn(p, nt, |_, _| {
            let (u, v) = (rng.next(), rng.next());
            T::of_f64(if u < holes { f64::NEG_INFINITY } else { range * (2.0 * v - 1.0) })
        });
        if nt > 1 {
            x.column_mut(1).fill(neg_inf());
        }
        if nt > 2 {
            x.column_mut(2).fill(neg_inf());
            x[(p / 3, 2)] = T::of_f64(range / 3.0);
        }
        x
    }

    /// A non-symmetric grid metric on `shape` (one axis of length 1 included by callers):
    /// factor `a` is `c + (1 + a/3)(i − k)² (+0.2 if i < k)`, diagonal included.
    fn wild_grid<T: Scalar>(shape: &[usize], c: f64) -> GroundMetric<T> {
        let factors = shape
            .iter()
            .enumerate()
            .map(|(a, &n)| {
                DMatrix::from_fn(n, n, |i, k| {
                    let d = i as f64 - k as f64;
                    T::of_f64(c + d * d * (1.0 + a as f64 / 3.0) + if i < k { 0.2 } else { 0.0 })
                })
            })
            .collect();
        GroundMetric::grid(shape, factors).unwrap()
    }

    /// Both log kernels (and, for a grid, the log-dense kernel of its dense form) against the
    /// two-pass log-sum-exp: `range` of the inputs, `c` added to every metric entry (large `c`:
    /// every `exp(L)` underflows and every output falls back), ε.
    fn adversarial_case<T: Scalar>(shape: &[usize], c: f64, eps: f64, range: f64, seed: u64) {
        let grid = wild_grid::<T>(shape, c);
        let dense = GroundMetric::Dense(grid.to_dense());
        let eps = T::of_f64(eps);
        let p = grid.n_features();
        for holes in [0.0, 0.3, 0.9] {
            let x = wild_inputs::<T>(p, 4, range, holes, seed);
            let what = format!("{} shape {shape:?} c {c} range {range} holes {holes}", T::NAME);
            let sep = LogSeparableKernel::new(
                match &grid {
                    GroundMetric::Grid(g) => g,
                    GroundMetric::Dense(_) => unreachable!(),
                },
                eps,
            );
            check_against_lse(&sep, &exact_l(&grid, eps), &x, &format!("log-separable {what}"));
            let GroundMetric::Dense(m) = &dense else { unreachable!() };
            let ld = LogDenseKernel::new(m, eps);
            check_against_lse(&ld, &exact_l(&dense, eps), &x, &format!("log-dense {what}"));
        }
    }

    #[test]
    fn shifted_scaling_matches_two_pass_lse_f64() {
        // Huge dynamic range of the inputs and of L (ε small): many fallbacks.
        adversarial_case::<f64>(&[5, 1, 7], 0.0, 0.01, 3000.0, 11);
        // Moderate values: (almost) no fallback.
        adversarial_case::<f64>(&[4, 6], 0.0, 2.0, 3.0, 12);
        // Every exp(L) underflows (M ≥ 900, ε = 1): every output falls back.
        adversarial_case::<f64>(&[3, 5], 900.0, 1.0, 50.0, 13);
        // Inputs near the end of the y·2^m range, and beyond it (plain path).
        adversarial_case::<f64>(&[6, 4], 0.0, 0.05, 5e7, 14);
        adversarial_case::<f64>(&[6, 4], 0.0, 0.05, 1e9, 15);
    }

    #[test]
    fn shifted_scaling_matches_two_pass_lse_f32() {
        adversarial_case::<f32>(&[5, 1, 7], 0.0, 0.01, 3000.0, 21);
        adversarial_case::<f32>(&[4, 6], 0.0, 2.0, 3.0, 22);
        adversarial_case::<f32>(&[3, 5], 0.0, 0.3, 200.0, 23);
        adversarial_case::<f32>(&[3, 5], 120.0, 1.0, 50.0, 24);
        adversarial_case::<f32>(&[6, 4], 0.0, 0.05, 1e9, 25);
    }

    #[test]
    fn log_dense_non_symmetric_metric_matches_two_pass_lse() {
        // A dense metric that is not symmetric: both directions read their own rows.
        for seed in [31u64, 32] {
            let mut rng = Lcg(seed);
            let p = 37;
            let m = DMatrix::from_fn(p, p, |i, k| {
                let d = i as f64 - k as f64;
                d * d + 40.0 * rng.next()
            });
            let metric = GroundMetric::Dense(m.clone());
            let x = wild_inputs::<f64>(p, 3, 800.0, 0.2, seed);
            let k = LogDenseKernel::new(&m, 0.02);
            check_against_lse(&k, &exact_l(&metric, 0.02), &x, "non-symmetric");
        }
    }

    #[test]
    fn shifted_floor_values() {
        // n · min_positive / ε_mach: about n · 1.0e-292 in f64 and n · 9.9e-32 in f32.
        let f64_floor = shifted_floor::<f64>(1);
        assert!((f64_floor / 1.0020841800044864e-292 - 1.0).abs() < 1e-12, "{f64_floor:e}");
        let f32_floor = shifted_floor::<f32>(10);
        assert!((f32_floor / 9.860761e-31 - 1.0).abs() < 1e-5, "{f32_floor:e}");
    }

    #[test]
    fn separable_on_dense_metric_is_a_parameter_error() {
        let m = GroundMetric::dense(DMatrix::from_row_slice(2, 2, &[0.0, 1.0, 1.0, 0.0])).unwrap();
        for s in [KernelStrategy::Separable, KernelStrategy::LogSeparable] {
            let err = build_kernel(&m, 1.0, s).unwrap_err();
            assert!(matches!(err, Error::Parameter { .. }), "{err}");
            assert!(err.to_string().contains("grid"), "{err}");
        }
    }

    #[test]
    fn one_d_grid_and_f32() {
        let g = GroundMetric::<f32>::grid_squared_euclidean(&[9]).unwrap();
        let d = build_kernel(&g, 2.0, KernelStrategy::Dense).unwrap();
        let s = build_kernel(&g, 2.0, KernelStrategy::Separable).unwrap();
        let ls = build_kernel(&g, 2.0, KernelStrategy::LogSeparable).unwrap();
        let x = block(9, 2, 3).map(|v| v as f32);
        let (mut a, mut b, mut c) =
            (DMatrix::zeros(9, 2), DMatrix::zeros(9, 2), DMatrix::zeros(9, 2));
        d.apply(&x, &mut a);
        s.apply(&x, &mut b);
        ls.apply(&x.map(f32::ln), &mut c);
        for i in 0..18 {
            assert!((a[i] - b[i]).abs() <= 1e-5 * a[i]);
            assert!((a[i] - c[i].exp()).abs() <= 1e-5 * a[i]);
        }
    }
}
