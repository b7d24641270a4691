//! Charts: the line chart and the image grid are written as PNG and SVG with their labels.
//! Set `MTW_CHART_DIR` to keep the files for a look.

use std::fs;
use std::path::PathBuf;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use mtw::study::{
    write_chart_panels, Image, ImageGrid, Layout, LineChart, Measurement, Row, Series, TrialKey,
};

fn out_dir() -> (Option<tempfile::TempDir>, PathBuf) {
    match std::env::var_os("MTW_CHART_DIR") {
        Some(dir) => {
            fs::create_dir_all(&dir).unwrap();
            (None, PathBuf::from(dir))
        }
        None => {
            let tmp = tempfile::tempdir().unwrap();
            let path = tmp.path().to_path_buf();
            (Some(tmp), path)
        }
    }
}

/// Rows of a fake overlap study: AUC rising with overlap, differently per model, and a second
/// value column `mu` = 10 × AUC.
fn rows() -> Vec<Row> {
    let layout = Layout::new("design", "overlap", &["auc", "mu"]);
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    let models =
        [("mtw", 0.85, 0.1), ("dirty", 0.55, 0.3), ("mll", 0.5, 0.35), ("lasso", 0.6, 0.0)];
    let mut rows = Vec::new();
    for &x in &[0.0, 0.25, 0.5, 0.75, 1.0] {
        for trial in 0..20 {
            let mut measured = Vec::new();
            for &(model, base, slope) in &models {
                let value = f64::min(base + slope * x + rng.gen_range(-0.08..0.08), 1.0);
                measured.push(Measurement::new(model, "auc", value));
                measured.push(Measurement::new(model, "mu", 10.0 * value));
            }
            rows.extend(layout.pivot(&TrialKey::new("blur", x, trial), &measured).unwrap());
        }
    }
    rows
}

fn is_png(path: &PathBuf) -> bool {
    let bytes = fs::read(path).unwrap();
    bytes.len() > 5_000 && bytes.starts_with(b"\x89PNG\r\n\x1a\n")
}

#[test]
fn line_chart_png_and_svg() {
    let (_keep, dir) = out_dir();
    let chart = LineChart::from_rows(&rows(), "blur", "auc")
        .title("Support recovery vs overlap (blur design)")
        .labels("overlap fraction of the supports", "PR-AUC")
        .y_range(0.0, 1.05);
    assert_eq!(chart.series.len(), 4);
    assert_eq!(chart.series[0].name, "MTW");
    assert_eq!(chart.series[0].means.len(), 5);
    assert_eq!(chart.series[0].trials.len(), 100);
    // The chart of another value column of the same rows.
    let mu = LineChart::from_rows(&rows(), "blur", "mu");
    assert_eq!(mu.series[0].trials.len(), 100);
    for (a, m) in chart.series[0].trials.iter().zip(&mu.series[0].trials) {
        assert_eq!((a.0, 10.0 * a.1), *m);
    }
    assert!(LineChart::from_rows(&rows(), "blur", "none").series.is_empty());
    let (png, svg) = chart.write(&dir, "auc-blur").unwrap();
    assert!(is_png(&png));
    let text = fs::read_to_string(&svg).unwrap();
    for label in ["<svg", "Support recovery vs overlap", "PR-AUC", "MTW", "Lasso", "20 trials"] {
        assert!(text.contains(label), "{label} missing from the SVG");
    }
    let leftovers: Vec<_> = fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().contains(".tmp-"))
        .collect();
    assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");
}

#[test]
fn chart_panels_in_one_figure() {
    let (_keep, dir) = out_dir();
    let charts: Vec<LineChart> = ["auc", "mu", "auc"]
        .iter()
        .enumerate()
        .map(|(k, metric)| {
            let mut chart =
                LineChart::from_rows(&rows(), "blur", metric).title(&format!("panel {k}"));
            chart.size = (400, 300);
            chart
        })
        .collect();
    let (png, svg) = write_chart_panels(&charts, 2, &dir, "panels").unwrap();
    assert!(is_png(&png));
    // Two columns, two rows of 400 × 300 panels.
    let bytes = fs::read(&png).unwrap();
    let be = |i: usize| u32::from_be_bytes([bytes[i], bytes[i + 1], bytes[i + 2], bytes[i + 3]]);
    assert_eq!((be(16), be(20)), (800, 600));
    let text = fs::read_to_string(&svg).unwrap();
    for label in ["panel 0", "panel 1", "panel 2", "MTW"] {
        assert!(text.contains(label), "{label} missing from the SVG");
    }
    assert!(write_chart_panels(&[], 2, &dir, "none").is_err());
    assert!(write_chart_panels(&charts, 0, &dir, "none").is_err());
}

