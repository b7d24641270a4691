//! The MEG forward model of a current dipole in a spherically symmetric conductor
//! (Sarvas 1987), integrated over the coil points (MEG.md §2).
//!
//! With the sphere origin `o`, an integration point `p` and a dipole at `s` with moment `q`,
//! let `r = p − o`, `r0 = s − o`, `a = r − r0`, `a = |a|`, `r = |r|`. Then
//!
//! ```text
//! F    = a (r a + r² − r0·r)
//! ∇F   = (a²/r + a·r/a + 2a + 2r) r − (a + 2r + a·r/a) r0
//! B(p) = μ0/(4π) / F² · [F (q × r0) − ((q × r0)·r) ∇F],        μ0/(4π) = 1e-7 T·m/A
//! ```
//!
//! and a coil measures `Σ_k w_k B(p_k)·d_k`. Since `(q × r0)·v = q·(r0 × v)`, the output is
//! `q·g` with the gain vector
//!
//! ```text
//! g = μ0/(4π) Σ_k w_k / F_k² · [F_k (r0 × d_k) − (∇F_k·d_k) (r0 × r_k)]
//! ```
//!
//! in T/m per A·m for gradiometers. The field does not depend on the sphere's radius or
//! conductivity, and a radial dipole (`q ∥ r0`) gives zero.
//!
//! Reference: J. Sarvas, "Basic mathematical and electromagnetic concepts of the biomagnetic
//! inverse problem", Phys. Med. Biol. 32(1):11–22, 1987.

use nalgebra::DMatrix;
use rayon::prelude::*;

use super::coils::{CoilDefinition, IntegrationPoint};
use super::sensors::Channel;
use super::transform::Transform;
use crate::error::{Error, Result};
use crate::geometry::Vec3;

/// μ0 / (4π) in T·m/A.
pub const MU0_OVER_4PI: f64 = 1e-7;

/// Sphere origin used by the reference values: (0, 0, 0.04) m in the head frame.
pub const SPHERE_ORIGIN_HEAD: [f64; 3] = [0.0, 0.0, 0.04];

/// The integration points of every channel in the head frame, ready to evaluate lead fields.
#[derive(Clone, Debug)]
pub struct ForwardModel {
    /// Per channel, its integration points (position and direction in the head frame).
    points: Vec<Vec<IntegrationPoint>>,
    /// Sphere origin `o` (head frame, m).
    origin: Vec3,
}

/// Largest plausible distance (m) from the sphere origin to the nearest coil: a VectorView
/// helmet's coils sit about 0.1 m from a head's centre; 0.3 m leaves room for any head
/// placement while catching a helmet moved away by a unit error.
pub const MAX_COIL_RADIUS: f64 = 0.3;

impl ForwardModel {
    /// Places the coil rule on each channel and maps it to the head frame: point k of a channel
    /// with frame (r0, ex, ey, ez) is `p_k = T(r0 + x_k ex + y_k ey + z_k ez)` and its direction
    /// `d_k = R(nx ex + ny ey + nz ez)`, with `T = dev_head_t` and R its rotation.
    ///
    /// Fails if a channel's coil type differs from the rule's, or if there are no channels.
    pub fn new(
        channels: &[Channel],
        coil: &CoilDefinition,
        dev_head_t: &Transform,
        origin: Vec3,
    ) -> Result<Self> {
        if channels.is_empty() {
            return Err(Error::Empty("no MEG channels".into()));
        }
        if let Some(c) = channels.iter().find(|c| c.coil_type != coil.coil_type) {
            return Err(Error::Shape(format!(
                "channel {} has coil type {} but the coil definition is for {}",
                c.name, c.coil_type, coil.coil_type
            )));
        }
        if !origin.iter().all(|v| v.is_finite()) {
            return Err(Error::NonFinite {
                what: "sphere origin".into(),
                detail: format!("{origin:?}"),
            });
        }
        let points = channels
            .iter()
            .map(|c| {
                let local = |v: &Vec3| c.ex * v.x + c.ey * v.y + c.ez * v.z;
                coil.points
                    .iter()
                    .map(|pt| IntegrationPoint {
                        weight: pt.weight,
                        position: dev_head_t.apply_point(&(c.r0 + local(&pt.position))),
                        direction: dev_head_t.apply_vector(&local(&pt.direction)),
                    })
                    .collect()
            })
            .collect();
        Ok(ForwardModel { points, origin })
    }

