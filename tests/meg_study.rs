//! The MEG study operators: template setup (subjects, lead fields, metric, regions), head
//! placements, `regions.csv` / `sources.csv`, the user lead-field folder, and a simulation on
//! the real operators.

mod common;

use common::{get, load, matrix};
use mtw::geometry::Vec3;
use mtw::io::npy;
use mtw::meg::{
    self, load_leadfield_dir, read_regions_csv, study_setup, write_regions_csv, write_sources_csv,
    GradiometerArray, HeadPlacement, RegionTable, SourceSpace, SourceSpaceKind, StudyOptions,
    Subject, Transform,
};
use mtw::sim::meg::{simulate, MegSimulationConfig};
use mtw::Error;
use nalgebra::DMatrix;
use serde_json::Value;

fn indices(v: &Value) -> Vec<usize> {
    v.as_array().unwrap().iter().map(|x| x.as_u64().unwrap() as usize).collect()
}

fn col_rel(a: &DMatrix<f64>, b: &DMatrix<f64>) -> f64 {
    (0..b.ncols())
        .map(|j| (a.column(j) - b.column(j)).norm() / b.column(j).norm())
        .fold(0.0, f64::max)
}

#[test]
fn template_setup_builds_the_paper_operators() {
    let setup = study_setup(17, 3, &StudyOptions::default()).unwrap();
    let p = 2102;
    assert_eq!(setup.sources.n_sources(), p);
    assert_eq!(setup.leadfields.len(), 3);
    for x in &setup.leadfields {
        assert_eq!(x.shape(), (204, p));
        assert!(x.iter().all(|v| v.is_finite()));
    }
    // Different head positions give different lead fields (MEG.md §2: a few % apart).
    let rel = (&setup.leadfields[0] - &setup.leadfields[1]).norm() / setup.leadfields[0].norm();
    assert!(rel > 1e-3 && rel < 1.0, "{rel}");
    // The subjects are those of the distribution for this seed.
    let again = StudyOptions::default().subjects.draw_many(17, 3).unwrap();
    assert_eq!(setup.subjects, again);

    // Metric in metres: MEG.md §5 statistics of the recommended set (max 239.8669 mm, sum
    // 4.918438179e8 mm).
    assert_eq!(setup.metric_m.shape(), (p, p));
    assert!((setup.metric_m.max() - 0.2398669).abs() < 1e-7, "{}", setup.metric_m.max());
    let sum = setup.metric_m.sum();
    assert!((sum / 4.918438179e5 - 1.0).abs() < 1e-8, "{sum}");

    // Regions: the reference FPS seeds and labels.
    let r = load("meg_regions_fps11.json");
    let seeds: Vec<usize> =
        setup.regions.seeds.iter().map(|&s| setup.sources.vertices[s]).collect();
    assert_eq!(seeds, indices(get(&r, "seeds_vertex")));
    assert_eq!(setup.regions.labels, indices(get(&r, "labels")));
    let table = setup.region_table().unwrap();
    assert_eq!(table.n_regions(), 11);
}

#[test]
fn alternative_source_space_and_region_count() {
    let options = StudyOptions {
        source_space: SourceSpaceKind::Alternative,
        n_regions: 4,
        ..Default::default()
    };
    let setup = study_setup(1, 1, &options).unwrap();
    assert_eq!(setup.leadfields[0].shape(), (204, 2361));
    assert_eq!(setup.regions.n_regions(), 4);
    assert!(matches!(study_setup(1, 0, &options), Err(Error::Empty(_))));
}

#[test]
fn placement_of_subject_p_matches_the_reference_leadfield() {
    let r = load("meg_leadfield_public.json");
    let vertices = indices(get(&r, "sources/vertices"));
    let mesh = mtw::geometry::read_obj(meg::default_data_dir().join(meg::LH_WHITE_OBJ)).unwrap();
    let src = SourceSpace::from_mesh("public", &mesh, &vertices, &Transform::mri_head()).unwrap();
    let array = GradiometerArray::load(meg::default_data_dir()).unwrap();
    let x = HeadPlacement::of_subject(&Subject::P).unwrap().leadfield(&array, &src).unwrap();
    let cr = col_rel(&x, &matrix(get(&r, "leadfield")));
    assert!(cr < 2e-5, "{cr}");
}

