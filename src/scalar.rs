//! The floating-point abstraction shared by every solver.
//!
//! All numerical code is generic over [`Scalar`], implemented for `f32` and `f64`. Default
//! tolerances depend on the precision: a tolerance that `f64` reaches easily is below the
//! rounding floor of `f32`.

use std::fmt::{Debug, Display, LowerExp};

use nalgebra::RealField;

/// A real floating-point type usable by every solver of the crate (`f32` or `f64`).
///
/// Arithmetic and elementary functions come from [`nalgebra::RealField`] (`x.exp()`, `x.ln()`,
/// `x.sqrt()`, `x.max(y)`); this trait adds conversions and precision-dependent defaults.
pub trait Scalar:
    RealField + Copy + Send + Sync + Debug + Display + LowerExp + Default + serde::Serialize + 'static
{
    /// `"f32"` or `"f64"`, as written in outputs and on the command line.
    const NAME: &'static str;

    /// Converts from `f64` (rounding to the nearest value for `f32`).
    fn of_f64(x: f64) -> Self;

    /// Converts to `f64` (exactly).
    fn to_f64(self) -> f64;

    /// Converts a count or index to the scalar type.
    fn of_usize(n: usize) -> Self {
        Self::of_f64(n as f64)
    }

    /// Machine epsilon: the gap between 1 and the next representable number.
    fn epsilon_machine() -> Self;

    /// Smallest positive normal number.
    fn min_positive() -> Self;

    /// Largest finite number.
    fn max_finite() -> Self;

    /// Default relative tolerance of iterative solvers at this precision
    /// (`1e-8` in `f64`, `1e-5` in `f32`).
    fn default_tol() -> Self;

    /// Whether the value is neither NaN nor infinite.
    fn finite(self) -> bool;
}

impl Scalar for f64 {
    const NAME: &'static str = "f64";

    fn of_f64(x: f64) -> Self {
        x
    }

    fn to_f64(self) -> f64 {
        self
    }

    fn epsilon_machine() -> Self {
        f64::EPSILON
    }

    fn min_positive() -> Self {
        f64::MIN_POSITIVE
    }

    fn max_finite() -> Self {
        f64::MAX
    }

    fn default_tol() -> Self {
        1e-8
    }

    fn finite(self) -> bool {
        self.is_finite()
    }
}

impl Scalar for f32 {
    const NAME: &'static str = "f32";

    fn of_f64(x: f64) -> Self {
        x as f32
    }

    fn to_f64(self) -> f64 {
        self as f64
    }

    fn epsilon_machine() -> Self {
        f32::EPSILON
    }

    fn min_positive() -> Self {
        f32::MIN_POSITIVE
    }

    fn max_finite() -> Self {
        f32::MAX
    }

    fn default_tol() -> Self {
        1e-5
    }

    fn finite(self) -> bool {
        self.is_finite()
    }
}

/// Shorthand for [`Scalar::of_f64`], to keep formulas short: `c::<T>(0.5)`.
#[inline]
pub fn c<T: Scalar>(x: f64) -> T {
    T::of_f64(x)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tolerances_depend_on_precision() {
        assert!(f32::default_tol().to_f64() > f64::default_tol());
        assert!(f64::default_tol() > 100.0 * f64::EPSILON);
        assert!(f64::from(f32::default_tol()) > 10.0 * f64::from(f32::EPSILON));
    }
}
