//! The fixed synthetic MTW problems that the benchmarks and the kernel study time, so both
//! measure exactly the same fits.

use nalgebra::{DMatrix, DVector};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;

use crate::error::Result;
use crate::meg::{default_data_dir, ground_metric::ico4_ground_metric_m};
use crate::model::Problem;
use crate::ot::GroundMetric;

/// A benchmark problem with the coefficients that generated it.
#[derive(Clone, Debug)]
pub struct Benchmark {
    /// Designs and targets.
    pub problem: Problem<f64>,
    /// The ground metric between the features, divided by its median.
    pub metric: GroundMetric<f64>,
    /// The true coefficients (p × T).
    pub coef: DMatrix<f64>,
}

/// `nt` tasks with standard Gaussian n × p designs; per task `k` distinct random features
/// with magnitudes in [1, 2) (negative with probability ½ when `signed`); noise of standard
/// deviation 0.1.
fn gaussian_tasks(
    (n, p, nt, k): (usize, usize, usize, usize),
    signed: bool,
    rng: &mut ChaCha8Rng,
) -> Result<(Problem<f64>, DMatrix<f64>)> {
    let (mut designs, mut targets) = (Vec::new(), Vec::new());
    let mut truth = DMatrix::zeros(p, nt);
    for t in 0..nt {
        let x = DMatrix::from_fn(n, p, |_, _| rng.sample::<f64, _>(StandardNormal));
        let mut coef = DVector::zeros(p);
        for _ in 0..k {
            let j = rng.gen_range(0..p);
            let sign = if signed && rng.gen_bool(0.5) { -1.0 } else { 1.0 };
            coef[j] = sign * (1.0 + rng.gen::<f64>());
        }
        let noise = DVector::from_fn(n, |_, _| 0.1 * rng.sample::<f64, _>(StandardNormal));
        targets.push(&x * &coef + noise);
        truth.set_column(t, &coef);
        designs.push(x);
    }
    Ok((Problem::new(designs, targets)?, truth))
}

/// The paper's synthetic size: p = 576 (24 × 24 grid), n = 36, T = 3, three non-negative
/// random pixels per task (a pixel drawn twice counts once), seed 5. The metric is the grid's
/// squared Euclidean distance divided by its median.
pub fn paper_size() -> Result<Benchmark> {
    let (w, n, nt) = (24usize, 36usize, 3usize);
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    let (problem, coef) = gaussian_tasks((n, w * w, nt, 3), false, &mut rng)?;
    let metric = GroundMetric::grid_squared_euclidean(&[w, w])?.normalized_by_median()?;
    Ok(Benchmark { problem, metric, coef })
}

/// [`paper_size`] without its truth: (problem, metric).
pub fn paper_size_problem() -> Result<(Problem<f64>, GroundMetric<f64>)> {
    let b = paper_size()?;
    Ok((b.problem, b.metric))
}

/// An MEG size: p = 2562 (every vertex of the vendored fsaverage5 ico-4 left hemisphere),
/// n = 204 (the gradiometer count), T = 8, five signed random sources per task, seed 7. The
/// metric is dense: the geodesic distance along the ico-4 white surface (shortest paths on
/// its edge graph) divided by its median. The designs are Gaussian, not lead fields: this
/// problem times the solver at the MEG study's size, it does not model MEG.
pub fn meg_size() -> Result<Benchmark> {
    let (n, p, nt) = (204usize, 2562usize, 8usize);
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let (problem, coef) = gaussian_tasks((n, p, nt, 5), true, &mut rng)?;
    let vertices: Vec<usize> = (0..p).collect();
    let geodesic = ico4_ground_metric_m(default_data_dir(), &vertices)?;
    let metric = GroundMetric::dense(geodesic)?.normalized_by_median()?;
    Ok(Benchmark { problem, metric, coef })
}
