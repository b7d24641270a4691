//! Nesterov momentum with function-value restarts for the outer alternation.
//!
//! The alternation `z_{k+1} = G(z_k)` on `z = (log θ, log v, log m)` (coefficients, Sinkhorn
//! scalings and the left marginals the next coordinate descent reads) behaves like a gradient
//! method on an ill-conditioned problem: the transport term is stiff along its large-scale
//! modes (curvature up to γ/θ) and soft along the others (down to ε/θ), so at the paper's
//! γ/ε ≈ 6,000 the objective gap decays like a power of k for thousands of iterations. The
//! momentum step replaces `z_k` by
//!
//! ```text
//! y_k = z_k + b_j (z_k − z_{k−1}),     b_j = (j − 1) / (j + 2),
//! ```
//!
//! j counting the iterations since the last restart, and restarts (j = 0, no extrapolation)
//! whenever an iteration raised the objective (O'Donoghue & Candès 2015, adaptive restart).
//! The fixed points are those of `G`. Measured on an overlap-study problem (blur design,
//! µ = λ = 0.03 λ_max, cold start): an objective gap of 1e-10 after about 900 iterations
//! instead of 11,000–15,000 with Anderson extrapolation or none.

/// Momentum state: the previous iterate and the iterations since the last restart.
#[derive(Clone, Debug, Default)]
pub struct Momentum {
    previous: Option<Vec<f64>>,
    since_restart: usize,
}

impl Momentum {
    /// A state with no history.
    pub fn new() -> Self {
        Momentum::default()
    }

    /// Records the iterate `z` reached by an iteration, and returns the point the next
    /// iteration should start from instead: `None` after a restart (`increased`: that
    /// iteration raised the objective), on the first call, and when the iterate changed length.
    pub fn step(&mut self, z: Vec<f64>, increased: bool) -> Option<Vec<f64>> {
        let previous = self.previous.replace(z);
        let Some(previous) = previous.filter(|p| !increased && p.len() == self.current().len())
        else {
            self.since_restart = 0;
            return None;
        };
        self.since_restart += 1;
        let j = self.since_restart as f64;
        let b = (j - 1.0) / (j + 2.0);
        let y: Vec<f64> =
            self.current().iter().zip(&previous).map(|(&z, &p)| z + b * (z - p)).collect();
        y.iter().all(|v| v.is_finite()).then_some(y)
    }

    fn current(&self) -> &[f64] {
        self.previous.as_deref().unwrap_or(&[])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Gradient descent on a quadratic with condition number 1e4, as a fixed-point map:
    /// momentum reaches 1e-8 of the start many times sooner than the plain map.
    #[test]
    fn momentum_accelerates_an_ill_conditioned_linear_map() {
        let curvatures: Vec<f64> = (0..50).map(|i| 10f64.powf(-4.0 * i as f64 / 49.0)).collect();
        let map = |z: &[f64]| -> Vec<f64> {
            z.iter().zip(&curvatures).map(|(v, c)| v - c * (v - 1.0)).collect()
        };
        let energy = |z: &[f64]| -> f64 {
            z.iter().zip(&curvatures).map(|(v, c)| c * (v - 1.0).powi(2)).sum()
        };
        let iterations = |accelerate: bool| {
            let mut z = vec![0.0; 50];
            let mut momentum = Momentum::new();
            let start = energy(&z);
            for k in 1..=100_000 {
                let before = energy(&z);
                z = map(&z);
                if accelerate {
                    if let Some(y) = momentum.step(z.clone(), energy(&z) > before) {
                        z = y;
                    }
                }
                if energy(&z) < 1e-8 * start {
                    return k;
                }
            }
            100_000
        };
        let (plain, fast) = (iterations(false), iterations(true));
        assert!(fast * 10 < plain, "momentum {fast} vs plain {plain} iterations");
    }

    #[test]
    fn restarts_and_length_changes_skip_the_extrapolation() {
        let mut m = Momentum::new();
        assert!(m.step(vec![0.0, 0.0], false).is_none());
        // j = 1: b = 0, the point itself.
        assert_eq!(m.step(vec![1.0, 2.0], false), Some(vec![1.0, 2.0]));
        // j = 2: b = 1/4.
        assert_eq!(m.step(vec![2.0, 2.0], false), Some(vec![2.25, 2.0]));
        assert!(m.step(vec![3.0, 2.0], true).is_none());
        assert!(m.step(vec![3.0], false).is_none());
        assert_eq!(m.step(vec![4.0], false), Some(vec![4.0]));
    }
}
