//! Command-line arguments.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use mtw::ot::KernelStrategy;
use mtw::select::ModelKind;

pub use crate::meg_forward::MegForwardArgs;

/// Multi-task Wasserstein regression and its baselines.
#[derive(Parser, Debug)]
#[command(name = "mtw", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Fit a multi-task model on X.npy (T×n×p, or n×p shared by all tasks) and Y.npy (T×n).
    Fit(FitArgs),
    /// Unbalanced Wasserstein barycenter of the rows of A.npy (T×p, non-negative).
    Barycenter(BarycenterArgs),
    /// Template MEG lead field (204×p), sources, geodesic metric and regions for one head
    /// placement.
    MegForward(MegForwardArgs),
}

/// τ of the mass bound (11) when `--tau` is not given.
pub const DEFAULT_TAU: f64 = 0.5;

/// Floating-point precision of the computation.
#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
pub enum Precision {
    F64,
    F32,
}

/// Kernel strategy names on the command line.
#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
pub enum KernelArg {
    Auto,
    Dense,
    Separable,
    LogDense,
    LogSeparable,
    SparseTruncated,
}

impl From<KernelArg> for KernelStrategy {
    fn from(k: KernelArg) -> Self {
        match k {
            KernelArg::Auto => KernelStrategy::Auto,
            KernelArg::Dense => KernelStrategy::Dense,
            KernelArg::Separable => KernelStrategy::Separable,
            KernelArg::LogDense => KernelStrategy::LogDense,
            KernelArg::LogSeparable => KernelStrategy::LogSeparable,
            KernelArg::SparseTruncated => KernelStrategy::SparseTruncated,
        }
    }
}

/// Where the ground metric comes from.
#[derive(Args, Debug, Clone)]
#[group(required = false, multiple = false)]
pub struct MetricArgs {
    /// Ground metric M.npy (p×p, non-negative), used as given.
    #[arg(long, value_name = "M.npy")]
    pub metric: Option<PathBuf>,
    /// Regular grid W,H[,D] (row-major features): squared Euclidean metric divided by its median.
    #[arg(long, value_name = "W,H[,D]", value_delimiter = ',', action = clap::ArgAction::Set)]
    pub grid: Option<Vec<usize>>,
}

/// Transport parameters shared by `fit` and `barycenter`.
#[derive(Args, Debug, Clone)]
pub struct OtArgs {
    #[command(flatten)]
    pub metric: MetricArgs,
    /// Entropy ε (default: median(M)/p).
    #[arg(long)]
    pub epsilon: Option<f64>,
    /// Marginal relaxation γ (default: from --tau).
    #[arg(long, conflicts_with = "tau")]
    pub gamma: Option<f64>,
    /// τ in (0, 1) of the mass bound (11): γ = −max(M)/ln τ.
    #[arg(long, default_value_t = DEFAULT_TAU)]
    pub tau: f64,
    /// How the Gibbs kernel is applied.
    #[arg(long, value_enum, default_value_t = KernelArg::Auto)]
    pub kernel: KernelArg,
    /// Floating-point precision.
    #[arg(long, value_enum, default_value_t = Precision::F64)]
    pub precision: Precision,
    /// Output folder (created if missing).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
}

#[derive(Args, Debug)]
#[command(allow_negative_numbers = true)]
pub struct FitArgs {
    /// Model to fit: mtw, remtw, lasso, relasso, group-lasso, dirty or mll.
    #[arg(long, default_value = "mtw")]
    pub model: ModelKind,
    /// Designs X.npy: T×n×p, or n×p shared by all tasks.
    #[arg(long, value_name = "X.npy")]
    pub design: PathBuf,
    /// Targets Y.npy, T×n.
    #[arg(long, value_name = "Y.npy")]
    pub target: PathBuf,
    /// µ ≥ 0, weight of the shared term (transport, group or C penalty; 0 for Lasso models).
    #[arg(long, default_value_t = 0.0)]
    pub mu: f64,
    /// λ ≥ 0, weight of the per-task ℓ1 term; for lasso and relasso also one value per task,
    /// comma-separated. With every penalty 0 the baselines have no stopping test and run to
    /// --max-iter.
    #[arg(long = "lambda", value_delimiter = ',', default_value = "0")]
    pub lambda: Vec<f64>,
    /// Fit non-negative coefficients only.
    #[arg(long)]
    pub positive: bool,
    /// Estimate a noise level per task jointly (fixed-point scheme).
    #[arg(long)]
    pub concomitant: bool,
    /// Outer tolerance (default: 1e-8 in f64, 1e-5 in f32).
    #[arg(long)]
    pub tol: Option<f64>,
    /// Cap on outer iterations.
    #[arg(long, default_value_t = 20_000)]
    pub max_iter: usize,
    /// MTW: add the translation step to every Sinkhorn sweep (same solution; far fewer
    /// iterations for tight fits when gamma >> epsilon).
    #[arg(long)]
    pub translate: bool,
    #[command(flatten)]
    pub ot: OtArgs,
}

#[derive(Args, Debug)]
#[command(allow_negative_numbers = true)]
pub struct BarycenterArgs {
    /// Inputs A.npy, T×p, non-negative.
    #[arg(long, value_name = "A.npy")]
    pub inputs: PathBuf,
    /// Tolerance on the relative change per sweep of the barycenter and of the left marginals
    /// (default: 1e-8 in f64, 1e-5 in f32); barycenter.json's error_estimate says how far
    /// from the fixed point that left them.
    #[arg(long)]
    pub tol: Option<f64>,
    /// Cap on Sinkhorn sweeps.
    #[arg(long, default_value_t = 10_000)]
    pub max_iter: usize,
    /// Add the translation step to every Sinkhorn sweep (same solution; fewer sweeps when
    /// gamma >> epsilon, each costlier).
    #[arg(long)]
    pub translate: bool,
    #[command(flatten)]
    pub ot: OtArgs,
}
