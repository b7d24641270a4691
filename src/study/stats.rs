//! Summary statistics of the values of one (group, x, model, metric) cell: mean, standard
//! deviation, Student-t 95% confidence interval of the mean, median.
//!
//! The t quantile is computed from the exact Student-t distribution function
//!
//! ```text
//! F_ν(t) = 1 − ½ I_{ν/(ν+t²)}(ν/2, ½)      (t ≥ 0),   F_ν(−t) = 1 − F_ν(t)
//! ```
//!
//! where `I_x(a, b)` is the regularized incomplete beta function, evaluated by its continued
//! fraction (modified Lentz), and inverted by bisection to machine precision.

/// Mean, spread and confidence interval of a sample of finite values.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Stats {
    /// Number of values n.
    pub n: usize,
    /// Sample mean `x̄ = (1/n) Σ x_i` (NaN when n = 0).
    pub mean: f64,
    /// Sample standard deviation `s = sqrt(Σ (x_i − x̄)² / (n − 1))` (NaN when n < 2).
    pub std: f64,
    /// Half-width of the 95% confidence interval of the mean, `t_{0.975, n−1} · s / √n`
    /// (NaN when n < 2).
    pub ci_half_width: f64,
    /// Median (mean of the two middle values when n is even; NaN when n = 0).
    pub median: f64,
}

impl Stats {
    /// Computes the statistics of `values`; non-finite entries must be filtered out first.
    pub fn of(values: &[f64]) -> Stats {
        let n = values.len();
        if n == 0 {
            return Stats {
                n,
                mean: f64::NAN,
                std: f64::NAN,
                ci_half_width: f64::NAN,
                median: f64::NAN,
            };
        }
        let mean = values.iter().sum::<f64>() / n as f64;
        let (std, ci_half_width) = if n < 2 {
            (f64::NAN, f64::NAN)
        } else {
            let ss: f64 = values.iter().map(|v| (v - mean) * (v - mean)).sum();
            let std = (ss / (n - 1) as f64).sqrt();
            (std, student_t_quantile(0.975, (n - 1) as f64) * std / (n as f64).sqrt())
        };
        Stats { n, mean, std, ci_half_width, median: median(values) }
    }

    /// Lower end of the 95% confidence interval of the mean.
    pub fn ci_low(&self) -> f64 {
        self.mean - self.ci_half_width
    }

    /// Upper end of the 95% confidence interval of the mean.
    pub fn ci_high(&self) -> f64 {
        self.mean + self.ci_half_width
    }

    /// The 95% interval intersected with `range`, the values the metric can take (e.g.
    /// `(0, 1)` for an AUC or an error rate); `None` leaves it as it is. The true mean lies in
    /// `range`, so the intersection covers it exactly as often as the t interval does.
    pub fn ci_within(&self, range: Option<(f64, f64)>) -> (f64, f64) {
        clip_interval((self.ci_low(), self.ci_high()), range)
    }
}

/// `(low, high)` intersected with `range` (see [`Stats::ci_within`]); a missing (NaN) bound
/// stays missing, where `f64::max` would turn it into the range's end.
pub fn clip_interval((low, high): (f64, f64), range: Option<(f64, f64)>) -> (f64, f64) {
    match range {
        Some((lo, hi)) if low.is_finite() && high.is_finite() => (low.max(lo), high.min(hi)),
        _ => (low, high),
    }
}

/// Median of `values` (NaN for an empty slice); NaNs sort last under `total_cmp`.
pub fn median(values: &[f64]) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let m = sorted.len() / 2;
    if sorted.len() % 2 == 1 {
        sorted[m]
    } else {
        0.5 * (sorted[m - 1] + sorted[m])
    }
}

