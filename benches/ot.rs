//! Criterion benches: Sinkhorn barycenter sweeps per kernel strategy and precision, and MTW fits.
//!
//! * `sweep/...`: the generalized Sinkhorn barycenter (Algorithm 2) at the default
//!   `ε = median(M)/p` and `γ = gamma_from_tau(M, 0.5)`, on broadly supported inputs, solved
//!   with `max_iter = 1` and `max_iter = 3` (tol 0, cold start). One sweep costs
//!   `(t(3) − t(1)) / 2`; `t(1)` also holds the set-up, the final `K v` and the objective.
//!   Problems: p = 576 (24 × 24 grid, T = 3) and p = 2562 (1-D grid, squared Euclidean, T = 8).
//!   A strategy that fails on a problem (typed error, e.g. the scaling domain in f32 or the
//!   truncated kernel refusing an uncertified output) is skipped with a message on stderr.
//! * `kernel/...`: one kernel application (`apply`, `apply_t` for the transpose) per strategy,
//!   on the same problems, with two kinds of input: `broad` (the logarithms of the broad inputs
//!   above) and `sparse` (the log-scalings after 3 log-domain sweeps from 4-sparse inputs, as
//!   MTW produces: `log u` is `−∞` off the support for `apply_t`, `log v` spans thousands for
//!   `apply`). Log kernels get the log-scalings, scaling kernels their exponentials (which
//!   under/overflow on `sparse`: there the scaling kernels are timed only for comparison).
//! * `mtw/epoch_p576`: an MTW fit with `max_iter = 1` (one alternation: coordinate-descent
//!   epochs + warm-started Sinkhorn sweeps) at the paper's synthetic size p = 576, n = 36, T = 3.
//! * `mtw/fit_p576`: the full MTW fit on the same problem, timed once (not by criterion) when
//!   the environment variable `MTW_BENCH_FULL_FIT` is set: it takes minutes.

use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use mtw::model::mtw::{lambda_max, Mtw, MtwParams};
use mtw::model::{Estimator, Lasso};
use mtw::ot::defaults::PAPER_TAU;
use mtw::ot::{
    build_kernel, default_epsilon, gamma_from_tau, Domain, GroundMetric, KernelStrategy,
    UnbalancedBarycenter,
};
use mtw::Scalar;
use nalgebra::DMatrix;

/// Broad, strictly positive inputs: a floor plus one Gaussian bump per task.
fn inputs<T: Scalar>(p: usize, nt: usize, coords: impl Fn(usize) -> (f64, f64)) -> DMatrix<T> {
    DMatrix::from_fn(p, nt, |f, t| {
        let (x, y) = coords(f);
        let (cx, cy) = (0.3 + 0.4 * t as f64 / nt.max(1) as f64, 0.5);
        T::of_f64(0.2 + (-8.0 * ((x - cx).powi(2) + (y - cy).powi(2))).exp())
    })
}

fn problems<T: Scalar>() -> Vec<(String, GroundMetric<T>, DMatrix<T>)> {
    let w = 24;
    let g2 = GroundMetric::<T>::grid_squared_euclidean(&[w, w]).unwrap();
    let th2 = inputs(w * w, 3, |f| ((f / w) as f64 / w as f64, (f % w) as f64 / w as f64));
    let p1 = 2562;
    let g1 = GroundMetric::<T>::grid_squared_euclidean(&[p1]).unwrap();
    let th1 = inputs(p1, 8, |f| (f as f64 / p1 as f64, 0.5));
    vec![
        ("p576_T3".into(), g2.normalized_by_median().unwrap(), th2),
        ("p2562_T8".into(), g1.normalized_by_median().unwrap(), th1),
    ]
}

/// 4-sparse non-negative inputs: the support of task t is 4 features spread over the grid,
/// moved by t; every other entry is 0.
fn sparse_inputs<T: Scalar>(p: usize, nt: usize) -> DMatrix<T> {
    DMatrix::from_fn(p, nt, |f, t| {
        let hit = (0..4).any(|j| f == (p / 8 + j * (p / 4) + 7 * t) % p);
        T::of_f64(if hit { 1.0 + 0.25 * t as f64 } else { 0.0 })
    })
}

