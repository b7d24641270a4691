//! The fixed synthetic MTW problem that the benchmarks and the kernel study time, so both
//! measure exactly the same fit.

use nalgebra::{DMatrix, DVector};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;

use crate::error::Result;
use crate::model::Problem;
use crate::ot::GroundMetric;

/// The paper's synthetic size: p = 576 (24 × 24 grid), n = 36, T = 3. Standard Gaussian
/// designs; per task three random pixels with values in [1, 2); noise of standard deviation
/// 0.1; seed 5. The metric is the grid's squared Euclidean distance divided by its median.
pub fn paper_size_problem() -> Result<(Problem<f64>, GroundMetric<f64>)> {
    let (w, n, nt) = (24usize, 36usize, 3usize);
    let p = w * w;
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    let (mut designs, mut targets) = (Vec::new(), Vec::new());
    for _ in 0..nt {
        let x = DMatrix::from_fn(n, p, |_, _| rng.sample::<f64, _>(StandardNormal));
        let mut coef = DVector::zeros(p);
        for _ in 0..3 {
            let j = rng.gen_range(0..p);
            coef[j] = 1.0 + rng.gen::<f64>();
        }
        let noise = DVector::from_fn(n, |_, _| 0.1 * rng.sample::<f64, _>(StandardNormal));
        targets.push(&x * coef + noise);
        designs.push(x);
    }
    let metric = GroundMetric::grid_squared_euclidean(&[w, w])?.normalized_by_median()?;
    Ok((Problem::new(designs, targets)?, metric))
}
