//! `overlap_study`: the paper's synthetic support-overlap study (section 4.1, Figure 2).
//!
//! For each overlap fraction and trial, simulate T = 3 four-sparse non-negative 24 × 24 images
//! observed through the blur (or Gaussian) design at SNR 3 ([`mtw::sim::overlap`] documents
//! every step), fit every model over its hyperparameter grid with warm-started paths, and keep
//! the best support-recovery AUC each model reaches on its grid (an *oracle* selection: the
//! truth picks the hyperparameters, as in the paper's "best AUC"). The AUC of a fit is the
//! average precision of |θ̂_t| ranked against the true support of θ_t, averaged over tasks.
//!
//! Outputs (default `results/overlap_study/`): `trials.csv`, `summary.csv`,
//! `auc_vs_overlap.png`/`.svg`, `run.json`. Rerunning the same command resumes; `--shard K/N`
//! runs a slice of the trials and `--merge` combines the slices; `--plot-only` redraws.

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Instant;

use clap::Parser;
use serde::Serialize;

use mtw::error::{Error, Result};
use mtw::metrics::support_recovery;
use mtw::model::mtw::{Mtw, MtwParams};
use mtw::model::{Estimator, Fit, Problem};
use mtw::ot::defaults::{default_epsilon, gamma_from_tau, PAPER_TAU};
use mtw::ot::{GroundMetric, KernelStrategy};
use mtw::select::{oracle, CatalogOptions, Goal, Hyper, ModelKind};
use mtw::sim::{Design, OverlapConfig, OverlapSimulator};
use mtw::study::{
    self, counted, Layout, LineChart, Measurement, RunOptions, Shard, Study, SummaryColumns,
    TrialKey,
};
use mtw::Scalar;

/// Regenerates Figure 2 of the paper: best support-recovery AUC against support overlap.
#[derive(Parser, Debug)]
#[command(
    name = "overlap_study",
    version,
    about = "The paper's synthetic support-overlap study (Figure 2): best AUC per model",
    allow_negative_numbers = true
)]
struct Args {
    /// Trials per overlap level [default: 100; 1 with --quick].
    #[arg(long)]
    trials: Option<usize>,
    /// Seed of every random draw (trial data depend on the seed and the trial key only).
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Overlap fractions (share of the 4 active pixels common to all tasks: multiples of 1/4).
    #[arg(long, value_delimiter = ',', default_value = "0,0.25,0.5,0.75,1")]
    overlaps: Vec<f64>,
    /// Design: `blur` (the paper's text) or `gaussian` (the authors' example code).
    #[arg(long, default_value = "blur")]
    design: String,
    /// Rows per task of the gaussian design [default: 36] (refused with `--design blur`).
    #[arg(long)]
    n_samples: Option<usize>,
    /// Correlation ρ of the gaussian design, Σ_ij = ρ^(squared grid distance) [default: 0.95]
    /// (refused with `--design blur`).
    #[arg(long)]
    rho: Option<f64>,
    /// Solver tolerance (relative duality gap, or relative change of θ and of the objective).
    #[arg(long, default_value_t = 1e-4)]
    tol: f64,
    /// Cap on each fit's (outer) iterations; the CSV records whether a fit converged
    /// [default: 1000; 10 with --quick].
    #[arg(long)]
    max_iter: Option<usize>,
    /// Points per hyperparameter axis [default: 5; 2 with --quick]. Ten per axis would
    /// quadruple the run (MTW and reweighted MTW cost ~1 s per grid point; see the README).
    #[arg(long)]
    grid_size: Option<usize>,
    /// Largest and smallest MTW µ on its grid, as multiples of λ_max.
    #[arg(long, value_delimiter = ',', default_value = "0.3,0.003")]
    mtw_mu_range: Vec<f64>,
    /// Models to compare (comma-separated `mtw fit --model` names).
    #[arg(long, value_delimiter = ',', default_value = "lasso,group-lasso,dirty,mll,mtw,remtw")]
    models: Vec<String>,
    /// Floating-point precision of the fits.
    #[arg(long, default_value = "f64")]
    precision: String,
    /// Worker threads (default: all cores). Results do not depend on it.
    #[arg(long)]
    threads: Option<usize>,
    /// Output folder.
    #[arg(long, default_value = "results/overlap_study")]
    out: PathBuf,
    /// A few trials on a small grid, for a check in seconds (flags given explicitly still win).
    #[arg(long)]
    quick: bool,
    /// Replace results of another configuration in `--out`.
    #[arg(long)]
    overwrite: bool,
    /// Run only the trials ≡ K (mod N), into their own file: `--shard K/N`.
    #[arg(long)]
    shard: Option<String>,
    /// Merge the shards found in `--out` into one set of outputs.
    #[arg(long, conflicts_with = "shard")]
    merge: bool,
    /// Redraw summaries and charts from the CSVs in `--out`.
    #[arg(long, conflicts_with_all = ["merge", "shard"])]
    plot_only: bool,
}

