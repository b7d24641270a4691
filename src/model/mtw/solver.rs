//! The outer loop of MTW (Algorithm 1): coordinate descent with fixed plans, then warm-started
//! Sinkhorn sweeps for the barycenters, until θ and the objective stop changing.

use std::time::Instant;

use nalgebra::{DMatrix, DVector};
use rayon::prelude::*;

use crate::error::{Error, Result};
use crate::model::mtw::anderson::Anderson;
use crate::model::mtw::cd::{coordinate_descent, CdConstants, TaskInputs, TaskState};
use crate::model::mtw::momentum::Momentum;
use crate::model::mtw::Mtw;
use crate::model::{Fit, Problem};
use crate::ot::{BarycenterOutput, SinkhornState};
use crate::scalar::Scalar;

/// Per-entry ℓ1 weights of the positive and negative parts (p × T each), for reweighting.
pub(crate) type Weights<T> = (DMatrix<T>, DMatrix<T>);

/// The Sinkhorn states of the positive and negative barycenter problems.
type States<T> = (Option<SinkhornState<T>>, Option<SinkhornState<T>>);

/// The iterate a momentum step replaced, kept until the iteration run from the extrapolated
/// point has produced a finite objective.
///
/// In log coordinates the extrapolation can move a tiny coefficient, scaling or marginal by
/// hundreds of units (from near `ln(min_positive)` back up), and the iteration run from there
/// can overflow. Such an iteration is undone: the loop goes back to this iterate and restarts
/// the momentum. Iterations that stay finite never read it, so it changes no fit that
/// completed before it existed.
struct BeforeMomentum<T: Scalar> {
    tasks: Vec<TaskState<T>>,
    states: States<T>,
    marginals: (DMatrix<T>, Option<DMatrix<T>>),
}

/// Cap on the Sinkhorn sweeps of the final barycenter solve, as a multiple of `max_iter_ot`.
const FINAL_OT_SWEEPS_FACTOR: usize = 100;

/// Least Sinkhorn sweeps of the tight barycenter solve in [`kkt_violation`]: when γ ≫ ε one
/// sweep contracts the scalings only by about γ/(γ+ε), so a certificate needs many.
const KKT_OT_SWEEPS: usize = 50_000;

/// How a fit starts: from scratch, or from a previous fit, with or without its Sinkhorn
/// scalings.
#[derive(Clone, Copy)]
pub(crate) enum Start<'a, T: Scalar> {
    Cold,
    /// The previous fit's coefficients; its scalings too when `reuse_scalings` is set.
    From {
        fit: &'a Fit<T>,
        reuse_scalings: bool,
    },
}

impl<'a, T: Scalar> Start<'a, T> {
    /// A warm start from `fit` when given (its scalings too if `reuse_scalings`), else cold.
    pub(crate) fn warm(fit: Option<&'a Fit<T>>, reuse_scalings: bool) -> Self {
        fit.map_or(Start::Cold, |fit| Start::From { fit, reuse_scalings })
    }

    fn fit(self) -> Option<&'a Fit<T>> {
        match self {
            Start::Cold => None,
            Start::From { fit, .. } => Some(fit),
        }
    }

    fn scalings(self) -> Option<&'a Fit<T>> {
        match self {
            Start::From { fit, reuse_scalings: true } => Some(fit),
            _ => None,
        }
    }
}

