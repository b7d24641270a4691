//! The study runner end to end on a small overlap simulation with two trivial estimators
//! (zero and ridge): the declared CSV layout, determinism across threads, resume after a kill,
//! shards and merge, and the refusals.

use std::fs;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};

use nalgebra::{DMatrix, DVector};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

use mtw::model::{Estimator, Fit, Problem};
use mtw::sim::{Design, OverlapConfig, OverlapSimulator};
use mtw::study::{
    load_results, merge_shards, run_trials, Layout, Measurement, ModelTable, RunInfo, RunOptions,
    Shard, Study, TrialKey,
};
use mtw::{Error, Result};

/// θ = 0 for every task.
struct Zero;

impl Estimator<f64> for Zero {
    fn name(&self) -> &'static str {
        "zero"
    }
    fn fit_from(&self, problem: &Problem<f64>, _: Option<&Fit<f64>>) -> Result<Fit<f64>> {
        Ok(Fit::new("zero", DMatrix::zeros(problem.n_features(), problem.n_tasks())))
    }
}

/// Ridge per task in its dual form, `θ_t = X_tᵀ (X_t X_tᵀ + α I)⁻¹ Y_t`.
struct Ridge {
    alpha: f64,
}

impl Estimator<f64> for Ridge {
    fn name(&self) -> &'static str {
        "ridge"
    }
    fn fit_from(&self, problem: &Problem<f64>, _: Option<&Fit<f64>>) -> Result<Fit<f64>> {
        let mut coef = DMatrix::zeros(problem.n_features(), problem.n_tasks());
        for t in 0..problem.n_tasks() {
            let x = problem.design(t);
            let gram = x * x.transpose() + DMatrix::identity(x.nrows(), x.nrows()) * self.alpha;
            let dual = gram
                .cholesky()
                .ok_or_else(|| Error::Numerical("ridge Gram matrix not positive".into()))?
                .solve(problem.target(t));
            coef.set_column(t, &(x.transpose() * dual));
        }
        let mut fit = Fit::new("ridge", coef);
        fit.converged = true;
        Ok(fit)
    }
}

#[derive(Clone, Serialize)]
struct ToyConfig {
    n_trials: usize,
    levels: Vec<f64>,
    sim: OverlapConfig,
}

fn toy_config(n_trials: usize) -> ToyConfig {
    let sim = OverlapConfig {
        side: 12,
        block: 3,
        min_anchor_distance: 3,
        max_shift: 1,
        gaussian_n_samples: 10,
        ..OverlapConfig::default()
    };
    ToyConfig { n_trials, levels: vec![0.0, 0.5, 1.0], sim }
}

fn keys(config: &ToyConfig) -> Vec<TrialKey> {
    let mut keys = Vec::new();
    for design in Design::ALL {
        for &r in &config.levels {
            for i in 0..config.n_trials {
                keys.push(OverlapSimulator::trial_key(design, r, i));
            }
        }
    }
    keys
}

/// One trial: simulate, fit the table, score relative error and support recovery.
fn trial(sim: &OverlapSimulator, key: &TrialKey, rng: &mut ChaCha8Rng) -> Result<Vec<Measurement>> {
    let design: Design = key.group.parse()?;
    let data = sim.sample::<f64, _>(design, key.x, rng)?;
    let table = ModelTable::new(&["rel_error", "top_k_hits"])
        .with("zero", Zero)
        .with("ridge", Ridge { alpha: 0.1 });
    Ok(table.evaluate(&data.problem, |_, fit| {
        let err = (&fit.coef - &data.coef).norm() / data.coef.norm();
        // Fraction of true support pixels among the k largest |θ̂_t| entries, over tasks.
        let mut hits = 0usize;
        for (t, support) in data.supports.iter().enumerate() {
            let col: DVector<f64> = fit.coef.column(t).into_owned();
            let mut order: Vec<usize> = (0..col.len()).collect();
            order.sort_by(|&a, &b| col[b].abs().total_cmp(&col[a].abs()).then(a.cmp(&b)));
            hits += order[..support.len()].iter().filter(|i| support.contains(i)).count();
        }
        Ok(vec![err, hits as f64])
    }))
}

