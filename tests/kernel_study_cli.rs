//! The `kernel_study` binary in `--quick` mode: CSV columns, statuses and chart files.

use std::process::Command;

#[test]
fn quick_study_writes_csv_and_charts() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("study");
    let export = dir.path().join("export");
    let status = Command::new(env!("CARGO_BIN_EXE_kernel_study"))
        .args(["--quick", "--threads", "1", "--memory-budget-mb", "0.05"])
        .arg("--out")
        .arg(&out)
        .arg("--export")
        .arg(&export)
        .status()
        .unwrap();
    assert!(status.success());
    let mut reader = csv::Reader::from_path(out.join("runs.csv")).unwrap();
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    for col in [
        "w",
        "p",
        "tasks",
        "epsilon",
        "strategy",
        "precision",
        "status",
        "iterations",
        "seconds_per_iteration",
        "converged",
        "kernel_bytes",
        "vmhwm_kb",
        "rel_error",
    ] {
        assert!(header.iter().any(|h| h == col), "missing column {col}: {header:?}");
    }
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
    let at = |name: &str| header.iter().position(|h| h == name).unwrap();
    // 4 problems (w = 6; w = 8 at eps = 1/64, 1e-2, 1e-3) x 6 strategies x 2 precisions.
    assert_eq!(rows.len(), 4 * 6 * 2);
    // A 0.05 MiB budget skips the dense f64 strategies at w = 8 (2 p² 8 B = 64 KiB), not at
    // w = 6 (20 KiB), and says so.
    assert!(rows.iter().any(|r| r[at("status")].starts_with("skipped") && &r[at("w")] == "8"));
    // At eps = 1/p the f64 log-domain strategies end close to the reference.
    let mut checked = 0;
    for r in rows.iter().filter(|r| {
        r[at("strategy")].starts_with("log-")
            && &r[at("precision")] == "f64"
            && !r[at("status")].starts_with("skipped")
            && (r[at("epsilon")].parse::<f64>().unwrap() * r[at("p")].parse::<f64>().unwrap() - 1.0)
                .abs()
                < 1e-9
    }) {
        // (A loaded machine may hit the per-solve time budget: then "not converged".)
        // Stopping at relative change `tol` with linear rate at most f = γ/(γ+ε) per sweep
        // leaves the iterate about tol/(1 − f) = tol (γ+ε)/ε from the fixed point; the
        // quick study uses tol = 1e-5. Allow a factor 10 over that estimate.
        let e: f64 = r[at("rel_error")].parse().unwrap();
        let eps: f64 = r[at("epsilon")].parse().unwrap();
        let gamma: f64 = r[at("gamma")].parse().unwrap();
        assert!(e < 10.0 * 1e-5 * (gamma + eps) / eps, "{r:?}");
        assert_eq!(&r[at("reference_converged")], "true", "{r:?}");
        checked += usize::from(&r[at("status")] == "ok");
    }
    assert!(checked >= 1, "no log-domain run converged");
    for stem in ["time_per_iteration", "error_vs_epsilon", "f32_speedup"] {
        for ext in ["png", "svg"] {
            let f = out.join(format!("{stem}.{ext}"));
            assert!(std::fs::metadata(&f).map(|m| m.len() > 0).unwrap_or(false), "{f:?}");
        }
    }
    for f in ["w6_T3/theta.npy", "w8_T3/M1.npy", "mtw_p576/X.npy", "mtw_p576/params.json"] {
        assert!(export.join(f).exists(), "{f}");
    }
}

// Study runs that never lose work. Timings are not reproducible: the comparisons leave out the
// machine-dependent columns (seconds, seconds_per_iteration, vmhwm_kb) declared in the layout.
// A time budget far above the quick solves' needs keeps every stop deterministic (no solve
// stops "out of time").

mod study_runs;

use std::path::Path;

use study_runs::{append_partial_line, comparable, kill_after_first_rows, last_line};
use study_runs::{ok, refused, resume_counts};

fn kernel(out: &Path, extra: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_kernel_study"));
    cmd.arg("--quick").arg("--out").arg(out).args(extra);
    if !extra.contains(&"--time-budget-s") {
        cmd.args(["--time-budget-s", "100"]);
    }
    cmd
}

