//! Separable grid kernel in the log domain: shifted per-axis products with an exact fallback.

use std::marker::PhantomData;

use nalgebra::DMatrix;

use super::separable::apply_axis;
use super::{axis_split, lse_by, neg_inf, neg_over_eps, shifted_floor, Domain, Kernel};
use crate::ot::GridMetric;
use crate::scalar::Scalar;

/// `log K exp(·)` for `K = ⊗_a exp(L_a)`, `L_a = −F_a/ε`, as d successive axis-wise log-sum-exps
/// (exact, since the kernel factorises): memory O(Σ n_a²), time O(p Σ n_a) per task.
///
/// Each axis pass works line by line (a line: the `n_a` entries that differ only in the axis-a
/// index, for one task) with the shifted scaling of the [module documentation](super): the
/// line is shifted by (a power of two close to) its maximum, multiplied by `exp(L_a)` with the
/// products of the scaling-domain [`super::SeparableKernel`], and an output whose sum falls
/// below `n_a · min_positive / ε_mach` (or is not finite) is recomputed alone, exactly, as the
/// same sum over its line with every factor held as `y · 2^m` (so that nothing underflows).
///
/// Between axes, values are held as `y · 2^m` (`y ∈ [1, 2)` or `y = 0`, integer `m`), so the
/// per-line shifts are exact power-of-two rescalings: one exponential per input (to enter this
/// form) and one logarithm per output (to leave it), whatever the number of axes, and none in
/// the fallbacks. Inputs that are NaN or `+∞`, or so large (beyond 1e8 with the extent of `L`)
/// that the exponents would not fit the form, take the plain two-pass log-sum-exp instead.
///
/// All of this runs in f64 whatever `T`: the factors `L_a` are those of precision `T` (held
/// exactly in f64) and the outputs are rounded to `T` once. In f32 this keeps the f64 range of
/// the shifted sums (an output falls back only about 670, not 70, below its line maximum) and
/// rounds once instead of at every step, for memory that stays O(Σ n_a²).
///
/// Memory: `exp(L_a)`, `L_a` and `exp(L_a)` as `y · 2^m`, each with its transpose (f64).
#[derive(Clone, Debug)]
pub struct LogSeparableKernel<T: Scalar> {
    shape: Vec<usize>,
    p: usize,
    /// `exp(L_a)` and its transpose, per axis.
    k: Vec<DMatrix<f64>>,
    kt: Vec<DMatrix<f64>>,
    /// `L_a` and `L_aᵀ`, per axis (column `i` of one is row `i` of the other).
    l: Vec<DMatrix<f64>>,
    lt: Vec<DMatrix<f64>>,
    /// `exp(L_a)` and `exp(L_aᵀ)` in the `y · 2^m` form (never underflows), per axis.
    xl: Vec<ExtMatrix<f64>>,
    xlt: Vec<ExtMatrix<f64>>,
    /// `Σ_a max |L_a|`: the most the axes can move a log value down.
    l_extent: f64,
    precision: PhantomData<T>,
}

impl<T: Scalar> LogSeparableKernel<T> {
    /// Builds the per-axis log kernels of a validated grid metric.
    pub fn new(grid: &GridMetric<T>, epsilon: T) -> Self {
        // L_a as the precision T gives it, then held in f64 (exactly).
        let l: Vec<DMatrix<f64>> =
            grid.factors.iter().map(|f| neg_over_eps(f, epsilon).map(|v| v.to_f64())).collect();
        let lt: Vec<DMatrix<f64>> = l.iter().map(|m| m.transpose()).collect();
        let k: Vec<DMatrix<f64>> = l.iter().map(|m| m.map(f64::exp)).collect();
        let kt = k.iter().map(|m| m.transpose()).collect();
        let l_extent = l.iter().map(|m| m.iter().fold(0.0f64, |a, v| a.max(v.abs()))).sum();
        let xl = l.iter().map(ExtMatrix::new).collect();
        let xlt = lt.iter().map(ExtMatrix::new).collect();
        LogSeparableKernel {
            shape: grid.shape.clone(),
            p: grid.n_features(),
            k,
            kt,
            l,
            lt,
            xl,
            xlt,
            l_extent,
            precision: PhantomData,
        }
    }