/// Fits MTW with optional ℓ1 weights (plain MTW when `weights` is `None`).
pub(crate) fn solve<T: Scalar>(
    mtw: &Mtw<T>,
    problem: &Problem<T>,
    from: Start<'_, T>,
    weights: Option<&Weights<T>>,
    model: &'static str,
) -> Result<Fit<T>> {
    let start = from.fit();
    let timer = Instant::now();
    let prm = &mtw.params;
    let (n, p, n_tasks) = (problem.n_samples(), problem.n_features(), problem.n_tasks());
    if let Some((wp, wn)) = weights {
        problem.check_coef("positive-part weights", wp)?;
        problem.check_coef("negative-part weights", wn)?;
    }

    // Penalty constants: α = µ/T, β = λ/T, and the coordinate problem is scaled by n.
    let tasks_t = T::of_usize(n_tasks);
    let n_t = T::of_usize(n);
    let alpha = prm.mu / tasks_t;
    let beta = prm.lambda / tasks_t;
    let sigma_floor = prm.concomitant.then(|| concomitant_floor(problem));
    let consts = CdConstants {
        transport: n_t * alpha * prm.gamma,
        l1: n_t * beta,
        positive: prm.positive,
        sigma_floor,
    };
    if !(consts.transport.finite() && consts.l1.finite()) {
        return Err(Error::parameter(
            "mu*gamma, lambda",
            format!("{}, {}", prm.mu * prm.gamma, prm.lambda),
            "the penalty constants overflow this precision",
        ));
    }
    let col_norms: Vec<DVector<T>> = problem
        .designs()
        .iter()
        .map(|x| DVector::from_iterator(p, x.column_iter().map(|c| c.norm_squared())))
        .collect();

    let coef_floor = coefficient_floor(problem, &col_norms);

    // Start: parts, residuals, noise levels, scalings.
    let mut tasks = initial_tasks(problem, start, prm.positive, &col_norms)?;
    if let Some(floor) = sigma_floor {
        for task in &mut tasks {
            task.sigma = (task.residual.norm() / n_t.sqrt()).max(floor);
        }
    }
    let mut states = warm_states(from.scalings(), p, n_tasks);
    let use_ot = prm.mu > T::zero();

    let mut ot = if use_ot {
        Some(barycenter_step(mtw, &tasks, &states, prm.tol_ot, prm.max_iter_ot)?)
    } else {
        None
    };
    if let Some(step) = &ot {
        states = step.states();
    }
    let mut objective = objective_value(problem, &tasks, ot.as_ref(), alpha, beta, weights);
    check_finite("objective", objective, 0)?;
    let mut trace = vec![objective];
    let mut converged = false;
    let mut iterations = 0;
    // The concomitant scheme is a fixed point without an objective to safeguard with.
    let accelerate = use_ot && !prm.concomitant;
    let mut anderson = (accelerate && prm.anderson > 0).then(|| Anderson::new(prm.anderson));
    let mut momentum =
        (accelerate && prm.momentum).then(|| Momentum::new().on_zeros(prm.legacy_momentum));
    let mut before_momentum: Option<BeforeMomentum<T>> = None;
    let mut accepted = 0usize;
    let window = stopping_window(prm.anderson);

    for iteration in 1..=prm.max_iter {
        iterations = iteration;

        // 1. Coordinate descent on every task with the plans fixed.
        let previous: Vec<(DVector<T>, DVector<T>)> =
            tasks.iter().map(|s| (s.pos.clone(), s.neg.clone())).collect();
        let marginals = ot.as_ref().map(|s| s.marginals());
        tasks.par_iter_mut().enumerate().for_each(|(t, state)| {
            let inputs = TaskInputs {
                design: problem.design(t),
                col_norms_sq: &col_norms[t],
                marg_pos: marginals
                    .as_ref()
                    .map_or_else(|| DVector::zeros(p), |m| m.0.column(t).into()),
                marg_neg: marginals
                    .as_ref()
                    .and_then(|m| m.1.as_ref())
                    .map_or_else(|| DVector::zeros(p), |m| m.column(t).into()),
                weights_pos: weights.map(|w| w.0.column(t).into()),
                weights_neg: weights.map(|w| w.1.column(t).into()),
            };
            coordinate_descent(state, &inputs, &consts, prm.max_iter_cd, prm.tol);
        });

        // 2. Sinkhorn sweeps for the barycenters at the new coefficients.
        let mut solved = Ok(());
        if use_ot {
            match barycenter_step(mtw, &tasks, &states, prm.tol_ot, prm.max_iter_ot) {
                Ok(step) => {
                    states = step.states();
                    ot = Some(step);
                }
                Err(error) => solved = Err(error),
            }
        }

        // 3. Objective and stopping test. An iteration that overflowed right after a momentum
        //    step is undone instead of failing the fit.
        let new_objective =
            solved.map(|()| objective_value(problem, &tasks, ot.as_ref(), alpha, beta, weights));
        let overflowed = !matches!(new_objective, Ok(value) if value.finite());
        if let (true, Some(saved), Some(momentum)) =
            (overflowed, before_momentum.take(), &mut momentum)
        {
            log::debug!("{model}: iteration {iteration} overflowed after a momentum step");
            tasks = saved.tasks;
            states = saved.states;
            if let Some(step) = &mut ot {
                step.set_all_marginals(saved.marginals);
            }
            momentum.restart();
            continue;
        }
        let new_objective = new_objective?;
        check_finite("objective", new_objective, iteration)?;
        before_momentum = None;
        trace.push(new_objective);
        let change = relative_change(&previous, &tasks, coef_floor);
        // An iteration that changed nothing is an exact fixed point: no window to wait for.
        let fixed_point = change == T::zero() && new_objective == objective;
        objective = new_objective;
        let settled = remaining_decrease(&trace, window) <= prm.tol * objective.abs();
        if change <= prm.tol && (settled || fixed_point) {
            converged = true;
            break;
        }

        // 4. Momentum: the next iteration starts from the extrapolated point, unless this
        //    iteration raised the objective.
        if let (Some(momentum), Some(step)) = (&mut momentum, &mut ot) {
            let mut z = log_parts(&tasks, &col_norms);
            let n_coef = z.len();
            push_potentials(&mut z, &states);
            let n_scalings = z.len() - n_coef;
            push_log_marginals(&mut z, step);
            let increased = trace.len() >= 2 && trace[trace.len() - 1] > trace[trace.len() - 2];
            if let Some(y) = momentum.step(z, increased) {
                let (coef, rest) = y.split_at(n_coef);
                let (scalings, marginals) = rest.split_at(n_scalings);
                let next_tasks = extrapolated_tasks(problem, &tasks, coef, &col_norms);
                let next_states = extrapolated_states(&states, scalings);
                before_momentum = Some(BeforeMomentum {
                    tasks: std::mem::replace(&mut tasks, next_tasks),
                    states: std::mem::replace(&mut states, next_states),
                    marginals: step.marginals(),
                });
                set_marginals(step, marginals);
                accepted += 1;
            }
        }

        // 5. Every `memory + 1` iterations, an Anderson extrapolation replaces the iterate
        //    when its objective is lower.
        if let Some(anderson) = &mut anderson {
            let mut z = log_parts(&tasks, &col_norms);
            let n_coef = z.len();
            push_potentials(&mut z, &states);
            anderson.push(z);
            if let Some(z) = anderson.extrapolate() {
                anderson.clear();
                let candidate = extrapolated_tasks(problem, &tasks, &z[..n_coef], &col_norms);
                let cand_states = extrapolated_states(&states, &z[n_coef..]);
                let trial =
                    barycenter_step(mtw, &candidate, &cand_states, prm.tol_ot, prm.max_iter_ot);
                if let Ok(step) = trial {
                    let value =
                        objective_value(problem, &candidate, Some(&step), alpha, beta, weights);
                    if value.finite() && value < objective {
                        tasks = candidate;
                        states = step.states();
                        ot = Some(step);
                        // The momentum history does not lead to the new iterate.
                        if let (Some(momentum), false) = (&mut momentum, prm.legacy_momentum) {
                            momentum.restart();
                        }
                        if let Some(last) = trace.last_mut() {
                            *last = value;
                        }
                        accepted += 1;
                    }
                }
            }
        }
    }
    if !converged {
        log::warn!(
            "{model} did not converge in {} iterations (tol {:e}); raise max_iter or tol",
            prm.max_iter,
            prm.tol.to_f64()
        );
    }

    // Final barycenters at the returned coefficients, solved tightly when the fit converged
    // (a fit stopped by the cap gets no more sweeps than an iteration), and exact residuals.
    let final_sweeps =
        if converged { prm.max_iter_ot * FINAL_OT_SWEEPS_FACTOR } else { prm.max_iter_ot };
    let final_ot = barycenter_step(mtw, &tasks, &states, prm.tol_ot, final_sweeps)?;
    for (t, task) in tasks.iter_mut().enumerate() {
        task.residual = problem.target(t) - problem.design(t) * (&task.pos - &task.neg);
    }
    let mut fit =
        assemble_fit(problem, tasks, final_ot, alpha, beta, weights, model, prm.concomitant);
    if let Some(value) = fit.objective {
        check_finite("final objective", value, iterations)?;
    }
    fit.objective_trace = trace;
    fit.iterations = iterations;
    fit.converged = converged;
    fit.tol_threshold = prm.tol;
    fit.seconds = timer.elapsed().as_secs_f64();
    log::debug!("{model}: {iterations} outer iterations, {accepted} extrapolations taken");
    Ok(fit)
}

