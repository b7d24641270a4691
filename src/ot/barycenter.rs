//! Generalized Sinkhorn iterations for the unbalanced entropic barycenter (Algorithm 2).
//!
//! # Problem
//!
//! `min_{q ≥ 0} Σ_t W(θ_t, q)` with, for the plan `P ∈ R₊^{p×p}` (paper eq. 5),
//!
//! ```text
//! W(a, b) = min_P <P, M> + ε Σ_ij P_ij (log P_ij − 1) + γ KL(P 1 | a) + γ KL(Pᵀ 1 | b)
//! KL(x | y) = Σ_i x_i log(x_i / y_i) − x_i + y_i          (0 log 0 = 0)
//! ```
//!
//! The optimal plans are `P_t = diag(u_t) K diag(v_t)` with `K = exp(−M/ε)`.
//!
//! # Iteration (as mutar / POT compute it)
//!
//! With `f = γ/(γ+ε)`, `r = 1 − f = ε/(γ+ε)`, scalings started at 1 (or at a warm state), one
//! sweep is
//!
//! ```text
//! u_t = (θ_t / K v_t)^f                  (u_t,i = 0 where θ_t,i = 0)
//! q   = ( (1/T) Σ_t (Kᵀ u_t)^r )^(1/r)
//! v_t = (q / Kᵀ u_t)^f
//! ```
//!
//! Left marginal `m_t = u_t ⊙ K v_t`, right marginal `n_t = v_t ⊙ Kᵀ u_t`.
//!
//! **Representation.** Scalings are always held as logarithms (`log u`, `log v`, `log q`); the
//! two domains differ only in how the kernel is applied: the scaling domain computes
//! `log(K exp(x))` by a plain product (gemm or separable products), the log domain by
//! log-sum-exp. The power mean of the q-update is evaluated as
//! `log q = (c + ln_1p((1/T) Σ_t expm1(r log Kᵀu_t − c))) / r`, `c = max_t r log Kᵀu_t`, which
//! stays accurate when `r` is small (γ ≫ ε) and never under- or overflows.
//!
//! **Zero inputs.** A column θ_t = 0 has `u_t = 0`, `P_t = 0`, `m_t = n_t = 0`; it still counts
//! in the 1/T of the q-update (its `(Kᵀu_t)^r` is 0), its `log v_t` is set to 0 by convention
//! (it multiplies a zero plan) and it contributes `γ Σ q` to the objective. If every column is
//! 0 the barycenter is 0 and no sweep is run.
//!
//! **Auto switching.** In the scaling domain a sweep fails if it produces a non-finite value,
//! or a value below the smallest normal number where mass is expected: `v_t` (active tasks),
//! `K v_t` and `u_t` at the support of θ_t, `Kᵀ u_t` everywhere (active tasks). With
//! [`KernelStrategy::Auto`] the failed sweep is discarded, the last good (log-)scalings are kept
//! and the solve continues in the log domain (`log_domain_used = true`,
//! `state.log_domain = true`); a warning is logged. With `Dense`, `Separable` or
//! `SparseTruncated` the solve returns [`Error::Numerical`]. A zero entry of `K` itself
//! (`M_ij/ε` large) is not a failure. An approximate kernel (`SparseTruncated`) also fails a
//! sweep when an output where mass is expected is not certified to its componentwise
//! tolerance ([`Kernel::uncertified`]): the dropped entries could matter there.
//!
//! **Stopping rule.** For vectors `x`, `x_old` let
//! `rel(x, x_old) = max_j |x_j − x_old_j| / max(max_j x_j, max_j x_old_j)` (evaluated after
//! shifting both logarithms by their common maximum, which leaves the ratio unchanged and
//! avoids underflow). After each sweep from the second on,
//! `change = max(rel(q, q_old), rel(m̃, m̃_old))` where `m̃_t = u_t ⊙ K v_t` uses this sweep's
//! `u` and the `K v` it was computed from (the left marginals, free of charge; the max runs
//! over all tasks and features). Converged when `change < tol`.
//!
//! **How far a converged solve is.** The test bounds the change of one sweep, not the
//! distance to the fixed point. If the changes shrink by a factor ρ per sweep, the distance
//! left is about `change × ρ/(1 − ρ)`; with γ ≫ ε, ρ is close to 1 and that is thousands of
//! `tol` (16 × 16 grid, the paper's ε and γ, tol 1e-8: 1.25e-5).
//! [`BarycenterOutput::error_estimate`] reports it, with ρ measured over the last ten sweeps
//! (within 1 % of the true distance in `tests/ot_barycenter.rs`).
//!
//! mutar stops on `rel(q, q_old)` alone. That test can fire long before the plans converge:
//! perturbations of the scalings that move the tasks' `Kᵀu_t` in opposite directions leave
//! the power mean q unchanged to first order. With p = 1, T = 2, ε = 0.3, γ = 2 the q-only
//! rule stops at tol 1e-13 with the marginals still 5e-7 off; with the marginal term they
//! are exact to rounding. On the reference cases the extra term costs 1–10 % more sweeps.
//! The marginals are what the MTW coordinate descent consumes, so they are checked too.
//!
//! **Translation step** (off by default, [`UnbalancedBarycenter::with_translation`]). When
//! γ ≫ ε a sweep shrinks a per-task shift of the scalings (`log u_t + c`, `log v_t − c`, which
//! leaves the plan unchanged) only by about `(γ/(γ+ε))²`. With the step on, the u-update of
//! every sweep is followed by the per-task shift of `log u` that maximises the dual once the
//! v-update has answered it (a few Newton iterations on a concave function of T variables,
//! see [`crate::ot::translation`]); the solution is the same, the sweep count lower when that
//! mode is what limits it.
//!
//! **Precision floor.** Rounding of the log-scalings alone moves `change` by about
//! `max |log u, log v| × ε_mach` per sweep. In f32 with small ε (log-scalings ~1e3) that is
//! ~5e-5, so a smaller `tol` is never met and the solve runs `max_iter` sweeps
//! (`converged = false`, the result is still as accurate as f32 allows).

