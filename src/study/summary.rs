//! Per-cell summaries of trial rows: one [`SummaryRow`] per (group, metric, model, x), with the
//! mean, standard deviation, Student-t 95% confidence interval and median over trials.

use std::collections::HashMap;
use std::path::Path;

use crate::error::{Error, Result};
use crate::study::atomic::write_atomic;
use crate::study::key::Row;
use crate::study::stats::Stats;

/// The file name of the summary written beside the trials.
pub const SUMMARY_FILE: &str = "summary.csv";

/// Statistics of one metric of one model at one (group, x) over trials.
#[derive(Clone, Debug, PartialEq)]
pub struct SummaryRow {
    /// Group (facet) of the study.
    pub group: String,
    /// Metric name.
    pub metric: String,
    /// Model name.
    pub model: String,
    /// Position on the x axis.
    pub x: f64,
    /// Number of trials with a finite value, and the statistics of those values.
    pub stats: Stats,
    /// Number of trials whose value is NaN or infinite (failed fits), excluded from `stats`.
    pub n_missing: usize,
}

/// Column names of `summary.csv`.
pub const SUMMARY_HEADER: [&str; 11] = [
    "group",
    "metric",
    "model",
    "x",
    "n",
    "n_missing",
    "mean",
    "std",
    "ci95_low",
    "ci95_high",
    "median",
];

/// Summarises rows cell by cell. Cells are ordered by group, metric and model in order of
/// first appearance in `rows`, then by increasing x; values enter in row order, so equal row
/// lists give bit-identical summaries.
pub fn summarize(rows: &[Row]) -> Vec<SummaryRow> {
    let groups = first_appearance(rows.iter().map(|r| &r.key.group));
    let metrics = first_appearance(rows.iter().map(|r| &r.measurement.metric));
    let models = first_appearance(rows.iter().map(|r| &r.measurement.model));
    let rank = |list: &[String], item: &String| list.iter().position(|s| s == item).unwrap_or(0);

    // Cells keyed by (group rank, metric rank, model rank, x), values in row order.
    type Cell = (usize, usize, usize, f64);
    let mut cells: Vec<(Cell, Vec<f64>)> = Vec::new();
    let mut index: HashMap<(usize, usize, usize, u64), usize> = HashMap::new();
    for row in rows {
        let m = &row.measurement;
        let (g, me, mo) =
            (rank(&groups, &row.key.group), rank(&metrics, &m.metric), rank(&models, &m.model));
        let slot = *index.entry((g, me, mo, row.key.x.to_bits())).or_insert_with(|| {
            cells.push(((g, me, mo, row.key.x), Vec::new()));
            cells.len() - 1
        });
        cells[slot].1.push(m.value);
    }
    cells.sort_by(|(a, _), (b, _)| (a.0, a.1, a.2).cmp(&(b.0, b.1, b.2)).then(a.3.total_cmp(&b.3)));
    cells
        .into_iter()
        .map(|((g, me, mo, x), values)| {
            let finite: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
            SummaryRow {
                group: groups[g].clone(),
                metric: metrics[me].clone(),
                model: models[mo].clone(),
                x,
                n_missing: values.len() - finite.len(),
                stats: Stats::of(&finite),
            }
        })
        .collect()
}

fn first_appearance<'a>(items: impl Iterator<Item = &'a String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for item in items {
        if !out.contains(item) {
            out.push(item.clone());
        }
    }
    out
}

/// Writes the summary CSV atomically (numbers in shortest round-trip form, NaN as `NaN`).
pub fn write_summary_csv(path: &Path, summary: &[SummaryRow]) -> Result<()> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    let fail = |e: csv::Error| Error::format(path, e.to_string());
    writer.write_record(SUMMARY_HEADER).map_err(fail)?;
    for s in summary {
        let st = &s.stats;
        writer
            .write_record([
                s.group.clone(),
                s.metric.clone(),
                s.model.clone(),
                format!("{}", s.x),
                st.n.to_string(),
                s.n_missing.to_string(),
                format!("{}", st.mean),
                format!("{}", st.std),
                format!("{}", st.ci_low()),
                format!("{}", st.ci_high()),
                format!("{}", st.median),
            ])
            .map_err(fail)?;
    }
    let bytes = writer.into_inner().map_err(|e| Error::format(path, e.to_string()))?;
    write_atomic(path, &bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::study::key::{Measurement, TrialKey};

    fn row(model: &str, x: f64, trial: usize, value: f64) -> Row {
        Row {
            key: TrialKey::new("g", x, trial),
            measurement: Measurement::new(model, "auc", value),
            trial_rows: 2,
        }
    }

    #[test]
    fn cells_order_and_missing_values() {
        let rows = vec![
            row("mtw", 0.5, 0, 0.9),
            row("lasso", 0.5, 0, 0.5),
            row("mtw", 0.0, 0, 0.8),
            row("lasso", 0.0, 0, f64::NAN),
            row("mtw", 0.5, 1, 0.7),
            row("lasso", 0.5, 1, 0.6),
        ];
        let s = summarize(&rows);
        let cells: Vec<(&str, f64, usize, usize)> =
            s.iter().map(|c| (c.model.as_str(), c.x, c.stats.n, c.n_missing)).collect();
        assert_eq!(
            cells,
            [("mtw", 0.0, 1, 0), ("mtw", 0.5, 2, 0), ("lasso", 0.0, 0, 1), ("lasso", 0.5, 2, 0)]
        );
        assert!((s[1].stats.mean - 0.8).abs() < 1e-15);
        assert!(s[2].stats.mean.is_nan());
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(SUMMARY_FILE);
        write_summary_csv(&path, &s).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text.lines().count(), 5);
        assert!(text.starts_with("group,metric,model,x,n,n_missing,mean"));
    }
}
