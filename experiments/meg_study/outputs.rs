//! Summaries and figures: `summary.csv` and `paired.csv` (each model minus MTW, trial by
//! trial) per experiment, Figure 5's line chart, Figure 6's panels (one per model, one line
//! per number of tasks) and Figure 4's cortex panels drawn from the estimates that the
//! figure's trial saved (`fig4/estimates.json`).

use std::path::Path;

use nalgebra::DMatrix;
use serde::{Deserialize, Serialize};

use mtw::io::atomic::write_atomic;
use mtw::meg::{draw_panels, task_color, CortexSurface, Marker, MarkerShape, Panel, View};
use mtw::study::models::display_name;
use mtw::study::{self, write_chart_panels, Layout, LineChart, Row, SummaryColumns, TrialKey};
use mtw::{Error, Result, Scalar};

use crate::meg_study::trial::BestFit;

/// The file beside `fig4/trials.csv` holding the figure trial's estimates.
pub const ESTIMATES_FILE: &str = "estimates.json";
/// Figure 4's trial (the "seed fixed" example); the other trials only give AUCs.
pub const FIGURE_TRIAL: usize = 0;
/// Largest number of markers per task and panel (the strongest estimates).
const MAX_MARKERS: usize = 10;
/// Estimates below this fraction of the task's largest |θ| get no marker.
const MARKER_FRACTION: f64 = 0.05;

/// `summary.csv` (AUC only, with the experiment's column names) and the experiment's figure.
pub fn write_outputs(
    experiment: &str,
    rows: &[Row],
    layout: &Layout,
    exp_dir: &Path,
    out: &Path,
    fingerprint: &str,
) -> Result<()> {
    let summary = study::summarize(rows);
    let columns = SummaryColumns::for_layout(layout, "auc").with_range(0.0, 1.0);
    study::write_summary_table(&exp_dir.join(study::SUMMARY_FILE), &summary, "best_auc", &columns)?;
    // Each model's best AUC minus MTW's in the same trial (when MTW ran).
    let names = (Some(layout.group.as_str()), layout.x.as_str());
    study::write_paired_if_reference_ran(exp_dir, rows, "best_auc", "mtw", names)?;
    match experiment {
        "fig4" => {
            report_fig4(rows);
            match Estimates::read(exp_dir, fingerprint) {
                Ok(estimates) if estimates.fsaverage_vertices => {
                    estimates.draw(&out.join("fig4_cortex.png"))?;
                }
                Ok(_) => eprintln!(
                    "meg_study: no fig4_cortex.png: the sources of --leadfield data are not \
                     fsaverage5 vertices"
                ),
                Err(e) => eprintln!("meg_study: no fig4_cortex.png: {e}"),
            }
        }
        "fig5" => {
            let group = rows.first().map_or("3", |r| r.key.group.as_str());
            LineChart::from_rows(rows, group, "best_auc")
                .labels("overlap fraction of the supports", "best AUC (oracle over the grid)")
                .title(&format!("MEG: support recovery vs overlap ({group} subjects)"))
                .y_range(0.0, 1.0)
                .write(out, "fig5_auc_vs_overlap")?;
        }
        _ => {
            write_chart_panels(&fig6_panels(rows), 3, out, "fig6_auc_vs_sources")?;
        }
    }
    Ok(())
}

/// Prints Figure 4's AUCs: the figure trial and the mean over trials.
fn report_fig4(rows: &[Row]) {
    let mut models: Vec<&str> = Vec::new();
    for row in rows {
        if !models.contains(&row.model.as_str()) {
            models.push(&row.model);
        }
    }
    for model in models {
        let aucs: Vec<f64> =
            rows.iter().filter(|r| r.model == model).filter_map(|r| r.value("best_auc")).collect();
        let first = rows
            .iter()
            .find(|r| r.model == model && r.key.trial == FIGURE_TRIAL)
            .and_then(|r| r.value("best_auc"));
        let mean = aucs.iter().sum::<f64>() / aucs.len().max(1) as f64;
        eprintln!(
            "meg_study: fig4 {model}: AUC {} in trial {FIGURE_TRIAL}, mean {mean:.3} over {} \
             trials",
            first.map_or("-".into(), |a| format!("{a:.3}")),
            aucs.len()
        );
    }
}