/// The columns of the toy study's trials CSV.
fn layout() -> Layout {
    Layout::new("design", "overlap", &["rel_error", "top_k_hits"]).with_fixed("precision", "f64")
}

fn study(config: &ToyConfig) -> Study {
    Study::new("toy-overlap", config, 7).unwrap().with_layout(layout())
}

fn run(
    config: &ToyConfig,
    dir: &Path,
    options: &RunOptions,
    threads: usize,
) -> Result<mtw::study::RunOutcome> {
    let study = study(config);
    let sim = OverlapSimulator::new(config.sim.clone())?;
    let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
    pool.install(|| run_trials(&study, dir, options, &keys(config), |k, rng| trial(&sim, k, rng)))
}

fn read(path: impl AsRef<Path>) -> String {
    fs::read_to_string(path.as_ref()).unwrap_or_else(|e| panic!("{:?}: {e}", path.as_ref()))
}

#[test]
fn one_and_two_threads_give_identical_files() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let config = toy_config(3);
    let one = run(&config, a.path(), &RunOptions::default(), 1).unwrap();
    let two = run(&config, b.path(), &RunOptions::default(), 2).unwrap();
    assert!(one.complete && two.complete);
    // 2 designs × 3 levels × 3 trials × 2 models.
    assert_eq!(one.rows.len(), 2 * 3 * 3 * 2);
    assert_eq!(read(a.path().join("trials.csv")), read(b.path().join("trials.csv")));
    assert_eq!(read(a.path().join("summary.csv")), read(b.path().join("summary.csv")));
    let info_a = RunInfo::read(&a.path().join("run.json")).unwrap();
    let info_b = RunInfo::read(&b.path().join("run.json")).unwrap();
    assert_eq!((info_a.threads, info_b.threads), (1, 2));
    assert!(info_a.complete && info_a.finished.is_some());
    assert_eq!(info_a.shards_complete, ["0/1"]);
    assert_eq!(info_a.crate_version, env!("CARGO_PKG_VERSION"));
    // The ridge recovers more of the support than zero does, so the rows carry real fits.
    let hits = |model: &str| -> f64 {
        one.rows.iter().filter(|r| r.model == model).map(|r| r.value("top_k_hits").unwrap()).sum()
    };
    assert!(hits("ridge") > hits("zero"), "{} vs {}", hits("ridge"), hits("zero"));
}

#[test]
fn the_trials_csv_has_exactly_the_declared_columns() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(&toy_config(1), dir.path(), &RunOptions::default(), 2).unwrap();
    let text = read(dir.path().join("trials.csv"));
    let mut lines = text.lines();
    let header = lines.next().unwrap();
    assert_eq!(header, "design,overlap,trial,model,rel_error,top_k_hits,precision,note,trial_rows");
    assert_eq!(header.split(',').collect::<Vec<_>>(), layout().header());
    // One row per (trial, model): zero then ridge, the fixed column, the fit's note, 2 rows.
    let body: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    assert_eq!(body.len(), 2 * 3 * 2);
    assert_eq!(body[0][..4], ["blur", "0", "0", "zero"]);
    assert_eq!(body[1][..4], ["blur", "0", "0", "ridge"]);
    for fields in &body {
        assert_eq!(fields.len(), 9, "{fields:?}");
        assert_eq!(fields[6], "f64");
        assert!(fields[7].starts_with("iterations="), "{fields:?}");
        assert_eq!(fields[8], "2");
        // rel_error of zero is exactly 1; every value parses back to the row's.
        assert!(fields[4].parse::<f64>().is_ok() && fields[5].parse::<f64>().is_ok());
    }
    assert_eq!(body[0][4], "1");
    assert_eq!(out.rows[1].value("rel_error").unwrap().to_string(), body[1][4]);
    let info = RunInfo::read(&dir.path().join("run.json")).unwrap();
    assert_eq!(info.layout, Some(layout()));
}

