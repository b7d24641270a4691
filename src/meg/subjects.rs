//! Simulated subjects: the same template anatomy seen from different head positions.
//!
//! A subject is a device → head transform `T = [R | t]` with `R = Rz(gz) Ry(gy) Rx(gx)`
//! (degrees, about the head axes) and `t` in mm (MEG.md §2), plus an optional head scale s:
//! the sources are moved to `o + s (rr_head − o)` about the sphere origin o (a head s times
//! larger inside the same helmet; orientations unchanged).
//!
//! [`SubjectDistribution::draw`] draws, independently and uniformly,
//!
//! ```text
//! gx, gy, gz ~ U(−max_rotation_deg, max_rotation_deg)
//! t          = nominal_translation_mm + U(−max_translation_mm, max_translation_mm)³
//! s          ~ U(1 − max_scale_change, 1 + max_scale_change)     (s = 1 when 0)
//! ```
//!
//! with defaults 5°, (0, 0, 65) mm, ±4 mm and no scaling (±5 % with `max_scale_change =
//! 0.05`). The public and hold-out reference subjects P, A, B (MEG.md §2) lie in this range.
//! Subject `index` of `seed` comes from its own ChaCha8 stream, so it does not depend on
//! how many subjects are drawn.

use nalgebra::DMatrix;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::coils::CoilDefinition;
use super::forward::{ForwardModel, SPHERE_ORIGIN_HEAD};
use super::sensors::Channel;
use super::source_space::SourceSpace;
use super::transform::Transform;
use crate::error::{Error, Result};
use crate::geometry::Vec3;

/// One simulated subject (a head position and a head scale).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Subject {
    /// Rotations (gx, gy, gz) in degrees about the head x, y, z axes.
    pub rot_deg: [f64; 3],
    /// Translation of the device → head transform, in mm.
    pub trans_mm: [f64; 3],
    /// Head scale s about the sphere origin (1 = template size).
    pub scale: f64,
}

impl Subject {
    /// The public reference subject P: (3, 0, −2)°, (1, −3, 64) mm, unscaled.
    pub const P: Subject =
        Subject { rot_deg: [3.0, 0.0, -2.0], trans_mm: [1.0, -3.0, 64.0], scale: 1.0 };

    /// The device → head transform.
    pub fn dev_head_t(&self) -> Result<Transform> {
        Transform::from_rotation_translation(self.rot_deg, self.trans_mm)
    }

    /// Source positions of this subject: `o + s (r − o)` for each head-frame position r.
    pub fn scaled_positions(&self, rr_head: &[Vec3]) -> Vec<Vec3> {
        let o = Vec3::from(SPHERE_ORIGIN_HEAD);
        rr_head.iter().map(|r| o + (r - o) * self.scale).collect()
    }

    /// The forward model of the channels with this head position (sphere origin
    /// [`SPHERE_ORIGIN_HEAD`]).
    pub fn forward_model(
        &self,
        channels: &[Channel],
        coil: &CoilDefinition,
    ) -> Result<ForwardModel> {
        if !(self.scale.is_finite() && self.scale > 0.0) {
            return Err(Error::parameter("scale", self.scale, "must be finite and > 0"));
        }
        ForwardModel::new(channels, coil, &self.dev_head_t()?, Vec3::from(SPHERE_ORIGIN_HEAD))
    }

    /// The subject's fixed-orientation lead field X (n × p, T/m per A·m) on a source space.
    pub fn leadfield(
        &self,
        channels: &[Channel],
        coil: &CoilDefinition,
        sources: &SourceSpace,
    ) -> Result<DMatrix<f64>> {
        let model = self.forward_model(channels, coil)?;
        model.leadfield_fixed(&self.scaled_positions(&sources.rr_head), &sources.nn_head)
    }
}

/// The distribution of head positions and scales that subjects are drawn from.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SubjectDistribution {
    /// Half-width of the uniform rotation about each axis (degrees).
    pub max_rotation_deg: f64,
    /// Centre of the translation (mm).
    pub nominal_translation_mm: [f64; 3],
    /// Half-width of the uniform translation offset along each axis (mm).
    pub max_translation_mm: f64,
    /// Half-width of the uniform head scale around 1 (0 = no scaling; 0.05 = ±5 %).
    pub max_scale_change: f64,
}

impl Default for SubjectDistribution {
    fn default() -> Self {
        SubjectDistribution {
            max_rotation_deg: 5.0,
            nominal_translation_mm: [0.0, 0.0, 65.0],
            max_translation_mm: 4.0,
            max_scale_change: 0.0,
        }
    }
}

impl SubjectDistribution {
    /// Checks the parameters: half-widths finite and >= 0, scale change < 1.
    pub fn validate(&self) -> Result<()> {
        crate::validate::nonnegative("max_rotation_deg", self.max_rotation_deg)?;
        crate::validate::nonnegative("max_translation_mm", self.max_translation_mm)?;
        crate::validate::nonnegative("max_scale_change", self.max_scale_change)?;
        if self.max_scale_change >= 1.0 {
            return Err(Error::parameter("max_scale_change", self.max_scale_change, "must be < 1"));
        }
        if !self.nominal_translation_mm.iter().all(|v| v.is_finite()) {
            return Err(Error::parameter(
                "nominal_translation_mm",
                format!("{:?}", self.nominal_translation_mm),
                "must be finite",
            ));
        }
        Ok(())
    }

    /// Subject `index` of the sequence defined by `seed` (see the module doc).
    pub fn draw(&self, seed: u64, index: u64) -> Result<Subject> {
        self.validate()?;
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        rng.set_stream(index);
        let mut symmetric = |half: f64| if half > 0.0 { rng.gen_range(-half..=half) } else { 0.0 };
        let rot_deg = [(); 3].map(|_| symmetric(self.max_rotation_deg));
        let offset = [(); 3].map(|_| symmetric(self.max_translation_mm));
        let scale = 1.0 + symmetric(self.max_scale_change);
        let trans_mm = std::array::from_fn(|a| self.nominal_translation_mm[a] + offset[a]);
        Ok(Subject { rot_deg, trans_mm, scale })
    }

    /// Subjects `0..n` of `seed`.
    pub fn draw_many(&self, seed: u64, n: usize) -> Result<Vec<Subject>> {
        (0..n as u64).map(|i| self.draw(seed, i)).collect()
    }
}
