//! A validated multi-task regression problem: T designs `X_t` (n × p) and targets `Y_t` (n).

use nalgebra::{DMatrix, DVector};

use crate::error::{Error, Result};
use crate::scalar::Scalar;
use crate::validate::{finite_matrix, finite_vector};

/// T regression tasks sharing n (samples) and p (features); task t has its own design.
///
/// Every estimator fits the data-fit term `(1/2n) Σ_t ‖X_t θ_t − Y_t‖²` on it.
#[derive(Clone, Debug)]
pub struct Problem<T: Scalar> {
    designs: Vec<DMatrix<T>>,
    targets: Vec<DVector<T>>,
}

/// Every solver divides by the columns' squared norms ‖X_t[:, j]‖² and measures ‖Y_t‖²: finite
/// entries whose squares overflow (|x| ≳ 1e154 in f64, 1e19 in f32) would turn them into ∞ and
/// every fit into zeros, so they are refused here with the column named.
fn squares_finite<T: Scalar>(t: usize, x: &DMatrix<T>, y: &DVector<T>) -> Result<()> {
    let overflow = |what: String| Error::NonFinite {
        what,
        detail: "the sum of squares overflows; rescale the data".into(),
    };
    if let Some(j) = x.column_iter().position(|col| !col.norm_squared().finite()) {
        return Err(overflow(format!("column {j} of X[{t}]")));
    }
    if !y.norm_squared().finite() {
        return Err(overflow(format!("Y[{t}]")));
    }
    Ok(())
}

impl<T: Scalar> Problem<T> {
    /// Checks shapes (same n and p for every task, `Y_t` of length n) and finiteness.
    pub fn new(designs: Vec<DMatrix<T>>, targets: Vec<DVector<T>>) -> Result<Self> {
        if designs.is_empty() {
            return Err(Error::Empty("no tasks (T = 0)".into()));
        }
        if designs.len() != targets.len() {
            return Err(Error::Shape(format!(
                "{} designs but {} targets",
                designs.len(),
                targets.len()
            )));
        }
        let (n, p) = designs[0].shape();
        if n == 0 {
            return Err(Error::Empty("no samples (n = 0)".into()));
        }
        if p == 0 {
            return Err(Error::Empty("no features (p = 0)".into()));
        }
        for (t, (x, y)) in designs.iter().zip(&targets).enumerate() {
            if x.shape() != (n, p) {
                return Err(Error::Shape(format!(
                    "X[{t}] is {}×{} but X[0] is {n}×{p}",
                    x.nrows(),
                    x.ncols()
                )));
            }
            if y.len() != n {
                return Err(Error::Shape(format!(
                    "Y[{t}] has {} entries but X[{t}] has {n} rows",
                    y.len()
                )));
            }
            finite_matrix(&format!("X[{t}]"), x)?;
            finite_vector(&format!("Y[{t}]"), y)?;
            squares_finite(t, x, y)?;
        }
        Ok(Problem { designs, targets })
    }

    /// The same design for every task.
    pub fn shared_design(design: DMatrix<T>, targets: Vec<DVector<T>>) -> Result<Self> {
        let designs = vec![design; targets.len()];
        Self::new(designs, targets)
    }

    /// Number of tasks T.
    pub fn n_tasks(&self) -> usize {
        self.designs.len()
    }

    /// Number of samples n per task.
    pub fn n_samples(&self) -> usize {
        self.designs[0].nrows()
    }

    /// Number of features p.
    pub fn n_features(&self) -> usize {
        self.designs[0].ncols()
    }

    /// Design of task t (n × p).
    pub fn design(&self, t: usize) -> &DMatrix<T> {
        &self.designs[t]
    }

    /// Target of task t (length n).
    pub fn target(&self, t: usize) -> &DVector<T> {
        &self.targets[t]
    }

    /// All designs.
    pub fn designs(&self) -> &[DMatrix<T>] {
        &self.designs
    }

    /// All targets.
    pub fn targets(&self) -> &[DVector<T>] {
        &self.targets
    }

    /// Residuals `R_t = Y_t − X_t θ_t` for coefficients `coef` (p × T).
    pub fn residuals(&self, coef: &DMatrix<T>) -> Vec<DVector<T>> {
        (0..self.n_tasks()).map(|t| &self.targets[t] - &self.designs[t] * coef.column(t)).collect()
    }

    /// The data-fit term `(1/2n) Σ_t ‖Y_t − X_t θ_t‖²`.
    pub fn datafit(&self, coef: &DMatrix<T>) -> T {
        let n = T::of_usize(self.n_samples());
        let total = self.residuals(coef).iter().fold(T::zero(), |acc, r| acc + r.norm_squared());
        total / (n + n)
    }

    /// Checks that `coef` is p × T for this problem.
    pub fn check_coef(&self, what: &str, coef: &DMatrix<T>) -> Result<()> {
        let want = (self.n_features(), self.n_tasks());
        if coef.shape() != want {
            return Err(Error::Shape(format!(
                "{what} is {}×{} but the problem needs p×T = {}×{}",
                coef.nrows(),
                coef.ncols(),
                want.0,
                want.1
            )));
        }
        Ok(())
    }

    /// Converts to another precision.
    pub fn cast<U: Scalar>(&self) -> Problem<U> {
        Problem {
            designs: self.designs.iter().map(|x| x.map(|v| U::of_f64(v.to_f64()))).collect(),
            targets: self.targets.iter().map(|y| y.map(|v| U::of_f64(v.to_f64()))).collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overflowing_squares_are_refused_with_the_column_named() {
        let mut x = DMatrix::from_element(3, 2, 1.0f64);
        x[(1, 1)] = 1e300;
        let y = DVector::from_element(3, 1.0);
        let err = Problem::new(vec![x.clone()], vec![y.clone()]).unwrap_err().to_string();
        assert!(err.contains("column 1 of X[0]") && err.contains("overflows"), "{err}");

        let big_y = DVector::from_element(3, 1e200);
        let err = Problem::new(vec![DMatrix::from_element(3, 2, 1.0)], vec![big_y]).unwrap_err();
        assert!(err.to_string().contains("Y[0]"), "{err}");

        // f32 overflows earlier: 1e20² is beyond f32::MAX.
        let x32 = DMatrix::from_element(2, 2, 1e20f32);
        assert!(Problem::new(vec![x32], vec![DVector::from_element(2, 1.0f32)]).is_err());

        // Large but representable squares are fine.
        let ok = DMatrix::from_element(3, 2, 1e150f64);
        assert!(Problem::new(vec![ok], vec![y]).is_ok());
    }
}
