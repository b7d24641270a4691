//! The Auto strategy reports leaving the scaling domain once, at info level (it is the designed
//! fallback, also recorded as `log_domain_used`), and logs nothing when it stays (own test
//! binary: it installs a global logger).

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
fn auto_switch_logs_one_notice() {
    log::set_logger(&Capture).unwrap();
    log::set_max_level(log::LevelFilter::Trace);
    let metric = GroundMetric::<f64>::grid_squared_euclidean(&[40]).unwrap();
    let theta = DMatrix::from_fn(40, 2, |i, t| if i == [3, 35][t] { 1.0 } else { 0.0 });

    // No switch: nothing about the log domain, and no warning at all.
    let easy = UnbalancedBarycenter::new(&metric, 50.0, 1.0, KernelStrategy::Auto).unwrap();
    let out = easy.solve(&theta, None, 1e-10, 10_000).unwrap();
    assert!(!out.log_domain_used);
    let quiet = RECORDS
        .lock()
        .unwrap()
        .iter()
        .all(|(l, m)| *l > log::Level::Warn && !m.contains("log domain"));
    assert!(quiet, "{:?}", RECORDS.lock().unwrap());

    let hard = UnbalancedBarycenter::new(&metric, 0.5, 1.0, KernelStrategy::Auto).unwrap();
    let out = hard.solve(&theta, None, 1e-10, 10_000).unwrap();
    assert!(out.log_domain_used);
    let records = RECORDS.lock().unwrap().clone();
    let notices: Vec<&String> = records
        .iter()
        .filter(|(l, m)| *l == log::Level::Info && m.contains("log domain"))
        .map(|(_, m)| m)
        .collect();
    assert_eq!(notices.len(), 1, "{records:?}");
    assert!(records.iter().all(|(l, _)| *l > log::Level::Warn), "{records:?}");
}
