//! Which entries of the Gibbs kernel `K = exp(−M/ε)` a truncated kernel keeps, and the error
//! bound that justifies the choice. Used by [`super::SparseTruncatedKernel`].
//!
//! # Rule
//!
//! With row maxima `R_i = max_j K_ij = exp(−min_j M_ij/ε)`, column maxima
//! `C_j = max_i K_ij = exp(−min_i M_ij/ε)` and a relative threshold `δ ∈ (0, 1]`, entry
//! `(i, j)` is kept iff `K_ij ≥ δ · min(R_i, C_j)`, i.e. (in the log domain, so nothing
//! under- or overflows while deciding)
//!
//! ```text
//! M_ij ≤ ε ln(1/δ) + max(min_k M_ik, min_k M_kj).
//! ```
//!
//! # Bound
//!
//! Let `K̃` be `K` with the dropped entries set to 0 and `x ≥ 0`. A dropped entry has
//! `K_ij < δ R_i ≤ δ K_max` and `K_ij < δ C_j ≤ δ K_max` (`K_max = max_ij K_ij`), so
//!
//! ```text
//! 0 ≤ (K x − K̃ x)_i ≤ δ R_i Σ_{j dropped in row i} x_j ≤ δ d_i K_max ‖x‖_∞     (componentwise)
//! ‖K x‖_∞ ≥ C_min ‖x‖_∞,   C_min = min_j C_j                                   (column j of max x)
//! ```
//!
//! where `d_i < p` counts the dropped entries of row i. Hence the **normwise relative error**
//! `‖K x − K̃ x‖_∞ ≤ δ p (K_max / C_min) ‖K x‖_∞`, and the same for `Kᵀ` with `R_min` in place
//! of `C_min`. The kernel picks
//!
//! ```text
//! ln(1/δ) = ln(p/τ) + (max(max_i min_k M_ik, max_j min_k M_kj) − min M)/ε
//! ```
//!
//! so that, for every `x ≥ 0`, **`‖K x − K̃ x‖_∞ ≤ τ ‖K x‖_∞` and
//! `‖Kᵀ x − K̃ᵀ x‖_∞ ≤ τ ‖Kᵀ x‖_∞`** (exact arithmetic; for a metric with a zero diagonal the
//! correction term is 0 and `δ = τ/p`). The componentwise line gives, at output i,
//! `|K x − K̃ x|_i / (K x)_i ≤ τ ‖K x‖_∞ / (K x)_i`: entries far below the largest output lose
//! relative accuracy (and may become exactly 0, which the barycenter reports as an underflow).
//!
//! Rounding: the test `M_ij ≤ bound` is evaluated in the working precision, which moves `δ` by
//! a factor `exp(±few ulp · M_ij/ε)`, negligible against the margin of the bound.
//!
//! # Construction cost
//!
//! A dense metric is scanned once (O(p²), no p × p kernel is formed). A grid metric
//! `M = Σ_a F_a` is enumerated row by row: since every term `F_a[i_a, j_a] − min_k F_a[i_a, k]`
//! is ≥ 0, a depth-first walk over the axes with per-axis candidate lists sorted by that excess
//! visits only the kept entries (plus the pruned first failure per level): O(nnz · d) work.

use nalgebra::DMatrix;

use crate::ot::{GridMetric, GroundMetric};
use crate::scalar::Scalar;

/// `ln(1/δ)` for the target normwise relative error `τ` (see the module documentation).
pub(crate) fn threshold_log<T: Scalar>(metric: &GroundMetric<T>, epsilon: T, tau: T) -> T {
    let p = metric.n_features();
    let (row_min, col_min) = row_col_min(metric);
    let worst = row_min.iter().chain(&col_min).copied().fold(T::zero(), |a, b| a.max(b));
    let best = row_min.iter().copied().fold(T::max_finite(), |a, b| a.min(b));
    (T::of_usize(p) / tau).ln() + (worst - best) / epsilon
}

