//! The `mtw` command line: `fit` and `barycenter` on `.npy` files, and bad input (exit 2).

use std::path::Path;
use std::process::Command;

use mtw::io::npy;

fn mtw(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_mtw")).args(args).output().expect("mtw runs")
}

/// T = 2 tasks, n = 8 samples, p = 6 features on a 2 × 3 grid, seeded pseudo-random data.
fn write_problem(dir: &Path) {
    let (t, n, p) = (2, 8, 6);
    let mut state = 12345u64;
    let mut next = || {
        state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        ((state >> 11) as f64 / (1u64 << 53) as f64) - 0.5
    };
    let x: Vec<f64> = (0..t * n * p).map(|_| next()).collect();
    let y: Vec<f64> = (0..t * n).map(|_| next()).collect();
    npy::write(&dir.join("X.npy"), &[t, n, p], &x).unwrap();
    npy::write(&dir.join("Y.npy"), &[t, n], &y).unwrap();
    let a: Vec<f64> = (0..t * p).map(|k| 0.1 + (k % 5) as f64).collect();
    npy::write(&dir.join("A.npy"), &[t, p], &a).unwrap();
}

fn path(dir: &Path, name: &str) -> String {
    dir.join(name).to_str().unwrap().to_string()
}

#[test]
fn fit_writes_coefficients_barycenter_and_report() {
    let dir = tempfile::tempdir().unwrap();
    write_problem(dir.path());
    let out = path(dir.path(), "out");
    let (x, y) = (path(dir.path(), "X.npy"), path(dir.path(), "Y.npy"));
    let result = mtw(&[
        "fit", "--model", "mtw", "--design", &x, "--target", &y, "--grid", "2,3", "--mu", "0.05",
        "--lambda", "0.05", "--out", &out,
    ]);
    assert!(result.status.success(), "{}", String::from_utf8_lossy(&result.stderr));
    let coef = npy::read(&dir.path().join("out/coef.npy")).unwrap();
    assert_eq!(coef.shape, vec![6, 2]);
    assert!(coef.data.iter().all(|v| v.is_finite()));
    let bary = npy::read(&dir.path().join("out/barycenter.npy")).unwrap();
    assert_eq!(bary.shape, vec![6]);
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("out/fit.json")).unwrap())
            .unwrap();
    assert!(report["objective"].as_f64().unwrap().is_finite());
    assert_eq!(report["converged"], true);
    assert_eq!(report["parameters"]["mu"].as_f64(), Some(0.05));
    assert_eq!(report["parameters"]["translate"], false);
    for key in ["datafit", "ot", "l1"] {
        assert!(report["objective_parts"][key].is_number(), "missing part {key}");
    }

    // With the translation step: the same fit, recorded as such.
    let moved = path(dir.path(), "moved");
    let result = mtw(&[
        "fit",
        "--model",
        "mtw",
        "--design",
        &x,
        "--target",
        &y,
        "--grid",
        "2,3",
        "--mu",
        "0.05",
        "--lambda",
        "0.05",
        "--translate",
        "--out",
        &moved,
    ]);
    assert!(result.status.success(), "{}", String::from_utf8_lossy(&result.stderr));
    let moved_report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("moved/fit.json")).unwrap())
            .unwrap();
    assert_eq!(moved_report["parameters"]["translate"], true);
    let moved_coef = npy::read(&dir.path().join("moved/coef.npy")).unwrap();
    let gap =
        coef.data.iter().zip(&moved_coef.data).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max);
    let scale = coef.data.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    assert!(gap <= 1e-5 * scale, "coefficients differ by {gap:e} (max {scale:e})");
}

#[test]
fn every_baseline_runs_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    write_problem(dir.path());
    let (x, y) = (path(dir.path(), "X.npy"), path(dir.path(), "Y.npy"));
    for (model, extra) in [
        ("lasso", vec!["--lambda", "0.02,0.03"]),
        ("relasso", vec!["--lambda", "0.02"]),
        ("group-lasso", vec!["--mu", "0.02"]),
        ("dirty", vec!["--mu", "0.05", "--lambda", "0.03"]),
        ("mll", vec!["--mu", "0.02", "--lambda", "0.02"]),
    ] {
        let out = path(dir.path(), model);
        let mut args = vec!["fit", "--model", model, "--design", &x, "--target", &y, "--out", &out];
        args.extend(extra);
        let result = mtw(&args);
        assert!(result.status.success(), "{model}: {}", String::from_utf8_lossy(&result.stderr));
        let report = std::fs::read_to_string(dir.path().join(model).join("fit.json")).unwrap();
        assert!(report.contains("penalty_limits"), "{model}");
        if model == "dirty" || model == "mll" {
            assert!(dir.path().join(model).join("coef_shared.npy").exists());
        }
    }
}

