//! Ground metrics between the p features: dense p × p, or separable on a regular grid.
//!
//! A [`GroundMetric::Grid`] never forms the p × p matrix: its largest entry and its median are
//! computed from the per-axis factors (the median exactly, by counting the multiset of sums),
//! and the Gibbs kernel is applied axis by axis (see [`crate::ot::kernel`]).

use nalgebra::DMatrix;

use crate::error::{Error, Result};
use crate::scalar::Scalar;
use crate::validate::nonnegative_matrix;

/// A separable metric on a regular grid of shape `(n_0, …, n_{d−1})`, `p = Π n_a`.
///
/// Features are numbered row-major (last axis fastest): feature `f` of a `w × h` grid
/// (shape `[w, h]`) is pixel `(f / h, f % h)`. The metric is
/// `M[f, g] = Σ_a factors[a][(f_a, g_a)]`, summed in axis order `((F_0 + F_1) + F_2) + …`.
#[derive(Clone, Debug)]
pub struct GridMetric<T: Scalar> {
    /// Points per axis.
    pub shape: Vec<usize>,
    /// One `n_a × n_a` matrix per axis.
    pub factors: Vec<DMatrix<T>>,
}

impl<T: Scalar> GridMetric<T> {
    /// Validates a grid metric: at least one axis, no empty axis, one square `n_a × n_a`,
    /// finite, non-negative factor per axis, and a product `p = Π n_a` that fits in `usize`.
    pub fn new(shape: Vec<usize>, factors: Vec<DMatrix<T>>) -> Result<Self> {
        let grid = GridMetric { shape, factors };
        grid.validate()?;
        Ok(grid)
    }

    /// Checks the invariants listed in [`GridMetric::new`] (the fields are public, so a value
    /// built by hand is checked again before use).
    pub fn validate(&self) -> Result<()> {
        if self.shape.is_empty() {
            return Err(Error::Empty("grid metric with no axis".into()));
        }
        if self.shape.len() != self.factors.len() {
            return Err(Error::Shape(format!(
                "grid of {} axes (shape {:?}) but {} factors",
                self.shape.len(),
                self.shape,
                self.factors.len()
            )));
        }
        let mut p: usize = 1;
        for (a, (&n, f)) in self.shape.iter().zip(&self.factors).enumerate() {
            if n == 0 {
                return Err(Error::Empty(format!("grid axis {a} has 0 points")));
            }
            if f.shape() != (n, n) {
                return Err(Error::Shape(format!(
                    "grid factor {a} is {}×{} but axis {a} has {n} points",
                    f.nrows(),
                    f.ncols()
                )));
            }
            nonnegative_matrix(&format!("grid metric factor {a}"), f)?;
            p = p.checked_mul(n).ok_or_else(|| {
                Error::parameter("grid shape", format!("{:?}", self.shape), "p overflows usize")
            })?;
        }
        Ok(())
    }

    /// Number of features `p = Π n_a`.
    pub fn n_features(&self) -> usize {
        self.shape.iter().product()
    }

    /// Row-major multi-index of feature `f` (last axis fastest).
    pub fn unravel(&self, mut f: usize) -> Vec<usize> {
        let mut idx = vec![0; self.shape.len()];
        for a in (0..self.shape.len()).rev() {
            idx[a] = f % self.shape[a];
            f /= self.shape[a];
        }
        idx
    }
}

/// The cost `M` of moving mass between features.
#[derive(Clone, Debug)]
pub enum GroundMetric<T: Scalar> {
    /// Any p × p non-negative matrix.
    Dense(DMatrix<T>),
    /// A separable grid metric.
    Grid(GridMetric<T>),
}

impl<T: Scalar> GroundMetric<T> {
    /// Validates a dense metric: square, finite, non-negative.
    ///
    /// Errors: [`Error::Empty`] for 0 × 0, [`Error::Shape`] if not square,
    /// [`Error::NonFinite`] / [`Error::Negative`] naming the first bad entry.
    /// The matrix need not be symmetric nor have a zero diagonal.
    pub fn dense(m: DMatrix<T>) -> Result<Self> {
        validate_dense(&m)?;
        Ok(GroundMetric::Dense(m))
    }

