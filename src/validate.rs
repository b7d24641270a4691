//! Small input checks shared by every layer, each returning a typed [`Error`].

use nalgebra::{DMatrix, DVector};

use crate::error::{Error, Result};
use crate::scalar::Scalar;

/// Fails with [`Error::NonFinite`] on the first NaN or infinite entry of `values`.
pub fn all_finite<T: Scalar>(what: &str, values: &[T]) -> Result<()> {
    match values.iter().position(|v| !v.finite()) {
        None => Ok(()),
        Some(i) => Err(Error::NonFinite {
            what: what.into(),
            detail: format!("entry {i} (column-major) is {}", values[i]),
        }),
    }
}

/// Fails unless every entry of the matrix is finite.
pub fn finite_matrix<T: Scalar>(what: &str, m: &DMatrix<T>) -> Result<()> {
    match m.iter().position(|v| !v.finite()) {
        None => Ok(()),
        Some(k) => {
            let (i, j) = (k % m.nrows(), k / m.nrows());
            Err(Error::NonFinite {
                what: what.into(),
                detail: format!("entry ({i}, {j}) is {}", m[(i, j)]),
            })
        }
    }
}

/// Fails unless every entry of the vector is finite.
pub fn finite_vector<T: Scalar>(what: &str, v: &DVector<T>) -> Result<()> {
    all_finite(what, v.as_slice())
}

/// Fails unless every entry is finite and non-negative.
pub fn nonnegative_matrix<T: Scalar>(what: &str, m: &DMatrix<T>) -> Result<()> {
    finite_matrix(what, m)?;
    match m.iter().position(|&v| v < T::zero()) {
        None => Ok(()),
        Some(k) => {
            let (i, j) = (k % m.nrows(), k / m.nrows());
            Err(Error::Negative {
                what: what.into(),
                detail: format!("entry ({i}, {j}) is {}", m[(i, j)]),
            })
        }
    }
}

/// Fails unless `value > 0` and finite.
pub fn positive<T: Scalar>(name: &str, value: T) -> Result<()> {
    if value.finite() && value > T::zero() {
        Ok(())
    } else {
        Err(Error::parameter(name, value, "must be finite and > 0"))
    }
}

/// Fails unless `value >= 0` and finite.
pub fn nonnegative<T: Scalar>(name: &str, value: T) -> Result<()> {
    if value.finite() && value >= T::zero() {
        Ok(())
    } else {
        Err(Error::parameter(name, value, "must be finite and >= 0"))
    }
}

/// Fails with [`Error::Parameter`] naming the first value of `values` that repeats an earlier
/// one ("is listed twice").
pub fn distinct<V: PartialEq + std::fmt::Display>(name: &str, values: &[V]) -> Result<()> {
    match values.iter().enumerate().find(|(k, v)| values[..*k].contains(v)) {
        Some((_, twice)) => Err(Error::parameter(name, twice, "is listed twice")),
        None => Ok(()),
    }
}
