//! Paired comparisons with a reference model, trial by trial.
//!
//! Every model of a study sees the same trials, so the comparison that uses this is the
//! per-trial difference `d_i = value(model, trial i) − value(reference, trial i)`, not the two
//! means side by side: the trial-to-trial spread that both models share cancels. For each
//! (group, x) and each other model the table gives the mean of `d_i`, its Student-t 95 %
//! interval, and in how many trials the model was above, below or level with the reference.
//! A trial enters only when both values are finite.

use std::collections::HashMap;
use std::path::Path;

use crate::error::{Error, Result};
use crate::io::atomic::write_atomic;
use crate::study::key::Row;
use crate::study::stats::Stats;

/// The file name of the paired table written beside the summary.
pub const PAIRED_FILE: &str = "paired.csv";

/// One model against the reference at one (group, x).
#[derive(Clone, Debug, PartialEq)]
pub struct PairedRow {
    /// Group (facet) of the study.
    pub group: String,
    /// Position on the x axis.
    pub x: f64,
    /// The model compared.
    pub model: String,
    /// Statistics of `value(model) − value(reference)` over the paired trials.
    pub difference: Stats,
    /// Trials where the model's value is above the reference's.
    pub above: usize,
    /// Trials where it is below.
    pub below: usize,
    /// Trials where the two are equal.
    pub level: usize,
}

/// The paired differences of `metric` between every model and `reference`, ordered by group
/// and model (first appearance in `rows`), then increasing x.
///
/// # Errors
/// `reference` has no row, or `metric` is not a column of the rows.
pub fn paired_differences(rows: &[Row], metric: &str, reference: &str) -> Result<Vec<PairedRow>> {
    if !rows.iter().any(|r| r.model == reference) {
        return Err(Error::parameter("reference model", reference, "has no recorded row"));
    }
    if rows.iter().any(|r| r.value(metric).is_none()) {
        return Err(Error::parameter("metric", metric, "is not a column of every row"));
    }

    // The reference's value per trial.
    let trial_id = |r: &Row| (r.key.group.clone(), r.key.x.to_bits(), r.key.trial);
    let reference_values: HashMap<_, f64> = rows
        .iter()
        .filter(|r| r.model == reference)
        .map(|r| (trial_id(r), r.value(metric).unwrap_or(f64::NAN)))
        .collect();

    // Differences per (group, model, x), in row order.
    let mut order: Vec<(String, String, f64)> = Vec::new();
    let mut cells: HashMap<(String, String, u64), Vec<f64>> = HashMap::new();
    for row in rows.iter().filter(|r| r.model != reference) {
        let cell = (row.key.group.clone(), row.model.clone(), row.key.x.to_bits());
        if !cells.contains_key(&cell) {
            order.push((row.key.group.clone(), row.model.clone(), row.key.x));
        }
        let differences = cells.entry(cell).or_default();
        let value = row.value(metric).unwrap_or(f64::NAN);
        if let Some(base) = reference_values.get(&trial_id(row)) {
            if value.is_finite() && base.is_finite() {
                differences.push(value - base);
            }
        }
    }

    let rank = |list: Vec<&String>| {
        let mut seen: Vec<String> = Vec::new();
        for item in list {
            if !seen.contains(item) {
                seen.push(item.clone());
            }
        }
        seen
    };
    let groups = rank(order.iter().map(|o| &o.0).collect());
    let models = rank(order.iter().map(|o| &o.1).collect());
    let position = |list: &[String], item: &String| list.iter().position(|s| s == item);
    order.sort_by(|a, b| {
        (position(&groups, &a.0), position(&models, &a.1))
            .cmp(&(position(&groups, &b.0), position(&models, &b.1)))
            .then(a.2.total_cmp(&b.2))
    });

    Ok(order
        .into_iter()
        .map(|(group, model, x)| {
            let d = &cells[&(group.clone(), model.clone(), x.to_bits())];
            PairedRow {
                difference: Stats::of(d),
                above: d.iter().filter(|&&v| v > 0.0).count(),
                below: d.iter().filter(|&&v| v < 0.0).count(),
                level: d.iter().filter(|&&v| v == 0.0).count(),
                group,
                x,
                model,
            }
        })
        .collect())
}

/// Writes the paired table atomically with columns `[<group>,] <x>, model, reference,
/// mean_difference, ci95_low, ci95_high, trials, above, below, level`; the group and x column
/// names are the study's (e.g. `design, overlap`), and `group_column = None` leaves the group
/// out (a study with one facet). Numbers in shortest round-trip form.
pub fn write_paired_csv(
    path: &Path,
    paired: &[PairedRow],
    (group_column, x_column): (Option<&str>, &str),
    reference: &str,
) -> Result<()> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    let fail = |e: csv::Error| Error::format(path, e.to_string());
    let group = |value: &str| group_column.map(|_| value.to_string());
    writer
        .write_record(group_column.into_iter().chain([
            x_column,
            "model",
            "reference",
            "mean_difference",
            "ci95_low",
            "ci95_high",
            "trials",
            "above",
            "below",
            "level",
        ]))
        .map_err(fail)?;
    for p in paired {
        let d = &p.difference;
        writer
            .write_record(group(&p.group).into_iter().chain([
                format!("{}", p.x),
                p.model.clone(),
                reference.to_string(),
                format!("{}", d.mean),
                format!("{}", d.ci_low()),
                format!("{}", d.ci_high()),
                d.n.to_string(),
                p.above.to_string(),
                p.below.to_string(),
                p.level.to_string(),
            ]))
            .map_err(fail)?;
    }
    let bytes = writer.into_inner().map_err(|e| Error::format(path, e.to_string()))?;
    write_atomic(path, &bytes)
}