#[test]
fn barycenter_writes_its_outputs() {
    let dir = tempfile::tempdir().unwrap();
    write_problem(dir.path());
    let out = path(dir.path(), "bary");
    let a = path(dir.path(), "A.npy");
    let result = mtw(&[
        "barycenter",
        "--inputs",
        &a,
        "--grid",
        "6",
        "--epsilon",
        "0.1",
        "--gamma",
        "1",
        "--out",
        &out,
    ]);
    assert!(result.status.success(), "{}", String::from_utf8_lossy(&result.stderr));
    assert_eq!(npy::read(&dir.path().join("bary/marginals.npy")).unwrap().shape, vec![2, 6]);
    let report = std::fs::read_to_string(dir.path().join("bary/barycenter.json")).unwrap();
    assert!(report.contains("ot_objective") && report.contains("log_domain_used"));
}

#[test]
fn barycenter_translate_flag_gives_the_same_barycenter() {
    let dir = tempfile::tempdir().unwrap();
    write_problem(dir.path());
    let a = path(dir.path(), "A.npy");
    let run = |name: &str, extra: &[&str]| {
        let out = path(dir.path(), name);
        let mut args = vec!["barycenter", "--inputs", &a, "--grid", "6", "--epsilon", "0.01"];
        args.extend(["--gamma", "10", "--tol", "1e-11", "--max-iter", "200000", "--out", &out]);
        args.extend(extra);
        let result = mtw(&args);
        assert!(result.status.success(), "{}", String::from_utf8_lossy(&result.stderr));
        let q = npy::read(&dir.path().join(name).join("barycenter.npy")).unwrap();
        let report = std::fs::read_to_string(dir.path().join(name).join("barycenter.json"));
        (nalgebra::DVector::from_vec(q.data), report.unwrap())
    };
    let (plain, plain_report) = run("plain", &[]);
    let (moved, moved_report) = run("moved", &["--translate"]);
    assert!(plain_report.contains("\"translate\": false"), "{plain_report}");
    assert!(moved_report.contains("\"translate\": true"), "{moved_report}");
    let gap = (&plain - &moved).amax() / plain.amax();
    assert!(gap < 1e-8, "barycenters differ by {gap:e}");
}