    /// A validated separable grid metric (see [`GridMetric::new`]).
    pub fn grid(shape: &[usize], factors: Vec<DMatrix<T>>) -> Result<Self> {
        Ok(GroundMetric::Grid(GridMetric::new(shape.to_vec(), factors)?))
    }

    /// A grid metric with the same factor on each of `ndim` axes (mutar's image metric:
    /// `ndim = 2`, factor `w × w`, `p = w²`).
    pub fn grid_from_factor(factor: DMatrix<T>, ndim: usize) -> Result<Self> {
        let n = factor.nrows();
        Self::grid(&vec![n; ndim], vec![factor; ndim])
    }

    /// Squared Euclidean distance between the points of a regular grid with unit spacing:
    /// factor `a` is `(i − k)²`, so `M[f, g] = Σ_a (f_a − g_a)²`.
    pub fn grid_squared_euclidean(shape: &[usize]) -> Result<Self> {
        let factors = shape
            .iter()
            .map(|&n| DMatrix::from_fn(n, n, |i, k| T::of_f64((i as f64 - k as f64).powi(2))))
            .collect();
        Self::grid(shape, factors)
    }

    /// Number of features p.
    pub fn n_features(&self) -> usize {
        match self {
            GroundMetric::Dense(m) => m.nrows(),
            GroundMetric::Grid(g) => g.n_features(),
        }
    }

    /// Fails with [`Error::Shape`] unless the metric is between exactly `p` features.
    pub fn expect_features(&self, p: usize) -> Result<()> {
        let q = self.n_features();
        if q == p {
            return Ok(());
        }
        Err(Error::Shape(match self {
            GroundMetric::Dense(_) => {
                format!("ground metric is {q}×{q} but there are {p} features")
            }
            GroundMetric::Grid(g) => {
                format!("grid shape {:?} has {q} points but there are {p} features", g.shape)
            }
        }))
    }

    /// Re-checks the invariants of the variant (the enum is public, so a metric can be built
    /// without the validating constructors).
    pub fn validate(&self) -> Result<()> {
        match self {
            GroundMetric::Dense(m) => validate_dense(m),
            GroundMetric::Grid(g) => g.validate(),
        }
    }

    /// Median over all p² entries, diagonal included (numpy's `median(M)`: for an even count,
    /// the mean of the two middle values).
    ///
    /// For a grid it is computed exactly without forming p × p: the multiset of entries is the
    /// Minkowski sum of the per-axis multisets, whose order statistics are found by counting.
    pub fn median(&self) -> T {
        match self {
            GroundMetric::Dense(m) => dense_median(m.as_slice()),
            GroundMetric::Grid(g) => grid_median(g),
        }
    }

    /// Largest entry.
    pub fn max(&self) -> T {
        match self {
            GroundMetric::Dense(m) => m.iter().copied().fold(T::zero(), |a, b| a.max(b)),
            // Floating-point addition is monotone, so the max of the sums is the sum of maxes.
            GroundMetric::Grid(g) => g
                .factors
                .iter()
                .map(|f| f.iter().copied().fold(T::zero(), |a, b| a.max(b)))
                .reduce(|a, b| a + b)
                .unwrap_or_else(T::zero),
        }
    }

    /// The metric divided by `scale` (finite, > 0; else [`Error::Parameter`]). A grid divides
    /// every factor.
    pub fn scaled(&self, scale: T) -> Result<Self> {
        if !(scale.finite() && scale > T::zero()) {
            return Err(Error::parameter("metric scale", scale, "must be finite and > 0"));
        }
        Ok(match self {
            GroundMetric::Dense(m) => GroundMetric::Dense(m / scale),
            GroundMetric::Grid(g) => GroundMetric::Grid(GridMetric {
                shape: g.shape.clone(),
                factors: g.factors.iter().map(|f| f / scale).collect(),
            }),
        })
    }

    /// The metric divided by its median (section 3 of the paper). For a grid every factor is
    /// divided by the median of the full p × p metric (mutar's `groundmetric_img(normed=True)`).
    /// Fails with [`Error::Parameter`] if the median is 0.
    pub fn normalized_by_median(&self) -> Result<Self> {
        let med = self.median();
        if med <= T::zero() {
            return Err(Error::parameter(
                "median of the ground metric",
                med,
                "cannot normalise by a zero median (more than half the entries are 0)",
            ));
        }
        self.scaled(med)
    }

