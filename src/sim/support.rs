//! Supports with a controlled overlap (paper §4.1: "selecting random pixels and randomly
//! translating the non-overlapping features by one or two pixels for the corresponding
//! tasks"), made exact.
//!
//! Inputs: grid side s, k active pixels per task, T tasks, overlap fraction r ∈ [0, 1],
//! anchor spacing d (Chebyshev distance, default 6) and largest shift h (default 2).
//! Pixels are (row, col) with index `row · s + col`. Draws from the random stream, in order:
//!
//! 1. **Anchors.** For a = 1..k, the candidates are the pixels (row-major order) at Chebyshev
//!    distance ≥ d from every earlier anchor; anchor a is candidate `U{0..#candidates−1}`.
//!    The first `n_shared = round(k r)` anchors (round half away from zero) are **shared**.
//! 2. **Shifts.** The shift set is `{(j·δr, j·δc) : j ∈ 1..=h, (δr, δc) ∈ {−1,0,1}² ∖ (0,0)}`
//!    listed j-major then δ in row-major order: 8h moves of Chebyshev length 1..h in the 8
//!    directions. For each non-shared anchor a (in order) the moves keeping it on the grid are
//!    listed, and T of them are drawn without replacement (partial Fisher–Yates: for t = 0..T,
//!    swap entry t with entry `t + U{0..len−t−1}`); task t gets the t-th.
//! 3. **Supports.** Task t's support is the shared anchors followed by the non-shared anchors
//!    moved by task t's shift.
//!
//! Guarantees (checked by validation of the parameters, not by rejection):
//! - each support has exactly k distinct pixels, all on the grid: two moved pixels are at
//!   Chebyshev distance ≥ d − 2h ≥ 1 apart, a moved pixel and a shared anchor ≥ d − h;
//! - any two tasks share exactly the n_shared shared anchors: moves of one anchor differ
//!   across tasks, and pixels coming from different anchors are ≥ d − 2h apart;
//! - active pixels of one task are ≥ d − 2h (2 by default) pixels apart, each moved pixel is
//!   1..h pixels from its anchor, and at r = 0 every pixel is a translate of an anchor.
//!
//! Validation: `d > 2h` (moved pixels never meet), `(k − 1)(2d − 1)² < s²` (an anchor always
//! has a candidate: each earlier anchor excludes at most (2d−1)² pixels), `s > h` and
//! `T ≤ 3h` (even in a corner 3h moves stay on the grid).

use rand::Rng;

use crate::error::{Error, Result};

/// Parameters of the support procedure (module doc).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SupportRule {
    /// Grid side s (p = s²).
    pub side: usize,
    /// Active pixels per task k.
    pub n_active: usize,
    /// Number of tasks T.
    pub n_tasks: usize,
    /// Least Chebyshev distance d between anchors.
    pub min_anchor_distance: usize,
    /// Largest shift h (Chebyshev length) of a non-shared pixel from its anchor.
    pub max_shift: usize,
}

/// The drawn supports.
#[derive(Clone, Debug, PartialEq)]
pub struct Supports {
    /// The k anchors (row, col); the first `n_shared` are shared by every task.
    pub anchors: Vec<(usize, usize)>,
    /// Number of shared pixels, `round(k r)`.
    pub n_shared: usize,
    /// Per task, its k pixels (row, col): shared anchors first, then moved anchors.
    pub tasks: Vec<Vec<(usize, usize)>>,
}

impl SupportRule {
    /// Checks the conditions listed in the module doc.
    pub fn check(&self) -> Result<()> {
        let SupportRule { side, n_active: k, n_tasks, min_anchor_distance: d, max_shift: h } =
            *self;
        if side == 0 || k == 0 || n_tasks == 0 || h == 0 {
            return Err(Error::parameter(
                "support rule",
                format!("side {side}, n_active {k}, n_tasks {n_tasks}, max_shift {h}"),
                "all must be at least 1",
            ));
        }
        if d <= 2 * h {
            return Err(Error::parameter(
                "min_anchor_distance",
                d,
                &format!("must exceed 2 * max_shift = {} so moved pixels never meet", 2 * h),
            ));
        }
        if (k - 1) * (2 * d - 1) * (2 * d - 1) >= side * side {
            return Err(Error::parameter(
                "n_active",
                k,
                &format!("too many anchors {d} pixels apart on a {side}x{side} grid"),
            ));
        }
        if side <= h || n_tasks > 3 * h {
            return Err(Error::parameter(
                "n_tasks",
                n_tasks,
                &format!("needs n_tasks <= 3 * max_shift = {} and side > max_shift", 3 * h),
            ));
        }
        Ok(())
    }

