//! The translation step of the barycenter sweeps: per-task shifts of the scalings along the
//! mode a sweep barely moves when γ ≫ ε.
//!
//! # The dual and its slow mode
//!
//! With dual potentials `φ_t = ε log u_t`, `ψ_t = ε log v_t`, the barycenter problem
//! `min_q Σ_t W(θ_t, q)` has the dual
//!
//! ```text
//! max  Σ_t [ −γ <θ_t, exp(−φ_t/γ) − 1> − ε <exp(φ_t/ε), K exp(ψ_t/ε)> ]
//! s.t. Σ_t exp(−ψ_tj/γ) ≤ T  for every j
//! ```
//!
//! whose multipliers are the barycenter q. The u-update maximises it over φ, the q- and
//! v-updates over ψ (the power mean makes every constraint tight). A shift
//! `(φ_t, ψ_t) → (φ_t + λ_t, ψ_t − λ_t)` leaves the plans unchanged; a sweep shrinks it only
//! by about `(γ/(γ+ε))²`, so when γ ≫ ε that mode needs tens of thousands of sweeps.
//!
//! # The step
//!
//! Between the u- and the v-update, shift `φ_t` by `λ_t` and let the v-update answer. With
//! `k_tj = (Kᵀu_t)_j` at λ = 0, `A_t = Σ_i θ_ti exp(−φ_ti/γ)` and `r = ε/(γ+ε)`, the dual
//! after that best answer is, up to a constant,
//!
//! ```text
//! H(λ) = −γ Σ_t A_t exp(−λ_t/γ) − ε T Σ_j q_j(λ),
//! q_j(λ) = ( (1/T) Σ_t k_tj^r exp(λ_t/(γ+ε)) )^(1/r)      (the q-update's power mean)
//! ```
//!
//! (the v-block's optimal value is `−ε Σ_t n_tj = −ε T q_j`). H is smooth and concave in
//! λ ∈ R^T; with `π_tj = k_tj^r e^{λ_t/(γ+ε)} / Σ_s k_sj^r e^{λ_s/(γ+ε)}` and the right
//! marginals `n_tj = T π_tj q_j`,
//!
//! ```text
//! ∂H/∂λ_t      = A_t e^{−λ_t/γ} − Σ_j n_tj                 (left mass wanted − plan mass)
//! ∂²H/∂λ_t∂λ_s = −δ_ts (A_t e^{−λ_t/γ}/γ + r Σ_j n_tj / ε) − (γ/(γ+ε)) Σ_j n_tj π_sj / ε
//! ```
//!
//! A few damped Newton iterations maximise it; every accepted iterate raises H, so the sweep
//! with the step never ends lower on the dual than the sweep without it. This is the idea of
//! Séjourné et al. (*Faster unbalanced optimal transport: translation invariant Sinkhorn and
//! 1-D Frank-Wolfe*, AISTATS 2022) for one plan, carried to the barycenter's coupled tasks.

use nalgebra::{DMatrix, DVector};

use crate::scalar::Scalar;

/// Newton iterations per step at most.
const MAX_NEWTON: usize = 8;

/// Halvings of a Newton step before the step is given up.
const MAX_HALVINGS: usize = 30;

/// Newton steps whose predicted gain `gᵀ(−∇²H)⁻¹g` is below this many units of the working
/// precision's rounding, relative to |H|, are not taken: H cannot show such a gain, and in f32
/// the rounding of the scalings alone makes a gradient that large, which the Newton step would
/// amplify along the flat direction into shifts that never settle.
const PREDICTED_GAIN_FLOOR: f64 = 0.5;

