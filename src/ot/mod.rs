//! Entropic unbalanced optimal transport: ground metrics, Gibbs kernels (several strategies
//! behind one trait) and the generalized Sinkhorn barycenter (paper eq. 4-6, 8, Algorithm 2).

pub mod barycenter;
pub mod defaults;
pub mod kernel;
pub mod metric;
pub mod translation;

pub use barycenter::{BarycenterOutput, SinkhornState, UnbalancedBarycenter};
pub use defaults::{default_epsilon, gamma_from_tau};
pub use kernel::{build_kernel, Domain, Kernel};
pub use metric::{GridMetric, GroundMetric};

/// How the Gibbs kernel `K = exp(−M/ε)` is stored and applied.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum KernelStrategy {
    /// `K` stored as a dense p × p matrix; applied to all tasks at once by one matrix product.
    Dense,
    /// `K` as the Kronecker product of 1-D kernels of a regular grid, applied axis by axis.
    Separable,
    /// Dense, in the log domain (log-sum-exp), stable for small ε.
    LogDense,
    /// Separable, in the log domain.
    LogSeparable,
    /// The scaling-domain kernel restricted to its significant entries, stored sparsely (CSR of
    /// `K` and `Kᵀ`): normwise relative error at most the machine epsilon for every input
    /// (see [`kernel::SparseTruncatedKernel`]). Outputs it cannot certify componentwise stop
    /// the solve with a numerical error, which is common at small ε with localised inputs:
    /// hence not used by `Auto`.
    SparseTruncated,
    /// Scaling domain first; switches to the log domain on overflow, underflow or non-finite.
    Auto,
}

impl KernelStrategy {
    /// Every strategy, in a fixed order.
    pub const ALL: [KernelStrategy; 6] = [
        KernelStrategy::Dense,
        KernelStrategy::Separable,
        KernelStrategy::LogDense,
        KernelStrategy::LogSeparable,
        KernelStrategy::SparseTruncated,
        KernelStrategy::Auto,
    ];

    /// The command-line name (`"dense"`, `"log-separable"`, …).
    pub fn name(self) -> &'static str {
        match self {
            KernelStrategy::Dense => "dense",
            KernelStrategy::Separable => "separable",
            KernelStrategy::LogDense => "log-dense",
            KernelStrategy::LogSeparable => "log-separable",
            KernelStrategy::SparseTruncated => "sparse-truncated",
            KernelStrategy::Auto => "auto",
        }
    }
}