#[test]
fn bad_input_exits_2_with_one_line_and_no_output() {
    let dir = tempfile::tempdir().unwrap();
    write_problem(dir.path());
    let (x, y) = (path(dir.path(), "X.npy"), path(dir.path(), "Y.npy"));
    let mut bad_x = vec![0.0; 2 * 8 * 6];
    bad_x[3] = f64::NAN;
    npy::write(&dir.path().join("nan.npy"), &[2, 8, 6], &bad_x).unwrap();
    npy::write(&dir.path().join("y3.npy"), &[3, 8], &[0.0; 24]).unwrap();
    let mut metric = vec![1.0; 36];
    metric[1] = -1.0;
    npy::write(&dir.path().join("neg.npy"), &[6, 6], &metric).unwrap();
    std::fs::write(dir.path().join("junk.npy"), b"not an npy file").unwrap();
    npy::write(&dir.path().join("zero.npy"), &[6, 6], &[0.0; 36]).unwrap();
    let mut sparse = vec![0.0; 36];
    sparse[1] = 1.0;
    npy::write(&dir.path().join("sparse.npy"), &[6, 6], &sparse).unwrap();
    std::fs::write(dir.path().join("a_file"), b"").unwrap();
    let (nan, y3, neg, junk) = (
        path(dir.path(), "nan.npy"),
        path(dir.path(), "y3.npy"),
        path(dir.path(), "neg.npy"),
        path(dir.path(), "junk.npy"),
    );
    let (zero, sparse, a_file) =
        (path(dir.path(), "zero.npy"), path(dir.path(), "sparse.npy"), path(dir.path(), "a_file"));
    let out = path(dir.path(), "never");
    let base = |design: &str, target: &str| {
        vec!["fit".to_string(), "--design".into(), design.into(), "--target".into(), target.into()]
    };
    // Flags a model would ignore are refused rather than dropped silently.
    let strings = |args: &[&str]| args.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let lasso = |extra: &[&str]| {
        [base(&x, &y), strings(&["--model", "lasso", "--lambda", "0.1"]), strings(extra)].concat()
    };
    let cases: Vec<(Vec<String>, &str)> = vec![
        ([base(&nan, &y), vec!["--grid".into(), "2,3".into()]].concat(), "non-finite"),
        ([base(&x, &y3), vec!["--grid".into(), "2,3".into()]].concat(), "tasks"),
        ([base(&x, &y), vec!["--grid".into(), "2,2".into()]].concat(), "features"),
        ([base(&x, &y), vec!["--metric".into(), neg.clone()]].concat(), "negative"),
        ([base(&x, &y), vec!["--metric".into(), zero]].concat(), "all entries 0"),
        ([base(&x, &y), vec!["--metric".into(), sparse]].concat(), "median 0"),
        ([base(&junk, &y), vec!["--grid".into(), "2,3".into()]].concat(), "npy"),
        (
            [base(&x, &y), vec!["--grid".into(), "2,3".into(), "--epsilon".into(), "0".into()]]
                .concat(),
            "epsilon",
        ),
        ([base(&x, &y), vec!["--grid".into(), "2,3".into(), "--mu=-1".into()]].concat(), "mu"),
        (
            [base(&x, &y), vec!["--grid".into(), "2,3".into(), "--gamma=-2".into()]].concat(),
            "gamma",
        ),
        ([base(&x, &y), vec![]].concat(), "metric"),
        ([base(&x, &y), vec!["--grid".into(), "2,3".into(), "--bogus".into()]].concat(), "bogus"),
        (
            [base(&x, &y), vec!["--grid".into(), "2,3".into(), "--grid".into(), "2,3".into()]]
                .concat(),
            "multiple times",
        ),
        ([base(&x, &y), vec!["--grid".into(), "1,2,3,1".into()]].concat(), "three"),
        (lasso(&["--translate"]), "translate = true: only mtw and remtw"),
        (lasso(&["--epsilon", "0.1"]), "epsilon = 0.1: only mtw and remtw"),
        (lasso(&["--grid", "2,3"]), "grid"),
        (lasso(&["--kernel", "dense"]), "kernel"),
        (lasso(&["--tau", "0.3"]), "tau"),
        (lasso(&["--concomitant"]), "concomitant"),
        (lasso(&["--mu", "1"]), "take no µ"),
        (
            [base(&x, &y), strings(&["--model", "group-lasso", "--mu", "1", "--lambda", "2"])]
                .concat(),
            "takes no λ",
        ),
        ([base(&x, &y), strings(&["--model", "mll", "--lambda", "0.1"])].concat(), "no minimum"),
    ];
    let to_file = [base(&x, &y), strings(&["--grid", "2,3", "--out", &a_file])].concat();
    let cases = cases.into_iter().map(|(mut args, needle)| {
        args.extend(["--out".to_string(), out.clone()]);
        (args, needle)
    });
    let under_file =
        [base(&x, &y), strings(&["--grid", "2,3", "--out", &format!("{a_file}/sub")])].concat();
    let cases = cases.chain([(to_file, "is not a folder"), (under_file, "is not a folder")]);
    for (args, needle) in cases {
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        let result = mtw(&refs);
        let stderr = String::from_utf8_lossy(&result.stderr);
        assert_eq!(result.status.code(), Some(2), "{args:?}: {stderr}");
        assert_eq!(stderr.trim().lines().count(), 1, "{args:?}: not one line: {stderr}");
        assert!(stderr.to_lowercase().contains(needle), "{args:?}: {stderr} lacks {needle}");
        assert!(!Path::new(&out).join("coef.npy").exists());
    }
}

#[test]
fn usage_errors_name_what_is_missing_on_one_line() {
    for (args, needle) in [
        (vec!["fit", "--design", "X.npy"], "--target <Y.npy> --out <DIR>"),
        (vec!["barycenter"], "--inputs <A.npy> --out <DIR>"),
        (vec!["fit", "--kernel", "foo"], "possible values: auto"),
    ] {
        let result = mtw(&args);
        let stderr = String::from_utf8_lossy(&result.stderr);
        assert_eq!(result.status.code(), Some(2), "{args:?}: {stderr}");
        assert_eq!(stderr.trim().lines().count(), 1, "{args:?}: not one line: {stderr}");
        assert!(stderr.contains(needle), "{args:?}: {stderr} lacks {needle}");
    }
}

