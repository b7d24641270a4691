//! The study's problems, one solve per (problem, strategy, precision), and the CSV rows.
//!
//! One problem (w, T, ε) is one trial of the runner: its f64 log-separable reference is solved
//! once, then every strategy × precision ([`run_problem`]).

use std::path::Path;
use std::time::Instant;

use mtw::ot::defaults::PAPER_TAU;
use mtw::ot::kernel::SparseTruncatedKernel;
use mtw::ot::{gamma_from_tau, GroundMetric, KernelStrategy, SinkhornState, UnbalancedBarycenter};
use mtw::{Error, Result, Scalar};
use nalgebra::{DMatrix, DVector};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Sweeps per warm-started chunk: the convergence test needs two sweeps inside one call, and
/// every call adds one `K v` and the objective (≈ 1.5 sweeps), i.e. ≈ 3 % of a chunk.
pub const CHUNK: usize = 50;

/// f32 solves use max(tol, this): the rounding floor of single precision.
pub const F32_TOL_FLOOR: f64 = 1e-5;

/// What to run (part of the study's configuration: a change is another study).
#[derive(Clone, Debug, serde::Serialize)]
pub struct Plan {
    /// Grid sides w (p = w²).
    pub sides: Vec<usize>,
    /// Task counts.
    pub tasks: Vec<usize>,
    /// Sides on which ε is swept below 1/p.
    pub sweep_sides: Vec<usize>,
    /// The ε values of the sweep (those below 1/p are used).
    pub sweep_eps: Vec<f64>,
    /// Bytes a dense strategy may use.
    pub memory_budget: u64,
    /// Seconds per solve (the reference gets ten times as much). A solve stopped by it is
    /// reported "out of time": its iterations and error then depend on the machine.
    pub time_budget: f64,
    /// Sweep cap per solve.
    pub max_iter: usize,
    /// Convergence tolerance (f64; f32 uses max(tol, 1e-5), its rounding floor).
    pub tol: f64,
}

impl Plan {
    /// The default plan, or the quick one.
    pub fn new(quick: bool, memory_budget_mb: f64, time_budget: Option<f64>) -> Self {
        let memory_budget = (memory_budget_mb * (1u64 << 20) as f64) as u64;
        if quick {
            Plan {
                sides: vec![6, 8],
                tasks: vec![3],
                sweep_sides: vec![8],
                sweep_eps: vec![1e-2, 1e-3],
                memory_budget,
                time_budget: time_budget.unwrap_or(0.3),
                max_iter: 3000,
                tol: 1e-5,
            }
        } else {
            Plan {
                sides: vec![8, 16, 24, 32, 48, 64, 96, 128],
                tasks: vec![3, 8],
                sweep_sides: vec![16, 24],
                sweep_eps: vec![1e-3, 3e-4, 1e-4],
                memory_budget,
                time_budget: time_budget.unwrap_or(5.0),
                max_iter: 100_000,
                tol: 1e-8,
            }
        }
    }

    /// Every problem: (w, T, ε).
    pub fn problems(&self) -> Vec<(usize, usize, f64)> {
        let mut v = Vec::new();
        for &w in &self.sides {
            for &t in &self.tasks {
                let p = (w * w) as f64;
                v.push((w, t, 1.0 / p));
                if self.sweep_sides.contains(&w) {
                    v.extend(self.sweep_eps.iter().filter(|&&e| e < 1.0 / p).map(|&e| (w, t, e)));
                }
            }
        }
        v
    }
}

/// The median-normalised squared Euclidean metric of a w × w grid.
pub fn metric<T: Scalar>(w: usize) -> Result<GroundMetric<T>> {
    GroundMetric::<T>::grid_squared_euclidean(&[w, w])?.normalized_by_median()
}

/// T sparse non-negative images: each a few random pixels (about 2 % of p, at least 2) with
/// weights in [0.5, 1.5), deterministic in (w, T).
pub fn images(w: usize, nt: usize) -> DMatrix<f64> {
    let p = w * w;
    let mut rng = ChaCha8Rng::seed_from_u64((w * 1000 + nt) as u64);
    let k = (p / 50).max(2);
    let mut m = DMatrix::zeros(p, nt);
    for t in 0..nt {
        for _ in 0..k {
            let j = rng.gen_range(0..p);
            m[(j, t)] = 0.5 + rng.gen::<f64>();
        }
    }
    m
}