    /// Checks that every source lies closer to the sphere origin than every coil integration
    /// point: the spherical model describes sources inside the head and sensors outside it, so a
    /// placement (transform, scale) that pushes a source past the nearest coil is not a head in
    /// a helmet. Fails with the farthest source and the nearest coil distance in millimetres.
    /// Also fails when even the nearest coil is more than [`MAX_COIL_RADIUS`] from the origin:
    /// the helmet is then nowhere near the head (typically a translation given in millimetres
    /// where metres are expected), and the lead field would be ~1e12 times too small.
    pub fn check_sources_inside(&self, rr_head: &[Vec3]) -> Result<()> {
        let radius = |r: &Vec3| (r - self.origin).norm();
        let nearest_coil = self
            .points
            .iter()
            .flatten()
            .map(|pt| radius(&pt.position))
            .fold(f64::INFINITY, f64::min);
        if nearest_coil > MAX_COIL_RADIUS {
            return Err(Error::parameter(
                "placement",
                format!("nearest coil {:.1} mm from the sphere origin", 1e3 * nearest_coil),
                "the helmet is nowhere near the head (its coils sit about 100 mm from it): is \
                 the transform's translation in metres?",
            ));
        }
        let farthest =
            rr_head.iter().enumerate().max_by(|a, b| radius(a.1).total_cmp(&radius(b.1)));
        match farthest {
            Some((s, r)) if radius(r) >= nearest_coil => Err(Error::parameter(
                "placement",
                format!("source {s} at {:.1} mm from the sphere origin", 1e3 * radius(r)),
                &format!(
                    "the nearest coil is {:.1} mm from the origin: the transform or scale puts \
                     the head through the sensor helmet",
                    1e3 * nearest_coil
                ),
            )),
            _ => Ok(()),
        }
    }

    /// Number of channels n.
    pub fn n_channels(&self) -> usize {
        self.points.len()
    }

    /// The gain vector `g_c` of every channel c for a dipole at `source` (head frame, m):
    /// channel c measures `q·g_c` for a moment q in A·m.
    pub fn gain_vectors(&self, source: &Vec3) -> Result<Vec<Vec3>> {
        let r0 = source - self.origin;
        let gains: Vec<Vec3> = self
            .points
            .iter()
            .map(|pts| pts.iter().map(|pt| point_gain(&r0, &(pt.position - self.origin), pt)).sum())
            .collect();
        match gains.iter().position(|g| !g.iter().all(|v| v.is_finite())) {
            None => Ok(gains),
            Some(c) => Err(Error::Numerical(format!(
                "lead field of the dipole at {:?} m is not finite on channel {c} (dipole on a coil \
                 point or at the sphere origin?)",
                source.as_slice()
            ))),
        }
    }

    /// Free-orientation lead field, n × 3p: columns `3s, 3s+1, 3s+2` are unit dipoles along
    /// head x, y, z at source s (source-major), in T/m per A·m. Parallel over sources.
    pub fn leadfield_free(&self, rr_head: &[Vec3]) -> Result<DMatrix<f64>> {
        let gains = self.all_gains(rr_head)?;
        Ok(DMatrix::from_fn(self.n_channels(), 3 * rr_head.len(), |c, j| gains[j / 3][c][j % 3]))
    }

    /// Fixed-orientation lead field, n × p: column s is `q = nn_head[s]` (1 A·m along the
    /// given orientation) at `rr_head[s]`. Parallel over sources.
    pub fn leadfield_fixed(&self, rr_head: &[Vec3], nn_head: &[Vec3]) -> Result<DMatrix<f64>> {
        if rr_head.len() != nn_head.len() {
            return Err(Error::Shape(format!(
                "{} source positions but {} orientations",
                rr_head.len(),
                nn_head.len()
            )));
        }
        if let Some(s) = nn_head.iter().position(|n| !n.iter().all(|v| v.is_finite())) {
            return Err(Error::NonFinite {
                what: "orientations".into(),
                detail: format!("source {s}"),
            });
        }
        let gains = self.all_gains(rr_head)?;
        Ok(DMatrix::from_fn(self.n_channels(), rr_head.len(), |c, s| gains[s][c].dot(&nn_head[s])))
    }

    fn all_gains(&self, rr_head: &[Vec3]) -> Result<Vec<Vec<Vec3>>> {
        if let Some(s) = rr_head.iter().position(|r| !r.iter().all(|v| v.is_finite())) {
            return Err(Error::NonFinite {
                what: "source positions".into(),
                detail: format!("source {s}"),
            });
        }
        rr_head.par_iter().map(|r| self.gain_vectors(r)).collect()
    }
}

/// One integration point's contribution `μ0/(4π) w / F² [F (r0 × d) − (∇F·d)(r0 × r)]`, with
/// `r0` the source and `r` the point relative to the sphere origin.
fn point_gain(r0: &Vec3, r: &Vec3, pt: &IntegrationPoint) -> Vec3 {
    let a_vec = r - r0;
    let a = a_vec.norm();
    let rn = r.norm();
    let ar = a_vec.dot(r);
    let f = a * (rn * a + rn * rn - r0.dot(r));
    let grad_f = r * (a * a / rn + ar / a + 2.0 * a + 2.0 * rn) - r0 * (a + 2.0 * rn + ar / a);
    let d = &pt.direction;
    (r0.cross(d) * f - r0.cross(r) * grad_f.dot(d)) * (MU0_OVER_4PI * pt.weight / (f * f))
}