use nalgebra::{DMatrix, DVector};

use crate::error::{Error, Result};
use crate::ot::kernel::{build_kernel, neg_inf, Domain, Kernel};
use crate::ot::translation;
use crate::ot::{GroundMetric, KernelStrategy};
use crate::scalar::Scalar;
use crate::validate::{nonnegative_matrix, positive};

/// Sinkhorn scalings kept between calls (warm start), in log form: `u = exp(log_u)`.
#[derive(Clone, Debug)]
pub struct SinkhornState<T: Scalar> {
    /// log u_t, p × T (−∞ where input t has no mass).
    pub log_u: DMatrix<T>,
    /// log v_t, p × T.
    pub log_v: DMatrix<T>,
    /// Whether these scalings came from the log domain (Auto then stays there).
    pub log_domain: bool,
}

/// What one barycenter solve returns.
#[derive(Clone, Debug)]
pub struct BarycenterOutput<T: Scalar> {
    /// The barycenter θ̄ (p).
    pub barycenter: DVector<T>,
    /// Left marginals `m_t = u_t ⊙ K v_t`, p × T.
    pub marginals: DMatrix<T>,
    /// Right marginals `n_t = v_t ⊙ Kᵀ u_t`, p × T (at convergence `θ̄ = mean_t n_t`).
    pub marginals_right: DMatrix<T>,
    /// The OT objective `Σ_t W(θ_t, θ̄)` of eq. (5) at the returned scalings.
    pub objective: T,
    /// `W(θ_t, θ̄)` per task (T), summing to `objective`.
    pub objective_per_task: DVector<T>,
    /// Sinkhorn sweeps performed.
    pub iterations: usize,
    /// Whether the relative max change of θ̄ and of the left marginals fell below tolerance
    /// (see the module documentation for the exact rule).
    pub converged: bool,
    /// Estimated distance still to go of the quantities the stopping rule watches (θ̄ and the
    /// left marginals, relative, the larger of the two): the last change times `ρ/(1 − ρ)`,
    /// where ρ is the contraction per sweep seen over the last sweeps (up to ten). When
    /// γ ≫ ε a converged solve can be far more than `tol` from the fixed point; θ̄ alone is
    /// often much closer than the marginals. `None` with fewer than three sweeps or when the
    /// changes are not shrinking.
    pub error_estimate: Option<T>,
    /// Whether the log domain was used (from the start, or after an Auto switch).
    pub log_domain_used: bool,
    /// Scalings to warm-start the next call.
    pub state: SinkhornState<T>,
}

