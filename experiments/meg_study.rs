//! `meg_study`: MEG source localization, the paper's section 4.3 (Figures 4, 5 and 6).
//!
//! Each task is one subject: `X_t` is that subject's 204 × p gradiometer lead field, the
//! coefficients are the sources' amplitudes (nAm) and MTW's ground metric is the geodesic
//! distance along the cortex. The operators come from the template setup of [`mtw::meg`]
//! (fsaverage5 sources, p = 2102 by default, subjects = seeded head positions in the helmet,
//! spherical forward model, 11 farthest-point regions) or from the user's files with
//! `--leadfield DIR` (`X.npy` T × n × p, `metric.npy` p × p, optional `regions.csv`). Sources
//! and measurements are simulated by [`mtw::sim::meg`] (k sources in k distinct regions,
//! `round(r k)` shared by all tasks, 20–30 nAm with random signs, SNR 4 per sample). Every
//! model is fitted over its warm-started grid and keeps its best support-recovery AUC (oracle
//! selection, as in the paper). All models fit **signed** coefficients. MTW uses the geodesic
//! metric divided by its median, ε = median/p = 1/p, γ = −max(M)/ln 0.5 and a dense kernel
//! with the log-domain fallback (`KernelStrategy::Auto`).
//!
//! Experiments (`--experiment fig4|fig5|fig6|all`):
//!
//! * `fig4`: 2 subjects, 3 sources per task, one shared; Lasso and MTW; 20 trials. Trial 0 is
//!   the illustrative example: its best fits are saved in `fig4/estimates.json` and drawn as
//!   `fig4_cortex.png` (truth, Lasso, MTW, MTW's barycenter; AUC in the titles); the AUCs of
//!   all trials are in `fig4/trials.csv`;
//! * `fig5`: 3 subjects, 5 sources, overlap 0, 0.25, 0.5, 0.75, 1; 30 trials; six models;
//!   `fig5_auc_vs_overlap.png`/`.svg`;
//! * `fig6`: 2, 4 and 8 subjects, 2 to 6 sources, 50 % overlap; 20 trials;
//!   `fig6_auc_vs_sources.png`/`.svg` (one panel per model, one line per number of tasks).
//!
//! # One subfolder per experiment
//!
//! Each experiment is its own study of the runner, in its own subfolder of `--out`
//! (`fig4/`, `fig5/`, `fig6/`, each with `trials.csv`, `summary.csv`, `run.json`), with a
//! fingerprint made of that experiment's settings only. This keeps resume and shards
//! working whichever experiments are run: `--experiment fig5` then `--experiment fig6` into
//! the same `--out` do not refuse each other (one study with one group per experiment would
//! have a single fingerprint and key list, so running a second experiment later would look
//! like another configuration), changing Figure 6's settings does not invalidate Figure 5's
//! trials, and `--shard K/N` / `--merge` / `--plot-only` apply to each selected experiment's
//! own trial list. The charts, the cortex figure and `regions.csv` (the region of each
//! source) are written at the top of `--out`.
//!
//! In each `trials.csv` the group column is `tasks` (the number of subjects) and the x column
//! is `overlap` (fig5) or `n_sources` (fig4, fig6); the fixed quantity and the precision are
//! fixed text columns. A trial's data depend only on the seed, the experiment and the trial
//! key; the subjects (head positions) only on the seed. So every column but the wall times
//! `path_seconds` and `fit_seconds` (declared machine-dependent) is the same whatever the
//! thread count, the shards or the kills and resumes (`tests/meg_study_cli.rs` checks it).
//!
//! `--quick` keeps every 20th source (p = 106), one trial, 2 × 2 grids and 10 iterations,
//! Figure 5 at overlaps 0, 0.5 and 1, Figure 6 with 2 and 4 subjects and 2 and 4 sources: a
//! smoke test, not the science.
//! `--time-fit T` times one cold MTW fit on T subjects instead of running the study.

#[path = "meg_study/mod.rs"]
mod meg_study;

use std::path::Path;
use std::time::Instant;

use mtw::meg::{SourceSpaceKind, SubjectDistribution};
use mtw::model::mtw::Mtw;
use mtw::study::runner::run_files;
use mtw::study::{counted, load_results, merge_shards, run_trials, Row, RunOptions, Study};
use mtw::{Error, Result, Scalar};

use meg_study::args::{Cli, SourcesArg};
use meg_study::config::{Axis, ExperimentConfig};
use meg_study::operators::{Operators, OperatorsId};
use meg_study::outputs::{write_outputs, Estimates, FIGURE_TRIAL};
use meg_study::trial::{catalog, mtw_estimator, run_trial};

