//! Ground metrics between the p features: dense p × p, or separable on a regular grid.
//! (API skeleton; to be implemented.)

use nalgebra::DMatrix;

use crate::error::Result;
use crate::scalar::Scalar;

/// A separable metric on a regular grid of shape `(n_0, …, n_{d−1})`, `p = Π n_a`.
///
/// Features are numbered row-major (last axis fastest): feature `f` of a `w × h` grid
/// (shape `[w, h]`) is pixel `(f / h, f % h)`. The metric is
/// `M[f, g] = Σ_a factors[a][(f_a, g_a)]`.
#[derive(Clone, Debug)]
pub struct GridMetric<T: Scalar> {
    /// Points per axis.
    pub shape: Vec<usize>,
    /// One `n_a × n_a` matrix per axis.
    pub factors: Vec<DMatrix<T>>,
}

/// The cost `M` of moving mass between features.
#[derive(Clone, Debug)]
pub enum GroundMetric<T: Scalar> {
    /// Any p × p non-negative matrix.
    Dense(DMatrix<T>),
    /// A separable grid metric.
    Grid(GridMetric<T>),
}

impl<T: Scalar> GroundMetric<T> {
    /// Validates a dense metric: square, finite, non-negative.
    pub fn dense(m: DMatrix<T>) -> Result<Self> {
        todo!()
    }

    /// Squared Euclidean distance between the points of a regular grid with unit spacing.
    pub fn grid_squared_euclidean(shape: &[usize]) -> Result<Self> {
        todo!()
    }

    /// Number of features p.
    pub fn n_features(&self) -> usize {
        todo!()
    }

    /// Median over all p² entries, diagonal included (numpy's `median(M)`).
    pub fn median(&self) -> T {
        todo!()
    }

    /// Largest entry.
    pub fn max(&self) -> T {
        todo!()
    }

    /// The metric divided by `scale` (> 0).
    pub fn scaled(&self, scale: T) -> Result<Self> {
        todo!()
    }

    /// The metric divided by its median (section 3 of the paper).
    pub fn normalized_by_median(&self) -> Result<Self> {
        todo!()
    }

    /// The full p × p matrix.
    pub fn to_dense(&self) -> DMatrix<T> {
        todo!()
    }
}
