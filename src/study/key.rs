//! What identifies a trial ([`TrialKey`]), what a trial reports ([`Measurement`]) and the CSV
//! rows the runner writes for it ([`Row`], one per model).

use std::cmp::Ordering;

use crate::error::{Error, Result};

/// The identity of one trial: a group (e.g. the design `"blur"`), a position on the chart's x
/// axis (e.g. the overlap fraction 0.25, a sample size, a number of sources) and a repetition
/// index. A trial's random stream is derived from the study seed and this key alone
/// ([`crate::study::trial_rng`]).
#[derive(Clone, Debug, PartialEq)]
pub struct TrialKey {
    /// Facet of the study; one chart per group.
    pub group: String,
    /// Value on the x axis (finite; `-0.0` is stored as `0.0`).
    pub x: f64,
    /// Repetition index at this (group, x).
    pub trial: usize,
}

impl TrialKey {
    /// A key; `-0.0` is normalised to `0.0` so that both give the same trial.
    pub fn new(group: impl Into<String>, x: f64, trial: usize) -> Self {
        let x = if x == 0.0 { 0.0 } else { x };
        TrialKey { group: group.into(), x, trial }
    }

    /// A readable label, e.g. `group=blur x=0.25 trial=3`.
    pub fn label(&self) -> String {
        format!("group={} x={} trial={}", self.group, self.x, self.trial)
    }

    /// The canonical order of trials in every CSV: by group (bytes), then x, then trial index.
    pub fn canonical_cmp(&self, other: &TrialKey) -> Ordering {
        self.group
            .cmp(&other.group)
            .then(self.x.total_cmp(&other.x))
            .then(self.trial.cmp(&other.trial))
    }

    /// Fails unless `x` is finite and the group has no control characters (CSV safety).
    pub fn check(&self) -> Result<()> {
        if !self.x.is_finite() {
            return Err(Error::parameter("trial x", self.x, "must be finite"));
        }
        if self.group.chars().any(char::is_control) {
            return Err(Error::parameter("trial group", &self.group, "has control characters"));
        }
        Ok(())
    }
}

/// One number a trial reports, e.g. model `"mtw"`, metric `"auc"`, value 0.93.
///
/// `note` is free text kept in the CSV beside the value (selected hyperparameters, an error
/// message for a failed fit, …). A `NaN` value is recorded as such and counted as missing in
/// summaries.
#[derive(Clone, Debug, PartialEq)]
pub struct Measurement {
    /// Model name (one line per model on charts).
    pub model: String,
    /// Metric name (one chart per metric).
    pub metric: String,
    /// The value.
    pub value: f64,
    /// Free text kept beside the value.
    pub note: String,
}

impl Measurement {
    /// A measurement with an empty note.
    pub fn new(model: impl Into<String>, metric: impl Into<String>, value: f64) -> Self {
        Measurement { model: model.into(), metric: metric.into(), value, note: String::new() }
    }

    /// The same measurement with a note.
    pub fn with_note(mut self, note: impl Into<String>) -> Self {
        self.note = note.into();
        self
    }
}

/// One row of the trials CSV: one model's values in one trial, pivoted from its
/// [`Measurement`]s by [`crate::study::Layout::pivot`].
///
/// `trial_rows` lets a reader tell a completely recorded trial (exactly `trial_rows` rows with
/// its key) from one cut short by a kill: the latter is dropped and rerun on resume.
///
/// Rows compare equal when they would be written as the same CSV line: NaN equals NaN.
#[derive(Clone, Debug)]
pub struct Row {
    /// The trial.
    pub key: TrialKey,
    /// Model name (one line per model on charts).
    pub model: String,
    /// `(metric, value)` in the layout's value-column order; NaN where nothing was reported.
    pub values: Vec<(String, f64)>,
    /// The model's notes in this trial, joined with `"; "`.
    pub note: String,
    /// Number of rows (models) this trial wrote.
    pub trial_rows: usize,
}

impl PartialEq for Row {
    fn eq(&self, other: &Row) -> bool {
        let same = |a: f64, b: f64| a == b || (a.is_nan() && b.is_nan());
        self.key == other.key
            && self.model == other.model
            && self.note == other.note
            && self.trial_rows == other.trial_rows
            && self.values.len() == other.values.len()
            && self.values.iter().zip(&other.values).all(|(a, b)| a.0 == b.0 && same(a.1, b.1))
    }
}

impl Row {
    /// The value of `metric`, `None` when it is not a column of this row.
    pub fn value(&self, metric: &str) -> Option<f64> {
        self.values.iter().find(|(name, _)| name == metric).map(|&(_, v)| v)
    }
}

/// Sorts rows into the canonical order (stable: rows of one trial keep their order).
pub fn sort_canonical(rows: &mut [Row]) {
    rows.sort_by(|a, b| a.key.canonical_cmp(&b.key));
}
