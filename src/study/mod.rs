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
//! A study binary is a table of models plus a simulator:
//!
//! ```no_run
//! use mtw::study::{run_trials, LineChart, Measurement, RunOptions, Study, TrialKey};
//!
//! #[derive(serde::Serialize)]
//! struct Config { n_trials: usize, levels: Vec<f64> }
//!
//! # fn main() -> mtw::Result<()> {
//! let config = Config { n_trials: 3, levels: vec![0.0, 0.5, 1.0] };
//! let study = Study::new("toy", &config, 42)?;
//! let keys: Vec<TrialKey> = config.levels.iter()
//!     .flat_map(|&x| (0..config.n_trials).map(move |i| TrialKey::new("design", x, i)))
//!     .collect();
//! let out = std::path::Path::new("results/toy");
//! let outcome = run_trials(&study, out, &RunOptions::default(), &keys, |key, rng| {
//!     use rand::Rng;
//!     // Simulate data from `rng`, fit every model of the table, score each fit.
//!     let score: f64 = key.x + rng.gen::<f64>();
//!     Ok(vec![Measurement::new("model-a", "auc", score)])
//! })?;
//! LineChart::from_rows(&outcome.rows, "design", "auc")
//!     .labels("overlap fraction", "AUC")
//!     .write(out, "auc-design")?;
//! # Ok(())
//! # }
//! ```
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
pub use plot::{LineChart, Series};
pub use runner::{load_results, run_trials, RunOptions, RunOutcome, TrialFailure};
pub use seed::trial_rng;
pub use shard::Shard;
pub use stats::{student_t_quantile, Stats};
pub use summary::{summarize, write_summary_csv, SummaryRow, SUMMARY_FILE};
