//! Cortex figures: a PNG of the expected size with the simulated sources of two tasks (the
//! setting of the paper's Figure 4), an SVG, the sulcal proxy, and typed errors.
//!
//! Set `MTW_KEEP_FIGURE=/some/dir` to keep the PNG for a visual check.

use std::path::Path;

use mtw::meg::figure::RGBColor;
use mtw::meg::{
    self, draw_panels, study_setup, task_color, CortexSurface, Marker, MarkerShape, Panel,
    StudyOptions, View,
};
use mtw::sim::meg::{simulate, MegSimulationConfig};
use mtw::Error;

/// Width and height from a PNG's IHDR chunk (bytes 16..24, big endian).
fn png_size(path: &Path) -> (u32, u32) {
    let bytes = std::fs::read(path).unwrap();
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "PNG signature");
    assert_eq!(&bytes[12..16], b"IHDR");
    let be = |k: usize| u32::from_be_bytes(bytes[k..k + 4].try_into().unwrap());
    (be(16), be(20))
}

#[test]
fn two_task_figure_is_a_png_of_the_expected_size() {
    let surface = CortexSurface::load(meg::default_data_dir()).unwrap();
    assert_eq!(surface.n_vertices(), 10242);
    let setup = study_setup(2019, 2, &StudyOptions::default()).unwrap();
    let config = MegSimulationConfig { n_sources: 3, overlap: 1.0 / 3.0, ..Default::default() };
    let sim = simulate(&setup.leadfields, &setup.regions.labels, &config, 4, "figure").unwrap();

    let vertex = |j: usize| setup.sources.vertices[j];
    let truth: Vec<Marker> = (0..2)
        .flat_map(|t| {
            sim.sources.supports[t].iter().map(move |&j| Marker {
                vertex: j,
                color: task_color(t),
                shape: MarkerShape::Circle,
            })
        })
        .map(|m| Marker { vertex: vertex(m.vertex), ..m })
        .collect();
    let seeds: Vec<Marker> = setup
        .regions
        .seeds
        .iter()
        .map(|&j| Marker {
            vertex: vertex(j),
            color: RGBColor(0, 0, 0),
            shape: MarkerShape::Diamond,
        })
        .collect();
    let crosses: Vec<Marker> =
        truth.iter().map(|m| Marker { shape: MarkerShape::Cross, ..*m }).collect();
    let legend = vec![
        ("task 1".to_string(), task_color(0), MarkerShape::Circle),
        ("task 2".to_string(), task_color(1), MarkerShape::Circle),
    ];
    let panels = vec![
        Panel { title: "Truth".into(), view: View::Lateral, markers: truth.clone(), legend },
        Panel { title: "Estimates".into(), view: View::Lateral, markers: crosses, legend: vec![] },
        Panel { title: "Region seeds".into(), view: View::Medial, markers: seeds, legend: vec![] },
    ];
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cortex.png");
    draw_panels(&surface, &panels, &path, (480, 360)).unwrap();
    assert_eq!(png_size(&path), (3 * 480, 360));
    if let Ok(keep) = std::env::var("MTW_KEEP_FIGURE") {
        std::fs::copy(&path, Path::new(&keep).join("cortex.png")).unwrap();
    }

    let svg = dir.path().join("cortex.svg");
    draw_panels(&surface, &panels[..1], &svg, (200, 150)).unwrap();
    let text = std::fs::read_to_string(&svg).unwrap();
    assert!(text.contains("<svg") && text.contains("Truth"));
}

#[test]
fn sulcal_proxy_separates_sulci_from_gyri() {
    let surface = CortexSurface::load(meg::default_data_dir()).unwrap();
    assert!(surface.sulc.iter().all(|s| (0.0..=1.0).contains(s)));
    // The 5–95 % rescaling puts about 5 % of the vertices at each end.
    let low = surface.sulc.iter().filter(|&&s| s == 0.0).count() as f64 / 10242.0;
    let high = surface.sulc.iter().filter(|&&s| s == 1.0).count() as f64 / 10242.0;
    assert!((0.03..0.08).contains(&low) && (0.03..0.08).contains(&high), "{low} {high}");
    // Polarity: insula-like deep vertices (white surface, |y| < 10, −5 < z < 15 mm,
    // −40 < x < −30 mm) are more sulcal than lateral crowns at the same y, z (x < −58 mm).
    let white = mtw::geometry::read_obj(meg::default_data_dir().join(meg::LH_WHITE_OBJ)).unwrap();
    let (mut deep, mut crown) = (vec![], vec![]);
    for (i, v) in white.vertices.iter().enumerate() {
        if v.y.abs() < 10.0 && v.z > -5.0 && v.z < 15.0 {
            if v.x > -40.0 && v.x < -30.0 {
                deep.push(surface.sulc[i]);
            } else if v.x < -58.0 {
                crown.push(surface.sulc[i]);
            }
        }
    }
    let mean = |a: &[f64]| a.iter().sum::<f64>() / a.len() as f64;
    assert!(deep.len() > 20 && crown.len() > 10);
    assert!(mean(&deep) > mean(&crown) + 0.15, "{} vs {}", mean(&deep), mean(&crown));
    // Lateral view: every vertex faces one way or the other.
    let lateral = (0..10242).filter(|&v| surface.is_visible(v, View::Lateral)).count();
    let medial = (0..10242).filter(|&v| surface.is_visible(v, View::Medial)).count();
    assert!(lateral + medial <= 10242 && lateral > 3000 && medial > 3000, "{lateral} {medial}");
}

#[test]
fn bad_figure_requests_are_typed_errors() {
    let surface = CortexSurface::load(meg::default_data_dir()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("x.png");
    assert!(matches!(draw_panels(&surface, &[], &path, (100, 100)), Err(Error::Empty(_))));
    let panel = Panel {
        title: "bad".into(),
        view: View::Lateral,
        markers: vec![Marker { vertex: 10242, color: task_color(0), shape: MarkerShape::Cross }],
        legend: vec![],
    };
    let err = draw_panels(&surface, std::slice::from_ref(&panel), &path, (100, 100)).unwrap_err();
    assert!(matches!(err, Error::Shape(_)), "{err}");
    let ok = Panel { markers: vec![], ..panel };
    assert!(matches!(draw_panels(&surface, &[ok], &path, (10, 100)), Err(Error::Parameter { .. })));
    assert!(!path.exists());
}