#[test]
fn placements_are_validated() {
    let nominal = HeadPlacement::nominal();
    assert_eq!(nominal.dev_head_t.translation(), Vec3::new(0.0, 0.0, 0.065));
    assert_eq!(nominal.dev_head_t.rotation(), nalgebra::Matrix3::identity());
    let mut rows = nominal.dev_head_t.to_rows();
    rows[0][0] = 1.1; // a stretch, not a rotation
    let stretched = Transform::from_rows(rows).unwrap();
    assert!(matches!(HeadPlacement::new(stretched, 1.0), Err(Error::Parameter { .. })));
    let mut mirror = nominal.dev_head_t.to_rows();
    mirror[0][0] = -1.0; // determinant −1
    let mirrored = Transform::from_rows(mirror).unwrap();
    assert!(matches!(HeadPlacement::new(mirrored, 1.0), Err(Error::Parameter { .. })));
    for bad in [0.0, -1.0, f64::NAN] {
        assert!(HeadPlacement::new(nominal.dev_head_t, bad).is_err());
    }
}

#[test]
fn regions_csv_round_trips_and_rejects_bad_tables() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("regions.csv");
    let table = RegionTable::new(vec![10, 20, 30, 40], vec![1, 0, 1, 2]).unwrap();
    write_regions_csv(&path, &table).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    assert_eq!(text, "index,vertex,region\n0,10,1\n1,20,0\n2,30,1\n3,40,2\n");
    assert_eq!(read_regions_csv(&path).unwrap(), table);

    let cases = [
        ("index,vertex,region\n0,10,0\n2,20,1\n", "index 2"),
        ("index,vertex,region\n0,10,0\n1,20,2\n", "region 1"),
        ("index,vertex\n0,10\n", "missing column"),
        ("index,vertex,region\n0,10,x\n", "not an integer"),
        ("index,vertex,region\n", "no rows"),
    ];
    for (text, needle) in cases {
        std::fs::write(&path, text).unwrap();
        let err = read_regions_csv(&path).unwrap_err();
        assert!(matches!(err, Error::Format { .. }), "{err}");
        assert!(err.to_string().contains(needle), "{err} should mention {needle:?}");
    }
    assert!(matches!(RegionTable::new(vec![1], vec![0, 0]), Err(Error::Shape(_))));
}

#[test]
fn sources_csv_has_one_row_per_source() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sources.csv");
    let rr = [Vec3::new(0.01, -0.02, 0.0625), Vec3::new(0.0, 0.1, 0.2)];
    let nn = [Vec3::new(1.0, 0.0, 0.0), Vec3::new(0.0, 0.6, 0.8)];
    write_sources_csv(&path, &[5, 9], &rr, &nn).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    assert_eq!(
        text,
        "index,vertex,x,y,z,nx,ny,nz\n0,5,0.01,-0.02,0.0625,1,0,0\n1,9,0,0.1,0.2,0,0.6,0.8\n"
    );
    assert!(matches!(write_sources_csv(&path, &[5], &rr, &nn), Err(Error::Shape(_))));
}

/// Writes X (T × n × p) and M (p × p) into `dir`.
fn write_user_dir(dir: &std::path::Path, t: usize, n: usize, p: usize, mp: usize) {
    let x: Vec<f64> = (0..t * n * p).map(|i| ((i * 37 % 101) as f64 - 50.0) * 1e-6).collect();
    npy::write(&dir.join("X.npy"), &[t, n, p], &x).unwrap();
    let m = DMatrix::from_fn(mp, mp, |i, j| (i as f64 - j as f64).abs());
    npy::write_matrix(&dir.join("metric.npy"), &m).unwrap();
}

