//! The overlap simulation (paper §4.1) with its default, paper settings.

use mtw::sim::{Design, OverlapConfig, OverlapSimulator, OverlapTrial};

const LEVELS: [f64; 5] = [0.0, 0.25, 0.5, 0.75, 1.0];

fn sim() -> OverlapSimulator {
    OverlapSimulator::new(OverlapConfig::default()).unwrap()
}

fn trial(s: &OverlapSimulator, design: Design, r: f64, i: usize) -> OverlapTrial<f64> {
    s.trial::<f64>(2019, design, r, i).unwrap()
}

#[test]
fn blur_design_has_36_rows_summing_to_one() {
    let s = sim();
    let t = trial(&s, Design::Blur, 0.5, 0);
    assert_eq!((t.problem.n_samples(), t.problem.n_features(), t.problem.n_tasks()), (36, 576, 3));
    for task in 0..3 {
        let x = t.problem.design(task);
        assert_eq!(x, s.blur_design(), "the blur design is shared by every task");
        for r in 0..36 {
            assert!((x.row(r).sum() - 1.0).abs() < 1e-12);
        }
    }
}

#[test]
fn supports_values_and_overlap_follow_the_recipe() {
    let s = sim();
    for design in Design::ALL {
        for (i, &r) in LEVELS.iter().enumerate() {
            for rep in 0..4 {
                let t = trial(&s, design, r, rep);
                let shared = (4.0 * r).round() as usize;
                assert_eq!(t.n_shared, shared, "r = {r}");
                assert_eq!(shared, i, "round(4r) at the paper's levels");
                for (task, support) in t.supports.iter().enumerate() {
                    assert_eq!(support.len(), 4);
                    assert!(support.iter().all(|&p| p < 576));
                    for p in 0..576 {
                        let v = t.coef[(p, task)];
                        if support.contains(&p) {
                            assert!((20.0..=30.0).contains(&v), "value {v}");
                        } else {
                            assert_eq!(v, 0.0);
                        }
                    }
                }
                for a in 0..3 {
                    for b in a + 1..3 {
                        let common =
                            t.supports[a].iter().filter(|p| t.supports[b].contains(p)).count();
                        assert_eq!(common, shared, "tasks {a}, {b} share {common} at r = {r}");
                    }
                }
            }
        }
    }
}

#[test]
fn noise_level_gives_snr_three_per_sample() {
    let s = sim();
    let mut noise_ratio = 0.0;
    let n_rep = 40;
    for design in Design::ALL {
        for rep in 0..n_rep {
            let t = trial(&s, design, 0.25, rep);
            let mut energy = 0.0;
            let mut noise = 0.0;
            for task in 0..3 {
                let signal = t.problem.design(task) * t.coef.column(task);
                energy += signal.norm_squared();
                noise += (t.problem.target(task) - &signal).norm_squared();
            }
            // SNR² = Σ_t ‖X_t θ_t‖² / (T n σ²)
            let snr = (energy / (3.0 * 36.0 * t.sigma * t.sigma)).sqrt();
            assert!((snr - 3.0).abs() < 1e-12, "snr {snr}");
            noise_ratio += noise / (3.0 * 36.0 * t.sigma * t.sigma);
        }
    }
    // The residuals Y − Xθ are the noise: mean squared value σ² (over 2 · 40 · 108 draws).
    let mean = noise_ratio / (2 * n_rep) as f64;
    assert!((mean - 1.0).abs() < 0.05, "E‖ε‖² / (n T σ²) = {mean}");
}

#[test]
fn gaussian_designs_have_unit_std_columns_and_differ_by_task() {
    let s = sim();
    let t = trial(&s, Design::Gaussian, 0.75, 3);
    assert_eq!(t.problem.n_samples(), 36);
    for task in 0..3 {
        let x = t.problem.design(task);
        for j in 0..576 {
            let m = x.column(j).mean();
            let var = x.column(j).iter().map(|v| (v - m) * (v - m)).sum::<f64>() / 36.0;
            assert!((var.sqrt() - 1.0).abs() < 1e-12, "task {task} column {j}");
        }
    }
    assert_ne!(t.problem.design(0), t.problem.design(1));
    // Neighbouring pixels are strongly correlated (ρ = 0.95), distant ones are not.
    let x = t.problem.design(0);
    let corr = |a: usize, b: usize| {
        let (ca, cb) = (x.column(a), x.column(b));
        let (ma, mb) = (ca.mean(), cb.mean());
        let cov: f64 = ca.iter().zip(cb.iter()).map(|(u, v)| (u - ma) * (v - mb)).sum();
        cov / 36.0
    };
    assert!(corr(24 * 10 + 10, 24 * 10 + 11) > 0.8);
    assert!(corr(0, 575).abs() < 0.6);
}

#[test]
fn a_trial_depends_on_its_key_only() {
    let s = sim();
    let a = trial(&s, Design::Blur, 0.5, 7);
    let b = trial(&s, Design::Blur, 0.5, 7);
    assert_eq!(a.coef, b.coef);
    assert_eq!(a.problem.targets(), b.problem.targets());
    assert_eq!(a.sigma, b.sigma);
    let other_trial = trial(&s, Design::Blur, 0.5, 8);
    assert_ne!(a.coef, other_trial.coef);
    let other_level = trial(&s, Design::Blur, 0.25, 7);
    assert_ne!(a.coef, other_level.coef);
    let other_seed = s.trial::<f64>(2020, Design::Blur, 0.5, 7).unwrap();
    assert_ne!(a.problem.targets(), other_seed.problem.targets());
    // The f32 trial holds the same data, rounded.
    let single = s.trial::<f32>(2019, Design::Blur, 0.5, 7).unwrap();
    for task in 0..3 {
        let y32 = single.problem.target(task);
        let y64 = a.problem.target(task);
        assert!(y32.iter().zip(y64.iter()).all(|(&u, &v)| (u as f64 - v).abs() <= 1e-6 * v.abs()));
    }
    assert_eq!(single.coef, a.coef);
}

#[test]
fn literal_convention_follows_the_printed_formula() {
    use mtw::sim::SnrConvention;
    let cfg = OverlapConfig { snr_convention: SnrConvention::Literal, ..OverlapConfig::default() };
    let s = OverlapSimulator::new(cfg).unwrap();
    let t = s.trial::<f64>(7, Design::Blur, 0.5, 0).unwrap();
    let energy: f64 = (0..3).map(|k| (t.problem.design(k) * t.coef.column(k)).norm_squared()).sum();
    let snr = (energy / (3.0 * t.sigma * t.sigma)).sqrt();
    assert!((snr - 3.0).abs() < 1e-12, "snr {snr}");
}