    fn apply_with(&self, x: &DMatrix<T>, out: &mut DMatrix<T>, transpose: bool) {
        let ntasks = x.ncols();
        let x: Vec<f64> = x.as_slice().iter().map(|v| v.to_f64()).collect();
        let out = out.as_mut_slice();
        // Axis a applies mats[a]; its rows are the columns of rows[a].
        let (mats, mats_t, rows) =
            if transpose { (&self.kt, &self.k, &self.l) } else { (&self.k, &self.kt, &self.lt) };
        let ext_rows = if transpose { &self.xl } else { &self.xlt };
        let lim = EXT_LIMIT - self.l_extent;
        let outside = |v: f64| v != f64::NEG_INFINITY && (v.is_nan() || v.abs() > lim);
        if x.iter().any(|&v| outside(v)) {
            self.apply_plain(x, out, rows);
            return;
        }
        let pt = self.p * ntasks;
        let mut src = Ext { y: Vec::with_capacity(pt), m: Vec::with_capacity(pt) };
        for &v in &x {
            let (y, m) = to_ext(v);
            src.y.push(y);
            src.m.push(m);
        }
        let mut dst = Ext { y: vec![0.0; pt], m: vec![0; pt] };
        let mut work = Work { e: vec![0.0; pt], top: Vec::new() };
        for a in 0..self.shape.len() {
            let axis = Axis { ntasks, shape: &self.shape, a, mat: &mats[a], mat_t: &mats_t[a] };
            ext_axis(&src, &mut dst, &axis, &ext_rows[a], &mut work);
            std::mem::swap(&mut src, &mut dst);
        }
        for ((o, &y), &m) in out.iter_mut().zip(&src.y).zip(&src.m) {
            *o = T::of_f64(from_ext(y, m));
        }
    }

    /// The two-pass log-sum-exp on every output, axis by axis (for inputs outside the range of
    /// the `y · 2^m` form).
    fn apply_plain(&self, mut src: Vec<f64>, out: &mut [T], rows: &[DMatrix<f64>]) {
        let mut dst = vec![0.0; src.len()];
        for (a, rows) in rows.iter().enumerate() {
            let (_, n, inner) = axis_split(&self.shape, a);
            for (sb, db) in src.chunks_exact(n * inner).zip(dst.chunks_exact_mut(n * inner)) {
                for (i, di) in db.chunks_exact_mut(inner).enumerate() {
                    let li = &rows.as_slice()[i * n..(i + 1) * n];
                    for (r, y) in di.iter_mut().enumerate() {
                        *y = lse_by(n, |k| li[k] + sb[k * inner + r]);
                    }
                }
            }
            std::mem::swap(&mut src, &mut dst);
        }
        for (o, &v) in out.iter_mut().zip(&src) {
            *o = T::of_f64(v);
        }
    }
}

/// Beyond this magnitude (inputs plus the extent of `L`), log values take the plain path: the
/// exponents `m ≈ v / ln 2` of the `y · 2^m` form then stay below `1.5e8` in magnitude.
const EXT_LIMIT: f64 = 1e8;

/// The exponent of an exact zero in the `y · 2^m` form: far below any other exponent, and far
/// enough from `i32::MIN` to subtract the largest exponent from it.
const ZERO_EXP: i32 = i32::MIN / 2;

/// `ln 2 = LN2_HI + LN2_LO` with `LN2_HI = 355/512` (9 significant bits), so `m · LN2_HI` is
/// exact in f64 for `|m| < 2^44` and in f32 for `|m| < 2^15`.
const LN2_HI: f64 = 0.693359375;
const LN2_LO: f64 = -2.1219444005469057e-4;

/// Values `y · 2^m` of a p × T block (column-major, like the block itself).
struct Ext<T> {
    y: Vec<T>,
    m: Vec<i32>,
}

/// A log value `v` as `y · 2^m = exp(v)`, `y ∈ [1, 2)` up to rounding: `m = ⌊v / ln 2⌋` and
/// `y = exp(v − m ln 2)`, the reduction done in two parts (`LN2_HI`, `LN2_LO`). `−∞` is
/// `(0, ZERO_EXP)`. `v` must be finite or `−∞`, and below [`EXT_LIMIT`] in magnitude.
#[inline]
fn to_ext<T: Scalar>(v: T) -> (T, i32) {
    if v == neg_inf::<T>() {
        return (T::zero(), ZERO_EXP);
    }
    // ⌊q⌋ by truncation and a correction (`floor` is a library call on baseline x86-64).
    let q = v.to_f64() / std::f64::consts::LN_2;
    let mut m = q as i32;
    if f64::from(m) > q {
        m -= 1;
    }
    let mt = T::of_f64(f64::from(m));
    let r = (v - mt * T::of_f64(LN2_HI)) - mt * T::of_f64(LN2_LO);
    (r.exp(), m)
}

/// `ln(y · 2^m) = m ln 2 + ln y` (`−∞` for a zero).
#[inline]
fn from_ext<T: Scalar>(y: T, m: i32) -> T {
    if m == ZERO_EXP {
        return neg_inf::<T>();
    }
    let mt = T::of_f64(f64::from(m));
    mt * T::of_f64(LN2_HI) + (mt * T::of_f64(LN2_LO) + y.ln())
}