/// One CSV row.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Row {
    pub w: usize,
    pub p: usize,
    pub tasks: usize,
    pub epsilon: f64,
    pub gamma: f64,
    pub strategy: String,
    pub precision: String,
    /// "ok", "not converged" (sweep cap), "out of time" (time budget: a machine-dependent
    /// row), "skipped: …" or "error: …"; "; reference out of time" is appended when the
    /// reference stopped on its time budget.
    pub status: String,
    pub iterations: usize,
    pub seconds: f64,
    pub seconds_per_iteration: f64,
    pub converged: bool,
    pub log_domain_used: bool,
    /// Analytic estimate of the kernel storage (bytes).
    pub kernel_bytes: f64,
    /// Process VmHWM after the run (kB): whole-process peak so far, an upper bound.
    pub vmhwm_kb: f64,
    /// max |q − q_ref| / max q_ref against the f64 log-separable reference.
    pub rel_error: f64,
    pub reference_converged: bool,
}

/// Analytic kernel storage in bytes: dense and log-dense `p² s`, separable and log-separable
/// `2 Σ n_a² s` (factor and its transpose), auto both of a grid's pair, sparse-truncated its
/// two CSR matrices (`2 (nnz (s + 4) + 8 (p + 1))`, counted on the built kernel).
pub fn kernel_bytes(strategy: KernelStrategy, w: usize, s: usize, sparse_bytes: f64) -> f64 {
    let p = (w * w) as f64;
    let sep = 2.0 * 2.0 * (w * w) as f64 * s as f64;
    match strategy {
        KernelStrategy::Dense | KernelStrategy::LogDense => p * p * s as f64,
        KernelStrategy::Separable | KernelStrategy::LogSeparable => sep,
        KernelStrategy::Auto => 2.0 * sep,
        KernelStrategy::SparseTruncated => sparse_bytes,
    }
}

/// `VmHWM` of this process in kB (NaN where /proc is unavailable).
pub fn vmhwm_kb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse().ok()))
        })
        .unwrap_or(f64::NAN)
}

/// Outcome of a solve in chunks.
struct Solved {
    barycenter: DVector<f64>,
    iterations: usize,
    seconds: f64,
    converged: bool,
    /// Stopped by the time budget (not by convergence or the sweep cap).
    out_of_time: bool,
    log_used: bool,
}

fn solve_chunks<T: Scalar>(
    solver: &UnbalancedBarycenter<T>,
    theta: &DMatrix<T>,
    tol: f64,
    (max_iter, time_budget): (usize, f64),
) -> Result<Solved> {
    let start = Instant::now();
    let mut state: Option<SinkhornState<T>> = None;
    let mut iterations = 0;
    loop {
        let out = solver.solve(theta, state.as_ref(), T::of_f64(tol), CHUNK)?;
        iterations += out.iterations;
        let seconds = start.elapsed().as_secs_f64();
        let capped = out.converged || iterations >= max_iter;
        if capped || seconds > time_budget {
            return Ok(Solved {
                barycenter: out.barycenter.map(|x| x.to_f64()),
                iterations,
                seconds,
                converged: out.converged,
                out_of_time: !capped,
                log_used: out.log_domain_used,
            });
        }
        state = Some(out.state);
    }
}