#[test]
fn threads_kills_and_shards_give_the_same_rows() {
    let dir = tempfile::tempdir().unwrap();
    let path = |name: &str| dir.path().join(name);
    let (one, two, killed, sharded) = (path("one"), path("two"), path("killed"), path("sh"));

    // 1 vs 2 threads.
    ok(&mut kernel(&one, &["--threads", "1"]));
    ok(&mut kernel(&two, &["--threads", "2"]));
    let rows = comparable(&one);
    assert_eq!(rows.lines().count(), 1 + 4 * 6 * 2, "{rows}");
    assert!(rows.lines().next().unwrap().ends_with(",kernel_bytes,note,trial_rows"), "{rows}");
    assert!(!rows.contains("out of time"), "{rows}");
    assert_eq!(rows, comparable(&two));
    let info = mtw::study::RunInfo::read(&two.join("run.json")).unwrap();
    assert_eq!((info.threads, info.n_trials, info.complete), (2, 4, true));
    assert_eq!(info.config["plan"]["time_budget"], 100.0);
    let layout = info.layout.unwrap();
    assert_eq!(layout.machine_dependent, ["seconds", "seconds_per_iteration", "vmhwm_kb"]);

    // Killed after its first problem, a partial line left, then resumed.
    let trials = killed.join("trials.csv");
    kill_after_first_rows(&mut kernel(&killed, &["--threads", "1"]), &trials);
    append_partial_line(&trials, &last_line(&one.join("trials.csv")));
    let stderr = ok(kernel(&killed, &["--threads", "1"]).env("RUST_LOG", "warn"));
    assert!(stderr.contains("partial last line"), "{stderr}");
    let (run, resumed) = resume_counts(&stderr, "kernel_study:");
    assert!(run >= 1 && resumed >= 1 && run + resumed == 4, "{stderr}");
    assert_eq!(rows, comparable(&killed));

    // Shards: a missing one, one of another configuration, then all three merged.
    ok(&mut kernel(&sharded, &["--shard", "0/3"]));
    ok(&mut kernel(&sharded, &["--shard", "1/3"]));
    refused(&mut kernel(&sharded, &["--merge"]), &["2/3", "missing"]);
    let other = path("other");
    ok(&mut kernel(&other, &["--shard", "2/3", "--time-budget-s", "50"]));
    for file in ["run.shard-2-of-3.json", "trials.shard-2-of-3.csv"] {
        std::fs::copy(other.join(file), sharded.join(file)).unwrap();
    }
    let foreign = ["shard 2/3 has another configuration", "config.plan.time_budget: 50"];
    refused(&mut kernel(&sharded, &["--merge"]), &foreign);
    // Running shard 2/3 there is refused too, unless --overwrite (which keeps shards 0 and 1).
    let again = ["--shard", "2/3"];
    refused(&mut kernel(&sharded, &again), &["another configuration", "time_budget", "overwrite"]);
    let stderr = ok(&mut kernel(&sharded, &["--shard", "2/3", "--overwrite"]));
    assert_eq!(resume_counts(&stderr, "kernel_study:"), (1, 0), "{stderr}");
    ok(&mut kernel(&sharded, &["--merge"]));
    assert_eq!(rows, comparable(&sharded));
    let info = mtw::study::RunInfo::read(&sharded.join("run.json")).unwrap();
    assert_eq!(info.shards_complete, ["0/3", "1/3", "2/3"]);

    // Plot-only redraws runs.csv and the charts from the trials, unchanged.
    let runs = std::fs::read(sharded.join("runs.csv")).unwrap();
    std::fs::remove_file(sharded.join("f32_speedup.png")).unwrap();
    std::fs::remove_file(sharded.join("runs.csv")).unwrap();
    ok(&mut kernel(&sharded, &["--plot-only"]));
    assert_eq!(std::fs::read(sharded.join("runs.csv")).unwrap(), runs);
    assert!(sharded.join("f32_speedup.png").exists());

    // Another configuration in a folder of results is refused, naming the setting.
    let budget = ["another configuration", "config.plan.memory_budget"];
    refused(&mut kernel(&one, &["--memory-budget-mb", "1"]), &budget);
    refused(&mut kernel(&one, &["--plot-only", "--memory-budget-mb", "1"]), &budget[1..]);
}

#[test]
fn quick_mtw_fits_record_every_strategy_and_precision() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("study");
    ok(&mut kernel(&out, &["--mtw-fits", "--threads", "1"]));
    let mut reader = csv::Reader::from_path(out.join("mtw_fits").join("trials.csv")).unwrap();
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 12, "6 strategies x 2 precisions");
    for row in &rows {
        let (model, note) = (&row[col("model")], &row[col("note")]);
        if note.starts_with("error:") {
            // Only the scaling-domain truncated kernel may refuse this problem.
            assert!(model.starts_with("sparse-truncated/"), "{model}: {note}");
            continue;
        }
        let objective: f64 = row[col("objective")].parse().unwrap();
        let gap: f64 = row[col("objective_gap")].parse().unwrap();
        let auc: f64 = row[col("auc")].parse().unwrap();
        assert!(objective.is_finite() && objective > 0.0, "{model}: objective {objective}");
        assert!((0.0..=1.0).contains(&auc), "{model}: auc {auc}");
        assert_eq!(note, "ok", "{model} did not converge");
        // Every strategy converges to the same optimum: f64 within its tolerance (1e-6), f32
        // within its floor (1e-5) and single-precision rounding of the objective's sums.
        let bound = if model.ends_with("/f64") { 1e-6 } else { 1e-3 };
        assert!(gap.abs() < bound, "{model}: objective gap {gap}");
    }
}

#[test]
fn a_time_budget_must_be_positive() {
    let dir = tempfile::tempdir().unwrap();
    for budget in ["0", "-1"] {
        let result = kernel(dir.path(), &["--time-budget-s", budget]).output().unwrap();
        let stderr = String::from_utf8_lossy(&result.stderr);
        assert_eq!(result.status.code(), Some(2), "budget {budget}: {stderr}");
        assert!(
            stderr.contains("kernel_study: error: invalid parameter time-budget-s"),
            "{stderr}"
        );
    }
}