/// The last few changes between sweeps, for [`BarycenterOutput::error_estimate`].
#[derive(Default)]
struct ChangeHistory {
    /// Oldest first, at most `SPAN + 1`.
    recent: std::collections::VecDeque<f64>,
}

impl ChangeHistory {
    /// Sweeps over which the contraction rate is measured.
    const SPAN: usize = 10;

    fn push(&mut self, change: f64) {
        if self.recent.len() > Self::SPAN {
            self.recent.pop_front();
        }
        self.recent.push_back(change);
    }

    /// `c ρ/(1 − ρ)` with `c` the last change and `ρ = (c / c_first)^(1/k)` over the `k`
    /// sweeps kept: the sum of the changes still to come if they keep shrinking at that rate.
    fn distance_estimate(&self) -> Option<f64> {
        let (first, last) = (*self.recent.front()?, *self.recent.back()?);
        let k = self.recent.len() - 1;
        if k < 2 || first <= 0.0 || last.is_nan() || last >= first {
            return None;
        }
        let rate = (last / first).powf(1.0 / k as f64);
        Some(last * rate / (1.0 - rate))
    }
}

/// The unbalanced barycenter problem `min_θ̄ Σ_t W(θ_t, θ̄)` for fixed M, ε, γ, with the
/// kernel built once.
///
/// `solve` takes `&self` and the type is `Send + Sync`: one instance can serve many solves,
/// also from several threads.
#[derive(Debug)]
pub struct UnbalancedBarycenter<T: Scalar> {
    p: usize,
    epsilon: T,
    gamma: T,
    strategy: KernelStrategy,
    scaling: Option<Box<dyn Kernel<T>>>,
    log: Option<Box<dyn Kernel<T>>>,
    translate: bool,
}

/// Why a scaling-domain sweep was rejected.
struct Failure(String);

/// The quantities produced by one sweep.
struct Sweep<T: Scalar> {
    /// `log(u ⊙ K v_old)`: the left marginals of this sweep's u and the previous v (free).
    log_m: DMatrix<T>,
    log_u: DMatrix<T>,
    log_ktu: DMatrix<T>,
    log_q: DVector<T>,
    log_v: DMatrix<T>,
}

impl<T: Scalar> UnbalancedBarycenter<T> {
    /// Builds the kernel for `metric`, entropy `epsilon` > 0 and marginal relaxation `gamma` > 0.
    ///
    /// `Auto` builds both a scaling kernel and a log kernel (Dense + LogDense for a dense
    /// metric, Separable + LogSeparable for a grid). Separable strategies on a dense metric are
    /// an [`Error::Parameter`]; dense strategies on a grid use its dense form.
    pub fn new(
        metric: &GroundMetric<T>,
        epsilon: T,
        gamma: T,
        strategy: KernelStrategy,
    ) -> Result<Self> {
        positive("epsilon", epsilon)?;
        positive("gamma", gamma)?;
        metric.validate()?;
        let (scaling, log) = match strategy {
            KernelStrategy::Auto => {
                let (s, l) = match metric {
                    GroundMetric::Dense(_) => (KernelStrategy::Dense, KernelStrategy::LogDense),
                    GroundMetric::Grid(_) => {
                        (KernelStrategy::Separable, KernelStrategy::LogSeparable)
                    }
                };
                (Some(build_kernel(metric, epsilon, s)?), Some(build_kernel(metric, epsilon, l)?))
            }
            s => {
                let k = build_kernel(metric, epsilon, s)?;
                match k.domain() {
                    Domain::Scaling => (Some(k), None),
                    Domain::Log => (None, Some(k)),
                }
            }
        };
        Ok(UnbalancedBarycenter {
            p: metric.n_features(),
            epsilon,
            gamma,
            strategy,
            scaling,
            log,
            translate: false,
        })
    }

    /// Adds the translation step between the u- and v-updates of every sweep (see
    /// [`crate::ot::translation`]); off by default.
    pub fn with_translation(mut self, on: bool) -> Self {
        self.translate = on;
        self
    }

    /// Number of features p.
    pub fn n_features(&self) -> usize {
        self.p
    }

    /// Entropic regularisation ε.
    pub fn epsilon(&self) -> T {
        self.epsilon
    }

    /// Marginal relaxation γ.
    pub fn gamma(&self) -> T {
        self.gamma
    }

