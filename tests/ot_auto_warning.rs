//! The Auto strategy logs a warning when it leaves the scaling domain (own test binary: it
//! installs a global logger).

use std::sync::Mutex;

use mtw::ot::{GroundMetric, KernelStrategy, UnbalancedBarycenter};
use nalgebra::DMatrix;

static RECORDS: Mutex<Vec<(log::Level, String)>> = Mutex::new(Vec::new());

struct Capture;

impl log::Log for Capture {
    fn enabled(&self, _: &log::Metadata) -> bool {
        true
    }

    fn log(&self, record: &log::Record) {
        RECORDS.lock().unwrap().push((record.level(), record.args().to_string()));
    }

    fn flush(&self) {}
}

#[test]
fn auto_switch_logs_one_warning() {
    log::set_logger(&Capture).unwrap();
    log::set_max_level(log::LevelFilter::Trace);
    let metric = GroundMetric::<f64>::grid_squared_euclidean(&[40]).unwrap();
    let theta = DMatrix::from_fn(40, 2, |i, t| if i == [3, 35][t] { 1.0 } else { 0.0 });

    // No switch: no warning.
    let easy = UnbalancedBarycenter::new(&metric, 50.0, 1.0, KernelStrategy::Auto).unwrap();
    let out = easy.solve(&theta, None, 1e-10, 10_000).unwrap();
    assert!(!out.log_domain_used);
    assert!(RECORDS.lock().unwrap().iter().all(|(l, _)| *l > log::Level::Warn));

    let hard = UnbalancedBarycenter::new(&metric, 0.5, 1.0, KernelStrategy::Auto).unwrap();
    let out = hard.solve(&theta, None, 1e-10, 10_000).unwrap();
    assert!(out.log_domain_used);
    let warnings: Vec<String> = RECORDS
        .lock()
        .unwrap()
        .iter()
        .filter(|(l, _)| *l == log::Level::Warn)
        .map(|(_, m)| m.clone())
        .collect();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(warnings[0].contains("log domain"), "{}", warnings[0]);
}