/// Row minima and column minima of `M` (for a grid: sums of per-axis minima, which equal the
/// floating-point minima of the sums because rounded addition of non-negative values is
/// monotone).
pub(crate) fn row_col_min<T: Scalar>(metric: &GroundMetric<T>) -> (Vec<T>, Vec<T>) {
    match metric {
        GroundMetric::Dense(m) => {
            let p = m.nrows();
            let mut rows = vec![T::max_finite(); p];
            let mut cols = vec![T::max_finite(); p];
            for (j, cj) in cols.iter_mut().enumerate() {
                for (r, &v) in rows.iter_mut().zip(m.column(j).iter()) {
                    *r = r.min(v);
                    *cj = cj.min(v);
                }
            }
            (rows, cols)
        }
        GroundMetric::Grid(g) => {
            let per_axis_rows: Vec<Vec<T>> = g.factors.iter().map(|f| axis_row_min(f)).collect();
            let per_axis_cols: Vec<Vec<T>> =
                g.factors.iter().map(|f| axis_row_min(&f.transpose())).collect();
            let p = g.n_features();
            let sum = |per: &Vec<Vec<T>>, f: usize| {
                let idx = g.unravel(f);
                let mut s = per[0][idx[0]];
                for a in 1..idx.len() {
                    s += per[a][idx[a]];
                }
                s
            };
            (
                (0..p).map(|f| sum(&per_axis_rows, f)).collect(),
                (0..p).map(|f| sum(&per_axis_cols, f)).collect(),
            )
        }
    }
}

fn axis_row_min<T: Scalar>(f: &DMatrix<T>) -> Vec<T> {
    (0..f.nrows())
        .map(|i| f.row(i).iter().copied().fold(T::max_finite(), |a, b| a.min(b)))
        .collect()
}

/// What [`kept_entries`] returns.
pub(crate) struct Kept<T> {
    /// The kept `(i, j, M_ij)`, sorted by `(i, j)`.
    pub entries: Vec<(u32, u32, T)>,
    /// Per row i, a lower bound on `M_ij` over the dropped entries of row i (`T::max_finite()`
    /// if none is dropped): every dropped `K_ij ≤ exp(−drop_row_min[i]/ε)`.
    pub drop_row_min: Vec<T>,
    /// The same per column.
    pub drop_col_min: Vec<T>,
}

/// The kept pairs for the budget `b = ε ln(1/δ)`: `M_ij ≤ b + max(row_min_i, col_min_j)`.
pub(crate) fn kept_entries<T: Scalar>(metric: &GroundMetric<T>, budget: T) -> Kept<T> {
    let (row_min, col_min) = row_col_min(metric);
    let p = metric.n_features();
    let mut entries: Vec<(u32, u32, T)> = Vec::new();
    let mut drop_row_min = vec![T::max_finite(); p];
    let mut drop_col_min = vec![T::max_finite(); p];
    match metric {
        GroundMetric::Dense(m) => {
            for i in 0..p {
                for j in 0..p {
                    let v = m[(i, j)];
                    if v <= budget + row_min[i].max(col_min[j]) {
                        entries.push((i as u32, j as u32, v));
                    } else {
                        drop_row_min[i] = drop_row_min[i].min(v);
                        drop_col_min[j] = drop_col_min[j].min(v);
                    }
                }
            }
        }
        GroundMetric::Grid(g) => {
            // Row pass: entries within the budget of their row minimum. An entry dropped from
            // the union is dropped by the row pass, so the row pass's bound holds for it.
            grid_walk(g, &g.factors, budget, &row_min, &mut drop_row_min, |i, j, v| {
                entries.push((i, j, v))
            });
            // Column pass on the transposed factors: (j, i) walks column j of M.
            let ft: Vec<DMatrix<T>> = g.factors.iter().map(|f| f.transpose()).collect();
            grid_walk(g, &ft, budget, &col_min, &mut drop_col_min, |j, i, v| {
                entries.push((i, j, v))
            });
            entries.sort_unstable_by_key(|&(i, j, _)| (i, j));
            entries.dedup_by_key(|e| (e.0, e.1));
        }
    }
    Kept { entries, drop_row_min, drop_col_min }
}