    /// The kernel strategy this instance was built with.
    pub fn strategy(&self) -> KernelStrategy {
        self.strategy
    }

    /// Solves for the barycenter of the columns of `inputs` (p × T, non-negative), from `warm`
    /// scalings when given (else from u = v = 1), stopping when the relative max change of θ̄
    /// (and of the left marginals, see the module documentation) is below `tol` or after
    /// `max_iter` sweeps. Convergence needs at least 2 sweeps (the first has nothing to
    /// compare with).
    ///
    /// Only `warm.log_v` enters the computation (each sweep starts with the u-update); both
    /// `log_u` and `log_v` must be p × T ([`Error::Shape`]) and `log_v` must be finite in the
    /// columns of non-zero inputs ([`Error::NonFinite`]). With `Auto`, a warm state with
    /// `log_domain = true` starts in the log domain.
    ///
    /// Errors: [`Error::Shape`] (inputs not p rows), [`Error::Empty`] (no column),
    /// [`Error::NonFinite`] / [`Error::Negative`] (inputs), [`Error::Parameter`] (`tol` not
    /// finite or negative, `max_iter = 0`), [`Error::Numerical`] (a scaling-only strategy
    /// under- or overflowed: use `Auto` or a log strategy).
    pub fn solve(
        &self,
        inputs: &DMatrix<T>,
        warm: Option<&SinkhornState<T>>,
        tol: T,
        max_iter: usize,
    ) -> Result<BarycenterOutput<T>> {
        let p = self.p;
        if inputs.nrows() != p {
            return Err(Error::Shape(format!(
                "barycenter inputs have {} rows but the ground metric has {p} features",
                inputs.nrows()
            )));
        }
        let nt = inputs.ncols();
        if nt == 0 {
            return Err(Error::Empty("barycenter of no input (T = 0)".into()));
        }
        nonnegative_matrix("barycenter inputs", inputs)?;
        if !(tol.finite() && tol >= T::zero()) {
            return Err(Error::parameter("tol", tol, "must be finite and >= 0"));
        }
        if max_iter == 0 {
            return Err(Error::parameter("max_iter", max_iter, "must be at least 1"));
        }

        let ninf = neg_inf::<T>();
        let active: Vec<bool> =
            (0..nt).map(|t| inputs.column(t).iter().any(|&x| x > T::zero())).collect();
        let log_theta = inputs.map(|x| if x > T::zero() { x.ln() } else { ninf });

        let mut log_v = match warm {
            None => DMatrix::zeros(p, nt),
            Some(w) => {
                for (name, m) in [("log_u", &w.log_u), ("log_v", &w.log_v)] {
                    if m.shape() != (p, nt) {
                        return Err(Error::Shape(format!(
                            "warm-start {name} is {}×{} but the inputs are {p}×{nt}",
                            m.nrows(),
                            m.ncols()
                        )));
                    }
                }
                for t in (0..nt).filter(|&t| active[t]) {
                    if let Some(i) = w.log_v.column(t).iter().position(|x| !x.finite()) {
                        return Err(Error::NonFinite {
                            what: "warm-start log_v".into(),
                            detail: format!("entry ({i}, {t}) is {}", w.log_v[(i, t)]),
                        });
                    }
                }
                w.log_v.clone()
            }
        };
        for t in (0..nt).filter(|&t| !active[t]) {
            log_v.column_mut(t).fill(T::zero());
        }

        let mut in_log = match self.strategy {
            KernelStrategy::LogDense | KernelStrategy::LogSeparable => true,
            KernelStrategy::Dense | KernelStrategy::Separable | KernelStrategy::SparseTruncated => {
                false
            }
            KernelStrategy::Auto => warm.is_some_and(|w| w.log_domain),
        };

        if !active.iter().any(|&a| a) {
            return Ok(BarycenterOutput {
                barycenter: DVector::zeros(p),
                marginals: DMatrix::zeros(p, nt),
                marginals_right: DMatrix::zeros(p, nt),
                objective: T::zero(),
                objective_per_task: DVector::zeros(nt),
                iterations: 0,
                converged: true,
                error_estimate: Some(T::zero()),
                log_domain_used: in_log,
                state: SinkhornState {
                    log_u: DMatrix::from_element(p, nt, ninf),
                    log_v,
                    log_domain: in_log,
                },
            });
        }

        let ctx = Ctx { log_theta: &log_theta, active: &active };
        let mut log_domain_used = in_log;
        let mut last: Option<Sweep<T>> = None;
        let mut iterations = 0;
        let mut converged = false;
        let mut changes = ChangeHistory::default();
        while iterations < max_iter {
            let sweep = self.sweep_switching(&ctx, &log_v, &mut in_log)?;
            log_domain_used |= in_log;
            iterations += 1;
            let change = last.as_ref().map(|prev| {
                relative_change(sweep.log_q.as_slice(), prev.log_q.as_slice())
                    .max(relative_change(sweep.log_m.as_slice(), prev.log_m.as_slice()))
            });
            log_v = sweep.log_v.clone();
            last = Some(sweep);
            if let Some(c) = change {
                changes.push(c.to_f64());
                if c < tol {
                    converged = true;
                    break;
                }
            }
        }
        let last = last.expect("max_iter >= 1 sweeps were run");

        // Left marginals from the final scalings: one more K v.
        let log_kv = match self.apply(in_log, &last.log_v, false, &|i, t| log_theta[(i, t)] > ninf)
        {
            Ok(k) => k,
            Err(fail) => {
                self.switch_or_fail(fail, &mut in_log)?;
                log_domain_used = true;
                self.apply(true, &last.log_v, false, &|_, _| true).map_err(|f| f.into_error())?
            }
        };
        let log_m = DMatrix::from_fn(p, nt, |i, t| {
            if log_theta[(i, t)] > ninf {
                last.log_u[(i, t)] + log_kv[(i, t)]
            } else {
                ninf
            }
        });
        let log_n = DMatrix::from_fn(p, nt, |j, t| {
            if active[t] {
                last.log_v[(j, t)] + last.log_ktu[(j, t)]
            } else {
                ninf
            }
        });

        let per_task = self.objective_per_task(&log_theta, &last, &log_m, &log_n);
        let objective = T::of_f64(per_task.iter().sum());
        let objective_per_task = DVector::from_iterator(nt, per_task.iter().map(|&w| T::of_f64(w)));

        let out = BarycenterOutput {
            barycenter: last.log_q.map(|x| x.exp()),
            marginals: log_m.map(|x| x.exp()),
            marginals_right: log_n.map(|x| x.exp()),
            objective,
            objective_per_task,
            iterations,
            converged,
            error_estimate: changes.distance_estimate().map(T::of_f64),
            log_domain_used,
            state: SinkhornState { log_u: last.log_u, log_v: last.log_v, log_domain: in_log },
        };
        if !(out.objective.finite()
            && out.barycenter.iter().all(|x| x.finite())
            && out.marginals.iter().all(|x| x.finite())
            && out.marginals_right.iter().all(|x| x.finite()))
        {
            return Err(Error::Numerical(format!(
                "barycenter solve produced a non-finite value (objective {}, kernel {})",
                out.objective,
                self.strategy.name()
            )));
        }
        Ok(out)
    }