/// The numbers each (trial, model) row of `trials.csv` records.
const VALUE_COLUMNS: [&str; 9] = [
    "best_auc",
    "mu",
    "lambda",
    "mu_on_edge",
    "lambda_on_edge",
    "path_seconds",
    "fit_seconds",
    "iterations",
    "converged",
];

/// Wall times: machine-dependent, left out when runs are compared (every other column is the
/// same whatever the threads, shards and interruptions).
const TIMING_COLUMNS: [&str; 2] = ["path_seconds", "fit_seconds"];

/// Everything that determines the numbers (part of the study's fingerprint).
#[derive(Serialize, Clone, Debug)]
struct Config {
    trials: usize,
    overlaps: Vec<f64>,
    design: Design,
    models: Vec<ModelKind>,
    precision: &'static str,
    grid_size: usize,
    min_ratio: f64,
    mtw_mu_ratios: Vec<f64>,
    tol: f64,
    max_iter: usize,
    max_reweighting: usize,
    simulation: OverlapConfig,
}

fn main() {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("error")).init();
    if let Err(error) = run(mtw::study::parse_args::<Args>("overlap_study")) {
        eprintln!("overlap_study: error: {error}");
        std::process::exit(2);
    }
}

fn run(args: Args) -> Result<()> {
    let config = config(&args)?;
    let layout = Layout::new("design", "overlap", &VALUE_COLUMNS)
        .with_fixed("precision", config.precision)
        .with_machine_dependent(&TIMING_COLUMNS);
    let study = Study::new("overlap_study", &config, args.seed)?.with_layout(layout.clone());
    if args.plot_only || args.merge {
        let rows = if args.merge {
            study::merge_shards(&args.out, Some(&study))?.rows
        } else {
            study::load_results(&args.out, Some(&study))?
        };
        write_outputs(&rows, &layout, &args.out)?;
        let action = if args.merge { "merged" } else { "redrew the summary and chart from" };
        eprintln!("overlap_study: {action} {} rows in {}", rows.len(), args.out.display());
        return Ok(());
    }
    let shard = args.shard.as_deref().map(Shard::from_str).transpose()?;
    let options =
        RunOptions { shard, overwrite: args.overwrite, progress: true, ..RunOptions::default() };
    let pool = mtw::study::thread_pool(args.threads)?;

    let timer = Instant::now();
    eprintln!(
        "overlap_study: {} per level × {}, {}, {}, into {} \
         (a progress bar shows on a terminal; rerun the same command to resume)",
        counted(config.trials, "trial"),
        counted(config.overlaps.len(), "level"),
        counted(config.models.len(), "model"),
        counted(pool.current_num_threads(), "thread"),
        args.out.display()
    );
    let outcome = pool.install(|| match config.precision {
        "f32" => run_in::<f32>(&config, &study, &args.out, &options),
        _ => run_in::<f64>(&config, &study, &args.out, &options),
    })?;
    for failure in &outcome.failures {
        eprintln!("overlap_study: trial {} failed: {}", failure.key.label(), failure.error);
    }
    if outcome.complete && shard.is_none() {
        write_outputs(&outcome.rows, &layout, &args.out)?;
    }
    eprintln!(
        "overlap_study: {} run, {} resumed, {:.1} s",
        counted(outcome.trials_run, "trial"),
        outcome.trials_skipped,
        timer.elapsed().as_secs_f64()
    );
    Ok(())
}

