//! `kernel_study`: speed, memory and accuracy of the Gibbs kernel strategies on unbalanced
//! barycenters of sparse images on square 2-D grids.
//!
//! Problems: T ∈ {3, 8} non-negative sparse images on a `w × w` grid, squared Euclidean metric
//! normalised by its median, `ε = 1/p` (= median/p) and, for the sweep sizes, smaller ε down
//! to 1e-4; `γ = gamma_from_tau(M, 0.5)`. For each kernel strategy × precision the barycenter
//! is solved (warm-started chunks of sweeps until converged or out of time) and compared with
//! an f64 log-separable reference. Outputs in `--out` (default `results/kernel_study/`):
//! `runs.csv` and the charts `time_per_iteration.{png,svg}`, `error_vs_epsilon.{png,svg}`,
//! `f32_speedup.{png,svg}`. `--export DIR` writes the problems as `.npy` for
//! `benches/peers/compare.py`.
//!
//! Memory is reported two ways, both named as what they are: `kernel_bytes` is an analytic
//! estimate of the kernel storage (see [`run::kernel_bytes`]), `vmhwm_kb` is the process's peak
//! resident set (`VmHWM` of `/proc/self/status`) read after the run: monotone over the whole
//! study, so it is an upper bound for the run, not the run's own peak.
//!
//! # Runs that never lose work
//!
//! The study runs on the shared runner ([`mtw::study`]), one trial per problem (w, T, ε):
//! `trials.csv` gets each finished problem's rows (one per strategy × precision, see
//! [`records`]) appended and flushed; rerunning the same command resumes (a partial last line
//! left by a kill is dropped and its problem rerun); another configuration (plan, budgets) in
//! the folder is refused with the differing settings named, unless `--overwrite`;
//! `--shard K/N` runs every N-th problem into its own files and `--merge` combines the shards;
//! `--plot-only` rewrites `runs.csv` and the charts from `trials.csv`. `runs.csv`, the charts,
//! `summary.csv` and `run.json` are written atomically. Problems run one after another
//! (timings of problems run side by side would share the cores); `--threads` sets the pool
//! the solvers use inside a problem.
//!
//! What is deterministic: timings are not, so the "same numbers however it was run"
//! applies to every column except the machine-dependent `seconds`, `seconds_per_iteration` and
//! `vmhwm_kb` (declared in the layout and left out by [`mtw::study::comparable_trials`]): the
//! problem (w, T, ε, γ), iterations, convergence, log-domain switch, kernel bytes, error and
//! status match across thread counts, shards and resumes. One exception, named in the rows:
//! a solve stopped by `--time-budget-s` has status "out of time" (and its rows' status ends
//! in "reference out of time" when the reference was), and its iterations and error depend on
//! the machine's speed; give a larger budget where exact reproduction matters.

#[path = "kernel_study/charts.rs"]
mod charts;
#[path = "kernel_study/export.rs"]
mod export;
#[path = "kernel_study/fits.rs"]
mod fits;
#[path = "kernel_study/records.rs"]
mod records;
#[path = "kernel_study/run.rs"]
mod run;

use std::path::{Path, PathBuf};
use std::time::Instant;

use clap::Parser;
use serde::Serialize;

use mtw::ot::KernelStrategy;
use mtw::study::{
    counted, load_results, merge_shards, run_trials, RunOptions, Shard, Study, TrialKey,
};
use mtw::{Error, Result};