/// Figure 6: one panel per model, one line per number of tasks.
fn fig6_panels(rows: &[Row]) -> Vec<LineChart> {
    let mut models: Vec<&str> = Vec::new();
    for row in rows {
        if !models.contains(&row.model.as_str()) {
            models.push(&row.model);
        }
    }
    models
        .into_iter()
        .map(|model| {
            let lines: Vec<Row> = rows
                .iter()
                .filter(|r| r.model == model)
                .map(|r| Row {
                    key: TrialKey::new("fig6", r.key.x, r.key.trial),
                    model: format!("T = {}", r.key.group),
                    ..r.clone()
                })
                .collect();
            let mut chart = LineChart::from_rows(&lines, "fig6", "best_auc")
                .labels("active sources per task", "best AUC")
                .title(&format!("{} (50 % overlap)", display_name(model)))
                .y_range(0.0, 1.0);
            chart.size = (760, 540);
            chart
        })
        .collect()
}

/// Sparse estimates of one model: per task, `(vertex, value)` of the non-zero coefficients.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct ModelEstimate {
    /// Model name.
    pub model: String,
    /// Best AUC on the grid (the plotted fit's AUC).
    pub auc: f64,
    /// Winning µ.
    pub mu: f64,
    /// Winning λ.
    pub lambda: f64,
    /// Per task, the non-zero coefficients as (vertex, value).
    pub coef: Vec<Vec<(usize, f64)>>,
    /// MTW: the barycenter's non-zero entries (vertex, value).
    pub barycenter: Option<Vec<(usize, f64)>>,
}

/// What Figure 4 draws, saved by the figure trial (`fig4/estimates.json`).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Estimates {
    /// Fingerprint of the fig4 study that wrote it.
    pub fingerprint: String,
    /// The trial.
    pub trial: usize,
    /// Whether the vertex ids are fsaverage5 vertex numbers.
    pub fsaverage_vertices: bool,
    /// Per task, the true sources (vertex, nAm).
    pub truth: Vec<Vec<(usize, f64)>>,
    /// The models' best fits.
    pub models: Vec<ModelEstimate>,
}

/// The non-zero entries of each column of `coef` as (vertex, value).
fn sparse_columns<T: Scalar>(coef: &DMatrix<T>, vertices: &[usize]) -> Vec<Vec<(usize, f64)>> {
    coef.column_iter()
        .map(|c| {
            c.iter()
                .enumerate()
                .filter(|(_, v)| v.to_f64() != 0.0)
                .map(|(j, v)| (vertices[j], v.to_f64()))
                .collect()
        })
        .collect()
}

impl Estimates {
    /// Collects the truth and the best fits.
    pub fn new<T: Scalar>(
        fingerprint: &str,
        trial: usize,
        fsaverage_vertices: bool,
        vertices: &[usize],
        truth: &DMatrix<f64>,
        fits: &[BestFit<T>],
    ) -> Estimates {
        let models = fits
            .iter()
            .map(|b| ModelEstimate {
                model: b.kind.name().to_string(),
                auc: b.auc,
                mu: b.hyper.mu,
                lambda: b.hyper.lambda,
                coef: sparse_columns(&b.fit.coef, vertices),
                barycenter: b.fit.barycenter.as_ref().map(|bar| {
                    let m = DMatrix::from_column_slice(bar.len(), 1, bar.as_slice());
                    sparse_columns(&m, vertices).remove(0)
                }),
            })
            .collect();
        Estimates {
            fingerprint: fingerprint.into(),
            trial,
            fsaverage_vertices,
            truth: sparse_columns(truth, vertices),
            models,
        }
    }

