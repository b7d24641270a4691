//! Baseline estimators against the golden references of `tests/data/` (mutar / scikit-learn,
//! certified by duality gaps), and their fault behaviour.

mod common;

use std::cell::Cell;
use std::sync::Once;

use common::{get, load, matrices, matrix, rel_diff, rel_max_diff, scalar, vector, vectors};
use mtw::model::{
    Dirty, Estimator, Fit, GroupLasso, Lasso, MultiLevelLasso, Problem, ReweightedLasso,
};
use mtw::Error;
use nalgebra::{DMatrix, DVector};
use serde_json::Value;

/// The problem stored in a reference file.
fn problem(case: &Value) -> Problem<f64> {
    let xs = matrices(get(case, "inputs/X"));
    let ys = vectors(get(case, "inputs/Y"));
    Problem::new(xs, ys).unwrap()
}

/// Number of tasks of a reference case, as a float.
fn n_tasks(case: &Value) -> f64 {
    get(case, "inputs/Y").as_array().unwrap().len() as f64
}

/// Objective no worse than the reference (1e-9 relative) and within 1e-9 of it; coefficients
/// within `coef_tol` of the reference relative to its largest entry.
fn assert_matches(fit: &Fit<f64>, case: &Value, coef_tol: f64) {
    let name = scalar_str(case, "case");
    let want_obj = scalar(get(case, "outputs/objective"));
    let obj = fit.objective.unwrap();
    assert!(obj <= want_obj * (1.0 + 1e-9), "{name}: objective {obj} > reference {want_obj}");
    assert!(rel_diff(obj, want_obj) < 1e-9, "{name}: objective {obj} vs {want_obj}");
    let err = rel_max_diff(&fit.coef, &matrix(get(case, "outputs/coef")));
    assert!(err < coef_tol, "{name}: coef differs by {err:e} (relative to max)");
    eprintln!("{name}: objective rel diff {:e}, coef {err:e}", rel_diff(obj, want_obj));
}

fn scalar_str(case: &Value, key: &str) -> String {
    get(case, key).as_str().unwrap().to_string()
}

/// The per-task sklearn alphas of an IndLasso case, as paper λ_t = T a_t.
fn paper_lambdas(case: &Value) -> Vec<f64> {
    let t = n_tasks(case);
    vector(get(case, "params/mutar/alpha")).iter().map(|a| t * a).collect()
}

#[test]
fn indlasso_matches_reference() {
    let case = load("indlasso.json");
    let prob = problem(&case);
    let fit =
        Lasso::per_task(paper_lambdas(&case)).unwrap().tol(1e-14).unwrap().fit(&prob).unwrap();
    assert!(fit.converged);
    assert!(fit.duality_gap.unwrap() <= fit.tol_threshold);
    assert_matches(&fit, &case, 1e-7);

    // λ_max per task, in the paper's scale (T × the sklearn alpha_max).
    let want = vector(get(&case, "outputs/alpha_max_per_task")) * n_tasks(&case);
    for (got, want) in Lasso::lambda_max_per_task(&prob, false).iter().zip(want.iter()) {
        assert!(rel_diff(*got, *want) < 1e-14, "lambda_max {got} vs {want}");
    }
}

#[test]
fn indlasso_f32_matches_reference() {
    let case = load("indlasso.json");
    let prob: Problem<f32> = problem(&case).cast();
    let lambdas = paper_lambdas(&case).iter().map(|&l| l as f32).collect();
    let fit = Lasso::per_task(lambdas).unwrap().fit(&prob).unwrap();
    assert!(fit.converged);
    let coef = fit.coef.map(f64::from);
    let err = rel_max_diff(&coef, &matrix(get(&case, "outputs/coef")));
    eprintln!("f32 coef error {err:e}");
    assert!(err < 1e-3, "f32 coef differs by {err:e}");
    let obj = f64::from(fit.objective.unwrap());
    assert!(rel_diff(obj, scalar(get(&case, "outputs/objective"))) < 1e-5);
}

