//! Full MTW fits per kernel strategy × precision (`kernel_study --mtw-fits`): the same
//! problem fitted with every strategy in f64 and f32, timed, with the objective reached and
//! the support-recovery AUC.
//!
//! Problems ([`mtw::sim::benchmark`]): `p576_T3`, the overlap study's size (24 × 24 grid,
//! n = 36, T = 3, non-negative fit) and `p2562_T8`, the MEG study's size (dense geodesic
//! metric of the ico-4 hemisphere, n = 204, T = 8, signed fit). µ = λ = λ_max / 10, ε =
//! median/p, γ from τ = 0.5, tolerance max(1e-6, the precision's floor). The MEG-size fits
//! stop at an iteration cap (their time per iteration and the objective reached in that many
//! iterations are what compare); the `--quick` plan fits an 8 × 8 grid problem only, to convergence.

use std::time::Instant;

use nalgebra::DMatrix;

use mtw::metrics::support_recovery;
use mtw::model::mtw::{lambda_max, Mtw, MtwParams};
use mtw::model::{Estimator, Problem};
use mtw::ot::defaults::{default_epsilon, gamma_from_tau, PAPER_TAU};
use mtw::ot::{GroundMetric, KernelStrategy};
use mtw::sim::benchmark::{self, Benchmark};
use mtw::study::{Layout, Measurement, TrialKey};
use mtw::{Error, Result, Scalar};

/// The value columns of `mtw_fits/trials.csv`, in order.
pub const VALUES: [&str; 8] = [
    "iterations",
    "converged",
    "log_domain_used",
    "objective",
    "objective_gap",
    "auc",
    "seconds",
    "seconds_per_iteration",
];

/// Wall times: machine-dependent.
pub const MACHINE_DEPENDENT: [&str; 2] = ["seconds", "seconds_per_iteration"];

/// One problem of the plan.
#[derive(Clone, Debug, serde::Serialize)]
pub struct FitProblem {
    /// `p576_T3`, `p2562_T8` or `p64_T3` (quick).
    pub name: String,
    /// Features.
    pub p: usize,
    /// Outer-iteration cap.
    pub max_iter: usize,
    /// Fit θ ≥ 0.
    pub positive: bool,
}

/// The problems of the default or the quick plan.
pub fn plan(quick: bool) -> Vec<FitProblem> {
    let problem =
        |name: &str, p, max_iter, positive| FitProblem { name: name.into(), p, max_iter, positive };
    if quick {
        vec![problem("p64_T3", 64, 3000, true)]
    } else {
        vec![problem("p576_T3", 576, 5000, true), problem("p2562_T8", 2562, 100, false)]
    }
}

/// The runner's layout of the fits.
pub fn layout() -> Layout {
    Layout::new("problem", "p", &VALUES).with_machine_dependent(&MACHINE_DEPENDENT)
}

/// The runner's key of a problem (x = p).
pub fn key(problem: &FitProblem) -> TrialKey {
    TrialKey::new(problem.name.clone(), problem.p as f64, 0)
}

/// The problem named `name`.
fn load(name: &str) -> Result<Benchmark> {
    match name {
        "p576_T3" => benchmark::paper_size(),
        "p2562_T8" => benchmark::meg_size(),
        "p64_T3" => small_grid(),
        _ => Err(Error::parameter("problem", name, "expected p576_T3, p2562_T8 or p64_T3")),
    }
}

/// An 8 × 8 grid version of the paper-size problem (the quick plan): the first 64 features
/// of each design, the truth's entries there, targets refitted to them.
fn small_grid() -> Result<Benchmark> {
    let b = benchmark::paper_size()?;
    let mut coef = DMatrix::zeros(64, b.coef.ncols());
    for t in 0..coef.ncols() {
        coef[(9, t)] = 1.5;
        coef[(40 + 3 * t, t)] = 1.0 + 0.25 * t as f64;
    }
    let designs: Vec<_> =
        b.problem.designs().iter().map(|x| x.columns(0, 64).into_owned()).collect();
    let targets = designs.iter().enumerate().map(|(t, x)| x * coef.column(t)).collect();
    let metric = GroundMetric::grid_squared_euclidean(&[8, 8])?.normalized_by_median()?;
    Ok(Benchmark { problem: Problem::new(designs, targets)?, metric, coef })
}