    /// One sweep; on a scaling-domain failure either switches to the log domain (Auto) and
    /// redoes the sweep there, or returns [`Error::Numerical`].
    fn sweep_switching(
        &self,
        ctx: &Ctx<'_, T>,
        log_v: &DMatrix<T>,
        in_log: &mut bool,
    ) -> Result<Sweep<T>> {
        match self.sweep(ctx, log_v, *in_log) {
            Ok(s) => Ok(s),
            Err(fail) => {
                self.switch_or_fail(fail, in_log)?;
                self.sweep(ctx, log_v, true).map_err(|f| f.into_error())
            }
        }
    }

    fn switch_or_fail(&self, fail: Failure, in_log: &mut bool) -> Result<()> {
        if self.strategy == KernelStrategy::Auto && self.log.is_some() {
            // The automatic strategy's designed fallback, reported on the fit: information only.
            log::info!(
                "unbalanced barycenter (epsilon = {}, gamma = {}): {}; switching to the log domain",
                self.epsilon,
                self.gamma,
                fail.0
            );
            *in_log = true;
            Ok(())
        } else {
            Err(Error::Numerical(format!(
                "{} (kernel {} in the scaling domain, epsilon = {}); use the auto strategy or a \
                 log-domain strategy",
                fail.0,
                self.strategy.name(),
                self.epsilon
            )))
        }
    }

