//! Barycenter (Algorithm 2) against the golden reference files, and fault cases.

mod common;

use common::*;
use mtw::ot::{GroundMetric, KernelStrategy, UnbalancedBarycenter};
use mtw::{Error, Scalar};
use nalgebra::{DMatrix, DVector};
use serde_json::Value;

const BARY_CASES: [&str; 9] = [
    "bary_dense_points.json",
    "bary_disjoint_supports.json",
    "bary_grid1d.json",
    "bary_grid2d_12x12.json",
    "bary_grid2d_12x12_small_eps.json",
    "bary_single_task.json",
    "bary_small_eps_log.json",
    "bary_unequal_masses.json",
    "bary_zero_task.json",
];

/// The metric of a reference case: a 2-D grid (from `M1_raw / M_scale`) when `M1_raw` is
/// given, else dense (`M_raw / M_scale`, or `M`).
fn case_metric<T: Scalar>(case: &Value) -> GroundMetric<T> {
    let inputs = get(case, "inputs");
    if let Some(m1) = inputs.get("M1_raw") {
        let scale = scalar(get(inputs, "M_scale"));
        let f = matrix(m1).map(|x| T::of_f64(x / scale));
        GroundMetric::grid_from_factor(f, 2).unwrap()
    } else if let Some(m) = inputs.get("M_raw") {
        let scale = scalar(get(inputs, "M_scale"));
        GroundMetric::dense(matrix(m).map(|x| T::of_f64(x / scale))).unwrap()
    } else {
        GroundMetric::dense(matrix(get(inputs, "M")).map(T::of_f64)).unwrap()
    }
}

fn to64<T: Scalar>(m: &DMatrix<T>) -> DMatrix<f64> {
    m.map(|x| x.to_f64())
}

fn vec_rel(a: &DVector<f64>, b: &DVector<f64>) -> f64 {
    rel_max_diff(
        &DMatrix::from_column_slice(a.len(), 1, a.as_slice()),
        &DMatrix::from_column_slice(b.len(), 1, b.as_slice()),
    )
}

struct Errors {
    bary: f64,
    left: f64,
    right: f64,
    value: f64,
    per_task: f64,
    iterations: usize,
    log_used: bool,
}

impl Errors {
    /// Every relative error (barycenter, marginals, values) is below `bound`.
    fn assert_below(&self, bound: f64, label: &str) {
        for (what, v) in [
            ("barycenter", self.bary),
            ("left marginals", self.left),
            ("right marginals", self.right),
            ("ot_value", self.value),
            ("ot_value per task", self.per_task),
        ] {
            assert!(v < bound, "{label}: {what} off by {v:e}");
        }
    }
}

/// Solves a reference case with `strategy` in precision T; `to_dense` forces the dense form,
/// `translate` turns on the translation step.
fn run_case<T: Scalar>(
    name: &str,
    strategy: KernelStrategy,
    to_dense: bool,
    tol: f64,
    translate: bool,
) -> Result<Errors, Error> {
    let case = load(name);
    let mut metric = case_metric::<T>(&case);
    if to_dense {
        metric = GroundMetric::dense(metric.to_dense()).unwrap();
    }
    let eps = T::of_f64(scalar(get(&case, "params/epsilon")));
    let gamma = T::of_f64(scalar(get(&case, "params/gamma")));
    let theta = matrix(get(&case, "inputs/theta")).map(T::of_f64);
    let solver =
        UnbalancedBarycenter::new(&metric, eps, gamma, strategy)?.with_translation(translate);
    let out = solver.solve(&theta, None, T::of_f64(tol), 200_000)?;
    assert!(out.converged, "{name} {strategy:?} did not converge in {} sweeps", out.iterations);
    let o = get(&case, "outputs");
    let bary =
        DMatrix::from_column_slice(metric.n_features(), 1, vector(get(o, "barycenter")).as_slice());
    let per_task_ref = vector(get(o, "ot_value_per_task"));
    let per_task = DVector::from_iterator(
        per_task_ref.len(),
        out.objective_per_task.iter().map(|x| x.to_f64()),
    );
    let value_ref = scalar(get(o, "ot_value"));
    Ok(Errors {
        bary: rel_max_diff(
            &to64(&DMatrix::from_column_slice(out.barycenter.len(), 1, out.barycenter.as_slice())),
            &bary,
        ),
        left: rel_max_diff(&to64(&out.marginals), &matrix(get(o, "marginals_left"))),
        right: rel_max_diff(&to64(&out.marginals_right), &matrix(get(o, "marginals_right"))),
        value: (out.objective.to_f64() - value_ref).abs()
            / value_ref.abs().max(per_task_ref.amax()),
        per_task: vec_rel(&per_task, &per_task_ref),
        iterations: out.iterations,
        log_used: out.log_domain_used,
    })
}

/// Strategies to run on a reference case: (strategy, use the dense form of a grid metric).
fn strategies_for(name: &str) -> Vec<(KernelStrategy, bool)> {
    let grid = load(name)["inputs"].get("M1_raw").is_some();
    let mut v = vec![
        (KernelStrategy::Dense, grid),
        (KernelStrategy::LogDense, grid),
        (KernelStrategy::Auto, grid),
    ];
    if grid {
        v.extend([
            (KernelStrategy::Separable, false),
            (KernelStrategy::LogSeparable, false),
            (KernelStrategy::Auto, false),
        ]);
    }
    v
}

/// Cases where the f32 scaling-domain kernel under/overflows (K^T u or u leaves the normal
/// range): there only log strategies and Auto apply in f32, and the scaling strategies must
/// report a typed numerical error.
const F32_SCALING_FAILS: [&str; 5] = [
    "bary_disjoint_supports.json",
    "bary_grid2d_12x12.json",
    "bary_grid2d_12x12_small_eps.json",
    "bary_small_eps_log.json",
    "bary_unequal_masses.json",
];

