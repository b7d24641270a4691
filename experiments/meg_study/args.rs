//! Command-line flags of `meg_study` and the per-experiment configurations they define.

use std::path::PathBuf;
use std::str::FromStr;

use clap::{Parser, ValueEnum};

use mtw::select::ModelKind;
use mtw::study::Shard;
use mtw::{Error, Result};

use crate::meg_study::config::{Axis, ExperimentConfig, FitConfig, SimulationSettings};
use crate::meg_study::operators::OperatorsId;

/// Which experiment(s) to run.
#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
pub enum ExperimentArg {
    /// Figure 4: 2 subjects, 3 sources per task (one shared), Lasso vs MTW, cortex figure.
    Fig4,
    /// Figure 5: 3 subjects, 5 sources, AUC against the overlap fraction.
    Fig5,
    /// Figure 6: 2, 4, 8 subjects, 2 to 6 sources at 50 % overlap.
    Fig6,
    /// The three, in order.
    All,
}

/// Source space of the template setup.
#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
pub enum SourcesArg {
    /// p = 2102: ico-4 lh minus the medial wall minus vertices within 10 mm of the skull.
    Recommended,
    /// p = 2361: ico-4 lh minus the medial wall (no skull margin).
    Cortex,
}

/// Regenerates the paper's section 4.3 (Figures 4, 5, 6): MEG source localization with one
/// subject per task, on lead fields built in Rust from public template geometry (or on the
/// user's own with `--leadfield`). Each model keeps its best support-recovery AUC over its
/// grid (oracle selection). Rerunning the same command resumes an interrupted run.
#[derive(Parser, Debug)]
#[command(name = "meg_study", version, allow_negative_numbers = true)]
pub struct Cli {
    /// Experiment(s) to run.
    #[arg(long, value_enum, default_value_t = ExperimentArg::All)]
    pub experiment: ExperimentArg,
    /// Trials per point [default: fig4 20, fig5 30, fig6 20; 1 with --quick].
    #[arg(long)]
    pub trials: Option<usize>,
    /// Seed of every random draw (subjects, sources, noise).
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Figure 5: overlap fractions of the 5 sources [default: 0,0.25,0.5,0.75,1; --quick:
    /// 0,0.5,1].
    #[arg(long, value_delimiter = ',')]
    pub overlaps: Option<Vec<f64>>,
    /// Figure 6: numbers of tasks (subjects) [default: 2,4,8; --quick: 2,4].
    #[arg(long, value_delimiter = ',')]
    pub fig6_tasks: Option<Vec<usize>>,
    /// Figure 6: numbers of active sources per task [default: 2,3,4,5,6; --quick: 2,4].
    #[arg(long, value_delimiter = ',')]
    pub fig6_sources: Option<Vec<usize>>,
    /// Signal-to-noise ratio (per sample, as in the overlap study).
    #[arg(long, default_value_t = 4.0)]
    pub snr: f64,
    /// Models of Figures 5 and 6 (Figure 4 always compares lasso and mtw).
    #[arg(long, value_delimiter = ',', default_value = "lasso,group-lasso,dirty,mll,mtw,remtw")]
    pub models: Vec<String>,
    /// Points per hyperparameter axis [default: 8; --quick: 2].
    #[arg(long)]
    pub grid_size: Option<usize>,
    /// Smallest penalty of an axis as a fraction of its largest.
    #[arg(long, default_value_t = 0.01)]
    pub min_ratio: f64,
    /// Largest and smallest MTW µ on its grid, as multiples of λ_max.
    #[arg(long, value_delimiter = ',', default_value = "0.3,0.003")]
    pub mtw_mu_range: Vec<f64>,
    /// Solver tolerance (relative duality gap, or relative change of θ and of the objective).
    #[arg(long, default_value_t = 1e-4)]
    pub tol: f64,
    /// MTW fits take the translation step of the Sinkhorn sweeps (off by default: the
    /// studies' tolerance and caps were tuned without it; see the README).
    #[arg(long)]
    pub translate: bool,
    /// Cap on each fit's (outer) iterations [default: 1000; --quick: 10].
    #[arg(long)]
    pub max_iter: Option<usize>,
    /// Floating-point precision of the fits.
    #[arg(long, default_value = "f64")]
    pub precision: String,
    /// Template source space.
    #[arg(long, value_enum, default_value_t = SourcesArg::Recommended)]
    pub sources: SourcesArg,
    /// Keep every k-th source only (p ≈ p/k; changes the problem) [default: 1; --quick: 20].
    #[arg(long)]
    pub source_stride: Option<usize>,
    /// Half-width of the subjects' uniform head scale around 1 (0.05 = ±5 %).
    #[arg(long, default_value_t = 0.0)]
    pub head_scale: f64,
    /// Folder with the user's `X.npy` (T × n × p), `metric.npy` (p × p) and optional
    /// `regions.csv`, used instead of the template operators.
    #[arg(long, value_name = "DIR")]
    pub leadfield: Option<PathBuf>,
    /// Worker threads (default: all cores). Results do not depend on it.
    #[arg(long)]
    pub threads: Option<usize>,
    /// Output folder.
    #[arg(long, default_value = "results/meg_study")]
    pub out: PathBuf,
    /// A tiny run for a check in seconds (not the science): every 20th source (p = 106), 1 trial,
    /// 2 × 2 grids, 10 iterations, fewer overlaps, tasks and source counts.
    #[arg(long)]
    pub quick: bool,
    /// Replace results of another configuration in `--out`.
    #[arg(long)]
    pub overwrite: bool,
    /// Run only the trials ≡ K (mod N) of each experiment, into their own files.
    #[arg(long, value_name = "K/N")]
    pub shard: Option<Shard>,
    /// Merge the shards found in `--out` into one set of outputs.
    #[arg(long, conflicts_with = "shard")]
    pub merge: bool,
    /// Redraw summaries and charts from the CSVs in `--out`.
    #[arg(long, conflicts_with_all = ["merge", "shard"])]
    pub plot_only: bool,
    /// Instead of the study: time one cold MTW fit on this many subjects (µ at the middle of
    /// the µ range, λ = λ_max/10; 5 sources, 50 % overlap) and print it.
    #[arg(long, value_name = "T")]
    pub time_fit: Option<usize>,
}

/// The figure-4 settings of the paper: 2 subjects, 3 sources, one of them shared.
pub const FIG4_TASKS: usize = 2;
/// Active sources per task in Figure 4.
pub const FIG4_SOURCES: usize = 3;
/// Figure 5's number of subjects.
pub const FIG5_TASKS: usize = 3;
/// Figure 5's active sources per task.
pub const FIG5_SOURCES: usize = 5;
/// Figure 6's overlap fraction.
pub const FIG6_OVERLAP: f64 = 0.5;

impl Cli {
    /// The experiments selected by `--experiment`, in order.
    pub fn experiments(&self) -> Vec<&'static str> {
        match self.experiment {
            ExperimentArg::Fig4 => vec!["fig4"],
            ExperimentArg::Fig5 => vec!["fig5"],
            ExperimentArg::Fig6 => vec!["fig6"],
            ExperimentArg::All => vec!["fig4", "fig5", "fig6"],
        }
    }

