//! Evaluation metrics: precision-recall curves and average precision (as scikit-learn computes
//! them), support recovery, classification error, estimation error and support size.
//!
//! # Precision-recall conventions (scikit-learn ≥ 1.3, `drop_intermediate = false`)
//!
//! One threshold per distinct score (ties form a single point); at threshold τ the predicted
//! positives are the items with `score ≥ τ`; precision = TP/(TP+FP), recall = TP/#positives.
//! The arrays are ordered by increasing threshold and end with the point (precision 1,
//! recall 0) that has no threshold. Average precision is the step-function sum
//! `AP = Σ_k (R_k − R_{k+1}) P_k` over that order; the trapezoid PR-AUC interpolates
//! linearly (optimistic). Sums follow numpy's pairwise summation, so both match scikit-learn
//! to the last bit.
//!
//! # Scores of estimated coefficients
//!
//! Support recovery ranks features by `|θ̂|`. A coefficient that is tiny but not zero (MTW's
//! dense minimisers carry values like 1e-40 off the support) still ranks above exact zeros;
//! pass a `threshold` to score every `|θ̂| ≤ threshold` as 0 instead.

use nalgebra::DMatrix;

use crate::error::{Error, Result};
use crate::scalar::Scalar;

/// A precision-recall curve (see the module doc for the conventions).
#[derive(Clone, Debug, PartialEq)]
pub struct PrCurve {
    /// Precision per threshold (increasing thresholds), then 1.
    pub precision: Vec<f64>,
    /// Recall per threshold (increasing thresholds), then 0.
    pub recall: Vec<f64>,
    /// The distinct scores, increasing.
    pub thresholds: Vec<f64>,
}

impl PrCurve {
    /// Average precision `Σ_k (R_k − R_{k+1}) P_k` (step function, no interpolation).
    pub fn average_precision(&self) -> f64 {
        let terms: Vec<f64> =
            self.recall.windows(2).zip(&self.precision).map(|(r, &p)| (r[1] - r[0]) * p).collect();
        -pairwise_sum(&terms)
    }

    /// Area under the curve by the trapezoidal rule over (recall, precision).
    pub fn auc_trapezoid(&self) -> f64 {
        let (x, y) = (&self.recall, &self.precision);
        let terms: Vec<f64> = (0..x.len().saturating_sub(1))
            .map(|i| (x[i + 1] - x[i]) * (y[i + 1] + y[i]) / 2.0)
            .collect();
        // Recall never increases along the curve, so the integral is taken with sign −1.
        -pairwise_sum(&terms)
    }
}

/// numpy's pairwise summation of a contiguous array (8 partial sums, blocks of 128), so that
/// sums agree with numpy to the last bit.
fn pairwise_sum(a: &[f64]) -> f64 {
    let n = a.len();
    if n < 8 {
        return a.iter().fold(0.0, |acc, &v| acc + v);
    }
    if n <= 128 {
        let mut r = [0.0; 8];
        r.copy_from_slice(&a[..8]);
        let full = n - n % 8;
        for i in (8..full).step_by(8) {
            for (k, rk) in r.iter_mut().enumerate() {
                *rk += a[i + k];
            }
        }
        let mut res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
        for &v in &a[full..] {
            res += v;
        }
        return res;
    }
    let mut half = n / 2;
    half -= half % 8;
    pairwise_sum(&a[..half]) + pairwise_sum(&a[half..])
}

/// Checks labels and scores: same non-zero length, finite scores, at least one positive.
fn check_binary(y_true: &[bool], scores: &[f64]) -> Result<()> {
    if y_true.len() != scores.len() {
        return Err(Error::Shape(format!("{} labels but {} scores", y_true.len(), scores.len())));
    }
    if scores.is_empty() {
        return Err(Error::Empty("no scores".into()));
    }
    crate::validate::all_finite("scores", scores)?;
    if !y_true.iter().any(|&y| y) {
        return Err(Error::parameter(
            "y_true",
            "all false",
            "precision-recall needs at least one positive label",
        ));
    }
    Ok(())
}

