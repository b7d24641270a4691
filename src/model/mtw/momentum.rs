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
//! The fixed points are those of `G`.
//!
//! Entries equal to zero enter `z` as [`ZERO_LOG`] = ln(min_positive) ≈ −708. The gap between
//! that stand-in and the log of an entry that just became non-zero means nothing, and
//! extrapolating along it multiplies the entry by up to e^700 (signed reweighted fits, whose
//! coefficients switch on and off, overflowed this way). Such coordinates are therefore not
//! extrapolated: when either iterate sits at `ZERO_LOG` or below, `y` keeps `z`
//! ([`Momentum::on_zeros`] turns this off, to reproduce runs made before the rule). Measured on an overlap-study problem (blur design,
//! µ = λ = 0.03 λ_max, cold start): an objective gap of 1e-10 after about 900 iterations
//! instead of 11,000–15,000 with Anderson extrapolation or none.

/// The log coordinate that stands for an entry equal to zero: ln(f64::MIN_POSITIVE).
pub const ZERO_LOG: f64 = -708.396_418_532_264_1;

/// Momentum state: the previous iterate and the iterations since the last restart.
#[derive(Clone, Debug, Default)]
pub struct Momentum {
    previous: Option<Vec<f64>>,
    since_restart: usize,
    on_zeros: bool,
}

impl Momentum {
    /// A state with no history.
    pub fn new() -> Self {
        Momentum::default()
    }

    /// Also extrapolates coordinates at [`ZERO_LOG`] (the behaviour before the zero rule).
    pub fn on_zeros(mut self, on_zeros: bool) -> Self {
        self.on_zeros = on_zeros;
        self
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
        let extrapolate = |(&z, &p): (&f64, &f64)| {
            if !self.on_zeros && (z <= ZERO_LOG || p <= ZERO_LOG) {
                z
            } else {
                z + b * (z - p)
            }
        };
        let y: Vec<f64> = self.current().iter().zip(&previous).map(extrapolate).collect();
        y.iter().all(|v| v.is_finite()).then_some(y)
    }

    /// Forgets the history: the next [`Momentum::step`] only records its iterate.
    pub fn restart(&mut self) {
        self.previous = None;
        self.since_restart = 0;
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

    /// An entry leaving or reaching zero keeps its new value; the others are extrapolated.
    #[test]
    fn zero_entries_are_not_extrapolated() {
        let mut m = Momentum::new();
        m.step(vec![ZERO_LOG, -1.0, -3.0], false);
        m.step(vec![ZERO_LOG, -1.0, -3.0], false);
        // j = 2, b = 1/4: the first entry jumps from zero to e^-2, the third drops to zero.
        let y = m.step(vec![-2.0, 0.0, ZERO_LOG], false).unwrap();
        assert_eq!(y, vec![-2.0, 0.25, ZERO_LOG]);

        let mut m = Momentum::new().on_zeros(true);
        m.step(vec![ZERO_LOG, -1.0], false);
        m.step(vec![ZERO_LOG, -1.0], false);
        let y = m.step(vec![-2.0, 0.0], false).unwrap();
        assert_eq!(y, vec![-2.0 + 0.25 * (-2.0 - ZERO_LOG), 0.25]);
    }

    #[test]
    fn zero_log_is_the_log_of_the_smallest_normal() {
        assert_eq!(f64::MIN_POSITIVE.ln(), ZERO_LOG);
    }

    #[test]
    fn restart_forgets_the_history() {
        let mut m = Momentum::new();
        m.step(vec![0.0], false);
        m.restart();
        assert!(m.step(vec![1.0], false).is_none());
        assert_eq!(m.step(vec![2.0], false), Some(vec![2.0]));
    }
}
