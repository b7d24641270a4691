//! End-to-end runs of the `digits_study` binary in `--quick` mode.

use std::path::Path;
use std::process::Command;

fn study(out: &Path, extra: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_digits_study"))
        .args(["--quick", "--no-progress", "--out"])
        .arg(out)
        .args(extra)
        .output()
        .expect("the binary runs")
}

fn read_csv(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let mut reader = csv::Reader::from_path(path).expect("csv");
    let header = reader.headers().unwrap().iter().map(String::from).collect();
    let rows = reader.records().map(|r| r.unwrap().iter().map(String::from).collect()).collect();
    (header, rows)
}

fn column(header: &[String], name: &str) -> usize {
    header.iter().position(|h| h == name).unwrap_or_else(|| panic!("no column {name}"))
}

#[test]
fn quick_run_writes_tables_and_figures_and_every_model_beats_chance() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("digits");
    let run = study(&out, &["--seed", "7", "--threads", "2"]);
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));

    // splits.csv: one row per (n, split, model), with the metric columns.
    let (header, rows) = read_csv(&out.join("splits.csv"));
    for name in ["n", "split", "model", "error", "mu", "lambda", "fit_seconds", "note"] {
        column(&header, name);
    }
    assert_eq!(rows.len(), 6, "quick: one size, one split, six models");
    let models: Vec<&str> = rows.iter().map(|r| r[column(&header, "model")].as_str()).collect();
    assert_eq!(models, ["lasso", "group-lasso", "dirty", "mll", "mtw", "remtw"]);
    // Seeded check at n = 10: chance is 5/6; every model must be far below it.
    for row in &rows {
        assert_eq!(row[column(&header, "n")], "10");
        let error: f64 = row[column(&header, "error")].parse().unwrap();
        assert!(error < 0.5, "{} error {error}", row[column(&header, "model")]);
    }

    // summary.csv in the layout.
    let (header, rows) = read_csv(&out.join("summary.csv"));
    assert_eq!(header[..5], ["n", "model", "mean_error", "ci95_low", "ci95_high"]);
    assert_eq!(rows.len(), 6);
    let mean_error = |model: &str| -> f64 {
        let row = rows.iter().find(|r| r[1] == model).unwrap();
        row[2].parse().unwrap()
    };

    // paired.csv: every other model's error minus MTW's, on the same split.
    let (header, paired) = read_csv(&out.join("paired.csv"));
    assert_eq!(header[..5], ["n", "model", "reference", "mean_difference", "ci95_low"]);
    assert_eq!(paired.len(), 5, "five models against mtw at one size");
    for row in &paired {
        assert_eq!((row[0].as_str(), row[2].as_str(), row[6].as_str()), ("10", "mtw", "1"));
        let difference: f64 = row[3].parse().unwrap();
        let expected = mean_error(&row[1]) - mean_error("mtw");
        assert!((difference - expected).abs() < 1e-12, "{row:?} vs {expected}");
    }

    // Figures: PNG signature and SVG root element.
    for png in ["error_vs_n.png", "coefficients.png"] {
        let bytes = std::fs::read(out.join(png)).unwrap();
        assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "{png}");
    }
    for svg in ["error_vs_n.svg", "coefficients.svg"] {
        let text = std::fs::read_to_string(out.join(svg)).unwrap();
        assert!(text.contains("<svg") && text.trim_end().ends_with("</svg>"), "{svg}");
    }
    assert!(out.join("run.json").exists());

    // Plot-only redraws from the records, with the same tables.
    let before = std::fs::read(out.join("splits.csv")).unwrap();
    std::fs::remove_file(out.join("error_vs_n.png")).unwrap();
    let redraw = study(&out, &["--seed", "7", "--plot-only"]);
    assert!(redraw.status.success(), "{}", String::from_utf8_lossy(&redraw.stderr));
    assert!(out.join("error_vs_n.png").exists());
    assert_eq!(std::fs::read(out.join("splits.csv")).unwrap(), before);

    // Another configuration is refused in the same folder.
    let other = study(&out, &["--seed", "8"]);
    assert_eq!(other.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&other.stderr).contains("seed: 7 vs 8"));

    // Plot-only says so when trials.csv has lost rows that run.json says were recorded.
    let trials = std::fs::read_to_string(out.join("trials.csv")).unwrap();
    let kept: Vec<&str> = trials.lines().take(trials.lines().count() - 1).collect();
    std::fs::write(out.join("trials.csv"), kept.join("\n") + "\n").unwrap();
    let redraw = study(&out, &["--seed", "7", "--plot-only"]);
    let stderr = String::from_utf8_lossy(&redraw.stderr);
    assert!(stderr.contains("holds 0 of the 1 trials"), "{stderr}");

    // An unreadable run file is named as such, not as another configuration.
    std::fs::write(out.join("run.json"), "{\"study\": \"dig").unwrap();
    let corrupt = study(&out, &["--seed", "7"]);
    assert_eq!(corrupt.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&corrupt.stderr);
    assert!(stderr.contains("cannot be read") && !stderr.contains("configuration"), "{stderr}");
}

