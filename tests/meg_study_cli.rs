//! `meg_study` end to end: `--quick` on the template operators (files, columns, row counts,
//! AUC ranges, charts, resume, plot-only), shards and merge, `--leadfield` on a tiny synthetic
//! folder, and errors (exit status 2) for wrong shapes and bad flags.

use std::path::Path;
use std::process::{Command, Output};

use mtw::io::npy;
use mtw::meg::{write_regions_csv, RegionTable};
use nalgebra::DMatrix;

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_meg_study")).args(args).output().expect("runs meg_study")
}

fn ok(out: &Output) -> String {
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "stderr: {stderr}");
    stderr
}

fn fails(out: &Output, needle: &str) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "stderr: {stderr}");
    assert!(stderr.contains(needle), "expected {needle:?} in: {stderr}");
}

/// The header and records of a CSV file.
fn read_csv(path: &Path) -> (Vec<String>, Vec<csv::StringRecord>) {
    let mut reader = csv::Reader::from_path(path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    let header = reader.headers().unwrap().iter().map(String::from).collect();
    (header, reader.records().map(|r| r.unwrap()).collect())
}

/// Checks an experiment's trials.csv: columns, row count and AUCs in [0, 1]; returns the
/// models in order of appearance.
fn check_trials(dir: &Path, x: &str, fixed: &str, rows: usize) -> Vec<String> {
    let (header, records) = read_csv(&dir.join("trials.csv"));
    let mut expected = vec!["tasks", x, "trial", "model", "best_auc", "mu", "lambda"];
    expected.extend(["mu_on_edge", "lambda_on_edge", "path_seconds", "fit_seconds"]);
    expected.extend(["iterations", "converged", fixed, "precision", "note", "trial_rows"]);
    assert_eq!(header, expected, "{dir:?}");
    assert_eq!(records.len(), rows, "{dir:?}");
    let mut models = Vec::new();
    for r in &records {
        let auc: f64 = r[4].parse().unwrap();
        assert!((0.0..=1.0).contains(&auc), "AUC {auc} out of range in {dir:?}");
        if !models.contains(&r[3].to_string()) {
            models.push(r[3].to_string());
        }
    }
    models
}

fn check_png(path: &Path) {
    let png = std::fs::read(path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n", "{path:?}");
    assert!(png.len() > 10_000, "{path:?} is suspiciously small");
}

fn check_svg(path: &Path) {
    let svg = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    assert!(svg.starts_with("<svg") || svg.starts_with("<?xml"), "{path:?}");
    assert!(svg.trim_end().ends_with("</svg>"), "{path:?}");
}

#[test]
fn quick_run_writes_every_output_and_resumes() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().to_str().unwrap();
    let stderr = ok(&run(&["--quick", "--out", out]));
    assert!(stderr.contains("p = 106"), "{stderr}");
    let d = dir.path();
    let all = ["lasso", "group-lasso", "dirty", "mll", "mtw", "remtw"];

    // fig4: 1 trial × lasso, mtw; fig5: 3 overlaps × 1 trial × 6 models; fig6: 2 task counts
    // × 2 source counts × 1 trial × 6 models.
    assert_eq!(check_trials(&d.join("fig4"), "n_sources", "overlap", 2), ["lasso", "mtw"]);
    assert_eq!(check_trials(&d.join("fig5"), "overlap", "n_sources", 18), all);
    assert_eq!(check_trials(&d.join("fig6"), "n_sources", "overlap", 24), all);
    let (_, fig6) = read_csv(&d.join("fig6/trials.csv"));
    let groups: Vec<&str> = fig6.iter().map(|r| &r[0]).collect();
    assert!(groups.iter().all(|g| *g == "2" || *g == "4") && groups.contains(&"4"));

    let (header, summary) = read_csv(&d.join("fig5/summary.csv"));
    assert_eq!(
        header,
        ["tasks", "overlap", "model", "mean_auc", "std_auc", "ci95_low", "ci95_high"]
            .into_iter()
            .chain(["median_auc", "trials"])
            .collect::<Vec<_>>()
    );
    assert_eq!(summary.len(), 18);
    for exp in ["fig4", "fig6"] {
        let (header, _) = read_csv(&d.join(exp).join("summary.csv"));
        assert_eq!(header[..3], ["tasks", "n_sources", "model"]);
        let run_json = std::fs::read_to_string(d.join(exp).join("run.json")).unwrap();
        assert!(run_json.contains("wall_seconds") && run_json.contains("\"complete\": true"));
    }

    let (header, regions) = read_csv(&d.join("regions.csv"));
    assert_eq!(header, ["index", "vertex", "region"]);
    assert_eq!(regions.len(), 106);
    let labels: Vec<usize> = regions.iter().map(|r| r[2].parse().unwrap()).collect();
    assert_eq!(labels.iter().max(), Some(&10));

    // Figure 4's estimates carry the AUCs of its panels.
    let estimates: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("fig4/estimates.json")).unwrap())
            .unwrap();
    assert_eq!(estimates["truth"].as_array().unwrap().len(), 2);
    let models = estimates["models"].as_array().unwrap();
    assert_eq!(models.len(), 2);
    assert!(models[1]["barycenter"].is_array());
    check_png(&d.join("fig4_cortex.png"));
    for stem in ["fig5_auc_vs_overlap", "fig6_auc_vs_sources"] {
        check_png(&d.join(format!("{stem}.png")));
        check_svg(&d.join(format!("{stem}.svg")));
    }

    // Rerunning resumes (nothing left to run); plot-only redraws from the CSVs.
    let trials_before = std::fs::read(d.join("fig5/trials.csv")).unwrap();
    let again = ok(&run(&["--quick", "--out", out]));
    assert_eq!(again.matches("0 trials run").count(), 3, "{again}");
    assert_eq!(std::fs::read(d.join("fig5/trials.csv")).unwrap(), trials_before);
    std::fs::remove_file(d.join("fig6_auc_vs_sources.png")).unwrap();
    ok(&run(&["--quick", "--out", out, "--plot-only"]));
    check_png(&d.join("fig6_auc_vs_sources.png"));

    // Another configuration in the same folder is refused.
    fails(&run(&["--quick", "--out", out, "--snr", "2"]), "another configuration");
}

