//! Generalized Sinkhorn iterations for the unbalanced entropic barycenter (Algorithm 2).
//! (API skeleton; to be implemented.)

use nalgebra::{DMatrix, DVector};

use crate::error::Result;
use crate::ot::{GroundMetric, KernelStrategy};
use crate::scalar::Scalar;

/// Sinkhorn scalings kept between calls (warm start), in log form: `u = exp(log_u)`.
#[derive(Clone, Debug)]
pub struct SinkhornState<T: Scalar> {
    /// log u_t, p × T (−∞ where input t has no mass).
    pub log_u: DMatrix<T>,
    /// log v_t, p × T.
    pub log_v: DMatrix<T>,
    /// Whether these scalings came from the log domain (Auto then stays there).
    pub log_domain: bool,
}

/// What one barycenter solve returns.
#[derive(Clone, Debug)]
pub struct BarycenterOutput<T: Scalar> {
    /// The barycenter θ̄ (p).
    pub barycenter: DVector<T>,
    /// Left marginals `m_t = u_t ⊙ K v_t`, p × T.
    pub marginals: DMatrix<T>,
    /// The OT objective `Σ_t W(θ_t, θ̄)` of eq. (5) at the returned scalings.
    pub objective: T,
    /// Sinkhorn sweeps performed.
    pub iterations: usize,
    /// Whether the relative max change of θ̄ fell below tolerance.
    pub converged: bool,
    /// Whether the log domain was used (from the start, or after an Auto switch).
    pub log_domain_used: bool,
    /// Scalings to warm-start the next call.
    pub state: SinkhornState<T>,
}

/// The unbalanced barycenter problem `min_θ̄ Σ_t W(θ_t, θ̄)` for fixed M, ε, γ, with the
/// kernel built once.
pub struct UnbalancedBarycenter<T: Scalar> {
    _marker: std::marker::PhantomData<T>,
}

impl<T: Scalar> UnbalancedBarycenter<T> {
    /// Builds the kernel for `metric`, entropy `epsilon` > 0 and marginal relaxation `gamma` > 0.
    pub fn new(
        metric: &GroundMetric<T>,
        epsilon: T,
        gamma: T,
        strategy: KernelStrategy,
    ) -> Result<Self> {
        todo!()
    }

    /// Solves for the barycenter of the columns of `inputs` (p × T, non-negative), from `warm`
    /// scalings when given (else from u = v = 1), stopping when the relative max change of θ̄
    /// is below `tol` or after `max_iter` sweeps.
    pub fn solve(
        &self,
        inputs: &DMatrix<T>,
        warm: Option<&SinkhornState<T>>,
        tol: T,
        max_iter: usize,
    ) -> Result<BarycenterOutput<T>> {
        todo!()
    }
}
