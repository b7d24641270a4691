//! The study runner shared by every study binary (overlap, digits, MEG, kernel).
//!
//! A study is a configuration, a list of trial keys and a function that runs one trial; the
//! runner does the rest:
//!
//! - [`ModelTable`]: labelled estimators fitted and scored on each trial's problem;
//! - [`Study`]: name + serialisable configuration + seed, with a stable fingerprint;
//! - [`trial_rng`]: each trial's ChaCha8 stream derives from (seed, key) only;
//! - [`run_trials`]: runs pending trials in parallel (rayon), appends and flushes each finished
//!   trial's rows to `trials.csv`, resumes after a kill, refuses a folder of another
//!   configuration, runs one shard with [`RunOptions::shard`], writes `run.json` and
//!   `summary.csv` atomically;
//! - [`merge_shards`]: checks and merges `--shard K/N` outputs into the unsharded files;
//! - [`load_results`]: plot-only mode, summaries and charts from existing CSVs;
//! - [`summarize`] and [`Stats`]: mean, standard deviation, Student-t 95% CI, median;
//! - [`LineChart`] (metric vs x per model) and [`ImageGrid`] (small multiples), PNG + SVG.
//!
//! # Example
//!
//! A study binary is a table of models plus a simulator (here the overlap study; the table is
//! left empty because the estimators live in their own modules):
//!
//! ```no_run
//! use mtw::sim::{Design, OverlapConfig, OverlapSimulator};
//! use mtw::study::{plot, run_trials, ModelTable, RunOptions, Study};
//!
//! #[derive(serde::Serialize)]
//! struct Config { n_trials: usize, levels: Vec<f64>, sim: OverlapConfig }
//!
//! # fn main() -> mtw::Result<()> {
//! let config = Config {
//!     n_trials: 100,
//!     levels: vec![0.0, 0.25, 0.5, 0.75, 1.0],
//!     sim: OverlapConfig::default(),
//! };
//! let study = Study::new("overlap", &config, 0)?;
//! let sim = OverlapSimulator::new(config.sim.clone())?;
//! let keys = OverlapSimulator::trial_keys(&Design::ALL, &config.levels, config.n_trials);
//! let out = std::path::Path::new("results/overlap");
//! let options = RunOptions { progress: true, ..RunOptions::default() };
//! let outcome = run_trials(&study, out, &options, &keys, |key, rng| {
//!     let data = sim.sample::<f64, _>(key.group.parse()?, key.x, rng)?;
//!     let table = ModelTable::<f64>::new(&["auc"]); // .with("mtw", …).with("lasso", …)
//!     // Score each fit against the truth `data.coef` (one value per metric).
//!     Ok(table.evaluate(&data.problem, |_, fit| Ok(vec![fit.coef.norm()])))
//! })?;
//! plot::write_charts_per_group(&outcome.rows, out, "auc", "overlap", "AUC", Some((0.0, 1.0)))?;
//! # Ok(())
//! # }
//! ```
//!
//! Resume is rerunning the same command; `--shard K/N` maps to [`RunOptions::shard`], a merge
//! to [`merge_shards`] and plot-only mode to [`load_results`] followed by the chart writers.
//!
//! Not done: no lock file guards a folder against two simultaneous runs of the same shard
//! (such a race is detected afterwards, as a trial recorded twice); charts have linear axes
//! only.

pub mod atomic;
pub mod clock;
pub mod config;
pub mod heatmap;
pub mod key;
pub mod merge;
pub mod models;
pub mod plot;
pub mod progress;
pub mod runner;
pub mod seed;
pub mod shard;
pub mod stats;
pub mod summary;
pub mod table;

pub use config::{RunInfo, Study};
pub use heatmap::{Image, ImageGrid};
pub use key::{Measurement, Row, TrialKey};
pub use merge::{merge_shards, MergeOutcome};
pub use models::ModelTable;
pub use plot::{write_charts_per_group, LineChart, Series};
pub use runner::{load_results, run_trials, RunOptions, RunOutcome, TrialFailure};
pub use seed::trial_rng;
pub use shard::Shard;
pub use stats::{student_t_quantile, Stats};
pub use summary::{summarize, write_summary_csv, SummaryRow, SUMMARY_FILE};
