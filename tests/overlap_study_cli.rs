//! End-to-end run of `overlap_study --quick`: files, columns, row counts, value ranges.

use std::process::Command;

fn run(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_overlap_study")).args(args).output().expect("runs")
}

#[test]
fn quick_run_writes_csvs_and_charts() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().to_str().unwrap();
    let result = run(&["--quick", "--overlaps", "0,1", "--out", out]);
    assert!(result.status.success(), "{}", String::from_utf8_lossy(&result.stderr));

    let mut reader = csv::Reader::from_path(dir.path().join("trials.csv")).unwrap();
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    for col in ["design", "overlap", "trial", "model", "best_auc", "mu", "lambda", "fit_seconds"] {
        assert!(header.contains(&col.to_string()), "missing column {col} in {header:?}");
    }
    for col in ["iterations", "converged", "mu_on_edge", "lambda_on_edge", "precision"] {
        assert!(header.contains(&col.to_string()), "missing column {col} in {header:?}");
    }
    let auc = header.iter().position(|c| c == "best_auc").unwrap();
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
    // 2 overlap levels × 1 trial × 6 models.
    assert_eq!(rows.len(), 12);
    for row in &rows {
        let v: f64 = row[auc].parse().unwrap();
        assert!((0.0..=1.0).contains(&v), "AUC {v} out of range");
    }

    let summary = std::fs::read_to_string(dir.path().join("summary.csv")).unwrap();
    let first = summary.lines().next().unwrap();
    assert_eq!(first, "design,overlap,model,mean_auc,std_auc,ci95_low,ci95_high,median_auc,trials");
    assert_eq!(summary.lines().count(), 1 + 12);
    // paired.csv: the five other models against MTW at both levels, one trial each.
    let paired = std::fs::read_to_string(dir.path().join("paired.csv")).unwrap();
    assert!(paired.starts_with("design,overlap,model,reference,mean_difference,"), "{paired}");
    assert_eq!(paired.lines().count(), 1 + 10);
    assert!(paired.lines().skip(1).all(|l| l.contains(",mtw,") && !l.contains(",mtw,mtw,")));

    let png = std::fs::read(dir.path().join("auc_vs_overlap.png")).unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    let svg = std::fs::read_to_string(dir.path().join("auc_vs_overlap.svg")).unwrap();
    assert!(svg.starts_with("<svg") || svg.starts_with("<?xml"));
    assert!(svg.contains("</svg>"));
    let run_json = std::fs::read_to_string(dir.path().join("run.json")).unwrap();
    assert!(run_json.contains("wall_seconds"));

    // Rerunning the same command resumes: nothing left to run, and the trials and the run
    // record stay untouched (summary.csv is redrawn: the runner's table, then the study's).
    let modified =
        |name: &str| std::fs::metadata(dir.path().join(name)).unwrap().modified().unwrap();
    let before: Vec<_> = ["trials.csv", "run.json"].map(modified).to_vec();
    let again = run(&["--quick", "--overlaps", "0,1", "--out", out]);
    assert!(again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("0 trials run"));
    assert_eq!(["trials.csv", "run.json"].map(modified).to_vec(), before);

    let redraw = run(&["--quick", "--overlaps", "0,1", "--plot-only", "--out", out]);
    assert!(redraw.status.success());
    assert!(String::from_utf8_lossy(&redraw.stderr).contains("redrew"));
}

#[test]
fn bad_flags_exit_2_with_a_message() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().to_str().unwrap();
    for (args, needle) in [
        (vec!["--quick", "--overlaps", "1.5", "--out", out], "[0, 1]"),
        (vec!["--quick", "--overlaps", "0.3", "--out", out], "multiple of 1/4"),
        (vec!["--quick", "--overlaps", "0.5,0.5", "--out", out], "listed twice"),
        (vec!["--quick", "--models", "nope", "--out", out], "nope"),
        (vec!["--quick", "--design", "fog", "--out", out], "fog"),
        (vec!["--quick", "--precision", "f16", "--out", out], "f16"),
        (vec!["--quick", "--models", "lasso,lasso", "--out", out], "listed twice"),
        (vec!["--quick", "--grid-size", "0", "--out", out], "grid-size"),
        (vec!["--quick", "--grid-size", "1", "--out", out], ">= 2"),
        (vec!["--quick", "--n-samples", "10", "--out", out], "gaussian"),
        (vec!["--quick", "--rho", "0.5", "--out", out], "gaussian"),
        (vec!["--quick", "--trials", "x", "--out", out], "x"),
        (vec!["--quick", "--design", "gaussian", "--rho", "1.5", "--out", out], "rho"),
        (vec!["--quick", "--threads", "0", "--out", out], "at least one thread"),
        (vec!["--plot-only", "--merge", "--out", out], "cannot be used with"),
        (vec!["--merge", "--shard", "0/2", "--out", out], "cannot be used with"),
    ] {
        let result = run(&args);
        let stderr = String::from_utf8_lossy(&result.stderr);
        assert_eq!(result.status.code(), Some(2), "{args:?}");
        assert!(stderr.contains("overlap_study: error"), "{args:?}: {stderr}");
        assert!(stderr.contains(needle), "{args:?}: {stderr} lacks {needle}");
        assert_eq!(stderr.trim().lines().count(), 1, "{args:?}: not one line: {stderr}");
    }
    // A refused configuration writes nothing, so the corrected command can use the folder.
    assert!(!dir.path().join("run.json").exists());
}

#[test]
fn explicit_flags_win_over_quick() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().to_str().unwrap();
    let args = ["--quick", "--grid-size", "3", "--max-iter", "5", "--models", "lasso"];
    let result = run(&[&args[..], &["--overlaps", "0", "--out", out]].concat());
    assert!(result.status.success(), "{}", String::from_utf8_lossy(&result.stderr));
    let info: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("run.json")).unwrap())
            .unwrap();
    assert_eq!(info["config"]["grid_size"], 3, "{info}");
    assert_eq!(info["config"]["max_iter"], 5, "{info}");
}