/// Outer iterations per window of the stopping test.
///
/// The alternation converges linearly, often slowly, so one iteration's decrease says little
/// about the distance to the optimum; windows of several iterations (and at least two
/// extrapolation blocks) do better.
fn stopping_window(anderson: usize) -> usize {
    (2 * (anderson + 1)).max(10)
}

/// Estimated decrease of the objective still to come, from the last three windows of `w`
/// iterations of the trace (`+∞` while the trace is shorter than `3w + 1`).
///
/// With the window decreases `D_i = f_{k−(i+1)w} − f_{k−iw}` (`D_0` the latest), a linear rate
/// `ρ` per window gives `ρ ≈ D_0/D_1 ≈ D_1/D_2`, and the rest of the geometric series is
/// `D_0 ρ / (1 − ρ)` (never taken below `D_0`). The larger of the two ratios is used (an
/// accepted extrapolation makes one window drop more than the rate says, which would make
/// that ratio too small). A rate ≥ 1
/// gives `+∞`. When a window increased the objective the rate is undefined and the largest
/// `|D_i|` stands in for the estimate.
///
/// Why not `D_0` alone: at the rates the alternation shows when γ ≫ ε (`1 − ρ` of 10⁻³ per
/// iteration) the remaining decrease is hundreds of times `D_0`, and a test on `D_0` stopped
/// overlap-study fits with the objective 1 % above its optimum.
fn remaining_decrease<T: Scalar>(trace: &[T], w: usize) -> T {
    let k = trace.len();
    if k < 3 * w + 1 {
        return T::max_finite();
    }
    let at = |i: usize| trace[k - 1 - i * w];
    let d: [T; 3] = [at(1) - at(0), at(2) - at(1), at(3) - at(2)];
    if d.iter().any(|&x| x < T::zero()) {
        return d.iter().fold(T::zero(), |m, &x| m.max(x.abs()));
    }
    if d[0] == T::zero() {
        return T::zero();
    }
    if d[1] == T::zero() || d[2] == T::zero() {
        return T::max_finite();
    }
    let rho = (d[0] / d[1]).max(d[1] / d[2]);
    if rho >= T::one() {
        return T::max_finite();
    }
    (d[0] * rho / (T::one() - rho)).max(d[0])
}

