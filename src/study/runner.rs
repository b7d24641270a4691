//! Running a study's trials: in parallel, each finished trial appended and flushed to the
//! trials CSV, resumable after a kill, optionally one shard of the trial list.
//!
//! Files in the output folder (see also [`crate::study::merge`]):
//!
//! | file | written |
//! |---|---|
//! | `run.json` / `run.shard-K-of-N.json` | at start, per trial, at end, atomically ([`RunInfo`]) |
//! | `trials.csv` / `trials.shard-K-of-N.csv` | appended per trial; rewritten sorted at the end |
//! | `summary.csv` | at the end of a complete unsharded run, by a merge, or by plot-only |

use std::collections::HashSet;
use std::fs;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::Instant;

use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

use crate::error::{Error, Result};
use crate::io::atomic::write_atomic;
use crate::study::clock::now_rfc3339;
use crate::study::config::{differences_text, git_commit, RunInfo, Study};
use crate::study::key::{sort_canonical, Measurement, Row, TrialKey};
use crate::study::layout::Layout;
use crate::study::paired::PAIRED_FILE;
use crate::study::progress::trial_bar;
use crate::study::seed::trial_rng;
use crate::study::shard::{run_file, trials_file, Shard};
use crate::study::summary::{summarize, write_summary_csv, SUMMARY_FILE};
use crate::study::table::{comparable_csv, read_trials, write_trials, TrialWriter};
use crate::study::wording::counted;

/// How to run: which shard, whether to replace other results, whether to show progress.
#[derive(Clone, Debug, Default)]
pub struct RunOptions {
    /// Run only the trials at positions ≡ K mod N of the key list (`None`: all).
    pub shard: Option<Shard>,
    /// Replace results of a different configuration found in the folder (and this run's own
    /// earlier results) instead of refusing. Results of other shards of the same configuration
    /// are kept.
    pub overwrite: bool,
    /// Show a progress bar on stderr (only drawn when stderr is a terminal), and say on stderr
    /// how many trials a resumed run finds already recorded.
    pub progress: bool,
    /// Run the pending trials one after another, in key order, on the calling thread (code
    /// inside a trial still uses the pool). For studies that time their trials: trials run
    /// side by side would share the cores and distort each other's timings.
    pub sequential: bool,
}

/// A trial that returned an error or panicked; it is not recorded and reruns on resume.
#[derive(Clone, Debug, PartialEq)]
pub struct TrialFailure {
    /// The trial.
    pub key: TrialKey,
    /// The error message (or panic message).
    pub error: String,
}

/// What a run did.
#[derive(Debug)]
pub struct RunOutcome {
    /// Every recorded row of this run or shard (earlier invocations included), canonical order.
    pub rows: Vec<Row>,
    /// Trials run by this invocation (failed ones included).
    pub trials_run: usize,
    /// Trials found already recorded and skipped.
    pub trials_skipped: usize,
    /// Trials that failed, in canonical order.
    pub failures: Vec<TrialFailure>,
    /// Whether every trial of this run or shard is recorded.
    pub complete: bool,
    /// The trials CSV.
    pub trials_path: PathBuf,
    /// `summary.csv` when it was written (complete unsharded runs).
    pub summary_path: Option<PathBuf>,
}