fn check_reference_case(name: &str) {
    for (s, dense) in strategies_for(name) {
        let e = run_case::<f64>(name, s, dense, 1e-12, false)
            .unwrap_or_else(|err| panic!("{name} {s:?} (dense form {dense}) f64: {err}"));
        eprintln!(
            "f64 {name} {:13} dense-form={dense:5} q {:.1e} m {:.1e} n {:.1e} value {:.1e} \
             per-task {:.1e} sweeps {} log {}",
            s.name(),
            e.bary,
            e.left,
            e.right,
            e.value,
            e.per_task,
            e.iterations,
            e.log_used
        );
        // The brief asks for 1e-6; the reference README suggests 1e-8 and we reach ~1e-9.
        e.assert_below(1e-8, &format!("{name} {s:?} dense-form {dense} f64"));

        let scaling_only = matches!(s, KernelStrategy::Dense | KernelStrategy::Separable);
        match run_case::<f32>(name, s, dense, 1e-6, false) {
            Ok(e) => {
                assert!(
                    !(scaling_only && F32_SCALING_FAILS.contains(&name)),
                    "{name} {s:?}: expected the f32 scaling kernel to underflow"
                );
                eprintln!(
                    "f32 {name} {:13} dense-form={dense:5} q {:.1e} m {:.1e} n {:.1e} value {:.1e} \
                     sweeps {} log {}",
                    s.name(), e.bary, e.left, e.right, e.value, e.iterations, e.log_used
                );
                e.assert_below(1e-3, &format!("{name} {s:?} dense-form {dense} f32"));
            }
            Err(Error::Numerical(msg)) if scaling_only && F32_SCALING_FAILS.contains(&name) => {
                assert!(msg.contains("log"), "the message should point to the log domain: {msg}");
            }
            Err(err) => panic!("{name} {s:?} dense-form {dense} f32: {err}"),
        }
    }
}

macro_rules! reference_tests {
    ($($test:ident => $file:expr),* $(,)?) => {
        $(
            #[test]
            fn $test() {
                check_reference_case($file);
            }
        )*
    };
}

reference_tests! {
    reference_bary_dense_points => "bary_dense_points.json",
    reference_bary_disjoint_supports => "bary_disjoint_supports.json",
    reference_bary_grid1d => "bary_grid1d.json",
    reference_bary_grid2d_12x12 => "bary_grid2d_12x12.json",
    reference_bary_grid2d_12x12_small_eps => "bary_grid2d_12x12_small_eps.json",
    reference_bary_single_task => "bary_single_task.json",
    reference_bary_small_eps_log => "bary_small_eps_log.json",
    reference_bary_unequal_masses => "bary_unequal_masses.json",
    reference_bary_zero_task => "bary_zero_task.json",
}

#[test]
fn reference_list_is_complete() {
    let mut files: Vec<String> = std::fs::read_dir(data_path(""))
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|f| f.starts_with("bary_") && f.ends_with(".json"))
        .collect();
    files.sort();
    assert_eq!(files, BARY_CASES.map(String::from).to_vec());
}

// ---------------------------------------------------------------------------------------------
// Helpers for the fault tests.

fn solve<T: Scalar>(
    metric: &GroundMetric<T>,
    eps: f64,
    gamma: f64,
    strategy: KernelStrategy,
    theta: &DMatrix<T>,
) -> Result<mtw::ot::BarycenterOutput<T>, Error> {
    let tol = if T::NAME == "f64" { 1e-13 } else { 1e-6 };
    UnbalancedBarycenter::new(metric, T::of_f64(eps), T::of_f64(gamma), strategy)?.solve(
        theta,
        None,
        T::of_f64(tol),
        200_000,
    )
}

fn col(v: &DVector<f64>) -> DMatrix<f64> {
    DMatrix::from_column_slice(v.len(), 1, v.as_slice())
}

/// W(θ_t, q) of eq. (5) evaluated from the explicit plan P = diag(u) K diag(v), with the
/// plan's marginals P 1 and Pᵀ 1.
fn explicit_plan_value(
    m: &DMatrix<f64>,
    eps: f64,
    gamma: f64,
    theta: &DVector<f64>,
    q: &DVector<f64>,
    log_u: &DVector<f64>,
    log_v: &DVector<f64>,
) -> (f64, DVector<f64>, DVector<f64>) {
    let p = m.nrows();
    let log_p = DMatrix::from_fn(p, p, |i, j| log_u[i] - m[(i, j)] / eps + log_v[j]);
    let plan = log_p.map(f64::exp);
    let mut w = 0.0;
    for i in 0..p {
        for j in 0..p {
            let pij = plan[(i, j)];
            if pij > 0.0 {
                w += pij * m[(i, j)] + eps * pij * (log_p[(i, j)] - 1.0);
            }
        }
    }
    let rows = DVector::from_fn(p, |i, _| plan.row(i).sum());
    let cols = DVector::from_fn(p, |j, _| plan.column(j).sum());
    let kl = |x: &DVector<f64>, y: &DVector<f64>| -> f64 {
        x.iter()
            .zip(y.iter())
            .map(|(&a, &b)| if a > 0.0 { a * (a / b).ln() - a + b } else { b })
            .sum()
    };
    w += gamma * kl(&rows, theta) + gamma * kl(&cols, q);
    (w, rows, cols)
}

fn grid_1d_raw(p: usize) -> GroundMetric<f64> {
    GroundMetric::grid_squared_euclidean(&[p]).unwrap()
}

fn bumps(p: usize, centers: &[f64], width: f64, cut: f64) -> DMatrix<f64> {
    DMatrix::from_fn(p, centers.len(), |i, t| {
        let d = (i as f64 - centers[t]) / width;
        let v = (-0.5 * d * d).exp();
        if v < cut {
            0.0
        } else {
            v
        }
    })
}

// ---------------------------------------------------------------------------------------------
// The translation step: same solutions, never more harm than a few extra sweeps.

#[test]
fn translation_step_matches_every_reference_case() {
    for name in BARY_CASES {
        let plain = run_case::<f64>(name, KernelStrategy::Auto, false, 1e-12, false).unwrap();
        let moved = run_case::<f64>(name, KernelStrategy::Auto, false, 1e-12, true)
            .unwrap_or_else(|err| panic!("{name} with translation: {err}"));
        eprintln!(
            "{name}: sweeps {} plain, {} with translation",
            plain.iterations, moved.iterations
        );
        moved.assert_below(1e-8, &format!("{name} with translation"));
        let f32_run = run_case::<f32>(name, KernelStrategy::Auto, false, 1e-6, true)
            .unwrap_or_else(|err| panic!("{name} with translation, f32: {err}"));
        assert!(f32_run.bary < 1e-3, "{name} f32 with translation: q off by {:e}", f32_run.bary);
    }
}