/// `log θ` of every part entry with a non-zero design column (zeros floored at the smallest
/// positive number), task by task: the vector the outer loop extrapolates.
fn log_parts<T: Scalar>(tasks: &[TaskState<T>], col_norms: &[DVector<T>]) -> Vec<f64> {
    let tiny = f64::MIN_POSITIVE;
    let mut z = Vec::new();
    for (task, norms) in tasks.iter().zip(col_norms) {
        for part in [&task.pos, &task.neg] {
            let live = part.iter().zip(norms.iter()).filter(|(_, &l)| l > T::zero());
            z.extend(live.map(|(v, _)| v.to_f64().max(tiny).ln()));
        }
    }
    z
}

/// Appends every entry of the Sinkhorn states' `log v` (the state a barycenter solve starts
/// from) to `z`; [`extrapolated_states`] keeps the old value wherever the extrapolation is not
/// finite.
fn push_potentials<T: Scalar>(z: &mut Vec<f64>, states: &States<T>) {
    for state in [&states.0, &states.1].into_iter().flatten() {
        z.extend(state.log_v.iter().map(|v| v.to_f64()));
    }
}

/// Appends `log m` of every left marginal of `step` (θ⁺'s, then θ⁻'s), floored at the
/// smallest positive number.
fn push_log_marginals<T: Scalar>(z: &mut Vec<f64>, step: &OtStep<T>) {
    let parts = std::iter::once(&step.pos).chain(step.neg.as_ref());
    for part in parts {
        z.extend(part.marginals.iter().map(|m| m.to_f64().max(f64::MIN_POSITIVE).ln()));
    }
}

/// Sets the left marginals of `step` to `exp(z)` (the layout of [`push_log_marginals`]).
fn set_marginals<T: Scalar>(step: &mut OtStep<T>, z: &[f64]) {
    let mut values = z.iter();
    let parts = std::iter::once(&mut step.pos).chain(step.neg.as_mut());
    for part in parts {
        for (m, &v) in part.marginals.iter_mut().zip(&mut values) {
            *m = T::of_f64(v.exp());
        }
    }
}

/// The states with `log v` replaced by `z` (the layout of [`push_potentials`]).
fn extrapolated_states<T: Scalar>(states: &States<T>, z: &[f64]) -> States<T> {
    let mut values = z.iter();
    let mut replace = |s: &Option<SinkhornState<T>>| {
        s.as_ref().map(|s| {
            let mut s = s.clone();
            for v in s.log_v.iter_mut() {
                let next = values.next().copied().unwrap_or(0.0);
                *v = if next.is_finite() { T::of_f64(next) } else { *v };
            }
            s
        })
    };
    let pos = replace(&states.0);
    let neg = replace(&states.1);
    (pos, neg)
}

