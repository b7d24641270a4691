//! The MEG simulations of the paper's §4.3: k-sparse cortical sources per task, partly shared
//! across tasks, seen through each task's lead field, with Gaussian sensor noise.
//!
//! # Inputs
//!
//! * T lead fields `X_t` (n × p, T/m per A·m; n = 204 gradiometers for the template setup),
//! * region labels over the p sources (K regions, labels `0..K`, none empty; 11 in the paper),
//! * the number k ≤ K of active sources per task, the overlap fraction r ∈ [0, 1], the SNR and
//!   the amplitude range (defaults: SNR = 4, 20–30 nAm, as in the paper).
//!
//! # Sources ([`draw_sources`])
//!
//! Let `s = round(r k)` (rounded half away from zero: r = 0.5, k = 5 gives s = 3). All tasks use
//! the **same k regions**, drawn without replacement among the K regions; each task has exactly
//! one active source in each of them, so its k sources lie in k distinct regions.
//!
//! * the first s chosen regions hold the **shared** sources: one vertex drawn uniformly in the
//!   region, the same vertex for every task;
//! * the other k − s regions hold the **task-specific** sources: every task draws its own
//!   vertex uniformly among the region's vertices not already taken by an earlier task, so the
//!   T vertices of a region are distinct (each region needs at least T vertices). A specific
//!   source is never at a shared vertex, since shared and specific sources sit in different
//!   regions.
//!
//! Hence any two tasks share exactly s active sources, all at the same positions: the overlap
//! of the supports is exactly s / k. Every task then draws, for each of its k sources in the
//! order of the chosen regions, an amplitude `a ~ U[a_min, a_max]` (nAm) and an independent
//! fair-coin sign: `θ_t[v] = ±a`. Shared sources thus have the same position but their own
//! amplitude and sign in each task.
//!
//! # Measurements ([`simulate`])
//!
//! With θ in nAm and X in T/m per A·m, the noiseless field in fT/cm is (MEG.md §2, units)
//!
//! ```text
//! D_t = 1e4 · X_t          (fT/cm per nAm: 1 nAm = 1e-9 A·m, 1 T/m = 1e13 fT/cm)
//! Y_t = D_t θ_t + σ ε_t,   ε_t ~ N(0, I_n) independent
//! ```
//!
//! and σ is set so that the SNR is exactly the requested one, by default per sample as in the
//! overlap study ([`SnrConvention::PerSample`]):
//!
//! ```text
//! SNR² = Σ_t ‖D_t θ_t‖² / (T n σ²),    i.e.   σ = sqrt(Σ_t ‖D_t θ_t‖² / (T n)) / SNR
//! ```
//!
//! The paper's formula without n ([`SnrConvention::Literal`]) would make the expected noise
//! energy of a task n / SNR² = 12.75 times its signal energy at n = 204 and SNR = 4.
//!
//! **Scaling.** To keep the regression well conditioned without touching the coefficients, the
//! returned designs and targets are both divided by one global constant
//!
//! ```text
//! c = max_t max_j ‖D_t[:, j]‖₂ / √n         (fT/cm per nAm)
//! designs_t = D_t / c,   targets_t = Y_t / c,   sigma = σ / c
//! ```
//!
//! so the largest column of all designs has squared norm exactly n, the coefficients stay in
//! nAm, the SNR is unchanged, and physical values are recovered as `c · targets` (fT/cm).
//!
//! # Randomness
//!
//! Everything comes from a ChaCha8 generator seeded by a hash of `(seed, key)` (FNV-1a of the
//! seed's little-endian bytes followed by the key's UTF-8 bytes, expanded to 32 bytes by
//! SplitMix64). Stream 0 draws the sources (regions, vertices, amplitudes, signs, in the order
//! above), stream 1 the noise (task by task, sensor by sensor), so changing the SNR changes
//! the noise only. No draw depends on thread scheduling.

