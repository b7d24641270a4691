//! `mtw fit`: fit a model and write its coefficients and a report.

use serde_json::{json, Map, Value};

use mtw::error::{Error, Result};
use mtw::io::npy;
use mtw::model::mtw::{lambda_max, Mtw, MtwParams, ReweightedMtw};
use mtw::model::{
    Dirty, Estimator, Fit, GroupLasso, Lasso, MultiLevelLasso, Problem, ReweightedLasso,
};
use mtw::Scalar;

use mtw::select::ModelKind;

use crate::args::{FitArgs, KernelArg, Precision, DEFAULT_TAU};
use crate::inputs::{self, num};

pub fn run(args: &FitArgs) -> Result<()> {
    match args.ot.precision {
        Precision::F64 => run_in::<f64>(args),
        Precision::F32 => run_in::<f32>(args),
    }
}

fn run_in<T: Scalar>(args: &FitArgs) -> Result<()> {
    if let Some(tol) = args.tol {
        mtw::validate::positive("tol", tol)?;
    }
    let problem = inputs::problem::<T>(&args.design, &args.target)?;
    let (estimator, mut parameters, limits) = build::<T>(args, &problem)?;

    // Clear earlier outputs before fitting, so a fit that fails leaves none behind either;
    // a folder made for this fit is removed again if the fit fails.
    let out = &args.ot.out;
    let made_here = !out.exists();
    inputs::out_dir(out)?;
    inputs::remove_stale(
        out,
        &["coef.npy", "barycenter.npy", "coef_shared.npy", "coef_specific.npy", "fit.json"],
    )?;
    let fit = estimator.fit(&problem).inspect_err(|_| {
        if made_here {
            // Removes only an empty folder.
            let _ = std::fs::remove_dir(out);
        }
    })?;

    if !fit.converged {
        explain_unpenalised(args);
    }

    npy::write_matrix(&out.join("coef.npy"), &fit.coef)?;
    if let Some(bary) = &fit.barycenter {
        npy::write_vector(&out.join("barycenter.npy"), bary)?;
    }
    if let (Some(shared), Some(specific)) = (&fit.coef_shared, &fit.coef_specific) {
        npy::write_matrix(&out.join("coef_shared.npy"), shared)?;
        npy::write_matrix(&out.join("coef_specific.npy"), specific)?;
    }
    if let Value::Object(map) = &mut parameters {
        map.insert("model".into(), json!(estimator.name()));
        map.insert("precision".into(), json!(T::NAME));
        map.insert("positive".into(), json!(args.positive));
        map.entry("tol").or_insert(json!(args.tol.unwrap_or(T::default_tol().to_f64())));
        map.entry("max_iter").or_insert(json!(args.max_iter));
        map.insert("n_tasks".into(), json!(problem.n_tasks()));
        map.insert("n_samples".into(), json!(problem.n_samples()));
        map.insert("n_features".into(), json!(problem.n_features()));
    }
    inputs::write_json(&out.join("fit.json"), &report(&fit, parameters, limits))
}

/// Adds to the solver's "not converged" warning why it happens when every penalty is 0: the
/// problem is then plain least squares, whose duality gap (the baselines' stopping test) has
/// no finite dual point to use, so only the iteration cap stops the fit.
fn explain_unpenalised(args: &FitArgs) {
    if args.mu == 0.0 && args.lambda.iter().all(|&l| l == 0.0) {
        eprintln!(
            "mtw fit: every penalty is 0, which leaves least squares with no stopping test: \
             give --lambda or --mu > 0 (fit.json's penalty_limits has the values that zero \
             every coefficient)"
        );
    }
}

/// The single λ of models that take one.
fn one_lambda<T: Scalar>(args: &FitArgs) -> Result<T> {
    match args.lambda.as_slice() {
        [l] => Ok(T::of_f64(*l)),
        many => Err(Error::parameter(
            "lambda",
            format!("{many:?}"),
            "this model takes one value (per-task values are for lasso and relasso)",
        )),
    }
}

/// Fails on a transport flag given to a model without a transport term, which would
/// otherwise be ignored without a word (`--tau` and `--kernel` count when not at their
/// defaults).
fn reject_transport_flags(args: &FitArgs) -> Result<()> {
    let ot = &args.ot;
    let given: [(&str, Option<String>); 8] = [
        ("concomitant", args.concomitant.then(|| "true".into())),
        ("translate", args.translate.then(|| "true".into())),
        ("metric", ot.metric.metric.as_ref().map(|m| m.display().to_string())),
        ("grid", ot.metric.grid.as_ref().map(|g| format!("{g:?}"))),
        ("epsilon", ot.epsilon.map(|e| e.to_string())),
        ("gamma", ot.gamma.map(|g| g.to_string())),
        ("tau", (ot.tau != DEFAULT_TAU).then(|| ot.tau.to_string())),
        ("kernel", (ot.kernel != KernelArg::Auto).then(|| format!("{:?}", ot.kernel))),
    ];
    match given.into_iter().find_map(|(flag, value)| value.map(|v| (flag, v))) {
        Some((flag, value)) => Err(Error::parameter(
            flag,
            value,
            &format!("only mtw and remtw use it, not {}", args.model),
        )),
        None => Ok(()),
    }
}

