//! `--time-fit T`: one cold MTW fit at a representative grid point, timed, instead of the study.

use std::time::Instant;

use mtw::metrics::support_recovery;
use mtw::model::mtw::lambda_max;
use mtw::model::Estimator;
use mtw::study::TrialKey;
use mtw::{Result, Scalar};

use crate::meg_study::config::{Axis, ExperimentConfig};
use crate::meg_study::operators::Operators;
use crate::meg_study::trial::{mtw_estimator, trial_data};

/// Simulates one Figure-6-like trial (5 sources, or fewer when there are fewer regions, 50 %
/// overlap) on the first `config.tasks[0]` subjects, then fits MTW once from its cold start at
/// µ = the geometric middle of the µ grid and λ = λ_max / 10, and prints the timings.
pub fn time_fit<T: Scalar>(
    config: &ExperimentConfig,
    operators: &Operators,
    seed: u64,
) -> Result<()> {
    let n_tasks = config.tasks[0];
    let key = TrialKey::new(n_tasks.to_string(), config.max_sources() as f64, 0);
    let data = trial_data::<T>(config, operators, seed, &key)?;
    let problem = &data.problem;

    let timer = Instant::now();
    let base = mtw_estimator::<T>(&operators.metric, &config.fits)?;
    let kernel_seconds = timer.elapsed().as_secs_f64();
    let ratios = &config.fits.mtw_mu_ratios;
    let mu_ratio = (ratios[0] * ratios[ratios.len() - 1]).sqrt();
    let lmax = lambda_max(problem, false);
    let mu = T::of_f64(mu_ratio) * lmax;
    let lambda = lmax / T::of_f64(10.0);
    let estimator = base.with_penalties(mu, lambda)?;
    let timer = Instant::now();
    let fit = estimator.fit(problem)?;
    let fit_seconds = timer.elapsed().as_secs_f64();
    let auc = support_recovery(&fit.coef, &data.truth, 0.0)?.mean;
    let n_sources = match &config.axis {
        Axis::Sources { levels, .. } => levels[0],
        Axis::Overlap { n_sources, .. } => *n_sources,
    };
    println!(
        "meg_study --time-fit: p = {}, n = {}, T = {n_tasks}, k = {n_sources}, {} precision, \
         {} threads",
        problem.n_features(),
        problem.n_samples(),
        config.fits.precision,
        rayon::current_num_threads()
    );
    println!(
        "  MTW at mu = {mu_ratio:.4} lambda_max, lambda = 0.1 lambda_max, tol {}, max_iter {}",
        config.fits.tol, config.fits.max_iter
    );
    println!("  kernel build {kernel_seconds:.2} s; fit {fit_seconds:.2} s");
    println!(
        "  {} outer iterations, converged {}, log domain used {}, AUC {auc:.3}, \
         {} non-zero coefficients",
        fit.iterations,
        fit.converged,
        fit.log_domain_used,
        fit.coef.iter().filter(|v| v.to_f64() != 0.0).count()
    );
    Ok(())
}