    /// The stride applied to the sources (1 = all).
    pub fn stride(&self) -> Result<usize> {
        let stride = self.source_stride.unwrap_or(if self.quick { 20 } else { 1 });
        if stride == 0 {
            return Err(Error::parameter("--source-stride", 0, "must be >= 1"));
        }
        Ok(stride)
    }

    /// Fit settings shared by the experiments (validated).
    pub fn fit_config(&self) -> Result<FitConfig> {
        let precision = match self.precision.as_str() {
            "f64" => "f64",
            "f32" => "f32",
            other => return Err(Error::parameter("precision", other, "expected f32 or f64")),
        };
        let grid_size = self.grid_size.unwrap_or(if self.quick { 2 } else { 8 });
        let max_iter = self.max_iter.unwrap_or(if self.quick { 10 } else { 1000 });
        if grid_size == 0 || max_iter == 0 {
            return Err(Error::parameter("grid-size/max-iter", 0, "must be >= 1"));
        }
        mtw::validate::positive("tol", self.tol)?;
        if !(self.min_ratio > 0.0 && self.min_ratio <= 1.0) {
            return Err(Error::parameter("min-ratio", self.min_ratio, "must be in (0, 1]"));
        }
        Ok(FitConfig {
            precision,
            grid_size,
            min_ratio: self.min_ratio,
            mtw_mu_ratios: mu_ratios(&self.mtw_mu_range, grid_size)?,
            tol: self.tol,
            max_iter,
            max_reweighting: if self.quick { 2 } else { 10 },
            metric: "geodesic on the ico-4 mesh, divided by its median",
            epsilon: "median(M)/p = 1/p",
            gamma: "-max(M)/ln(0.5)",
            kernel: "auto",
            positive: false,
            translate: self.translate,
        })
    }

