//! `mtw barycenter`: the unbalanced Wasserstein barycenter of T non-negative vectors.

use std::time::Instant;

use serde_json::json;

use mtw::error::Result;
use mtw::io::npy;
use mtw::ot::UnbalancedBarycenter;
use mtw::Scalar;

use crate::args::{BarycenterArgs, Precision};
use crate::inputs::{self, num};

pub fn run(args: &BarycenterArgs) -> Result<()> {
    match args.ot.precision {
        Precision::F64 => run_in::<f64>(args),
        Precision::F32 => run_in::<f32>(args),
    }
}

fn run_in<T: Scalar>(args: &BarycenterArgs) -> Result<()> {
    let timer = Instant::now();
    let metric = inputs::metric::<T>(&args.ot)?;
    let (epsilon, gamma) = inputs::epsilon_gamma(&args.ot, &metric)?;
    let array = npy::read(&args.inputs)?;
    // A.npy is T×p; the solver takes one input per column (p×T). Values are checked in the
    // file's (task, feature) order first, so error messages name entries as numpy does.
    let by_task = array.to_matrix::<T>(&args.inputs, "the inputs")?;
    mtw::validate::nonnegative_matrix(&args.inputs.display().to_string(), &by_task)?;
    let inputs = by_task.transpose();
    let tol = args.tol.map_or_else(T::default_tol, T::of_f64);
    mtw::validate::positive("tol", tol)?;
    let solver = UnbalancedBarycenter::new(&metric, epsilon, gamma, args.ot.kernel.into())?
        .with_translation(args.translate);
    let out = solver.solve(&inputs, None, tol, args.max_iter)?;
    if !out.converged {
        log::warn!("the barycenter did not converge in {} sweeps", args.max_iter);
    }
    let estimate = out.error_estimate.map(|e| e.to_f64());
    if out.converged && estimate.is_some_and(|e| e > 10.0 * tol.to_f64()) {
        let hint = if args.translate { "" } else { "; --translate often needs far fewer sweeps" };
        log::warn!(
            "the per-sweep test was met, but its changes shrank so slowly that the barycenter or \
             the marginals may still be about {:.1e} (relative) from the fixed point: a smaller \
             --tol gets closer{hint}",
            estimate.unwrap_or(f64::NAN)
        );
    }

    inputs::out_dir(&args.ot.out)?;
    inputs::remove_stale(&args.ot.out, &["barycenter.npy", "marginals.npy", "barycenter.json"])?;
    npy::write_vector(&args.ot.out.join("barycenter.npy"), &out.barycenter)?;
    npy::write_matrix(&args.ot.out.join("marginals.npy"), &out.marginals.transpose())?;
    let report = json!({
        "ot_objective": num(out.objective),
        "iterations": out.iterations,
        "converged": out.converged,
        "error_estimate": estimate,
        "log_domain_used": out.log_domain_used,
        "seconds": timer.elapsed().as_secs_f64(),
        "parameters": {
            "epsilon": num(epsilon),
            "gamma": num(gamma),
            "tol": num(tol),
            "max_iter": args.max_iter,
            "translate": args.translate,
            "kernel": format!("{:?}", args.ot.kernel),
            "precision": T::NAME,
            "n_inputs": inputs.ncols(),
            "n_features": inputs.nrows(),
        },
    });
    inputs::write_json(&args.ot.out.join("barycenter.json"), &report)
}