#[test]
fn indlasso_positive_matches_reference() {
    let case = load("indlasso_positive.json");
    let prob = problem(&case);
    let est = Lasso::per_task(paper_lambdas(&case)).unwrap().positive(true).tol(1e-14).unwrap();
    let fit = est.fit(&prob).unwrap();
    assert!(fit.converged && fit.coef.iter().all(|&c| c >= 0.0));
    assert_matches(&fit, &case, 1e-7);
}

#[test]
fn indrewlasso_matches_reference() {
    let case = load("indrewlasso.json");
    let prob = problem(&case);
    let est = ReweightedLasso::per_task(paper_lambdas(&case)).unwrap().tol(1e-12, 1e-14).unwrap();
    let fit = est.fit(&prob).unwrap();
    assert!(fit.converged);
    assert_matches(&fit, &case, 1e-7);
    assert!(fit.objective_trace.windows(2).all(|w| w[1] <= w[0] * (1.0 + 1e-12)));
}

#[test]
fn grouplasso_matches_reference() {
    for file in ["grouplasso.json", "grouplasso_shared_design.json"] {
        let case = load(file);
        let prob = problem(&case);
        let mu = scalar(get(&case, "params/mutar/alpha"));
        let fit = GroupLasso::new(mu).unwrap().tol(1e-13).unwrap().fit(&prob).unwrap();
        assert!(fit.converged);
        assert!(fit.duality_gap.unwrap() <= fit.tol_threshold);
        assert_matches(&fit, &case, 1e-7);
        let mu_max = GroupLasso::mu_max(&prob, false);
        assert!(rel_diff(mu_max, scalar(get(&case, "outputs/alpha_max"))) < 1e-14);
    }
}

#[test]
fn grouplasso_f32_matches_reference() {
    let case = load("grouplasso.json");
    let prob: Problem<f32> = problem(&case).cast();
    let mu = scalar(get(&case, "params/mutar/alpha")) as f32;
    let fit = GroupLasso::new(mu).unwrap().fit(&prob).unwrap();
    assert!(fit.converged);
    let err = rel_max_diff(&fit.coef.map(f64::from), &matrix(get(&case, "outputs/coef")));
    eprintln!("f32 coef error {err:e}");
    assert!(err < 1e-3, "f32 coef differs by {err:e}");
}

#[test]
fn dirty_f32_matches_reference() {
    let case = load("dirty.json");
    let prob: Problem<f32> = problem(&case).cast();
    let mu = scalar(get(&case, "params/paper_eq12/mu")) as f32;
    let lambda = scalar(get(&case, "params/paper_eq12/lambda")) as f32;
    let fit = Dirty::new(mu, lambda).unwrap().fit(&prob).unwrap();
    assert!(fit.converged);
    let err = rel_max_diff(&fit.coef.map(f64::from), &matrix(get(&case, "outputs/coef")));
    eprintln!("f32 coef error {err:e}");
    assert!(err < 1e-3, "f32 coef differs by {err:e}");
    let obj = f64::from(fit.objective.unwrap());
    assert!(rel_diff(obj, scalar(get(&case, "outputs/objective"))) < 1e-5);
}

#[test]
fn objective_traces_never_increase() {
    let prob = gauss_problem();
    let estimators: Vec<Boxed> = vec![
        Box::new(Lasso::new(0.2).unwrap()),
        Box::new(GroupLasso::new(0.4).unwrap()),
        Box::new(Dirty::new(0.5, 0.35).unwrap()),
        Box::new(MultiLevelLasso::new(0.2, 0.6).unwrap()),
    ];
    for est in estimators {
        let fit = est.fit(&prob).unwrap();
        let trace = &fit.objective_trace;
        assert!(trace.len() > 1, "{}", est.name());
        for w in trace.windows(2) {
            assert!(w[1] <= w[0] * (1.0 + 1e-12), "{}: {} then {}", est.name(), w[0], w[1]);
        }
        let last = *trace.last().unwrap();
        assert!(rel_diff(last, fit.objective.unwrap()) < 1e-12, "{}", est.name());
    }
}