    fn sweep(
        &self,
        ctx: &Ctx<'_, T>,
        log_v: &DMatrix<T>,
        in_log: bool,
    ) -> Result<Sweep<T>, Failure> {
        let (p, nt) = log_v.shape();
        let ninf = neg_inf::<T>();
        let eps = self.epsilon;
        let gamma = self.gamma;
        let f = gamma / (gamma + eps);
        let r = eps / (gamma + eps);
        let lt = ctx.log_theta;

        let log_kv = self.apply(in_log, log_v, false, &|i, t| lt[(i, t)] > ninf)?;
        let mut log_u = DMatrix::from_fn(p, nt, |i, t| {
            if lt[(i, t)] > ninf {
                f * (lt[(i, t)] - log_kv[(i, t)])
            } else {
                ninf
            }
        });
        if !in_log {
            check_scalings(&log_u, |i, t| lt[(i, t)] > ninf, "u")?;
        }
        let mut log_ktu = self.apply(in_log, &log_u, true, &|_, t| ctx.active[t])?;
        if self.translate {
            let shifts = translation::shifts(lt, ctx.active, &log_u, &log_ktu, eps, gamma);
            for (t, c) in shifts {
                log_u.column_mut(t).apply(|x| *x += c);
                log_ktu.column_mut(t).apply(|x| *x += c);
            }
            if !in_log {
                check_scalings(&log_u, |i, t| lt[(i, t)] > ninf, "u")?;
            }
        }

        let n_inactive = ctx.active.iter().filter(|&&a| !a).count();
        let tt = T::of_usize(nt);
        let log_q = DVector::from_fn(p, |j, _| {
            let mut c = ninf;
            for t in (0..nt).filter(|&t| ctx.active[t]) {
                c = c.max(r * log_ktu[(j, t)]);
            }
            let mut s = -T::of_usize(n_inactive);
            for t in (0..nt).filter(|&t| ctx.active[t]) {
                s += (r * log_ktu[(j, t)] - c).exp_m1();
            }
            (c + (s / tt).ln_1p()) / r
        });
        let log_v = DMatrix::from_fn(p, nt, |j, t| {
            if ctx.active[t] {
                f * (log_q[j] - log_ktu[(j, t)])
            } else {
                T::zero()
            }
        });
        let log_m = DMatrix::from_fn(p, nt, |i, t| {
            if lt[(i, t)] > ninf {
                log_u[(i, t)] + log_kv[(i, t)]
            } else {
                ninf
            }
        });
        Ok(Sweep { log_m, log_u, log_ktu, log_q, log_v })
    }

    /// `log(K exp(x))` (or with `Kᵀ`), by the log kernel when `in_log`, else by the scaling
    /// kernel with the under/overflow checks described in the module documentation;
    /// `expected(i, t)` marks the outputs where mass is expected.
    fn apply(
        &self,
        in_log: bool,
        x: &DMatrix<T>,
        transpose: bool,
        expected: &dyn Fn(usize, usize) -> bool,
    ) -> Result<DMatrix<T>, Failure> {
        let mut out = DMatrix::zeros(x.nrows(), x.ncols());
        let what = if transpose { "K^T u" } else { "K v" };
        if in_log {
            let k = self.log.as_ref().expect("a log kernel exists whenever in_log is set");
            if transpose {
                k.apply_transpose(x, &mut out);
            } else {
                k.apply(x, &mut out);
            }
            return Ok(out);
        }
        let k = self.scaling.as_ref().expect("a scaling kernel exists whenever in_log is unset");
        let e = x.map(|v| v.exp());
        check_scalings_exp(x, &e, if transpose { "u" } else { "v" })?;
        if transpose {
            k.apply_transpose(&e, &mut out);
        } else {
            k.apply(&e, &mut out);
        }
        if let Some((i, t, bound)) = k.uncertified(&e, &out, transpose, expected) {
            return Err(Failure(format!(
                "{what} at ({i}, {t}) is certified only to relative error {bound:e} by the \
                 truncated kernel (far below the largest output)"
            )));
        }
        let tiny = T::min_positive();
        for t in 0..out.ncols() {
            for i in 0..out.nrows() {
                let y = out[(i, t)];
                if !y.finite() {
                    return Err(Failure(format!("{what} is {y} at ({i}, {t})")));
                }
                if y < tiny && expected(i, t) {
                    return Err(Failure(format!(
                        "{what} underflows ({y:e}) at ({i}, {t}) where mass is expected"
                    )));
                }
            }
        }
        Ok(out.map(|y| y.ln()))
    }

