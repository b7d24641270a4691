//! The `blur` design of the overlap study: a linear operator that blurs a `side × side` image
//! with a Gaussian filter and then averages `block × block` blocks (paper §4.1: σ = 1 pixel,
//! 24 × 24 → 6 × 6, so p = 576 features and n = 36 samples).
//!
//! Pixels are numbered row-major, pixel (r, c) ↦ `r · side + c`; block (a, b) ↦ `a · m + b`
//! with `m = side / block`. Exact definition:
//!
//! 1. 1-D blur `B₁` (side × side): `B₁[i, k] = g(i − k) / Σ_{k'} g(i − k')` for `|i − k| ≤ w`,
//!    0 otherwise, with `g(d) = exp(−d² / (2σ²))`, truncation radius `w = ⌈truncate · σ⌉`
//!    (truncate = 4 by default) and the sum over the `k'` of the grid with `|i − k'| ≤ w`.
//!    At the borders the weights falling off the grid are dropped and the rest renormalised,
//!    so every row of `B₁` sums to 1 (no padding, no reflection).
//! 2. 2-D blur `B = B₁ ⊗ B₁`: the Gaussian is separable and the window is the square
//!    `|Δr|, |Δc| ≤ w`, so renormalising each axis equals renormalising the 2-D window.
//! 3. 1-D block mean `A₁` (m × side): `A₁[a, k] = 1/block` for `a·block ≤ k < (a+1)·block`.
//! 4. Design `X = (A₁ ⊗ A₁)(B₁ ⊗ B₁) = (A₁B₁) ⊗ (A₁B₁)` (n × p, n = m², p = side²): sample a
//!    of `Xθ` is the mean over block a of the blurred image. Rows of X sum to 1.

use nalgebra::DMatrix;

use crate::error::{Error, Result};

/// The 1-D blur `B₁` of the module doc (rows sum to 1).
pub fn gaussian_blur_1d(side: usize, sigma: f64, truncate: f64) -> Result<DMatrix<f64>> {
    if side == 0 {
        return Err(Error::parameter("side", side, "must be at least 1"));
    }
    if !(sigma.is_finite() && sigma > 0.0) {
        return Err(Error::parameter("blur sigma", sigma, "must be finite and > 0"));
    }
    if !(truncate.is_finite() && truncate > 0.0) {
        return Err(Error::parameter("blur truncate", truncate, "must be finite and > 0"));
    }
    let radius = (truncate * sigma).ceil() as i64;
    let mut b = DMatrix::zeros(side, side);
    for i in 0..side {
        let mut total = 0.0;
        for k in 0..side {
            let d = i as i64 - k as i64;
            if d.abs() <= radius {
                let w = (-(d * d) as f64 / (2.0 * sigma * sigma)).exp();
                b[(i, k)] = w;
                total += w;
            }
        }
        for k in 0..side {
            b[(i, k)] /= total;
        }
    }
    Ok(b)
}

/// The 1-D block mean `A₁` (`side / block` × side); `block` must divide `side`.
pub fn block_mean_1d(side: usize, block: usize) -> Result<DMatrix<f64>> {
    if block == 0 || side % block != 0 || side == 0 {
        return Err(Error::parameter(
            "block",
            block,
            &format!("must be >= 1 and divide the grid side {side}"),
        ));
    }
    let m = side / block;
    Ok(DMatrix::from_fn(m, side, |a, k| if k / block == a { 1.0 / block as f64 } else { 0.0 }))
}

/// The blur-then-block-mean design `X = (A₁B₁) ⊗ (A₁B₁)` of the module doc.
pub fn blur_downsample_operator(
    side: usize,
    sigma: f64,
    truncate: f64,
    block: usize,
) -> Result<DMatrix<f64>> {
    let one_axis = block_mean_1d(side, block)? * gaussian_blur_1d(side, sigma, truncate)?;
    Ok(one_axis.kronecker(&one_axis))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paper_operator_shape_and_rows() {
        let x = blur_downsample_operator(24, 1.0, 4.0, 4).unwrap();
        assert_eq!(x.shape(), (36, 576));
        for r in 0..36 {
            let s: f64 = x.row(r).sum();
            assert!((s - 1.0).abs() < 1e-12, "row {r} sums to {s}");
        }
        assert!(x.iter().all(|&v| v >= 0.0));
    }

    /// Direct 2-D computation: blur a one-pixel image with the renormalised square window,
    /// average blocks, and compare with the column of X for that pixel.
    #[test]
    fn matches_direct_two_dimensional_blur() {
        let (side, sigma, truncate, block) = (8usize, 1.3, 2.0, 2usize);
        let x = blur_downsample_operator(side, sigma, truncate, block).unwrap();
        let w = (truncate * sigma).ceil() as i64;
        let g = |d: i64| (-(d * d) as f64 / (2.0 * sigma * sigma)).exp();
        let inside = |v: i64| v >= 0 && v < side as i64;
        for &(pr, pc) in &[(0i64, 0i64), (3, 5), (7, 2)] {
            // Blurred image of the delta at (pr, pc): out(i, j) = weight of (pr, pc) in the
            // renormalised window around (i, j).
            let mut blurred = vec![0.0; side * side];
            for i in 0..side as i64 {
                for j in 0..side as i64 {
                    if (i - pr).abs() > w || (j - pc).abs() > w {
                        continue;
                    }
                    let mut total = 0.0;
                    for k in i - w..=i + w {
                        for l in j - w..=j + w {
                            if inside(k) && inside(l) {
                                total += g(i - k) * g(j - l);
                            }
                        }
                    }
                    blurred[(i as usize) * side + j as usize] = g(i - pr) * g(j - pc) / total;
                }
            }
            let m = side / block;
            for a in 0..m {
                for b in 0..m {
                    let mut mean = 0.0;
                    for i in a * block..(a + 1) * block {
                        for j in b * block..(b + 1) * block {
                            mean += blurred[i * side + j] / (block * block) as f64;
                        }
                    }
                    let got = x[(a * m + b, pr as usize * side + pc as usize)];
                    assert!((got - mean).abs() < 1e-14, "pixel ({pr},{pc}) block ({a},{b})");
                }
            }
        }
    }

    #[test]
    fn bad_parameters_are_named() {
        let e = blur_downsample_operator(24, 1.0, 4.0, 5).unwrap_err().to_string();
        assert!(e.contains("block") && e.contains("24"), "{e}");
        assert!(gaussian_blur_1d(24, 0.0, 4.0).unwrap_err().to_string().contains("sigma"));
    }
}
