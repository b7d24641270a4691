//! The study runner shared by every study binary (overlap, digits, MEG, kernel).
//!
//! A study is a configuration, a list of trial keys and a function that runs one trial; the
//! runner does the rest:
//!
//! - [`ModelTable`]: labelled estimators fitted and scored on each trial's problem;
//! - [`Study`]: name + serialisable configuration + seed + CSV [`Layout`], with a stable
//!   fingerprint;
//! - [`Layout`]: the study's trials CSV columns (group and x column names, value columns,
//!   fixed text columns); each trial's [`Measurement`]s are pivoted into one row per model;
//! - [`trial_rng`]: each trial's ChaCha8 stream derives from (seed, key) only;
//! - [`run_trials`]: runs pending trials in parallel (rayon), appends and flushes each finished
//!   trial's rows to `trials.csv`, resumes after a kill, refuses a folder of another
//!   configuration, runs one shard with [`RunOptions::shard`], writes `run.json` and
//!   `summary.csv` atomically;
//!   [`RunOptions::sequential`] runs them one at a time instead (studies that time them);
//! - [`merge_shards`]: checks and merges `--shard K/N` outputs into the unsharded files;
//! - [`load_results`]: plot-only mode, summaries and charts from existing CSVs;
//! - [`comparable_trials`] / [`comparable_csv`]: a run's sorted trials without its
//!   machine-dependent columns ([`Layout::with_machine_dependent`]: wall times, peak memory),
//!   byte-identical for every run of one configuration;
//! - [`summarize`] and [`Stats`]: mean, standard deviation, Student-t 95% CI, median;
//!   [`write_summary_table`] writes one metric's summary with the study's column names;
//! - [`paired_differences`]: each model minus a reference model trial by trial (mean, 95% CI,
//!   trials above / below), written by [`write_paired_csv`] as `paired.csv`;
//! - [`thread_pool`]: the `--threads` pool of a study binary;
//! - [`LineChart`] (metric vs x per model), [`write_chart_panels`] (several line charts in one
//!   figure) and [`ImageGrid`] (small multiples), PNG + SVG.
//!
//! # The trials CSV
//!
//! A study must declare its columns with [`Study::with_layout`] (a study without a layout is
//! refused by [`run_trials`]). `trials.csv` then has one row per (trial, model):
//!
//! `<group>, <x>, trial, model, <values…>, <fixed…>, note, trial_rows`
//!
//! e.g. with `Layout::new("design", "overlap", &["best_auc", "mu"]).with_fixed("precision",
//! "f64")`:
//!
//! ```text
//! design,overlap,trial,model,best_auc,mu,precision,note,trial_rows
//! blur,0.25,0,mtw,0.93,0.5,f64,iterations=40 converged=true,2
//! blur,0.25,0,lasso,0.71,NaN,f64,,2
//! ```
//!
//! A trial still returns [`Measurement`]s (model, metric, value, note); the runner pivots
//! them ([`Layout::pivot`]): a metric that is not a value column is an error naming it, a
//! metric a model did not report is written as `NaN`, the distinct notes of one model are
//! joined with `"; "`, and `trial_rows` is the number of model rows of the trial (crash
//! recovery: a trial with fewer rows is dropped and rerun). The layout is part of the
//! fingerprint, so a folder written with another layout is refused like another
//! configuration.
//!
//! # Example
//!
//! A study binary is a table of models plus a simulator (here the overlap study; the table is
//! left empty because the estimators live in their own modules):
//!
//! ```no_run
//! use mtw::sim::{Design, OverlapConfig, OverlapSimulator};
//! use mtw::study::{plot, run_trials, Layout, ModelTable, RunOptions, Study};
//! use mtw::study::{summarize, write_summary_table, SummaryColumns};
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
//! let layout = Layout::new("design", "overlap", &["auc"]).with_fixed("precision", "f64");
//! let study = Study::new("overlap", &config, 0)?.with_layout(layout.clone());
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
//! // design,overlap,model,mean_auc,std_auc,ci95_low,ci95_high,median_auc,trials
//! let columns = SummaryColumns::for_layout(&layout, "auc");
//! write_summary_table(&out.join("auc.csv"), &summarize(&outcome.rows), "auc", &columns)?;
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

pub mod cli;
pub mod clock;
pub mod config;
pub mod glyphs;
pub mod heatmap;
pub mod key;
pub mod layout;
pub mod limits;
pub mod merge;
pub mod models;
pub mod paired;
pub mod plot;
pub mod pool;
pub mod progress;
pub mod runner;
pub mod seed;
pub mod shard;
pub mod stats;
pub mod summary;
pub mod table;
pub mod wording;

pub use cli::parse_args;
pub use config::{RunInfo, Study};
pub use heatmap::{Image, ImageGrid};
pub use key::{Measurement, Row, TrialKey};
pub use layout::Layout;
pub use limits::{trial_count, MAX_TRIALS};
pub use merge::{merge_shards, MergeOutcome};
pub use models::ModelTable;
pub use paired::{
    paired_differences, write_paired_csv, write_paired_if_reference_ran, PairedRow, PAIRED_FILE,
};
pub use plot::{write_chart_panels, write_charts_per_group, LineChart, Series};
pub use pool::thread_pool;
pub use runner::{
    comparable_trials, load_results, run_trials, RunOptions, RunOutcome, TrialFailure,
};
pub use seed::trial_rng;
pub use shard::Shard;
pub use stats::{clip_interval, student_t_quantile, Stats};
pub use summary::{
    summarize, write_summary_csv, write_summary_table, SummaryColumns, SummaryRow, SUMMARY_FILE,
};
pub use table::comparable_csv;
pub use wording::counted;
