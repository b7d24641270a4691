//! The study as trials of the runner ([`mtw::study`]): one trial per problem (w, T, ε), one
//! trials-CSV row per strategy × precision, and the conversion back to `runs.csv` rows.
//!
//! `trials.csv` columns: `problem` (`w{w}_T{T}`, as the `--export` folders), `epsilon`,
//! `trial` (always 0), `model` (`strategy/precision`), the [`VALUES`], `note` (the row's
//! status) and `trial_rows`.

use std::collections::HashMap;

use mtw::study::{Layout, Measurement, TrialKey};
use mtw::{Error, Result};

use crate::run::Row;

/// The value columns, in order.
pub const VALUES: [&str; 10] = [
    "gamma",
    "iterations",
    "converged",
    "log_domain_used",
    "rel_error",
    "reference_converged",
    "kernel_bytes",
    "seconds",
    "seconds_per_iteration",
    "vmhwm_kb",
];

/// Measured on the machine, exempt from determinism: wall times and the process's peak memory
/// (which also depends on what ran before in the same process, e.g. before a resume).
pub const MACHINE_DEPENDENT: [&str; 3] = ["seconds", "seconds_per_iteration", "vmhwm_kb"];

/// The trials CSV layout.
pub fn layout() -> Layout {
    Layout::new("problem", "epsilon", &VALUES).with_machine_dependent(&MACHINE_DEPENDENT)
}

/// The key of problem (w, T, ε).
pub fn key(w: usize, tasks: usize, epsilon: f64) -> TrialKey {
    TrialKey::new(format!("w{w}_T{tasks}"), epsilon, 0)
}

/// (w, T) of a key's group `w{w}_T{T}`.
pub fn parse_group(group: &str) -> Result<(usize, usize)> {
    let bad = || Error::parameter("problem", group, "expected w{side}_T{tasks}");
    let (w, t) = group.strip_prefix('w').and_then(|g| g.split_once("_T")).ok_or_else(bad)?;
    Ok((w.parse().map_err(|_| bad())?, t.parse().map_err(|_| bad())?))
}

/// A problem's rows as the runner's measurements (booleans as 0/1, the status as the note).
pub fn measurements(rows: &[Row]) -> Vec<Measurement> {
    let flag = |b: bool| f64::from(u8::from(b));
    let mut out = Vec::new();
    for r in rows {
        let model = format!("{}/{}", r.strategy, r.precision);
        let values = [
            r.gamma,
            r.iterations as f64,
            flag(r.converged),
            flag(r.log_domain_used),
            r.rel_error,
            flag(r.reference_converged),
            r.kernel_bytes,
            r.seconds,
            r.seconds_per_iteration,
            r.vmhwm_kb,
        ];
        for (metric, value) in VALUES.iter().zip(values) {
            let m = Measurement::new(model.as_str(), *metric, value);
            out.push(if *metric == "gamma" { m.with_note(r.status.as_str()) } else { m });
        }
    }
    out
}

/// The `runs.csv` rows of the runner's rows, problems in the order of `keys` (the plan's),
/// strategies and precisions in the order they ran.
pub fn runs(records: &[mtw::study::Row], keys: &[TrialKey]) -> Result<Vec<Row>> {
    let position: HashMap<String, usize> =
        keys.iter().enumerate().map(|(i, k)| (k.label(), i)).collect();
    let mut ordered: Vec<(usize, usize, &mtw::study::Row)> = Vec::new();
    for (i, r) in records.iter().enumerate() {
        let at = position.get(&r.key.label()).ok_or_else(|| {
            Error::parameter("trial", r.key.label(), "is not a problem of this plan")
        })?;
        ordered.push((*at, i, r));
    }
    ordered.sort_by_key(|&(at, i, _)| (at, i));
    ordered.into_iter().map(|(_, _, r)| run_row(r)).collect()
}

fn run_row(r: &mtw::study::Row) -> Result<Row> {
    let (w, tasks) = parse_group(&r.key.group)?;
    let (strategy, precision) = r
        .model
        .split_once('/')
        .ok_or_else(|| Error::parameter("model", &r.model, "expected strategy/precision"))?;
    let value = |name: &str| r.value(name).unwrap_or(f64::NAN);
    Ok(Row {
        w,
        p: w * w,
        tasks,
        epsilon: r.key.x,
        gamma: value("gamma"),
        strategy: strategy.into(),
        precision: precision.into(),
        status: r.note.clone(),
        iterations: value("iterations") as usize,
        seconds: value("seconds"),
        seconds_per_iteration: value("seconds_per_iteration"),
        converged: value("converged") == 1.0,
        log_domain_used: value("log_domain_used") == 1.0,
        kernel_bytes: value("kernel_bytes"),
        vmhwm_kb: value("vmhwm_kb"),
        rel_error: value("rel_error"),
        reference_converged: value("reference_converged") == 1.0,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_survive_the_runner_round_trip() {
        assert_eq!(parse_group("w16_T3").unwrap(), (16, 3));
        for bad in ["16_T3", "w16T3", "wx_T3", "w16_T"] {
            assert!(parse_group(bad).is_err(), "{bad}");
        }
        let row = |strategy: &str, precision: &str, status: &str| Row {
            w: 8,
            p: 64,
            tasks: 3,
            epsilon: 1e-3,
            gamma: 0.7,
            strategy: strategy.into(),
            precision: precision.into(),
            status: status.into(),
            iterations: 1200,
            seconds: 0.25,
            seconds_per_iteration: 0.25 / 1200.0,
            converged: true,
            log_domain_used: false,
            kernel_bytes: 2048.0,
            vmhwm_kb: 9000.0,
            rel_error: f64::NAN,
            reference_converged: true,
        };
        let rows = vec![row("dense", "f64", "ok"), row("sparse-truncated", "f32", "error: x")];
        let k = key(8, 3, 1e-3);
        let records = layout().pivot(&k, &measurements(&rows)).unwrap();
        assert_eq!(records.len(), 2);
        assert_eq!(records[1].note, "error: x");
        let back = runs(&records, &[key(6, 3, 1.0 / 36.0), k]).unwrap();
        let text = |r: &[Row]| format!("{r:?}");
        assert_eq!(text(&back), text(&rows));
        assert!(runs(&records, &[]).is_err());
    }
}
