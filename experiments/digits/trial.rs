//! One trial of the study: a random split at one training size, every model selected by
//! cross-validation on it and scored on its validation set.
//!
//! For each model: the grid is made absolute with the references of the split's training
//! problem; k-fold CV (folds shared by all models, seeded from the trial's stream) picks the
//! grid point of lowest mean misclassification (ties: larger penalties), with warm-started
//! paths per fold; the refit on the whole training set is scored on the validation rows by
//! `argmax_t x·θ_t`.

use std::time::Instant;

use nalgebra::DMatrix;
use rand::Rng;

use mtw::data::MfeatPix;
use mtw::metrics::classification_error;
use mtw::select::{cross_validate, misclassification, CvOptions, Hyper};
use mtw::study::Measurement;
use mtw::{Error, Result, Scalar};

use crate::digits::config::{DigitsConfig, GridSpec};
use crate::digits::models::Models;
use crate::digits::problem::{split_data, SplitData};

/// What one trial produces: the measurements and, when asked, each model's coefficients.
pub struct TrialOutput {
    /// Every model's measurements (see [`measure`]).
    pub measurements: Vec<Measurement>,
    /// `(model, θ)` with θ of shape p × T, in model order (when `keep_coefficients`).
    pub coefficients: Vec<(String, DMatrix<f64>)>,
}

/// Runs every model of `config` on the split drawn from `rng` with `n` samples per digit.
pub fn run_trial<T: Scalar, R: Rng + ?Sized>(
    data: &MfeatPix,
    config: &DigitsConfig,
    models: &Models<T>,
    n: usize,
    rng: &mut R,
    keep_coefficients: bool,
) -> Result<TrialOutput> {
    let split = split_data::<T, _>(data, &config.digits, n, rng)?;
    let options = CvOptions { folds: config.folds, seed: rng.gen(), ..CvOptions::default() };
    let mut out = TrialOutput { measurements: Vec::new(), coefficients: Vec::new() };
    for (name, spec) in &config.models {
        match run_model(&split, models, name, spec, options) {
            Ok((values, coef)) => {
                out.measurements.extend(measure(name, &values, ""));
                if keep_coefficients {
                    out.coefficients.push((name.clone(), coef));
                }
            }
            Err(e) => {
                // A failed model is recorded as missing (NaN) with the reason, so that the
                // other models' results of the split are kept.
                eprintln!("digits_study: {name} failed at n = {n} (recorded as missing): {e}");
                let missing: Vec<(&str, f64)> = METRICS.iter().map(|&m| (m, f64::NAN)).collect();
                out.measurements.extend(measure(name, &missing, &e.to_string()));
            }
        }
    }
    Ok(out)
}

/// A model's named values in [`METRICS`] order, and its coefficients θ.
type ModelResult = (Vec<(&'static str, f64)>, DMatrix<f64>);

/// Selects, refits and scores one model; returns its values in [`METRICS`] order and θ.
fn run_model<T: Scalar>(
    split: &SplitData<T>,
    models: &Models<T>,
    name: &str,
    spec: &GridSpec,
    options: CvOptions,
) -> Result<ModelResult> {
    let refs = |r| Models::reference(&split.problem, r);
    let grid = spec.grid(refs)?;
    let builder = |h: &Hyper| models.build(name, h);
    let labels = misclassification(split.train_labels.clone());
    let clock = Instant::now();
    let cv = cross_validate(&split.problem, &grid, &builder, labels, options)?;
    let cv_seconds = clock.elapsed().as_secs_f64();
    let fit = cv.refit.ok_or_else(|| Error::Numerical(format!("{name}: no refit")))?;
    let scores = &split.validation * &fit.coef;
    let error = classification_error(&scores, &split.validation_labels)?;
    let sel = &cv.selection;
    let ratio = |value: f64, reference| {
        let base = Models::reference(&split.problem, reference);
        if base > 0.0 {
            value / base
        } else {
            0.0
        }
    };
    let values = vec![
        ("error", error),
        ("cv_error", sel.best_score),
        ("mu", sel.best.mu),
        ("lambda", sel.best.lambda),
        ("mu_ratio", ratio(sel.best.mu, spec.mu_ref)),
        ("lambda_ratio", ratio(sel.best.lambda, spec.lambda_ref)),
        ("mu_edge", f64::from(u8::from(sel.on_grid_edge.mu))),
        ("lambda_edge", f64::from(u8::from(sel.on_grid_edge.lambda))),
        ("converged", f64::from(u8::from(fit.converged))),
        ("fit_seconds", fit.seconds),
        ("cv_seconds", cv_seconds),
    ];
    debug_assert!(values.iter().map(|v| v.0).eq(METRICS));
    Ok((values, fit.coef.map(|v| v.to_f64())))
}

/// Metric names of every model, in column order (see [`measure`]).
pub const METRICS: [&str; 11] = [
    "error",
    "cv_error",
    "mu",
    "lambda",
    "mu_ratio",
    "lambda_ratio",
    "mu_edge",
    "lambda_edge",
    "converged",
    "fit_seconds",
    "cv_seconds",
];

/// The wall-time metrics: machine-dependent (they vary between runs and with the load), left
/// out when two runs are compared; every other metric depends only on the seed and the key.
pub const TIMING_METRICS: [&str; 2] = ["fit_seconds", "cv_seconds"];

/// The measurements of one model, named by the future column names of `splits.csv`:
///
/// - `error`: misclassification rate on the validation set;
/// - `cv_error`: the winner's mean CV misclassification;
/// - `mu`, `lambda`: the selected penalties (0 when unused); `mu_ratio`, `lambda_ratio`: the
///   same relative to the grid's reference value;
/// - `mu_edge`, `lambda_edge`: 1 when the winner is on the edge of a grid axis;
/// - `converged`: 1 when the refit met its stopping test;
/// - `fit_seconds`: the refit's own time; `cv_seconds`: wall time of CV and refit together
///   (both measured while other trials run in parallel).
///
/// `note` (an error message for a failed model) goes with the `error` measurement.
pub fn measure(model: &str, values: &[(&str, f64)], note: &str) -> Vec<Measurement> {
    values
        .iter()
        .map(|&(metric, value)| {
            let m = Measurement::new(model, metric, value);
            if metric == "error" {
                m.with_note(note)
            } else {
                m
            }
        })
        .collect()
}