/// Three tasks on a 16 × 16 grid, γ/ε ≈ 6000 (the paper's defaults): smooth bumps of unequal
/// masses, or a few small spikes over a floor of tiny entries (where a per-task shift that
/// ignores the barycenter's constraint fails to converge).
fn grid_inputs(spiky: bool) -> DMatrix<f64> {
    DMatrix::from_fn(256, 3, |i, t| {
        let (r, c) = ((i / 16) as f64, (i % 16) as f64);
        if spiky {
            let spike = (i * 7 + t * 13) % 41 == 0;
            let floor = (-(((i * 31 + t * 17) % 101) as f64) * 6.0).exp();
            return if spike { 3e-3 * (1.0 + t as f64) } else { floor };
        }
        let d = (r - 4.0 - 3.0 * t as f64).powi(2) + (c - 5.0 - 2.0 * t as f64).powi(2);
        (-d / 4.0).exp() * (1.0 + t as f64)
    })
}

/// The 16 × 16 grid's median-normalised metric with the paper's ε and γ (τ = 0.5).
fn paper_grid_16() -> (GroundMetric<f64>, f64, f64) {
    let metric = GroundMetric::<f64>::grid_squared_euclidean(&[16, 16])
        .unwrap()
        .normalized_by_median()
        .unwrap();
    let eps = mtw::ot::default_epsilon(&metric);
    let gamma = mtw::ot::gamma_from_tau(&metric, 0.5).unwrap();
    (metric, eps, gamma)
}

#[test]
fn translation_step_cuts_sweeps_at_large_gamma_over_epsilon() {
    let (metric, eps, gamma) = paper_grid_16();
    for spiky in [false, true] {
        let inputs = grid_inputs(spiky);
        let solve = |translate: bool| {
            UnbalancedBarycenter::new(&metric, eps, gamma, KernelStrategy::Auto)
                .unwrap()
                .with_translation(translate)
                .solve(&inputs, None, 1e-9, 200_000)
                .unwrap()
        };
        let (plain, moved) = (solve(false), solve(true));
        eprintln!(
            "spiky {spiky}: sweeps {} plain, {} with translation; objectives {:.12e} {:.12e}",
            plain.iterations, moved.iterations, plain.objective, moved.objective
        );
        assert!(plain.converged && moved.converged, "spiky {spiky}: a solve did not converge");
        let gap = (moved.objective - plain.objective).abs() / plain.objective.abs();
        assert!(gap < 1e-6, "spiky {spiky}: objectives differ by {gap:e}");
        let q_gap = rel_max_diff(
            &DMatrix::from_column_slice(256, 1, moved.barycenter.as_slice()),
            &DMatrix::from_column_slice(256, 1, plain.barycenter.as_slice()),
        );
        assert!(q_gap < 1e-5, "spiky {spiky}: barycenters differ by {q_gap:e}");
        assert!(
            moved.iterations < plain.iterations,
            "spiky {spiky}: {} sweeps with translation, {} without",
            moved.iterations,
            plain.iterations
        );
    }
}