#[test]
fn shards_merge_into_the_unsharded_rows() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().to_str().unwrap();
    let base = ["--quick", "--experiment", "fig5", "--models", "lasso,mtw", "--out", out];
    for shard in ["0/2", "1/2"] {
        let mut args = base.to_vec();
        args.extend(["--shard", shard]);
        ok(&run(&args));
    }
    assert!(!dir.path().join("fig5/summary.csv").exists());
    let mut args = base.to_vec();
    args.push("--merge");
    ok(&run(&args));
    check_trials(&dir.path().join("fig5"), "overlap", "n_sources", 6);
    check_png(&dir.path().join("fig5_auc_vs_overlap.png"));
    // The lasso against MTW at each of the quick run's overlap levels.
    let paired = std::fs::read_to_string(dir.path().join("fig5/paired.csv")).unwrap();
    assert!(paired.starts_with("tasks,overlap,model,reference,"), "{paired}");
    assert!(paired.lines().skip(1).all(|l| l.contains(",lasso,mtw,")), "{paired}");

    let whole = tempfile::tempdir().unwrap();
    let mut args = base.to_vec();
    args[6] = whole.path().to_str().unwrap();
    ok(&run(&args));
    let merged = std::fs::read_to_string(dir.path().join("fig5/trials.csv")).unwrap();
    let unsharded = std::fs::read_to_string(whole.path().join("fig5/trials.csv")).unwrap();
    // Same numbers except the timings: compare the AUC and hyperparameter columns.
    let key = |text: &str| -> Vec<String> {
        text.lines().map(|l| l.split(',').take(7).collect::<Vec<_>>().join(",")).collect()
    };
    assert_eq!(key(&merged), key(&unsharded));
}

#[test]
fn single_precision_fig4() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().to_str().unwrap();
    ok(&run(&["--quick", "--experiment", "fig4", "--precision", "f32", "--out", out]));
    check_trials(&dir.path().join("fig4"), "n_sources", "overlap", 2);
    let (_, rows) = read_csv(&dir.path().join("fig4/trials.csv"));
    assert!(rows.iter().all(|r| &r[14] == "f32"));
    check_png(&dir.path().join("fig4_cortex.png"));
}

#[test]
fn translate_flag_is_recorded_only_when_on() {
    let dir = tempfile::tempdir().unwrap();
    let fits = |sub: &str, extra: &[&str]| {
        let out = dir.path().join(sub);
        let out = out.to_str().unwrap();
        let mut args = vec!["--quick", "--experiment", "fig4", "--out", out];
        args.extend(extra);
        ok(&run(&args));
        check_trials(&dir.path().join(sub).join("fig4"), "n_sources", "overlap", 2);
        let json = std::fs::read_to_string(dir.path().join(sub).join("fig4/run.json")).unwrap();
        let run: serde_json::Value = serde_json::from_str(&json).unwrap();
        run["config"]["fits"].clone()
    };
    assert_eq!(fits("plain", &[])["translate"], serde_json::Value::Null);
    assert_eq!(fits("moved", &["--translate"])["translate"], true);
}

