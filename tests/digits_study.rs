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
}

#[test]
fn bad_flags_and_data_are_typed_errors() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("o");
    let cases: [(&[&str], &str); 3] = [
        (&["--digits", "3"], "at least two digits"),
        (&["--sizes", "200"], "must be in 1..200"),
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
