//! Proposition 3's prox against 700-digit reference values.

mod common;

use common::{get, load, scalar};
use mtw::model::mtw::prox::prox_prop3;

#[test]
fn prox_matches_high_precision_table_f64() {
    let case = load("prox_prop3_table.json");
    let rows = get(&case, "outputs/rows").as_array().unwrap();
    assert!(rows.len() >= 50);
    let mut worst = 0.0f64;
    for row in rows {
        let (y, alpha, a, b) =
            (scalar(&row["y"]), scalar(&row["alpha"]), scalar(&row["a"]), scalar(&row["b"]));
        let want = scalar(&row["prox"]);
        let got = prox_prop3(y, alpha, a, b);
        if want == 0.0 {
            assert_eq!(got, 0.0, "y={y} alpha={alpha} a={a} b={b}");
            continue;
        }
        let rel = ((got - want) / want).abs();
        worst = worst.max(rel);
        // Within 4 ulps (the README's suggestion for the stable formula).
        assert!(
            rel <= 4.0 * f64::EPSILON,
            "y={y} alpha={alpha} a={a} b={b}: {got} vs {want} ({rel:e})"
        );
    }
    eprintln!("worst relative error of the prox: {worst:e}");
}

#[test]
fn prox_f32_within_a_few_ulps_where_representable() {
    let case = load("prox_prop3_table.json");
    for row in get(&case, "outputs/rows").as_array().unwrap() {
        let vals = [scalar(&row["y"]), scalar(&row["alpha"]), scalar(&row["a"]), scalar(&row["b"])];
        let want = scalar(&row["prox"]);
        let in_range = |v: f64| v == 0.0 || (v.abs() > 1e-30 && v.abs() < 1e30);
        if !vals.iter().all(|&v| in_range(v) && (v as f32) as f64 == v) || !in_range(want) {
            continue; // inputs not exactly representable in f32
        }
        let got = prox_prop3(vals[0] as f32, vals[1] as f32, vals[2] as f32, vals[3] as f32) as f64;
        let tol = 8.0 * f32::EPSILON as f64 * want.abs().max(1e-30);
        assert!((got - want).abs() <= tol, "{vals:?}: {got} vs {want}");
    }
}