/// A synthetic `--leadfield` folder: X (T × n × p) with smooth deterministic entries, a line
/// metric |i − j| and, when `regions` > 0, a regions.csv of that many equal runs.
fn write_user_dir(dir: &Path, t: usize, n: usize, p: usize, regions: usize) {
    let x: Vec<f64> = (0..t * n * p)
        .map(|i| {
            let (task, rest) = (i / (n * p), i % (n * p));
            let (row, col) = (rest / p, rest % p);
            ((row as f64 + 1.0) * (col as f64 + 0.5) * 0.37 + task as f64 * 0.1).sin() * 1e-3
        })
        .collect();
    npy::write(&dir.join("X.npy"), &[t, n, p], &x).unwrap();
    let m = DMatrix::from_fn(p, p, |i, j| (i as f64 - j as f64).abs());
    npy::write_matrix(&dir.join("metric.npy"), &m).unwrap();
    if regions > 0 {
        let labels = (0..p).map(|j| j * regions / p).collect();
        let table = RegionTable::new((1000..1000 + p).collect(), labels).unwrap();
        write_regions_csv(&dir.join("regions.csv"), &table).unwrap();
    }
}

#[test]
fn leadfield_folder_runs_the_study() {
    let data = tempfile::tempdir().unwrap();
    write_user_dir(data.path(), 4, 24, 60, 6);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().to_str().unwrap();
    let lf = data.path().to_str().unwrap();
    let stderr = ok(&run(&["--quick", "--leadfield", lf, "--source-stride", "1", "--out", out]));
    assert!(stderr.contains("p = 60") && stderr.contains("6 regions"), "{stderr}");
    assert!(stderr.contains("not fsaverage5 vertices"), "{stderr}");
    check_trials(&dir.path().join("fig4"), "n_sources", "overlap", 2);
    check_trials(&dir.path().join("fig5"), "overlap", "n_sources", 18);
    check_trials(&dir.path().join("fig6"), "n_sources", "overlap", 24);
    assert!(!dir.path().join("fig4_cortex.png").exists());
    check_png(&dir.path().join("fig5_auc_vs_overlap.png"));
    // regions.csv is the user's, vertex ids included.
    let (_, regions) = read_csv(&dir.path().join("regions.csv"));
    assert_eq!(regions.len(), 60);
    assert_eq!(&regions[59][1], "1059");

    // Without regions.csv the regions are computed (11 farthest-point cells of the metric).
    std::fs::remove_file(data.path().join("regions.csv")).unwrap();
    let other = tempfile::tempdir().unwrap();
    let out2 = other.path().to_str().unwrap();
    let args = ["--quick", "--leadfield", lf, "--source-stride", "1", "--experiment", "fig4"];
    let stderr = ok(&run(&[&args[..], &["--out", out2]].concat()));
    assert!(stderr.contains("11 regions"), "{stderr}");
    // Changing the data changes the fingerprint: the first folder refuses it.
    fails(&run(&[&args[..], &["--out", out]].concat()), "another configuration");
}

#[test]
fn leadfield_folder_errors() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let out = out.to_str().unwrap();
    let data = tempfile::tempdir().unwrap();
    let lf = data.path().to_str().unwrap();
    let quick = |extra: &[&str]| {
        let mut args = vec!["--quick", "--leadfield", lf, "--source-stride", "1", "--out", out];
        args.extend_from_slice(extra);
        run(&args)
    };

    // Metric of another size than X's p.
    write_user_dir(data.path(), 4, 24, 60, 6);
    let m = DMatrix::from_fn(59, 59, |i, j| (i as f64 - j as f64).abs());
    npy::write_matrix(&data.path().join("metric.npy"), &m).unwrap();
    fails(&quick(&[]), "p = 60");

    // regions.csv of another length.
    write_user_dir(data.path(), 4, 24, 60, 6);
    let short = RegionTable::new(vec![1, 2], vec![0, 1]).unwrap();
    write_regions_csv(&data.path().join("regions.csv"), &short).unwrap();
    fails(&quick(&[]), "regions.csv");

    // X with two axes.
    write_user_dir(data.path(), 4, 24, 60, 6);
    npy::write(&data.path().join("X.npy"), &[24, 60], &vec![1e-3; 24 * 60]).unwrap();
    fails(&quick(&[]), "X.npy");

    // Too few tasks for Figure 6 (the quick run uses 2 and 4 subjects).
    write_user_dir(data.path(), 3, 24, 60, 6);
    fails(&quick(&["--experiment", "fig6"]), "needs 4 tasks");
    // Fewer regions than Figure 5's 5 sources.
    write_user_dir(data.path(), 4, 24, 60, 4);
    fails(&quick(&["--experiment", "fig5"]), "number of regions (4)");
    // Missing folder.
    let missing = data.path().join("nope");
    let args = ["--quick", "--leadfield", missing.to_str().unwrap(), "--out", out];
    fails(&run(&args), "X.npy");
}

