//! Brain regions for the simulations: farthest-point sampling of seeds on a metric, then the
//! geodesic Voronoi cells of the seeds (MEG.md §6).
//!
//! With a p × p distance matrix D:
//!
//! ```text
//! seed_0  = argmax_j D[0, j]
//! seed_k  = argmax_j min_{i<k} D[seed_i, j]          (k = 1, …, K−1)
//! label_j = argmin_k D[seed_k, j]
//! radius  = max_j min_k D[seed_k, j]                 (covering radius)
//! ```
//!
//! Every argmax / argmin takes the first (lowest position, earliest seed) on ties. On the
//! recommended source space with the ico-4 metric in mm and K = 11 this reproduces the seeds
//! 2236, 2147, 573, 118, 232, 2552, 2018, 2490, 583, 1687, 2258 of `meg_regions_fps11.json`.
//! Run it on the metric in mm: rescaling to metres may, rarely, round two distances to a tie.

use nalgebra::DMatrix;

use crate::error::{Error, Result};

/// K regions of a source space.
#[derive(Clone, Debug, PartialEq)]
pub struct Regions {
    /// Seed positions (indices into the source space), in the order chosen.
    pub seeds: Vec<usize>,
    /// Region (0..K) of each source.
    pub labels: Vec<usize>,
    /// Largest distance from a source to its seed.
    pub covering_radius: f64,
}

impl Regions {
    /// Number of regions K.
    pub fn n_regions(&self) -> usize {
        self.seeds.len()
    }

    /// Number of sources in each region.
    pub fn sizes(&self) -> Vec<usize> {
        let mut sizes = vec![0; self.seeds.len()];
        for &l in &self.labels {
            sizes[l] += 1;
        }
        sizes
    }

    /// The sources (positions) of region `r`, ascending.
    pub fn members(&self, r: usize) -> Vec<usize> {
        (0..self.labels.len()).filter(|&j| self.labels[j] == r).collect()
    }
}

/// Farthest-point sampling of `n_regions` seeds and their Voronoi cells (see the module doc).
/// Fails unless D is square, finite, non-negative, and `1 <= n_regions <= p`.
pub fn farthest_point_regions(d: &DMatrix<f64>, n_regions: usize) -> Result<Regions> {
    let p = d.nrows();
    if d.ncols() != p {
        return Err(Error::Shape(format!("distance matrix is {p} x {}", d.ncols())));
    }
    if p == 0 {
        return Err(Error::Empty("distance matrix with no points".into()));
    }
    crate::validate::nonnegative_matrix("distance matrix", d)?;
    if n_regions == 0 || n_regions > p {
        return Err(Error::parameter("n_regions", n_regions, &format!("must be in 1..={p}")));
    }

    // 1. Seeds: nearest-seed distances are updated after each choice.
    let mut seeds = vec![first_argmax(d.row(0).iter().copied())];
    let mut nearest: Vec<f64> = d.row(seeds[0]).iter().copied().collect();
    while seeds.len() < n_regions {
        let next = first_argmax(nearest.iter().copied());
        for (j, dist) in nearest.iter_mut().enumerate() {
            *dist = dist.min(d[(next, j)]);
        }
        seeds.push(next);
    }

    // 2. Voronoi cells: strict `<` keeps the earliest seed on ties.
    let labels: Vec<usize> = (0..p)
        .map(|j| {
            let mut best = 0;
            for k in 1..seeds.len() {
                if d[(seeds[k], j)] < d[(seeds[best], j)] {
                    best = k;
                }
            }
            best
        })
        .collect();
    let covering_radius = (0..p).map(|j| d[(seeds[labels[j]], j)]).fold(0.0, f64::max);
    Ok(Regions { seeds, labels, covering_radius })
}

/// Position of the first maximum.
fn first_argmax(values: impl Iterator<Item = f64>) -> usize {
    let mut best = (0, f64::NEG_INFINITY);
    for (j, v) in values.enumerate() {
        if v > best.1 {
            best = (j, v);
        }
    }
    best.0
}
