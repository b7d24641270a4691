//! # mtw — Multi-task Wasserstein regression
//!
//! Sparse multi-task regression regularized by unbalanced optimal transport (Janati, Cuturi,
//! Gramfort, AISTATS 2019), with the baselines it is compared against. For T tasks with designs
//! `X_t` (n × p) and targets `Y_t`, MTW minimises over θ = (θ_1, …, θ_T) and barycenters θ̄±
//!
//! ```text
//! (1/2n) Σ_t ‖X_t θ_t − Y_t‖² + (µ/T) Σ_t [W(θ_t⁺, θ̄⁺) + W(θ_t⁻, θ̄⁻)] + (λ/T) Σ_t ‖θ_t‖₁
//! ```
//!
//! where W is entropic unbalanced optimal transport (entropy ε, KL marginal relaxation γ) on a
//! ground metric M between the p features.
//!
//! Modules: [`scalar`] (f32/f64), [`ot`] (metrics, kernels, barycenter), [`model`] (problem,
//! estimators), [`data`] (vendored digits, splits, standardisation), [`metrics`] (average
//! precision, errors), [`select`] (grids, paths, CV, oracle), [`study`] (the runner and charts
//! shared by the study binaries), [`sim`] (simulators of the synthetic studies), [`geometry`]
//! and [`meg`] (cortex meshes, MEG forward model), [`io`], [`error`].

pub mod data;
pub mod error;
pub mod geometry;
pub mod io;
pub mod meg;
pub mod metrics;
pub mod model;
pub mod ot;
pub mod scalar;
pub mod select;
pub mod sim;
pub mod study;
pub mod validate;

pub use error::{Error, Result};
pub use scalar::Scalar;

/// Compiles the README's Rust example as a doctest, so it cannot go stale.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