    /// The full p × p matrix.
    pub fn to_dense(&self) -> DMatrix<T> {
        match self {
            GroundMetric::Dense(m) => m.clone(),
            GroundMetric::Grid(g) => {
                let p = g.n_features();
                let idx: Vec<Vec<usize>> = (0..p).map(|f| g.unravel(f)).collect();
                DMatrix::from_fn(p, p, |f, h| {
                    let (a, b) = (&idx[f], &idx[h]);
                    let mut s = g.factors[0][(a[0], b[0])];
                    for ax in 1..g.factors.len() {
                        s += g.factors[ax][(a[ax], b[ax])];
                    }
                    s
                })
            }
        }
    }
}

fn validate_dense<T: Scalar>(m: &DMatrix<T>) -> Result<()> {
    if m.nrows() == 0 || m.ncols() == 0 {
        return Err(Error::Empty("ground metric with no feature (0×0)".into()));
    }
    if m.nrows() != m.ncols() {
        return Err(Error::Shape(format!(
            "ground metric must be square, got {}×{}",
            m.nrows(),
            m.ncols()
        )));
    }
    nonnegative_matrix("ground metric", m)
}

fn cmp<T: Scalar>(a: &T, b: &T) -> std::cmp::Ordering {
    a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal)
}

/// numpy median of a non-empty slice of finite values.
fn dense_median<T: Scalar>(values: &[T]) -> T {
    let mut v = values.to_vec();
    let n = v.len();
    if n == 0 {
        return T::zero();
    }
    let k = n / 2;
    let (lower, hi, _) = v.select_nth_unstable_by(k, cmp);
    let hi = *hi;
    if n % 2 == 1 {
        hi
    } else {
        let lo = lower.iter().copied().fold(lower[0], |a, b| a.max(b));
        (lo + hi) / (T::one() + T::one())
    }
}

/// A sorted multiset: distinct values ascending with their multiplicities.
struct Multiset<T> {
    values: Vec<T>,
    counts: Vec<u128>,
}

impl<T: Scalar> Multiset<T> {
    fn from_pairs(mut pairs: Vec<(T, u128)>) -> Self {
        pairs.sort_by(|a, b| cmp(&a.0, &b.0));
        let mut values: Vec<T> = Vec::with_capacity(pairs.len());
        let mut counts: Vec<u128> = Vec::with_capacity(pairs.len());
        for (v, c) in pairs {
            if values.last() == Some(&v) {
                *counts.last_mut().unwrap() += c;
            } else {
                values.push(v);
                counts.push(c);
            }
        }
        Multiset { values, counts }
    }

    fn of_matrix(m: &DMatrix<T>) -> Self {
        Self::from_pairs(m.iter().map(|&v| (v, 1)).collect())
    }

    /// The multiset `{a + b}` (floating-point sums in this order).
    fn minkowski(&self, other: &Self) -> Self {
        let mut pairs = Vec::with_capacity(self.values.len() * other.values.len());
        for (&a, &ca) in self.values.iter().zip(&self.counts) {
            for (&b, &cb) in other.values.iter().zip(&other.counts) {
                pairs.push((a + b, ca * cb));
            }
        }
        Self::from_pairs(pairs)
    }
}

/// Number of pairs (a, b) of `A × B` (with multiplicity) with `fl(a + b) <= x`. Two pointers:
/// `fl(a + b)` is non-decreasing in `a` and in `b`.
fn count_le<T: Scalar>(a: &Multiset<T>, b: &Multiset<T>, prefix_b: &[u128], x: T) -> u128 {
    let mut total = 0u128;
    let mut j = b.values.len(); // number of b-values with a + b <= x for the current a
    for (&va, &ca) in a.values.iter().zip(&a.counts) {
        while j > 0 && va + b.values[j - 1] > x {
            j -= 1;
        }
        if j == 0 {
            break;
        }
        total += ca * prefix_b[j];
    }
    total
}