#[test]
fn grouplasso_above_mu_max_is_exactly_zero() {
    let case = load("grouplasso_above_alpha_max.json");
    let prob = problem(&case);
    let mu = scalar(get(&case, "params/mutar/alpha"));
    let fit = GroupLasso::new(mu).unwrap().fit(&prob).unwrap();
    assert!(fit.coef.iter().all(|&c| c == 0.0));
    assert_eq!(fit.duality_gap, Some(0.0));
    assert_eq!(fit.iterations, 0);
    assert!(fit.converged);
    assert_eq!(fit.objective.unwrap(), scalar(get(&case, "outputs/objective")));
}

#[test]
fn dirty_matches_reference() {
    let case = load("dirty.json");
    let prob = problem(&case);
    let mu = scalar(get(&case, "params/paper_eq12/mu"));
    let lambda = scalar(get(&case, "params/paper_eq12/lambda"));
    let fit = Dirty::new(mu, lambda).unwrap().tol(1e-13).unwrap().fit(&prob).unwrap();
    assert!(fit.converged);
    assert!(fit.duality_gap.unwrap() <= fit.tol_threshold);
    assert_matches(&fit, &case, 1e-7);

    // The split is unique here (checked by the reference against FISTA).
    let shared = fit.coef_shared.as_ref().unwrap();
    let err = rel_max_diff(shared, &matrix(get(&case, "outputs/coef_shared")));
    assert!(err < 1e-6, "shared part differs by {err:e}");
    let specific = fit.coef_specific.as_ref().unwrap();
    let err = rel_max_diff(specific, &matrix(get(&case, "outputs/coef_specific")));
    assert!(err < 1e-6, "specific part differs by {err:e}");
}

#[test]
fn dirty_with_lambda_above_mu_is_group_lasso() {
    let case = load("dirty_beta_ge_alpha.json");
    let prob = problem(&case);
    let mu = scalar(get(&case, "params/paper_eq12/mu"));
    let lambda = scalar(get(&case, "params/paper_eq12/lambda"));
    let fit = Dirty::new(mu, lambda).unwrap().tol(1e-13).unwrap().fit(&prob).unwrap();
    assert!(fit.converged);
    assert_matches(&fit, &case, 1e-7);
    let specific = fit.coef_specific.as_ref().unwrap();
    assert!(specific.amax() < 1e-7 * fit.coef.amax(), "specific part {}", specific.amax());
}

#[test]
fn multilevel_lasso_matches_reference() {
    let case = load("multilevel_lasso.json");
    let prob = problem(&case);
    let alpha = scalar(get(&case, "params/mutar/alpha"));
    let (mu, lambda) = (alpha, n_tasks(&case) * alpha);
    let est = MultiLevelLasso::new(mu, lambda).unwrap().tol(1e-13, 1e-14).unwrap();
    let fit = est.fit(&prob).unwrap();
    assert!(fit.converged);
    assert_matches(&fit, &case, 1e-7);

    // Parts: C is non-negative and shared; θ = C ⊙ S.
    let c = fit.coef_shared.as_ref().unwrap();
    let s = fit.coef_specific.as_ref().unwrap();
    assert!(c.iter().all(|&v| v >= 0.0));
    assert!((c.column(0) - c.column(2)).amax() == 0.0);
    assert!((c.component_mul(s) - &fit.coef).amax() == 0.0);
}

// ---------------------------------------------------------------------------------------------
// Faults.

thread_local! {
    static WARNINGS: Cell<usize> = const { Cell::new(0) };
}

/// Counts `warn!` records emitted on the current thread.
struct CountingLogger;

impl log::Log for CountingLogger {
    fn enabled(&self, m: &log::Metadata) -> bool {
        m.level() <= log::Level::Warn
    }
    fn log(&self, r: &log::Record) {
        if r.level() == log::Level::Warn {
            WARNINGS.with(|w| w.set(w.get() + 1));
        }
    }
    fn flush(&self) {}
}