/// The precision-recall curve of `scores` against the binary truth `y_true`.
pub fn precision_recall_curve(y_true: &[bool], scores: &[f64]) -> Result<PrCurve> {
    check_binary(y_true, scores)?;

    // Decreasing scores; a threshold closes each group of equal scores.
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]));
    let n_pos = y_true.iter().filter(|&&y| y).count() as f64;
    let (mut tp, mut fp) = (0usize, 0usize);
    let (mut precision, mut recall, mut thresholds) = (Vec::new(), Vec::new(), Vec::new());
    for (k, &i) in order.iter().enumerate() {
        if y_true[i] {
            tp += 1;
        } else {
            fp += 1;
        }
        let last_of_group = order.get(k + 1).map_or(true, |&next| scores[next] != scores[i]);
        if last_of_group {
            precision.push(tp as f64 / (tp + fp) as f64);
            recall.push(tp as f64 / n_pos);
            thresholds.push(scores[i]);
        }
    }

    // Increasing thresholds, then the end point (1, 0).
    precision.reverse();
    recall.reverse();
    thresholds.reverse();
    precision.push(1.0);
    recall.push(0.0);
    Ok(PrCurve { precision, recall, thresholds })
}

/// Average precision, as scikit-learn's `average_precision_score`.
pub fn average_precision(y_true: &[bool], scores: &[f64]) -> Result<f64> {
    Ok(precision_recall_curve(y_true, scores)?.average_precision())
}

/// Trapezoidal area under the precision-recall curve, as scikit-learn's
/// `auc(recall, precision)`.
pub fn pr_auc_trapezoid(y_true: &[bool], scores: &[f64]) -> Result<f64> {
    Ok(precision_recall_curve(y_true, scores)?.auc_trapezoid())
}

/// Average precision of support recovery.
#[derive(Clone, Debug, PartialEq)]
pub struct SupportRecovery {
    /// AP of `|θ̂_t|` against the support of `θ*_t`, per task.
    pub per_task: Vec<f64>,
    /// Mean of `per_task`.
    pub mean: f64,
    /// AP of all p × T entries ranked together.
    pub pooled: f64,
}

/// Checks that two coefficient matrices have the same shape.
fn check_same_shape<T: Scalar>(a: &DMatrix<T>, b: &DMatrix<T>) -> Result<()> {
    if a.shape() != b.shape() {
        return Err(Error::Shape(format!(
            "estimate is {}×{} but truth is {}×{}",
            a.nrows(),
            a.ncols(),
            b.nrows(),
            b.ncols()
        )));
    }
    Ok(())
}

/// Support recovery of `coef_hat` (p × T) against `coef_true` (p × T): average precision of
/// the scores `|θ̂_jt|` (0 where `|θ̂_jt| ≤ threshold`) for the labels `θ*_jt ≠ 0`, per task,
/// averaged over tasks, and pooled. Every task needs a non-empty true support.
pub fn support_recovery<T: Scalar>(
    coef_hat: &DMatrix<T>,
    coef_true: &DMatrix<T>,
    threshold: f64,
) -> Result<SupportRecovery> {
    check_same_shape(coef_hat, coef_true)?;
    crate::validate::finite_matrix("coef_hat", coef_hat)?;
    let score = |v: T| {
        let a = v.to_f64().abs();
        if a > threshold {
            a
        } else {
            0.0
        }
    };

    let mut per_task = Vec::with_capacity(coef_hat.ncols());
    for t in 0..coef_hat.ncols() {
        let labels: Vec<bool> = coef_true.column(t).iter().map(|&v| v != T::zero()).collect();
        let scores: Vec<f64> = coef_hat.column(t).iter().map(|&v| score(v)).collect();
        let ap = average_precision(&labels, &scores).map_err(|e| match e {
            Error::Parameter { .. } => {
                Error::parameter("coef_true", format!("task {t}"), "has an empty support")
            }
            other => other,
        })?;
        per_task.push(ap);
    }

    let labels: Vec<bool> = coef_true.iter().map(|&v| v != T::zero()).collect();
    let scores: Vec<f64> = coef_hat.iter().map(|&v| score(v)).collect();
    let pooled = average_precision(&labels, &scores)?;
    let mean = per_task.iter().sum::<f64>() / per_task.len() as f64;
    Ok(SupportRecovery { per_task, mean, pooled })
}