/// `(y, e)` with `v = y · 2^e` and `y ∈ [1, 2)`, for a positive normal finite `v` (exact: only
/// the exponent bits move).
#[inline]
fn split_exponent<T: Scalar>(v: T) -> (T, i32) {
    let bits = v.to_f64().to_bits();
    let e = ((bits >> 52) & 0x7ff) as i32 - 1023;
    let y = f64::from_bits((bits & 0x000f_ffff_ffff_ffff) | (1023 << 52));
    (T::of_f64(y), e)
}

/// `2^d` for `d` between the exponent of `min_positive` and 0 (exact).
#[inline]
fn pow2<T: Scalar>(d: i32) -> T {
    T::of_f64(f64::from_bits(((d + 1023) as u64) << 52))
}

/// One axis pass: which axis of which shape, and the factor `exp(L_a)` (and its transpose).
struct Axis<'a, T: Scalar> {
    ntasks: usize,
    shape: &'a [usize],
    a: usize,
    mat: &'a DMatrix<T>,
    mat_t: &'a DMatrix<T>,
}

/// Work space of the axis passes: the shifted inputs and the exponents of the line shifts.
struct Work<T> {
    e: Vec<T>,
    top: Vec<i32>,
}

/// `exp(L)` for a square `L` as `y · 2^m` entrywise (`y ∈ [1, 2)` up to rounding): exact to
/// rounding however negative `L` is (the log-separable path runs only while `|L|` is below
/// [`EXT_LIMIT`], so the exponents fit).
#[derive(Clone, Debug)]
struct ExtMatrix<T> {
    n: usize,
    y: Vec<T>,
    m: Vec<i32>,
}

impl<T: Scalar> ExtMatrix<T> {
    fn new(l: &DMatrix<T>) -> Self {
        let clamp = T::of_f64(-EXT_LIMIT);
        let (y, m) = l.as_slice().iter().map(|&v| to_ext(v.max(clamp))).unzip();
        ExtMatrix { n: l.nrows(), y, m }
    }
}

/// `Σ_k exp(L_ik) · v_k` with `exp(L_i·)` = column `i` of `rows` and `v_k = src[k · stride]`,
/// all in the `y · 2^m` form, computed without under- or overflow: the exponent of the
/// largest term `E`, then `Σ_k a_k b_k 2^(μ_k + m_k − E)` over the terms within
/// `2^-(mantissa bits + log₂ n + 3)` of it (the others add less than half an ulp). `None` if
/// every `v_k` is 0.
fn ext_dot<T: Scalar>(
    rows: &ExtMatrix<T>,
    i: usize,
    sy: &[T],
    sm: &[i32],
    stride: usize,
) -> Option<(T, i32)> {
    let n = rows.n;
    let (ry, rm) = (&rows.y[i * n..(i + 1) * n], &rows.m[i * n..(i + 1) * n]);
    let mut top = ZERO_EXP;
    for k in 0..n {
        let m = sm[k * stride];
        if m != ZERO_EXP {
            top = top.max(rm[k] + m);
        }
    }
    if top == ZERO_EXP {
        return None;
    }
    let bits = -(T::epsilon_machine().to_f64().log2().round() as i32) + 1;
    let cut = -(bits + (usize::BITS - n.leading_zeros()) as i32 + 3);
    let mut sum = T::zero();
    for k in 0..n {
        let m = sm[k * stride];
        let d = rm[k] + m - top;
        if m != ZERO_EXP && d >= cut {
            sum += ry[k] * sy[k * stride] * pow2::<T>(d);
        }
    }
    let (y, e) = split_exponent(sum);
    Some((y, top + e))
}