fn warnings_during<R>(f: impl FnOnce() -> R) -> (R, usize) {
    static INIT: Once = Once::new();
    INIT.call_once(|| {
        log::set_boxed_logger(Box::new(CountingLogger)).unwrap();
        log::set_max_level(log::LevelFilter::Warn);
    });
    let before = WARNINGS.with(Cell::get);
    let out = f();
    (out, WARNINGS.with(Cell::get) - before)
}

fn gauss_problem() -> Problem<f64> {
    problem(&load("indlasso.json"))
}

/// At the max: exact zero, gap exactly 0, no epoch, converged, no warning.
fn assert_exact_zero(est: &dyn Estimator<f64>, prob: &Problem<f64>) {
    let (fit, warnings) = warnings_during(|| est.fit(prob).unwrap());
    let name = est.name();
    assert!(fit.coef.iter().all(|&c| c == 0.0), "{name}: not exactly zero");
    assert_eq!(fit.duality_gap, Some(0.0), "{name}");
    assert_eq!(fit.iterations, 0, "{name}");
    assert!(fit.converged, "{name}");
    assert_eq!(warnings, 0, "{name}");
}

#[test]
fn penalty_at_max_gives_exact_zero() {
    let prob = gauss_problem();
    for positive in [false, true] {
        let lmax = Lasso::lambda_max(&prob, positive);
        assert_exact_zero(&Lasso::new(lmax).unwrap().positive(positive), &prob);
        let per_task = Lasso::lambda_max_per_task(&prob, positive);
        assert_exact_zero(&Lasso::per_task(per_task).unwrap().positive(positive), &prob);
        let mu_max = GroupLasso::mu_max(&prob, positive);
        assert_exact_zero(&GroupLasso::new(mu_max).unwrap().positive(positive), &prob);
        let (dm, dl) = (Dirty::mu_max(&prob, positive), Dirty::lambda_max(&prob, positive));
        assert_exact_zero(&Dirty::new(dm, dl).unwrap().positive(positive), &prob);
    }

    // Non-convex models: exact zero and converged (they stop on the change of θ).
    let lmax = ReweightedLasso::lambda_max(&prob, false);
    let fit = ReweightedLasso::new(lmax).unwrap().fit(&prob).unwrap();
    assert!(fit.converged && fit.coef.iter().all(|&c| c == 0.0));
    let lmax = MultiLevelLasso::lambda_max(&prob, false);
    let fit = MultiLevelLasso::new(1.0, lmax).unwrap().fit(&prob).unwrap();
    assert!(fit.converged && fit.coef.iter().all(|&c| c == 0.0));
}

#[test]
fn penalty_slightly_below_max_is_nonzero() {
    // At 1 − 1e-6 of the max, θ = 0 has a relative gap of about 1e-12: a default tolerance
    // would accept it, so solve tightly.
    let prob = gauss_problem();
    let (below, tol) = (1.0 - 1e-6, 1e-14);
    let lmax = Lasso::lambda_max(&prob, false);
    let fit = Lasso::new(lmax * below).unwrap().tol(tol).unwrap().fit(&prob).unwrap();
    assert!(fit.converged && fit.coef.iter().any(|&c| c != 0.0));
    let mu_max = GroupLasso::mu_max(&prob, false);
    let fit = GroupLasso::new(mu_max * below).unwrap().tol(tol).unwrap().fit(&prob).unwrap();
    assert!(fit.converged && fit.coef.iter().any(|&c| c != 0.0));
    let (dm, dl) = (Dirty::mu_max(&prob, false), Dirty::lambda_max(&prob, false));
    let fit = Dirty::new(dm * below, dl).unwrap().tol(tol).unwrap().fit(&prob).unwrap();
    assert!(fit.converged && fit.coef.iter().any(|&c| c != 0.0));
    let fit = Dirty::new(dm, dl * below).unwrap().tol(tol).unwrap().fit(&prob).unwrap();
    assert!(fit.converged && fit.coef.iter().any(|&c| c != 0.0));

    // MLL: below λ_max, µ ≥ µ_max(λ) gives θ = 0.
    let lambda = 0.5 * MultiLevelLasso::lambda_max(&prob, false);
    let mu_max = MultiLevelLasso::mu_max(&prob, lambda, false).unwrap();
    let fit = MultiLevelLasso::new(mu_max * 1.001, lambda).unwrap().fit(&prob).unwrap();
    assert!(fit.converged && fit.coef.iter().all(|&c| c == 0.0));
    // Just below it the first alternation is non-zero (later ones may still reach 0).
    let est = MultiLevelLasso::new(mu_max * 0.99, lambda).unwrap().max_iter(1, 10_000);
    let fit = est.fit(&prob).unwrap();
    assert!(fit.coef.iter().any(|&c| c != 0.0));
}