fn kernels_for<T: Scalar>(c: &mut Criterion) {
    for (name, metric, theta) in problems::<T>() {
        let (p, nt) = theta.shape();
        let eps = default_epsilon(&metric);
        let gamma = gamma_from_tau(&metric, T::of_f64(PAPER_TAU)).unwrap();
        let log_solver =
            UnbalancedBarycenter::new(&metric, eps, gamma, KernelStrategy::LogSeparable)
                .or_else(|_| {
                    UnbalancedBarycenter::new(&metric, eps, gamma, KernelStrategy::LogDense)
                })
                .unwrap();
        let state = log_solver.solve(&sparse_inputs(p, nt), None, T::zero(), 3).unwrap().state;
        let broad = theta.map(|x| x.ln());
        let inputs =
            [("broad", broad.clone(), broad), ("sparse", state.log_v.clone(), state.log_u.clone())];
        for (kind, x_apply, x_apply_t) in inputs {
            let mut group = c.benchmark_group(format!("kernel/{name}/{}/{kind}", T::NAME));
            group.sample_size(10).warm_up_time(Duration::from_millis(300));
            group.measurement_time(Duration::from_secs(2));
            for s in KernelStrategy::ALL {
                let Ok(k) = build_kernel(&metric, eps, s) else { continue };
                let in_log = k.domain() == Domain::Log;
                let mut out = DMatrix::zeros(p, nt);
                for (dir, x) in [("apply", &x_apply), ("apply_t", &x_apply_t)] {
                    let x = if in_log { x.clone() } else { x.map(|v| v.exp()) };
                    group.bench_function(BenchmarkId::new(s.name(), dir), |b| {
                        b.iter(|| {
                            if dir == "apply" {
                                k.apply(&x, &mut out)
                            } else {
                                k.apply_transpose(&x, &mut out)
                            }
                        })
                    });
                }
            }
            group.finish();
        }
    }
}

fn kernels(c: &mut Criterion) {
    kernels_for::<f64>(c);
    kernels_for::<f32>(c);
}

fn sweeps_for<T: Scalar>(c: &mut Criterion) {
    for (name, metric, theta) in problems::<T>() {
        let eps = default_epsilon(&metric);
        let gamma = gamma_from_tau(&metric, T::of_f64(PAPER_TAU)).unwrap();
        let mut group = c.benchmark_group(format!("sweep/{name}/{}", T::NAME));
        group.sample_size(10).warm_up_time(Duration::from_millis(300));
        group.measurement_time(Duration::from_secs(2));
        for s in KernelStrategy::ALL {
            let solver = match UnbalancedBarycenter::new(&metric, eps, gamma, s) {
                Ok(x) => x,
                Err(e) => {
                    eprintln!("skip {name} {} {}: {e}", s.name(), T::NAME);
                    continue;
                }
            };
            if let Err(e) = solver.solve(&theta, None, T::zero(), 3) {
                eprintln!("skip {name} {} {}: {e}", s.name(), T::NAME);
                continue;
            }
            for iters in [1usize, 3] {
                group.bench_with_input(BenchmarkId::new(s.name(), iters), &iters, |b, &k| {
                    b.iter(|| solver.solve(&theta, None, T::zero(), k).unwrap())
                });
            }
        }
        group.finish();
    }
}

fn sweeps(c: &mut Criterion) {
    sweeps_for::<f64>(c);
    sweeps_for::<f32>(c);
}

fn mtw_fits(c: &mut Criterion) {
    let (problem, metric) = mtw::sim::benchmark::paper_size_problem().unwrap();
    let eps = default_epsilon(&metric);
    let gamma = gamma_from_tau(&metric, PAPER_TAU).unwrap();
    let lmax = lambda_max(&problem, true);
    let mut params = MtwParams::new(0.1 * lmax, 0.1 * lmax, eps, gamma);
    params.positive = true;
    let mut group = c.benchmark_group("mtw");
    group.sample_size(10).warm_up_time(Duration::from_millis(300));
    group.measurement_time(Duration::from_secs(3));
    let mut one = params.clone();
    one.max_iter = 1;
    let epoch = Mtw::new(&metric, one, KernelStrategy::Auto).unwrap();
    // One MTW outer iteration: its coordinate-descent epochs and Sinkhorn sweeps.
    group.bench_function("epoch_p576", |b| b.iter(|| epoch.fit(&problem).unwrap()));
    group.finish();

    // One coordinate-descent epoch alone (every coordinate of every task once), from zero.
    let mut cd = c.benchmark_group("cd");
    cd.sample_size(20).warm_up_time(Duration::from_millis(300));
    cd.measurement_time(Duration::from_secs(2));
    let lasso = Lasso::new(0.1 * lmax).unwrap().positive(true).max_iter(1);
    cd.bench_function("lasso_epoch_p576", |b| b.iter(|| lasso.fit(&problem).unwrap()));
    cd.finish();
    // The full fit runs thousands of outer iterations (minutes): criterion's minimum of 10
    // samples would not fit in a few-minute bench, so it is timed once, and only when
    // MTW_BENCH_FULL_FIT is set.
    if std::env::var_os("MTW_BENCH_FULL_FIT").is_some() {
        let full = Mtw::new(&metric, params, KernelStrategy::Auto).unwrap();
        let start = std::time::Instant::now();
        let fit = full.fit(&problem).unwrap();
        eprintln!(
            "mtw/fit_p576 (single run): {:.2} s, {} outer iterations, objective {:?}",
            start.elapsed().as_secs_f64(),
            fit.iterations,
            fit.objective
        );
    }
}

criterion_group!(benches, kernels, sweeps, mtw_fits);
criterion_main!(benches);
