//! The study's files beside the runner's: `splits.csv` and `summary.csv` in the layout,
//! `paired.csv` (each model's error minus MTW's, split by split), the Figure 3 chart and the
//! coefficient images.
//!
//! The runner's own journal (`trials.csv`, one row per (trial, model), used to resume) holds the
//! same numbers; [`write_tables`] renames its columns into the issue's `splits.csv`.

use std::path::Path;

use nalgebra::DMatrix;
use serde::{Deserialize, Serialize};

use mtw::io::atomic::write_atomic;
use mtw::study::models::display_name;
use mtw::study::{
    clip_interval, summarize, write_paired_if_reference_ran, Image, ImageGrid, LineChart, Row,
};
use mtw::{Error, Result};

use crate::digits::trial::METRICS;

/// File of the per-split results.
pub const SPLITS_FILE: &str = "splits.csv";
/// File of the per-(n, model) summary.
pub const SUMMARY_FILE: &str = "summary.csv";
/// File of the coefficients drawn in `coefficients.png`.
pub const COEFFICIENTS_FILE: &str = "coefficients.json";
/// The model `paired.csv` compares every other model with, split by split.
pub const PAIRED_REFERENCE: &str = "mtw";
/// Group of every trial key (the study has one facet).
pub const GROUP: &str = "digits";

/// Layout glue: writes `splits.csv` (one row per n, split and model: `n`, `split`, `model`, then
/// [`METRICS`], then `note`) and `summary.csv` (`n`, `model`, `mean_error`, `ci95_low`,
/// `ci95_high`, `n_splits`, `n_failed`) from the runner's rows (canonical order).
pub fn write_tables(rows: &[Row], out_dir: &Path) -> Result<()> {
    // 1. splits.csv: the runner's rows, one per (trial, model), in the column names.
    let records: Vec<(f64, usize, String, Vec<f64>, String)> = rows
        .iter()
        .filter(|r| r.key.group == GROUP)
        .map(|r| {
            let values = METRICS.iter().map(|&m| r.value(m).unwrap_or(f64::NAN)).collect();
            (r.key.x, r.key.trial, r.model.clone(), values, r.note.clone())
        })
        .collect();
    let path = out_dir.join(SPLITS_FILE);
    let mut header = vec!["n", "split", "model"];
    header.extend(METRICS);
    header.push("note");
    let mut csv = csv_writer(&header, &path)?;
    for (n, split, model, values, note) in &records {
        let mut fields = vec![format!("{n}"), split.to_string(), model.clone()];
        fields.extend(values.iter().map(|v| format!("{v}")));
        fields.push(note.clone());
        csv.write_record(&fields).map_err(|e| Error::format(&path, e.to_string()))?;
    }
    finish_csv(csv, &path)?;

    // 2. summary.csv: statistics of the `error` metric per (n, model).
    let errors: Vec<Row> = rows.iter().filter(|r| r.key.group == GROUP).cloned().collect();
    let path = out_dir.join(SUMMARY_FILE);
    let header = ["n", "model", "mean_error", "ci95_low", "ci95_high", "n_splits", "n_failed"];
    let mut csv = csv_writer(&header, &path)?;
    let mut cells: Vec<_> =
        summarize(&errors).into_iter().filter(|c| c.metric == "error").collect();
    cells.sort_by(|a, b| a.x.total_cmp(&b.x));
    for cell in cells {
        let s = &cell.stats;
        // An error rate lies in [0, 1]: the interval is clipped to it.
        let (ci_low, ci_high) = s.ci_within(Some((0.0, 1.0)));
        let fields = [
            format!("{}", cell.x),
            cell.model.clone(),
            format!("{}", s.mean),
            format!("{ci_low}"),
            format!("{ci_high}"),
            s.n.to_string(),
            cell.n_missing.to_string(),
        ];
        csv.write_record(&fields).map_err(|e| Error::format(&path, e.to_string()))?;
    }
    finish_csv(csv, &path)?;

    // 3. paired.csv: each model's error minus MTW's on the same split (when MTW ran).
    write_paired_if_reference_ran(out_dir, &errors, "error", PAIRED_REFERENCE, (None, "n"))?;
    Ok(())
}

fn csv_writer(header: &[&str], path: &Path) -> Result<csv::Writer<Vec<u8>>> {
    let mut csv = csv::Writer::from_writer(Vec::new());
    csv.write_record(header).map_err(|e| Error::format(path, e.to_string()))?;
    Ok(csv)
}

fn finish_csv(csv: csv::Writer<Vec<u8>>, path: &Path) -> Result<()> {
    let bytes = csv.into_inner().map_err(|e| Error::format(path, e.to_string()))?;
    write_atomic(path, &bytes)
}

