//! MTW fits on one overlap-study trial (blur design, overlap 0.5, trial 0, seed 0) with and
//! without the translation step (the numbers of `mtw::model::mtw`'s "Translation step").
//!
//! ```text
//! cargo run --release --example mtw_translation -- tight            # cold fits at tol 1e-8
//! cargo run --release --example mtw_translation -- path 1e-4 1000   # 5 × 5 warm path
//! ```
//!
//! µ and λ are multiples of λ_max; the path's axes are the overlap study's at `--grid-size 5`.

use std::time::Instant;

use mtw::metrics::support_recovery;
use mtw::model::mtw::{lambda_max, Mtw, MtwParams};
use mtw::model::{Estimator, Fit, Problem};
use mtw::ot::{default_epsilon, gamma_from_tau, GroundMetric, KernelStrategy};
use mtw::sim::{Design, OverlapConfig, OverlapSimulator, OverlapTrial};

const TIGHT_POINTS: [(f64, f64); 6] =
    [(0.3, 0.1), (0.3, 0.01), (0.03, 0.03), (0.1, 0.01), (0.01, 0.1), (0.003, 0.01)];
const PATH_MU: [f64; 5] = [0.3, 0.0948683298050514, 0.03, 0.00948683298050514, 0.003];

fn estimator(tol: f64, cap: usize, translate: bool) -> mtw::Result<Mtw<f64>> {
    let metric = GroundMetric::<f64>::grid_squared_euclidean(&[24, 24])?.normalized_by_median()?;
    let epsilon = default_epsilon(&metric);
    let mut params = MtwParams::new(0.0, 0.0, epsilon, gamma_from_tau(&metric, 0.5)?);
    params.positive = true;
    params.tol = tol;
    params.tol_ot = tol;
    params.max_iter = cap;
    params.translate = translate;
    Mtw::new(&metric, params, KernelStrategy::Auto)
}

fn report(label: &str, fit: &Fit<f64>, data: &OverlapTrial<f64>) -> mtw::Result<()> {
    let auc = support_recovery(&fit.coef, &data.coef, 0.0)?.mean;
    let objective = fit.objective.unwrap_or(f64::NAN);
    println!(
        "{label}: {:5} iterations, converged {:5}, {:7.2} s, objective {objective:.12e}, \
         AUC {auc:.3}",
        fit.iterations, fit.converged, fit.seconds
    );
    Ok(())
}

fn tight(data: &OverlapTrial<f64>, problem: &Problem<f64>, lmax: f64) -> mtw::Result<()> {
    for (mu, lambda) in TIGHT_POINTS {
        for translate in [false, true] {
            let mtw =
                estimator(1e-8, 30_000, translate)?.with_penalties(mu * lmax, lambda * lmax)?;
            let fit = mtw.fit(problem)?;
            report(&format!("mu {mu:5} lambda {lambda:4} translate {translate:5}"), &fit, data)?;
        }
    }
    Ok(())
}

fn path(data: &OverlapTrial<f64>, lmax: f64, tol: f64, cap: usize) -> mtw::Result<()> {
    let lambdas: Vec<f64> = (0..5).map(|k| lmax * 0.01f64.powf(k as f64 / 4.0)).collect();
    for translate in [false, true] {
        let base = estimator(tol, cap, translate)?;
        let clock = Instant::now();
        let mut row_head: Option<Fit<f64>> = None;
        for (i, &mu) in PATH_MU.iter().enumerate() {
            let mut previous: Option<Fit<f64>> = None;
            for (j, &lambda) in lambdas.iter().enumerate() {
                let mtw = base.with_penalties(mu * lmax, lambda)?;
                let fit = mtw.fit_from(&data.problem, previous.as_ref().or(row_head.as_ref()))?;
                report(&format!("translate {translate:5} point ({i}, {j})"), &fit, data)?;
                if j == 0 {
                    row_head = Some(fit.clone());
                }
                previous = Some(fit);
            }
        }
        println!("translate {translate}: path {:.2} s", clock.elapsed().as_secs_f64());
    }
    Ok(())
}

fn main() -> mtw::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let simulator = OverlapSimulator::new(OverlapConfig::default())?;
    let data = simulator.trial::<f64>(0, Design::Blur, 0.5, 0)?;
    let lmax = lambda_max(&data.problem, true);
    match args.first().map(String::as_str) {
        Some("tight") => tight(&data, &data.problem, lmax),
        Some("path") => {
            let tol = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(1e-4);
            let cap = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(1000);
            path(&data, lmax, tol, cap)
        }
        _ => {
            eprintln!("usage: mtw_translation tight | path [TOL [CAP]]");
            std::process::exit(2);
        }
    }
}
