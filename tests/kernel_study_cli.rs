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
