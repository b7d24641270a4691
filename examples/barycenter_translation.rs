//! Sweeps and time of a cold unbalanced barycenter solve with and without the translation
//! step, on a 24 × 24 grid at the paper's ε and γ (the README's "The translation step").
//!
//! `cargo run --release --example barycenter_translation`

use std::time::Instant;

use nalgebra::DMatrix;

use mtw::ot::{
    default_epsilon, gamma_from_tau, GroundMetric, KernelStrategy, UnbalancedBarycenter,
};

const SIDE: usize = 24;

/// Three Gaussian bumps of masses 1 : 2 : 3 at shifted centres.
fn smooth_bumps() -> DMatrix<f64> {
    DMatrix::from_fn(SIDE * SIDE, 3, |i, t| {
        let (row, col) = ((i / SIDE) as f64, (i % SIDE) as f64);
        let (r0, c0) = (6.0 + 4.0 * t as f64, 8.0 + 3.0 * t as f64);
        let d2 = (row - r0).powi(2) + (col - c0).powi(2);
        (-d2 / 4.0).exp() * (1.0 + t as f64)
    })
}

/// A few spikes of size 3e-3 to 9e-3 per task over a floor of entries from 1 down to e^-600.
fn small_spikes() -> DMatrix<f64> {
    DMatrix::from_fn(SIDE * SIDE, 3, |i, t| {
        if (i * 7 + t * 13) % 97 == 0 {
            3e-3 * (1.0 + t as f64)
        } else {
            (-(((i * 31 + t * 17) % 101) as f64) * 6.0).exp()
        }
    })
}

fn main() -> mtw::Result<()> {
    let metric =
        GroundMetric::<f64>::grid_squared_euclidean(&[SIDE, SIDE])?.normalized_by_median()?;
    let epsilon = default_epsilon(&metric);
    let gamma = gamma_from_tau(&metric, 0.5)?;
    println!("p = {}, epsilon = {epsilon:.3e}, gamma = {gamma:.3}, tol 1e-8", SIDE * SIDE);
    for (name, inputs) in [("smooth bumps", smooth_bumps()), ("small spikes", small_spikes())] {
        for translate in [false, true] {
            let solver = UnbalancedBarycenter::new(&metric, epsilon, gamma, KernelStrategy::Auto)?
                .with_translation(translate);
            let clock = Instant::now();
            let out = solver.solve(&inputs, None, 1e-8, 200_000)?;
            let seconds = clock.elapsed().as_secs_f64();
            println!(
                "{name:12} translate {translate:5}: {:6} sweeps, converged {}, {seconds:6.2} s \
                 ({:.3} ms per sweep), objective {:.12e}, distance left ≈ {:.1e}",
                out.iterations,
                out.converged,
                1e3 * seconds / out.iterations as f64,
                out.objective,
                out.error_estimate.unwrap_or(f64::NAN)
            );
        }
    }
    Ok(())
}
