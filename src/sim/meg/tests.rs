//! Unit tests of the MEG simulation on small random lead fields.

use std::collections::BTreeSet;

use nalgebra::DMatrix;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::*;

/// T random lead fields n × p with entries of the order of real gradiometer gains (1e-4).
fn leadfields(n_tasks: usize, n: usize, p: usize) -> Vec<DMatrix<f64>> {
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    (0..n_tasks).map(|_| DMatrix::from_fn(n, p, |_, _| 1e-4 * rng.gen_range(-1.0..1.0))).collect()
}

/// p sources in `n_regions` regions of unequal sizes (labels cycle with a twist).
fn labels(p: usize, n_regions: usize) -> Vec<usize> {
    (0..p).map(|j| (j * 7 + j / 5) % n_regions).collect()
}

fn config(k: usize, overlap: f64) -> MegSimulationConfig {
    MegSimulationConfig { n_sources: k, overlap, ..Default::default() }
}

#[test]
fn shared_count_rounds_half_away_from_zero() {
    assert_eq!(config(5, 0.5).n_shared(), 3);
    assert_eq!(config(3, 1.0 / 3.0).n_shared(), 1);
    assert_eq!(config(4, 0.0).n_shared(), 0);
    assert_eq!(config(11, 1.0).n_shared(), 11);
    assert_eq!(config(6, 0.5).n_shared(), 3);
}

#[test]
fn overlap_counts_are_exact() {
    let lab = labels(300, 11);
    for (k, r, t) in [(5, 0.5, 3), (3, 1.0 / 3.0, 2), (11, 0.0, 8), (6, 1.0, 4), (2, 0.25, 5)] {
        let cfg = config(k, r);
        let s = cfg.n_shared();
        for seed in 0..20 {
            let d = draw_sources(&lab, t, &cfg, seed, "overlap").unwrap();
            assert_eq!(d.n_shared, s);
            let sets: Vec<BTreeSet<usize>> =
                d.supports.iter().map(|v| v.iter().copied().collect()).collect();
            for set in &sets {
                assert_eq!(set.len(), k, "k distinct sources");
            }
            for a in 0..t {
                for b in a + 1..t {
                    assert_eq!(sets[a].intersection(&sets[b]).count(), s, "tasks {a}, {b}");
                }
            }
            let common = sets.iter().skip(1).fold(sets[0].clone(), |acc, x| &acc & x);
            assert_eq!(common.len(), if t == 1 { k } else { s });
            // The non-zero pattern of θ_t is the support.
            for (ti, set) in sets.iter().enumerate() {
                let nz: BTreeSet<usize> =
                    (0..lab.len()).filter(|&j| d.coef[(j, ti)] != 0.0).collect();
                assert_eq!(&nz, set);
            }
        }
    }
}

#[test]
fn each_task_uses_the_chosen_regions_once() {
    let lab = labels(300, 11);
    for seed in 0..20 {
        let d = draw_sources(&lab, 4, &config(7, 3.0 / 7.0), seed, "regions").unwrap();
        let distinct: BTreeSet<usize> = d.regions.iter().copied().collect();
        assert_eq!(distinct.len(), 7);
        assert!(d.regions.iter().all(|&r| r < 11));
        for support in &d.supports {
            let regions: Vec<usize> = support.iter().map(|&v| lab[v]).collect();
            assert_eq!(regions, d.regions, "source i of every task is in region i");
        }
    }
}

#[test]
fn shared_vertices_are_identical_and_specific_ones_distinct() {
    let lab = labels(300, 11);
    for seed in 0..20 {
        let d = draw_sources(&lab, 5, &config(5, 0.4), seed, "shared").unwrap();
        let s = d.n_shared;
        assert_eq!(s, 2);
        for support in &d.supports {
            assert_eq!(support[..s], d.supports[0][..s]);
        }
        for i in s..5 {
            let column: BTreeSet<usize> = d.supports.iter().map(|v| v[i]).collect();
            assert_eq!(column.len(), 5, "specific vertices of region slot {i} differ by task");
        }
    }
}

#[test]
fn amplitudes_in_range_with_both_signs() {
    let lab = labels(300, 11);
    let (mut positive, mut negative) = (0, 0);
    for seed in 0..30 {
        let d = draw_sources(&lab, 3, &config(5, 0.6), seed, "amp").unwrap();
        for v in d.coef.iter().filter(|v| **v != 0.0) {
            assert!((20.0..=30.0).contains(&v.abs()), "{v}");
            if *v > 0.0 {
                positive += 1;
            } else {
                negative += 1;
            }
        }
    }
    // 450 fair coin tosses: each side has at least 150 with probability > 1 − 1e-12.
    assert!(positive > 150 && negative > 150, "{positive} / {negative}");
}

#[test]
fn shared_sources_draw_their_own_amplitude_per_task() {
    let lab = labels(300, 11);
    let d = draw_sources(&lab, 3, &config(4, 1.0), 3, "own").unwrap();
    let v = d.supports[0][0];
    let values: BTreeSet<u64> = (0..3).map(|t| d.coef[(v, t)].abs().to_bits()).collect();
    assert_eq!(values.len(), 3);
}