#[test]
fn user_leadfield_folder_is_loaded_and_checked() {
    let dir = tempfile::tempdir().unwrap();
    write_user_dir(dir.path(), 2, 6, 9, 9);
    let user = load_leadfield_dir(dir.path(), 3).unwrap();
    assert_eq!(user.leadfields.len(), 2);
    assert_eq!(user.leadfields[1].shape(), (6, 9));
    assert!(!user.regions_from_file);
    assert_eq!(user.regions.n_regions(), 3);
    // On a line metric, FPS seeds are 8, 0 and 4: the labels split 0..9 into three runs.
    assert_eq!(user.regions.labels, vec![1, 1, 1, 2, 2, 2, 0, 0, 0]);
    // X.npy element (t, i, j) is the (i, j) entry of task t.
    let expected = ((((6 + 2) * 9 + 3) * 37 % 101) as f64 - 50.0) * 1e-6;
    assert_eq!(user.leadfields[1][(2, 3)], expected);

    let table = RegionTable::new((100..109).collect(), vec![0, 0, 0, 1, 1, 1, 2, 2, 2]).unwrap();
    write_regions_csv(&dir.path().join("regions.csv"), &table).unwrap();
    let user = load_leadfield_dir(dir.path(), 3).unwrap();
    assert!(user.regions_from_file);
    assert_eq!(user.regions, table);

    // Wrong shapes: regions of another length, metric of another size, X with two axes.
    let short = RegionTable::new(vec![1, 2], vec![0, 1]).unwrap();
    write_regions_csv(&dir.path().join("regions.csv"), &short).unwrap();
    assert!(matches!(load_leadfield_dir(dir.path(), 3), Err(Error::Shape(_))));
    std::fs::remove_file(dir.path().join("regions.csv")).unwrap();
    write_user_dir(dir.path(), 2, 6, 9, 8);
    let err = load_leadfield_dir(dir.path(), 3).unwrap_err();
    assert!(matches!(err, Error::Shape(_)) && err.to_string().contains("p = 9"), "{err}");
    npy::write(&dir.path().join("X.npy"), &[6, 9], &[0.0; 54]).unwrap();
    assert!(matches!(load_leadfield_dir(dir.path(), 3), Err(Error::Shape(_))));
    let missing = tempfile::tempdir().unwrap();
    assert!(matches!(load_leadfield_dir(missing.path(), 3), Err(Error::Io { .. })));
}

#[test]
fn simulation_on_the_template_operators() {
    let setup = study_setup(3, 2, &StudyOptions::default()).unwrap();
    let config = MegSimulationConfig { n_sources: 3, overlap: 1.0 / 3.0, ..Default::default() };
    let sim = simulate(&setup.leadfields, &setup.regions.labels, &config, 3, "figure-4").unwrap();
    assert_eq!(sim.designs[0].shape(), (204, 2102));
    assert_eq!(sim.sources.n_shared, 1);
    // fT/cm per nAm: gradiometer gains of 1e-4–1e-2 T/m per A·m give c of order 1–100.
    assert!(sim.design_scale > 0.1 && sim.design_scale < 1e3, "{}", sim.design_scale);
    let power: f64 =
        (0..2).map(|t| (&sim.designs[t] * sim.coef.column(t)).norm_squared()).sum::<f64>();
    // Per sample: SNR² = Σ_t ‖X_t θ_t‖² / (T n σ²), n = 204.
    let snr = (power / (2.0 * 204.0 * sim.sigma * sim.sigma)).sqrt();
    assert!((snr - 4.0).abs() < 1e-12, "{snr}");
    eprintln!(
        "template simulation: c = {:.4} fT/cm per nAm, sigma = {:.4} ({:.2} fT/cm)",
        sim.design_scale,
        sim.sigma,
        sim.sigma * sim.design_scale
    );
}
