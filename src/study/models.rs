//! A study's table of models: labelled estimators fitted on each trial's problem and scored
//! into [`Measurement`]s, one per (model, metric).
//!
//! A failed fit or score does not lose the trial: its metrics are recorded as NaN with the
//! error in the note, and summaries count them as missing.

use crate::error::{Error, Result};
use crate::model::{Estimator, Fit, Problem};
use crate::scalar::Scalar;
use crate::study::key::Measurement;

/// The name a chart shows for a model given by its `mtw fit --model` name (the name CSVs
/// use): `mll` is "Multi-level Lasso", `remtw` "Reweighted MTW", and so on. Other names pass
/// through unchanged.
pub fn display_name(model: &str) -> &str {
    match model {
        "lasso" => "Lasso",
        "relasso" => "Reweighted Lasso",
        "group-lasso" => "Group Lasso",
        "dirty" => "Dirty",
        "mll" => "Multi-level Lasso",
        "mtw" => "MTW",
        "remtw" => "Reweighted MTW",
        other => other,
    }
}

/// Labelled estimators and the metric names their fits are scored on.
pub struct ModelTable<T: Scalar> {
    metrics: Vec<String>,
    models: Vec<(String, Box<dyn Estimator<T>>)>,
}

impl<T: Scalar> ModelTable<T> {
    /// An empty table whose scorer reports `metrics`, in this order.
    pub fn new(metrics: &[&str]) -> Self {
        ModelTable { metrics: metrics.iter().map(|m| m.to_string()).collect(), models: Vec::new() }
    }

    /// Adds an estimator under `label` (the name used in CSVs and legends; several entries may
    /// share one estimator type with different hyperparameters).
    pub fn with(mut self, label: &str, estimator: impl Estimator<T> + 'static) -> Self {
        self.models.push((label.to_string(), Box::new(estimator)));
        self
    }

    /// Adds an already boxed estimator.
    pub fn with_boxed(mut self, label: &str, estimator: Box<dyn Estimator<T>>) -> Self {
        self.models.push((label.to_string(), estimator));
        self
    }

    /// Model labels in table order.
    pub fn labels(&self) -> Vec<&str> {
        self.models.iter().map(|(l, _)| l.as_str()).collect()
    }

    /// Metric names in score order.
    pub fn metrics(&self) -> &[String] {
        &self.metrics
    }

    /// Fits every model on `problem` in table order and scores each fit with
    /// `score(label, fit)`, which returns one value per metric. The note of a successful fit
    /// is `iterations=… converged=…`; a failure gives NaN values and the error as note.
    pub fn evaluate<S>(&self, problem: &Problem<T>, score: S) -> Vec<Measurement>
    where
        S: Fn(&str, &Fit<T>) -> Result<Vec<f64>>,
    {
        let mut out = Vec::with_capacity(self.models.len() * self.metrics.len());
        for (label, estimator) in &self.models {
            let scored = estimator.fit(problem).and_then(|fit| {
                let values = score(label, &fit)?;
                if values.len() != self.metrics.len() {
                    return Err(Error::Shape(format!(
                        "the scorer returned {} values for {} metrics",
                        values.len(),
                        self.metrics.len()
                    )));
                }
                Ok((values, format!("iterations={} converged={}", fit.iterations, fit.converged)))
            });
            let (values, note) = match scored {
                Ok(v) => v,
                Err(e) => (vec![f64::NAN; self.metrics.len()], format!("failed: {e}")),
            };
            for (metric, value) in self.metrics.iter().zip(values) {
                out.push(Measurement::new(label.as_str(), metric.as_str(), value).with_note(&note));
            }
        }
        out
    }
}
