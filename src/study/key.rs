//! What identifies a trial ([`TrialKey`]), what a trial reports ([`Measurement`]) and the CSV
//! row the runner writes for it ([`Row`]).

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

/// One CSV row: a measurement with its trial key and the number of rows its trial wrote.
///
/// `trial_rows` lets a reader tell a completely recorded trial (exactly `trial_rows` rows with
/// its key) from one cut short by a kill: the latter is dropped and rerun on resume.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    /// The trial.
    pub key: TrialKey,
    /// What was measured.
    pub measurement: Measurement,
    /// Number of rows this trial wrote.
    pub trial_rows: usize,
}

/// The CSV header, in column order.
pub const CSV_HEADER: [&str; 8] =
    ["group", "x", "trial", "model", "metric", "value", "note", "trial_rows"];

impl Row {
    /// The CSV fields, in [`CSV_HEADER`] order. Numbers use Rust's shortest round-trip
    /// formatting, so reading them back gives the same bits.
    pub fn to_fields(&self) -> [String; 8] {
        let (k, m) = (&self.key, &self.measurement);
        [
            k.group.clone(),
            format!("{}", k.x),
            k.trial.to_string(),
            m.model.clone(),
            m.metric.clone(),
            format!("{}", m.value),
            m.note.clone(),
            self.trial_rows.to_string(),
        ]
    }

    /// Parses the fields of one record; the error says which column is wrong.
    pub fn from_fields(fields: &csv::StringRecord) -> std::result::Result<Row, String> {
        if fields.len() != CSV_HEADER.len() {
            return Err(format!("{} fields, expected {}", fields.len(), CSV_HEADER.len()));
        }
        let num = |i: usize| -> std::result::Result<f64, String> {
            fields[i].parse::<f64>().map_err(|_| format!("{} = {:?}", CSV_HEADER[i], &fields[i]))
        };
        let int = |i: usize| -> std::result::Result<usize, String> {
            fields[i].parse::<usize>().map_err(|_| format!("{} = {:?}", CSV_HEADER[i], &fields[i]))
        };
        let key = TrialKey::new(&fields[0], num(1)?, int(2)?);
        let measurement = Measurement {
            model: fields[3].to_string(),
            metric: fields[4].to_string(),
            value: num(5)?,
            note: fields[6].to_string(),
        };
        let trial_rows = int(7)?;
        if trial_rows == 0 {
            return Err("trial_rows = 0".into());
        }
        Ok(Row { key, measurement, trial_rows })
    }
}

/// Sorts rows into the canonical order (stable: rows of one trial keep their order).
pub fn sort_canonical(rows: &mut [Row]) {
    rows.sort_by(|a, b| a.key.canonical_cmp(&b.key));
}