type Boxed = Box<dyn Estimator<f64>>;

fn all_estimators() -> Vec<Boxed> {
    vec![
        Box::new(Lasso::new(0.3).unwrap()),
        Box::new(ReweightedLasso::new(0.3).unwrap()),
        Box::new(GroupLasso::new(0.3).unwrap()),
        Box::new(Dirty::new(0.3, 0.2).unwrap()),
        Box::new(MultiLevelLasso::new(0.3, 0.3).unwrap()),
        Box::new(Lasso::new(0.3).unwrap().positive(true)),
        Box::new(GroupLasso::new(0.0).unwrap()),
        Box::new(Dirty::new(0.3, 0.0).unwrap().positive(true)),
    ]
}

#[test]
fn all_zero_targets_or_designs_give_exact_zero() {
    let prob = gauss_problem();
    let (p, t) = (prob.n_features(), prob.n_tasks());
    let zero_y = Problem::new(prob.designs().to_vec(), vec![DVector::zeros(25); t]).unwrap();
    let zero_x = Problem::new(vec![DMatrix::zeros(25, p); t], prob.targets().to_vec()).unwrap();
    for est in all_estimators() {
        for case in [&zero_y, &zero_x] {
            let (fit, warnings) = warnings_during(|| est.fit(case).unwrap());
            assert!(fit.coef.iter().all(|&c| c == 0.0), "{}", est.name());
            assert!(fit.converged, "{}", est.name());
            assert_eq!(warnings, 0, "{}", est.name());
            if let Some(gap) = fit.duality_gap {
                assert_eq!(gap, 0.0, "{}", est.name());
                assert_eq!(fit.iterations, 0, "{}", est.name());
            }
        }
    }
}

#[test]
fn zero_columns_are_handled() {
    // One feature absent from every design, another from one task only.
    let prob = gauss_problem();
    let designs: Vec<DMatrix<f64>> = prob
        .designs()
        .iter()
        .enumerate()
        .map(|(t, x)| {
            let mut x = x.clone();
            x.column_mut(3).fill(0.0);
            if t == 1 {
                x.column_mut(7).fill(0.0);
            }
            x
        })
        .collect();
    let prob = Problem::new(designs, prob.targets().to_vec()).unwrap();
    for est in all_estimators() {
        let fit = est.fit(&prob).unwrap();
        assert!(fit.coef.iter().all(|c| c.is_finite()), "{}", est.name());
        assert!(fit.coef.row(3).iter().all(|&c| c == 0.0), "{}", est.name());
        assert_eq!(fit.coef[(7, 1)], 0.0, "{}", est.name());
    }
}