#[test]
fn error_estimate_predicts_the_distance_left_by_a_slow_solve() {
    // With γ/ε ≈ 6000 the per-sweep test stops thousands of tols from the fixed point; the
    // estimate must say how far, within a factor 2 (the true distance measured against a solve
    // 1,000 times tighter, with the translation step).
    let (metric, eps, gamma) = paper_grid_16();
    let inputs = grid_inputs(false);
    let solver = || UnbalancedBarycenter::new(&metric, eps, gamma, KernelStrategy::Auto).unwrap();
    let exact = solver().with_translation(true).solve(&inputs, None, 1e-11, 200_000);
    let exact = exact.unwrap().barycenter;
    for tol in [1e-7, 1e-8] {
        let out = solver().solve(&inputs, None, tol, 200_000).unwrap();
        let distance = (&out.barycenter - &exact).amax() / exact.amax();
        let estimate = out.error_estimate.expect("the changes were shrinking");
        eprintln!(
            "tol {tol:e}: {} sweeps, distance {distance:e}, estimate {estimate:e}",
            out.iterations
        );
        assert!(out.converged && distance > 10.0 * tol, "tol {tol:e}: not a slow case");
        assert!(
            estimate > 0.5 * distance && estimate < 2.0 * distance,
            "tol {tol:e}: estimate {estimate:e}, distance {distance:e}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// (a) Two points, ε ≪ γ: every strategy agrees.

#[test]
fn fault_a_two_points_all_strategies_agree() {
    let m = DMatrix::from_row_slice(2, 2, &[0.0, 1.0, 1.0, 0.0]);
    let dense = GroundMetric::dense(m.clone()).unwrap();
    let grid = GroundMetric::grid(&[2], vec![m.clone()]).unwrap();
    let theta: DMatrix<f64> = DMatrix::from_column_slice(2, 2, &[0.3, 0.7, 0.7, 0.3]);
    let (eps, gamma) = (0.01, 100.0);
    let reference = solve::<f64>(&dense, eps, gamma, KernelStrategy::LogDense, &theta).unwrap();
    assert!(reference.converged);
    let q = &reference.barycenter;
    // Symmetric inputs give a symmetric barycenter; at the optimum q = mean of right marginals
    // and the value has the closed form γ Σθ − (ε+γ) T Σq.
    assert!((q[0] - q[1]).abs() < 1e-12 * q.amax());
    let mean_n = reference.marginals_right.column_mean();
    assert!(rel_max_diff(&col(&mean_n), &col(q)) < 1e-10);
    let closed = gamma * theta.sum() - (eps + gamma) * 2.0 * q.sum();
    assert!(rel_diff(reference.objective, closed) < 1e-8, "{} vs {closed}", reference.objective);
    for s in KernelStrategy::ALL {
        let metric = if matches!(s, KernelStrategy::Separable | KernelStrategy::LogSeparable) {
            &grid
        } else {
            &dense
        };
        if s == KernelStrategy::SparseTruncated {
            // The dropped entry K_01 = e^-100 meets scalings 1e35 apart: its contribution is
            // ~2e-8 relative, above the kernel's certificate, so the solve must stop with a
            // typed error (ot_sparse.rs tests where it succeeds).
            let out = solve(metric, eps, gamma, s, &theta);
            assert!(matches!(out, Err(Error::Numerical(_))), "{out:?}");
            continue;
        }
        let out = solve(metric, eps, gamma, s, &theta).unwrap();
        assert!(out.converged, "{s:?}");
        assert!(rel_max_diff(&col(&out.barycenter), &col(q)) < 1e-8, "{s:?}");
        assert!(rel_max_diff(&out.marginals, &reference.marginals) < 1e-8, "{s:?}");
        assert!(rel_max_diff(&out.marginals_right, &reference.marginals_right) < 1e-8, "{s:?}");
        assert!(rel_diff(out.objective, reference.objective) < 1e-8, "{s:?}");
        // Also in the grid form for the dense strategies.
        let out = solve(&grid, eps, gamma, s, &theta).unwrap();
        assert!(rel_max_diff(&col(&out.barycenter), &col(q)) < 1e-8, "{s:?} on grid");
    }
}

// ---------------------------------------------------------------------------------------------
// (b) The entropy convention of eq. (5), pinned by closed forms and the explicit plan.

#[test]
fn fault_b_one_point_closed_form() {
    // T = 1, p = 1, M = [[c]]: q = P (KL(P|q) = 0), and c + ε log P + γ log(P/a) = 0 gives
    // P = exp((γ log a − c)/(ε + γ)); then W = c P + ε P(log P − 1) + γ(P log(P/a) − P + a)
    // = γ a − (ε + γ) P. With c = 0: P = a^f, W = γ a − (ε+γ) a^f.
    for &(a, c, eps, gamma) in
        &[(2.0, 0.0, 0.5, 1.5), (0.3, 0.0, 0.1, 4.0), (2.0, 0.7, 0.5, 1.5), (5.0, 3.0, 0.05, 0.2)]
    {
        let f: f64 = gamma / (gamma + eps);
        let plan = ((gamma * f64::ln(a) - c) / (eps + gamma)).exp();
        if c == 0.0 {
            assert!((plan - a.powf(f)).abs() < 1e-14 * plan);
        }
        let by_definition =
            c * plan + eps * plan * (plan.ln() - 1.0) + gamma * (plan * (plan / a).ln() - plan + a);
        let closed = gamma * a - (eps + gamma) * plan;
        assert!((by_definition - closed).abs() < 1e-12 * closed.abs().max(1.0));
        let metric = GroundMetric::dense(DMatrix::from_element(1, 1, c)).unwrap();
        let theta = DMatrix::from_element(1, 1, a);
        for s in [KernelStrategy::Dense, KernelStrategy::LogDense, KernelStrategy::Auto] {
            let out = solve(&metric, eps, gamma, s, &theta).unwrap();
            assert!(rel_diff(out.barycenter[0], plan) < 1e-13, "{s:?} q");
            assert!(rel_diff(out.marginals[(0, 0)], plan) < 1e-13, "{s:?} m");
            assert!(
                (out.objective - by_definition).abs() < 1e-13 * by_definition.abs().max(1.0),
                "{s:?}: {} vs {by_definition}",
                out.objective
            );
        }
        // f32 as well.
        let m32 = GroundMetric::dense(DMatrix::from_element(1, 1, c as f32)).unwrap();
        let out =
            solve(&m32, eps, gamma, KernelStrategy::Auto, &DMatrix::from_element(1, 1, a as f32))
                .unwrap();
        assert!(
            ((out.objective as f64) - by_definition).abs() < 1e-5 * by_definition.abs().max(1.0)
        );
    }
}

#[test]
fn fault_b_one_point_two_tasks() {
    // p = 1, T = 2, M = 0: minimise Σ_t ε P_t(log P_t − 1) + γ KL(P_t|a_t) + γ KL(P_t|q).
    // Stationarity: q = (P_1 + P_2)/2 and (ε + 2γ) log P_t = γ log a_t + γ log q. Solved here
    // by a scalar fixed point on log q, independent of the Sinkhorn code.
    let (a, eps, gamma) = ([0.5f64, 3.0], 0.3, 2.0);
    let mut lq = 0.0f64;
    for _ in 0..10_000 {
        let pt: Vec<f64> = a
            .iter()
            .map(|&at| ((gamma * at.ln() + gamma * lq) / (eps + 2.0 * gamma)).exp())
            .collect();
        lq = ((pt[0] + pt[1]) / 2.0).ln();
    }
    let q = lq.exp();
    let pt: Vec<f64> =
        a.iter().map(|&at| ((gamma * at.ln() + gamma * lq) / (eps + 2.0 * gamma)).exp()).collect();
    let w: f64 = a
        .iter()
        .zip(&pt)
        .map(|(&at, &p)| {
            eps * p * (p.ln() - 1.0)
                + gamma * (p * (p / at).ln() - p + at)
                + gamma * (p * (p / q).ln() - p + q)
        })
        .sum();
    let metric = GroundMetric::dense(DMatrix::zeros(1, 1)).unwrap();
    let theta = DMatrix::from_row_slice(1, 2, &a);
    for s in [KernelStrategy::Dense, KernelStrategy::LogDense, KernelStrategy::Auto] {
        let out = solve(&metric, eps, gamma, s, &theta).unwrap();
        assert!(rel_diff(out.barycenter[0], q) < 1e-12, "{s:?}: {} vs {q}", out.barycenter[0]);
        assert!(rel_diff(out.marginals[(0, 0)], pt[0]) < 1e-12);
        assert!(rel_diff(out.marginals[(0, 1)], pt[1]) < 1e-12);
        assert!(rel_diff(out.objective, w) < 1e-12, "{s:?}: {} vs {w}", out.objective);
    }
}

#[test]
fn fault_b_objective_equals_explicit_plan_value() {
    // A non-symmetric metric with a non-zero diagonal: catches K / Kᵀ mix-ups and the sign and
    // entropy conventions. W is evaluated from the explicit plans diag(u) K diag(v).
    let p = 7;
    let m = DMatrix::from_fn(p, p, |i, j| {
        let d = i as f64 - j as f64;
        0.1 * d * d + if i < j { 0.5 } else { 0.05 * (i + j) as f64 }
    });
    let metric = GroundMetric::dense(m.clone()).unwrap();
    let theta = DMatrix::from_fn(p, 3, |i, t| {
        if (i + t) % 4 == 0 {
            0.0
        } else {
            0.2 + ((i * 3 + t * 5) % 7) as f64 / 7.0
        }
    });
    let (eps, gamma) = (0.3, 1.7);
    let mut outs = Vec::new();
    for s in [KernelStrategy::Dense, KernelStrategy::LogDense, KernelStrategy::Auto] {
        let out = solve(&metric, eps, gamma, s, &theta).unwrap();
        let mut total = 0.0;
        for t in 0..3 {
            let (w, rows, cols) = explicit_plan_value(
                &m,
                eps,
                gamma,
                &theta.column(t).into(),
                &out.barycenter,
                &out.state.log_u.column(t).into(),
                &out.state.log_v.column(t).into(),
            );
            assert!(
                rel_max_diff(&col(&rows), &col(&out.marginals.column(t).into())) < 1e-13,
                "{s:?} P1"
            );
            assert!(
                rel_max_diff(&col(&cols), &col(&out.marginals_right.column(t).into())) < 1e-13,
                "{s:?} P^T1"
            );
            assert!(
                (w - out.objective_per_task[t]).abs() < 1e-12 * w.abs().max(1.0),
                "{s:?} W_{t}"
            );
            total += w;
        }
        assert!((total - out.objective).abs() < 1e-12 * total.abs().max(1.0));
        let closed = gamma * theta.sum() - (eps + gamma) * 3.0 * out.barycenter.sum();
        assert!(rel_diff(out.objective, closed) < 1e-10, "{s:?}: closed form at the optimum");
        outs.push(out);
    }
    // The transpose matters: the barycenter for Mᵀ differs.
    let out_t = solve(
        &GroundMetric::dense(m.transpose()).unwrap(),
        eps,
        gamma,
        KernelStrategy::Dense,
        &theta,
    )
    .unwrap();
    assert!(rel_max_diff(&col(&out_t.barycenter), &col(&outs[0].barycenter)) > 1e-3);
    for o in &outs[1..] {
        assert!(rel_max_diff(&col(&o.barycenter), &col(&outs[0].barycenter)) < 1e-10);
    }
}

#[test]
fn fault_b_reference_plans_value() {
    // On a reference case, the returned value equals the explicit-plan value per task.
    let case = load("bary_grid1d.json");
    let metric = case_metric::<f64>(&case);
    let m = metric.to_dense();
    let (eps, gamma) = (scalar(get(&case, "params/epsilon")), scalar(get(&case, "params/gamma")));
    let theta = matrix(get(&case, "inputs/theta"));
    let out = solve(&metric, eps, gamma, KernelStrategy::Auto, &theta).unwrap();
    for t in 0..theta.ncols() {
        let (w, _, _) = explicit_plan_value(
            &m,
            eps,
            gamma,
            &theta.column(t).into(),
            &out.barycenter,
            &out.state.log_u.column(t).into(),
            &out.state.log_v.column(t).into(),
        );
        assert!((w - out.objective_per_task[t]).abs() < 1e-11 * w.abs().max(1.0));
    }
    // ot_value_plus_eps_T_sumK is the eq. (6)/(8) convention: ε Σ K more per plan.
    let sum_k: f64 = m.iter().map(|x| (-x / eps).exp()).sum();
    let v6 = scalar(get(&case, "outputs/ot_value_plus_eps_T_sumK"));
    assert!(rel_diff(out.objective + eps * theta.ncols() as f64 * sum_k, v6) < 1e-9);
}

// ---------------------------------------------------------------------------------------------
// (c) f32 with ε = 1e-3 median(M): the scaling kernel underflows, Auto switches.

#[test]
fn fault_c_f32_small_eps_auto_switches() {
    let p = 50;
    let metric64 = grid_1d_raw(p);
    let eps = 1e-3 * metric64.median();
    let gamma = 1.0;
    let theta64 = bumps(p, &[12.0, 30.0, 38.0], 2.5, 1e-3);
    let metric32 = GroundMetric::dense(metric64.to_dense().map(|x| x as f32)).unwrap();
    let theta32 = theta64.map(|x| x as f32);

    let dense = solve(&metric32, eps, gamma, KernelStrategy::Dense, &theta32);
    assert!(matches!(dense, Err(Error::Numerical(_))), "{dense:?}");
    let auto = solve(&metric32, eps, gamma, KernelStrategy::Auto, &theta32).unwrap();
    assert!(auto.log_domain_used && auto.state.log_domain);
    assert!(auto.objective.is_finite());
    assert!(auto.barycenter.iter().chain(auto.marginals.iter()).all(|x| x.is_finite()));

    let reference = solve(
        &GroundMetric::dense(metric64.to_dense()).unwrap(),
        eps,
        gamma,
        KernelStrategy::LogDense,
        &theta64,
    )
    .unwrap();
    assert!(reference.converged);
    let d = rel_max_diff(&col(&auto.barycenter.map(f64::from)), &col(&reference.barycenter));
    assert!(d < 1e-3, "barycenter {d:e}");
    let d = rel_max_diff(&auto.marginals.map(f64::from), &reference.marginals);
    assert!(d < 1e-3, "marginals {d:e}");
    let d = rel_diff(auto.objective as f64, reference.objective);
    assert!(d < 1e-3, "objective {d:e}");
    // The same with the separable (grid) form.
    let grid32 = GroundMetric::<f32>::grid_squared_euclidean(&[p]).unwrap();
    assert!(matches!(
        solve(&grid32, eps, gamma, KernelStrategy::Separable, &theta32),
        Err(Error::Numerical(_))
    ));
    let auto = solve(&grid32, eps, gamma, KernelStrategy::Auto, &theta32).unwrap();
    assert!(auto.log_domain_used);
    let d = rel_max_diff(&col(&auto.barycenter.map(f64::from)), &col(&reference.barycenter));
    assert!(d < 1e-3, "separable barycenter {d:e}");
}

// ---------------------------------------------------------------------------------------------
// (d) Zero tasks.

#[test]
fn fault_d_zero_task_contributes_gamma_sum_q() {
    let case = load("bary_zero_task.json");
    let gamma = scalar(get(&case, "params/gamma"));
    let theta = matrix(get(&case, "inputs/theta"));
    let zero: Vec<usize> =
        (0..theta.ncols()).filter(|&t| theta.column(t).iter().all(|&x| x == 0.0)).collect();
    assert_eq!(zero, vec![1]);
    let metric = case_metric::<f64>(&case);
    let grid = GroundMetric::grid_squared_euclidean(&[metric.n_features()])
        .unwrap()
        .scaled(scalar(get(&case, "inputs/M_scale")))
        .unwrap();
    for s in KernelStrategy::ALL {
        let m = if matches!(s, KernelStrategy::Separable | KernelStrategy::LogSeparable) {
            &grid
        } else {
            &metric
        };
        let out = solve(m, scalar(get(&case, "params/epsilon")), gamma, s, &theta).unwrap();
        let q_sum = out.barycenter.sum();
        assert!(rel_diff(out.objective_per_task[1], gamma * q_sum) < 1e-13, "{s:?}");
        assert!(out.marginals.column(1).iter().all(|&x| x == 0.0));
        assert!(out.marginals_right.column(1).iter().all(|&x| x == 0.0));
        assert!(out.state.log_u.column(1).iter().all(|&x| x == f64::NEG_INFINITY));
        assert!(out.state.log_v.iter().all(|x| x.is_finite()));
        assert!(out.barycenter.iter().chain(out.marginals.iter()).all(|x| !x.is_nan()));
        let reference = vector(get(&case, "outputs/barycenter"));
        assert!(rel_max_diff(&col(&out.barycenter), &col(&reference)) < 1e-9, "{s:?}");
        // Solving again from the returned state works too (log_v of the zero task is 0).
        let again = UnbalancedBarycenter::new(m, scalar(get(&case, "params/epsilon")), gamma, s)
            .unwrap()
            .solve(&theta, Some(&out.state), 1e-13, 1000)
            .unwrap();
        assert!(rel_max_diff(&col(&again.barycenter), &col(&out.barycenter)) < 1e-10);
    }
}

#[test]
fn fault_d_all_zero_inputs() {
    let metric = grid_1d_raw(10);
    for s in KernelStrategy::ALL {
        for nt in [1, 3] {
            let theta = DMatrix::zeros(10, nt);
            let out = solve(&metric, 0.5, 1.0, s, &theta).unwrap();
            assert!(out.barycenter.iter().all(|&x| x == 0.0));
            assert!(out.marginals.iter().chain(out.marginals_right.iter()).all(|&x| x == 0.0));
            assert_eq!(out.objective, 0.0);
            assert!(out.converged);
            assert!(out.state.log_v.iter().all(|x| x.is_finite()));
            let m32 = GroundMetric::<f32>::grid_squared_euclidean(&[10]).unwrap();
            let out = solve(&m32, 0.5, 1.0, s, &DMatrix::<f32>::zeros(10, nt)).unwrap();
            assert_eq!(out.objective, 0.0);
        }
    }
}

#[test]
fn fault_d_zero_task_small_eps_and_f32() {
    // Zero task + log domain + f32: everything −∞-safe.
    let p = 30;
    let metric = grid_1d_raw(p).normalized_by_median().unwrap();
    let mut theta = bumps(p, &[5.0, 0.0, 22.0], 2.0, 1e-4);
    theta.column_mut(1).fill(0.0);
    for (eps, gamma) in [(1e-3, 0.5), (0.05, 20.0)] {
        let reference = solve(&metric, eps, gamma, KernelStrategy::LogDense, &theta).unwrap();
        assert!(reference.objective.is_finite());
        assert!(
            rel_diff(reference.objective_per_task[1], gamma * reference.barycenter.sum()) < 1e-12
        );
        let m32 = GroundMetric::<f32>::grid_squared_euclidean(&[p])
            .unwrap()
            .normalized_by_median()
            .unwrap();
        for s in [KernelStrategy::LogDense, KernelStrategy::LogSeparable, KernelStrategy::Auto] {
            // In f32 the log-scalings reach ~1e3 at ε = 1e-3, so rounding alone moves the
            // per-sweep relative change by 1e-4 to 3e-4, while one sweep contracts the error
            // only by γ/(γ+ε) ≈ 0.998: no tolerance on that change certifies 1e-3 there (a
            // stop on rounding noise left 2.2e-3). So at ε = 1e-3 f32 runs a fixed 3,000
            // sweeps (the f64 reference is solved to 1e-13) and only the result is checked.
            let (tol, sweeps) = if eps < 0.01 { (0.0, 3_000) } else { (1e-6, 20_000) };
            let out = UnbalancedBarycenter::new(&m32, eps as f32, gamma as f32, s)
                .unwrap()
                .solve(&theta.map(|x| x as f32), None, tol, sweeps)
                .unwrap();
            assert!(out.converged || tol == 0.0, "{s:?} eps {eps}");
            assert!(out.objective.is_finite());
            assert!(out.barycenter.iter().chain(out.marginals.iter()).all(|x| x.is_finite()));
            let d = rel_max_diff(&col(&out.barycenter.map(f64::from)), &col(&reference.barycenter));
            eprintln!("{s:?} eps {eps}: f32 vs f64 {d:e} after {} sweeps", out.iterations);
            assert!(d < 1e-3, "{s:?} eps {eps}: {d:e}");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// (e) Warm start.

#[test]
fn fault_e_warm_start() {
    let case = load("bary_grid1d.json");
    let metric = case_metric::<f64>(&case);
    let (eps, gamma) = (scalar(get(&case, "params/epsilon")), scalar(get(&case, "params/gamma")));
    let theta = matrix(get(&case, "inputs/theta"));
    for s in [KernelStrategy::Dense, KernelStrategy::LogDense, KernelStrategy::Auto] {
        let solver = UnbalancedBarycenter::new(&metric, eps, gamma, s).unwrap();
        let cold = solver.solve(&theta, None, 1e-12, 10_000).unwrap();
        assert!(cold.converged && cold.iterations > 50);
        let warm = solver.solve(&theta, Some(&cold.state), 1e-12, 10_000).unwrap();
        assert!(warm.converged);
        assert!(warm.iterations <= 3, "{s:?}: {} sweeps from a converged state", warm.iterations);
        assert!(rel_max_diff(&col(&warm.barycenter), &col(&cold.barycenter)) < 1e-11);
        assert!(rel_max_diff(&warm.marginals, &cold.marginals) < 1e-11);
        assert!(rel_diff(warm.objective, cold.objective) < 1e-12);
        // Slightly perturbed inputs: far fewer sweeps than cold.
        let perturbed = theta.map(|x| x * 1.01);
        let cold2 = solver.solve(&perturbed, None, 1e-12, 10_000).unwrap();
        let warm2 = solver.solve(&perturbed, Some(&cold.state), 1e-12, 10_000).unwrap();
        assert!(
            warm2.iterations < cold2.iterations,
            "{} vs {}",
            warm2.iterations,
            cold2.iterations
        );
        assert!(rel_max_diff(&col(&warm2.barycenter), &col(&cold2.barycenter)) < 1e-9);
    }
}

#[test]
fn fault_e_warm_start_after_auto_switch_stays_in_log() {
    let case = load("bary_small_eps_log.json");
    let metric = case_metric::<f32>(&case);
    let (eps, gamma) = (scalar(get(&case, "params/epsilon")), scalar(get(&case, "params/gamma")));
    let theta = matrix(get(&case, "inputs/theta")).map(|x| x as f32);
    let solver =
        UnbalancedBarycenter::new(&metric, eps as f32, gamma as f32, KernelStrategy::Auto).unwrap();
    let cold = solver.solve(&theta, None, 1e-6, 100_000).unwrap();
    assert!(cold.log_domain_used && cold.state.log_domain);
    let warm = solver.solve(&theta, Some(&cold.state), 1e-6, 100_000).unwrap();
    assert!(warm.log_domain_used && warm.state.log_domain);
    // f32 rounding noise in the relative change is ~1e-7, so a few more sweeps than in f64.
    assert!(warm.iterations * 20 < cold.iterations, "{} vs {}", warm.iterations, cold.iterations);
    let d =
        rel_max_diff(&col(&warm.barycenter.map(f64::from)), &col(&cold.barycenter.map(f64::from)));
    assert!(d < 1e-4, "{d:e}");
}

#[test]
fn warm_state_errors() {
    let metric = grid_1d_raw(6);
    let theta = bumps(6, &[1.0, 4.0], 1.0, 0.0);
    let solver = UnbalancedBarycenter::new(&metric, 1.0, 1.0, KernelStrategy::Auto).unwrap();
    let out = solver.solve(&theta, None, 1e-10, 1000).unwrap();
    let mut bad = out.state.clone();
    bad.log_v = DMatrix::zeros(6, 3);
    assert!(matches!(solver.solve(&theta, Some(&bad), 1e-10, 100), Err(Error::Shape(_))));
    let mut bad = out.state.clone();
    bad.log_u = DMatrix::zeros(5, 2);
    assert!(matches!(solver.solve(&theta, Some(&bad), 1e-10, 100), Err(Error::Shape(_))));
    let mut bad = out.state.clone();
    bad.log_v[(2, 1)] = f64::NAN;
    assert!(matches!(solver.solve(&theta, Some(&bad), 1e-10, 100), Err(Error::NonFinite { .. })));
    // A state from 3 tasks does not fit 2 inputs.
    let out3 = solver.solve(&bumps(6, &[1.0, 2.0, 4.0], 1.0, 0.0), None, 1e-10, 1000).unwrap();
    assert!(matches!(solver.solve(&theta, Some(&out3.state), 1e-10, 100), Err(Error::Shape(_))));
}

// ---------------------------------------------------------------------------------------------
// (f) Auto switches exactly when the scaling domain fails.

#[test]
fn fault_f_auto_does_not_switch_when_only_k_underflows() {
    // K has exact zeros (max M/ε > 745) but every sweep quantity stays normal: no switch.
    let p = 40;
    let metric = GroundMetric::dense(grid_1d_raw(p).to_dense()).unwrap();
    let eps = 1.5;
    let k = mtw::ot::kernel::DenseKernel::new(&metric.to_dense(), eps);
    assert!(k.matrix().iter().any(|&x| x == 0.0), "the test needs underflowed kernel entries");
    let theta = DMatrix::from_fn(p, 2, |i, t| 0.5 + ((i * (t + 2)) % 5) as f64 / 5.0);
    let auto = solve(&metric, eps, 1.0, KernelStrategy::Auto, &theta).unwrap();
    assert!(!auto.log_domain_used && !auto.state.log_domain);
    let dense = solve(&metric, eps, 1.0, KernelStrategy::Dense, &theta).unwrap();
    let log = solve(&metric, eps, 1.0, KernelStrategy::LogDense, &theta).unwrap();
    assert!(rel_max_diff(&col(&auto.barycenter), &col(&dense.barycenter)) == 0.0);
    assert!(rel_max_diff(&col(&auto.barycenter), &col(&log.barycenter)) < 1e-10);
}

#[test]
fn fault_f_auto_switches_when_scaling_fails() {
    // Same metric and ε, inputs with narrow disjoint supports: Kᵀu underflows far away.
    let p = 40;
    let metric = grid_1d_raw(p);
    let eps = 1.5;
    let theta = bumps(p, &[3.0, 35.0], 1.0, 1e-2);
    let dense = solve(&metric, eps, 1.0, KernelStrategy::Dense, &theta);
    assert!(matches!(dense, Err(Error::Numerical(_))), "{dense:?}");
    let auto = solve(&metric, eps, 1.0, KernelStrategy::Auto, &theta).unwrap();
    assert!(auto.log_domain_used && auto.state.log_domain);
    let log = solve(&metric, eps, 1.0, KernelStrategy::LogDense, &theta).unwrap();
    assert!(rel_max_diff(&col(&auto.barycenter), &col(&log.barycenter)) < 1e-10);
    assert!(rel_diff(auto.objective, log.objective) < 1e-10);
}

#[test]
fn fault_f_auto_switches_iff_scaling_strategy_fails() {
    // Over every reference case, both precisions and both metric forms.
    fn check<T: Scalar>(name: &str) {
        let case = load(name);
        let eps = scalar(get(&case, "params/epsilon"));
        let gamma = scalar(get(&case, "params/gamma"));
        let theta = matrix(get(&case, "inputs/theta")).map(T::of_f64);
        let metric = case_metric::<T>(&case);
        let mut metrics =
            vec![(GroundMetric::dense(metric.to_dense()).unwrap(), KernelStrategy::Dense)];
        if matches!(metric, GroundMetric::Grid(_)) {
            metrics.push((metric, KernelStrategy::Separable));
        }
        for (m, scaling) in metrics {
            let tol = T::of_f64(1e-3);
            let plain = UnbalancedBarycenter::new(&m, T::of_f64(eps), T::of_f64(gamma), scaling)
                .unwrap()
                .solve(&theta, None, tol, 300);
            let auto = UnbalancedBarycenter::new(
                &m,
                T::of_f64(eps),
                T::of_f64(gamma),
                KernelStrategy::Auto,
            )
            .unwrap()
            .solve(&theta, None, tol, 300)
            .unwrap();
            assert_eq!(plain.is_err(), auto.log_domain_used, "{name} {} {scaling:?}", T::NAME);
            if let Err(e) = plain {
                assert!(matches!(e, Error::Numerical(_)));
            }
        }
    }
    for name in BARY_CASES {
        check::<f64>(name);
        check::<f32>(name);
    }
}

// ---------------------------------------------------------------------------------------------
// (g) Typed errors.

#[test]
fn fault_g_typed_errors() {
    let ok = DMatrix::from_row_slice(2, 2, &[0.0, 1.0, 1.0, 0.0]);
    let metric = GroundMetric::dense(ok.clone()).unwrap();
    let theta = DMatrix::from_column_slice(2, 1, &[0.5, 0.5]);

    let mut neg = ok.clone();
    neg[(0, 1)] = -1.0;
    assert!(matches!(GroundMetric::dense(neg.clone()), Err(Error::Negative { .. })));
    let mut nan = ok.clone();
    nan[(1, 0)] = f64::NAN;
    assert!(matches!(GroundMetric::dense(nan.clone()), Err(Error::NonFinite { .. })));
    let mut inf = ok.clone();
    inf[(1, 0)] = f64::INFINITY;
    assert!(matches!(GroundMetric::dense(inf), Err(Error::NonFinite { .. })));
    assert!(matches!(GroundMetric::dense(DMatrix::<f64>::zeros(2, 3)), Err(Error::Shape(_))));
    // A metric built around the validating constructor is checked again by the solver.
    for bad in [
        GroundMetric::Dense(neg),
        GroundMetric::Dense(nan),
        GroundMetric::Dense(DMatrix::zeros(3, 2)),
    ] {
        assert!(UnbalancedBarycenter::new(&bad, 1.0, 1.0, KernelStrategy::Auto).is_err());
    }

    for eps in [0.0, -1.0, f64::NAN, f64::INFINITY] {
        let e = UnbalancedBarycenter::new(&metric, eps, 1.0, KernelStrategy::Auto).unwrap_err();
        assert!(matches!(&e, Error::Parameter { name, .. } if name == "epsilon"), "{e}");
    }
    for gamma in [0.0, -2.0, f64::NAN, f64::INFINITY] {
        let e = UnbalancedBarycenter::new(&metric, 1.0, gamma, KernelStrategy::Auto).unwrap_err();
        assert!(matches!(&e, Error::Parameter { name, .. } if name == "gamma"), "{e}");
    }
    for s in [KernelStrategy::Separable, KernelStrategy::LogSeparable] {
        let e = UnbalancedBarycenter::new(&metric, 1.0, 1.0, s).unwrap_err();
        assert!(matches!(e, Error::Parameter { .. }));
        assert!(e.to_string().contains("grid"), "{e}");
    }

    let solver = UnbalancedBarycenter::new(&metric, 1.0, 1.0, KernelStrategy::Auto).unwrap();
    let neg_in = DMatrix::from_column_slice(2, 1, &[0.5, -0.1]);
    assert!(matches!(solver.solve(&neg_in, None, 1e-9, 10), Err(Error::Negative { .. })));
    let nan_in = DMatrix::from_column_slice(2, 1, &[f64::NAN, 0.1]);
    assert!(matches!(solver.solve(&nan_in, None, 1e-9, 10), Err(Error::NonFinite { .. })));
    let inf_in = DMatrix::from_column_slice(2, 1, &[f64::INFINITY, 0.1]);
    assert!(matches!(solver.solve(&inf_in, None, 1e-9, 10), Err(Error::NonFinite { .. })));
    assert!(matches!(solver.solve(&DMatrix::zeros(3, 1), None, 1e-9, 10), Err(Error::Shape(_))));
    assert!(matches!(solver.solve(&DMatrix::zeros(2, 0), None, 1e-9, 10), Err(Error::Empty(_))));
    assert!(matches!(solver.solve(&theta, None, -1.0, 10), Err(Error::Parameter { .. })));
    assert!(matches!(solver.solve(&theta, None, f64::NAN, 10), Err(Error::Parameter { .. })));
    assert!(matches!(solver.solve(&theta, None, 1e-9, 0), Err(Error::Parameter { .. })));

    // Grid shape vs number of features.
    let grid = GroundMetric::<f64>::grid_squared_euclidean(&[3, 4]).unwrap();
    assert!(matches!(grid.expect_features(10), Err(Error::Shape(_))));
    let solver = UnbalancedBarycenter::new(&grid, 1.0, 1.0, KernelStrategy::Separable).unwrap();
    assert!(matches!(solver.solve(&DMatrix::zeros(10, 2), None, 1e-9, 10), Err(Error::Shape(_))));
    assert!(matches!(
        GroundMetric::<f64>::grid(&[3, 4], vec![DMatrix::zeros(3, 3), DMatrix::zeros(5, 5)]),
        Err(Error::Shape(_))
    ));
    let mut factor = DMatrix::<f64>::zeros(3, 3);
    factor[(0, 2)] = -1.0;
    assert!(matches!(GroundMetric::grid(&[3], vec![factor]), Err(Error::Negative { .. })));
    let hand_built = GroundMetric::Grid(mtw::ot::GridMetric {
        shape: vec![3, 4],
        factors: vec![DMatrix::zeros(3, 3)],
    });
    assert!(matches!(
        UnbalancedBarycenter::new(&hand_built, 1.0, 1.0, KernelStrategy::Auto),
        Err(Error::Shape(_))
    ));
}

// ---------------------------------------------------------------------------------------------
// Concurrency: one solver shared by threads.

#[test]
fn solver_is_sync_and_reusable() {
    fn assert_send_sync<X: Send + Sync>() {}
    assert_send_sync::<UnbalancedBarycenter<f64>>();
    assert_send_sync::<UnbalancedBarycenter<f32>>();
    let case = load("bary_grid2d_12x12.json");
    let metric = case_metric::<f64>(&case);
    let (eps, gamma) = (scalar(get(&case, "params/epsilon")), scalar(get(&case, "params/gamma")));
    let theta = matrix(get(&case, "inputs/theta"));
    let solver = UnbalancedBarycenter::new(&metric, eps, gamma, KernelStrategy::Auto).unwrap();
    let serial = solver.solve(&theta, None, 1e-10, 10_000).unwrap();
    let results: Vec<_> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..4)
            .map(|k| {
                let solver = &solver;
                let theta = theta.map(|x| x * (1.0 + k as f64));
                s.spawn(move || solver.solve(&theta, None, 1e-10, 10_000).unwrap())
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(results[0].barycenter, serial.barycenter);
    assert!(results[3].barycenter.sum() > serial.barycenter.sum());
}