#[test]
fn resume_after_a_kill_mid_line_gives_the_same_csv() {
    let (full, cut) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let config = toy_config(3);
    run(&config, full.path(), &RunOptions::default(), 2).unwrap();

    // First pass: trial 2 of every cell fails, so the run stops incomplete, unsorted.
    let study = study(&config);
    let sim = OverlapSimulator::new(config.sim.clone()).unwrap();
    let first = run_trials(&study, cut.path(), &RunOptions::default(), &keys(&config), |k, rng| {
        if k.trial == 2 {
            return Err(Error::Numerical("simulated crash".into()));
        }
        trial(&sim, k, rng)
    })
    .unwrap();
    assert!(!first.complete);
    assert_eq!(first.failures.len(), 6);
    assert!(first.failures[0].error.contains("simulated crash"));
    assert!(!RunInfo::read(&cut.path().join("run.json")).unwrap().complete);

    // A kill in the middle of writing a line: cut the file 7 bytes before its end (inside the
    // second of the last trial's two rows).
    let csv = cut.path().join("trials.csv");
    let bytes = fs::read(&csv).unwrap();
    fs::write(&csv, &bytes[..bytes.len() - 7]).unwrap();

    let calls = AtomicUsize::new(0);
    let second =
        run_trials(&study, cut.path(), &RunOptions::default(), &keys(&config), |k, rng| {
            calls.fetch_add(1, Ordering::SeqCst);
            trial(&sim, k, rng)
        })
        .unwrap();
    assert!(second.complete);
    // The 6 failed trials plus the one whose last line was cut.
    assert_eq!(calls.load(Ordering::SeqCst), 7);
    assert_eq!((second.trials_run, second.trials_skipped), (7, 11));
    assert_eq!(read(&csv), read(full.path().join("trials.csv")));
    assert_eq!(read(cut.path().join("summary.csv")), read(full.path().join("summary.csv")));

    // A third run finds nothing to do.
    let third = run(&config, cut.path(), &RunOptions::default(), 1).unwrap();
    assert_eq!((third.trials_run, third.trials_skipped), (0, 18));
}

#[test]
fn merged_shards_equal_the_unsharded_run() {
    let (whole, sharded) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let config = toy_config(2);
    let unsharded = run(&config, whole.path(), &RunOptions::default(), 2).unwrap();
    for k in 0..3 {
        let options = RunOptions { shard: Some(Shard::new(k, 3).unwrap()), ..Default::default() };
        let out = run(&config, sharded.path(), &options, 1 + k % 2).unwrap();
        assert!(out.complete && out.summary_path.is_none());
        assert!(sharded.path().join(format!("trials.shard-{k}-of-3.csv")).exists());
    }
    let study = study(&config);
    let merged = merge_shards(sharded.path(), Some(&study)).unwrap();
    assert_eq!(merged.rows, unsharded.rows);
    assert_eq!(merged.info.shards_complete, ["0/3", "1/3", "2/3"]);
    assert_eq!(merged.info.n_trials, 12);
    for file in ["trials.csv", "summary.csv"] {
        assert_eq!(read(sharded.path().join(file)), read(whole.path().join(file)), "{file}");
    }
    // Plot-only mode reads the merged result back.
    assert_eq!(load_results(sharded.path(), Some(&study)).unwrap(), unsharded.rows);
}

#[test]
fn merge_refuses_missing_incomplete_and_foreign_shards() {
    let config = toy_config(2);
    let shard = |k, n| RunOptions { shard: Some(Shard::new(k, n).unwrap()), ..Default::default() };

    let missing = tempfile::tempdir().unwrap();
    run(&config, missing.path(), &shard(0, 3), 1).unwrap();
    run(&config, missing.path(), &shard(2, 3), 1).unwrap();
    let err = merge_shards(missing.path(), None).unwrap_err().to_string();
    assert!(err.contains("1/3") && err.contains("missing"), "{err}");
    assert!(!missing.path().join("trials.csv").exists());

    // Shard 1/2 of another configuration copied beside shard 0/2.
    let (mixed, other) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    run(&config, mixed.path(), &shard(0, 2), 1).unwrap();
    run(&toy_config(1), other.path(), &shard(1, 2), 1).unwrap();
    for file in ["run.shard-1-of-2.json", "trials.shard-1-of-2.csv"] {
        fs::copy(other.path().join(file), mixed.path().join(file)).unwrap();
    }
    let err = merge_shards(mixed.path(), None).unwrap_err().to_string();
    assert!(err.contains("shard 1/2") && err.contains("config.n_trials: 1 vs 2"), "{err}");

    // An incomplete shard.
    let partial = tempfile::tempdir().unwrap();
    run(&config, partial.path(), &shard(0, 2), 1).unwrap();
    let study = study(&config);
    let sim = OverlapSimulator::new(config.sim.clone()).unwrap();
    run_trials(&study, partial.path(), &shard(1, 2), &keys(&config), |k, rng| {
        if k.trial == 1 {
            panic!("simulated panic");
        }
        trial(&sim, k, rng)
    })
    .unwrap();
    let err = merge_shards(partial.path(), None).unwrap_err().to_string();
    assert!(err.contains("shard 1/2 is not complete"), "{err}");
}

