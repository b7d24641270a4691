//! Per-cell summaries of trial rows: one [`SummaryRow`] per (group, metric, model, x), with the
//! mean, standard deviation, Student-t 95% confidence interval and median over trials.
//!
//! Two writers: [`write_summary_csv`] (every metric, generic column names; the runner's
//! `summary.csv`) and [`write_summary_table`] (one metric, column names chosen by the study,
//! e.g. `design, overlap, model, mean_auc, std_auc, ci95_low, ci95_high, median_auc, trials`).

use std::collections::HashMap;
use std::path::Path;

use crate::error::{Error, Result};
use crate::io::atomic::write_atomic;
use crate::study::key::Row;
use crate::study::layout::Layout;
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

/// Summarises rows cell by cell, a cell being one value column of one model at one (group, x).
/// Cells are ordered by group, metric and model in order of first appearance in `rows` (metrics
/// in column order), then by increasing x; values enter in row order, so equal row lists give
/// bit-identical summaries.
pub fn summarize(rows: &[Row]) -> Vec<SummaryRow> {
    let groups = first_appearance(rows.iter().map(|r| &r.key.group));
    let metrics = first_appearance(rows.iter().flat_map(|r| r.values.iter().map(|(m, _)| m)));
    let models = first_appearance(rows.iter().map(|r| &r.model));
    let rank = |list: &[String], item: &String| list.iter().position(|s| s == item).unwrap_or(0);

    // Cells keyed by (group rank, metric rank, model rank, x), values in row order.
    type Cell = (usize, usize, usize, f64);
    let mut cells: Vec<(Cell, Vec<f64>)> = Vec::new();
    let mut index: HashMap<(usize, usize, usize, u64), usize> = HashMap::new();
    for row in rows {
        let (g, mo) = (rank(&groups, &row.key.group), rank(&models, &row.model));
        for (metric, value) in &row.values {
            let me = rank(&metrics, metric);
            let slot = *index.entry((g, me, mo, row.key.x.to_bits())).or_insert_with(|| {
                cells.push(((g, me, mo, row.key.x), Vec::new()));
                cells.len() - 1
            });
            cells[slot].1.push(*value);
        }
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

/// Column names of a one-metric summary table ([`write_summary_table`]).
#[derive(Clone, Debug, PartialEq)]
pub struct SummaryColumns {
    /// Group column, e.g. `"design"`.
    pub group: String,
    /// x column, e.g. `"overlap"`.
    pub x: String,
    /// Model column, e.g. `"model"`.
    pub model: String,
    /// Mean over trials, e.g. `"mean_auc"`.
    pub mean: String,
    /// Sample standard deviation, e.g. `"std_auc"`.
    pub std: String,
    /// Lower end of the Student-t 95% CI of the mean, e.g. `"ci95_low"`.
    pub ci95_low: String,
    /// Upper end of that CI, e.g. `"ci95_high"`.
    pub ci95_high: String,
    /// Median, e.g. `"median_auc"`.
    pub median: String,
    /// Number of trials with a finite value (those the statistics use), e.g. `"trials"`.
    pub trials: String,
    /// Number of trials whose value is NaN or infinite; `None`: no such column.
    pub missing: Option<String>,
    /// The values the metric can take, e.g. `(0, 1)` for an AUC: the interval is clipped to
    /// it ([`Stats::ci_within`]); `None`: no clipping.
    pub range: Option<(f64, f64)>,
}

impl SummaryColumns {
    /// Columns `group, x, model, mean_{suffix}, std_{suffix}, ci95_low, ci95_high,
    /// median_{suffix}, trials`, e.g. `suffix = "auc"` gives `mean_auc`.
    pub fn new(group: &str, x: &str, suffix: &str) -> SummaryColumns {
        SummaryColumns {
            group: group.into(),
            x: x.into(),
            model: "model".into(),
            mean: format!("mean_{suffix}"),
            std: format!("std_{suffix}"),
            ci95_low: "ci95_low".into(),
            ci95_high: "ci95_high".into(),
            median: format!("median_{suffix}"),
            trials: "trials".into(),
            missing: None,
            range: None,
        }
    }

    /// [`SummaryColumns::new`] with the group and x names of a study's layout.
    pub fn for_layout(layout: &Layout, suffix: &str) -> SummaryColumns {
        SummaryColumns::new(&layout.group, &layout.x, suffix)
    }

    /// The same columns plus a count of missing (non-finite) values named `name`.
    pub fn with_missing(mut self, name: &str) -> SummaryColumns {
        self.missing = Some(name.into());
        self
    }

    /// The same columns with intervals clipped to `[low, high]`, the metric's range.
    pub fn with_range(mut self, low: f64, high: f64) -> SummaryColumns {
        self.range = Some((low, high));
        self
    }

    /// The header, in column order.
    pub fn header(&self) -> Vec<String> {
        let mut header = vec![
            self.group.clone(),
            self.x.clone(),
            self.model.clone(),
            self.mean.clone(),
            self.std.clone(),
            self.ci95_low.clone(),
            self.ci95_high.clone(),
            self.median.clone(),
            self.trials.clone(),
        ];
        header.extend(self.missing.clone());
        header
    }
}

/// Writes the cells of `metric` from `summary` atomically as a table with the caller's column
/// names (see [`SummaryColumns`]), in summary order: group, model, then increasing x. Numbers
/// in shortest round-trip form, NaN as `NaN`.
///
/// # Errors
/// No cell of `metric` in `summary` (the message lists the metrics present); I/O failures.
pub fn write_summary_table(
    path: &Path,
    summary: &[SummaryRow],
    metric: &str,
    columns: &SummaryColumns,
) -> Result<()> {
    let cells: Vec<&SummaryRow> = summary.iter().filter(|s| s.metric == metric).collect();
    if cells.is_empty() {
        let present = first_appearance(summary.iter().map(|s| &s.metric));
        return Err(Error::format(
            path,
            format!("no summary cell of metric {metric:?}; metrics present: {present:?}"),
        ));
    }
    let mut writer = csv::Writer::from_writer(Vec::new());
    let fail = |e: csv::Error| Error::format(path, e.to_string());
    writer.write_record(columns.header()).map_err(fail)?;
    for s in cells {
        let st = &s.stats;
        let (ci_low, ci_high) = st.ci_within(columns.range);
        let mut record = vec![
            s.group.clone(),
            format!("{}", s.x),
            s.model.clone(),
            format!("{}", st.mean),
            format!("{}", st.std),
            format!("{ci_low}"),
            format!("{ci_high}"),
            format!("{}", st.median),
            st.n.to_string(),
        ];
        if columns.missing.is_some() {
            record.push(s.n_missing.to_string());
        }
        writer.write_record(record).map_err(fail)?;
    }
    let bytes = writer.into_inner().map_err(|e| Error::format(path, e.to_string()))?;
    write_atomic(path, &bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::study::key::TrialKey;

    fn row(model: &str, x: f64, trial: usize, value: f64) -> Row {
        Row {
            key: TrialKey::new("g", x, trial),
            model: model.into(),
            values: vec![("auc".into(), value), ("mu".into(), 2.0 * value)],
            note: String::new(),
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
        assert_eq!(s.len(), 8);
        let cells: Vec<(&str, &str, f64, usize, usize)> = s
            .iter()
            .map(|c| (c.metric.as_str(), c.model.as_str(), c.x, c.stats.n, c.n_missing))
            .collect();
        assert_eq!(
            cells[..4],
            [
                ("auc", "mtw", 0.0, 1, 0),
                ("auc", "mtw", 0.5, 2, 0),
                ("auc", "lasso", 0.0, 0, 1),
                ("auc", "lasso", 0.5, 2, 0)
            ]
        );
        assert_eq!(cells[5], ("mu", "mtw", 0.5, 2, 0));
        assert!((s[1].stats.mean - 0.8).abs() < 1e-15);
        assert!((s[5].stats.mean - 1.6).abs() < 1e-15);
        assert!(s[2].stats.mean.is_nan());
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(SUMMARY_FILE);
        write_summary_csv(&path, &s).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text.lines().count(), 9);
        assert!(text.starts_with("group,metric,model,x,n,n_missing,mean"));

        // The study-specific table of one metric, with the caller's column names.
        let table = dir.path().join("auc.csv");
        let columns = SummaryColumns::new("design", "overlap", "auc").with_missing("failed");
        write_summary_table(&table, &s, "auc", &columns).unwrap();
        let text = std::fs::read_to_string(&table).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[0],
            "design,overlap,model,mean_auc,std_auc,ci95_low,ci95_high,median_auc,trials,failed"
        );
        assert_eq!(lines.len(), 5);
        assert!(lines[2].starts_with("g,0.5,mtw,0.8,"), "{}", lines[2]);
        assert!(lines[2].ends_with(",0.8,2,0"), "{}", lines[2]);
        assert!(lines[3].starts_with("g,0,lasso,NaN,") && lines[3].ends_with(",0,1"));
        let err = write_summary_table(&table, &s, "best_auc", &columns).unwrap_err().to_string();
        assert!(err.contains("\"best_auc\"") && err.contains("\"mu\""), "{err}");
    }
}