fn run_one<T: Scalar>(
    plan: &Plan,
    (w, nt, eps): (usize, usize, f64),
    strategy: KernelStrategy,
    reference: &(DVector<f64>, bool),
) -> Result<Row> {
    let p = w * w;
    let m = metric::<T>(w)?;
    let gamma = gamma_from_tau(&m, T::of_f64(PAPER_TAU))?;
    let s = std::mem::size_of::<T>();
    let mut row = Row {
        w,
        p,
        tasks: nt,
        epsilon: eps,
        gamma: gamma.to_f64(),
        strategy: strategy.name().into(),
        precision: T::NAME.into(),
        status: String::new(),
        iterations: 0,
        seconds: f64::NAN,
        seconds_per_iteration: f64::NAN,
        converged: false,
        log_domain_used: false,
        kernel_bytes: f64::NAN,
        vmhwm_kb: f64::NAN,
        rel_error: f64::NAN,
        reference_converged: reference.1,
    };
    if matches!(strategy, KernelStrategy::Dense | KernelStrategy::LogDense) {
        // The kernel plus the dense metric it is built from.
        let need = 2 * (p as u64) * (p as u64) * s as u64;
        if need > plan.memory_budget {
            row.status = format!(
                "skipped: needs {:.3} MiB > memory budget {:.3} MiB",
                need as f64 / (1u64 << 20) as f64,
                plan.memory_budget as f64 / (1u64 << 20) as f64
            );
            return Ok(row);
        }
    }
    let sparse_bytes = if strategy == KernelStrategy::SparseTruncated {
        match SparseTruncatedKernel::new(&m, T::of_f64(eps)) {
            Ok(k) => k.storage_bytes() as f64,
            Err(e) => {
                row.status = format!("error: {e}");
                return Ok(row);
            }
        }
    } else {
        f64::NAN
    };
    row.kernel_bytes = kernel_bytes(strategy, w, s, sparse_bytes);
    let theta = images(w, nt).map(T::of_f64);
    let tol = if T::NAME == "f32" { plan.tol.max(F32_TOL_FLOOR) } else { plan.tol };
    let solved = UnbalancedBarycenter::new(&m, T::of_f64(eps), gamma, strategy)
        .and_then(|solver| solve_chunks(&solver, &theta, tol, (plan.max_iter, plan.time_budget)));
    row.vmhwm_kb = vmhwm_kb();
    match solved {
        Ok(sv) => {
            row.iterations = sv.iterations;
            row.seconds = sv.seconds;
            row.seconds_per_iteration = sv.seconds / sv.iterations.max(1) as f64;
            row.converged = sv.converged;
            row.log_domain_used = sv.log_used;
            row.status = match (sv.converged, sv.out_of_time) {
                (true, _) => "ok".into(),
                (false, true) => "out of time".into(),
                (false, false) => "not converged".into(),
            };
            let scale = reference.0.amax().max(f64::MIN_POSITIVE);
            row.rel_error = (&sv.barycenter - &reference.0).amax() / scale;
        }
        Err(Error::Numerical(msg)) => row.status = format!("error: {msg}"),
        Err(e) => return Err(e),
    }
    Ok(row)
}

/// Runs one problem: the f64 log-separable reference, then every strategy in f64 and f32 (in
/// [`KernelStrategy::ALL`] order), printing a line per row.
pub fn run_problem(plan: &Plan, problem: (usize, usize, f64)) -> Result<Vec<Row>> {
    let (w, nt, eps) = problem;
    let m = metric::<f64>(w)?;
    let gamma = gamma_from_tau(&m, PAPER_TAU)?;
    let solver = UnbalancedBarycenter::new(&m, eps, gamma, KernelStrategy::LogSeparable)?;
    // The reference gets ten times the sweeps and the time of a run.
    let budget = (10 * plan.max_iter, 10.0 * plan.time_budget);
    let r = solve_chunks(&solver, &images(w, nt), plan.tol.min(1e-10), budget)?;
    let reference = (r.barycenter, r.converged);
    let mut rows = Vec::new();
    for strategy in KernelStrategy::ALL {
        for mut row in [
            run_one::<f64>(plan, problem, strategy, &reference)?,
            run_one::<f32>(plan, problem, strategy, &reference)?,
        ] {
            if r.out_of_time {
                row.status.push_str("; reference out of time");
            }
            eprintln!(
                "w {w:3} T {nt} eps {eps:.1e} {:16} {} {:>10.3e} s/it {:6} it err {:.1e} {}",
                row.strategy,
                row.precision,
                row.seconds_per_iteration,
                row.iterations,
                row.rel_error,
                row.status
            );
            rows.push(row);
        }
    }
    Ok(rows)
}

/// Writes the rows as CSV (atomically).
pub fn write_csv(path: &Path, rows: &[Row]) -> Result<()> {
    let mut wr = csv::Writer::from_writer(Vec::new());
    for r in rows {
        wr.serialize(r).map_err(|e| mtw::Error::format(path, e.to_string()))?;
    }
    let bytes = wr.into_inner().map_err(|e| mtw::Error::format(path, e.to_string()))?;
    mtw::io::atomic::write_atomic(path, &bytes)
}