/// The configuration from the flags (`--quick` shrinks trials and grids).
fn config(args: &Args) -> Result<Config> {
    let design = match args.design.as_str() {
        "blur" => Design::Blur,
        "gaussian" => Design::Gaussian,
        other => return Err(Error::parameter("design", other, "expected blur or gaussian")),
    };
    let precision = match args.precision.as_str() {
        "f64" => "f64",
        "f32" => "f32",
        other => return Err(Error::parameter("precision", other, "expected f32 or f64")),
    };
    let models = args.models.iter().map(|m| ModelKind::from_str(m)).collect::<Result<Vec<_>>>()?;
    if models.is_empty() {
        return Err(Error::parameter("models", "none", "give at least one model"));
    }
    mtw::validate::distinct("models", &models)?;
    if args.overlaps.iter().any(|r| !(0.0..=1.0).contains(r)) {
        return Err(Error::parameter(
            "overlaps",
            format!("{:?}", args.overlaps),
            "must be in [0, 1]",
        ));
    }
    mtw::validate::distinct("overlaps", &args.overlaps)?;
    let defaults = OverlapConfig::default();
    // The simulation shares round(k r) of the k active pixels: r must be a multiple of 1/k, or
    // the CSVs would label a trial with an overlap it does not have.
    let k = defaults.n_active as f64;
    if let Some(r) = args.overlaps.iter().find(|r| ((*r * k).round() - *r * k).abs() > 1e-9) {
        return Err(Error::parameter(
            "overlaps",
            r,
            &format!("must be a multiple of 1/{k} (the share of the {k} active pixels)"),
        ));
    }
    if design == Design::Blur && (args.n_samples.is_some() || args.rho.is_some()) {
        return Err(Error::parameter(
            "design",
            "blur",
            "takes no --n-samples or --rho (they set the gaussian design)",
        ));
    }
    let simulation = OverlapConfig {
        rho: args.rho.unwrap_or(defaults.rho),
        gaussian_n_samples: args.n_samples.unwrap_or(defaults.gaussian_n_samples),
        ..defaults
    };
    // Built once here only to refuse bad settings (say --rho 1.5) before the run's banner.
    OverlapSimulator::new(simulation.clone())?;
    // --quick: one trial per level, 2 points per axis, 10 iterations per fit, unless given.
    let pick = |given: Option<usize>, quick: usize, full: usize| {
        given.unwrap_or(if args.quick { quick } else { full })
    };
    let trials = pick(args.trials, 1, 100);
    let grid_size = pick(args.grid_size, 2, 5);
    let max_iter = pick(args.max_iter, 10, 1000);
    let max_reweighting = if args.quick { 2 } else { 10 };
    mtw::validate::positive("tol", args.tol)?;
    for (name, value) in [("trials", trials), ("max-iter", max_iter)] {
        if value == 0 {
            return Err(Error::parameter(name, 0, "must be >= 1"));
        }
    }
    study::trial_count("trials", trials, args.overlaps.len())?;
    if grid_size < 2 {
        // One point is λ_max alone, where every sparse model returns θ = 0.
        return Err(Error::parameter("grid-size", grid_size, "must be >= 2"));
    }
    Ok(Config {
        trials,
        overlaps: args.overlaps.clone(),
        design,
        models,
        precision,
        grid_size,
        min_ratio: 0.01,
        mtw_mu_ratios: mu_ratios(&args.mtw_mu_range, grid_size)?,
        tol: args.tol,
        max_iter,
        max_reweighting,
        simulation,
    })
}

/// `n` log-spaced multiples of λ_max from `range[0]` down to `range[1]`.
fn mu_ratios(range: &[f64], n: usize) -> Result<Vec<f64>> {
    match range {
        [hi, lo] if *hi > 0.0 && *lo > 0.0 && lo <= hi => {
            mtw::select::Grid::log_spaced(*hi, n, lo / hi)
        }
        _ => Err(Error::parameter(
            "mtw-mu-range",
            format!("{range:?}"),
            "expected HI,LO with HI >= LO > 0",
        )),
    }
}