/// Runs the trials of `keys` (of this shard) not yet recorded in `out_dir`, in parallel on the
/// current rayon pool, and records their rows.
///
/// With [`RunOptions::sequential`] the trials run one at a time in key order instead.
///
/// `trial(key, rng)` computes one trial; `rng` is [`trial_rng`]`(study.seed(), key)`, so its
/// result depends on the key alone (never on threads, order, shard or resume). It returns at
/// least one [`Measurement`]; they are pivoted into one CSV row per model by the study's
/// [`Layout`] ([`Layout::pivot`]). An error or a panic is reported in
/// [`RunOutcome::failures`] and the trial stays unrecorded. The thread count is that of the
/// current pool: wrap the call in
/// `rayon::ThreadPoolBuilder::new().num_threads(k).build()?.install(|| …)` to choose it.
///
/// # Errors
/// A study without a layout ([`Study::with_layout`]) or with an invalid one; duplicate or
/// non-finite keys; a folder holding results of another study, seed, configuration or layout
/// (the message lists the differing settings) unless `overwrite`; a trials CSV that records a
/// trial outside this run's key list, or one trial twice; a trial reporting a metric that is
/// not a value column of the layout, or one metric of one model twice (the run stops starting
/// new trials; trials already recorded stay recorded); I/O failures.
pub fn run_trials<F>(
    study: &Study,
    out_dir: &Path,
    options: &RunOptions,
    keys: &[TrialKey],
    trial: F,
) -> Result<RunOutcome>
where
    F: Fn(&TrialKey, &mut ChaCha8Rng) -> Result<Vec<Measurement>> + Sync,
{
    let layout = study.require_layout()?;
    check_keys(keys)?;
    crate::io::create_out_dir(out_dir)?;
    prepare_folder(out_dir, study, options)?;
    let shard = options.shard;
    let mine: Vec<&TrialKey> = keys
        .iter()
        .enumerate()
        .filter(|(i, _)| shard.map_or(true, |s| s.contains(*i)))
        .map(|(_, k)| k)
        .collect();

    // 1. Recover what earlier invocations recorded.
    let trials_path = out_dir.join(trials_file(shard));
    let loaded = read_trials(&trials_path, layout)?;
    if loaded.repaired() {
        let mut dropped = Vec::new();
        if loaded.dropped_partial_line {
            dropped.push("a partial last line".to_string());
        }
        if !loaded.dropped_incomplete.is_empty() {
            dropped.push(counted(loaded.dropped_incomplete.len(), "incomplete trial"));
        }
        eprintln!(
            "{}: dropped {} (an interrupted write); the trials they held will rerun",
            trials_path.display(),
            dropped.join(" and ")
        );
        write_trials(&trials_path, &loaded.rows, layout)?;
    }
    let wanted: HashSet<String> = mine.iter().map(|k| k.label()).collect();
    if let Some(row) = loaded.rows.iter().find(|r| !wanted.contains(&r.key.label())) {
        return Err(Error::format(
            &trials_path,
            format!(
                "records trial {} which is not among this run's trials (did the study's trial \
                 list change without a configuration change?)",
                row.key.label()
            ),
        ));
    }
    let done: HashSet<String> = loaded.rows.iter().map(|r| r.key.label()).collect();
    let pending: Vec<&TrialKey> =
        mine.iter().copied().filter(|k| !done.contains(&k.label())).collect();

    // Said whether or not a progress bar follows: a run logged to a file shows at once what
    // it is doing, and a resumed run says what it kept.
    if done.is_empty() {
        let count = counted(pending.len(), "trial");
        eprintln!("{}: {count} to run into {}", study.name(), out_dir.display());
    } else {
        eprintln!(
            "{}: resuming: {} of {} trials already recorded in {}; {} to run",
            study.name(),
            done.len(),
            mine.len(),
            trials_path.display(),
            pending.len()
        );
    }

    // 2. Record the start, then run the pending trials.
    let clock = Instant::now();
    let run_path = out_dir.join(run_file(shard));
    // The folder now holds only this run's results: an earlier record is this run's.
    let earlier = RunInfo::read(&run_path).ok().filter(|r| r.fingerprint == study.fingerprint());
    let earlier_seconds = earlier.as_ref().map_or(0.0, RunInfo::seconds_so_far);
    let commits = earlier.as_ref().map_or_else(Vec::new, RunInfo::commits_so_far);
    let commit = git_commit();
    // This invocation's commit joins `commits` once it records a trial, so that a run killed
    // before its first trial credits nothing to its commit.
    let mut commits_with_this = commits.clone();
    if let Some(c) = &commit {
        if commits_with_this.last() != Some(c) {
            commits_with_this.push(c.clone());
        }
    }
    let mut info = RunInfo {
        study: study.name().to_string(),
        fingerprint: study.fingerprint().to_string(),
        seed: study.seed(),
        config: study.config().clone(),
        layout: Some(layout.clone()),
        crate_version: env!("CARGO_PKG_VERSION").to_string(),
        git_commit: commit,
        threads: rayon::current_num_threads(),
        started: now_rfc3339(),
        finished: None,
        wall_seconds: 0.0,
        total_wall_seconds: earlier_seconds,
        commits,
        n_trials: keys.len(),
        shard,
        trials_recorded: done.len(),
        complete: false,
        shards_complete: Vec::new(),
    };
    // A rerun with nothing left to compute keeps the record of the run that computed the rows
    // (its commit, times and wall time) instead of replacing it with a no-op's.
    let keep_record = pending.is_empty() && RunInfo::read(&run_path).is_ok_and(|r| r.complete);
    if !keep_record {
        write_atomic(&run_path, info.to_json().as_bytes())?;
    }
    let writer = TrialWriter::open(&trials_path, layout)?;
    // Updated after every recorded trial, so that a killed run keeps its count and time.
    let progress = Mutex::new(info.clone());
    let bar = trial_bar(mine.len(), done.len(), options.progress);
    let new_rows: Mutex<Vec<Row>> = Mutex::new(Vec::new());
    let failures: Mutex<Vec<TrialFailure>> = Mutex::new(Vec::new());
    // A layout mismatch is a bug of the study, the same in every trial: stop starting trials.
    let layout_errors: Mutex<Vec<(TrialKey, Error)>> = Mutex::new(Vec::new());
    let stop = AtomicBool::new(false);
    let run_pending = |key: &&TrialKey| {
        if stop.load(Ordering::SeqCst) {
            return;
        }
        let outcome = match run_one(study.seed(), key, &trial) {
            Ok(measured) => match layout.pivot(key, &measured) {
                Ok(rows) => writer.append(&rows).map(|()| rows).map_err(|e| e.to_string()),
                Err(e) => {
                    stop.store(true, Ordering::SeqCst);
                    lock(&layout_errors).push(((*key).clone(), e));
                    bar.inc(1);
                    return;
                }
            },
            Err(error) => Err(error),
        };
        match outcome {
            Ok(rows) => {
                lock(&new_rows).extend(rows);
                let mut record = lock(&progress);
                record.trials_recorded += 1;
                record.commits.clone_from(&commits_with_this);
                record.wall_seconds = clock.elapsed().as_secs_f64();
                record.total_wall_seconds = earlier_seconds + record.wall_seconds;
                if let Err(e) = write_atomic(&run_path, record.to_json().as_bytes()) {
                    eprintln!("could not update {}: {e}", run_path.display());
                }
            }
            Err(error) => lock(&failures).push(TrialFailure { key: (*key).clone(), error }),
        }
        bar.inc(1);
    };
    if options.sequential {
        pending.iter().for_each(run_pending);
    } else {
        pending.par_iter().for_each(run_pending);
    }
    bar.finish_and_clear();
    drop(writer);
    let mut layout_errors = layout_errors.into_inner().unwrap_or_else(|p| p.into_inner());
    layout_errors.sort_by(|a, b| a.0.canonical_cmp(&b.0));
    if let Some((key, error)) = layout_errors.into_iter().next() {
        let new_trials: HashSet<String> = lock(&new_rows).iter().map(|r| r.key.label()).collect();
        info.trials_recorded = done.len() + new_trials.len();
        if !new_trials.is_empty() {
            info.commits = commits_with_this;
        }
        info.finished = Some(now_rfc3339());
        info.wall_seconds = clock.elapsed().as_secs_f64();
        info.total_wall_seconds = earlier_seconds + info.wall_seconds;
        write_atomic(&run_path, info.to_json().as_bytes())?;
        return Err(Error::parameter("trial", key.label(), &error.to_string()));
    }

    // 3. Canonical CSV, summary and final run record.
    let mut failures = failures.into_inner().unwrap_or_else(|p| p.into_inner());
    failures.sort_by(|a, b| a.key.canonical_cmp(&b.key));
    for f in &failures {
        log::warn!("trial {} failed: {}", f.key.label(), f.error);
    }
    let new_rows = new_rows.into_inner().unwrap_or_else(|p| p.into_inner());
    if !new_rows.is_empty() {
        info.commits = commits_with_this;
    }
    let mut rows = loaded.rows;
    rows.extend(new_rows);
    sort_canonical(&mut rows);
    let complete = failures.is_empty();
    let mut summary_path = None;
    if complete {
        write_trials(&trials_path, &rows, layout)?;
        if shard.is_none() {
            let path = out_dir.join(SUMMARY_FILE);
            write_summary_csv(&path, &summarize(&rows))?;
            summary_path = Some(path);
        }
    }
    info.finished = Some(now_rfc3339());
    info.wall_seconds = clock.elapsed().as_secs_f64();
    info.total_wall_seconds = earlier_seconds + info.wall_seconds;
    info.trials_recorded = mine.len() - failures.len();
    info.complete = complete;
    if complete {
        let label = shard.map_or_else(|| "0/1".to_string(), |s| s.to_string());
        info.shards_complete = vec![label];
    }
    if !(keep_record && complete) {
        write_atomic(&run_path, info.to_json().as_bytes())?;
    }
    Ok(RunOutcome {
        rows,
        trials_run: pending.len(),
        trials_skipped: done.len(),
        failures,
        complete,
        trials_path,
        summary_path,
    })
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Runs one trial with its own random stream, turning errors and panics into messages.
fn run_one<F>(seed: u64, key: &TrialKey, trial: &F) -> std::result::Result<Vec<Measurement>, String>
where
    F: Fn(&TrialKey, &mut ChaCha8Rng) -> Result<Vec<Measurement>> + Sync,
{
    let mut rng = trial_rng(seed, key);
    let measured = catch_unwind(AssertUnwindSafe(|| trial(key, &mut rng))).map_err(|panic| {
        let text = panic
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_default();
        format!("panicked: {text}")
    })?;
    let measured = measured.map_err(|e| e.to_string())?;
    if measured.is_empty() {
        return Err("returned no measurement (a trial must report at least one)".into());
    }
    Ok(measured)
}

/// Fails on a non-finite x, a group with control characters, or a key given twice.
fn check_keys(keys: &[TrialKey]) -> Result<()> {
    let mut seen = HashSet::new();
    for key in keys {
        key.check()?;
        if !seen.insert(key.label()) {
            return Err(Error::parameter(
                "trial key",
                key.label(),
                "appears twice in the key list",
            ));
        }
    }
    Ok(())
}

/// Run files (`run.json`, `run.shard-K-of-N.json`) present in `dir`, sorted by name.
pub fn run_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let entries = match fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(Error::io(dir, e)),
    };
    let mut out = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| Error::io(dir, e))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name == "run.json" || Shard::of_run_file(&name).is_some() {
            out.push(entry.path());
        }
    }
    out.sort();
    Ok(out)
}