#[test]
fn snr_is_exact_and_noise_has_the_stated_level() {
    let x = leadfields(3, 400, 120);
    let lab = labels(120, 11);
    for snr in [4.0, 1.5] {
        let cfg = MegSimulationConfig { snr, ..config(5, 0.4) };
        let sim = simulate(&x, &lab, &cfg, 11, "snr").unwrap();
        let clean: Vec<_> =
            sim.designs.iter().enumerate().map(|(t, d)| d * sim.coef.column(t)).collect();
        let power: f64 = clean.iter().map(|y| y.norm_squared()).sum();
        // Per sample: SNR² = Σ_t ‖X_t θ_t‖² / (T n σ²) with n = 400.
        let measured = (power / (3.0 * 400.0 * sim.sigma * sim.sigma)).sqrt();
        assert!((measured - snr).abs() <= 1e-12 * snr, "{measured} vs {snr}");
        // Residual variance over 1200 draws: relative standard error sqrt(2/1200) = 4 %.
        let ss: f64 = clean.iter().zip(&sim.targets).map(|(c, y)| (y - c).norm_squared()).sum();
        let ratio = ss / (1200.0 * sim.sigma * sim.sigma);
        assert!((ratio - 1.0).abs() < 0.2, "noise variance ratio {ratio}");
    }
}

#[test]
fn scaling_is_global_and_keeps_physical_units() {
    let x = leadfields(2, 50, 40);
    let lab = labels(40, 5);
    let sim = simulate(&x, &lab, &config(3, 0.34), 1, "scale").unwrap();
    let max_sq = sim
        .designs
        .iter()
        .flat_map(|d| d.column_iter().map(|c| c.norm_squared()).collect::<Vec<_>>())
        .fold(0.0, f64::max);
    assert!((max_sq - 50.0).abs() < 1e-10, "{max_sq}");
    for (d, raw) in sim.designs.iter().zip(&x) {
        let physical = d * sim.design_scale;
        let expected = raw * FT_PER_CM_PER_T_PER_M_NAM;
        assert!((physical - &expected).amax() <= 1e-12 * expected.amax());
    }
}

#[test]
fn reproducible_from_seed_and_key() {
    let x = leadfields(3, 30, 60);
    let lab = labels(60, 6);
    let cfg = config(4, 0.5);
    let a = simulate(&x, &lab, &cfg, 5, "trial-3").unwrap();
    let b = simulate(&x, &lab, &cfg, 5, "trial-3").unwrap();
    assert_eq!(a.coef, b.coef);
    assert_eq!(a.targets, b.targets);
    assert_eq!(a.sigma, b.sigma);
    let c = simulate(&x, &lab, &cfg, 5, "trial-4").unwrap();
    assert_ne!(a.targets, c.targets);
    let d = simulate(&x, &lab, &cfg, 6, "trial-3").unwrap();
    assert_ne!(a.targets, d.targets);
    // The SNR only changes the noise: same sources, same noise direction.
    let e = simulate(&x, &lab, &MegSimulationConfig { snr: 2.0, ..cfg }, 5, "trial-3").unwrap();
    assert_eq!(a.coef, e.coef);
    let noise =
        |s: &MegSimulation, t: usize| (&s.targets[t] - &s.designs[t] * s.coef.column(t)) / s.sigma;
    assert!((noise(&a, 1) - noise(&e, 1)).amax() < 1e-9);
}

#[test]
fn rejects_bad_inputs_with_typed_errors() {
    let x = leadfields(2, 20, 30);
    let lab = labels(30, 5);
    let err = |r: Result<MegSimulation>| r.unwrap_err();
    assert!(matches!(
        err(simulate(&x, &lab, &config(6, 0.5), 0, "k")),
        Error::Parameter { name, .. } if name == "n_sources"
    ));
    assert!(matches!(
        err(simulate(&x, &lab, &config(3, 1.5), 0, "r")),
        Error::Parameter { name, .. } if name == "overlap"
    ));
    assert!(matches!(err(simulate(&x, &lab[..29], &config(3, 0.5), 0, "p")), Error::Shape(_)));
    let mixed = vec![x[0].clone(), DMatrix::zeros(20, 29)];
    assert!(matches!(err(simulate(&mixed, &lab, &config(3, 0.5), 0, "x")), Error::Shape(_)));
    let mut nan = x.clone();
    nan[1][(3, 4)] = f64::NAN;
    assert!(matches!(err(simulate(&nan, &lab, &config(3, 0.5), 0, "x")), Error::NonFinite { .. }));
    assert!(matches!(err(simulate(&[], &lab, &config(3, 0.5), 0, "x")), Error::Empty(_)));
    // Region 2 empty.
    let holes: Vec<usize> = lab.iter().map(|&l| if l == 2 { 3 } else { l }).collect();
    assert!(matches!(err(simulate(&x, &holes, &config(3, 0.5), 0, "x")), Error::Parameter { .. }));
    // Regions of 2 sources cannot hold 3 distinct task-specific vertices.
    let small: Vec<usize> = (0..30).map(|j| j / 2).collect();
    let three = leadfields(3, 20, 30);
    assert!(matches!(
        err(simulate(&three, &small, &config(3, 0.0), 0, "x")),
        Error::Parameter { name, .. } if name == "n_tasks"
    ));
    let bad_amp = MegSimulationConfig { amplitude_nam: (30.0, 20.0), ..config(3, 0.5) };
    assert!(simulate(&x, &lab, &bad_amp, 0, "a").is_err());
    let zero = vec![DMatrix::zeros(20, 30); 2];
    assert!(matches!(err(simulate(&zero, &lab, &config(3, 0.5), 0, "z")), Error::Numerical(_)));
}
