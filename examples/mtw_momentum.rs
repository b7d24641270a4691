//! The overlap study's MTW path on one trial with each outer-loop acceleration: time, outer
//! iterations, fits stopped by the cap, best support AUC and the objectives reached.
//!
//! ```text
//! cargo run --release --example mtw_momentum -- [TOL [CAP [TRIAL [OVERLAP]]]]
//! ```
//!
//! Defaults: tol 1e-4, cap 1,000, trial 0, overlap 0.5 (the study's blur design, seed 0, its
//! 5 × 5 grid: µ from 0.3 to 0.003 λ_max, λ from λ_max to λ_max/100, warm starts along λ).

use std::time::Instant;

use mtw::metrics::support_recovery;
use mtw::model::mtw::{lambda_max, Mtw, MtwParams};
use mtw::model::{Estimator, Fit};
use mtw::ot::{default_epsilon, gamma_from_tau, GroundMetric, KernelStrategy};
use mtw::sim::{Design, OverlapConfig, OverlapSimulator};

const PATH_MU: [f64; 5] = [0.3, 0.0948683298050514, 0.03, 0.00948683298050514, 0.003];

/// (label, Anderson memory, momentum).
const SETTINGS: [(&str, usize, bool); 4] = [
    ("plain", 0, false),
    ("anderson", 3, false),
    ("momentum", 0, true),
    ("both (default)", 3, true),
];

fn arg<T: std::str::FromStr>(args: &[String], i: usize, default: T) -> T {
    args.get(i).and_then(|s| s.parse().ok()).unwrap_or(default)
}

fn main() -> mtw::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (tol, cap) = (arg(&args, 0, 1e-4), arg(&args, 1, 1000));
    let (trial, overlap) = (arg(&args, 2, 0), arg(&args, 3, 0.5));
    let data = OverlapSimulator::new(OverlapConfig::default())?.trial::<f64>(
        0,
        Design::Blur,
        overlap,
        trial,
    )?;
    let lmax = lambda_max(&data.problem, true);
    let metric = GroundMetric::<f64>::grid_squared_euclidean(&[24, 24])?.normalized_by_median()?;
    let lambdas: Vec<f64> = (0..5).map(|k| lmax * 0.01f64.powf(k as f64 / 4.0)).collect();
    let mut reference: Option<Vec<f64>> = None;
    for (label, anderson, momentum) in SETTINGS {
        let mut params =
            MtwParams::new(0.0, 0.0, default_epsilon(&metric), gamma_from_tau(&metric, 0.5)?);
        params.positive = true;
        params.tol = tol;
        params.tol_ot = tol;
        params.max_iter = cap;
        params.anderson = anderson;
        params.momentum = momentum;
        let base = Mtw::new(&metric, params, KernelStrategy::Auto)?;

        let clock = Instant::now();
        let mut row_head: Option<Fit<f64>> = None;
        let (mut best, mut iterations, mut capped) = (0.0f64, 0, 0);
        let mut objectives = Vec::new();
        for &mu in &PATH_MU {
            let mut previous: Option<Fit<f64>> = None;
            for (j, &lambda) in lambdas.iter().enumerate() {
                let mtw = base.with_penalties(mu * lmax, lambda)?;
                let fit = mtw.fit_from(&data.problem, previous.as_ref().or(row_head.as_ref()))?;
                best = best.max(support_recovery(&fit.coef, &data.coef, 0.0)?.mean);
                iterations += fit.iterations;
                capped += usize::from(!fit.converged);
                objectives.push(fit.objective.unwrap_or(f64::NAN));
                if j == 0 {
                    row_head = Some(fit.clone());
                }
                previous = Some(fit);
            }
        }
        let seconds = clock.elapsed().as_secs_f64();

        // Objectives against the first setting's: how many points ended lower, and the worst
        // relative excess.
        let reference = reference.get_or_insert_with(|| objectives.clone());
        let lower = objectives.iter().zip(reference.iter()).filter(|(o, r)| o < r).count();
        let worst = objectives
            .iter()
            .zip(reference.iter())
            .map(|(o, r)| (o - r) / r)
            .fold(f64::NEG_INFINITY, f64::max);
        println!(
            "{label:15}: {seconds:6.2} s, {iterations:6} outer iterations, {capped:2} of 25 fits \
             at the cap, best AUC {best:.4}; objective lower than plain at {lower:2} of 25 \
             points, at most {worst:+.2e} above"
        );
    }
    Ok(())
}
