//! `--export DIR`: the study's problems as `.npy` files for `benches/peers/compare.py`.
//!
//! Per problem `w{w}_T{T}` (at ε = 1/p): `theta.npy` (p × T), `M1.npy` (w × w axis factor of
//! the median-normalised metric: `M[f, g] = M1[f_0, g_0] + M1[f_1, g_1]`, features row-major)
//! and `params.json` (`epsilon`, `gamma`, `p`, `T`, `w`). Plus `mtw_p576/`: the paper-size MTW
//! problem (`X.npy` T × n × p, `Y.npy` T × n, `M1.npy`, `params.json` with µ, λ, ε, γ and
//! mutar's `alpha = µ/T`, `beta = λ/T`).

use std::path::Path;

use mtw::io::npy;
use mtw::model::mtw::lambda_max;
use mtw::model::Problem;
use mtw::ot::defaults::PAPER_TAU;
use mtw::ot::{default_epsilon, gamma_from_tau, GroundMetric};
use mtw::{Error, Result};
use nalgebra::{DMatrix, DVector};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;

use crate::run::{images, metric, Plan};

fn factor(m: &GroundMetric<f64>) -> DMatrix<f64> {
    match m {
        GroundMetric::Grid(g) => g.factors[0].clone(),
        GroundMetric::Dense(d) => d.clone(),
    }
}

fn write_json(path: &Path, value: &serde_json::Value) -> Result<()> {
    let text =
        serde_json::to_string_pretty(value).map_err(|e| Error::format(path, e.to_string()))?;
    mtw::io::atomic::write_atomic(path, text.as_bytes())
}

/// The paper's synthetic MTW size: p = 576 (24 × 24), n = 36, T = 3; Gaussian designs, three
/// non-negative sources per task, noise 0.1.
pub fn mtw_problem() -> Result<(Problem<f64>, GroundMetric<f64>)> {
    let (w, n, nt) = (24usize, 36usize, 3usize);
    let p = w * w;
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    let (mut xs, mut ys) = (Vec::new(), Vec::new());
    for _ in 0..nt {
        let x = DMatrix::from_fn(n, p, |_, _| rng.sample::<f64, _>(StandardNormal));
        let mut coef = DVector::zeros(p);
        for _ in 0..3 {
            let j = rng.gen_range(0..p);
            coef[j] = 1.0 + rng.gen::<f64>();
        }
        let noise = DVector::from_fn(n, |_, _| 0.1 * rng.sample::<f64, _>(StandardNormal));
        ys.push(&x * coef + noise);
        xs.push(x);
    }
    Ok((Problem::new(xs, ys)?, metric::<f64>(w)?))
}

/// Writes every barycenter problem of the plan (at ε = 1/p) and the MTW problem.
pub fn write_problems(dir: &Path, plan: &Plan) -> Result<()> {
    for &w in &plan.sides {
        for &nt in &plan.tasks {
            let sub = dir.join(format!("w{w}_T{nt}"));
            std::fs::create_dir_all(&sub).map_err(|e| Error::io(&sub, e))?;
            let m = metric::<f64>(w)?;
            let gamma = gamma_from_tau(&m, PAPER_TAU)?;
            npy::write_matrix(&sub.join("theta.npy"), &images(w, nt))?;
            npy::write_matrix(&sub.join("M1.npy"), &factor(&m))?;
            let params = serde_json::json!({
                "w": w, "p": w * w, "T": nt, "epsilon": default_epsilon(&m), "gamma": gamma,
            });
            write_json(&sub.join("params.json"), &params)?;
        }
    }
    let (problem, m) = mtw_problem()?;
    let sub = dir.join("mtw_p576");
    std::fs::create_dir_all(&sub).map_err(|e| Error::io(&sub, e))?;
    let nt = problem.n_tasks();
    let (n, p) = (problem.n_samples(), problem.n_features());
    let mut xdata = Vec::with_capacity(nt * n * p);
    let mut ydata = Vec::with_capacity(nt * n);
    for t in 0..nt {
        let x = problem.design(t);
        for i in 0..n {
            xdata.extend(x.row(i).iter().copied());
        }
        ydata.extend(problem.target(t).iter().copied());
    }
    npy::write(&sub.join("X.npy"), &[nt, n, p], &xdata)?;
    npy::write(&sub.join("Y.npy"), &[nt, n], &ydata)?;
    npy::write_matrix(&sub.join("M1.npy"), &factor(&m))?;
    let lmax = lambda_max(&problem, true);
    let (mu, lambda) = (0.1 * lmax, 0.1 * lmax);
    let params = serde_json::json!({
        "mu": mu, "lambda": lambda, "alpha": mu / nt as f64, "beta": lambda / nt as f64,
        "epsilon": default_epsilon(&m), "gamma": gamma_from_tau(&m, PAPER_TAU)?,
        "positive": true, "T": nt, "n": n, "p": p,
    });
    write_json(&sub.join("params.json"), &params)
}
