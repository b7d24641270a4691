//! `mtw meg-forward` end to end: output files, shapes, units, the reference lead field of
//! subject P through `--trans`, head scaling, and typed errors (exit status 2).

mod common;

use std::path::Path;
use std::process::{Command, Output};

use common::{get, load, matrix};
use mtw::io::npy;
use mtw::meg::{read_regions_csv, SourceSpace, SourceSpaceKind, Subject, SPHERE_ORIGIN_HEAD};
use nalgebra::DMatrix;

fn mtw(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mtw")).args(args).output().expect("runs the mtw binary")
}

fn read_matrix(path: &Path) -> DMatrix<f64> {
    npy::read(path).unwrap().to_matrix(path, "output").unwrap()
}

/// Rows of sources.csv as numbers (header dropped).
fn source_rows(path: &Path) -> Vec<Vec<f64>> {
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("index,vertex,x,y,z,nx,ny,nz"));
    lines.map(|l| l.split(',').map(|v| v.parse().unwrap()).collect()).collect()
}

fn ok(out: &Output) {
    assert!(out.status.success(), "stderr: {}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn default_run_writes_the_four_files() {
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().join("out");
    ok(&mtw(&["meg-forward", "--out", out_dir.to_str().unwrap()]));

    let x = read_matrix(&out_dir.join("X.npy"));
    assert_eq!(x.shape(), (204, 2102));
    assert!(x.iter().all(|v| v.is_finite()) && x.amax() > 0.0);
    // Gradiometer gains of a 1 A·m dipole 4–12 cm away: 1e-5 to 1e-1 T/m.
    assert!(x.amax() > 1e-4 && x.amax() < 1.0, "{}", x.amax());

    let src =
        SourceSpace::load(mtw::meg::default_data_dir(), SourceSpaceKind::Recommended).unwrap();
    let rows = source_rows(&out_dir.join("sources.csv"));
    assert_eq!(rows.len(), 2102);
    for (i, row) in rows.iter().enumerate().step_by(97) {
        assert_eq!(row[0] as usize, i);
        assert_eq!(row[1] as usize, src.vertices[i]);
        for a in 0..3 {
            assert_eq!(row[2 + a], src.rr_head[i][a], "round-trip position");
            assert_eq!(row[5 + a], src.nn_head[i][a], "round-trip normal");
        }
    }

    let metric = read_matrix(&out_dir.join("metric.npy"));
    assert_eq!(metric.shape(), (2102, 2102));
    assert!((metric.max() - 0.2398669).abs() < 1e-7, "metres: {}", metric.max());
    let regions = read_regions_csv(&out_dir.join("regions.csv")).unwrap();
    assert_eq!(regions.n_regions(), 11);
    assert_eq!(
        regions.labels,
        common::get(&load("meg_regions_fps11.json"), "labels")
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_u64().unwrap() as usize)
            .collect::<Vec<_>>()
    );

    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out_dir.join("meg_forward.json")).unwrap())
            .unwrap();
    // Nominal placement: no rotation, (0, 0, 65) mm.
    let t = matrix(get(&report, "dev_head_t"));
    assert_eq!(
        t,
        DMatrix::from_row_slice(
            4,
            4,
            &[1.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.065, 0.0, 0.0, 0.0, 1.0,]
        )
    );
}