    /// The simulation settings (validated).
    pub fn simulation(&self) -> Result<SimulationSettings> {
        mtw::validate::positive("snr", self.snr)?;
        Ok(SimulationSettings {
            snr: self.snr,
            snr_convention: "per sample",
            amplitude_nam: (20.0, 30.0),
        })
    }

    /// Models of Figures 5 and 6.
    pub fn models(&self) -> Result<Vec<ModelKind>> {
        let models =
            self.models.iter().map(|m| ModelKind::from_str(m)).collect::<Result<Vec<_>>>()?;
        if models.is_empty() {
            return Err(Error::parameter("models", "none", "give at least one model"));
        }
        mtw::validate::distinct("models", &models)?;
        Ok(models)
    }

    /// The configuration of experiment `name` ("fig4", "fig5" or "fig6").
    pub fn experiment_config(
        &self,
        name: &str,
        operators: &OperatorsId,
    ) -> Result<ExperimentConfig> {
        let quick = self.quick;
        let trials = |default: usize| self.trials.unwrap_or(if quick { 1 } else { default });
        let (tasks, axis, trials, models) = match name {
            "fig4" => (
                vec![FIG4_TASKS],
                Axis::Sources { overlap: 1.0 / 3.0, levels: vec![FIG4_SOURCES] },
                trials(20),
                vec![ModelKind::Lasso, ModelKind::Mtw],
            ),
            "fig5" => {
                let default =
                    if quick { vec![0.0, 0.5, 1.0] } else { vec![0.0, 0.25, 0.5, 0.75, 1.0] };
                let levels = self.overlaps.clone().unwrap_or(default);
                if levels.is_empty() || levels.iter().any(|r| !(0.0..=1.0).contains(r)) {
                    return Err(Error::parameter(
                        "overlaps",
                        format!("{levels:?}"),
                        "give fractions in [0, 1]",
                    ));
                }
                mtw::validate::distinct("overlaps", &levels)?;
                let axis = Axis::Overlap { n_sources: FIG5_SOURCES, levels };
                (vec![FIG5_TASKS], axis, trials(30), self.models()?)
            }
            "fig6" => {
                let default_tasks = if quick { vec![2, 4] } else { vec![2, 4, 8] };
                let default_sources = if quick { vec![2, 4] } else { vec![2, 3, 4, 5, 6] };
                let tasks = self.fig6_tasks.clone().unwrap_or(default_tasks);
                let levels = self.fig6_sources.clone().unwrap_or(default_sources);
                check_counts("fig6-tasks", &tasks)?;
                check_counts("fig6-sources", &levels)?;
                let axis = Axis::Sources { overlap: FIG6_OVERLAP, levels };
                (tasks, axis, trials(20), self.models()?)
            }
            other => return Err(Error::parameter("experiment", other, "expected fig4|fig5|fig6")),
        };
        if trials == 0 {
            return Err(Error::parameter("trials", 0, "must be >= 1"));
        }
        mtw::study::trial_count("trials", trials, tasks.len().saturating_mul(axis.len()))?;
        Ok(ExperimentConfig {
            experiment: name.to_string(),
            operators: operators.clone(),
            tasks,
            axis,
            trials,
            models,
            simulation: self.simulation()?,
            fits: self.fit_config()?,
        })
    }
}

/// Non-empty, distinct, each ≥ 1.
fn check_counts(flag: &str, values: &[usize]) -> Result<()> {
    if values.is_empty() || values.contains(&0) {
        return Err(Error::parameter(flag, format!("{values:?}"), "give counts >= 1"));
    }
    mtw::validate::distinct(flag, values)
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
