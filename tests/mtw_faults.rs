//! Faults that users of peer libraries hit, each made impossible here, and the MTW solver's
//! basic guarantees (least squares limit, warm starts, monotone objective, typed errors).

use nalgebra::{DMatrix, DVector};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use mtw::model::mtw::{lambda_max, Mtw, MtwParams, ReweightedMtw};
use mtw::model::{Estimator, Fit, Problem};
use mtw::ot::defaults::{default_epsilon, gamma_from_tau, PAPER_TAU};
use mtw::ot::{GroundMetric, KernelStrategy};
use mtw::Error;

fn grid_1d(p: usize) -> GroundMetric<f64> {
    GroundMetric::grid_squared_euclidean(&[p]).unwrap().normalized_by_median().unwrap()
}

/// A seeded problem with a few active features shared across tasks (up to small shifts).
fn random_problem(seed: u64, tasks: usize, n: usize, p: usize) -> (Problem<f64>, DMatrix<f64>) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut coef = DMatrix::zeros(p, tasks);
    for t in 0..tasks {
        coef[(p / 4 + t % 2, t)] = 1.0 + rng.gen::<f64>();
        coef[(3 * p / 4 - t % 2, t)] = 1.0 + rng.gen::<f64>();
    }
    let designs: Vec<DMatrix<f64>> =
        (0..tasks).map(|_| DMatrix::from_fn(n, p, |_, _| rng.gen::<f64>() - 0.5)).collect();
    let targets = designs
        .iter()
        .enumerate()
        .map(|(t, x)| {
            x * coef.column(t) + DVector::from_fn(n, |_, _| 0.05 * (rng.gen::<f64>() - 0.5))
        })
        .collect();
    (Problem::new(designs, targets).unwrap(), coef)
}

fn params(mu: f64, lambda: f64, p: usize) -> MtwParams<f64> {
    let mut prm = MtwParams::new(mu, lambda, 1.0 / p as f64, 10.0);
    prm.tol = 1e-9;
    prm.tol_ot = 1e-10;
    prm
}

#[test]
fn all_zero_data_gives_zero_after_one_iteration() {
    let problem = Problem::new(vec![DMatrix::zeros(3, 4); 2], vec![DVector::zeros(3); 2]).unwrap();
    for kernel in [KernelStrategy::Dense, KernelStrategy::LogDense, KernelStrategy::Auto] {
        let mtw = Mtw::new(&grid_1d(4), params(0.1, 0.1, 4), kernel).unwrap();
        let fit = mtw.fit(&problem).unwrap();
        assert!(fit.coef.iter().all(|&v| v == 0.0), "{kernel:?}: {}", fit.coef);
        assert!(fit.converged && fit.iterations <= 1, "{kernel:?}: {} iterations", fit.iterations);
        assert!(fit.objective.unwrap().is_finite());
        assert!(fit.barycenter.unwrap().iter().all(|v| v.is_finite()));
    }
}

#[test]
fn one_zero_task_beside_a_normal_one_gives_no_nan() {
    let (problem, _) = random_problem(1, 2, 20, 12);
    let designs = vec![problem.design(0).clone(), DMatrix::zeros(20, 12)];
    let targets = vec![problem.target(0).clone(), DVector::zeros(20)];
    let problem = Problem::new(designs, targets).unwrap();
    for kernel in [KernelStrategy::Dense, KernelStrategy::LogDense, KernelStrategy::Auto] {
        let mtw = Mtw::new(&grid_1d(12), params(0.05, 0.05, 12), kernel).unwrap();
        let fit = mtw.fit(&problem).unwrap();
        assert!(fit.coef.iter().all(|v| v.is_finite()), "{kernel:?}");
        assert!(fit.coef.column(1).iter().all(|&v| v == 0.0));
        assert!(fit.objective.unwrap().is_finite());
        assert!(fit.converged);
    }
}

