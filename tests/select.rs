//! Hyperparameter selection: grids, warm-started paths, seeded CV folds, oracle selection and
//! grid-edge flags.

mod common;

use common::{get, load, matrices, matrix, vectors};
use mtw::metrics::support_recovery;
use mtw::model::{Dirty, Estimator, Fit, GroupLasso, Lasso, Problem};
use mtw::select::{
    cross_validate, fit_path, misclassification, mse, oracle, subproblem, CvOptions, Folds, Goal,
    Grid, Hyper,
};
use mtw::{Error, Result};
use nalgebra::{DMatrix, DVector};

fn gauss() -> (Problem<f64>, DMatrix<f64>) {
    let case = load("indlasso.json");
    let prob =
        Problem::new(matrices(get(&case, "inputs/X")), vectors(get(&case, "inputs/Y"))).unwrap();
    (prob, matrix(get(&case, "inputs/coef_true")))
}

fn lasso(h: &Hyper) -> Result<Box<dyn Estimator<f64>>> {
    Ok(Box::new(Lasso::new(h.lambda)?.tol(1e-10)?))
}

fn l1(fit: &Fit<f64>) -> f64 {
    fit.coef.iter().map(|c| c.abs()).sum()
}

#[test]
fn folds_are_disjoint_cover_and_reproducible() {
    for (n, k) in [(25, 5), (23, 4), (10, 10), (7, 2)] {
        let folds = Folds::new(n, k, 42).unwrap();
        let mut seen = vec![0; n];
        for f in 0..k {
            let (test, train) = (folds.test(f), folds.train(f));
            assert_eq!(test.len() + train.len(), n);
            assert!(test.iter().all(|i| !train.contains(i)));
            assert!(test.len() == n / k || test.len() == n / k + 1);
            test.iter().for_each(|&i| seen[i] += 1);
        }
        assert!(seen.iter().all(|&c| c == 1), "every sample held out exactly once");
        assert_eq!(folds, Folds::new(n, k, 42).unwrap());
    }
    assert_ne!(Folds::new(25, 5, 1).unwrap(), Folds::new(25, 5, 2).unwrap());
    assert!(matches!(Folds::new(5, 1, 0), Err(Error::Parameter { .. })));
    assert!(matches!(Folds::new(5, 6, 0), Err(Error::Parameter { .. })));
}

#[test]
fn log_grids_run_from_max_down() {
    let axis = Grid::log_spaced(2.0, 5, 0.01).unwrap();
    assert_eq!(axis[0], 2.0);
    assert!((axis[4] - 0.02).abs() < 1e-15);
    assert!((axis[2] - 0.2).abs() < 1e-15);
    assert!(axis.windows(2).all(|w| w[1] < w[0]));

    let grid = Grid::mu_lambda(1.0, 3, 2.0, 4, 0.1).unwrap();
    assert_eq!(grid.shape(), (3, 4));
    let order: Vec<(usize, usize)> = grid.points().map(|(ij, _)| ij).collect();
    assert_eq!(order[..5], [(0, 0), (0, 1), (0, 2), (0, 3), (1, 0)]);

    assert!(Grid::log_spaced(1.0, 0, 0.1).is_err());
    assert!(Grid::log_spaced(-1.0, 3, 0.1).is_err());
    assert!(Grid::log_spaced(1.0, 3, 0.0).is_err());
    assert!(Grid::new(vec![0.0], vec![1.0, 2.0]).is_err());
    assert!(Grid::new(vec![], vec![1.0]).is_err());
    assert!(Grid::new(vec![f64::NAN], vec![1.0]).is_err());
}

#[test]
fn warm_started_path_matches_cold_fits() {
    let (prob, _) = gauss();
    let grid = Grid::lambda_path(Lasso::lambda_max(&prob, false), 6, 0.05).unwrap();
    let path = fit_path(&prob, &grid, &lasso).unwrap();
    assert_eq!(path.len(), 6);
    assert!(path[0].fit.coef.iter().all(|&c| c == 0.0) && path[0].fit.iterations == 0);
    for point in &path {
        let cold = lasso(&point.hyper).unwrap().fit(&prob).unwrap();
        let diff = (&point.fit.coef - &cold.coef).amax() / cold.coef.amax().max(1e-300);
        assert!(point.fit.converged && diff < 1e-4, "λ = {}: {diff:e}", point.hyper.lambda);
        assert!(point.fit.objective.unwrap() <= cold.objective.unwrap() * (1.0 + 1e-9));
    }
}