#[test]
fn scaling_targets_and_penalties_scales_the_solution() {
    // c a power of two: every operation scales exactly, so the iterates are the same up to c.
    let prob = gauss_problem();
    let c = 8.0;
    let scaled =
        Problem::new(prob.designs().to_vec(), prob.targets().iter().map(|y| y * c).collect())
            .unwrap();
    let pairs: Vec<[Boxed; 2]> = vec![
        [Box::new(Lasso::new(0.4).unwrap()), Box::new(Lasso::new(0.4 * c).unwrap())],
        [Box::new(GroupLasso::new(0.6).unwrap()), Box::new(GroupLasso::new(0.6 * c).unwrap())],
        [Box::new(Dirty::new(0.5, 0.4).unwrap()), Box::new(Dirty::new(0.5 * c, 0.4 * c).unwrap())],
    ];
    for [est, est_c] in pairs {
        let fit = est.fit(&prob).unwrap();
        let fit_c = est_c.fit(&scaled).unwrap();
        assert!(fit.converged && fit_c.converged);
        assert_eq!(fit.iterations, fit_c.iterations, "{}", est.name());
        let err = rel_max_diff(&(fit_c.coef / c), &fit.coef);
        assert!(err < 1e-12, "{}: {err:e}", est.name());
    }
}

#[test]
fn warm_start_at_the_solution_costs_no_iteration() {
    let prob = gauss_problem();
    let estimators: Vec<Box<dyn Estimator<f64>>> = vec![
        Box::new(Lasso::new(0.3).unwrap()),
        Box::new(GroupLasso::new(0.5).unwrap()),
        Box::new(Dirty::new(0.5, 0.4).unwrap()),
    ];
    for est in estimators {
        let fit = est.fit(&prob).unwrap();
        let again = est.fit_from(&prob, Some(&fit)).unwrap();
        assert_eq!(again.iterations, 0, "{}", est.name());
        assert_eq!(again.coef, fit.coef, "{}", est.name());
    }
}

#[test]
fn invalid_parameters_are_rejected() {
    assert!(matches!(Lasso::new(-1.0), Err(Error::Parameter { .. })));
    assert!(matches!(Lasso::new(f64::NAN), Err(Error::Parameter { .. })));
    assert!(matches!(Lasso::per_task(vec![1.0, f64::INFINITY]), Err(Error::Parameter { .. })));
    assert!(matches!(Lasso::new(1.0).unwrap().tol(-1.0), Err(Error::Parameter { .. })));
    assert!(matches!(GroupLasso::new(-0.1), Err(Error::Parameter { .. })));
    assert!(matches!(Dirty::new(1.0, f64::NAN), Err(Error::Parameter { .. })));
    assert!(matches!(MultiLevelLasso::new(-1.0, 1.0), Err(Error::Parameter { .. })));
    // One penalty at 0 leaves the product C ⊙ S free to rescale: no minimum, refused.
    assert!(matches!(MultiLevelLasso::new(0.0, 1.0), Err(Error::Parameter { .. })));
    assert!(matches!(MultiLevelLasso::new(1.0, 0.0), Err(Error::Parameter { .. })));
    assert!(matches!(ReweightedLasso::new(f64::INFINITY), Err(Error::Parameter { .. })));

    // Fields are public: a fit re-validates them.
    let prob = gauss_problem();
    let mut est = GroupLasso::new(1.0).unwrap();
    est.mu = -1.0;
    assert!(matches!(est.fit(&prob), Err(Error::Parameter { .. })));
    let est = Lasso::per_task(vec![1.0, 1.0]).unwrap();
    assert!(matches!(est.fit(&prob), Err(Error::Shape(_))));
    let mut bad_start = Fit::new("lasso", DMatrix::zeros(3, 3));
    assert!(Lasso::new(1.0).unwrap().fit_from(&prob, Some(&bad_start)).is_err());
    bad_start.coef = DMatrix::from_element(60, 3, f64::NAN);
    assert!(Lasso::new(1.0).unwrap().fit_from(&prob, Some(&bad_start)).is_err());
}

#[test]
fn non_convergence_is_flagged_not_an_error() {
    let prob = gauss_problem();
    let (fit, warnings) =
        warnings_during(|| Lasso::new(0.1).unwrap().max_iter(2).fit(&prob).unwrap());
    assert!(!fit.converged);
    assert_eq!(fit.iterations, 2);
    assert!(warnings >= 1);
}