#[test]
fn zero_penalties_give_least_squares() {
    let (problem, _) = random_problem(2, 2, 30, 6);
    let mut prm = params(0.0, 0.0, 6);
    prm.tol = 1e-13;
    prm.max_iter = 200_000;
    prm.max_iter_cd = 50;
    let fit = Mtw::new(&grid_1d(6), prm, KernelStrategy::Auto).unwrap().fit(&problem).unwrap();
    for t in 0..2 {
        let x = problem.design(t);
        let normal = x.tr_mul(x);
        let ls = normal.cholesky().unwrap().solve(&x.tr_mul(problem.target(t)));
        let err = (fit.coef.column(t) - &ls).amax() / ls.amax();
        assert!(err < 1e-8, "task {t}: {err:e}");
    }
}

/// The alternation (with its safeguarded Anderson step) is monotone; momentum is not (it
/// restarts when the objective rises), so it is off here.
#[test]
fn objective_trace_never_increases_without_momentum() {
    let (problem, _) = random_problem(3, 3, 15, 20);
    let lmax = lambda_max(&problem, false);
    let mut prm = params(0.05 * lmax, 0.1 * lmax, 20);
    prm.momentum = false;
    let mtw = Mtw::new(&grid_1d(20), prm, KernelStrategy::Auto).unwrap();
    let fit = mtw.fit(&problem).unwrap();
    assert!(fit.converged);
    for (k, pair) in fit.objective_trace.windows(2).enumerate().skip(1) {
        let slack = 1e-10 * pair[0].abs().max(1.0);
        assert!(
            pair[1] <= pair[0] + slack,
            "objective rose at iteration {k}: {} -> {}",
            pair[0],
            pair[1]
        );
    }
}

#[test]
fn warm_and_cold_starts_agree_along_a_path() {
    let (problem, _) = random_problem(4, 2, 15, 16);
    let lmax = lambda_max(&problem, false);
    let base =
        Mtw::new(&grid_1d(16), params(0.05 * lmax, 0.5 * lmax, 16), KernelStrategy::Auto).unwrap();
    let mut warm = None;
    for factor in [0.5, 0.3, 0.2, 0.1] {
        let est = base.with_penalties(0.05 * lmax, factor * lmax).unwrap();
        let fit = est.fit_from(&problem, warm.as_ref()).unwrap();
        let cold = est.fit(&problem).unwrap();
        let (a, b) = (fit.objective.unwrap(), cold.objective.unwrap());
        assert!((a - b).abs() <= 1e-7 * b.abs(), "lambda {factor}: warm {a} vs cold {b}");
        warm = Some(fit);
    }

    // Refit on a perturbed design from the last path point.
    let designs: Vec<_> = problem.designs().iter().map(|x| x.map(|v| v * 1.01)).collect();
    let perturbed = Problem::new(designs, problem.targets().to_vec()).unwrap();
    let est = base.with_penalties(0.05 * lmax, 0.1 * lmax).unwrap();
    let warm_fit = est.fit_from(&perturbed, warm.as_ref()).unwrap();
    let cold_fit = est.fit(&perturbed).unwrap();
    let (a, b) = (warm_fit.objective.unwrap(), cold_fit.objective.unwrap());
    assert!((a - b).abs() <= 1e-7 * b.abs(), "perturbed: warm {a} vs cold {b}");
}

#[test]
fn f32_fit_matches_f64() {
    let (problem, _) = random_problem(5, 2, 20, 10);
    let lmax = lambda_max(&problem, false);
    let prm = params(0.05 * lmax, 0.1 * lmax, 10);
    let fit64 =
        Mtw::new(&grid_1d(10), prm.clone(), KernelStrategy::Auto).unwrap().fit(&problem).unwrap();
    let problem32: Problem<f32> = problem.cast();
    let metric32 =
        GroundMetric::<f32>::grid_squared_euclidean(&[10]).unwrap().normalized_by_median().unwrap();
    let mut prm32 =
        MtwParams::new(prm.mu as f32, prm.lambda as f32, prm.epsilon as f32, prm.gamma as f32);
    prm32.tol = 1e-6;
    let fit32 = Mtw::new(&metric32, prm32, KernelStrategy::Auto).unwrap().fit(&problem32).unwrap();
    let diff = fit32.coef.map(f64::from) - &fit64.coef;
    let err = diff.amax() / fit64.coef.amax();
    assert!(err < 1e-3, "f32 vs f64: {err:e}");
}