/// The k-th smallest (0-based) of the sums `fl(a + b)`: among the candidate sums (at most
/// |A|·|B| of them, never materialised) find the smallest with `count_le >= k + 1`, by
/// bisection on the ordered bit patterns of non-negative `f64` (all values are converted
/// exactly to `f64`; the sums themselves are computed in `T`).
fn kth_sum<T: Scalar>(a: &Multiset<T>, b: &Multiset<T>, k: u128) -> T {
    let mut prefix_b = vec![0u128; b.values.len() + 1];
    for (i, &c) in b.counts.iter().enumerate() {
        prefix_b[i + 1] = prefix_b[i] + c;
    }
    // Every value is >= 0 and finite, so f64 bit patterns order like the values.
    let lo_val = a.values[0] + b.values[0];
    let hi_val = *a.values.last().unwrap() + *b.values.last().unwrap();
    let (mut lo, mut hi) = (lo_val.to_f64().to_bits(), hi_val.to_f64().to_bits());
    // Invariant: count_le(hi) >= k + 1; answer in [lo, hi].
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        // f64 → T may round (f32); rounding down keeps the predicate monotone in `mid` and the
        // answer, an exact T value, is still found because the predicate only changes there.
        let x = T::of_f64(f64::from_bits(mid));
        let x = if x.to_f64() > f64::from_bits(mid) { prev_down::<T>(x) } else { x };
        if count_le(a, b, &prefix_b, x) > k {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    T::of_f64(f64::from_bits(hi))
}

/// The largest `T` value strictly below `x` (x > 0 finite), computed through `f64` bits for
/// `f32` and exactly for `f64`.
fn prev_down<T: Scalar>(x: T) -> T {
    if T::NAME == "f32" {
        let y = x.to_f64() as f32;
        T::of_f64(f32::from_bits(y.to_bits() - 1) as f64)
    } else {
        let y = x.to_f64();
        T::of_f64(f64::from_bits(y.to_bits() - 1))
    }
}

fn grid_median<T: Scalar>(g: &GridMetric<T>) -> T {
    let d = g.factors.len();
    if d == 0 {
        return T::zero();
    }
    let last = Multiset::of_matrix(&g.factors[d - 1]);
    let head = if d == 1 {
        // An empty sum: the multiset {0}. 0 + b == b exactly.
        Multiset { values: vec![T::zero()], counts: vec![1] }
    } else {
        let mut acc = Multiset::of_matrix(&g.factors[0]);
        for f in &g.factors[1..d - 1] {
            acc = acc.minkowski(&Multiset::of_matrix(f));
        }
        acc
    };
    let p = g.n_features() as u128;
    let n = p * p;
    let hi = kth_sum(&head, &last, n / 2);
    if n % 2 == 1 {
        hi
    } else {
        let lo = kth_sum(&head, &last, n / 2 - 1);
        (lo + hi) / (T::one() + T::one())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn numpy_median(m: &DMatrix<f64>) -> f64 {
        let mut v: Vec<f64> = m.iter().copied().collect();
        v.sort_by(|a, b| a.partial_cmp(b).unwrap());
        let n = v.len();
        if n % 2 == 1 {
            v[n / 2]
        } else {
            (v[n / 2 - 1] + v[n / 2]) / 2.0
        }
    }

    #[test]
    fn grid_numbering_is_row_major() {
        let g = GroundMetric::<f64>::grid_squared_euclidean(&[3, 4]).unwrap();
        let m = g.to_dense();
        assert_eq!(m.nrows(), 12);
        // feature 5 = (1, 1), feature 11 = (2, 3): (1)^2 + (2)^2 = 5
        assert_eq!(m[(5, 11)], 5.0);
        assert_eq!(m[(0, 3)], 9.0);
        assert_eq!(m[(0, 4)], 1.0);
    }

    #[test]
    fn grid_median_and_max_match_dense() {
        for shape in [
            vec![1usize],
            vec![2],
            vec![7],
            vec![10],
            vec![3, 4],
            vec![12, 12],
            vec![3, 4, 5],
            vec![2, 1, 3],
            vec![5, 5],
        ] {
            let g = GroundMetric::<f64>::grid_squared_euclidean(&shape).unwrap();
            let m = g.to_dense();
            assert_eq!(g.median(), numpy_median(&m), "shape {shape:?}");
            assert_eq!(g.median(), GroundMetric::Dense(m.clone()).median(), "shape {shape:?}");
            assert_eq!(g.max(), m.max(), "shape {shape:?}");
        }
    }

    #[test]
    fn grid_median_with_irregular_factors() {
        // Non-integer, non-symmetric factors with many distinct values, f64 and f32.
        let f0 =
            DMatrix::from_fn(4, 4, |i, j| ((i * 7 + j * 3) % 5) as f64 * 0.37 + 0.1 * j as f64);
        let f1 = DMatrix::from_fn(3, 3, |i, j| ((i + 2 * j) % 3) as f64 * 1.13);
        let f2 = DMatrix::from_fn(5, 5, |i, j| (i as f64 - j as f64).abs().sqrt());
        let g = GroundMetric::grid(&[4, 3, 5], vec![f0.clone(), f1.clone(), f2.clone()]).unwrap();
        let m = g.to_dense();
        assert_eq!(g.median(), numpy_median(&m));
        let g32 = GroundMetric::<f32>::grid(
            &[4, 3, 5],
            vec![f0.map(|x| x as f32), f1.map(|x| x as f32), f2.map(|x| x as f32)],
        )
        .unwrap();
        let m32 = g32.to_dense();
        assert_eq!(g32.median(), GroundMetric::Dense(m32).median());
    }

    #[test]
    fn large_grid_median_is_exact_and_cheap() {
        let g = GroundMetric::<f64>::grid_squared_euclidean(&[128, 128]).unwrap();
        let med = g.median();
        // The multiset is integer-valued: the median is an integer or a half-integer.
        assert_eq!((2.0 * med).fract(), 0.0);
        // Cross-check on a smaller grid built densely.
        let g = GroundMetric::<f64>::grid_squared_euclidean(&[40, 40]).unwrap();
        assert_eq!(g.median(), numpy_median(&g.to_dense()));
    }

    #[test]
    fn normalized_grid_divides_factors_by_full_median() {
        let g = GroundMetric::<f64>::grid_squared_euclidean(&[12, 12]).unwrap();
        assert_eq!(g.median(), 37.0);
        let n = g.normalized_by_median().unwrap();
        match &n {
            GroundMetric::Grid(gm) => assert_eq!(gm.factors[0][(0, 1)], 1.0 / 37.0),
            _ => panic!("expected a grid"),
        }
    }

    #[test]
    fn typed_errors() {
        let bad = DMatrix::from_row_slice(2, 2, &[0.0, -1.0, 1.0, 0.0]);
        assert!(matches!(GroundMetric::dense(bad), Err(Error::Negative { .. })));
        let bad = DMatrix::from_row_slice(2, 2, &[0.0, f64::NAN, 1.0, 0.0]);
        assert!(matches!(GroundMetric::dense(bad), Err(Error::NonFinite { .. })));
        let bad = DMatrix::<f64>::zeros(2, 3);
        assert!(matches!(GroundMetric::dense(bad), Err(Error::Shape(_))));
        assert!(matches!(GroundMetric::dense(DMatrix::<f64>::zeros(0, 0)), Err(Error::Empty(_))));
        assert!(matches!(
            GroundMetric::dense(DMatrix::<f64>::zeros(2, 2)).unwrap().normalized_by_median(),
            Err(Error::Parameter { .. })
        ));
        assert!(matches!(
            GroundMetric::<f64>::grid_squared_euclidean(&[3, 0]),
            Err(Error::Empty(_))
        ));
        assert!(matches!(GroundMetric::<f64>::grid_squared_euclidean(&[]), Err(Error::Empty(_))));
        assert!(matches!(
            GroundMetric::<f64>::grid(&[3, 2], vec![DMatrix::zeros(3, 3), DMatrix::zeros(3, 3)]),
            Err(Error::Shape(_))
        ));
        let g = GroundMetric::<f64>::grid_squared_euclidean(&[3, 4]).unwrap();
        assert!(g.expect_features(12).is_ok());
        assert!(matches!(g.expect_features(13), Err(Error::Shape(_))));
        assert!(matches!(g.scaled(0.0), Err(Error::Parameter { .. })));
        assert!(matches!(g.scaled(f64::NAN), Err(Error::Parameter { .. })));
    }
}