use nalgebra::{DMatrix, DVector};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;

use crate::error::{Error, Result};
use crate::sim::overlap::SnrConvention;

/// fT/cm per (T/m per A·m × nAm): 1e-9 (nAm → A·m) × 1e13 (T/m → fT/cm).
pub const FT_PER_CM_PER_T_PER_M_NAM: f64 = 1e4;

/// Parameters of one simulation (see the module doc).
///
/// | field | default | allowed |
/// |---|---|---|
/// | `n_sources` (k) | 5 | 1..=K |
/// | `overlap` (r) | 0.5 | [0, 1] |
/// | `snr` | 4 | finite, > 0 |
/// | `amplitude_nam` | (20, 30) | 0 < min ≤ max, finite |
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MegSimulationConfig {
    /// Active sources per task, k.
    pub n_sources: usize,
    /// Fraction r of the k sources shared by all tasks.
    pub overlap: f64,
    /// Signal-to-noise ratio (see the module doc).
    pub snr: f64,
    /// How `snr` sets σ (per sample by default).
    pub snr_convention: SnrConvention,
    /// Range (min, max) of the uniform amplitudes, in nAm.
    pub amplitude_nam: (f64, f64),
}

impl Default for MegSimulationConfig {
    fn default() -> Self {
        MegSimulationConfig {
            n_sources: 5,
            overlap: 0.5,
            snr: 4.0,
            snr_convention: SnrConvention::PerSample,
            amplitude_nam: (20.0, 30.0),
        }
    }
}

impl MegSimulationConfig {
    /// Number of shared sources `s = round(r k)` (half away from zero).
    pub fn n_shared(&self) -> usize {
        (self.overlap * self.n_sources as f64).round() as usize
    }

    /// Checks the parameters (not against the regions; [`draw_sources`] does that).
    pub fn validate(&self) -> Result<()> {
        if self.n_sources == 0 {
            return Err(Error::parameter("n_sources", 0, "must be >= 1"));
        }
        if !(self.overlap.is_finite() && (0.0..=1.0).contains(&self.overlap)) {
            return Err(Error::parameter("overlap", self.overlap, "must be in [0, 1]"));
        }
        crate::validate::positive("snr", self.snr)?;
        let (lo, hi) = self.amplitude_nam;
        if !(lo.is_finite() && hi.is_finite() && lo > 0.0 && lo <= hi) {
            return Err(Error::parameter(
                "amplitude_nam",
                format!("({lo}, {hi})"),
                "must satisfy 0 < min <= max, both finite",
            ));
        }
        Ok(())
    }
}

/// The drawn sources of all tasks.
#[derive(Clone, Debug, PartialEq)]
pub struct SourceDraw {
    /// True coefficients, p × T, in nAm.
    pub coef: DMatrix<f64>,
    /// The k chosen regions, in the order drawn; the first `n_shared` hold the shared sources.
    pub regions: Vec<usize>,
    /// Number of shared sources s.
    pub n_shared: usize,
    /// Per task, its k active sources (indices into the p sources), in the order of `regions`.
    pub supports: Vec<Vec<usize>>,
}

/// One simulated data set (see the module doc for the units and the scaling).
#[derive(Clone, Debug)]
pub struct MegSimulation {
    /// Designs `D_t / c` (n × p each).
    pub designs: Vec<DMatrix<f64>>,
    /// Targets `Y_t / c` (n each).
    pub targets: Vec<DVector<f64>>,
    /// True coefficients, p × T, in nAm.
    pub coef: DMatrix<f64>,
    /// Noise standard deviation in the units of `targets` (σ / c).
    pub sigma: f64,
    /// The global scale c in fT/cm per nAm: physical targets are `c · targets`.
    pub design_scale: f64,
    /// How the sources were drawn.
    pub sources: SourceDraw,
}

