//! The study's three charts, drawn with [`mtw::study::plot::LineChart`] on log10 values (the
//! axis labels say so).

use std::path::Path;

use mtw::study::plot::{LineChart, Series};
use mtw::Result;

use crate::run::Row;

/// Least-squares slope of y on x (NaN with fewer than two distinct x).
fn slope(points: &[(f64, f64)]) -> f64 {
    let n = points.len() as f64;
    if points.len() < 2 {
        return f64::NAN;
    }
    let mx = points.iter().map(|p| p.0).sum::<f64>() / n;
    let my = points.iter().map(|p| p.1).sum::<f64>() / n;
    let sxy: f64 = points.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
    let sxx: f64 = points.iter().map(|p| (p.0 - mx).powi(2)).sum();
    if sxx > 0.0 {
        sxy / sxx
    } else {
        f64::NAN
    }
}

fn chart(title: &str, subtitle: &str, x: &str, y: &str, series: Vec<Series>) -> LineChart {
    LineChart {
        title: title.into(),
        subtitle: subtitle.into(),
        x_label: x.into(),
        y_label: y.into(),
        series,
        y_range: None,
        size: (1100, 700),
    }
}

fn series(name: String, mut points: Vec<(f64, f64)>) -> Series {
    points.sort_by(|a, b| a.0.total_cmp(&b.0));
    Series {
        name,
        means: points.iter().map(|&(x, y)| (x, y, f64::NAN, f64::NAN)).collect(),
        trials: points,
        lines: true,
    }
}

/// Solved to the tolerance: its error measures the strategy, not the time budget.
fn converged(r: &Row) -> bool {
    r.converged && r.reference_converged
}

/// Short legend names (the legend column is narrow).
fn short(strategy: &str) -> &str {
    match strategy {
        "separable" => "sep",
        "log-separable" => "log-sep",
        "sparse-truncated" => "sparse",
        s => s,
    }
}

fn usable(r: &Row) -> bool {
    r.iterations > 0 && r.seconds_per_iteration.is_finite()
}

/// Strategy × precision labels in first-appearance order.
fn labels(rows: &[Row]) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = Vec::new();
    for r in rows {
        let k = (r.strategy.clone(), r.precision.clone());
        if !v.contains(&k) {
            v.push(k);
        }
    }
    v
}

/// Writes `time_per_iteration`, `error_vs_epsilon` and `f32_speedup` (PNG and SVG).
pub fn write_all(dir: &Path, rows: &[Row]) -> Result<()> {
    // 1. Seconds per sweep against p at ε = 1/p and the smallest T, log-log with fitted slope.
    let t0 = rows.iter().map(|r| r.tasks).min().unwrap_or(0);
    let at_default = |r: &Row| (r.epsilon * r.p as f64 - 1.0).abs() < 1e-9 && r.tasks == t0;
    let mut s1 = Vec::new();
    for (st, pr) in labels(rows) {
        let pts: Vec<(f64, f64)> = rows
            .iter()
            .filter(|r| r.strategy == st && r.precision == pr && at_default(r) && usable(r))
            .map(|r| ((r.p as f64).log10(), r.seconds_per_iteration.log10()))
            .collect();
        if !pts.is_empty() {
            s1.push(series(format!("{} {pr} ^{:.2}", short(&st), slope(&pts)), pts));
        }
    }
    chart(
        "Seconds per Sinkhorn sweep",
        &format!("eps = 1/p, T = {t0}; legend: strategy, precision, ^fitted growth exponent in p"),
        "log10 p",
        "log10 seconds per sweep",
        s1,
    )
    .write(dir, "time_per_iteration")?;

    // 2. Relative error against ε on the swept side with the most converged solves (one line
    //    per strategy × precision); a solve stopped by its budget or cap is left out.
    let swept = |r: &&Row| (r.epsilon * r.p as f64 - 1.0).abs() > 1e-9 && r.tasks == t0;
    let mut sides: Vec<usize> = rows.iter().filter(swept).map(|r| r.w).collect();
    sides.dedup();
    let n_converged = |w: usize| rows.iter().filter(|r| r.w == w && converged(r)).count();
    let w_sweep = sides.iter().copied().max_by_key(|&w| (n_converged(w), w)).unwrap_or(0);
    let mut s2 = Vec::new();
    for (st, pr) in labels(rows) {
        let pts: Vec<(f64, f64)> = rows
            .iter()
            .filter(|r| r.strategy == st && r.precision == pr && r.w == w_sweep && r.tasks == t0)
            .filter(|r| r.rel_error.is_finite() && converged(r))
            .map(|r| (r.epsilon.log10(), r.rel_error.max(1e-17).log10()))
            .collect();
        if !pts.is_empty() {
            s2.push(series(format!("{} {pr}", short(&st)), pts));
        }
    }
    chart(
        "Barycenter error against the f64 log-domain reference",
        &format!(
            "w = {w_sweep}, T = {t0}, converged solves; a missing point failed or ran out of \
             time (runs.csv says which)"
        ),
        "log10 eps",
        "log10 max rel error",
        s2,
    )
    .write(dir, "error_vs_epsilon")?;

    // 3. f32 speed-up (f64 s/sweep ÷ f32 s/sweep) against the f32 error, per strategy.
    let mut s3 = Vec::new();
    for (st, pr) in labels(rows) {
        if pr != "f32" {
            continue;
        }
        let pts: Vec<(f64, f64)> = rows
            .iter()
            .filter(|r| r.strategy == st && r.precision == "f32" && usable(r) && converged(r))
            .filter_map(|r32| {
                let r64 = rows.iter().find(|r| {
                    r.strategy == st
                        && r.precision == "f64"
                        && (r.w, r.tasks) == (r32.w, r32.tasks)
                        && r.epsilon == r32.epsilon
                        && usable(r)
                })?;
                let e = r32.rel_error;
                e.is_finite().then(|| {
                    (e.max(1e-17).log10(), r64.seconds_per_iteration / r32.seconds_per_iteration)
                })
            })
            .collect();
        if !pts.is_empty() {
            // Problems have no order here: markers only.
            s3.push(Series { lines: false, ..series(short(&st).to_string(), pts) });
        }
    }
    chart(
        "f32 speed-up against f32 accuracy",
        "one point per problem where the f32 solve converged; speed-up = f64 / f32 seconds per \
         sweep",
        "log10 f32 max rel error",
        "speed-up",
        s3,
    )
    .write(dir, "f32_speedup")?;
    Ok(())
}
