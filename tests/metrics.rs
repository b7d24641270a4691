//! Metrics against scikit-learn's precision-recall references (`tests/data/metrics_pr_*.json`)
//! and on hand-checked cases.

mod common;

use common::{get, load, scalar, vector};
use mtw::metrics::{
    average_precision, classification_error, pr_auc_trapezoid, precision_recall_curve,
    predict_scores, relative_error, support_recovery, support_size,
};
use mtw::Error;
use nalgebra::DMatrix;
use serde_json::Value;

const CASES: [&str; 6] = [
    "metrics_pr_all_zero_scores.json",
    "metrics_pr_coef_magnitudes.json",
    "metrics_pr_perfect.json",
    "metrics_pr_random_scores.json",
    "metrics_pr_single_positive.json",
    "metrics_pr_ties.json",
];

fn inputs(case: &Value) -> (Vec<bool>, Vec<f64>) {
    let y: Vec<bool> = vector(get(case, "inputs/y_true")).iter().map(|&v| v != 0.0).collect();
    (y, vector(get(case, "inputs/scores")).iter().copied().collect())
}

fn assert_close(got: &[f64], want: &[f64], what: &str) {
    assert_eq!(got.len(), want.len(), "{what}: lengths differ");
    for (g, w) in got.iter().zip(want) {
        assert!((g - w).abs() <= 1e-15, "{what}: {g} vs {w}");
    }
}

#[test]
fn precision_recall_matches_sklearn() {
    for file in CASES {
        let case = load(file);
        let (y, scores) = inputs(&case);
        let curve = precision_recall_curve(&y, &scores).unwrap();
        let want = |key: &str| -> Vec<f64> {
            vector(get(&case, &format!("outputs/{key}"))).iter().copied().collect()
        };
        assert_close(&curve.precision, &want("precision"), &format!("{file} precision"));
        assert_close(&curve.recall, &want("recall"), &format!("{file} recall"));
        assert_close(&curve.thresholds, &want("thresholds"), &format!("{file} thresholds"));

        let ap = average_precision(&y, &scores).unwrap();
        let want_ap = scalar(get(&case, "outputs/average_precision"));
        assert!((ap - want_ap).abs() <= 1e-15, "{file}: AP {ap} vs {want_ap}");
        let auc = pr_auc_trapezoid(&y, &scores).unwrap();
        let want_auc = scalar(get(&case, "outputs/pr_auc_trapezoid"));
        assert!((auc - want_auc).abs() <= 1e-15, "{file}: AUC {auc} vs {want_auc}");
    }
}

#[test]
fn support_recovery_of_coefficient_magnitudes() {
    // The scores are |coef| of a (30, 3) estimate flattened row-major.
    let case = load("metrics_pr_coef_magnitudes.json");
    let (y, scores) = inputs(&case);
    let coef_hat = DMatrix::from_row_slice(30, 3, &scores);
    let truth: Vec<f64> = y.iter().map(|&b| if b { 1.0 } else { 0.0 }).collect();
    let coef_true = DMatrix::from_row_slice(30, 3, &truth);

    let rec = support_recovery(&coef_hat, &coef_true, 0.0).unwrap();
    let want = scalar(get(&case, "outputs/average_precision"));
    assert!((rec.pooled - want).abs() <= 1e-15);
    for t in 0..3 {
        let labels: Vec<bool> = coef_true.column(t).iter().map(|&v| v != 0.0).collect();
        let col: Vec<f64> = coef_hat.column(t).iter().copied().collect();
        assert_eq!(rec.per_task[t], average_precision(&labels, &col).unwrap());
    }
    assert!((rec.mean - rec.per_task.iter().sum::<f64>() / 3.0).abs() < 1e-15);

    // The 1e-40 true entry ranks above the zeros; a threshold demotes it to a tie with them.
    let thresholded = support_recovery(&coef_hat, &coef_true, 1e-30).unwrap();
    assert!(thresholded.pooled < rec.pooled);
    assert_eq!(support_size(&coef_hat, 0.0), support_size(&coef_hat, 1e-30) + 1);
}

#[test]
fn hand_checked_values() {
    // Ranking: P N P → AP = (1/2)·1 + (1/2)·(2/3).
    let ap = average_precision(&[true, false, true], &[3.0, 2.0, 1.0]).unwrap();
    assert!((ap - (0.5 + 1.0 / 3.0)).abs() < 1e-15);

    let scores = DMatrix::from_row_slice(3, 2, &[1.0, 0.0, 0.0, 1.0, 2.0, 3.0]);
    assert!((classification_error(&scores, &[0, 1, 0]).unwrap() - 1.0 / 3.0).abs() < 1e-15);

    let x = DMatrix::from_row_slice(1, 2, &[1.0, 2.0]);
    let coef = DMatrix::from_row_slice(2, 2, &[1.0, 0.0, 0.0, 1.0]);
    assert_eq!(predict_scores(&x, &coef).unwrap(), DMatrix::from_row_slice(1, 2, &[1.0, 2.0]));

    let truth = DMatrix::from_row_slice(2, 1, &[3.0, 4.0]);
    let est = DMatrix::from_row_slice(2, 1, &[3.0, 3.0]);
    assert!((relative_error(&est, &truth).unwrap() - 0.2).abs() < 1e-15);
    assert_eq!(support_size(&est, 0.0), 2);
}

#[test]
fn invalid_inputs_are_errors() {
    assert!(matches!(average_precision(&[true], &[1.0, 2.0]), Err(Error::Shape(_))));
    assert!(matches!(average_precision(&[], &[]), Err(Error::Empty(_))));
    assert!(matches!(average_precision(&[true], &[f64::NAN]), Err(Error::NonFinite { .. })));
    assert!(matches!(
        average_precision(&[false, false], &[1.0, 2.0]),
        Err(Error::Parameter { .. })
    ));

    let zero = DMatrix::<f64>::zeros(3, 2);
    assert!(relative_error(&zero, &zero).is_err());
    assert!(support_recovery(&zero, &zero, 0.0).is_err());
    assert!(classification_error(&zero, &[0, 2, 0]).is_err());
    assert!(classification_error(&zero, &[0, 1]).is_err());
}