    /// `W(θ_t, q)` per task (eq. 5), from log-scalings and log-marginals, accumulated in f64:
    /// `W = ε(<m, log u> + <n, log v> − Σm) + γ KL(m|θ) + γ KL(n|q)`; every product with a zero
    /// marginal entry is 0.
    fn objective_per_task(
        &self,
        log_theta: &DMatrix<T>,
        s: &Sweep<T>,
        log_m: &DMatrix<T>,
        log_n: &DMatrix<T>,
    ) -> Vec<f64> {
        let (p, nt) = log_m.shape();
        let eps = self.epsilon.to_f64();
        let gamma = self.gamma.to_f64();
        let q_sum: f64 = s.log_q.iter().map(|x| x.to_f64().exp()).sum();
        (0..nt)
            .map(|t| {
                let mut w = gamma * q_sum;
                for i in 0..p {
                    let lth = log_theta[(i, t)].to_f64();
                    if lth > f64::NEG_INFINITY {
                        w += gamma * lth.exp();
                    }
                    let lm = log_m[(i, t)].to_f64();
                    let m = lm.exp();
                    if m > 0.0 {
                        let lu = s.log_u[(i, t)].to_f64();
                        w += eps * m * lu + gamma * m * (lm - lth) - (eps + gamma) * m;
                    }
                    let ln = log_n[(i, t)].to_f64();
                    let n = ln.exp();
                    if n > 0.0 {
                        let lv = s.log_v[(i, t)].to_f64();
                        let lq = s.log_q[i].to_f64();
                        w += eps * n * lv + gamma * n * (ln - lq) - gamma * n;
                    }
                }
                w
            })
            .collect()
    }
}

/// Per-solve constants shared by the sweeps.
struct Ctx<'a, T: Scalar> {
    log_theta: &'a DMatrix<T>,
    active: &'a [bool],
}

impl Failure {
    fn into_error(self) -> Error {
        Error::Numerical(self.0)
    }
}

/// Scaling-domain check of `exp(x)`: every entry with a finite log must be a finite normal
/// number (entries with log −∞ are exact zeros).
fn check_scalings_exp<T: Scalar>(
    x: &DMatrix<T>,
    e: &DMatrix<T>,
    name: &str,
) -> Result<(), Failure> {
    let tiny = T::min_positive();
    for (k, (&lx, &ex)) in x.iter().zip(e.iter()).enumerate() {
        if lx == neg_inf::<T>() {
            continue;
        }
        if !ex.finite() || ex < tiny {
            let (i, t) = (k % x.nrows(), k / x.nrows());
            return Err(Failure(format!("scaling {name} = exp({lx}) is {ex:e} at ({i}, {t})")));
        }
    }
    Ok(())
}

/// Scaling-domain check of new log-scalings: finite where expected, and representable.
fn check_scalings<T: Scalar>(
    lx: &DMatrix<T>,
    expected: impl Fn(usize, usize) -> bool,
    name: &str,
) -> Result<(), Failure> {
    let hi = T::max_finite().ln();
    let lo = T::min_positive().ln();
    for t in 0..lx.ncols() {
        for i in 0..lx.nrows() {
            let v = lx[(i, t)];
            if expected(i, t) && !(v.finite() && v < hi && v >= lo) {
                return Err(Failure(format!(
                    "log {name} = {v} at ({i}, {t}) is not representable"
                )));
            }
        }
    }
    Ok(())
}

/// Logs this far below the common maximum are visited only when needed by [`relative_change`]:
/// libm's exponential takes a slow path beyond −512 (glibc, f64).
const FAR_BELOW_MAX: f64 = -512.0;