    /// Draws supports with overlap fraction `overlap` (module doc, steps 1-3).
    pub fn draw<R: Rng + ?Sized>(&self, overlap: f64, rng: &mut R) -> Result<Supports> {
        self.check()?;
        if !(overlap.is_finite() && (0.0..=1.0).contains(&overlap)) {
            return Err(Error::parameter("overlap", overlap, "must be in [0, 1]"));
        }
        let (s, k) = (self.side, self.n_active);
        let n_shared = (k as f64 * overlap).round() as usize;

        // 1. Anchors.
        let mut anchors: Vec<(usize, usize)> = Vec::with_capacity(k);
        for _ in 0..k {
            let candidates: Vec<(usize, usize)> = (0..s * s)
                .map(|i| (i / s, i % s))
                .filter(|&p| anchors.iter().all(|&a| chebyshev(a, p) >= self.min_anchor_distance))
                .collect();
            // Never empty under `check` (module doc); guard anyway.
            if candidates.is_empty() {
                return Err(Error::Numerical("no room left for an anchor".into()));
            }
            anchors.push(candidates[rng.gen_range(0..candidates.len())]);
        }

        // 2. Shifts of the non-shared anchors, distinct across tasks.
        let mut tasks: Vec<Vec<(usize, usize)>> = vec![anchors[..n_shared].to_vec(); self.n_tasks];
        for &anchor in &anchors[n_shared..] {
            let mut moved: Vec<(usize, usize)> =
                self.moves().into_iter().filter_map(|m| shifted(anchor, m, s)).collect();
            if moved.len() < self.n_tasks {
                return Err(Error::Numerical("fewer on-grid moves than tasks".into()));
            }
            for t in 0..self.n_tasks {
                let j = t + rng.gen_range(0..moved.len() - t);
                moved.swap(t, j);
                tasks[t].push(moved[t]);
            }
        }
        Ok(Supports { anchors, n_shared, tasks })
    }

    /// The 8h moves, j-major then direction in row-major order.
    fn moves(&self) -> Vec<(i64, i64)> {
        let mut out = Vec::with_capacity(8 * self.max_shift);
        for j in 1..=self.max_shift as i64 {
            for dr in -1..=1i64 {
                for dc in -1..=1i64 {
                    if (dr, dc) != (0, 0) {
                        out.push((j * dr, j * dc));
                    }
                }
            }
        }
        out
    }
}

/// Chebyshev distance between pixels.
pub fn chebyshev(a: (usize, usize), b: (usize, usize)) -> usize {
    a.0.abs_diff(b.0).max(a.1.abs_diff(b.1))
}

/// `p + m` when it stays on the s × s grid.
fn shifted(p: (usize, usize), m: (i64, i64), s: usize) -> Option<(usize, usize)> {
    let r = p.0 as i64 + m.0;
    let c = p.1 as i64 + m.1;
    let inside = |v: i64| v >= 0 && v < s as i64;
    (inside(r) && inside(c)).then_some((r as usize, c as usize))
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    use super::*;

    const RULE: SupportRule =
        SupportRule { side: 24, n_active: 4, n_tasks: 3, min_anchor_distance: 6, max_shift: 2 };

    #[test]
    fn overlap_is_exact_and_pixels_are_near_anchors() {
        let mut rng = ChaCha8Rng::seed_from_u64(11);
        for _ in 0..50 {
            for (r, want) in [(0.0, 0), (0.25, 1), (0.5, 2), (0.75, 3), (1.0, 4)] {
                let sup = RULE.draw(r, &mut rng).unwrap();
                assert_eq!(sup.n_shared, want);
                for task in &sup.tasks {
                    assert_eq!(task.len(), 4);
                    assert!(task.iter().all(|&(a, b)| a < 24 && b < 24));
                    for (i, &p) in task.iter().enumerate() {
                        for &q in &task[i + 1..] {
                            assert!(chebyshev(p, q) >= 2, "{p:?} {q:?}");
                        }
                        let d = chebyshev(p, sup.anchors[i]);
                        assert!(if i < want { d == 0 } else { (1..=2).contains(&d) });
                    }
                }
                for t in 0..3 {
                    for u in t + 1..3 {
                        let common =
                            sup.tasks[t].iter().filter(|p| sup.tasks[u].contains(p)).count();
                        assert_eq!(common, want, "tasks {t},{u} at r = {r}");
                    }
                }
            }
        }
    }

    #[test]
    fn infeasible_rules_are_refused() {
        let close = SupportRule { min_anchor_distance: 4, ..RULE };
        assert!(close.check().unwrap_err().to_string().contains("min_anchor_distance"));
        let crowded = SupportRule { n_active: 40, ..RULE };
        assert!(crowded.check().unwrap_err().to_string().contains("n_active"));
        let many = SupportRule { n_tasks: 7, ..RULE };
        assert!(many.check().unwrap_err().to_string().contains("n_tasks"));
        let mut rng = ChaCha8Rng::seed_from_u64(0);
        assert!(RULE.draw(1.5, &mut rng).unwrap_err().to_string().contains("overlap"));
    }
}