/// Writes `paired.csv` in `dir` for `metric` against `reference` when the reference model has
/// rows; returns whether it did. Without them there is nothing to pair with, and a
/// `paired.csv` left from earlier rows (say, trials since lost from `trials.csv`) is removed
/// rather than left to contradict the summary.
pub fn write_paired_if_reference_ran(
    dir: &Path,
    rows: &[Row],
    metric: &str,
    reference: &str,
    columns: (Option<&str>, &str),
) -> Result<bool> {
    let path = dir.join(PAIRED_FILE);
    if !rows.iter().any(|r| r.model == reference) {
        return match std::fs::remove_file(&path) {
            Ok(()) => Ok(false),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(Error::io(&path, e)),
        };
    }
    let paired = paired_differences(rows, metric, reference)?;
    write_paired_csv(&path, &paired, columns, reference)?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::study::key::TrialKey;

    fn row(x: f64, trial: usize, model: &str, error: f64) -> Row {
        Row {
            key: TrialKey::new("digits", x, trial),
            model: model.into(),
            values: vec![("error".into(), error)],
            note: String::new(),
            trial_rows: 2,
        }
    }

    #[test]
    fn differences_are_taken_trial_by_trial() {
        // The lasso is worse than MTW by 0.1, 0.2 and 0.3 on three trials whose levels differ
        // far more than that; a failed (NaN) trial is left out of the pair.
        let rows = vec![
            row(10.0, 0, "mtw", 0.1),
            row(10.0, 0, "lasso", 0.2),
            row(10.0, 1, "mtw", 0.5),
            row(10.0, 1, "lasso", 0.7),
            row(10.0, 2, "lasso", 0.9),
            row(10.0, 2, "mtw", 0.6),
            row(10.0, 3, "mtw", f64::NAN),
            row(10.0, 3, "lasso", 0.4),
            row(20.0, 0, "mtw", 0.3),
            row(20.0, 0, "lasso", 0.3),
        ];
        let paired = paired_differences(&rows, "error", "mtw").unwrap();
        assert_eq!(paired.len(), 2);

        let first = &paired[0];
        assert_eq!((first.model.as_str(), first.x), ("lasso", 10.0));
        assert_eq!(first.difference.n, 3);
        assert!((first.difference.mean - 0.2).abs() < 1e-12);
        // s = 0.1, t(0.975, 2) = 4.302653, half-width = t s / √3.
        let half = 4.302_652_729_911_275 * 0.1 / 3f64.sqrt();
        assert!((first.difference.ci_high() - (0.2 + half)).abs() < 1e-9);
        assert_eq!((first.above, first.below, first.level), (3, 0, 0));

        let second = &paired[1];
        assert_eq!((second.x, second.difference.n, second.level), (20.0, 1, 1));
    }

    #[test]
    fn an_unknown_reference_or_metric_is_refused() {
        let rows = vec![row(10.0, 0, "mtw", 0.1), row(10.0, 0, "lasso", 0.2)];
        let err = paired_differences(&rows, "error", "dirty").unwrap_err().to_string();
        assert!(err.contains("dirty"), "{err}");
        let err = paired_differences(&rows, "auc", "mtw").unwrap_err().to_string();
        assert!(err.contains("auc"), "{err}");
    }

    #[test]
    fn the_table_names_the_study_columns() {
        let rows = vec![row(10.0, 0, "mtw", 0.1), row(10.0, 0, "lasso", 0.25)];
        let paired = paired_differences(&rows, "error", "mtw").unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(PAIRED_FILE);
        write_paired_csv(&path, &paired, (Some("group"), "n"), "mtw").unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        let mut lines = text.lines();
        assert_eq!(
            lines.next().unwrap(),
            "group,n,model,reference,mean_difference,ci95_low,ci95_high,trials,above,below,level"
        );
        assert_eq!(lines.next().unwrap(), "digits,10,lasso,mtw,0.15,NaN,NaN,1,1,0,0");

        write_paired_csv(&path, &paired, (None, "n"), "mtw").unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.starts_with("n,model,reference,"), "{text}");
        assert!(text.contains("\n10,lasso,mtw,0.15,"), "{text}");
    }

    #[test]
    fn rows_without_the_reference_remove_a_stale_table() {
        let dir = tempfile::tempdir().unwrap();
        let rows = vec![row(10.0, 0, "mtw", 0.1), row(10.0, 0, "lasso", 0.25)];
        let columns = (None, "n");
        assert!(write_paired_if_reference_ran(dir.path(), &rows, "error", "mtw", columns).unwrap());
        assert!(dir.path().join(PAIRED_FILE).exists());
        let lasso_only = &rows[1..];
        let wrote = write_paired_if_reference_ran(dir.path(), lasso_only, "error", "mtw", columns);
        assert!(!wrote.unwrap());
        assert!(!dir.path().join(PAIRED_FILE).exists());
        // Nothing to remove is fine too.
        assert!(!write_paired_if_reference_ran(dir.path(), &[], "error", "mtw", columns).unwrap());
    }
}
