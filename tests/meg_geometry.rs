//! Meshes, normals, geodesic distances, the ground metric and the 11 regions against the
//! public references (MEG.md §5–6).

mod common;

use std::time::Instant;

use common::{get, load, matrix, scalar};
use mtw::geometry::{distance_rows, parse_obj, read_obj, EdgeGraph, TriMesh, Vec3};
use mtw::meg::{self, farthest_point_regions, geodesic_distances, ico4_ground_metric_m};
use mtw::meg::{SourceSpaceKind, Transform};
use mtw::Error;
use nalgebra::DMatrix;
use serde_json::Value;

fn data(name: &str) -> std::path::PathBuf {
    meg::default_data_dir().join(name)
}

fn indices(v: &Value) -> Vec<usize> {
    v.as_array().unwrap().iter().map(|x| x.as_u64().unwrap() as usize).collect()
}

/// Elementwise |a − b| <= rtol |b| (exact where b = 0); returns the worst ratio.
fn worst_rel(a: &DMatrix<f64>, b: &DMatrix<f64>) -> f64 {
    assert_eq!(a.shape(), b.shape());
    a.iter()
        .zip(b.iter())
        .map(|(x, y)| {
            if *y == 0.0 {
                if *x == 0.0 {
                    0.0
                } else {
                    f64::INFINITY
                }
            } else {
                ((x - y) / y).abs()
            }
        })
        .fold(0.0, f64::max)
}

#[test]
fn meshes_have_the_documented_sizes() {
    let full = read_obj(data(meg::LH_WHITE_OBJ)).unwrap();
    let ico4 = read_obj(data(meg::LH_WHITE_ICO4_OBJ)).unwrap();
    assert_eq!((full.n_vertices(), full.n_faces(), full.edges().len()), (10242, 20480, 30720));
    assert_eq!((ico4.n_vertices(), ico4.n_faces(), ico4.edges().len()), (2562, 5120, 7680));
    assert_eq!(&full.vertices[..2562], &ico4.vertices[..], "ico-4 vertices are 0..2561");
    let lengths: Vec<f64> =
        ico4.edges().iter().map(|&(a, b)| (ico4.vertices[a] - ico4.vertices[b]).norm()).collect();
    let (min, max) = lengths.iter().fold((f64::MAX, 0.0f64), |(lo, hi), &l| (lo.min(l), hi.max(l)));
    let mean = lengths.iter().sum::<f64>() / lengths.len() as f64;
    assert!((1.7..1.9).contains(&min) && (13.0..14.0).contains(&max) && (5.6..5.7).contains(&mean));
}

#[test]
fn vertex_normals_are_unit_and_point_outward() {
    let mesh = read_obj(data(meg::LH_WHITE_OBJ)).unwrap();
    let normals = mesh.vertex_normals();
    assert!(normals.iter().all(|n| (n.norm() - 1.0).abs() < 1e-12));
    let c = mesh.centroid();
    let dots: Vec<f64> =
        mesh.vertices.iter().zip(&normals).map(|(v, n)| n.dot(&(v - c).normalize())).collect();
    let outward = dots.iter().filter(|&&d| d > 0.0).count() as f64 / dots.len() as f64;
    let mean = dots.iter().sum::<f64>() / dots.len() as f64;
    eprintln!("normals: {:.1} % outward, mean cosine {mean:.3}", 100.0 * outward);
    assert!(outward > 0.7 && mean > 0.3, "outward {outward}, mean {mean}");

    // A hand-checked tetrahedron: the normal at a corner is the mean of its three faces.
    let tet = parse_obj(
        "v 0 0 0\nv 1 0 0\nv 0 1 0\nv 0 0 1\nf 1 3 2\nf 1 2 4\nf 1 4 3\nf 2 3 4\n",
        "tet",
    )
    .unwrap();
    let n0 = tet.vertex_normals()[0];
    assert!((n0 - Vec3::new(-1.0, -1.0, -1.0).normalize()).norm() < 1e-15);
}