/// The trials CSV that belongs to a run file.
fn trials_of_run_file(run_path: &Path) -> PathBuf {
    let name = run_path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let dir = run_path.parent().unwrap_or_else(|| Path::new("."));
    dir.join(trials_file(Shard::of_run_file(&name)))
}

/// Refuses a folder holding results of another study, seed or configuration (unless
/// `overwrite`, which removes them); with `overwrite`, also clears this run's own files.
fn prepare_folder(dir: &Path, study: &Study, options: &RunOptions) -> Result<()> {
    let mut stale: Vec<PathBuf> = Vec::new();
    for path in run_files(dir)? {
        let differences = match RunInfo::read(&path) {
            Ok(info) => Study::of_run_info(&info).differences(study),
            Err(Error::Format { reason, .. }) if !options.overwrite => {
                return Err(Error::format(
                    &path,
                    format!(
                        "cannot be read ({reason}), so the results beside it cannot be checked \
                         or resumed. Use another folder, or --overwrite to replace them"
                    ),
                ))
            }
            Err(e) if !options.overwrite => return Err(e),
            Err(_) => vec!["unreadable run file".to_string()],
        };
        if differences.is_empty() {
            continue;
        }
        if !options.overwrite {
            return Err(Error::format(
                &path,
                format!(
                    "the folder holds results of another configuration; differing settings \
                     (recorded vs requested): {}. Use another folder, or --overwrite to replace them",
                    differences_text(&differences)
                ),
            ));
        }
        stale.push(trials_of_run_file(&path));
        stale.push(path);
    }
    let own_trials = dir.join(trials_file(options.shard));
    let own_run = dir.join(run_file(options.shard));
    if own_trials.exists() && !own_run.exists() && !options.overwrite {
        return Err(Error::format(
            &own_trials,
            "exists without its run file, so the configuration that wrote it is unknown; \
             remove it or use --overwrite",
        ));
    }
    if options.overwrite {
        stale.extend([own_trials, own_run, dir.join(SUMMARY_FILE), dir.join(PAIRED_FILE)]);
        if !stale.is_empty() {
            eprintln!("overwrite: removing earlier results in {}", dir.display());
        }
        for path in stale {
            match fs::remove_file(&path) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(Error::io(&path, e)),
            }
        }
    }
    Ok(())
}

