//! `digits_study`: the paper's section 4.2 on the UCI "Multiple Features" pixel set.
//!
//! Six one-vs-rest regression tasks (digits 0–5) share the standardised design of the training
//! samples; n ∈ {10, 15, 20, 50} training samples per digit, the other 200 − n of each digit
//! form the validation set; 50 seeded splits per n, every model on the same splits, each
//! selected by 5-fold cross-validation on misclassification and refitted on the training set.
//!
//! Outputs in `--out` (default `results/digits_study/`): the runner's `trials.csv` and
//! `run.json`, `splits.csv` (one row per n, split, model), `summary.csv` (mean error and 95%
//! CI per n and model), `error_vs_n.png`/`.svg` (Figure 3) and `coefficients.png`/`.svg`
//! (every model's θ_t as 16 × 15 images for one split, from `coefficients.json`).
//!
//! Runs never lose work (see [`mtw::study`]): each finished split's rows are appended and
//! flushed to `trials.csv`; rerunning the same command resumes (a partial last line left by a
//! kill is dropped and its split rerun); another configuration in the folder is refused with
//! the differing settings named, unless `--overwrite`; `--shard K/N` runs a slice of the
//! splits into its own files and `--merge` combines the slices; `--plot-only` redraws. A
//! split's numbers depend only on the seed and its key (n, split index), not on the thread
//! count; the wall times `fit_seconds` and `cv_seconds` are the machine-dependent columns,
//! left out when runs are compared ([`mtw::study::comparable_trials`]).
//!
//! Not done: the runner cannot yet name its trials file, so its `trials.csv` (the journal used
//! to resume, one row per split and model) stays beside `splits.csv`, the same numbers under
//! the column names.

mod digits;

use std::path::Path;
use std::time::Instant;

use mtw::data::MfeatPix;
use mtw::study::runner::run_files;
use mtw::study::{
    counted, load_results, merge_shards, run_trials, Row, RunOptions, Study, TrialKey,
};
use mtw::{Error, Result, Scalar};

use digits::args::{Cli, Precision};
use digits::config::DigitsConfig;
use digits::models::Models;
use digits::outputs::{write_error_chart, write_tables, Coefficients, GROUP};
use digits::trial::run_trial;

fn main() {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("error")).init();
    let cli = mtw::study::parse_args::<Cli>("digits_study");
    match run(&cli) {
        Ok(true) => {}
        Ok(false) => std::process::exit(1),
        Err(error) => {
            eprintln!("digits_study: error: {error}");
            std::process::exit(2);
        }
    }
}

/// Runs (or, with `--plot-only`, redraws) the study; `Ok(false)` when some trial failed.
fn run(cli: &Cli) -> Result<bool> {
    let data_path = cli.data_path();
    let data = MfeatPix::load(&data_path)?;
    let config = cli.config(data_id(&data_path)?)?;
    let layout = mtw::study::Layout::new("group", "n", &digits::trial::METRICS)
        .with_machine_dependent(&digits::trial::TIMING_METRICS);
    let study = Study::new("digits", &config, cli.seed)?.with_layout(layout);
    let pool = mtw::study::thread_pool(cli.threads)?;
    pool.install(|| {
        if cli.merge {
            let rows = merge_shards(&cli.out, Some(&study))?.rows;
            write_outputs(&rows, &cli.out, &study, &config.digits)?;
            eprintln!("digits_study: merged {} rows into {}", rows.len(), cli.out.display());
            return Ok(true);
        }
        if cli.plot_only {
            let rows = recorded_rows(&cli.out, &study)?;
            write_outputs(&rows, &cli.out, &study, &config.digits)?;
            eprintln!(
                "digits_study: redrew the tables and figures from {} rows in {}",
                rows.len(),
                cli.out.display()
            );
            return Ok(true);
        }
        match cli.precision {
            Precision::F64 => run_study::<f64>(cli, &data, &config, &study),
            Precision::F32 => run_study::<f32>(cli, &data, &config, &study),
        }
    })
}

/// Runs the pending trials; writes the tables and figures when the (unsharded) run is complete.
fn run_study<T: Scalar>(
    cli: &Cli,
    data: &MfeatPix,
    config: &DigitsConfig,
    study: &Study,
) -> Result<bool> {
    let models = Models::<T>::new(&config.mtw, config.baseline_tol, config.mll_tol)?;
    let keys: Vec<TrialKey> = config
        .sizes
        .iter()
        .flat_map(|&n| (0..config.splits).map(move |s| TrialKey::new(GROUP, n as f64, s)))
        .collect();
    let options = RunOptions {
        shard: cli.shard,
        overwrite: cli.overwrite,
        progress: !cli.no_progress,
        ..RunOptions::default()
    };
    let timer = Instant::now();
    let outcome = run_trials(study, &cli.out, &options, &keys, |key, rng| {
        let n = key.x as usize;
        let keep = (n, key.trial) == config.coefficient_split;
        let out = run_trial(data, config, &models, n, rng, keep)?;
        if keep {
            let image = (MfeatPix::HEIGHT, MfeatPix::WIDTH);
            let coefs = Coefficients::new(
                study.fingerprint(),
                config.coefficient_split,
                &config.digits,
                image,
                &out.coefficients,
            );
            coefs.write(&cli.out)?;
        }
        Ok(out.measurements)
    })?;
    for failure in &outcome.failures {
        eprintln!("digits_study: trial {} failed: {}", failure.key.label(), failure.error);
    }
    if outcome.complete && cli.shard.is_none() {
        write_outputs(&outcome.rows, &cli.out, study, &config.digits)?;
    } else if outcome.complete {
        eprintln!("digits_study: shard complete; run --merge once every shard is done");
    }
    eprintln!(
        "digits_study: {} run, {} resumed, {:.1} s, {}",
        counted(outcome.trials_run, "trial"),
        outcome.trials_skipped,
        timer.elapsed().as_secs_f64(),
        counted(rayon::current_num_threads(), "thread")
    );
    Ok(outcome.complete)
}

/// The recorded rows for `--plot-only`: from `run.json`'s run, or merged from complete shards
/// (as `--merge` does) when only shards are there.
fn recorded_rows(out: &Path, study: &Study) -> Result<Vec<Row>> {
    let unsharded = out.join("run.json").exists();
    if !unsharded && !run_files(out)?.is_empty() {
        return Ok(merge_shards(out, Some(study))?.rows);
    }
    load_results(out, Some(study))
}

/// Tables, Figure 3 and (when its split was run) the coefficient figure.
fn write_outputs(rows: &[Row], out: &Path, study: &Study, digits: &[usize]) -> Result<()> {
    write_tables(rows, out)?;
    write_error_chart(rows, out, digits)?;
    match Coefficients::read(out, study.fingerprint()) {
        Ok(coefs) => coefs.write_figure(out)?,
        Err(e) => eprintln!("digits_study: no coefficient figure: {e}"),
    }
    Ok(())
}

/// Identifies the data file: its name and the 64-bit FNV-1a hash of its bytes.
fn data_id(path: &Path) -> Result<String> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    let hash = bytes
        .iter()
        .fold(0xcbf2_9ce4_8422_2325_u64, |h, &b| (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3));
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    Ok(format!("{name} (fnv1a64 {hash:016x})"))
}