    /// Writes `estimates.json` atomically into `dir`.
    pub fn write(&self, dir: &Path) -> Result<()> {
        let path = dir.join(ESTIMATES_FILE);
        let text = serde_json::to_string(self)
            .map_err(|e| Error::format(&path, format!("cannot serialise: {e}")))?;
        write_atomic(&path, text.as_bytes())
    }

    /// Reads `estimates.json` from `dir`; fails if another study wrote it.
    pub fn read(dir: &Path, fingerprint: &str) -> Result<Estimates> {
        let path = dir.join(ESTIMATES_FILE);
        let text = std::fs::read_to_string(&path).map_err(|e| Error::io(&path, e))?;
        let e: Estimates = serde_json::from_str(&text)
            .map_err(|e| Error::format(&path, format!("not an estimates file: {e}")))?;
        if e.fingerprint != fingerprint {
            return Err(Error::format(
                &path,
                format!("written by study {} but this is study {fingerprint}", e.fingerprint),
            ));
        }
        Ok(e)
    }

    /// Figure 4: truth, Lasso, MTW and MTW's barycenter on the inflated cortex (lateral view),
    /// colours by subject, the AUC in the titles. Estimates show at most the
    /// [`MAX_MARKERS`] largest |θ| per task, those ≥ [`MARKER_FRACTION`] of its largest.
    pub fn draw(&self, path: &Path) -> Result<()> {
        let surface = CortexSurface::load(mtw::meg::default_data_dir())?;
        let legend: Vec<(String, _, MarkerShape)> = (0..self.truth.len())
            .map(|t| (format!("subject {}", t + 1), task_color(t), MarkerShape::Circle))
            .collect();
        let markers = |tasks: &[Vec<(usize, f64)>], shape: MarkerShape| -> Vec<Marker> {
            let mut out = Vec::new();
            for (t, entries) in tasks.iter().enumerate() {
                for (vertex, _) in strongest(entries) {
                    out.push(Marker { vertex, color: task_color(t), shape });
                }
            }
            out
        };
        let mut panels = vec![Panel {
            title: format!("Truth ({} subjects, trial {})", self.truth.len(), self.trial),
            view: View::Lateral,
            markers: markers(&self.truth, MarkerShape::Circle),
            legend: legend.clone(),
        }];
        for m in &self.models {
            panels.push(Panel {
                title: format!("{}: AUC = {:.2}", display_name(&m.model), m.auc),
                view: View::Lateral,
                markers: markers(&m.coef, MarkerShape::Cross),
                legend: Vec::new(),
            });
        }
        if let Some(bar) = self.models.iter().find_map(|m| m.barycenter.as_ref()) {
            let grey = mtw::meg::figure::RGBColor(60, 60, 60);
            panels.push(Panel {
                title: "MTW barycenter".into(),
                view: View::Lateral,
                markers: strongest(bar)
                    .into_iter()
                    .map(|(vertex, _)| Marker { vertex, color: grey, shape: MarkerShape::Diamond })
                    .collect(),
                legend: Vec::new(),
            });
        }
        draw_panels(&surface, &panels, path, (520, 440))
    }
}

/// The entries to mark: at most [`MAX_MARKERS`] by decreasing |value|, those at least
/// [`MARKER_FRACTION`] of the largest.
fn strongest(entries: &[(usize, f64)]) -> Vec<(usize, f64)> {
    let max = entries.iter().fold(0.0_f64, |m, e| m.max(e.1.abs()));
    let mut kept: Vec<(usize, f64)> = entries
        .iter()
        .copied()
        .filter(|e| e.1.abs() >= MARKER_FRACTION * max && max > 0.0)
        .collect();
    kept.sort_by(|a, b| b.1.abs().total_cmp(&a.1.abs()).then(a.0.cmp(&b.0)));
    kept.truncate(MAX_MARKERS);
    kept
}