/// `max_j |q_j − q_old_j| / max(max q, max q_old)` from log values, shifted by the common max.
///
/// With `s` the common maximum of the logs, the denominator is `exp(0) = 1` when `s` is finite.
/// A pair whose two logs both lie more than 512 below `s` contributes at most `exp(−512)` to
/// the numerator, so such pairs are visited only if the others leave the numerator below that:
/// the result is the same, bit for bit (a maximum has no rounding), at a fraction of the cost
/// when most of the mass sits on a few entries.
fn relative_change<T: Scalar>(log_q: &[T], log_q_old: &[T]) -> T {
    let s = log_q.iter().chain(log_q_old.iter()).copied().fold(neg_inf::<T>(), |a, b| a.max(b));
    if s == neg_inf::<T>() {
        return T::zero();
    }
    let gap = |a: T, b: T| ((a - s).exp() - (b - s).exp()).abs();
    if !s.finite() {
        let num = log_q.iter().zip(log_q_old).fold(T::zero(), |m, (&a, &b)| m.max(gap(a, b)));
        let den = log_q
            .iter()
            .chain(log_q_old.iter())
            .map(|&a| (a - s).exp())
            .fold(T::zero(), |a, b| a.max(b));
        return num / den;
    }

    let far = T::of_f64(FAR_BELOW_MAX);
    let mut num = T::zero();
    let mut skipped = false;
    for (&a, &b) in log_q.iter().zip(log_q_old) {
        if a - s < far && b - s < far {
            skipped = true;
        } else {
            num = num.max(gap(a, b));
        }
    }
    if skipped && num < far.exp() {
        num = log_q.iter().zip(log_q_old).fold(num, |m, (&a, &b)| m.max(gap(a, b)));
    }
    num
}

#[cfg(test)]
mod tests {
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    use super::*;

    /// The formula as written, visiting every entry.
    fn relative_change_plain<T: Scalar>(log_q: &[T], log_q_old: &[T]) -> T {
        let s = log_q.iter().chain(log_q_old).copied().fold(neg_inf::<T>(), |a, b| a.max(b));
        if s == neg_inf::<T>() {
            return T::zero();
        }
        let mut num = T::zero();
        for (&a, &b) in log_q.iter().zip(log_q_old) {
            num = num.max(((a - s).exp() - (b - s).exp()).abs());
        }
        let den =
            log_q.iter().chain(log_q_old).map(|&a| (a - s).exp()).fold(T::zero(), |a, b| a.max(b));
        num / den
    }

    /// Logs from 0 down to −depth, some −∞, some pairs equal.
    fn random_logs<T: Scalar>(rng: &mut ChaCha8Rng, p: usize, depth: f64) -> (Vec<T>, Vec<T>) {
        let draw = |rng: &mut ChaCha8Rng| match rng.gen_range(0..10) {
            0 => f64::NEG_INFINITY,
            1..=3 => -rng.gen_range(0.0..20.0),
            _ => -rng.gen_range(0.0..depth),
        };
        let a: Vec<f64> = (0..p).map(|_| draw(rng)).collect();
        let b: Vec<f64> = a
            .iter()
            .map(|&x| if rng.gen_bool(0.2) { x } else { x + rng.gen_range(-1.0..1.0) })
            .collect();
        (a.into_iter().map(T::of_f64).collect(), b.into_iter().map(T::of_f64).collect())
    }

    fn check_same_bits<T: Scalar>() {
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        for case in 0..400 {
            let depth = [30.0, 600.0, 3000.0][case % 3];
            let (mut a, mut b) = random_logs::<T>(&mut rng, 1 + case % 40, depth);
            if case % 7 == 0 {
                // Everything far below one entry: the far pairs decide the change.
                for x in a.iter_mut().chain(b.iter_mut()) {
                    *x -= T::of_f64(900.0);
                }
                a[0] = T::zero();
                b[0] = T::zero();
            }
            let fast = relative_change(&a, &b).to_f64();
            let plain = relative_change_plain(&a, &b).to_f64();
            let name = T::NAME;
            assert_eq!(fast.to_bits(), plain.to_bits(), "{name} case {case}: {fast} vs {plain}");
        }
        let ninf = T::of_f64(f64::NEG_INFINITY);
        assert_eq!(relative_change(&[ninf, ninf], &[ninf, ninf]), T::zero());
        let inf = T::of_f64(f64::INFINITY);
        let (x, y) = ([inf, T::zero()], [T::one(), T::zero()]);
        let (fast, plain) = (relative_change(&x, &y), relative_change_plain(&x, &y));
        assert_eq!(fast.to_f64().is_nan(), plain.to_f64().is_nan());
    }

    #[test]
    fn relative_change_skips_far_entries_without_changing_a_bit_f64() {
        check_same_bits::<f64>();
    }

    #[test]
    fn relative_change_skips_far_entries_without_changing_a_bit_f32() {
        check_same_bits::<f32>();
    }
}