#[test]
fn geodesic_rows_match_scipy() {
    let r = load("meg_geodesic_public.json");
    let sources = indices(get(&r, "source_vertices"));
    let ico4 = read_obj(data(meg::LH_WHITE_ICO4_OBJ)).unwrap();
    let rows = distance_rows(&EdgeGraph::from_mesh(&ico4), &sources).unwrap();
    let err = worst_rel(&rows, &matrix(get(&r, "rows_ico4")));
    eprintln!("rows_ico4: worst elementwise relative error {err:.2e} (tol 1e-9)");
    assert!(err < 1e-9);

    let full = read_obj(data(meg::LH_WHITE_OBJ)).unwrap();
    let rows = distance_rows(&EdgeGraph::from_mesh(&full), &sources).unwrap();
    let err = worst_rel(&rows.columns(0, 2562).into_owned(), &matrix(get(&r, "rows_full")));
    eprintln!("rows_full: worst elementwise relative error {err:.2e} (tol 1e-9)");
    assert!(err < 1e-9);
}

#[test]
fn ground_metric_statistics_match() {
    let r = load("meg_geodesic_public.json");
    let stats = get(&r, "full_matrix_stats_recommended_set/ico4");
    let vertices = SourceSpaceKind::Recommended.vertices().unwrap();
    let ico4 = read_obj(data(meg::LH_WHITE_ICO4_OBJ)).unwrap();
    let start = Instant::now();
    let m = geodesic_distances(&ico4, &vertices).unwrap();
    eprintln!("2102 x 2102 geodesic metric in {:.2} s", start.elapsed().as_secs_f64());
    assert_eq!(m.shape(), (2102, 2102));

    let mut sorted: Vec<f64> = m.iter().copied().collect();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len();
    let median = 0.5 * (sorted[n / 2 - 1] + sorted[n / 2]);
    let ours = [
        ("max_mm", m.max()),
        ("mean_mm", m.mean()),
        ("sum_mm", m.sum()),
        ("frobenius_mm", m.norm()),
        ("median_mm", median),
        ("row0_sum_mm", m.row(0).sum()),
    ];
    for (key, value) in ours {
        let expected = scalar(get(stats, key));
        let rel = common::rel_diff(value, expected);
        eprintln!("{key}: {value} vs {expected} (rel {rel:.1e})");
        assert!(rel < 1e-9, "{key}");
    }
    let asym = (&m - m.transpose()).amax() / m.max();
    assert!(asym < 1e-13, "asymmetry {asym}");
    assert!(m.diagonal().iter().all(|&d| d == 0.0));

    let metres = ico4_ground_metric_m(meg::default_data_dir(), &vertices[..50]).unwrap();
    let sub = m.view((0, 0), (50, 50)) / 1000.0;
    assert!((metres - sub).amax() < 1e-15);
}

#[test]
fn regions_match_the_reference() {
    let r = load("meg_regions_fps11.json");
    let vertices = SourceSpaceKind::Recommended.vertices().unwrap();
    let ico4 = read_obj(data(meg::LH_WHITE_ICO4_OBJ)).unwrap();
    let m = geodesic_distances(&ico4, &vertices).unwrap();
    let regions = farthest_point_regions(&m, 11).unwrap();
    assert_eq!(regions.seeds, indices(get(&r, "seeds_position")));
    let seed_vertices: Vec<usize> = regions.seeds.iter().map(|&s| vertices[s]).collect();
    assert_eq!(seed_vertices, indices(get(&r, "seeds_vertex")));
    assert_eq!(regions.labels, indices(get(&r, "labels")));
    assert_eq!(regions.sizes(), indices(get(&r, "region_sizes")));
    let radius = scalar(get(&r, "covering_radius_mm"));
    assert!(common::rel_diff(regions.covering_radius, radius) < 1e-12);
    assert_eq!(regions.members(3).len(), regions.sizes()[3]);
    assert!(farthest_point_regions(&m, 0).is_err());
    assert!(farthest_point_regions(&m.columns(0, 5).into_owned(), 2).is_err());
}

