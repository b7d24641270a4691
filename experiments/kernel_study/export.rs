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
use mtw::ot::defaults::PAPER_TAU;
use mtw::ot::{default_epsilon, gamma_from_tau, GroundMetric};
use mtw::{Error, Result};
use nalgebra::DMatrix;

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
    let (problem, m) = mtw::sim::benchmark::paper_size_problem()?;
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