#[test]
fn f32_baselines_converge_to_the_tolerance_f32_can_reach() {
    // The study's baseline tolerance (a relative duality gap of 1e-8) is below f32's
    // resolution; in f32 it is raised to 1e-5, so the refits stop on it, not on the epoch cap.
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("f32");
    let models = ["--models", "lasso,group-lasso,dirty"];
    let run = study(&out, &[&["--precision", "f32", "--threads", "1"][..], &models].concat());
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let (header, rows) = read_csv(&out.join("splits.csv"));
    assert_eq!(rows.len(), 3);
    for row in &rows {
        let model = &row[column(&header, "model")];
        assert_eq!(row[column(&header, "converged")], "1", "{model} did not converge in f32");
        let error: f64 = row[column(&header, "error")].parse().unwrap();
        assert!(error < 0.5, "{model} error {error}");
    }
    // run.json records the tolerances used, not the f64 ones asked for.
    let run: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("run.json")).unwrap()).unwrap();
    assert_eq!(run["config"]["baseline_tol"], 1e-5, "{}", run["config"]);
    assert_eq!(run["config"]["mtw"]["tol_ot"], 1e-5);
}

#[test]
fn bad_flags_and_data_are_typed_errors() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("o");
    let cases: [(&[&str], &str); 4] = [
        (&["--digits", "3"], "at least two digits"),
        // Listing this many trials would exhaust memory: refused before.
        (&["--splits", "99999999999999"], "a run takes at most 1000000"),
        (&["--sizes", "200"], "must be 1 to 199"),
        (&["--digits", "1,1"], "listed twice"),
    ];
    for (flags, message) in cases {
        let run = study(&out, flags);
        assert_eq!(run.status.code(), Some(2), "{flags:?}");
        let stderr = String::from_utf8_lossy(&run.stderr);
        assert!(stderr.contains(message), "{flags:?}: {stderr}");
    }
    let bad = dir.path().join("short.txt");
    std::fs::write(&bad, "0 1 2\n").unwrap();
    let run = study(&out, &["--data", bad.to_str().unwrap()]);
    assert_eq!(run.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&run.stderr).contains("1 lines, expected 2000"));
}

// Study runs that never lose work, on a small quick configuration (two digits, Lasso and MTW,
// three splits: about a second per split on one thread).

mod study_runs;

use study_runs::{append_partial_line, comparable, kill_after_first_rows, last_line};
use study_runs::{ok, refused, resume_counts};

const SMALL: [&str; 6] = ["--quick", "--no-progress", "--digits", "0,1", "--splits", "3"];

/// The small configuration (seed 3, Lasso and MTW unless `extra` says otherwise) into `out`.
fn small(out: &Path, extra: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_digits_study"));
    cmd.args(SMALL).arg("--out").arg(out).args(extra);
    if !extra.contains(&"--models") {
        cmd.args(["--models", "lasso,mtw"]);
    }
    if !extra.contains(&"--seed") {
        cmd.args(["--seed", "3"]);
    }
    cmd
}

#[test]
fn one_and_two_threads_and_merged_shards_give_the_same_rows() {
    let dir = tempfile::tempdir().unwrap();
    let (one, two, sharded) =
        (dir.path().join("one"), dir.path().join("two"), dir.path().join("sharded"));
    ok(&mut small(&one, &["--threads", "1"]));
    ok(&mut small(&two, &["--threads", "2"]));
    let rows = comparable(&one);
    assert_eq!(rows.lines().count(), 1 + 3 * 2, "{rows}");
    assert!(!rows.contains("seconds"), "the timings are left out: {rows}");
    assert_eq!(rows, comparable(&two));

    for shard in ["0/3", "1/3", "2/3"] {
        ok(&mut small(&sharded, &["--threads", "1", "--shard", shard]));
    }
    assert!(!sharded.join("summary.csv").exists());
    ok(&mut small(&sharded, &["--merge"]));
    assert_eq!(rows, comparable(&sharded));
    // The same summary (mean errors) and figures as the unsharded run.
    let summary = std::fs::read(one.join("summary.csv")).unwrap();
    assert_eq!(std::fs::read(sharded.join("summary.csv")).unwrap(), summary);
    for file in ["error_vs_n.png", "coefficients.png", "splits.csv"] {
        assert!(sharded.join(file).exists(), "{file}");
    }
    let info = mtw::study::RunInfo::read(&sharded.join("run.json")).unwrap();
    assert_eq!(info.shards_complete, ["0/3", "1/3", "2/3"]);
    assert!(info.complete && info.finished.is_some() && info.git_commit.is_some());
    let info = mtw::study::RunInfo::read(&two.join("run.json")).unwrap();
    assert_eq!((info.threads, info.seed, info.n_trials), (2, 3, 3));
    assert_eq!(info.config["models"][1][0], "mtw");
    assert_eq!(info.crate_version, env!("CARGO_PKG_VERSION"));
}