#[test]
fn image_grid_png_and_svg() {
    let (_keep, dir) = out_dir();
    let mut rng = ChaCha8Rng::seed_from_u64(4);
    let models = ["truth", "mtw", "lasso"];
    let images: Vec<Vec<Image>> = models
        .iter()
        .map(|_| {
            (0..3)
                .map(|_| {
                    let values: Vec<f64> = (0..15 * 16)
                        .map(|_| if rng.gen_bool(0.1) { rng.gen_range(-1.0..1.0) } else { 0.0 })
                        .collect();
                    Image::new(15, 16, values).unwrap()
                })
                .collect()
        })
        .collect();
    let grid = ImageGrid::new(
        "Coefficients per task",
        models.iter().map(|m| m.to_string()).collect(),
        (1..=3).map(|t| format!("task {t}")).collect(),
        images,
    )
    .unwrap();
    let (png, svg) = grid.write(&dir, "coef-grid").unwrap();
    assert!(is_png(&png));
    let text = fs::read_to_string(&svg).unwrap();
    for label in ["Coefficients per task", "task 3", "lasso"] {
        assert!(text.contains(label), "{label} missing from the SVG");
    }
}

#[test]
fn one_chart_per_group() {
    let (_keep, dir) = out_dir();
    let mut all = rows();
    all.extend(rows().into_iter().map(|mut r| {
        r.key.group = "gaussian ρ".into();
        r
    }));
    let written =
        mtw::study::write_charts_per_group(&all, &dir, "auc", "overlap", "AUC", None).unwrap();
    let names: Vec<String> =
        written.iter().map(|(png, _)| png.file_name().unwrap().to_string_lossy().into()).collect();
    assert_eq!(names, ["auc-blur.png", "auc-gaussian--.png"]);
    assert!(written.iter().all(|(png, svg)| is_png(png) && svg.exists()));
}

#[test]
fn counts_on_the_x_axis_get_whole_tick_labels_and_the_subtitle_a_trial_range() {
    let (_keep, dir) = out_dir();
    let series = |name: &str, shift: f64| Series {
        name: name.into(),
        means: (1..=4).map(|x| (x as f64, 0.1 * x as f64 + shift, f64::NAN, f64::NAN)).collect(),
        trials: vec![],
        lines: true,
    };
    let mut chart = LineChart::from_rows(&rows(), "blur", "auc").title("sources");
    chart.series = vec![series("T = 2", 0.0), series("T = 4", 0.05)];
    let (_, svg) = chart.write(&dir, "counts").unwrap();
    let text = fs::read_to_string(&svg).unwrap();
    let labels: Vec<&str> = text
        .split("</text>")
        .filter_map(|chunk| chunk.rsplit_once('>').map(|(_, label)| label.trim()))
        .collect();
    for whole in ["1", "2", "3", "4"] {
        assert!(labels.contains(&whole), "tick {whole} missing: {labels:?}");
    }
    for fractional in ["1.5", "2.5", "3.5"] {
        assert!(!labels.contains(&fractional), "tick {fractional} drawn for counts");
    }

    // Points with different trial counts say so.
    let mut uneven = rows();
    uneven.retain(|r| !(r.key.x == 0.0 && r.key.trial == 0));
    let chart = LineChart::from_rows(&uneven, "blur", "auc");
    assert!(chart.subtitle.contains("mean over 19–20 trials"), "{}", chart.subtitle);
    let chart = chart.trials_called("split", "splits");
    assert!(chart.subtitle.contains("mean over 19–20 splits"), "{}", chart.subtitle);
    assert!(chart.subtitle.ends_with("dots: splits"), "{}", chart.subtitle);
}