#[test]
fn bad_flags_exit_2_with_a_message() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().to_str().unwrap();
    for (args, needle) in [
        (vec!["--quick", "--overlaps", "1.5", "--out", out], "overlaps"),
        (vec!["--quick", "--models", "nope", "--out", out], "model"),
        (vec!["--quick", "--precision", "f16", "--out", out], "precision"),
        (vec!["--quick", "--source-stride", "0", "--out", out], "source-stride"),
        (vec!["--quick", "--fig6-tasks", "2,2", "--out", out], "twice"),
        (vec!["--quick", "--experiment", "fig7", "--out", out], "fig7"),
        (vec!["--quick", "--shard", "2/2", "--out", out], "shard"),
        (vec!["--quick", "--head-scale", "0.7", "--out", out], "head-scale"),
    ] {
        fails(&run(&args), needle);
    }
}

// Determinism and resume after a kill. Every experiment goes through the same runner call
// (`run_all`: one `run_trials` per experiment subfolder, the same trial function), so the kill
// is tested on Figure 5 alone; the thread counts on all three.

mod study_runs;

use study_runs::{append_partial_line, comparable, kill_after_first_rows, last_line};
use study_runs::{ok as succeeds, resume_counts};

fn meg(out: &Path, extra: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_meg_study"));
    cmd.arg("--quick").arg("--out").arg(out).args(extra);
    cmd
}

#[test]
fn one_and_two_threads_give_the_same_rows_in_every_experiment() {
    let dir = tempfile::tempdir().unwrap();
    let (one, two) = (dir.path().join("one"), dir.path().join("two"));
    let models = ["--models", "lasso,mtw", "--trials", "2"];
    succeeds(&mut meg(&one, &[&models[..], &["--threads", "1"]].concat()));
    succeeds(&mut meg(&two, &[&models[..], &["--threads", "2"]].concat()));
    for (exp, rows) in [("fig4", 2 * 2), ("fig5", 3 * 2 * 2), ("fig6", 2 * 2 * 2 * 2)] {
        let a = comparable(&one.join(exp));
        assert_eq!(a.lines().count(), 1 + rows, "{exp}: {a}");
        assert!(!a.contains("seconds"), "{exp}: the timings are left out");
        assert_eq!(a, comparable(&two.join(exp)), "{exp}");
        let summary = |d: &Path| std::fs::read(d.join(exp).join("summary.csv")).unwrap();
        assert_eq!(summary(&one), summary(&two), "{exp}");
        let info = mtw::study::RunInfo::read(&two.join(exp).join("run.json")).unwrap();
        assert_eq!((info.threads, info.shards_complete.len()), (2, 1), "{exp}");
    }
}

#[test]
fn killed_then_resumed_equals_uninterrupted() {
    let dir = tempfile::tempdir().unwrap();
    let (full, killed) = (dir.path().join("full"), dir.path().join("killed"));
    // 3 overlaps × 4 trials, one thread: about two seconds of trials.
    let args = ["--experiment", "fig5", "--trials", "4", "--threads", "1"];
    succeeds(&mut meg(&full, &args));

    let trials = killed.join("fig5/trials.csv");
    kill_after_first_rows(&mut meg(&killed, &args), &trials);
    append_partial_line(&trials, &last_line(&full.join("fig5/trials.csv")));
    let stderr = succeeds(meg(&killed, &args).env("RUST_LOG", "warn"));
    assert!(stderr.contains("partial last line"), "{stderr}");
    let (run, resumed) = resume_counts(&stderr, "meg_study: fig5:");
    assert!(run >= 1 && resumed >= 1 && run + resumed == 12, "{stderr}");
    assert_eq!(comparable(&full.join("fig5")), comparable(&killed.join("fig5")));
    let summary = |d: &Path| std::fs::read(d.join("fig5/summary.csv")).unwrap();
    assert_eq!(summary(&full), summary(&killed));
}

#[test]
fn a_merge_with_a_missing_shard_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let args = ["--experiment", "fig5", "--models", "lasso"];
    succeeds(&mut meg(dir.path(), &[&args[..], &["--shard", "0/2"]].concat()));
    let merge = meg(dir.path(), &[&args[..], &["--merge"]].concat()).output().unwrap();
    fails(&merge, "shard(s) 1/2 missing");
    assert!(!dir.path().join("fig5/trials.csv").exists());
}
