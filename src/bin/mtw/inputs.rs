//! Loading and checking the command-line inputs shared by the subcommands.

use std::path::Path;

use mtw::error::{Error, Result};
use mtw::io::npy;
use mtw::model::Problem;
use mtw::ot::defaults::{default_epsilon, gamma_from_tau};
use mtw::ot::GroundMetric;
use mtw::Scalar;

use crate::args::OtArgs;

/// The ground metric from `--metric` (as given) or `--grid` (median-normalised).
pub fn metric<T: Scalar>(args: &OtArgs) -> Result<GroundMetric<T>> {
    match (&args.metric.metric, &args.metric.grid) {
        (Some(path), _) => {
            let array = npy::read(path)?;
            GroundMetric::dense(array.to_matrix(path, "the metric")?)
        }
        (None, Some(shape)) if shape.len() > 3 => Err(Error::parameter(
            "grid",
            format!("{shape:?}"),
            "takes one to three axis lengths (W[,H[,D]])",
        )),
        (None, Some(shape)) => GroundMetric::grid_squared_euclidean(shape)?.normalized_by_median(),
        (None, None) => {
            Err(Error::parameter("metric", "none", "give --metric M.npy or --grid W,H[,D]"))
        }
    }
}

/// ε and γ: the given values, or the defaults median(M)/p and −max(M)/ln τ.
///
/// A metric with no positive entry is refused by name (it would otherwise surface as
/// "epsilon = 0"), and so is a default ε of 0 (median 0: more than half the entries are 0).
pub fn epsilon_gamma<T: Scalar>(args: &OtArgs, metric: &GroundMetric<T>) -> Result<(T, T)> {
    if metric.max() <= T::zero() {
        return Err(Error::parameter(
            "metric",
            "all entries 0",
            "needs positive costs between distinct features (moving mass would cost nothing)",
        ));
    }
    let epsilon = match args.epsilon {
        Some(e) => T::of_f64(e),
        None if metric.median() <= T::zero() => {
            return Err(Error::parameter(
                "metric",
                "median 0",
                "gives the default epsilon = median(M)/p = 0 (more than half the entries are \
                 0); give --epsilon",
            ))
        }
        None => default_epsilon(metric),
    };
    let gamma = match args.gamma {
        Some(g) => T::of_f64(g),
        None => gamma_from_tau(metric, T::of_f64(args.tau))?,
    };
    Ok((epsilon, gamma))
}

/// The regression problem from X.npy and Y.npy (T×n). X is T×n×p (one design per task) or
/// n×p (one design shared by every task, as `mtw meg-forward` writes for one subject).
pub fn problem<T: Scalar>(design: &Path, target: &Path) -> Result<Problem<T>> {
    let x = npy::read(design)?;
    let y = npy::read(target)?;
    let targets = y.to_vectors::<T>(target, "Y")?;
    let designs = if x.shape.len() == 2 {
        vec![x.to_matrix::<T>(design, "X")?; targets.len()]
    } else {
        x.to_matrices::<T>(design, "X (T×n×p, or n×p shared by all tasks)")?
    };
    if designs.len() != targets.len() {
        return Err(Error::Shape(format!(
            "X has {} tasks but Y has {} rows",
            designs.len(),
            targets.len()
        )));
    }
    Problem::new(designs, targets)
}

/// Creates the output folder.
pub fn out_dir(dir: &Path) -> Result<()> {
    mtw::io::create_out_dir(dir)
}

/// Writes `value` as pretty JSON to `path`, atomically.
pub fn write_json(path: &Path, value: &serde_json::Value) -> Result<()> {
    let text = serde_json::to_string_pretty(value)
        .map_err(|e| Error::format(path, format!("cannot serialize ({e})")))?;
    mtw::io::atomic::write_atomic(path, text.as_bytes())
}

/// A scalar as JSON (non-finite values become null).
pub fn num<T: Scalar>(x: T) -> serde_json::Value {
    serde_json::Number::from_f64(x.to_f64())
        .map_or(serde_json::Value::Null, serde_json::Value::Number)
}

/// Removes outputs of an earlier command from `dir`, so a folder never mixes two fits.
pub fn remove_stale(dir: &Path, names: &[&str]) -> Result<()> {
    for name in names {
        let path = dir.join(name);
        if path.exists() {
            std::fs::remove_file(&path).map_err(|e| Error::io(&path, e))?;
        }
    }
    Ok(())
}