#[test]
fn dijkstra_on_a_small_graph() {
    // A square 0-1-2-3 with a long diagonal 0-2: the detour is shorter.
    let g = EdgeGraph::from_edges(
        5,
        &[(0, 1, 1.0), (1, 2, 1.5), (2, 3, 1.0), (3, 0, 2.0), (0, 2, 3.0)],
    )
    .unwrap();
    assert_eq!(g.distances_from(0).unwrap()[..4], [0.0, 1.0, 2.5, 2.0]);
    assert_eq!(g.distances_from(0).unwrap()[4], f64::INFINITY, "node 4 is isolated");
    assert!(g.distances_from(5).is_err());
    assert!(EdgeGraph::from_edges(2, &[(0, 2, 1.0)]).is_err());
    assert!(EdgeGraph::from_edges(2, &[(0, 1, -1.0)]).is_err());
    let two = read_obj(data(meg::LH_WHITE_ICO4_OBJ)).unwrap();
    let outside = geodesic_distances(&two, &[0, 2562]);
    assert!(matches!(outside, Err(Error::Shape(_))));
}

fn format_reason(result: Result<TriMesh, Error>) -> String {
    match result {
        Err(Error::Format { reason, .. }) => reason,
        other => panic!("expected a format error, got {other:?}"),
    }
}

#[test]
fn bad_obj_files_are_typed_errors() {
    let ok = "v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 3\n";
    assert_eq!(parse_obj(ok, "ok").unwrap().n_faces(), 1);
    assert!(format_reason(parse_obj("v 0 0 0\nv 1 0", "t")).contains("line 2"));
    assert!(format_reason(parse_obj("v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2", "t")).contains("line 4"));
    assert!(
        format_reason(parse_obj("v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 4\n", "t")).contains("vertex 4")
    );
    assert!(format_reason(parse_obj("v 0 0 0\nv 1 0 0\nv 0 1 0\nf 0 1 2\n", "t")).contains("0"));
    assert!(format_reason(parse_obj("v 0 0 x\n", "t")).contains("\"x\""));
    assert!(format_reason(parse_obj("v 0 0 nan\n", "t")).contains("finite"));
    assert!(
        format_reason(parse_obj("v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 2\n", "t")).contains("repeats")
    );
    assert!(format_reason(parse_obj("# nothing\n", "t")).contains("no vertex"));
    assert!(format_reason(parse_obj("v 0 0 0\nv 1 0 0\nv 0 1 0\nv 1 1 0\nf 1 2 3 4\n", "t"))
        .contains("triangles"));

    // A real file cut in the middle of a record.
    let text = std::fs::read_to_string(data(meg::LH_WHITE_ICO4_OBJ)).unwrap();
    let cut = &text[..text.len() / 2];
    let cut = &cut[..cut.rfind(' ').unwrap()];
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cut.obj");
    std::fs::write(&path, cut).unwrap();
    let reason = format_reason(read_obj(&path));
    eprintln!("truncated OBJ: {reason}");
    assert!(matches!(read_obj(dir.path().join("none.obj")), Err(Error::Io { .. })));
}

#[test]
fn metric_and_sources_share_vertex_numbering() {
    // Source positions come from the full mesh; the metric from the ico-4 mesh: same vertices.
    let full = read_obj(data(meg::LH_WHITE_OBJ)).unwrap();
    let src =
        mtw::meg::SourceSpace::from_mesh("all ico-4", &full, &[0, 1, 2561], &Transform::head_mri())
            .unwrap();
    let ico4 = read_obj(data(meg::LH_WHITE_ICO4_OBJ)).unwrap();
    assert_eq!(src.rr_mri[2], ico4.vertices[2561] / 1000.0);
}