/// Plot-only mode: reads the complete trials of an unsharded or merged run from `out_dir`,
/// rewrites `summary.csv` from them and returns the rows (canonical order) for the charts.
///
/// With `study`, refuses results of another configuration (layout included). The layout is
/// the one recorded in `run.json`. A run file saying the run is incomplete gives a warning,
/// and the recorded trials are used.
pub fn load_results(out_dir: &Path, study: Option<&Study>) -> Result<Vec<Row>> {
    let run_path = out_dir.join("run.json");
    if !run_path.exists() {
        let shards = run_files(out_dir)?;
        let reason = if shards.is_empty() {
            "not found: run the study first".to_string()
        } else {
            format!("not found but {} shard run file(s) are: merge the shards first", shards.len())
        };
        return Err(Error::format(&run_path, reason));
    }
    let info = RunInfo::read(&run_path)?;
    if let Some(study) = study {
        let differences = Study::of_run_info(&info).differences(study);
        if !differences.is_empty() {
            return Err(Error::format(
                &run_path,
                format!(
                    "records another configuration; differing settings (recorded vs \
                     requested): {}. Give the flags of the recorded run, or another --out",
                    differences_text(&differences)
                ),
            ));
        }
    }
    if !info.complete {
        eprintln!(
            "{}: the run is incomplete ({} of {} trials); summarising what is recorded",
            run_path.display(),
            info.trials_recorded,
            info.n_trials
        );
    }
    let layout = recorded_layout(&run_path, &info)?;
    let trials_path = out_dir.join(trials_file(None));
    let mut rows = read_trials(&trials_path, layout)?.rows;
    let trials_read = rows.iter().map(|r| r.key.label()).collect::<HashSet<_>>().len();
    if trials_read < info.trials_recorded {
        eprintln!(
            "{}: holds {} of the {} trials that {} records (rows lost since the run?); \
             summarising what is there",
            trials_path.display(),
            trials_read,
            info.trials_recorded,
            run_path.display()
        );
    }
    sort_canonical(&mut rows);
    write_summary_csv(&out_dir.join(SUMMARY_FILE), &summarize(&rows))?;
    Ok(rows)
}