/// `dst[o, i, r] = LSE_k(L[i, k] + src[o, k, r])` on axis `a` in the `y · 2^m` form, for
/// every outer block (tasks are consecutive outer blocks); `rows` holds row `i` of `L` as its
/// column `i`.
///
/// Line `(o, r)` is shifted by `2^t`, `t` the largest exponent on it: `e_k = y_k 2^(m_k − t)`
/// (exact; 0 below `min_positive`), so `e ∈ [0, 2)` with some `e_k ≥ 1`. The sums
/// `S = exp(L_a) e` are products as in the scaling domain; `S ≥ n · min_positive / ε_mach` is
/// split into `y · 2^(t + exponent of S)`, smaller or non-finite sums are recomputed exactly
/// by [`ext_dot`] over the line.
fn ext_axis<T: Scalar>(
    src: &Ext<T>,
    dst: &mut Ext<T>,
    axis: &Axis<'_, T>,
    rows: &ExtMatrix<T>,
    work: &mut Work<T>,
) {
    let (_, n, inner) = axis_split(axis.shape, axis.a);
    let len = n * inner;
    let nblocks = src.y.len() / len;
    let lowest = T::min_positive().to_f64().log2().round() as i32;
    work.top.clear();
    work.top.resize(nblocks * inner, ZERO_EXP);
    for b in 0..nblocks {
        let block = b * len..(b + 1) * len;
        let (sy, sm) = (&src.y[block.clone()], &src.m[block.clone()]);
        let eb = &mut work.e[block];
        let top = &mut work.top[b * inner..(b + 1) * inner];
        if inner == 1 {
            // One contiguous line per block.
            let t = sm.iter().fold(ZERO_EXP, |a, &m| a.max(m));
            top[0] = t;
            for ((e, &y), &m) in eb.iter_mut().zip(sy).zip(sm) {
                *e = scaled(y, m - t, lowest);
            }
            continue;
        }
        for mk in sm.chunks_exact(inner) {
            for (t, &m) in top.iter_mut().zip(mk) {
                *t = (*t).max(m);
            }
        }
        for k in 0..n {
            let (ek, yk, mk) = (
                &mut eb[k * inner..(k + 1) * inner],
                &sy[k * inner..(k + 1) * inner],
                &sm[k * inner..(k + 1) * inner],
            );
            for r in 0..inner {
                ek[r] = scaled(yk[r], mk[r] - top[r], lowest);
            }
        }
    }
    apply_axis(&work.e, &mut dst.y, axis.ntasks, axis.shape, axis.a, axis.mat, axis.mat_t);
    let floor = shifted_floor::<T>(n);
    for b in 0..nblocks {
        let top = &work.top[b * inner..(b + 1) * inner];
        for i in 0..n {
            let o = b * len + i * inner;
            let (yi, mi) = (&mut dst.y[o..o + inner], &mut dst.m[o..o + inner]);
            for r in 0..inner {
                let (t, y) = (top[r], yi[r]);
                (yi[r], mi[r]) = if t == ZERO_EXP {
                    (T::zero(), ZERO_EXP)
                } else if y >= floor && y.finite() {
                    let (f, e) = split_exponent(y);
                    (f, t + e)
                } else {
                    let (sy, sm) = (&src.y[b * len + r..], &src.m[b * len + r..]);
                    ext_dot(rows, i, sy, sm, inner).unwrap_or((T::zero(), ZERO_EXP))
                };
            }
        }
    }
}

/// `y · 2^d` for `d ≤ 0`, or 0 when that is below `2^lowest = min_positive` (exact otherwise).
#[inline]
fn scaled<T: Scalar>(y: T, d: i32, lowest: i32) -> T {
    if d < lowest {
        T::zero()
    } else {
        y * pow2::<T>(d)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ln2_split_sums_to_ln2() {
        // 355/512 has 9 significant bits; the low part is ln 2 − 355/512 rounded to f64.
        assert_eq!(LN2_HI * 512.0, 355.0);
        assert_eq!(LN2_HI + LN2_LO, std::f64::consts::LN_2);
    }

    #[test]
    fn ext_form_round_trips() {
        for &v in &[0.0f64, 1e-300, -0.3, 0.69, 1.0, -745.5, 709.0, 3.3e3, -9.9e7, 9.9e7] {
            let (y, m) = to_ext(v);
            assert!((1.0 - 4e-16..2.0 + 4e-16).contains(&y), "{v}: {y}");
            let back = from_ext(y, m);
            assert!((back - v).abs() <= 4.0 * f64::EPSILON * v.abs().max(1.0), "{v}: {back}");
        }
        assert_eq!(to_ext(f64::NEG_INFINITY), (0.0, ZERO_EXP));
        assert_eq!(from_ext(0.0f64, ZERO_EXP), f64::NEG_INFINITY);
        for &v in &[-300.0f32, -0.5, 0.0, 80.0, 4.0e4] {
            let (y, m) = to_ext(v);
            let back = from_ext(y, m);
            assert!((back - v).abs() <= 4.0 * f32::EPSILON * v.abs().max(1.0), "{v}: {back}");
        }
    }

    #[test]
    fn split_exponent_and_pow2_are_exact() {
        for &v in &[1.0f64, 1.5, 3.0, 1e-300, 7.25e200, f64::MIN_POSITIVE] {
            let (y, e) = split_exponent(v);
            assert!((1.0..2.0).contains(&y));
            assert_eq!(y * 2f64.powi(e), v);
        }
        let (y, e) = split_exponent(6.0f32);
        assert_eq!((y, e), (1.5, 2));
        assert_eq!(pow2::<f64>(-1022), f64::MIN_POSITIVE);
        assert_eq!(pow2::<f32>(-126), f32::MIN_POSITIVE);
        assert_eq!(pow2::<f32>(0), 1.0);
        assert_eq!(scaled(1.5f64, -1023, -1022), 0.0);
        assert_eq!(scaled(1.5f64, -3, -1022), 0.1875);
    }
}