#[test]
fn missing_and_foreign_shards_and_another_configuration_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let lasso = ["--models", "lasso"];
    let out = dir.path().join("sharded");
    ok(&mut small(&out, &[&lasso[..], &["--shard", "0/2"]].concat()));
    refused(&mut small(&out, &[&lasso[..], &["--merge"]].concat()), &["1/2", "missing"]);

    // Shard 1/2 of another seed, written elsewhere and copied in.
    let other = dir.path().join("other");
    ok(&mut small(&other, &[&lasso[..], &["--shard", "1/2", "--seed", "4"]].concat()));
    for file in ["run.shard-1-of-2.json", "trials.shard-1-of-2.csv"] {
        std::fs::copy(other.join(file), out.join(file)).unwrap();
    }
    refused(
        &mut small(&out, &[&lasso[..], &["--merge"]].concat()),
        &["shard 1/2 has another configuration", "seed: 4 vs 3"],
    );

    // A folder holding another configuration's results: refused, naming the settings, unless
    // --overwrite.
    let whole = dir.path().join("whole");
    ok(&mut small(&whole, &lasso));
    refused(
        &mut small(&whole, &["--models", "lasso,group-lasso"]),
        &["another configuration", "config.models", "--overwrite"],
    );
    refused(
        &mut small(&whole, &[&lasso[..], &["--folds", "3"]].concat()),
        &["config.folds: 2 vs 3"],
    );
    ok(&mut small(&whole, &[&lasso[..], &["--folds", "3", "--overwrite"]].concat()));
    refused(&mut small(&whole, &["--models", "nope"]), &["not a model of the study"]);
}

#[test]
fn killed_then_resumed_equals_uninterrupted() {
    let dir = tempfile::tempdir().unwrap();
    let (full, killed) = (dir.path().join("full"), dir.path().join("killed"));
    ok(&mut small(&full, &["--threads", "1"]));

    let trials = killed.join("trials.csv");
    kill_after_first_rows(&mut small(&killed, &["--threads", "1"]), &trials);
    // A kill inside a write leaves a partial last line: it must be dropped, not parsed.
    append_partial_line(&trials, &last_line(&full.join("trials.csv")));
    // The runner's notices (a dropped partial line) are warnings: shown with RUST_LOG=warn.
    let stderr = ok(small(&killed, &["--threads", "1"]).env("RUST_LOG", "warn"));
    let (run, resumed) = resume_counts(&stderr, "digits_study:");
    assert!(run >= 1 && resumed >= 1 && run + resumed == 3, "{stderr}");
    assert!(stderr.contains("partial last line"), "{stderr}");
    assert_eq!(comparable(&full), comparable(&killed));
    assert_eq!(
        std::fs::read(full.join("summary.csv")).unwrap(),
        std::fs::read(killed.join("summary.csv")).unwrap()
    );
}

#[test]
fn the_slurm_array_script_runs_shards_that_merge() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("array");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("experiments/slurm/study.sbatch");
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_digits_study")).parent().unwrap();
    let flags = ["--quick", "--no-progress", "--digits", "0,1", "--models", "lasso"];
    for k in ["0", "1", "2"] {
        // What SLURM sets for array task k of `--array=0-2` with 2 CPUs per task.
        let mut task = Command::new("bash");
        task.arg(&script).arg("digits_study").args(flags).args(["--splits", "3", "--out"]);
        task.arg(&out).env("MTW_BIN_DIR", bin_dir).env("SLURM_ARRAY_TASK_COUNT", "3");
        task.env("SLURM_ARRAY_TASK_ID", k).env("SLURM_CPUS_PER_TASK", "2");
        ok(&mut task);
        assert!(out.join(format!("trials.shard-{k}-of-3.csv")).exists());
    }
    let mut merge = Command::new(env!("CARGO_BIN_EXE_digits_study"));
    merge.args(flags).args(["--splits", "3", "--merge", "--out"]).arg(&out);
    ok(&mut merge);
    let info = mtw::study::RunInfo::read(&out.join("run.json")).unwrap();
    assert_eq!(info.shards_complete, ["0/3", "1/3", "2/3"]);
    assert_eq!((info.threads, info.n_trials), (2, 3));
}