/// Figure 3: validation misclassification against n, one line per model, mean over splits
/// with 95% confidence bars; `error_vs_n.png` and `.svg`. The title names the `digits`.
pub fn write_error_chart(rows: &[Row], out_dir: &Path, digits: &[usize]) -> Result<()> {
    let mut chart = LineChart::from_rows(rows, GROUP, "error")
        .labels("training samples per digit (n)", "misclassification rate (validation)")
        .title(&format!("Handwritten digits {}: classification error", digit_list(digits)))
        .trials_called("split", "splits");
    for series in &mut chart.series {
        // Error rates lie in [0, 1]: clip the intervals (the axis stays fitted to the data).
        for point in &mut series.means {
            (point.2, point.3) = clip_interval((point.2, point.3), Some((0.0, 1.0)));
        }
    }
    chart.write(out_dir, "error_vs_n")?;
    Ok(())
}

/// `0–5` for a run of consecutive digits (three or more), else `3, 5, 8`.
fn digit_list(digits: &[usize]) -> String {
    let consecutive = digits.windows(2).all(|w| w[1] == w[0] + 1);
    match digits {
        [first, .., last] if consecutive && digits.len() >= 3 => format!("{first}–{last}"),
        _ => digits.iter().map(usize::to_string).collect::<Vec<_>>().join(", "),
    }
}

/// The coefficients of every model on one split, as stored in `coefficients.json`.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Coefficients {
    /// Fingerprint of the study that wrote them.
    pub fingerprint: String,
    /// Training samples per digit of the split.
    pub n: usize,
    /// Split index.
    pub split: usize,
    /// Digit of each task.
    pub digits: Vec<usize>,
    /// Image height × width (rows of `θ_t` in row-major pixel order).
    pub image: (usize, usize),
    /// Per model (chart order): name and θ_t per task (p values each).
    pub models: Vec<(String, Vec<Vec<f64>>)>,
}

impl Coefficients {
    /// Collects `(model, θ)` pairs (θ: p × T).
    pub fn new(
        fingerprint: &str,
        (n, split): (usize, usize),
        digits: &[usize],
        image: (usize, usize),
        coefs: &[(String, DMatrix<f64>)],
    ) -> Coefficients {
        let models = coefs
            .iter()
            .map(|(name, c)| {
                (name.clone(), c.column_iter().map(|col| col.iter().copied().collect()).collect())
            })
            .collect();
        Coefficients {
            fingerprint: fingerprint.into(),
            n,
            split,
            digits: digits.to_vec(),
            image,
            models,
        }
    }

    /// Writes `coefficients.json` atomically.
    pub fn write(&self, out_dir: &Path) -> Result<()> {
        let path = out_dir.join(COEFFICIENTS_FILE);
        let text = serde_json::to_string(self)
            .map_err(|e| Error::format(&path, format!("cannot serialise: {e}")))?;
        write_atomic(&path, text.as_bytes())
    }

    /// Reads `coefficients.json`; fails if it belongs to another study.
    pub fn read(out_dir: &Path, fingerprint: &str) -> Result<Coefficients> {
        let path = out_dir.join(COEFFICIENTS_FILE);
        let text = std::fs::read_to_string(&path).map_err(|e| Error::io(&path, e))?;
        let c: Coefficients = serde_json::from_str(&text)
            .map_err(|e| Error::format(&path, format!("not a coefficients file: {e}")))?;
        if c.fingerprint != fingerprint {
            return Err(Error::format(
                &path,
                format!("written by study {} but this is study {fingerprint}", c.fingerprint),
            ));
        }
        Ok(c)
    }

    /// `coefficients.png` / `.svg`: one row per model, one column per digit. Each model's row
    /// is divided by its largest |θ| so that all rows share the colour scale [−1, 1].
    pub fn write_figure(&self, out_dir: &Path) -> Result<()> {
        let (h, w) = self.image;
        let mut images = Vec::new();
        for (_, tasks) in &self.models {
            let vmax = tasks.iter().flatten().fold(0.0_f64, |m, v| m.max(v.abs()));
            let scale = if vmax > 0.0 { vmax } else { 1.0 };
            let row = tasks
                .iter()
                .map(|theta| Image::new(h, w, theta.iter().map(|v| v / scale).collect()))
                .collect::<Result<Vec<_>>>()?;
            images.push(row);
        }
        let row_labels = self.models.iter().map(|(m, _)| display_name(m).to_string()).collect();
        let col_labels = self.digits.iter().map(|d| format!("digit {d}")).collect();
        let title = format!(
            "Coefficients θ_t (n = {}, split {}; each row scaled by its max |θ|)",
            self.n, self.split
        );
        ImageGrid::new(&title, row_labels, col_labels, images)?.write(out_dir, "coefficients")?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::digit_list;

    #[test]
    fn the_title_names_the_digits_of_the_run() {
        assert_eq!(digit_list(&[0, 1, 2, 3, 4, 5]), "0–5");
        assert_eq!(digit_list(&[3, 5, 8]), "3, 5, 8");
        assert_eq!(digit_list(&[4, 5]), "4, 5");
    }
}