/// Command-line flags.
#[derive(Parser, Debug)]
#[command(
    about = "Kernel strategy study: time, memory, accuracy of the barycenter kernels",
    allow_negative_numbers = true
)]
pub struct Args {
    /// A few seconds: 6×6 and 8×8 grids at ε = 1/p, an ε sweep over 1e-2 and 1e-3 on 8×8, T = 3,
    /// short time budgets (used by the integration test).
    #[arg(long)]
    quick: bool,
    /// Output folder.
    #[arg(long, default_value = "results/kernel_study")]
    out: PathBuf,
    /// Skip a dense strategy when its p × p storage (kernel plus the dense metric it is built
    /// from) would exceed this budget.
    #[arg(long, default_value_t = 2048.0)]
    memory_budget_mb: f64,
    /// Worker threads of the solvers (default: all cores). Results other than the timings do
    /// not depend on it.
    #[arg(long)]
    threads: Option<usize>,
    /// Seconds allowed per solve (a solve stopped by it is reported "out of time"; its
    /// iterations and error then depend on the machine) [default: 5; --quick: 0.3].
    #[arg(long)]
    time_budget_s: Option<f64>,
    /// Also write the problems as .npy files to this folder.
    #[arg(long)]
    export: Option<PathBuf>,
    /// Replace results of another configuration found in `--out`.
    #[arg(long)]
    overwrite: bool,
    /// Run only the problems at positions ≡ K (mod N) of the plan, into their own files.
    #[arg(long, value_name = "K/N")]
    shard: Option<Shard>,
    /// Merge the complete shards found in `--out` into one set of outputs.
    #[arg(long, conflicts_with = "shard")]
    merge: bool,
    /// Rewrite runs.csv, summary.csv and the charts from the recorded trials.
    #[arg(long, conflicts_with_all = ["merge", "shard"])]
    plot_only: bool,
    /// Instead of the barycenters: full MTW fits per strategy and precision at the overlap
    /// study's size (p = 576) and the MEG study's (p = 2562), into `OUT/mtw_fits/`.
    #[arg(long)]
    mtw_fits: bool,
}

/// Everything that determines the rows (the study's fingerprint): the plan and the fixed
/// choices of the solves.
#[derive(Serialize)]
struct Config<'a> {
    quick: bool,
    plan: &'a run::Plan,
    strategies: Vec<&'static str>,
    precisions: [&'static str; 2],
    f32_tol_floor: f64,
    sweeps_per_chunk: usize,
    reference: &'static str,
    problem: &'static str,
}

fn main() {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("error")).init();
    let args = mtw::study::parse_args::<Args>("kernel_study");
    match real_main(&args) {
        Ok(true) => {}
        Ok(false) => std::process::exit(1),
        Err(e) => {
            eprintln!("kernel_study: error: {e}");
            std::process::exit(2);
        }
    }
}

/// Runs, resumes, merges or redraws; `Ok(false)` when a problem failed (it reruns on resume).
fn real_main(args: &Args) -> Result<bool> {
    if !(args.memory_budget_mb.is_finite() && args.memory_budget_mb > 0.0) {
        return Err(Error::parameter(
            "memory-budget-mb",
            args.memory_budget_mb,
            "must be finite and > 0",
        ));
    }
    if let Some(budget) = args.time_budget_s.filter(|b| !(b.is_finite() && *b > 0.0)) {
        return Err(Error::parameter("time-budget-s", budget, "must be finite and > 0"));
    }
    if args.mtw_fits {
        return run_fits(args);
    }
    let plan = run::Plan::new(args.quick, args.memory_budget_mb, args.time_budget_s);
    let config = Config {
        quick: args.quick,
        plan: &plan,
        strategies: KernelStrategy::ALL.iter().map(|s| s.name()).collect(),
        precisions: ["f64", "f32"],
        f32_tol_floor: run::F32_TOL_FLOOR,
        sweeps_per_chunk: run::CHUNK,
        reference: "f64 log-separable, tol min(tol, 1e-10), 10x the sweeps and the time",
        problem: "images(w, T) seeded by 1000 w + T; grid metric / median; gamma_from_tau 0.5",
    };
    // The problems depend on (w, T) only: the seed is 0 and unused.
    let study = Study::new("kernel_study", &config, 0)?.with_layout(records::layout());
    let keys: Vec<TrialKey> =
        plan.problems().into_iter().map(|(w, t, eps)| records::key(w, t, eps)).collect();
    let pool = mtw::study::thread_pool(args.threads)?;
    pool.install(|| {
        if args.merge || args.plot_only {
            let rows = if args.merge {
                merge_shards(&args.out, Some(&study))?.rows
            } else {
                load_results(&args.out, Some(&study))?
            };
            write_outputs(&rows, &keys, &args.out)?;
            let action = if args.merge { "merged" } else { "redrew the tables and charts from" };
            eprintln!("kernel_study: {action} {} rows in {}", rows.len(), args.out.display());
            return Ok(true);
        }
        if let Some(dir) = &args.export {
            export::write_problems(dir, &plan)?;
        }
        let options = RunOptions {
            shard: args.shard,
            overwrite: args.overwrite,
            sequential: true,
            ..RunOptions::default()
        };
        let timer = Instant::now();
        let outcome = run_trials(&study, &args.out, &options, &keys, |key, _rng| {
            let (w, tasks) = records::parse_group(&key.group)?;
            let rows = run::run_problem(&plan, (w, tasks, key.x))?;
            Ok(records::measurements(&rows))
        })?;
        for failure in &outcome.failures {
            eprintln!("kernel_study: problem {} failed: {}", failure.key.label(), failure.error);
        }
        if outcome.complete && args.shard.is_none() {
            write_outputs(&outcome.rows, &keys, &args.out)?;
        } else if outcome.complete {
            eprintln!("kernel_study: shard complete; run --merge once every shard is done");
        }
        eprintln!(
            "kernel_study: {} run, {} resumed, {:.1} s, {}",
            counted(outcome.trials_run, "trial"),
            outcome.trials_skipped,
            timer.elapsed().as_secs_f64(),
            counted(rayon::current_num_threads(), "thread")
        );
        Ok(outcome.complete)
    })
}