/// Quantile `t_{p,ν}` of Student's t distribution with `dof = ν > 0` degrees of freedom:
/// the `t` with `F_ν(t) = p`. Returns NaN when `p ∉ (0, 1)` or `ν ≤ 0`.
///
/// Accuracy: bisection on the exact distribution function down to adjacent floating-point
/// numbers, so the result is limited only by the ~1e-14 relative accuracy of `I_x(a, b)`.
pub fn student_t_quantile(p: f64, dof: f64) -> f64 {
    let valid = p > 0.0 && p < 1.0 && dof > 0.0 && dof.is_finite();
    if !valid {
        return f64::NAN;
    }
    if p < 0.5 {
        return -student_t_quantile(1.0 - p, dof);
    }
    if p == 0.5 {
        return 0.0;
    }
    // Bracket the root in [0, hi], doubling hi until F(hi) ≥ p.
    let mut lo = 0.0_f64;
    let mut hi = 1.0_f64;
    while student_t_cdf(hi, dof) < p {
        lo = hi;
        hi *= 2.0;
        if !hi.is_finite() {
            return f64::INFINITY;
        }
    }
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if mid <= lo || mid >= hi {
            break;
        }
        if student_t_cdf(mid, dof) < p {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    0.5 * (lo + hi)
}

/// Distribution function `F_ν(t)` of Student's t with `dof = ν` degrees of freedom.
pub fn student_t_cdf(t: f64, dof: f64) -> f64 {
    let valid = !t.is_nan() && dof > 0.0;
    if !valid {
        return f64::NAN;
    }
    if t.is_infinite() {
        return if t > 0.0 { 1.0 } else { 0.0 };
    }
    let x = dof / (dof + t * t);
    let tail = 0.5 * regularized_incomplete_beta(x, 0.5 * dof, 0.5);
    if t >= 0.0 {
        1.0 - tail
    } else {
        tail
    }
}

/// Regularized incomplete beta `I_x(a, b) = B(x; a, b) / B(a, b)` for `x ∈ [0, 1]`, a, b > 0.
///
/// Uses the continued fraction of `I_x(a, b)`, which converges quickly for
/// `x < (a + 1) / (a + b + 2)`, and the symmetry `I_x(a, b) = 1 − I_{1−x}(b, a)` otherwise.
pub fn regularized_incomplete_beta(x: f64, a: f64, b: f64) -> f64 {
    let valid = (0.0..=1.0).contains(&x) && a > 0.0 && b > 0.0;
    if !valid {
        return f64::NAN;
    }
    if x == 0.0 || x == 1.0 {
        return x;
    }
    // Prefactor x^a (1−x)^b / (a B(a, b)), in logs to avoid overflow.
    let ln_front = a * x.ln() + b * (1.0 - x).ln() + ln_gamma(a + b) - ln_gamma(a) - ln_gamma(b);
    if x < (a + 1.0) / (a + b + 2.0) {
        ln_front.exp() * beta_continued_fraction(x, a, b) / a
    } else {
        1.0 - ln_front.exp() * beta_continued_fraction(1.0 - x, b, a) / b
    }
}

/// Continued fraction `1 / (1 + d_1 / (1 + d_2 / (1 + …)))` of the incomplete beta, with
/// `d_{2m+1} = −(a+m)(a+b+m) x / ((a+2m)(a+2m+1))` and `d_{2m} = m(b−m) x / ((a+2m−1)(a+2m))`,
/// evaluated by the modified Lentz method.
fn beta_continued_fraction(x: f64, a: f64, b: f64) -> f64 {
    const TINY: f64 = 1e-300;
    let guard = |v: f64| if v.abs() < TINY { TINY } else { v };
    let mut c = 1.0;
    let mut d = 1.0 / guard(1.0 - (a + b) * x / (a + 1.0));
    let mut h = d;
    for m in 1..10_000 {
        let m = m as f64;
        let even = m * (b - m) * x / ((a + 2.0 * m - 1.0) * (a + 2.0 * m));
        d = 1.0 / guard(1.0 + even * d);
        c = guard(1.0 + even / c);
        h *= d * c;
        let odd = -(a + m) * (a + b + m) * x / ((a + 2.0 * m) * (a + 2.0 * m + 1.0));
        d = 1.0 / guard(1.0 + odd * d);
        c = guard(1.0 + odd / c);
        let step = d * c;
        h *= step;
        if (step - 1.0).abs() < 1e-16 {
            break;
        }
    }
    h
}

/// Natural log of the gamma function for `z > 0` (Lanczos approximation, g = 7, nine terms;
/// relative accuracy about 1e-15), with the reflection formula below 1/2.
pub fn ln_gamma(z: f64) -> f64 {
    const G: f64 = 7.0;
    const COEF: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_1,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if z < 0.5 {
        // Γ(z) Γ(1−z) = π / sin(πz)
        let pi = std::f64::consts::PI;
        return (pi / (pi * z).sin()).abs().ln() - ln_gamma(1.0 - z);
    }
    let z = z - 1.0;
    let mut sum = COEF[0];
    for (i, &c) in COEF.iter().enumerate().skip(1) {
        sum += c / (z + i as f64);
    }
    let t = z + G + 0.5;
    0.5 * (2.0 * std::f64::consts::PI).ln() + (z + 0.5) * t.ln() - t + sum.ln()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The finite series of the t distribution function for integer ν (odd and even cases),
    /// an independent route to `F_ν(t)`.
    fn t_cdf_integer_series(t: f64, nu: u32) -> f64 {
        let theta = (t / (nu as f64).sqrt()).atan();
        let (s, c2) = (theta.sin(), theta.cos().powi(2));
        if nu % 2 == 1 {
            let mut term = theta.cos();
            let mut sum = if nu > 1 { term } else { 0.0 };
            for k in 1..(nu - 1) / 2 {
                term *= c2 * (2 * k) as f64 / (2 * k + 1) as f64;
                sum += term;
            }
            0.5 + (theta + s * sum) / std::f64::consts::PI
        } else {
            let mut term = 1.0;
            let mut sum = 1.0;
            for k in 1..nu / 2 {
                term *= c2 * (2 * k - 1) as f64 / (2 * k) as f64;
                sum += term;
            }
            0.5 + 0.5 * s * sum
        }
    }

    #[test]
    fn known_t_quantiles() {
        let cases = [(1.0, 12.706_204_736), (9.0, 2.262_157_163), (99.0, 1.984_216_952)];
        for (dof, want) in cases {
            let got = student_t_quantile(0.975, dof);
            assert!((got - want).abs() < 1e-8, "dof {dof}: {got} vs {want}");
        }
        // ν = 1 is the Cauchy distribution: t_p = tan(π (p − 1/2)).
        let cauchy = (std::f64::consts::PI * 0.475).tan();
        assert!((student_t_quantile(0.975, 1.0) - cauchy).abs() < 1e-10 * cauchy);
        // ν = 2: t_p = (2p − 1) sqrt(2 / (4p(1 − p))).
        let p: f64 = 0.975;
        let two = (2.0 * p - 1.0) * (2.0 / (4.0 * p * (1.0 - p))).sqrt();
        assert!((student_t_quantile(p, 2.0) - two).abs() < 1e-11);
        // Large ν tends to the normal quantile 1.959964.
        assert!((student_t_quantile(0.975, 1e7) - 1.959_964).abs() < 1e-5);
    }

    #[test]
    fn cdf_matches_integer_series() {
        for nu in 1..40u32 {
            for &t in &[-3.0, -0.7, 0.1, 1.0, 2.5, 8.0] {
                let (a, b) = (student_t_cdf(t, nu as f64), t_cdf_integer_series(t, nu));
                assert!((a - b).abs() < 1e-13, "nu {nu} t {t}: {a} vs {b}");
            }
        }
    }

    #[test]
    fn quantile_inverts_cdf_and_is_antisymmetric() {
        for &dof in &[1.0, 3.5, 30.0, 1000.0] {
            for &p in &[0.6, 0.9, 0.995] {
                let t = student_t_quantile(p, dof);
                assert!((student_t_cdf(t, dof) - p).abs() < 1e-13);
                assert_eq!(student_t_quantile(1.0 - p, dof), -t);
            }
        }
        assert!(student_t_quantile(1.0, 3.0).is_nan());
        assert!(student_t_quantile(0.9, 0.0).is_nan());
    }

    #[test]
    fn ln_gamma_of_integers_and_half() {
        let mut fact = 1.0_f64;
        for k in 1..20 {
            // Γ(k) = (k−1)!
            assert!((ln_gamma(k as f64) - fact.ln()).abs() < 1e-12, "k = {k}");
            fact *= k as f64;
        }
        assert!((ln_gamma(0.5) - std::f64::consts::PI.sqrt().ln()).abs() < 1e-13);
    }

    #[test]
    fn stats_of_a_small_sample() {
        let s = Stats::of(&[1.0, 2.0, 3.0, 4.0, 10.0]);
        assert_eq!(s.n, 5);
        assert!((s.mean - 4.0).abs() < 1e-15);
        let std = ((9.0_f64 + 4.0 + 1.0 + 0.0 + 36.0) / 4.0).sqrt();
        assert!((s.std - std).abs() < 1e-14);
        let half = student_t_quantile(0.975, 4.0) * std / 5f64.sqrt();
        assert!((s.ci_half_width - half).abs() < 1e-14);
        assert!(s.ci_low() < s.mean && s.mean < s.ci_high());
        assert_eq!(s.median, 3.0);
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), 2.5);
        let one = Stats::of(&[7.0]);
        assert_eq!(one.mean, 7.0);
        assert!(one.std.is_nan() && one.ci_half_width.is_nan());
        assert!(Stats::of(&[]).mean.is_nan());
    }

    #[test]
    fn interval_clipped_to_the_metric_range() {
        // Two AUCs far apart: the t interval (12.7 × std / √2 wide each side) leaves [0, 1].
        let s = Stats::of(&[0.05, 0.9]);
        assert!(s.ci_low() < 0.0 && s.ci_high() > 1.0);
        assert_eq!(s.ci_within(Some((0.0, 1.0))), (0.0, 1.0));
        assert_eq!(s.ci_within(None), (s.ci_low(), s.ci_high()));
        // An interval inside the range is unchanged.
        let t = Stats::of(&[0.4, 0.5, 0.6]);
        assert_eq!(t.ci_within(Some((0.0, 1.0))), (t.ci_low(), t.ci_high()));
        // A single trial has no interval, clipped or not.
        let (lo, hi) = Stats::of(&[0.3]).ci_within(Some((0.0, 1.0)));
        assert!(lo.is_nan() && hi.is_nan());
    }
}