/// The trials of the unsharded or merged run in `out_dir` as [`comparable_csv`] text: sorted,
/// without the machine-dependent columns of the layout recorded in `run.json`. Equal for two
/// runs of one configuration, however they were run (threads, shards, kills and resumes).
///
/// # Errors
/// No `run.json`, an incomplete run, or a trials CSV that needed repair.
pub fn comparable_trials(out_dir: &Path) -> Result<Vec<u8>> {
    let run_path = out_dir.join(run_file(None));
    let info = RunInfo::read(&run_path)?;
    if !info.complete {
        return Err(Error::format(&run_path, "the run is not complete"));
    }
    let layout = recorded_layout(&run_path, &info)?;
    let trials_path = out_dir.join(trials_file(None));
    let loaded = read_trials(&trials_path, layout)?;
    if loaded.repaired() {
        return Err(Error::format(&trials_path, "has partial or incomplete trials"));
    }
    comparable_csv(&loaded.rows, layout)
}

/// The checked layout recorded in a run file.
pub(crate) fn recorded_layout<'a>(run_path: &Path, info: &'a RunInfo) -> Result<&'a Layout> {
    let layout = info.layout.as_ref().ok_or_else(|| {
        Error::format(run_path, "records no CSV layout (written before layouts existed): rerun")
    })?;
    layout.check()?;
    Ok(layout)
}
