//! Shared helpers of the integration tests: loading the golden reference files in `tests/data/`.
#![allow(dead_code)]

use std::path::PathBuf;

use nalgebra::{DMatrix, DVector};
use serde_json::Value;

/// Path of a file in `tests/data/`.
pub fn data_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests").join("data").join(name)
}

/// Parses a reference JSON file of `tests/data/`.
pub fn load(name: &str) -> Value {
    let path = data_path(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path:?}: {e}"))
}

/// Follows a `/`-separated path of object keys, panicking with the path if absent.
pub fn get<'a>(v: &'a Value, path: &str) -> &'a Value {
    path.split('/').fold(v, |acc, key| {
        acc.get(key).unwrap_or_else(|| panic!("missing key {key:?} in {path:?}"))
    })
}

/// A JSON number (null becomes NaN).
pub fn scalar(v: &Value) -> f64 {
    v.as_f64().unwrap_or(f64::NAN)
}

/// A JSON list of numbers.
pub fn vector(v: &Value) -> DVector<f64> {
    let items = v.as_array().expect("expected a list");
    DVector::from_iterator(items.len(), items.iter().map(scalar))
}

/// A JSON list of lists (row-major) as a matrix.
pub fn matrix(v: &Value) -> DMatrix<f64> {
    let rows = v.as_array().expect("expected a list of rows");
    let ncols = rows.first().map_or(0, |r| r.as_array().expect("row").len());
    DMatrix::from_fn(rows.len(), ncols, |i, j| scalar(&rows[i][j]))
}

/// A JSON (T, n, p) array as T matrices n × p.
pub fn matrices(v: &Value) -> Vec<DMatrix<f64>> {
    v.as_array().expect("expected a 3-D list").iter().map(matrix).collect()
}

/// A JSON (T, n) array as T vectors.
pub fn vectors(v: &Value) -> Vec<DVector<f64>> {
    v.as_array().expect("expected a 2-D list").iter().map(vector).collect()
}

/// max |a − b| / max(max |b|, tiny).
pub fn rel_max_diff(a: &DMatrix<f64>, b: &DMatrix<f64>) -> f64 {
    assert_eq!(a.shape(), b.shape(), "shapes differ");
    let scale = b.amax().max(f64::MIN_POSITIVE);
    (a - b).amax() / scale
}

/// |a − b| / max(|b|, tiny).
pub fn rel_diff(a: f64, b: f64) -> f64 {
    (a - b).abs() / b.abs().max(f64::MIN_POSITIVE)
}
