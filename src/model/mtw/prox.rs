//! The closed-form proximal operator of Proposition 3 and the MTW coordinate update built on it.

use crate::scalar::Scalar;

/// `prox_{αg}(y) = argmin_{x>0} ½(x − y)² + α(x − a log x + b x)` for `α > 0`, `a ≥ 0`
/// (Proposition 3 of the paper).
///
/// The optimality condition `x − z − αa/x = 0`, with `z = y − α(b + 1)`, is a quadratic whose
/// positive root is
///
/// ```text
/// x = (z + √(z² + 4αa)) / 2 = 2αa / (√(z² + 4αa) − z).
/// ```
///
/// The first form is used for `z ≥ 0` and the second for `z < 0`, so neither subtracts nearly
/// equal numbers: the result is accurate to a few ulps for every input, including `z ≪ 0`
/// where the literal first form cancels to 0. For `a = 0` this is the limit `max(z, 0)`.
/// `z² + 4αa` is evaluated as `|z|·√(1 + 4αa/z²)`-style hypot to avoid overflow at |y| ~ 1e300.
pub fn prox_prop3<T: Scalar>(y: T, alpha: T, a: T, b: T) -> T {
    let z = y - alpha * (b + T::one());
    positive_root(z, alpha * a)
}

/// The positive root of `x² − z x − c = 0` (`c ≥ 0`), computed without cancellation; `max(z, 0)`
/// when `c = 0`.
#[inline]
pub fn positive_root<T: Scalar>(z: T, c: T) -> T {
    if c <= T::zero() {
        return z.max(T::zero());
    }
    let two = T::one() + T::one();
    // √(z² + 4c) as a hypotenuse, so neither square overflows or underflows.
    let disc = z.hypot(two * c.sqrt());
    if z >= T::zero() {
        (z + disc) / two
    } else {
        two * c / (disc - z)
    }
}

/// Minimiser over `x > 0` (or `x ≥ 0` when `c = 0`) of the one-coordinate MTW objective
///
/// ```text
/// ½ L x² − y x + A (x − m log x) + B x
/// ```
///
/// with `L = ‖X_j‖²` (curvature of the data fit), `y = X_jᵀ r` (correlation with the residual
/// `r` from which feature j was removed), `A = nαγ` (transport weight), `m` the left marginal of
/// the feature and `B = nβ` (ℓ1 weight). Its optimality condition `L x² − (y − A − B) x − A m = 0`
/// is Proposition 3 with step 1/L. When `L = 0` the feature carries no data; callers keep its
/// coefficient at 0 instead (see the solver's documentation).
#[inline]
pub fn coordinate_minimizer<T: Scalar>(l: T, y: T, a: T, m: T, b: T) -> T {
    positive_root((y - a - b) / l, a * m / l)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_solves_the_quadratic() {
        for &(z, c) in &[(3.0, 2.0), (-3.0, 2.0), (-1e8, 1e-3), (1e-3, 1e8), (0.0, 1.0)] {
            let x: f64 = positive_root(z, c);
            assert!(x > 0.0);
            let residual = x * x - z * x - c;
            let scale = x * x + (z * x).abs() + c;
            assert!(residual.abs() <= 1e-14 * scale, "z={z} c={c} x={x}");
        }
    }

    #[test]
    fn zero_mass_is_soft_threshold_at_zero() {
        assert_eq!(positive_root(2.0f64, 0.0), 2.0);
        assert_eq!(positive_root(-2.0f64, 0.0), 0.0);
    }

    #[test]
    fn coordinate_minimizer_is_stationary() {
        let (l, y, a, m, b) = (2.5f64, 0.7, 0.3, 0.4, 0.1);
        let x = coordinate_minimizer(l, y, a, m, b);
        let grad = l * x - y + a * (1.0 - m / x) + b;
        assert!(grad.abs() < 1e-14);
    }
}