/// The full MTW fits (`--mtw-fits`): one trial per problem, run one after another, resumable
/// like the barycenter study; `trials.csv`, `summary.csv` and `run.json` in `OUT/mtw_fits/`.
fn run_fits(args: &Args) -> Result<bool> {
    if args.merge || args.plot_only || args.shard.is_some() || args.export.is_some() {
        return Err(Error::parameter(
            "mtw-fits",
            "set",
            "runs whole (no --shard, --merge, --plot-only or --export)",
        ));
    }
    #[derive(Serialize)]
    struct FitsConfig {
        problems: Vec<fits::FitProblem>,
        penalties: &'static str,
        tol: &'static str,
    }
    let problems = fits::plan(args.quick);
    let config = FitsConfig {
        problems: problems.clone(),
        penalties: "mu = lambda = lambda_max / 10",
        tol: "max(1e-6, the precision's floor)",
    };
    let study = Study::new("kernel_study_mtw_fits", &config, 0)?.with_layout(fits::layout());
    let keys: Vec<TrialKey> = problems.iter().map(fits::key).collect();
    let out = args.out.join("mtw_fits");
    let options =
        RunOptions { overwrite: args.overwrite, sequential: true, ..RunOptions::default() };
    let pool = mtw::study::thread_pool(args.threads)?;
    let timer = Instant::now();
    let outcome = pool.install(|| {
        run_trials(&study, &out, &options, &keys, |key, _rng| {
            let problem = problems
                .iter()
                .find(|p| p.name == key.group)
                .ok_or_else(|| Error::parameter("problem", &key.group, "not in the plan"))?;
            fits::run_problem(problem)
        })
    })?;
    for failure in &outcome.failures {
        eprintln!("kernel_study: problem {} failed: {}", failure.key.label(), failure.error);
    }
    eprintln!(
        "kernel_study: {} MTW-fit problems run, {} resumed, {:.1} s, into {}",
        outcome.trials_run,
        outcome.trials_skipped,
        timer.elapsed().as_secs_f64(),
        out.display()
    );
    Ok(outcome.complete)
}

/// `runs.csv` (problems in plan order) and the charts, from the runner's rows.
fn write_outputs(rows: &[mtw::study::Row], keys: &[TrialKey], out: &Path) -> Result<()> {
    let runs = records::runs(rows, keys)?;
    let csv = out.join("runs.csv");
    run::write_csv(&csv, &runs)?;
    charts::write_all(out, &runs)?;
    eprintln!("kernel_study: wrote {} runs to {}", runs.len(), csv.display());
    Ok(())
}
