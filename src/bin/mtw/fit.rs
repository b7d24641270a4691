//! `mtw fit`: fit a model and write its coefficients and a report.

use serde_json::{json, Map, Value};

use mtw::error::Result;
use mtw::io::npy;
use mtw::model::mtw::{Mtw, MtwParams, ReweightedMtw};
use mtw::model::{Estimator, Fit};
use mtw::Scalar;

use crate::args::{FitArgs, ModelArg, Precision};
use crate::inputs::{self, num};

pub fn run(args: &FitArgs) -> Result<()> {
    match args.ot.precision {
        Precision::F64 => run_in::<f64>(args),
        Precision::F32 => run_in::<f32>(args),
    }
}

fn run_in<T: Scalar>(args: &FitArgs) -> Result<()> {
    let problem = inputs::problem::<T>(&args.design, &args.target)?;
    let metric = inputs::metric::<T>(&args.ot)?;
    let (epsilon, gamma) = inputs::epsilon_gamma(&args.ot, &metric)?;

    let mut params = MtwParams::new(T::of_f64(args.mu), T::of_f64(args.lambda), epsilon, gamma);
    params.positive = args.positive;
    params.concomitant = args.concomitant;
    params.max_iter = args.max_iter;
    if let Some(tol) = args.tol {
        params.tol = T::of_f64(tol);
        params.tol_ot = T::of_f64(tol);
    }
    let mtw = Mtw::new(&metric, params.clone(), args.ot.kernel.into())?;
    let estimator: Box<dyn Estimator<T>> = match args.model {
        ModelArg::Mtw => Box::new(mtw),
        ModelArg::Remtw => Box::new(ReweightedMtw::new(mtw)),
    };
    let fit = estimator.fit(&problem)?;

    inputs::out_dir(&args.ot.out)?;
    npy::write_matrix(&args.ot.out.join("coef.npy"), &fit.coef)?;
    if let Some(bary) = &fit.barycenter {
        npy::write_vector(&args.ot.out.join("barycenter.npy"), bary)?;
    }
    let mut parameters = serde_json::to_value(&params).unwrap_or(Value::Null);
    if let Value::Object(map) = &mut parameters {
        map.insert("model".into(), json!(estimator.name()));
        map.insert("kernel".into(), json!(format!("{:?}", args.ot.kernel)));
        map.insert("precision".into(), json!(T::NAME));
        map.insert("n_tasks".into(), json!(problem.n_tasks()));
        map.insert("n_samples".into(), json!(problem.n_samples()));
        map.insert("n_features".into(), json!(problem.n_features()));
    }
    inputs::write_json(&args.ot.out.join("fit.json"), &report(&fit, parameters))
}

/// The `fit.json` content.
fn report<T: Scalar>(fit: &Fit<T>, parameters: Value) -> Value {
    let parts: Map<String, Value> =
        fit.objective_parts.iter().map(|(name, v)| (name.to_string(), num(*v))).collect();
    json!({
        "model": fit.model,
        "objective": fit.objective.map_or(Value::Null, num),
        "objective_parts": parts,
        "duality_gap": fit.duality_gap.map_or(Value::Null, num),
        "fixed_point_residual": fit.fixed_point_residual.map_or(Value::Null, num),
        "sigma": fit.sigma.as_ref().map(|s| s.iter().map(|&v| num(v)).collect::<Vec<_>>()),
        "iterations": fit.iterations,
        "converged": fit.converged,
        "tol_threshold": num(fit.tol_threshold),
        "log_domain_used": fit.log_domain_used,
        "seconds": fit.seconds,
        "parameters": parameters,
    })
}