/// Runs (or resumes) every pending trial in precision `T`.
fn run_in<T: Scalar>(
    config: &Config,
    study: &Study,
    out: &Path,
    options: &RunOptions,
) -> Result<study::RunOutcome> {
    let simulator = OverlapSimulator::new(config.simulation.clone())?;
    let catalogs =
        Catalogs { legacy: catalog::<T>(config, true)?, current: catalog(config, false)? };
    let keys = OverlapSimulator::trial_keys(&[config.design], &config.overlaps, config.trials);
    study::run_trials(study, out, options, &keys, |key, rng| {
        run_trial(config, &simulator, &catalogs, key, rng)
    })
}

/// The models' grids and builders under both momentum rules of the MTW solver (see
/// [`MomentumFallback`]).
struct Catalogs<T: Scalar> {
    /// `MtwParams::legacy_momentum` on: the rules the committed default run was computed with.
    legacy: CatalogOptions<T>,
    /// The current rules, for the fits that fail under the legacy ones.
    current: CatalogOptions<T>,
}

impl<T: Scalar> Catalogs<T> {
    /// The estimator of `kind` at `h`: MTW models try the legacy rules first, counting every
    /// fit that falls back to the current ones in `fallbacks`.
    fn estimator(
        &self,
        kind: ModelKind,
        h: &Hyper,
        fallbacks: &Arc<AtomicUsize>,
    ) -> Result<Box<dyn Estimator<T>>> {
        let legacy = self.legacy.estimator(kind, h)?;
        if !matches!(kind, ModelKind::Mtw | ModelKind::Remtw) {
            return Ok(legacy);
        }
        let current = self.current.estimator(kind, h)?;
        Ok(Box::new(MomentumFallback { legacy, current, fallbacks: Arc::clone(fallbacks) }))
    }
}

/// An MTW estimator under the legacy momentum rules that refits, from the same start, under
/// the current rules when a fit fails numerically.
///
/// The legacy rules extrapolate entries sitting at zero and keep the momentum across Anderson
/// steps (`MtwParams::legacy_momentum`); on a few trials of the default run a fit overflowed
/// under them and ended at an infinite objective, which the solver reports as an error. Fits
/// that succeed under the legacy rules are kept as they are, so rows recorded before this
/// fallback existed are unchanged, and every row still depends on its trial key alone.
struct MomentumFallback<T: Scalar> {
    legacy: Box<dyn Estimator<T>>,
    current: Box<dyn Estimator<T>>,
    fallbacks: Arc<AtomicUsize>,
}

impl<T: Scalar> Estimator<T> for MomentumFallback<T> {
    fn name(&self) -> &'static str {
        self.legacy.name()
    }

    fn fit_from(&self, problem: &Problem<T>, start: Option<&Fit<T>>) -> Result<Fit<T>> {
        match self.legacy.fit_from(problem, start) {
            Err(Error::Numerical(reason)) => {
                log::info!("{}: {reason}; refitting with the current momentum rules", self.name());
                self.fallbacks.fetch_add(1, Ordering::Relaxed);
                self.current.fit_from(problem, start)
            }
            other => other,
        }
    }
}