#[test]
fn bad_inputs_are_typed_errors() {
    let x = DMatrix::<f64>::zeros(3, 4);
    let y = DVector::<f64>::zeros(3);
    assert!(matches!(Problem::<f64>::new(vec![], vec![]), Err(Error::Empty(_))));
    assert!(matches!(Problem::new(vec![x.clone()], vec![DVector::zeros(2)]), Err(Error::Shape(_))));
    assert!(matches!(
        Problem::new(vec![x.clone(), DMatrix::zeros(3, 5)], vec![y.clone(), y.clone()]),
        Err(Error::Shape(_))
    ));
    assert!(matches!(
        Problem::<f64>::new(vec![DMatrix::zeros(0, 4)], vec![DVector::zeros(0)]),
        Err(Error::Empty(_))
    ));
    let mut nan_x = x.clone();
    nan_x[(1, 2)] = f64::NAN;
    assert!(matches!(Problem::new(vec![nan_x], vec![y.clone()]), Err(Error::NonFinite { .. })));
    let mut inf_y = y.clone();
    inf_y[0] = f64::INFINITY;
    assert!(matches!(Problem::new(vec![x.clone()], vec![inf_y]), Err(Error::NonFinite { .. })));

    let metric = grid_1d(4);
    let bad = |mu: f64, lambda: f64, eps: f64, gamma: f64| {
        Mtw::new(&metric, MtwParams::new(mu, lambda, eps, gamma), KernelStrategy::Auto).err()
    };
    assert!(matches!(bad(-1.0, 0.1, 0.1, 1.0), Some(Error::Parameter { .. })));
    assert!(matches!(bad(0.1, -1.0, 0.1, 1.0), Some(Error::Parameter { .. })));
    assert!(matches!(bad(0.1, 0.1, 0.0, 1.0), Some(Error::Parameter { .. })));
    assert!(matches!(bad(0.1, 0.1, 0.1, -1.0), Some(Error::Parameter { .. })));
    assert!(matches!(bad(0.1, 0.1, f64::NAN, 1.0), Some(Error::Parameter { .. })));

    // Metric of the wrong size for the problem.
    let problem = Problem::new(vec![x], vec![y]).unwrap();
    let mtw =
        Mtw::new(&grid_1d(5), MtwParams::new(0.1, 0.1, 0.1, 1.0), KernelStrategy::Auto).unwrap();
    assert!(matches!(mtw.fit(&problem), Err(Error::Shape(_))));

    // Metric problems.
    let mut neg = DMatrix::from_element(3, 3, 1.0);
    neg[(0, 1)] = -1.0;
    assert!(matches!(GroundMetric::dense(neg), Err(Error::Negative { .. })));
    assert!(GroundMetric::<f64>::dense(DMatrix::zeros(3, 4)).is_err());
    let mut nan_m = DMatrix::from_element(3, 3, 1.0);
    nan_m[(2, 2)] = f64::NAN;
    assert!(matches!(GroundMetric::dense(nan_m), Err(Error::NonFinite { .. })));
}