#[test]
fn a_folder_of_another_configuration_is_refused_unless_overwrite() {
    let dir = tempfile::tempdir().unwrap();
    run(&toy_config(2), dir.path(), &RunOptions::default(), 1).unwrap();
    let err = run(&toy_config(1), dir.path(), &RunOptions::default(), 1).unwrap_err().to_string();
    assert!(err.contains("config.n_trials: 2 vs 1") && err.contains("overwrite"), "{err}");
    let shard = RunOptions { shard: Some(Shard::new(0, 2).unwrap()), ..Default::default() };
    assert!(run(&toy_config(1), dir.path(), &shard, 1).is_err());

    let options = RunOptions { overwrite: true, ..Default::default() };
    let replaced = run(&toy_config(1), dir.path(), &options, 1).unwrap();
    let fresh = tempfile::tempdir().unwrap();
    let reference = run(&toy_config(1), fresh.path(), &RunOptions::default(), 1).unwrap();
    assert_eq!(replaced.rows, reference.rows);
    assert_eq!(read(dir.path().join("trials.csv")), read(fresh.path().join("trials.csv")));

    // Another layout is another configuration too.
    let relaid = Study::new("toy-overlap", &toy_config(1), 7).unwrap().with_layout(Layout::new(
        "design",
        "overlap",
        &["rel_error", "top_k_hits"],
    ));
    let sim = OverlapSimulator::new(toy_config(1).sim).unwrap();
    let err =
        run_trials(&relaid, dir.path(), &RunOptions::default(), &keys(&toy_config(1)), |k, r| {
            trial(&sim, k, r)
        })
        .unwrap_err()
        .to_string();
    assert!(err.contains("layout.fixed") && err.contains("overwrite"), "{err}");

    // Plot-only mode also refuses another configuration, and an empty folder.
    let study = study(&toy_config(2));
    let err = load_results(dir.path(), Some(&study)).unwrap_err().to_string();
    assert!(err.contains("config.n_trials"), "{err}");
    let empty = tempfile::tempdir().unwrap();
    assert!(load_results(empty.path(), None).unwrap_err().to_string().contains("not found"));
}

#[test]
fn bad_keys_and_empty_trials_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    let study =
        Study::new("s", &toy_config(1), 0).unwrap().with_layout(Layout::new("g", "x", &["v"]));
    let options = RunOptions::default();
    let twice = vec![TrialKey::new("g", 0.5, 0), TrialKey::new("g", 0.5, 0)];
    let err = run_trials(&study, dir.path(), &options, &twice, |_, _| Ok(vec![])).unwrap_err();
    assert!(err.to_string().contains("appears twice"), "{err}");
    let nan = vec![TrialKey::new("g", f64::NAN, 0)];
    assert!(run_trials(&study, dir.path(), &options, &nan, |_, _| Ok(vec![])).is_err());
    let keys = vec![TrialKey::new("g", 0.5, 0), TrialKey::new("g", 0.5, 1)];
    let out = run_trials(&study, dir.path(), &options, &keys, |k, _| {
        Ok(if k.trial == 0 { vec![] } else { vec![Measurement::new("m", "v", 1.0)] })
    })
    .unwrap();
    assert_eq!(out.failures.len(), 1);
    assert!(out.failures[0].error.contains("no measurement"));
    assert_eq!(out.rows.len(), 1);
}

