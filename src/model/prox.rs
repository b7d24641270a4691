//! Proximal operators of the l1 and l2 norms: soft-thresholding and block soft-thresholding,
//! with their non-negative variants.
//!
//! Each map is written so that a threshold of zero and an all-zero block are ordinary inputs:
//! no division by zero, no NaN.

use crate::scalar::Scalar;

/// Soft-thresholding, the prox of `κ|·|`: `sign(x) max(|x| − κ, 0)`.
///
/// With `positive`, the prox of `κ|·| + ι(· ≥ 0)`: `max(x − κ, 0)`.
#[inline]
pub fn soft_threshold<T: Scalar>(x: T, kappa: T, positive: bool) -> T {
    if positive {
        return (x - kappa).max(T::zero());
    }

    if x > kappa {
        x - kappa
    } else if x < -kappa {
        x + kappa
    } else {
        T::zero()
    }
}

/// Block soft-thresholding, the prox of `κ‖·‖₂`, in place: `v ← max(1 − κ/‖v‖₂, 0) v`.
///
/// With `positive`, the prox of `κ‖·‖₂ + ι(· ≥ 0)`: negative entries are first set to zero,
/// then the block is shrunk. An all-zero block stays zero (the ratio is never formed). Returns
/// the norm of the result.
pub fn block_soft_threshold<T: Scalar>(v: &mut [T], kappa: T, positive: bool) -> T {
    if positive {
        for x in v.iter_mut() {
            *x = x.max(T::zero());
        }
    }

    let norm = v.iter().fold(T::zero(), |acc, &x| acc + x * x).sqrt();
    if norm <= kappa {
        v.iter_mut().for_each(|x| *x = T::zero());
        return T::zero();
    }

    // norm > κ ≥ 0, so the ratio is finite and in (0, 1].
    let shrink = T::one() - kappa / norm;
    v.iter_mut().for_each(|x| *x *= shrink);
    norm - kappa
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn soft_threshold_signed_and_positive() {
        assert_eq!(soft_threshold(3.0, 1.0, false), 2.0);
        assert_eq!(soft_threshold(-3.0, 1.0, false), -2.0);
        assert_eq!(soft_threshold(0.5, 1.0, false), 0.0);
        assert_eq!(soft_threshold(-3.0, 1.0, true), 0.0);
        assert_eq!(soft_threshold(3.0f32, 0.0, false), 3.0);
    }

    #[test]
    fn block_prox_of_zero_block_and_zero_threshold() {
        let mut zero = [0.0f64; 4];
        assert_eq!(block_soft_threshold(&mut zero, 0.0, false), 0.0);
        assert!(zero.iter().all(|&x| x == 0.0));

        let mut zero = [0.0f64; 4];
        assert_eq!(block_soft_threshold(&mut zero, 1.0, true), 0.0);
        assert!(zero.iter().all(|&x| x == 0.0));

        let mut v = [3.0f64, 4.0];
        assert_eq!(block_soft_threshold(&mut v, 0.0, false), 5.0);
        assert_eq!(v, [3.0, 4.0]);
    }

    #[test]
    fn block_prox_shrinks_norm_by_threshold() {
        let mut v = [3.0f64, -4.0];
        let norm = block_soft_threshold(&mut v, 2.5, false);
        assert!((norm - 2.5).abs() < 1e-15);
        assert!((v[0] - 1.5).abs() < 1e-15 && (v[1] + 2.0).abs() < 1e-15);

        let mut v = [3.0f64, -4.0];
        block_soft_threshold(&mut v, 1.0, true);
        assert!((v[0] - 2.0).abs() < 1e-15 && v[1] == 0.0);
    }
}