/// Prediction scores `X θ` (N × T) of the samples `x` (N × p) for coefficients `coef` (p × T).
pub fn predict_scores<T: Scalar>(x: &DMatrix<T>, coef: &DMatrix<T>) -> Result<DMatrix<T>> {
    if x.ncols() != coef.nrows() {
        return Err(Error::Shape(format!(
            "samples have {} features but coef has {} rows",
            x.ncols(),
            coef.nrows()
        )));
    }
    Ok(x * coef)
}

/// Misclassification rate: sample i is assigned the class (task) `argmax_t scores[i, t]`
/// (first index on ties) and compared with `labels[i]` (a task index).
pub fn classification_error<T: Scalar>(scores: &DMatrix<T>, labels: &[usize]) -> Result<f64> {
    if scores.nrows() != labels.len() {
        return Err(Error::Shape(format!(
            "{} score rows but {} labels",
            scores.nrows(),
            labels.len()
        )));
    }
    if labels.is_empty() || scores.ncols() == 0 {
        return Err(Error::Empty("no samples or no classes to classify".into()));
    }
    crate::validate::finite_matrix("scores", scores)?;
    if let Some(&bad) = labels.iter().find(|&&l| l >= scores.ncols()) {
        return Err(Error::parameter("label", bad, "must be a task index below T"));
    }

    let wrong = labels
        .iter()
        .enumerate()
        .filter(|&(i, &label)| {
            let row = scores.row(i);
            let best = (1..row.len()).fold(0, |b, t| if row[t] > row[b] { t } else { b });
            best != label
        })
        .count();
    Ok(wrong as f64 / labels.len() as f64)
}

/// Relative estimation error `‖θ̂ − θ*‖_F / ‖θ*‖_F` (θ* must be non-zero).
pub fn relative_error<T: Scalar>(coef_hat: &DMatrix<T>, coef_true: &DMatrix<T>) -> Result<f64> {
    check_same_shape(coef_hat, coef_true)?;
    let truth = coef_true.map(|v| v.to_f64());
    let norm = truth.norm();
    if norm == 0.0 {
        return Err(Error::parameter("coef_true", 0, "relative error needs a non-zero truth"));
    }
    let err = (coef_hat.map(|v| v.to_f64()) - truth).norm() / norm;
    crate::model::cd::ensure_finite("relative estimation error", err)
}

/// Number of entries with `|θ_jt| > threshold` (0 for the exact support).
pub fn support_size<T: Scalar>(coef: &DMatrix<T>, threshold: f64) -> usize {
    coef.iter().filter(|v| v.to_f64().abs() > threshold).count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairwise_sum_matches_plain_sum_on_exact_values() {
        let a: Vec<f64> = (0..1000).map(f64::from).collect();
        assert_eq!(pairwise_sum(&a), 499_500.0);
        assert_eq!(pairwise_sum(&[]), 0.0);
    }

    #[test]
    fn argmax_ties_take_the_first_class() {
        let scores = DMatrix::from_row_slice(2, 3, &[1.0, 1.0, 0.0, 0.0, 2.0, 2.0]);
        assert_eq!(classification_error(&scores, &[0, 1]).unwrap(), 0.0);
        assert_eq!(classification_error(&scores, &[1, 2]).unwrap(), 1.0);
    }
}