#[test]
fn oracle_flags_a_winner_on_the_grid_edge() {
    let (prob, _) = gauss();
    let lmax = Lasso::lambda_max(&prob, false);
    let grid = Grid::lambda_path(lmax, 5, 0.3).unwrap();

    // ‖θ(λ)‖₁ never increases with λ: maximising it picks the smallest λ, minimising the
    // largest; both are edges.
    let best = oracle(&prob, &grid, &lasso, |f| Ok(l1(f)), Goal::Maximize).unwrap();
    assert_eq!(best.selection.method, "oracle");
    assert_eq!(best.selection.best_index, (0, 4));
    assert!(best.selection.on_grid_edge.lambda && !best.selection.on_grid_edge.mu);
    assert_eq!(best.fit.coef, fit_path(&prob, &grid, &lasso).unwrap()[4].fit.coef);
    let worst = oracle(&prob, &grid, &lasso, |f| Ok(l1(f)), Goal::Minimize).unwrap();
    assert_eq!(worst.selection.best_index, (0, 0));
    assert!(worst.selection.on_grid_edge.lambda);

    // A target at the middle point: an interior winner, not flagged.
    let target = l1(&lasso(&grid.get(0, 2)).unwrap().fit(&prob).unwrap());
    let mid = oracle(&prob, &grid, &lasso, |f| Ok(-(l1(f) - target).abs()), Goal::Maximize);
    let mid = mid.unwrap().selection;
    assert_eq!(mid.best_index, (0, 2));
    assert!(!mid.on_grid_edge.lambda && !mid.on_grid_edge.mu);
}

#[test]
fn oracle_on_a_2d_dirty_grid_with_support_recovery() {
    let (prob, truth) = gauss();
    let grid =
        Grid::mu_lambda(Dirty::mu_max(&prob, false), 3, Dirty::lambda_max(&prob, false), 3, 0.1)
            .unwrap();
    let builder = |h: &Hyper| -> Result<Box<dyn Estimator<f64>>> {
        Ok(Box::new(Dirty::new(h.mu, h.lambda)?))
    };
    let score = |f: &Fit<f64>| Ok(support_recovery(&f.coef, &truth, 0.0)?.mean);
    let best = oracle(&prob, &grid, &builder, score, Goal::Maximize).unwrap();
    let s = &best.selection;
    assert_eq!(s.scores.shape(), (3, 3));
    assert_eq!(s.best_score, s.scores.max());
    assert!(s.best_score > s.scores[(0, 0)], "the all-zero fit must lose");
    let (i, j) = s.best_index;
    assert_eq!(s.on_grid_edge.mu, i == 0 || i == 2);
    assert_eq!(s.on_grid_edge.lambda, j == 0 || j == 2);
}

#[test]
fn cross_validation_is_reproducible_and_refits() {
    let (prob, _) = gauss();
    let grid = Grid::mu_path(GroupLasso::mu_max(&prob, false), 6, 0.05).unwrap();
    let builder = |h: &Hyper| -> Result<Box<dyn Estimator<f64>>> {
        Ok(Box::new(GroupLasso::new(h.mu)?.tol(1e-10)?))
    };
    let options = CvOptions { folds: 5, seed: 7, ..CvOptions::default() };
    let cv = cross_validate(&prob, &grid, &builder, mse, options).unwrap();
    assert_eq!(cv.selection.method, "cv");
    assert_eq!(cv.fold_scores.len(), 5);
    assert_ne!(cv.selection.best_index, (0, 0), "the all-zero model at mu_max must lose");
    let again = cross_validate(&prob, &grid, &builder, mse, options).unwrap();
    assert_eq!(cv.selection.scores, again.selection.scores);
    assert_eq!(cv.folds, again.folds);

    // Mean of the fold scores; the refit is a cold fit at the winner on all samples.
    let mean = cv.fold_scores.iter().fold(DMatrix::zeros(6, 1), |a, s| a + s) / 5.0;
    assert_eq!(mean, cv.selection.scores);
    let direct = builder(&cv.selection.best).unwrap().fit(&prob).unwrap();
    assert_eq!(cv.refit.unwrap().coef, direct.coef);
}

#[test]
fn misclassification_metric_uses_global_rows() {
    // Two classes, one feature each: task t scores class t by x_t.
    let x = DMatrix::from_row_slice(4, 2, &[1.0, 0.0, 0.0, 1.0, 2.0, 0.5, 0.1, 0.3]);
    let y = vec![DVector::zeros(4), DVector::zeros(4)];
    let prob = Problem::shared_design(x, y).unwrap();
    let mut fit = Fit::new("test", DMatrix::identity(2, 2));
    fit.coef = DMatrix::identity(2, 2);
    let metric = misclassification::<f64>(vec![0, 1, 0, 0]);
    let val = subproblem(&prob, &[1, 2, 3]).unwrap();
    // Rows 1, 2, 3 predict classes 1, 0, 1 against labels 1, 0, 0.
    assert!((metric(&fit, &val, &[1, 2, 3]).unwrap() - 1.0 / 3.0).abs() < 1e-15);
    assert!(metric(&fit, &val, &[1, 2, 9]).is_err());
    assert!(subproblem(&prob, &[4]).is_err());
}

#[test]
fn builder_errors_propagate() {
    let (prob, _) = gauss();
    let grid = Grid::lambda_path(1.0, 3, 0.5).unwrap();
    let bad = |_: &Hyper| -> Result<Box<dyn Estimator<f64>>> { Ok(Box::new(Lasso::new(-1.0)?)) };
    assert!(matches!(fit_path(&prob, &grid, &bad), Err(Error::Parameter { .. })));
    let nan = oracle(&prob, &grid, &lasso, |_| Ok(f64::NAN), Goal::Maximize);
    assert!(matches!(nan, Err(Error::Numerical(_))));
}