#[test]
fn barycenter_names_a_bad_entry_in_the_files_order() {
    let dir = tempfile::tempdir().unwrap();
    let mut a = vec![1.0; 2 * 6];
    a[5] = f64::NAN; // numpy A[0, 5]
    npy::write(&dir.path().join("A.npy"), &[2, 6], &a).unwrap();
    let (input, out) = (path(dir.path(), "A.npy"), path(dir.path(), "bary"));
    let args = ["barycenter", "--inputs", &input, "--grid", "6", "--out", &out];
    let result = mtw(&args);
    assert_eq!(result.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&result.stderr);
    assert!(stderr.contains("A.npy") && stderr.contains("(0, 5)"), "{stderr}");
}

#[test]
fn a_two_dimensional_design_is_shared_by_every_task() {
    let dir = tempfile::tempdir().unwrap();
    write_problem(dir.path());
    let (t, n, p) = (2, 8, 6);
    let x = npy::read(&dir.path().join("X.npy")).unwrap();
    let first = &x.data[..n * p];
    npy::write(&dir.path().join("X2.npy"), &[n, p], first).unwrap();
    npy::write(&dir.path().join("X3.npy"), &[t, n, p], &[first, first].concat()).unwrap();
    let y = path(dir.path(), "Y.npy");
    let fit = |design: &str, out: &str| {
        let (design, out) = (path(dir.path(), design), path(dir.path(), out));
        let result = mtw(&[
            "fit", "--model", "mtw", "--design", &design, "--target", &y, "--grid", "2,3", "--mu",
            "0.05", "--lambda", "0.05", "--out", &out,
        ]);
        assert!(result.status.success(), "{}", String::from_utf8_lossy(&result.stderr));
        npy::read(&dir.path().join(out).join("coef.npy")).unwrap()
    };
    let shared = fit("X2.npy", "shared");
    let stacked = fit("X3.npy", "stacked");
    assert_eq!(shared.shape, vec![p, t]);
    assert_eq!(shared.data, stacked.data);
}

#[test]
fn a_fit_that_fails_leaves_no_output_folder() {
    // Targets near f32's range pass the input checks, but the objective overflows in f32.
    let dir = tempfile::tempdir().unwrap();
    write_problem(dir.path());
    let y = npy::read(&dir.path().join("Y.npy")).unwrap().to_matrix::<f64>(Path::new("Y"), "Y");
    let huge: Vec<f64> = y.unwrap().transpose().iter().map(|v| v * 1.6e19).collect();
    npy::write(&dir.path().join("huge.npy"), &[2, 8], &huge).unwrap();
    let out = path(dir.path(), "made_for_the_fit");
    let (x, huge) = (path(dir.path(), "X.npy"), path(dir.path(), "huge.npy"));
    let args = ["fit", "--design", &x, "--target", &huge, "--precision", "f32", "--out", &out];
    let result = mtw(&[&args[..], &["--model", "lasso", "--lambda", "0.1"]].concat());
    let stderr = String::from_utf8_lossy(&result.stderr);
    assert_eq!(result.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("numerical failure"), "{stderr}");
    assert!(!Path::new(&out).exists(), "the folder made for the failed fit is left behind");
}

#[test]
fn an_unpenalised_baseline_says_why_it_does_not_converge() {
    let dir = tempfile::tempdir().unwrap();
    write_problem(dir.path());
    let (x, y, out) =
        (path(dir.path(), "X.npy"), path(dir.path(), "Y.npy"), path(dir.path(), "out"));
    let base = ["fit", "--design", &x, "--target", &y, "--out", &out, "--model", "lasso"];
    let unpenalised = mtw(&[&base[..], &["--max-iter", "50"]].concat());
    let stderr = String::from_utf8_lossy(&unpenalised.stderr);
    assert!(unpenalised.status.success(), "{stderr}");
    assert!(stderr.contains("every penalty is 0"), "{stderr}");

    let capped = mtw(&[&base[..], &["--lambda", "0.01", "--max-iter", "2"]].concat());
    let stderr = String::from_utf8_lossy(&capped.stderr);
    assert!(capped.status.success(), "{stderr}");
    assert!(!stderr.contains("every penalty is 0"), "{stderr}");
}