fn main() {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("error")).init();
    match run(&mtw::study::parse_args::<Cli>("meg_study")) {
        Ok(true) => {}
        Ok(false) => std::process::exit(1),
        Err(error) => {
            eprintln!("meg_study: error: {error}");
            std::process::exit(2);
        }
    }
}

/// Runs the study (or merges, redraws, times a fit); `Ok(false)` when a trial failed.
fn run(cli: &Cli) -> Result<bool> {
    let stride = cli.stride()?;
    cli.fit_config()?;
    if cli.head_scale < 0.0 || cli.head_scale >= 0.5 || !cli.head_scale.is_finite() {
        return Err(Error::parameter("head-scale", cli.head_scale, "must be in [0, 0.5)"));
    }
    let pool = mtw::study::thread_pool(cli.threads)?;
    pool.install(|| {
        let id = match &cli.leadfield {
            Some(dir) => OperatorsId::user(dir, stride)?,
            None => OperatorsId::template(source_space(cli), &subjects(cli), stride),
        };
        if let Some(n_tasks) = cli.time_fit {
            return time_fit(cli, &id, n_tasks, stride).map(|()| true);
        }
        let configs = cli
            .experiments()
            .into_iter()
            .map(|name| cli.experiment_config(name, &id))
            .collect::<Result<Vec<_>>>()?;
        if cli.plot_only || cli.merge {
            for config in &configs {
                redraw(cli, config)?;
            }
            return Ok(true);
        }
        let max_tasks = configs.iter().map(ExperimentConfig::max_tasks).max().unwrap_or(1);
        let timer = Instant::now();
        let operators = operators(cli, max_tasks, stride)?;
        check_operators(&operators, &configs)?;
        mtw::io::create_out_dir(&cli.out)?;
        mtw::meg::write_regions_csv(&cli.out.join("regions.csv"), &operators.regions)?;
        eprintln!(
            "meg_study: operators of {} subjects, p = {}, n = {}, {} regions ({:.1} s); {} \
             threads, into {} (a progress bar shows on a terminal; rerun the same command to \
             resume)",
            operators.leadfields.len(),
            operators.n_sources(),
            operators.leadfields[0].nrows(),
            operators.n_regions(),
            timer.elapsed().as_secs_f64(),
            rayon::current_num_threads(),
            cli.out.display()
        );
        match configs[0].fits.precision {
            "f32" => run_all::<f32>(cli, &configs, &operators),
            _ => run_all::<f64>(cli, &configs, &operators),
        }
    })
}

fn source_space(cli: &Cli) -> SourceSpaceKind {
    match cli.sources {
        SourcesArg::Recommended => SourceSpaceKind::Recommended,
        SourcesArg::Cortex => SourceSpaceKind::Alternative,
    }
}

fn subjects(cli: &Cli) -> SubjectDistribution {
    SubjectDistribution { max_scale_change: cli.head_scale, ..SubjectDistribution::default() }
}

/// The template operators of `n_tasks` subjects, or the `--leadfield` ones.
fn operators(cli: &Cli, n_tasks: usize, stride: usize) -> Result<Operators> {
    match &cli.leadfield {
        Some(dir) => Operators::user(dir, stride),
        None => Operators::template(cli.seed, n_tasks, source_space(cli), subjects(cli), stride),
    }
}

/// Enough subjects, regions and region sizes for every experiment.
fn check_operators(operators: &Operators, configs: &[ExperimentConfig]) -> Result<()> {
    let n_regions = operators.n_regions();
    let mut sizes = vec![0usize; n_regions];
    operators.regions.labels.iter().for_each(|&l| sizes[l] += 1);
    let smallest = sizes.iter().copied().min().unwrap_or(0);
    for config in configs {
        let name = &config.experiment;
        operators.first(config.max_tasks(), &format!("{name} (--leadfield X.npy tasks)"))?;
        if config.max_sources() > n_regions {
            return Err(Error::parameter(
                &format!("{name} sources per task"),
                config.max_sources(),
                &format!("must be <= the number of regions ({n_regions})"),
            ));
        }
        if config.max_tasks() > smallest {
            return Err(Error::parameter(
                &format!("{name} tasks"),
                config.max_tasks(),
                &format!(
                    "the smallest region has {smallest} sources, fewer than the tasks that \
                     need distinct task-specific sources there"
                ),
            ));
        }
    }
    Ok(())
}

/// The runner's study of one experiment.
fn study_of(config: &ExperimentConfig, seed: u64) -> Result<Study> {
    Ok(Study::new(&config.study_name(), config, seed)?.with_layout(config.layout()))
}