/// The problem's metric in precision `T`; grids keep their factored form so that the
/// separable strategies apply.
fn metric_of<T: Scalar>(name: &str, b: &Benchmark) -> Result<GroundMetric<T>> {
    let grid =
        |w: usize| GroundMetric::<T>::grid_squared_euclidean(&[w, w])?.normalized_by_median();
    match name {
        "p576_T3" => grid(24),
        "p64_T3" => grid(8),
        _ => GroundMetric::dense(b.metric.to_dense().map(T::of_f64)),
    }
}

/// One fit's numbers; `status` is "ok", "not converged" (cap) or "error: …".
struct FitRow {
    strategy: &'static str,
    precision: &'static str,
    status: String,
    values: [f64; 8],
}

fn fit_one<T: Scalar>(b: &Benchmark, fp: &FitProblem, strategy: KernelStrategy) -> FitRow {
    let mut row = FitRow {
        strategy: strategy.name(),
        precision: T::NAME,
        status: String::new(),
        values: [f64::NAN; 8],
    };
    match try_fit::<T>(b, fp, strategy) {
        Ok((values, converged)) => {
            row.values = values;
            row.status = if converged { "ok".into() } else { "not converged".into() };
        }
        Err(e) => row.status = format!("error: {e}"),
    }
    row
}

fn try_fit<T: Scalar>(
    b: &Benchmark,
    fp: &FitProblem,
    strategy: KernelStrategy,
) -> Result<([f64; 8], bool)> {
    let problem: Problem<T> = b.problem.cast();
    let metric = metric_of::<T>(&fp.name, b)?;
    let lmax = lambda_max(&problem, fp.positive);
    let tenth = lmax / T::of_f64(10.0);
    let epsilon = default_epsilon(&metric);
    let gamma = gamma_from_tau(&metric, T::of_f64(PAPER_TAU))?;
    let mut params = MtwParams::new(tenth, tenth, epsilon, gamma);
    params.positive = fp.positive;
    params.tol = T::of_f64(1e-6).max(T::default_tol());
    params.tol_ot = params.tol;
    params.max_iter = fp.max_iter;
    let clock = Instant::now();
    let fit = Mtw::new(&metric, params, strategy)?.fit(&problem)?;
    let seconds = clock.elapsed().as_secs_f64();
    let objective = fit.objective.map_or(f64::NAN, |o| o.to_f64());
    let auc = support_recovery(&fit.coef.map(|v| v.to_f64()), &b.coef, 0.0)?.mean;
    let flag = |x: bool| f64::from(u8::from(x));
    let values = [
        fit.iterations as f64,
        flag(fit.converged),
        flag(fit.log_domain_used),
        objective,
        f64::NAN, // filled in once every fit of the problem is done
        auc,
        seconds,
        seconds / fit.iterations.max(1) as f64,
    ];
    Ok((values, fit.converged))
}

/// Every strategy in f64 and f32 on one problem, as the runner's measurements; the objective
/// gap is relative to the smallest objective any f64 fit of the problem reached.
pub fn run_problem(fp: &FitProblem) -> Result<Vec<Measurement>> {
    let b = load(&fp.name)?;
    let mut rows = Vec::new();
    for strategy in KernelStrategy::ALL {
        for row in [fit_one::<f64>(&b, fp, strategy), fit_one::<f32>(&b, fp, strategy)] {
            eprintln!(
                "{} {:16} {} {:>10.3e} s/it {:>6} it objective {:.8e} auc {:.3} {}",
                fp.name,
                row.strategy,
                row.precision,
                row.values[7],
                row.values[0],
                row.values[3],
                row.values[5],
                row.status
            );
            rows.push(row);
        }
    }
    let best = rows
        .iter()
        .filter(|r| r.precision == "f64" && r.values[3].is_finite())
        .map(|r| r.values[3])
        .fold(f64::INFINITY, f64::min);
    let mut out = Vec::new();
    for r in &mut rows {
        r.values[4] = (r.values[3] - best) / best.abs();
        let model = format!("{}/{}", r.strategy, r.precision);
        for (i, (metric, value)) in VALUES.iter().zip(r.values).enumerate() {
            let m = Measurement::new(model.as_str(), *metric, value);
            out.push(if i == 0 { m.with_note(r.status.as_str()) } else { m });
        }
    }
    Ok(out)
}