/// The estimator, its parameters for the report, and its penalty limits (λ_max / µ_max).
#[allow(clippy::type_complexity)]
fn build<T: Scalar>(
    args: &FitArgs,
    problem: &Problem<T>,
) -> Result<(Box<dyn Estimator<T>>, Value, Value)> {
    let mu = T::of_f64(args.mu);
    let tol = args.tol.map(T::of_f64);
    let pos = args.positive;
    if !args.model.uses_transport() {
        reject_transport_flags(args)?;
    }
    if matches!(args.model, ModelKind::Lasso | ModelKind::Relasso) && args.mu != 0.0 {
        return Err(Error::parameter("mu", args.mu, "lasso and relasso take no µ, only --lambda"));
    }
    if args.model == ModelKind::GroupLasso && args.lambda.iter().any(|&l| l != 0.0) {
        return Err(Error::parameter(
            "lambda",
            format!("{:?}", args.lambda),
            "group-lasso takes no λ, only --mu",
        ));
    }
    let lambdas: Vec<T> = args.lambda.iter().map(|&l| T::of_f64(l)).collect();
    let per_task = lambdas.len() > 1;

    let built: (Box<dyn Estimator<T>>, Value, Value) = match args.model {
        ModelKind::Mtw | ModelKind::Remtw => {
            let metric = inputs::metric::<T>(&args.ot)?;
            let (epsilon, gamma) = inputs::epsilon_gamma(&args.ot, &metric)?;
            let mut params = MtwParams::new(mu, one_lambda(args)?, epsilon, gamma);
            params.positive = pos;
            params.concomitant = args.concomitant;
            params.max_iter = args.max_iter;
            params.translate = args.translate;
            if let Some(tol) = tol {
                params.tol = tol;
                params.tol_ot = tol;
            }
            let mtw = Mtw::new(&metric, params.clone(), args.ot.kernel.into())?;
            let mut value = serde_json::to_value(&params).unwrap_or(Value::Null);
            if let Value::Object(map) = &mut value {
                map.insert("kernel".into(), json!(format!("{:?}", args.ot.kernel)));
            }
            let limits = json!({ "lambda_max": num(lambda_max(problem, pos)) });
            let est: Box<dyn Estimator<T>> = match args.model {
                ModelKind::Mtw => Box::new(mtw),
                _ => Box::new(ReweightedMtw::new(mtw)),
            };
            (est, value, limits)
        }
        ModelKind::Lasso => {
            let mut est =
                if per_task { Lasso::per_task(lambdas)? } else { Lasso::new(one_lambda(args)?)? };
            est = est.positive(pos).max_iter(args.max_iter);
            if let Some(tol) = tol {
                est = est.tol(tol)?;
            }
            let limits = json!({ "lambda_max": num(Lasso::lambda_max(problem, pos)) });
            (Box::new(est), json!({ "lambda": args.lambda }), limits)
        }
        ModelKind::Relasso => {
            let mut est = if per_task {
                ReweightedLasso::per_task(lambdas)?
            } else {
                ReweightedLasso::new(one_lambda(args)?)?
            };
            est = est.positive(pos).max_iter(args.max_iter, args.max_iter);
            if let Some(tol) = tol {
                est = est.tol(tol, tol)?;
            }
            let limits = json!({ "lambda_max": num(ReweightedLasso::lambda_max(problem, pos)) });
            (Box::new(est), json!({ "lambda": args.lambda }), limits)
        }
        ModelKind::GroupLasso => {
            let mut est = GroupLasso::new(mu)?.positive(pos).max_iter(args.max_iter);
            if let Some(tol) = tol {
                est = est.tol(tol)?;
            }
            let limits = json!({ "mu_max": num(GroupLasso::mu_max(problem, pos)) });
            (Box::new(est), json!({ "mu": args.mu }), limits)
        }
        ModelKind::Dirty => {
            let mut est = Dirty::new(mu, one_lambda(args)?)?.positive(pos).max_iter(args.max_iter);
            if let Some(tol) = tol {
                est = est.tol(tol)?;
            }
            let limits = json!({
                "mu_max": num(Dirty::mu_max(problem, pos)),
                "lambda_max": num(Dirty::lambda_max(problem, pos)),
            });
            (Box::new(est), json!({ "mu": args.mu, "lambda": args.lambda }), limits)
        }
        ModelKind::Mll => {
            let lambda = one_lambda(args)?;
            let mut est = MultiLevelLasso::new(mu, lambda)?
                .positive(pos)
                .max_iter(args.max_iter, args.max_iter);
            if let Some(tol) = tol {
                est = est.tol(tol, tol)?;
            }
            let limits = json!({
                "lambda_max": num(MultiLevelLasso::lambda_max(problem, pos)),
                "mu_max": num(MultiLevelLasso::mu_max(problem, lambda, pos)?),
            });
            (Box::new(est), json!({ "mu": args.mu, "lambda": args.lambda }), limits)
        }
    };
    Ok(built)
}

/// The `fit.json` content.
fn report<T: Scalar>(fit: &Fit<T>, parameters: Value, limits: Value) -> Value {
    let parts: Map<String, Value> =
        fit.objective_parts.iter().map(|(name, v)| (name.to_string(), num(*v))).collect();
    json!({
        "model": fit.model,
        "objective": fit.objective.map_or(Value::Null, num),
        "objective_parts": parts,
        "duality_gap": fit.duality_gap.map_or(Value::Null, num),
        "fixed_point_residual": fit.fixed_point_residual.map_or(Value::Null, num),
        "sigma": fit.sigma.as_ref().map(|s| s.iter().map(|&v| num(v)).collect::<Vec<_>>()),
        "penalty_limits": limits,
        "iterations": fit.iterations,
        "converged": fit.converged,
        "tol_threshold": num(fit.tol_threshold),
        "log_domain_used": fit.log_domain_used,
        "seconds": fit.seconds,
        "parameters": parameters,
    })
}