/// `D_t / c` for `D_t = 1e4 X_t` and `c = max_t max_j ‖D_t[:, j]‖ / √n` (module doc), after
/// checking that the lead fields are non-empty, equally shaped and finite.
pub fn scale_leadfields(leadfields: &[DMatrix<f64>]) -> Result<(Vec<DMatrix<f64>>, f64)> {
    let (n, p) = check_leadfields(leadfields)?;
    let max_norm =
        leadfields.iter().flat_map(|x| x.column_iter().map(|c| c.norm())).fold(0.0, f64::max);
    let scale = FT_PER_CM_PER_T_PER_M_NAM * max_norm / (n as f64).sqrt();
    if !(scale.is_finite() && scale > 0.0) {
        return Err(Error::Numerical(format!(
            "every lead-field column is zero (n = {n}, p = {p}): nothing to simulate"
        )));
    }
    let factor = FT_PER_CM_PER_T_PER_M_NAM / scale;
    Ok((leadfields.iter().map(|x| x * factor).collect(), scale))
}

/// Draws the sources of `n_tasks` tasks over p = `labels.len()` sources (module doc).
pub fn draw_sources(
    labels: &[usize],
    n_tasks: usize,
    config: &MegSimulationConfig,
    seed: u64,
    key: &str,
) -> Result<SourceDraw> {
    config.validate()?;
    if n_tasks == 0 {
        return Err(Error::Empty("no tasks to simulate".into()));
    }
    let members = region_members(labels)?;
    let (k, n_regions) = (config.n_sources, members.len());
    if k > n_regions {
        return Err(Error::parameter(
            "n_sources",
            k,
            &format!("must be <= the number of regions ({n_regions})"),
        ));
    }
    let n_shared = config.n_shared();
    let mut rng = keyed_rng(seed, key);
    rng.set_stream(0);

    // 1. k distinct regions: the first k entries of a partial Fisher–Yates shuffle of 0..K.
    let mut order: Vec<usize> = (0..n_regions).collect();
    for i in 0..k {
        let j = rng.gen_range(i..n_regions);
        order.swap(i, j);
    }
    let regions = order[..k].to_vec();
    for &r in &regions[n_shared..] {
        if members[r].len() < n_tasks {
            return Err(Error::parameter(
                "n_tasks",
                n_tasks,
                &format!(
                    "region {r} has {} sources, fewer than the tasks that need distinct \
                     task-specific vertices there",
                    members[r].len()
                ),
            ));
        }
    }

    // 2. Shared vertices, one per shared region.
    let shared: Vec<usize> = regions[..n_shared]
        .iter()
        .map(|&r| members[r][rng.gen_range(0..members[r].len())])
        .collect();

    // 3. Task-specific vertices: task t takes pool[t] after swapping in a uniform pick among
    //    pool[t..], so the tasks' vertices in a region are distinct.
    let mut pools: Vec<Vec<usize>> =
        regions[n_shared..].iter().map(|&r| members[r].clone()).collect();
    let mut supports = Vec::with_capacity(n_tasks);
    for t in 0..n_tasks {
        let mut support = shared.clone();
        for pool in pools.iter_mut() {
            let j = rng.gen_range(t..pool.len());
            pool.swap(t, j);
            support.push(pool[t]);
        }
        supports.push(support);
    }

    // 4. Amplitudes and signs, task by task, in region order.
    let (lo, hi) = config.amplitude_nam;
    let mut coef = DMatrix::zeros(labels.len(), n_tasks);
    for (t, support) in supports.iter().enumerate() {
        for &v in support {
            let amplitude = rng.gen_range(lo..=hi);
            let sign = if rng.gen_bool(0.5) { 1.0 } else { -1.0 };
            coef[(v, t)] = sign * amplitude;
        }
    }
    Ok(SourceDraw { coef, regions, n_shared, supports })
}

