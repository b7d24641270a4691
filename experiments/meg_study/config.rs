//! The configuration of one experiment (its study fingerprint), its trial keys and CSV layout.

use serde::Serialize;

use mtw::select::ModelKind;
use mtw::sim::meg::MegSimulationConfig;
use mtw::sim::SnrConvention;
use mtw::study::{Layout, TrialKey};
use mtw::{Error, Result};

use crate::meg_study::operators::OperatorsId;

/// The numbers each (trial, model) row of `trials.csv` records.
pub const VALUE_COLUMNS: [&str; 9] = [
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
pub const TIMING_COLUMNS: [&str; 2] = ["path_seconds", "fit_seconds"];

/// What the x axis of an experiment varies; the other quantity is fixed.
#[derive(Serialize, Clone, Debug, PartialEq)]
pub enum Axis {
    /// x = overlap fraction, with a fixed number of sources per task.
    Overlap { n_sources: usize, levels: Vec<f64> },
    /// x = number of sources per task, with a fixed overlap fraction.
    Sources { overlap: f64, levels: Vec<usize> },
}

impl Axis {
    /// The number of x values.
    pub fn len(&self) -> usize {
        match self {
            Axis::Overlap { levels, .. } => levels.len(),
            Axis::Sources { levels, .. } => levels.len(),
        }
    }
}

/// Solver and grid settings (the same for every experiment of a run).
#[derive(Serialize, Clone, Debug, PartialEq)]
pub struct FitConfig {
    pub precision: &'static str,
    pub grid_size: usize,
    pub min_ratio: f64,
    pub mtw_mu_ratios: Vec<f64>,
    pub tol: f64,
    pub max_iter: usize,
    pub max_reweighting: usize,
    pub metric: &'static str,
    pub epsilon: &'static str,
    pub gamma: &'static str,
    pub kernel: &'static str,
    pub positive: bool,
    /// MTW's Sinkhorn sweeps take the translation step (`--translate`); left out of the
    /// record when off, so runs made before the flag existed keep their fingerprint.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub translate: bool,
}

/// The simulation settings besides k and r.
#[derive(Serialize, Clone, Debug, PartialEq)]
pub struct SimulationSettings {
    pub snr: f64,
    pub snr_convention: &'static str,
    pub amplitude_nam: (f64, f64),
}

/// Everything that determines one experiment's numbers (its study fingerprint).
#[derive(Serialize, Clone, Debug, PartialEq)]
pub struct ExperimentConfig {
    /// `fig4`, `fig5` or `fig6`: also the name of its subfolder.
    pub experiment: String,
    /// The operators (template or user data) and how they were reduced.
    pub operators: OperatorsId,
    /// Numbers of tasks (one group each).
    pub tasks: Vec<usize>,
    /// The x axis.
    pub axis: Axis,
    /// Trials per (tasks, x).
    pub trials: usize,
    /// Models compared.
    pub models: Vec<ModelKind>,
    /// Noise and amplitudes.
    pub simulation: SimulationSettings,
    /// Grids and solvers.
    pub fits: FitConfig,
}

impl ExperimentConfig {
    /// The study name recorded in `run.json`.
    pub fn study_name(&self) -> String {
        format!("meg_study_{}", self.experiment)
    }

    /// The trials CSV columns: group `tasks`, x `overlap` or `n_sources`, the fixed quantity
    /// and the precision as fixed text columns; the timings declared machine-dependent.
    pub fn layout(&self) -> Layout {
        let layout = match &self.axis {
            Axis::Overlap { n_sources, .. } => Layout::new("tasks", "overlap", &VALUE_COLUMNS)
                .with_fixed("n_sources", &n_sources.to_string()),
            Axis::Sources { overlap, .. } => Layout::new("tasks", "n_sources", &VALUE_COLUMNS)
                .with_fixed("overlap", &format!("{overlap}")),
        };
        layout.with_fixed("precision", self.fits.precision).with_machine_dependent(&TIMING_COLUMNS)
    }

    /// Every trial: group = number of tasks, x = the axis level, then the trial index.
    pub fn keys(&self) -> Vec<TrialKey> {
        let xs: Vec<f64> = match &self.axis {
            Axis::Overlap { levels, .. } => levels.clone(),
            Axis::Sources { levels, .. } => levels.iter().map(|&k| k as f64).collect(),
        };
        let mut keys = Vec::new();
        for &t in &self.tasks {
            for &x in &xs {
                for trial in 0..self.trials {
                    keys.push(TrialKey::new(t.to_string(), x, trial));
                }
            }
        }
        keys
    }

    /// The largest number of tasks.
    pub fn max_tasks(&self) -> usize {
        self.tasks.iter().copied().max().unwrap_or(0)
    }

    /// The largest number of sources per task.
    pub fn max_sources(&self) -> usize {
        match &self.axis {
            Axis::Overlap { n_sources, .. } => *n_sources,
            Axis::Sources { levels, .. } => levels.iter().copied().max().unwrap_or(0),
        }
    }

    /// The number of tasks and the simulation of one trial.
    pub fn trial_setting(&self, key: &TrialKey) -> Result<(usize, MegSimulationConfig)> {
        let n_tasks: usize = key
            .group
            .parse()
            .map_err(|_| Error::parameter("trial group", &key.group, "expected a task count"))?;
        let (n_sources, overlap) = match &self.axis {
            Axis::Overlap { n_sources, .. } => (*n_sources, key.x),
            Axis::Sources { overlap, .. } => (key.x as usize, *overlap),
        };
        let config = MegSimulationConfig {
            n_sources,
            overlap,
            snr: self.simulation.snr,
            snr_convention: SnrConvention::PerSample,
            amplitude_nam: self.simulation.amplitude_nam,
        };
        config.validate()?;
        Ok((n_tasks, config))
    }
}