/// The shifts `c_t = λ_t/ε` to add to `log u_t` (and to `log Kᵀu_t`) of the active tasks, from
/// the u-update's `log_u` and `log_ktu` (p × T); empty when no shift raises the dual.
///
/// `log_theta` holds `log θ` (−∞ off the support), `active[t]` whether θ_t has mass; inactive
/// tasks still count in the `1/T` of the power mean. All arithmetic in f64.
pub(crate) fn shifts<T: Scalar>(
    log_theta: &DMatrix<T>,
    active: &[bool],
    log_u: &DMatrix<T>,
    log_ktu: &DMatrix<T>,
    epsilon: T,
    gamma: T,
) -> Vec<(usize, T)> {
    let (eps, gamma) = (epsilon.to_f64(), gamma.to_f64());
    let tasks: Vec<usize> = (0..active.len()).filter(|&t| active[t]).collect();
    let dual = Dual::new(log_theta, &tasks, log_u, log_ktu, eps, gamma, active.len());
    let Some(mut here) = dual.eval(&DVector::zeros(tasks.len())) else {
        return Vec::new();
    };
    let start = here.value;
    let gain_floor = PREDICTED_GAIN_FLOOR * T::epsilon_machine().to_f64();

    for _ in 0..MAX_NEWTON {
        let Some(chol) = (-here.hessian.clone()).cholesky() else {
            break;
        };
        let step = chol.solve(&here.gradient);
        // Newton's predicted gain; below rounding of H, another evaluation cannot show it.
        if here.gradient.dot(&step) <= gain_floor * here.value.abs() {
            break;
        }
        let mut scale = 1.0;
        let mut next = None;
        for _ in 0..MAX_HALVINGS {
            let trial = &here.lambda + &step * scale;
            match dual.eval(&trial) {
                Some(e) if e.value > here.value => {
                    next = Some(e);
                    break;
                }
                _ => scale *= 0.5,
            }
        }
        let Some(next) = next else {
            break;
        };
        here = next;
    }

    if here.value <= start {
        return Vec::new();
    }
    tasks.iter().zip(here.lambda.iter()).map(|(&t, &l)| (t, T::of_f64(l / eps))).collect()
}

/// `H` of the module documentation for fixed `log_u`, `log_ktu`.
struct Dual {
    /// `log A_t` per active task.
    log_a: Vec<f64>,
    /// `r log k_tj`, p × (active tasks).
    rk: DMatrix<f64>,
    eps: f64,
    gamma: f64,
    /// All tasks, active or not (the power mean's `T`).
    n_tasks: f64,
}

/// H, its gradient and Hessian at `lambda`.
struct Eval {
    lambda: DVector<f64>,
    value: f64,
    gradient: DVector<f64>,
    hessian: DMatrix<f64>,
}

impl Dual {
    fn new<T: Scalar>(
        log_theta: &DMatrix<T>,
        tasks: &[usize],
        log_u: &DMatrix<T>,
        log_ktu: &DMatrix<T>,
        eps: f64,
        gamma: f64,
        n_tasks: usize,
    ) -> Self {
        let p = log_u.nrows();
        let ratio = eps / gamma;
        let r = eps / (gamma + eps);
        let log_a = tasks
            .iter()
            .map(|&t| {
                log_sum_exp(
                    (0..p)
                        .filter(|&i| log_theta[(i, t)].finite())
                        .map(|i| log_theta[(i, t)].to_f64() - ratio * log_u[(i, t)].to_f64()),
                )
            })
            .collect();
        let rk = DMatrix::from_fn(p, tasks.len(), |j, s| r * log_ktu[(j, tasks[s])].to_f64());
        Dual { log_a, rk, eps, gamma, n_tasks: n_tasks as f64 }
    }

    /// None when a value is not finite (the caller then shortens the step or gives up).
    fn eval(&self, lambda: &DVector<f64>) -> Option<Eval> {
        let (p, m) = self.rk.shape();
        let (eps, gamma) = (self.eps, self.gamma);
        let r = eps / (gamma + eps);
        let f = gamma / (gamma + eps);

        // θ-side terms: a_t = A_t e^{−λ_t/γ}.
        let a: Vec<f64> = (0..m).map(|t| (self.log_a[t] - lambda[t] / gamma).exp()).collect();
        let mut value = -gamma * a.iter().sum::<f64>();
        let mut gradient = DVector::from_column_slice(&a);
        let mut hessian =
            DMatrix::from_diagonal(&DVector::from_iterator(m, a.iter().map(|&x| -x / gamma)));

        // Power-mean side, pixel by pixel.
        let mut y = vec![0.0; m];
        let mut pi = vec![0.0; m];
        for j in 0..p {
            let mut top = f64::NEG_INFINITY;
            for s in 0..m {
                y[s] = self.rk[(j, s)] + lambda[s] / (gamma + eps);
                top = top.max(y[s]);
            }
            if top == f64::NEG_INFINITY {
                continue;
            }
            let mut sum = 0.0;
            for s in 0..m {
                pi[s] = (y[s] - top).exp();
                sum += pi[s];
            }
            pi.iter_mut().for_each(|x| *x /= sum);
            let q = ((top + sum.ln() - self.n_tasks.ln()) / r).exp();
            value -= eps * self.n_tasks * q;
            for t in 0..m {
                let n = self.n_tasks * pi[t] * q;
                gradient[t] -= n;
                hessian[(t, t)] -= r * n / eps;
                for s in 0..m {
                    hessian[(t, s)] -= f * n * pi[s] / eps;
                }
            }
        }
        let finite = value.is_finite()
            && gradient.iter().all(|x| x.is_finite())
            && hessian.iter().all(|x| x.is_finite());
        finite.then(|| Eval { lambda: lambda.clone(), value, gradient, hessian })
    }
}

