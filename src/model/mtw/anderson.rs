//! Anderson extrapolation of the outer iterates, for an alternation that converges linearly.
//!
//! Given iterates `z_0, …, z_K` of a fixed-point map, the differences `r_i = z_i − z_{i−1}`
//! (i = 1..K) are combined with weights `c` that minimise `‖Σ c_i r_i‖²` subject to
//! `Σ c_i = 1`:
//!
//! ```text
//! (RᵀR + ρ I) w = 1,    c = w / Σ w,    z_extrapolated = Σ_i c_i z_i
//! ```
//!
//! with a small Tikhonov term `ρ = 1e-10 ‖RᵀR‖` against near-collinear differences. For a
//! linear map the extrapolation cancels the slowest K error modes; the caller keeps it only
//! when it lowers the objective, so a poor extrapolation costs one evaluation and nothing else.
//! This is the "offline" scheme of Bertrand & Massias (2021, Anderson acceleration of
//! coordinate descent), applied here to the MTW alternation.

use nalgebra::{DMatrix, DVector};

/// A block of at most `memory + 1` iterates, extrapolated once full.
#[derive(Clone, Debug)]
pub struct Anderson {
    memory: usize,
    iterates: Vec<Vec<f64>>,
}

impl Anderson {
    /// An empty history that extrapolates from `memory` differences (`memory + 1` iterates).
    pub fn new(memory: usize) -> Self {
        Anderson { memory: memory.max(1), iterates: Vec::with_capacity(memory + 1) }
    }

    /// Records an iterate; a length different from the previous ones restarts the history.
    pub fn push(&mut self, z: Vec<f64>) {
        if self.iterates.first().is_some_and(|first| first.len() != z.len()) {
            self.iterates.clear();
        }
        self.iterates.push(z);
    }

    /// Whether `memory + 1` iterates are stored.
    pub fn is_full(&self) -> bool {
        self.iterates.len() > self.memory
    }

    /// Forgets every iterate (a new block starts).
    pub fn clear(&mut self) {
        self.iterates.clear();
    }

    /// The extrapolated point of a full history, or `None` when the history is not full or
    /// the weights are not finite.
    pub fn extrapolate(&self) -> Option<Vec<f64>> {
        if !self.is_full() {
            return None;
        }
        let k = self.memory;
        let len = self.iterates[0].len();
        let diffs = DMatrix::from_fn(len, k, |j, i| self.iterates[i + 1][j] - self.iterates[i][j]);
        let mut gram = diffs.transpose() * &diffs;
        let rho = 1e-10 * gram.norm();
        if !(rho.is_finite() && rho > 0.0) {
            return None;
        }
        for i in 0..k {
            gram[(i, i)] += rho;
        }

        let w = gram.cholesky()?.solve(&DVector::from_element(k, 1.0));
        let total = w.sum();
        if !(total.is_finite() && total != 0.0) {
            return None;
        }
        let c = w / total;

        let mut z = vec![0.0; len];
        for (i, &ci) in c.iter().enumerate() {
            for (zj, &xj) in z.iter_mut().zip(&self.iterates[i + 1]) {
                *zj += ci * xj;
            }
        }
        z.iter().all(|v| v.is_finite()).then_some(z)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// On a linear contraction z ↦ A z + b with 3 distinct eigenvalues, 4 differences can
    /// cancel every error mode (the extrapolation error is `A q(A) e₀` for a cubic q with
    /// q(1) = 1); the Tikhonov term leaves a small remainder when the slowest mode dominates.
    #[test]
    fn linear_map_is_nearly_solved() {
        let a = [0.99, 0.6, 0.2];
        let b = [1.0, -2.0, 0.5];
        let fixed: Vec<f64> = (0..3).map(|j| b[j] / (1.0 - a[j])).collect();
        let mut acc = Anderson::new(4);
        let mut z = vec![0.0; 3];
        for _ in 0..5 {
            acc.push(z.clone());
            z = (0..3).map(|j| a[j] * z[j] + b[j]).collect();
        }
        let error =
            |v: &[f64]| v.iter().zip(&fixed).map(|(x, f)| (x - f).abs()).fold(0.0, f64::max);
        let extrapolated = acc.extrapolate().expect("a full history extrapolates");
        let plain = error(&z);
        assert!(plain > 90.0, "plain iteration is still far: {plain}");
        assert!(error(&extrapolated) < 1e-2 * plain, "{extrapolated:?} vs {fixed:?}");
    }

    #[test]
    fn partial_history_does_not_extrapolate() {
        let mut acc = Anderson::new(2);
        acc.push(vec![1.0]);
        acc.push(vec![2.0]);
        assert!(acc.extrapolate().is_none());
        acc.push(vec![2.5]);
        assert!(acc.extrapolate().is_some());
        acc.clear();
        assert!(!acc.is_full());
    }

    #[test]
    fn stalled_iterates_give_none() {
        let mut acc = Anderson::new(2);
        for _ in 0..3 {
            acc.push(vec![1.0, 2.0]);
        }
        assert!(acc.extrapolate().is_none());
    }
}