#[test]
fn layout_errors_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let options = RunOptions::default();
    let keys: Vec<TrialKey> = (0..40).map(|i| TrialKey::new("g", 0.5, i)).collect();
    let one = |_: &TrialKey, _: &mut ChaCha8Rng| Ok(vec![Measurement::new("m", "auc", 1.0)]);

    // No layout: refused before anything is written, naming the fix.
    let bare = Study::new("s", &toy_config(1), 0).unwrap();
    let err = run_trials(&bare, dir.path(), &options, &keys, one).unwrap_err().to_string();
    assert!(err.contains("with_layout"), "{err}");
    assert!(!dir.path().join("trials.csv").exists());

    // An invalid layout.
    let reserved = bare.clone().with_layout(Layout::new("g", "trial", &["auc"]));
    let err = run_trials(&reserved, dir.path(), &options, &keys, one).unwrap_err().to_string();
    assert!(err.contains("trial") && err.contains("runner writes itself"), "{err}");

    // A metric outside the layout stops the run with an error naming it.
    let study = bare.with_layout(Layout::new("g", "x", &["auc", "mu"]));
    let calls = AtomicUsize::new(0);
    let err = run_trials(&study, dir.path(), &options, &keys, |k, _| {
        calls.fetch_add(1, Ordering::SeqCst);
        let mut out = vec![Measurement::new("m", "auc", 1.0)];
        if k.trial >= 5 {
            out.push(Measurement::new("m", "sparsity", 0.5));
        }
        Ok(out)
    })
    .unwrap_err()
    .to_string();
    assert!(err.contains("\"sparsity\"") && err.contains("Layout::values"), "{err}");
    assert!(calls.load(Ordering::SeqCst) < keys.len(), "the run should stop starting trials");

    // The trials recorded before the error are kept (one row each); a missing metric is NaN;
    // the notes of one model are joined.
    let out = run_trials(&study, dir.path(), &options, &keys, |k, _| {
        Ok(vec![
            Measurement::new("m", "auc", k.trial as f64).with_note("a"),
            Measurement::new("n", "mu", 2.0).with_note("b"),
            Measurement::new("m", "mu", 3.0).with_note("c"),
        ])
    })
    .unwrap();
    assert!(out.complete);
    assert_eq!(out.rows.len(), 2 * keys.len() - out.trials_skipped);
    let n_row = out.rows.iter().find(|r| r.model == "n").unwrap();
    assert!(n_row.value("auc").unwrap().is_nan() && n_row.value("mu") == Some(2.0));
    let m_row = out.rows.iter().find(|r| r.model == "m" && r.key.trial == 39).unwrap();
    assert_eq!((m_row.note.as_str(), m_row.values[0].1), ("a; c", 39.0));
    assert!(read(dir.path().join("trials.csv")).contains("g,0.5,39,n,NaN,2,b,2\n"));
}

#[test]
fn sequential_runs_follow_key_order_and_comparisons_skip_machine_dependent_columns() {
    let layout = Layout::new("g", "x", &["v", "seconds"]).with_machine_dependent(&["seconds"]);
    let study = Study::new("timed", &toy_config(1), 3).unwrap().with_layout(layout.clone());
    let keys: Vec<TrialKey> = (0..6).map(|i| TrialKey::new("g", 0.5, i)).collect();
    let clock = AtomicUsize::new(0);
    let order = std::sync::Mutex::new(Vec::new());
    let trial = |k: &TrialKey, _: &mut ChaCha8Rng| {
        order.lock().unwrap().push(k.trial);
        // A "timing" that differs between runs, and a value that does not.
        let seconds = clock.fetch_add(1, Ordering::SeqCst) as f64;
        Ok(vec![
            Measurement::new("m", "v", k.trial as f64 / 4.0),
            Measurement::new("m", "seconds", seconds),
        ])
    };
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let pool = rayon::ThreadPoolBuilder::new().num_threads(2).build().unwrap();
    let sequential = RunOptions { sequential: true, ..Default::default() };
    pool.install(|| run_trials(&study, a.path(), &sequential, &keys, trial)).unwrap();
    assert_eq!(*order.lock().unwrap(), [0, 1, 2, 3, 4, 5]);
    let info = RunInfo::read(&a.path().join("run.json")).unwrap();
    assert_eq!(info.layout.unwrap().machine_dependent, ["seconds"]);

    pool.install(|| run_trials(&study, b.path(), &RunOptions::default(), &keys, trial)).unwrap();
    let (ta, tb) = (read(a.path().join("trials.csv")), read(b.path().join("trials.csv")));
    assert_ne!(ta, tb, "the timings differ between the runs");
    let same = mtw::study::comparable_trials(a.path()).unwrap();
    assert_eq!(same, mtw::study::comparable_trials(b.path()).unwrap());
    let text = String::from_utf8(same).unwrap();
    assert!(text.starts_with("g,x,trial,model,v,note,trial_rows\ng,0.5,0,m,0,,1\n"), "{text}");
    assert!(mtw::study::comparable_trials(tempfile::tempdir().unwrap().path()).is_err());
}