/// Tasks whose parts are `exp(z)` (the layout of [`log_parts`]), with exact residuals; parts of
/// a positive fit's θ⁻ stay 0.
fn extrapolated_tasks<T: Scalar>(
    problem: &Problem<T>,
    tasks: &[TaskState<T>],
    z: &[f64],
    col_norms: &[DVector<T>],
) -> Vec<TaskState<T>> {
    let mut values = z.iter();
    let mut out = tasks.to_vec();
    for (t, (task, norms)) in out.iter_mut().zip(col_norms).enumerate() {
        for part in [&mut task.pos, &mut task.neg] {
            let was_zero = part.iter().all(|&v| v == T::zero());
            for (v, &l) in part.iter_mut().zip(norms.iter()) {
                if l > T::zero() {
                    let next = values.next().copied().unwrap_or(f64::NEG_INFINITY);
                    if !was_zero {
                        *v = T::of_f64(next.exp());
                    }
                }
            }
        }
        task.residual = problem.target(t) - problem.design(t) * (&task.pos - &task.neg);
    }
    out
}

/// σ₀ = 0.01 · min_t ‖Y_t‖ / √n, the floor of the concomitant noise levels.
fn concomitant_floor<T: Scalar>(problem: &Problem<T>) -> T {
    let min_norm =
        problem.targets().iter().map(|y| y.norm()).fold(T::max_finite(), |a, b| a.min(b));
    T::of_f64(0.01) * min_norm / T::of_usize(problem.n_samples()).sqrt()
}

/// Starting parts and residuals: `1/p` everywhere (cold), or a previous fit's parts with entries
/// below `1/p` lifted to `1/p`; entries of zero design columns are 0 in both cases.
fn initial_tasks<T: Scalar>(
    problem: &Problem<T>,
    start: Option<&Fit<T>>,
    positive: bool,
    col_norms: &[DVector<T>],
) -> Result<Vec<TaskState<T>>> {
    let (p, n_tasks) = (problem.n_features(), problem.n_tasks());
    let lift = T::one() / T::of_usize(p);
    let (pos, neg) = match start {
        None => (DMatrix::from_element(p, n_tasks, lift), DMatrix::from_element(p, n_tasks, lift)),
        Some(fit) => {
            let (pos, neg) = match &fit.coef_parts {
                Some((pos, neg)) => (pos.clone(), neg.clone()),
                None => (fit.coef.map(|v| v.max(T::zero())), fit.coef.map(|v| (-v).max(T::zero()))),
            };
            problem.check_coef("warm-start coefficients", &pos)?;
            problem.check_coef("warm-start coefficients", &neg)?;
            let lifted = |v: T| if v > lift && v.finite() { v } else { lift };
            (pos.map(lifted), neg.map(lifted))
        }
    };

    let tasks = (0..n_tasks)
        .map(|t| {
            let keep = |j: usize, v: T| if col_norms[t][j] > T::zero() { v } else { T::zero() };
            let pos_t = DVector::from_fn(p, |j, _| keep(j, pos[(j, t)]));
            let neg_t = if positive {
                DVector::zeros(p)
            } else {
                DVector::from_fn(p, |j, _| keep(j, neg[(j, t)]))
            };
            let residual = problem.target(t) - problem.design(t) * (&pos_t - &neg_t);
            TaskState { pos: pos_t, neg: neg_t, residual, sigma: T::one() }
        })
        .collect();
    Ok(tasks)
}

/// Scalings of a previous fit, when their shapes fit this problem.
fn warm_states<T: Scalar>(start: Option<&Fit<T>>, p: usize, n_tasks: usize) -> States<T> {
    let fits = |s: &SinkhornState<T>| s.log_u.shape() == (p, n_tasks);
    match start.and_then(|f| f.sinkhorn_states.as_ref()) {
        Some((pos, neg)) if fits(pos) && fits(neg) => (Some(pos.clone()), Some(neg.clone())),
        _ => (None, None),
    }
}

/// The barycenter solves of one outer iteration.
pub(crate) struct OtStep<T: Scalar> {
    pos: BarycenterOutput<T>,
    neg: Option<BarycenterOutput<T>>,
}