/// Calls `emit(i, j, M_ij)` for every `(i, j)` with `M_ij ≤ budget + base[i]`, where
/// `M_ij = Σ_a factors[a][(i_a, j_a)]` (summed in axis order, as [`GroundMetric::to_dense`])
/// and `base[i] = Σ_a min_k factors[a][(i_a, k)]`. `drop_min[i]` receives a lower bound on
/// `M_ij` over the entries of row i that are not emitted.
fn grid_walk<T: Scalar>(
    g: &GridMetric<T>,
    factors: &[DMatrix<T>],
    budget: T,
    base: &[T],
    drop_min: &mut [T],
    mut emit: impl FnMut(u32, u32, T),
) {
    let d = g.shape.len();
    // Pruning uses exact-arithmetic excesses; pad by a relative slack so that rounding never
    // prunes an entry the final (exact, rounded) test keeps.
    let slack = budget.abs() * T::of_f64(1e-6) + T::min_positive();
    // cand[a][i_a] = [(j_a, excess)] sorted by excess (all of them: the first one beyond the
    // cap bounds the dropped entries from below).
    let cand: Vec<Vec<Vec<(usize, T)>>> = factors
        .iter()
        .map(|f| {
            (0..f.nrows())
                .map(|i| {
                    let mn = f.row(i).iter().copied().fold(T::max_finite(), |a, b| a.min(b));
                    let mut c: Vec<(usize, T)> =
                        (0..f.ncols()).map(|j| (j, f[(i, j)] - mn)).collect();
                    c.sort_by(|a, b| a.1.partial_cmp(&b.1).unwrap_or(std::cmp::Ordering::Equal));
                    c
                })
                .collect()
        })
        .collect();
    // Row-major strides.
    let mut stride = vec![1usize; d];
    for a in (0..d.saturating_sub(1)).rev() {
        stride[a] = stride[a + 1] * g.shape[a + 1];
    }
    let p = g.n_features();
    let mut idx = vec![0usize; d];
    for i in 0..p {
        let mut f = i;
        for a in (0..d).rev() {
            idx[a] = f % g.shape[a];
            f /= g.shape[a];
        }
        let limit = budget + base[i];
        // Smallest excess of a pruned candidate: every completion of a pruned partial index
        // has at least that excess (all excesses are ≥ 0).
        let mut pruned = T::max_finite();
        let mut over = T::max_finite();
        let mut on_leaf = |j: usize, m: T| {
            if m <= limit {
                emit(i as u32, j as u32, m);
            } else {
                over = over.min(m);
            }
        };
        let start = (T::zero(), T::zero(), budget + slack);
        walk(factors, &cand, &idx, &stride, 0, 0, start, &mut pruned, &mut on_leaf);
        // Excesses are computed in floating point: take off the slack.
        let from_pruned = if pruned == T::max_finite() { pruned } else { base[i] + pruned - slack };
        drop_min[i] = over.min(from_pruned).max(T::zero());
    }
}

/// Depth-first enumeration of axis `a` onwards: `col` is the partial column index, `m` the
/// partial metric sum (axis order), `excess` the partial excess over the row minima, `cap`
/// the largest excess visited; `pruned` receives the smallest excess pruned.
#[allow(clippy::too_many_arguments)]
fn walk<T: Scalar>(
    factors: &[DMatrix<T>],
    cand: &[Vec<Vec<(usize, T)>>],
    idx: &[usize],
    stride: &[usize],
    a: usize,
    col: usize,
    (m, excess, cap): (T, T, T),
    pruned: &mut T,
    emit: &mut dyn FnMut(usize, T),
) {
    let ia = idx[a];
    for &(ja, e) in &cand[a][ia] {
        let ex = excess + e;
        if ex > cap {
            *pruned = pruned.min(ex);
            break;
        }
        let v = factors[a][(ia, ja)];
        let mv = if a == 0 { v } else { m + v };
        let c = col + ja * stride[a];
        if a + 1 == factors.len() {
            emit(c, mv);
        } else {
            walk(factors, cand, idx, stride, a + 1, c, (mv, ex, cap), pruned, emit);
        }
    }
}