#[test]
fn trans_of_subject_p_reproduces_the_reference_and_scale_moves_sources() {
    let dir = tempfile::tempdir().unwrap();
    let trans = dir.path().join("P.npy");
    let rows = Subject::P.dev_head_t().unwrap().to_rows();
    npy::write(&trans, &[4, 4], &rows.concat()).unwrap();
    let out_dir = dir.path().join("p");
    ok(&mtw(&[
        "meg-forward",
        "--trans",
        trans.to_str().unwrap(),
        "--sources",
        "cortex",
        "--scale",
        "1.05",
        "--out",
        out_dir.to_str().unwrap(),
    ]));
    let x = read_matrix(&out_dir.join("X.npy"));
    assert_eq!(x.shape(), (204, 2361));

    // Scaled sources: o + 1.05 (r − o).
    let src =
        SourceSpace::load(mtw::meg::default_data_dir(), SourceSpaceKind::Alternative).unwrap();
    let rows = source_rows(&out_dir.join("sources.csv"));
    for (i, row) in rows.iter().enumerate().step_by(131) {
        for a in 0..3 {
            let expected =
                SPHERE_ORIGIN_HEAD[a] + 1.05 * (src.rr_head[i][a] - SPHERE_ORIGIN_HEAD[a]);
            assert!((row[2 + a] - expected).abs() < 1e-15, "{} vs {expected}", row[2 + a]);
        }
    }

    // Unscaled P against MNE's lead field on the 50 reference sources (MEG.md §3: 2e-5).
    let out_p = dir.path().join("p1");
    ok(&mtw(&[
        "meg-forward",
        "--trans",
        trans.to_str().unwrap(),
        "--sources",
        "cortex",
        "--out",
        out_p.to_str().unwrap(),
    ]));
    let x = read_matrix(&out_p.join("X.npy"));
    let r = load("meg_leadfield_public.json");
    let expected = matrix(get(&r, "leadfield"));
    let vertices: Vec<usize> = get(&r, "sources/vertices")
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap() as usize)
        .collect();
    let worst = vertices
        .iter()
        .enumerate()
        .map(|(j, v)| {
            let col =
                src.vertices.iter().position(|w| w == v).expect("reference vertex in the set");
            (x.column(col) - expected.column(j)).norm() / expected.column(j).norm()
        })
        .fold(0.0, f64::max);
    eprintln!("meg-forward vs MNE (subject P): col-rel {worst:.2e}");
    assert!(worst < 2e-5, "{worst}");
}

#[test]
fn bad_inputs_exit_2_with_a_message() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let out = out.to_str().unwrap();
    let wrong_shape = dir.path().join("t34.npy");
    npy::write(&wrong_shape, &[3, 4], &[0.0; 12]).unwrap();
    // 4 × 4 transforms: the identity with entry (2, 3) (the z translation, metres) and one
    // more entry changed.
    let transform = |name: &str, z: f64, (index, value): (usize, f64)| {
        let mut t = [1.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 1.0, z, 0.0, 0.0, 0.0, 1.0];
        t[index] = value;
        let path = dir.path().join(name);
        npy::write(&path, &[4, 4], &t).unwrap();
        path
    };
    let stretched = transform("stretch.npy", 0.065, (0, 2.0));
    let bad_last_row = transform("last.npy", 0.065, (14, 1.0));
    // The identity: the head 65 mm off its nominal place, through the sensors (sources beyond
    // the nearest coil).
    let through = transform("through.npy", 0.0, (0, 1.0));
    // The nominal 65 mm written as 65 (millimetres where metres are expected): the helmet
    // is 65 m away and the lead field would be ~1e-15.
    let far = transform("far.npy", 65.0, (0, 1.0));
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["--trans", through.to_str().unwrap()], "helmet"),
        (vec!["--trans", far.to_str().unwrap()], "in metres"),
        (vec!["--scale", "3"], "helmet"),
        (vec!["--trans", wrong_shape.to_str().unwrap()], "4 x 4"),
        (vec!["--trans", stretched.to_str().unwrap()], "rotation"),
        (vec!["--trans", bad_last_row.to_str().unwrap()], "last row"),
        (vec!["--trans", "/nonexistent/T.npy"], "T.npy"),
        (vec!["--scale", "0"], "scale"),
        (vec!["--scale", "NaN"], "scale"),
        (vec!["--data-dir", "/nonexistent"], "nonexistent"),
    ];
    for (extra, needle) in cases {
        let mut args = vec!["meg-forward", "--out", out];
        args.extend(extra.iter().copied());
        let result = mtw(&args);
        let stderr = String::from_utf8_lossy(&result.stderr);
        assert_eq!(result.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.starts_with("mtw: error:") && stderr.contains(needle), "{args:?}: {stderr}");
    }
    assert!(!Path::new(out).join("X.npy").exists(), "nothing written on error");
}