/// Runs (or resumes) every selected experiment in precision `T`; `Ok(false)` if a trial failed.
fn run_all<T: Scalar>(
    cli: &Cli,
    configs: &[ExperimentConfig],
    operators: &Operators,
) -> Result<bool> {
    let fits = &configs[0].fits;
    let needs_mtw = configs.iter().any(|c| c.models.iter().any(|m| m.uses_transport()));
    let timer = Instant::now();
    let mtw: Option<Mtw<T>> =
        if needs_mtw { Some(mtw_estimator(&operators.metric, fits)?) } else { None };
    if needs_mtw {
        eprintln!("meg_study: MTW kernel built in {:.1} s", timer.elapsed().as_secs_f64());
    }
    let catalog = catalog(fits, mtw);
    let options = RunOptions {
        shard: cli.shard,
        overwrite: cli.overwrite,
        progress: true,
        ..RunOptions::default()
    };
    let mut all_complete = true;
    for config in configs {
        let study = study_of(config, cli.seed)?;
        let exp_dir = cli.out.join(&config.experiment);
        let keys = config.keys();
        let timer = Instant::now();
        eprintln!(
            "meg_study: {}: {}, {}",
            config.experiment,
            counted(keys.len(), "trial"),
            counted(config.models.len(), "model")
        );
        let outcome = run_trials(&study, &exp_dir, &options, &keys, |key, _rng| {
            let outcome = run_trial(config, operators, &catalog, cli.seed, key)?;
            if config.experiment == "fig4" && key.trial == FIGURE_TRIAL {
                let estimates = Estimates::new(
                    study.fingerprint(),
                    key.trial,
                    operators.fsaverage_vertices,
                    &operators.regions.vertices,
                    &outcome.data.sim.coef,
                    &outcome.fits,
                );
                estimates.write(&exp_dir)?;
            }
            Ok(outcome.measurements)
        })?;
        for failure in &outcome.failures {
            eprintln!(
                "meg_study: {} trial {} failed: {}",
                config.experiment,
                failure.key.label(),
                failure.error
            );
        }
        if outcome.complete && cli.shard.is_none() {
            write_outputs(
                &config.experiment,
                &outcome.rows,
                &study.require_layout()?.clone(),
                &exp_dir,
                &cli.out,
                study.fingerprint(),
            )?;
        } else if outcome.complete {
            eprintln!(
                "meg_study: {}: shard complete; run --merge once every shard is done",
                config.experiment
            );
        }
        all_complete &= outcome.complete;
        eprintln!(
            "meg_study: {}: {} run, {} resumed, {:.1} s",
            config.experiment,
            counted(outcome.trials_run, "trial"),
            outcome.trials_skipped,
            timer.elapsed().as_secs_f64()
        );
    }
    Ok(all_complete)
}

/// `--merge` (shards into one set of outputs) or `--plot-only` (redraw from the CSVs).
fn redraw(cli: &Cli, config: &ExperimentConfig) -> Result<()> {
    let study = study_of(config, cli.seed)?;
    let exp_dir = cli.out.join(&config.experiment);
    let rows: Vec<Row> = if cli.merge {
        merge_shards(&exp_dir, Some(&study))?.rows
    } else {
        recorded_rows(&exp_dir, &study)?
    };
    let layout = config.layout();
    write_outputs(&config.experiment, &rows, &layout, &exp_dir, &cli.out, study.fingerprint())?;
    let action = if cli.merge { "merged" } else { "redrew" };
    eprintln!(
        "meg_study: {action} {} from {} rows in {}",
        config.experiment,
        rows.len(),
        exp_dir.display()
    );
    Ok(())
}

/// The recorded rows for `--plot-only`: from `run.json`'s run, or merged from complete shards.
fn recorded_rows(dir: &Path, study: &Study) -> Result<Vec<Row>> {
    if !dir.join("run.json").exists() && !run_files(dir)?.is_empty() {
        return Ok(merge_shards(dir, Some(study))?.rows);
    }
    load_results(dir, Some(study))
}

/// `--time-fit T`: one cold MTW fit on T subjects.
fn time_fit(cli: &Cli, id: &OperatorsId, n_tasks: usize, stride: usize) -> Result<()> {
    if n_tasks == 0 {
        return Err(Error::parameter("time-fit", 0, "needs at least one task"));
    }
    let timer = Instant::now();
    let operators = operators(cli, n_tasks, stride)?;
    eprintln!("meg_study: operators built in {:.1} s", timer.elapsed().as_secs_f64());
    let mut config = cli.experiment_config("fig6", id)?;
    config.experiment = "time-fit".into();
    config.tasks = vec![n_tasks];
    config.axis = Axis::Sources { overlap: 0.5, levels: vec![5.min(operators.n_regions())] };
    check_operators(&operators, std::slice::from_ref(&config))?;
    match config.fits.precision {
        "f32" => meg_study::timing::time_fit::<f32>(&config, &operators, cli.seed),
        _ => meg_study::timing::time_fit::<f64>(&config, &operators, cli.seed),
    }
}