impl<T: Scalar> OtStep<T> {
    fn marginals(&self) -> (DMatrix<T>, Option<DMatrix<T>>) {
        (self.pos.marginals.clone(), self.neg.as_ref().map(|o| o.marginals.clone()))
    }

    fn states(&self) -> States<T> {
        (Some(self.pos.state.clone()), self.neg.as_ref().map(|o| o.state.clone()))
    }

    /// Puts back left marginals taken by [`OtStep::marginals`].
    fn set_all_marginals(&mut self, (pos, neg): (DMatrix<T>, Option<DMatrix<T>>)) {
        self.pos.marginals = pos;
        if let (Some(part), Some(neg)) = (self.neg.as_mut(), neg) {
            part.marginals = neg;
        }
    }

    fn ot_values(&self) -> (T, T) {
        (self.pos.objective, self.neg.as_ref().map_or(T::zero(), |o| o.objective))
    }
}

fn barycenter_step<T: Scalar>(
    mtw: &Mtw<T>,
    tasks: &[TaskState<T>],
    states: &States<T>,
    tol: T,
    max_iter: usize,
) -> Result<OtStep<T>> {
    let p = tasks.first().map_or(0, |s| s.pos.len());
    let stack = |part: fn(&TaskState<T>) -> &DVector<T>| {
        DMatrix::from_fn(p, tasks.len(), |j, t| part(&tasks[t])[j])
    };
    let solver = &mtw.barycenter;
    let pos = solver.solve(&stack(|s| &s.pos), states.0.as_ref(), tol, max_iter)?;
    let neg = if mtw.params.positive {
        None
    } else {
        Some(solver.solve(&stack(|s| &s.neg), states.1.as_ref(), tol, max_iter)?)
    };
    Ok(OtStep { pos, neg })
}

/// `(1/2n) Σ‖R_t‖² + α(OT⁺ + OT⁻) + β Σ w ⊙ σ_t (θ⁺ + θ⁻)`, the quantity each outer iteration
/// decreases (σ_t = 1 unless concomitant, w = 1 unless reweighted).
fn objective_value<T: Scalar>(
    problem: &Problem<T>,
    tasks: &[TaskState<T>],
    ot: Option<&OtStep<T>>,
    alpha: T,
    beta: T,
    weights: Option<&Weights<T>>,
) -> T {
    let n = T::of_usize(problem.n_samples());
    let datafit = tasks.iter().fold(T::zero(), |a, s| a + s.residual.norm_squared()) / (n + n);
    let (ot_pos, ot_neg) = ot.map_or((T::zero(), T::zero()), |s| s.ot_values());
    let l1 = weighted_l1(tasks, weights, true);
    datafit + alpha * (ot_pos + ot_neg) + beta * l1
}

/// `Σ_t σ_t Σ_j (w⁺ θ⁺ + w⁻ θ⁻)`; `with_sigma = false` drops σ_t.
fn weighted_l1<T: Scalar>(
    tasks: &[TaskState<T>],
    weights: Option<&Weights<T>>,
    with_sigma: bool,
) -> T {
    tasks.iter().enumerate().fold(T::zero(), |acc, (t, s)| {
        let (pos, neg) = match weights {
            Some((wp, wn)) => (s.pos.dot(&wp.column(t)), s.neg.dot(&wn.column(t))),
            None => (s.pos.sum(), s.neg.sum()),
        };
        let sigma = if with_sigma { s.sigma } else { T::one() };
        acc + sigma * (pos + neg)
    })
}

/// Largest change of any entry of either part, relative to the largest entry (old or new) or
/// to `floor` when that is larger.
fn relative_change<T: Scalar>(
    previous: &[(DVector<T>, DVector<T>)],
    tasks: &[TaskState<T>],
    floor: T,
) -> T {
    let mut change = T::zero();
    let mut scale = floor;
    for ((old_pos, old_neg), s) in previous.iter().zip(tasks) {
        change = change.max((&s.pos - old_pos).amax()).max((&s.neg - old_neg).amax());
        scale = scale.max(s.pos.amax()).max(s.neg.amax()).max(old_pos.amax()).max(old_neg.amax());
    }
    if scale > T::zero() {
        change / scale
    } else {
        T::zero()
    }
}