/// The models' grids and builders; MTW on the grid's squared Euclidean metric divided by its
/// median, separable kernel (log domain when needed), ε = median/p, γ from τ = 0.5.
/// `legacy` selects the momentum rules (see [`MomentumFallback`]).
fn catalog<T: Scalar>(config: &Config, legacy: bool) -> Result<CatalogOptions<T>> {
    let side = config.simulation.side;
    let metric =
        GroundMetric::<T>::grid_squared_euclidean(&[side, side])?.normalized_by_median()?;
    let epsilon = default_epsilon(&metric);
    let gamma = gamma_from_tau(&metric, T::of_f64(PAPER_TAU))?;
    let mut params = MtwParams::new(T::zero(), T::zero(), epsilon, gamma);
    params.positive = true;
    params.tol = T::of_f64(config.tol).max(T::default_tol());
    params.tol_ot = params.tol;
    params.max_iter = config.max_iter;
    // The committed default run (results/overlap_study) was computed with the momentum rules
    // before the fixes of `MtwParams::legacy_momentum`; the legacy catalog keeps its rows
    // reproducible. On trial 0 at overlap 0.5 the zero rule alone changes only reweighted
    // MTW's winning fit, from 1,691 to 1,510 outer iterations at the same AUC.
    params.legacy_momentum = legacy;
    let mtw = Mtw::new(&metric, params, KernelStrategy::Auto)?;
    Ok(CatalogOptions {
        positive: true,
        grid_size: config.grid_size,
        min_ratio: config.min_ratio,
        mtw_mu_ratios: config.mtw_mu_ratios.clone(),
        tol: Some(T::of_f64(config.tol).max(T::default_tol())),
        max_iter: Some(config.max_iter),
        mtw: Some(mtw),
        max_reweighting: config.max_reweighting,
    })
}

/// One trial: simulate, then each model's oracle-selected best AUC with its details.
fn run_trial<T: Scalar>(
    config: &Config,
    simulator: &OverlapSimulator,
    catalogs: &Catalogs<T>,
    key: &TrialKey,
    rng: &mut rand_chacha::ChaCha8Rng,
) -> Result<Vec<Measurement>> {
    let data = simulator.sample::<T, _>(config.design, key.x, rng)?;
    let truth = data.coef.map(T::of_f64);
    let mut out = Vec::new();
    for &kind in &config.models {
        let timer = Instant::now();
        let grid = catalogs.legacy.grid(kind, &data.problem)?;
        let fallbacks = Arc::new(AtomicUsize::new(0));
        let builder = |h: &Hyper| catalogs.estimator(kind, h, &fallbacks);
        let score = |fit: &mtw::model::Fit<T>| Ok(support_recovery(&fit.coef, &truth, 0.0)?.mean);
        let best = oracle(&data.problem, &grid, &builder, score, Goal::Maximize)?;
        let path_seconds = timer.elapsed().as_secs_f64();
        let sel = &best.selection;
        let name = kind.name();
        let flag = |b: bool| if b { 1.0 } else { 0.0 };
        let note = match fallbacks.load(Ordering::Relaxed) {
            0 => String::new(),
            k => format!("{k} fits refitted with the current momentum rules"),
        };
        out.extend([
            Measurement::new(name, "best_auc", sel.best_score).with_note(note),
            Measurement::new(name, "mu", sel.best.mu),
            Measurement::new(name, "lambda", sel.best.lambda),
            Measurement::new(name, "mu_on_edge", flag(sel.on_grid_edge.mu)),
            Measurement::new(name, "lambda_on_edge", flag(sel.on_grid_edge.lambda)),
            Measurement::new(name, "path_seconds", path_seconds),
            Measurement::new(name, "fit_seconds", best.fit.seconds),
            Measurement::new(name, "iterations", best.fit.iterations as f64),
            Measurement::new(name, "converged", flag(best.fit.converged)),
        ]);
    }
    Ok(out)
}

/// `summary.csv` and the Figure 2 chart from the complete set of rows.
fn write_outputs(rows: &[study::Row], layout: &Layout, out: &Path) -> Result<()> {
    let summary = study::summarize(rows);
    let columns = SummaryColumns::for_layout(layout, "auc").with_range(0.0, 1.0);
    study::write_summary_table(&out.join(study::SUMMARY_FILE), &summary, "best_auc", &columns)?;
    // Each model's best AUC minus MTW's in the same trial (when MTW ran).
    let names = (Some(layout.group.as_str()), layout.x.as_str());
    study::write_paired_if_reference_ran(out, rows, "best_auc", "mtw", names)?;
    let design = rows.first().map_or("blur", |r| r.key.group.as_str());
    LineChart::from_rows(rows, design, "best_auc")
        .labels("overlap fraction of the supports", "best AUC (oracle over the grid)")
        .title(&format!("Support recovery vs overlap ({design} design)"))
        .y_range(0.0, 1.0)
        .write(out, "auc_vs_overlap")?;
    Ok(())
}