/// Four signed one-vs-rest tasks on a 6 × 6 grid (n = 12): the coefficients of reweighted MTW
/// switch on and off between outer iterations. On this seed the momentum step used to
/// extrapolate such entries from ln(min_positive), and the warm-started path ended at
/// objectives near 1e268 (an error, "objective is inf", on the digits study).
#[test]
fn reweighted_signed_path_with_momentum_stays_finite_and_below_the_zero_fit() {
    let (side, tasks, n) = (6, 4, 12);
    let p = side * side;
    let metric: GroundMetric<f64> = GroundMetric::grid_squared_euclidean(&[side, side])
        .unwrap()
        .normalized_by_median()
        .unwrap();
    let mut rng = ChaCha8Rng::seed_from_u64(26);
    let designs: Vec<DMatrix<f64>> =
        (0..tasks).map(|_| DMatrix::from_fn(n, p, |_, _| rng.gen::<f64>() - 0.5)).collect();
    let targets: Vec<DVector<f64>> = (0..tasks)
        .map(|t| {
            DVector::from_fn(n, |i, _| {
                let label = if (i + t) % tasks == 0 { 1.0 } else { -0.2 };
                label + 0.1 * (rng.gen::<f64>() - 0.5)
            })
        })
        .collect();
    let zero_fit: f64 = targets.iter().map(|y| y.norm_squared()).sum::<f64>() / (2.0 * n as f64);
    let problem = Problem::new(designs, targets).unwrap();

    let lmax = lambda_max(&problem, false);
    let gamma = gamma_from_tau(&metric, PAPER_TAU).unwrap();
    let mut prm = MtwParams::new(0.0, 0.0, default_epsilon(&metric), gamma);
    prm.tol = 1e-4;
    prm.max_iter_cd = 10;
    prm.max_iter = 2000;
    let base = Mtw::new(&metric, prm, KernelStrategy::Auto).unwrap();
    let mut previous: Option<Fit<f64>> = None;
    for lambda in [0.03, 0.01, 0.003] {
        let mut estimator =
            ReweightedMtw::new(base.with_penalties(0.1 * lmax, lambda * lmax).unwrap());
        estimator.max_reweighting = 5;
        estimator.stop_at_inner_precision = false;
        estimator.tol_reweighting = 1e-4;
        let fit = estimator.fit_from(&problem, previous.as_ref()).unwrap();
        let objective = fit.objective.unwrap();
        assert!(objective < zero_fit, "λ = {lambda} λ_max: objective {objective:e} ≥ {zero_fit}");
        assert!(fit.coef.iter().all(|v| v.is_finite() && v.abs() < 1e3));
        previous = Some(fit);
    }
}

/// At ε = 1e-6 (far below the default) the momentum step used to extrapolate the jump of an
/// accepted Anderson step again, and the fit diverged to coefficients of 1e130 that the
/// relative stopping tests accepted as converged. Momentum now restarts after every accepted
/// Anderson step (`legacy_momentum` keeps the old rule, and fails this test).
#[test]
fn momentum_and_anderson_do_not_diverge_at_a_tiny_epsilon() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/small_epsilon");
    let (x_path, y_path) = (dir.join("X.npy"), dir.join("Y.npy"));
    let designs = mtw::io::npy::read(&x_path).unwrap().to_matrices::<f64>(&x_path, "X").unwrap();
    let targets = mtw::io::npy::read(&y_path).unwrap().to_vectors::<f64>(&y_path, "Y").unwrap();
    let problem = Problem::new(designs, targets).unwrap();
    let metric: GroundMetric<f64> =
        GroundMetric::grid_squared_euclidean(&[4, 4]).unwrap().normalized_by_median().unwrap();
    let mut prm = MtwParams::new(0.01, 0.005, 1e-6, gamma_from_tau(&metric, PAPER_TAU).unwrap());
    prm.max_iter = 2000;
    let fit = Mtw::new(&metric, prm, KernelStrategy::Auto).unwrap().fit(&problem).unwrap();
    let objective = fit.objective.unwrap();
    assert!(objective.is_finite() && objective < 1.0, "objective {objective:e}");
    assert!(fit.coef.amax() < 10.0, "max |θ| = {:e}", fit.coef.amax());
}