/// `√ε_mach · max_t ‖Y_t‖ / max_{t,j} ‖X_t[:, j]‖`, the floor of the scale in
/// [`relative_change`]: `‖Y‖/‖X_j‖` is the smallest coefficient that explains a whole target
/// with one feature, and coefficients below `√ε_mach` of it are zero to half the working
/// precision.
///
/// Without a floor a solution θ = 0 is never reached: the transport prox keeps every entry
/// positive, the entries decay geometrically towards 0 and their relative change stays
/// constant (an overlap-study fit at λ = λ_max ran to its cap with max θ = 1e-47).
fn coefficient_floor<T: Scalar>(problem: &Problem<T>, col_norms_sq: &[DVector<T>]) -> T {
    let target = problem.targets().iter().fold(T::zero(), |m, y| m.max(y.norm()));
    let column = col_norms_sq.iter().fold(T::zero(), |m, c| m.max(c.max())).sqrt();
    let floor = T::epsilon_machine().sqrt() * target / column;
    if column > T::zero() && floor.finite() {
        floor
    } else {
        T::zero()
    }
}

fn check_finite<T: Scalar>(what: &str, value: T, iteration: usize) -> Result<()> {
    if value.finite() {
        Ok(())
    } else {
        Err(Error::Numerical(format!("the MTW {what} is {value} at outer iteration {iteration}")))
    }
}

#[allow(clippy::too_many_arguments)]
fn assemble_fit<T: Scalar>(
    problem: &Problem<T>,
    tasks: Vec<TaskState<T>>,
    ot: OtStep<T>,
    alpha: T,
    beta: T,
    weights: Option<&Weights<T>>,
    model: &'static str,
    concomitant: bool,
) -> Fit<T> {
    let n = T::of_usize(problem.n_samples());
    let pos = DMatrix::from_columns(&tasks.iter().map(|s| s.pos.clone()).collect::<Vec<_>>());
    let neg = DMatrix::from_columns(&tasks.iter().map(|s| s.neg.clone()).collect::<Vec<_>>());
    let datafit = tasks.iter().fold(T::zero(), |a, s| a + s.residual.norm_squared()) / (n + n);
    let (ot_pos, ot_neg) = ot.ot_values();
    let l1 = weighted_l1(&tasks, weights, false);

    let mut fit = Fit::new(model, &pos - &neg);
    fit.objective_parts = vec![
        ("datafit", datafit),
        ("ot", alpha * (ot_pos + ot_neg)),
        ("ot_pos_unscaled", ot_pos),
        ("ot_neg_unscaled", ot_neg),
        ("l1", beta * l1),
    ];
    if concomitant {
        let sigma = DVector::from_iterator(tasks.len(), tasks.iter().map(|s| s.sigma));
        fit.fixed_point_residual = Some(sigma_residual(problem, &tasks));
        fit.sigma = Some(sigma);
    } else {
        fit.objective = Some(datafit + alpha * (ot_pos + ot_neg) + beta * l1);
    }
    let bary_neg = ot.neg.as_ref().map(|o| o.barycenter.clone());
    fit.barycenter = Some(match &bary_neg {
        Some(q) => &ot.pos.barycenter - q,
        None => ot.pos.barycenter.clone(),
    });
    fit.log_domain_used =
        ot.pos.log_domain_used || ot.neg.as_ref().is_some_and(|o| o.log_domain_used);
    let neg_state = ot.neg.as_ref().map_or_else(|| ot.pos.state.clone(), |o| o.state.clone());
    fit.sinkhorn_states = Some((ot.pos.state.clone(), neg_state));
    fit.coef_parts = Some((pos, neg));
    fit
}

/// `max_t |σ_t − max(‖R_t‖/√n, σ₀)| / σ_t`: how far the noise levels are from their fixed point.
fn sigma_residual<T: Scalar>(problem: &Problem<T>, tasks: &[TaskState<T>]) -> T {
    let floor = concomitant_floor(problem);
    let sqrt_n = T::of_usize(problem.n_samples()).sqrt();
    tasks.iter().fold(T::zero(), |acc, s| {
        let target = (s.residual.norm() / sqrt_n).max(floor);
        let denom = s.sigma.max(T::min_positive());
        acc.max((s.sigma - target).abs() / denom)
    })
}