#[test]
fn a_rerun_with_nothing_to_do_keeps_the_run_record() {
    let dir = tempfile::tempdir().unwrap();
    let config = toy_config(2);
    let first = run(&config, dir.path(), &RunOptions::default(), 2).unwrap();
    assert!(first.complete);
    let record = read(dir.path().join("run.json"));
    let again = run(&config, dir.path(), &RunOptions::default(), 1).unwrap();
    assert_eq!((again.trials_run, again.complete), (0, true));
    assert_eq!(read(dir.path().join("run.json")), record, "the no-op rerun rewrote run.json");
}

#[test]
fn run_json_counts_each_trial_as_it_lands_and_sums_the_time_of_resumed_runs() {
    let dir = tempfile::tempdir().unwrap();
    let config = toy_config(2);
    let study = study(&config);
    let sim = OverlapSimulator::new(config.sim.clone()).unwrap();
    let run_json = dir.path().join("run.json");
    let options = RunOptions { sequential: true, ..RunOptions::default() };

    // First invocation: every trial sees the count of the trials recorded before it; trial 1
    // fails, as a run killed before reaching those trials would leave them.
    let seen = std::sync::Mutex::new(Vec::new());
    let first = run_trials(&study, dir.path(), &options, &keys(&config), |k, rng| {
        seen.lock().unwrap().push(RunInfo::read(&run_json).unwrap().trials_recorded);
        std::thread::sleep(std::time::Duration::from_millis(20));
        if k.trial == 1 {
            return Err(Error::Numerical("not this time".into()));
        }
        trial(&sim, k, rng)
    })
    .unwrap();
    assert!(!first.complete);
    let succeeded_before: Vec<usize> = keys(&config)
        .iter()
        .scan(0, |count, k| {
            let before = *count;
            *count += usize::from(k.trial != 1);
            Some(before)
        })
        .collect();
    assert_eq!(*seen.lock().unwrap(), succeeded_before);
    let after_first = RunInfo::read(&run_json).unwrap();
    assert!(after_first.wall_seconds >= 0.02 * 12.0, "{}", after_first.wall_seconds);
    assert_eq!(after_first.total_wall_seconds, after_first.wall_seconds);

    // The resumed invocation adds its own time to the first one's.
    let second = run(&config, dir.path(), &RunOptions::default(), 1).unwrap();
    assert!(second.complete);
    let after_second = RunInfo::read(&run_json).unwrap();
    let expected = after_first.total_wall_seconds + after_second.wall_seconds;
    assert!((after_second.total_wall_seconds - expected).abs() < 1e-9);
    assert_eq!(after_second.commits, after_first.commits);
}

#[test]
fn an_invocation_that_records_no_trial_credits_no_commit() {
    let dir = tempfile::tempdir().unwrap();
    let config = toy_config(2);
    let study = study(&config);
    let sim = OverlapSimulator::new(config.sim.clone()).unwrap();
    let run_json = dir.path().join("run.json");

    // Every trial fails, as if the run were killed before its first trial landed.
    let failed = run_trials(&study, dir.path(), &RunOptions::default(), &keys(&config), |_, _| {
        Err(Error::Numerical("killed".into()))
    })
    .unwrap();
    assert!(!failed.complete);
    assert!(RunInfo::read(&run_json).unwrap().commits.is_empty());

    // The invocation that computes the trials is the one credited.
    let options = RunOptions::default();
    let done =
        run_trials(&study, dir.path(), &options, &keys(&config), |k, rng| trial(&sim, k, rng))
            .unwrap();
    assert!(done.complete);
    let expected: Vec<String> = mtw::study::config::git_commit().into_iter().collect();
    assert_eq!(RunInfo::read(&run_json).unwrap().commits, expected);
}
