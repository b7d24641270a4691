//! Gaussian designs with features correlated along a square grid: rows of X are drawn from
//! `N(0, Σ)` with `Σ[i, j] = ρ^{‖pᵢ − pⱼ‖²}`, pᵢ the (row, col) position of pixel i.
//!
//! Since `ρ^{Δr² + Δc²} = ρ^{Δr²} ρ^{Δc²}`, the covariance is the Kronecker product
//! `Σ = Σ₁ ⊗ Σ₁` with `Σ₁[a, b] = ρ^{(a−b)²}` (side × side; pixels numbered row-major). With any
//! factor `F₁ F₁ᵀ = Σ₁`, a draw is `vec(F₁ Z F₁ᵀ)` for a side × side matrix Z of independent
//! standard normals, because `(F₁ ⊗ F₁) vec(Z) = vec(F₁ Z F₁ᵀ)` (row-major vec) and
//! `(F₁ ⊗ F₁)(F₁ ⊗ F₁)ᵀ = Σ₁ ⊗ Σ₁`. This is exact and costs O(side³) per row instead of the
//! O(p³) = O(side⁶) factorisation of Σ.
//!
//! `F₁ = V Λ^{1/2}` from the symmetric eigendecomposition `Σ₁ = V Λ Vᵀ`: for ρ near 1, Σ₁ is
//! a Gaussian kernel matrix whose smallest eigenvalues sit at rounding level, where Cholesky
//! can fail; eigenvalues that rounding made negative are set to 0 (no jitter is added).

use nalgebra::DMatrix;
use rand::Rng;
use rand_distr::StandardNormal;

use crate::error::{Error, Result};

/// Draws rows from `N(0, Σ₁ ⊗ Σ₁)` (module doc).
#[derive(Clone, Debug)]
pub struct GridGaussianSampler {
    side: usize,
    rho: f64,
    factor: DMatrix<f64>,
}

impl GridGaussianSampler {
    /// A sampler for a `side × side` grid with correlation `rho ∈ [0, 1)` between neighbours.
    pub fn new(side: usize, rho: f64) -> Result<Self> {
        if side == 0 {
            return Err(Error::parameter("side", side, "must be at least 1"));
        }
        if !(rho.is_finite() && (0.0..1.0).contains(&rho)) {
            return Err(Error::parameter("rho", rho, "must be in [0, 1)"));
        }
        let sigma1 = Self::axis_covariance(side, rho);
        let eig = sigma1.symmetric_eigen();
        let roots = eig.eigenvalues.map(|l| l.max(0.0).sqrt());
        let factor = DMatrix::from_fn(side, side, |i, j| eig.eigenvectors[(i, j)] * roots[j]);
        Ok(GridGaussianSampler { side, rho, factor })
    }

    /// `Σ₁[a, b] = ρ^{(a−b)²}`.
    pub fn axis_covariance(side: usize, rho: f64) -> DMatrix<f64> {
        DMatrix::from_fn(side, side, |a, b| {
            let d = a as i32 - b as i32;
            rho.powi(d * d)
        })
    }

    /// The full covariance `Σ = Σ₁ ⊗ Σ₁` (p × p; for tests and small grids).
    pub fn covariance(&self) -> DMatrix<f64> {
        let s1 = Self::axis_covariance(self.side, self.rho);
        s1.kronecker(&s1)
    }

    /// The factor `F₁` with `F₁ F₁ᵀ = Σ₁`.
    pub fn axis_factor(&self) -> &DMatrix<f64> {
        &self.factor
    }

    /// Number of features p = side².
    pub fn n_features(&self) -> usize {
        self.side * self.side
    }

    /// `n` rows from `N(0, Σ)`, as an n × p matrix. Row i uses side² standard normals drawn
    /// in row-major order of Z.
    pub fn sample<R: Rng + ?Sized>(&self, n: usize, rng: &mut R) -> DMatrix<f64> {
        let s = self.side;
        let mut x = DMatrix::zeros(n, s * s);
        for i in 0..n {
            let z = DMatrix::from_row_iterator(
                s,
                s,
                (0..s * s).map(|_| rng.sample::<f64, _>(StandardNormal)),
            );
            let img = &self.factor * z * self.factor.transpose();
            for r in 0..s {
                for c in 0..s {
                    x[(i, r * s + c)] = img[(r, c)];
                }
            }
        }
        x
    }
}

/// Divides every column by its empirical standard deviation `sqrt((1/n) Σᵢ (xᵢⱼ − x̄ⱼ)²)`
/// (no centring). Fails on a constant column or with fewer than 2 rows.
pub fn scale_columns_to_unit_std(x: &mut DMatrix<f64>) -> Result<()> {
    let n = x.nrows();
    if n < 2 {
        return Err(Error::parameter("n_samples", n, "must be at least 2 to scale columns"));
    }
    for j in 0..x.ncols() {
        let mean = x.column(j).sum() / n as f64;
        let var = x.column(j).iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / n as f64;
        // Written positively so that a NaN variance also fails.
        let varies = var > 0.0;
        if !varies {
            return Err(Error::Numerical(format!("design column {j} is constant")));
        }
        let sd = var.sqrt();
        x.column_mut(j).iter_mut().for_each(|v| *v /= sd);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    use super::*;

    #[test]
    fn factor_reproduces_axis_covariance() {
        let s = GridGaussianSampler::new(24, 0.95).unwrap();
        let f = s.axis_factor();
        let back = f * f.transpose();
        let want = GridGaussianSampler::axis_covariance(24, 0.95);
        assert!((back - want).abs().max() < 1e-12);
    }

    #[test]
    fn empirical_covariance_follows_squared_grid_distance() {
        let (side, rho, n) = (3usize, 0.8, 20_000usize);
        let s = GridGaussianSampler::new(side, rho).unwrap();
        let x = s.sample(n, &mut ChaCha8Rng::seed_from_u64(5));
        let emp = x.transpose() * &x / n as f64;
        for i in 0..side * side {
            for j in 0..side * side {
                let dr = (i / side) as i32 - (j / side) as i32;
                let dc = (i % side) as i32 - (j % side) as i32;
                let want = rho.powi(dr * dr + dc * dc);
                assert!((emp[(i, j)] - want).abs() < 0.05, "({i},{j}): {} vs {want}", emp[(i, j)]);
            }
        }
        assert!((s.covariance()[(0, 4)] - rho.powi(2)).abs() < 1e-15);
    }

    #[test]
    fn unit_std_scaling() {
        let s = GridGaussianSampler::new(4, 0.9).unwrap();
        let mut x = s.sample(10, &mut ChaCha8Rng::seed_from_u64(1));
        scale_columns_to_unit_std(&mut x).unwrap();
        for j in 0..16 {
            let m = x.column(j).mean();
            let sd = (x.column(j).iter().map(|v| (v - m) * (v - m)).sum::<f64>() / 10.0).sqrt();
            assert!((sd - 1.0).abs() < 1e-12);
        }
        assert!(GridGaussianSampler::new(4, 1.0).is_err());
        let mut one = DMatrix::zeros(1, 3);
        assert!(scale_columns_to_unit_std(&mut one).is_err());
    }
}