/// Largest violation of the coordinate-wise optimality conditions of MTW at `fit`, relative to
/// the ℓ1 weight β = λ/T (or absolute when λ = 0).
///
/// For every entry of each part with a non-zero design column, the partial derivative
/// `−X_jᵀR_t/n + αγ(1 − m_j/θ_j) + βσ_t` must vanish (θ_j > 0: the transport term's slope is
/// −∞ at 0, so optimal entries are positive), where `m` are the left marginals of the
/// barycenter problem solved at `fit`'s parts. For plain and concomitant MTW (not reweighted).
pub fn kkt_violation<T: Scalar>(mtw: &Mtw<T>, problem: &Problem<T>, fit: &Fit<T>) -> Result<T> {
    let prm = &mtw.params;
    let (pos, neg) = fit
        .coef_parts
        .as_ref()
        .ok_or_else(|| Error::parameter("fit", fit.model, "has no coefficient parts"))?;
    let n_tasks = T::of_usize(problem.n_tasks());
    let n = T::of_usize(problem.n_samples());
    let alpha = prm.mu / n_tasks;
    let beta = prm.lambda / n_tasks;
    let tight = prm.tol_ot.min(T::of_f64(1e-12).max(T::epsilon_machine()));
    let states = fit.sinkhorn_states.as_ref();
    let solver = &mtw.barycenter;
    let max_sweeps = (prm.max_iter_ot * FINAL_OT_SWEEPS_FACTOR).max(KKT_OT_SWEEPS);
    let m_pos = solver.solve(pos, states.map(|s| &s.0), tight, max_sweeps)?.marginals;
    let m_neg = if prm.positive {
        None
    } else {
        Some(solver.solve(neg, states.map(|s| &s.1), tight, max_sweeps)?.marginals)
    };

    let mut worst = T::zero();
    for t in 0..problem.n_tasks() {
        let x = problem.design(t);
        let residual = problem.target(t) - x * fit.coef.column(t);
        let corr = x.tr_mul(&residual) / n;
        let sigma = fit.sigma.as_ref().map_or(T::one(), |s| s[t]);
        for j in 0..problem.n_features() {
            if x.column(j).norm_squared() <= T::zero() {
                continue;
            }
            let mut check = |theta: T, m: T, sign: T| {
                let ratio = if m > T::zero() { m / theta } else { T::zero() };
                let grad = -sign * corr[j] + alpha * prm.gamma * (T::one() - ratio) + beta * sigma;
                // At θ = 0 (underflow) only grad ≥ 0 is required.
                let violation = if theta > T::zero() { grad.abs() } else { (-grad).max(T::zero()) };
                worst = worst.max(violation);
            };
            check(pos[(j, t)], m_pos[(j, t)], T::one());
            if let Some(m_neg) = &m_neg {
                check(neg[(j, t)], m_neg[(j, t)], -T::one());
            }
        }
    }
    Ok(if beta > T::zero() { worst / beta } else { worst })
}

#[cfg(test)]
mod tests {
    use super::remaining_decrease;

    #[test]
    fn remaining_decrease_is_exact_on_a_geometric_trace() {
        // f_k = 1 + 0.99^k: the decrease still to come after iteration k is 0.99^k.
        let trace: Vec<f64> = (0..=200).map(|k| 1.0 + 0.99f64.powi(k)).collect();
        let estimate = remaining_decrease(&trace, 10);
        let exact = 0.99f64.powi(200);
        assert!((estimate - exact).abs() <= 1e-9 * exact, "{estimate} vs {exact}");
    }

    #[test]
    fn remaining_decrease_is_never_below_the_last_window() {
        // A fast rate (0.5 per iteration): the series beyond the window is tiny, the last
        // window's decrease is what the estimate keeps.
        let trace: Vec<f64> = (0..=40).map(|k| 0.5f64.powi(k)).collect();
        let last_window = trace[30] - trace[40];
        assert_eq!(remaining_decrease(&trace, 10), last_window);
    }

    #[test]
    fn remaining_decrease_without_a_rate() {
        let short = vec![3.0, 2.0, 1.0];
        assert_eq!(remaining_decrease(&short, 10), f64::MAX);

        // An increase in the last windows: the largest window change stands in.
        let mut wobbly: Vec<f64> = (0..=30).map(|k| 10.0 - 0.1 * k as f64).collect();
        wobbly[30] = wobbly[20] + 0.5;
        assert!((remaining_decrease(&wobbly, 10) - 1.0).abs() < 1e-12);

        // Constant decrease per window (rate 1): no finite estimate.
        let linear: Vec<f64> = (0..=30).map(|k| 100.0 - k as f64).collect();
        assert_eq!(remaining_decrease(&linear, 10), f64::MAX);

        // A trace that stopped moving.
        let flat = vec![1.0; 31];
        assert_eq!(remaining_decrease(&flat, 10), 0.0);
    }
}