/// A full simulation: scaled designs, sources, targets with noise at the requested SNR.
pub fn simulate(
    leadfields: &[DMatrix<f64>],
    labels: &[usize],
    config: &MegSimulationConfig,
    seed: u64,
    key: &str,
) -> Result<MegSimulation> {
    let (designs, design_scale) = scale_leadfields(leadfields)?;
    let p = designs[0].ncols();
    if labels.len() != p {
        return Err(Error::Shape(format!(
            "{} region labels for lead fields with {p} sources",
            labels.len()
        )));
    }
    let sources = draw_sources(labels, designs.len(), config, seed, key)?;

    // Noiseless targets and σ from the SNR (scale-free).
    let clean: Vec<DVector<f64>> =
        designs.iter().enumerate().map(|(t, x)| x * sources.coef.column(t)).collect();
    let power: f64 = clean.iter().map(|y| y.norm_squared()).sum();
    if !(power.is_finite() && power > 0.0) {
        return Err(Error::Numerical(format!(
            "the simulated signal energy is {power}: the SNR is undefined"
        )));
    }
    let n_samples = clean.first().map_or(1, |y| y.len());
    let sigma = config.snr_convention.sigma(power, designs.len(), n_samples, config.snr);

    let mut rng = keyed_rng(seed, key);
    rng.set_stream(1);
    let targets = clean
        .into_iter()
        .map(|y| y.map(|v| v + sigma * rng.sample::<f64, _>(StandardNormal)))
        .collect();
    Ok(MegSimulation { designs, targets, coef: sources.coef.clone(), sigma, design_scale, sources })
}

/// `(n, p)` of the lead fields after checking they are non-empty, equal in shape and finite.
fn check_leadfields(leadfields: &[DMatrix<f64>]) -> Result<(usize, usize)> {
    let first = leadfields.first().ok_or_else(|| Error::Empty("no lead fields".into()))?;
    let (n, p) = first.shape();
    if n == 0 || p == 0 {
        return Err(Error::Empty(format!("lead field 0 is {n} x {p}")));
    }
    for (t, x) in leadfields.iter().enumerate() {
        if x.shape() != (n, p) {
            return Err(Error::Shape(format!(
                "lead field {t} is {} x {} but lead field 0 is {n} x {p}",
                x.nrows(),
                x.ncols()
            )));
        }
        crate::validate::finite_matrix(&format!("lead field {t}"), x)?;
    }
    Ok((n, p))
}

/// The sources of each region `0..K`, `K = max label + 1`; fails if a region is empty.
fn region_members(labels: &[usize]) -> Result<Vec<Vec<usize>>> {
    let n_regions = labels
        .iter()
        .max()
        .map(|&m| m + 1)
        .ok_or_else(|| Error::Empty("no region labels".into()))?;
    let mut members = vec![Vec::new(); n_regions];
    for (j, &l) in labels.iter().enumerate() {
        members[l].push(j);
    }
    if let Some(r) = members.iter().position(Vec::is_empty) {
        return Err(Error::parameter(
            "region labels",
            format!("region {r} of 0..{n_regions}"),
            "every region between 0 and the largest label needs at least one source",
        ));
    }
    Ok(members)
}

/// ChaCha8 generator for `(seed, key)`: FNV-1a 64 over the seed's little-endian bytes then the
/// key's bytes, expanded to a 32-byte seed by SplitMix64.
fn keyed_rng(seed: u64, key: &str) -> ChaCha8Rng {
    const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;
    let mut hash = FNV_OFFSET;
    for &byte in seed.to_le_bytes().iter().chain(key.as_bytes()) {
        hash = (hash ^ u64::from(byte)).wrapping_mul(FNV_PRIME);
    }
    let mut state = hash;
    let mut bytes = [0u8; 32];
    for chunk in bytes.chunks_mut(8) {
        chunk.copy_from_slice(&splitmix64(&mut state).to_le_bytes());
    }
    ChaCha8Rng::from_seed(bytes)
}

/// One SplitMix64 step (Steele, Lea, Flood 2014).
fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests;
