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

#[path = "kernel_study/charts.rs"]
mod charts;
#[path = "kernel_study/export.rs"]
mod export;
#[path = "kernel_study/run.rs"]
mod run;

use std::path::PathBuf;

use clap::Parser;

/// Command-line flags.
#[derive(Parser, Debug)]
#[command(about = "Kernel strategy study: time, memory, accuracy of the barycenter kernels")]
pub struct Args {
    /// A few seconds: small grids, one ε, short time budgets (used by the integration test).
    #[arg(long)]
    quick: bool,
    /// Output folder.
    #[arg(long, default_value = "results/kernel_study")]
    out: PathBuf,
    /// Skip a dense strategy when its p × p storage (kernel plus the dense metric it is built
    /// from) would exceed this budget.
    #[arg(long, default_value_t = 2048.0)]
    memory_budget_mb: f64,
    /// Worker threads (rayon); 0 = rayon's default.
    #[arg(long, default_value_t = 0)]
    threads: usize,
    /// Seconds allowed per solve (a solve out of time is reported as not converged).
    #[arg(long)]
    time_budget_s: Option<f64>,
    /// Also write the problems as .npy files to this folder.
    #[arg(long)]
    export: Option<PathBuf>,
}

fn main() {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("error")).init();
    let args = Args::parse();
    if let Err(e) = real_main(&args) {
        eprintln!("kernel_study: {e}");
        std::process::exit(2);
    }
}

fn real_main(args: &Args) -> mtw::Result<()> {
    if args.threads > 0 {
        rayon::ThreadPoolBuilder::new().num_threads(args.threads).build_global().map_err(|e| {
            mtw::Error::parameter("threads", args.threads, &format!("thread pool: {e}"))
        })?;
    }
    if !(args.memory_budget_mb.is_finite() && args.memory_budget_mb > 0.0) {
        return Err(mtw::Error::parameter(
            "memory-budget-mb",
            args.memory_budget_mb,
            "must be finite and > 0",
        ));
    }
    std::fs::create_dir_all(&args.out).map_err(|e| mtw::Error::io(&args.out, e))?;
    let plan = run::Plan::new(args.quick, args.memory_budget_mb, args.time_budget_s);
    if let Some(dir) = &args.export {
        export::write_problems(dir, &plan)?;
    }
    let rows = run::run_all(&plan)?;
    let csv = args.out.join("runs.csv");
    run::write_csv(&csv, &rows)?;
    charts::write_all(&args.out, &rows)?;
    eprintln!("wrote {} runs to {}", rows.len(), csv.display());
    Ok(())
}
