//! Per-feature standardisation with statistics of the training rows only:
//!
//! ```text
//! x̃_ij = (x_ij − m_j) / s_j,   m_j = (1/N) Σ_{i ∈ train} x_ij,
//! s_j = ((1/N) Σ_{i ∈ train} (x_ij − m_j)²)^½   (s_j := 1 for a constant feature)
//! ```
//!
//! A feature constant on the training rows (e.g. a border pixel that is always blank) becomes
//! 0 there; its validation values keep the offset `x_ij − m_j`. "Constant" means
//! `s_j ≤ 1e-12 · max(1, max_i |x_ij|)`, so rounding in the mean cannot blow a constant column
//! up into noise.

use nalgebra::DMatrix;

use crate::error::{Error, Result};
use crate::scalar::Scalar;
use crate::validate::finite_matrix;

/// Relative threshold under which a feature counts as constant.
const CONSTANT_TOL: f64 = 1e-12;

/// Means and scales of each feature (column).
#[derive(Clone, Debug, PartialEq)]
pub struct Standardizer {
    /// `m_j`.
    pub mean: Vec<f64>,
    /// `s_j` (1 for constant features).
    pub scale: Vec<f64>,
}

impl Standardizer {
    /// Statistics of the rows `rows` of `x` (samples × features).
    ///
    /// Errors: no row, a row index out of range, or a non-finite entry of `x`.
    pub fn fit(x: &DMatrix<f64>, rows: &[usize]) -> Result<Standardizer> {
        if rows.is_empty() {
            return Err(Error::Empty("standardisation needs at least one training row".into()));
        }
        check_rows(x, rows)?;
        finite_matrix("features", x)?;
        let count = rows.len() as f64;
        let mut mean = Vec::with_capacity(x.ncols());
        let mut scale = Vec::with_capacity(x.ncols());
        for j in 0..x.ncols() {
            let col = x.column(j);
            let m = rows.iter().map(|&i| col[i]).sum::<f64>() / count;
            let var = rows.iter().map(|&i| (col[i] - m).powi(2)).sum::<f64>() / count;
            let magnitude = rows.iter().fold(1.0_f64, |a, &i| a.max(col[i].abs()));
            let s = var.sqrt();
            mean.push(m);
            scale.push(if s <= CONSTANT_TOL * magnitude { 1.0 } else { s });
        }
        Ok(Standardizer { mean, scale })
    }

    /// The rows `rows` of `x`, standardised, in precision `T` (`rows.len()` × features).
    pub fn transform<T: Scalar>(&self, x: &DMatrix<f64>, rows: &[usize]) -> Result<DMatrix<T>> {
        if x.ncols() != self.mean.len() {
            return Err(Error::Shape(format!(
                "{} features but the standardiser was fitted on {}",
                x.ncols(),
                self.mean.len()
            )));
        }
        check_rows(x, rows)?;
        Ok(DMatrix::from_fn(rows.len(), x.ncols(), |k, j| {
            T::of_f64((x[(rows[k], j)] - self.mean[j]) / self.scale[j])
        }))
    }
}

fn check_rows(x: &DMatrix<f64>, rows: &[usize]) -> Result<()> {
    match rows.iter().find(|&&i| i >= x.nrows()) {
        Some(&bad) => Err(Error::parameter(
            "row",
            bad,
            &format!("is out of range: the data have {} rows", x.nrows()),
        )),
        None => Ok(()),
    }
}