/// `log Σ exp(x)`, shifted by the maximum (−∞ for no finite term).
fn log_sum_exp(x: impl Iterator<Item = f64> + Clone) -> f64 {
    let top = x.clone().fold(f64::NEG_INFINITY, f64::max);
    if top == f64::NEG_INFINITY {
        return top;
    }
    top + x.map(|v| (v - top).exp()).sum::<f64>().ln()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Four features, three tasks (the last inactive), moderate γ/ε so finite differences
    /// resolve H.
    fn dual() -> (Dual, DMatrix<f64>, DMatrix<f64>, DMatrix<f64>) {
        let log_theta = DMatrix::from_fn(4, 3, |i, t| match (i, t) {
            (_, 2) | (0, 1) => f64::NEG_INFINITY,
            _ => 0.3 * i as f64 - 0.5 * t as f64,
        });
        let log_u = DMatrix::from_fn(4, 3, |i, t| 0.7 - 0.2 * (i * (t + 1)) as f64);
        let log_ktu = DMatrix::from_fn(4, 3, |i, t| -0.4 + 0.15 * (i + 2 * t) as f64);
        let d = Dual::new(&log_theta, &[0, 1], &log_u, &log_ktu, 0.05, 2.0, 3);
        (d, log_theta, log_u, log_ktu)
    }

    #[test]
    fn gradient_and_hessian_match_finite_differences() {
        let (d, ..) = dual();
        let at = DVector::from_vec(vec![0.03, -0.02]);
        let e = d.eval(&at).unwrap();
        let h = 1e-5;
        for s in 0..2 {
            let mut up = at.clone();
            let mut down = at.clone();
            up[s] += h;
            down[s] -= h;
            let (eu, ed) = (d.eval(&up).unwrap(), d.eval(&down).unwrap());
            let slope = (eu.value - ed.value) / (2.0 * h);
            assert!((slope - e.gradient[s]).abs() < 1e-6 * e.gradient.amax().max(1.0));
            for t in 0..2 {
                let curv = (eu.gradient[t] - ed.gradient[t]) / (2.0 * h);
                let scale = e.hessian.amax();
                assert!(
                    (curv - e.hessian[(t, s)]).abs() < 1e-5 * scale,
                    "Hessian ({t}, {s}): {curv} by differences, {} analytic",
                    e.hessian[(t, s)]
                );
            }
        }
    }

    #[test]
    fn shifts_maximise_the_dual() {
        let (d, log_theta, log_u, log_ktu) = dual();
        let shifts = shifts(&log_theta, &[true, true, false], &log_u, &log_ktu, 0.05, 2.0);
        assert_eq!(shifts.iter().map(|s| s.0).collect::<Vec<_>>(), vec![0, 1]);
        let lambda = DVector::from_iterator(2, shifts.iter().map(|s| s.1 * 0.05));
        let (start, end) = (d.eval(&DVector::zeros(2)).unwrap(), d.eval(&lambda).unwrap());
        assert!(end.value > start.value);
        assert!(
            end.gradient.amax() < 1e-8 * start.gradient.amax(),
            "gradient {:?} at the shifts, {:?} at 0",
            end.gradient,
            start.gradient
        );
    }
}
