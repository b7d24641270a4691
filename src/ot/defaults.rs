//! Default choices of ε and γ: the paper's rules (section 3) and mutar's.
//!
//! * ε: [`default_epsilon`] = `median(M) / p`. For a median-normalised metric this is the
//!   paper's "1/(s p)" with `s = median(M)` (= 1/p); the form `median/p` keeps ε in the
//!   units of M (ε only enters through `M/ε`), so rescaling M rescales ε with it. mutar's
//!   default is [`mutar_default_epsilon`] = `5/p` (for its median-normalised default metric).
//! * γ: the paper's lower bound (11), `γ ≥ −max(M) / ln τ` for `0 < τ < 1`, guarantees that
//!   the barycenter keeps at least the fraction τ of the (ℓ½-averaged) input mass:
//!   [`gamma_from_tau`]. The paper uses τ = 0.5 ([`PAPER_TAU`]). mutar's `compute_gamma`
//!   uses half of it, `max(0, −max(M) / (2 ln τ))`, with τ = 0.8 ([`MUTAR_TAU`]):
//!   [`mutar_gamma`].

use crate::error::{Error, Result};
use crate::ot::GroundMetric;
use crate::scalar::Scalar;

/// The τ of the paper's experiments.
pub const PAPER_TAU: f64 = 0.5;

/// mutar's default τ (`compute_gamma(0.8, M)`).
pub const MUTAR_TAU: f64 = 0.8;

/// `median(M) / p` (median over all p² entries, diagonal included).
pub fn default_epsilon<T: Scalar>(metric: &GroundMetric<T>) -> T {
    metric.median() / T::of_usize(metric.n_features())
}

/// mutar's default `ε = 5 / p`.
pub fn mutar_default_epsilon<T: Scalar>(p: usize) -> T {
    T::of_f64(5.0) / T::of_usize(p)
}

/// The paper's bound (11): `γ = −max(M) / ln τ`, for `0 < τ < 1` (else [`Error::Parameter`]).
pub fn gamma_from_tau<T: Scalar>(metric: &GroundMetric<T>, tau: T) -> Result<T> {
    if !(tau.finite() && tau > T::zero() && tau < T::one()) {
        return Err(Error::parameter("tau", tau, "must be in (0, 1)"));
    }
    Ok(-metric.max() / tau.ln())
}

/// mutar's `compute_gamma(tau, M) = max(0, −max(M) / (2 ln τ))`: half the paper's bound for
/// `0 < τ < 1`, and 0 for `τ ≥ 1` (where the bound is vacuous). Errors for `τ ≤ 0` or NaN.
pub fn mutar_gamma<T: Scalar>(metric: &GroundMetric<T>, tau: T) -> Result<T> {
    let positive = tau.partial_cmp(&T::zero()) == Some(std::cmp::Ordering::Greater);
    if !positive {
        return Err(Error::parameter("tau", tau, "must be > 0 (not NaN)"));
    }
    if tau >= T::one() {
        return Ok(T::zero());
    }
    let two = T::one() + T::one();
    Ok((-metric.max() / (two * tau.ln())).max(T::zero()))
}
