//! A head placement in the helmet (any rigid device → head transform and a head scale) and the
//! lead field it gives on a source space; the gradiometer array loaded once.
//!
//! [`Subject`] describes placements by angles and a translation; a [`HeadPlacement`] takes any
//! rigid 4 × 4 transform, e.g. one read from a file. The sources move to `o + s (rr_head − o)`
//! about the sphere origin o (a head s times larger), orientations unchanged.

use std::path::Path;

use nalgebra::{DMatrix, Matrix3};

use super::coils::{read_coil_definition, CoilDefinition, ACCURATE};
use super::forward::{ForwardModel, SPHERE_ORIGIN_HEAD};
use super::sensors::{read_gradiometers, Channel, PLANAR_GRADIOMETER};
use super::source_space::SourceSpace;
use super::subjects::{Subject, SubjectDistribution};
use super::transform::Transform;
use super::{COIL_DEFS_CSV, SENSORS_CSV};
use crate::error::{Error, Result};
use crate::geometry::Vec3;

/// Largest `|RᵀR − I|` entry accepted for a rotation. Transforms stored in float32 (as in
/// `.fif` files) are orthonormal to about 1e-7.
pub const ROTATION_TOLERANCE: f64 = 1e-5;

/// The 204 planar gradiometers of the VectorView table and their accurate coil rule
/// (accuracy 2, 8 points; MEG.md §2).
#[derive(Clone, Debug)]
pub struct GradiometerArray {
    /// The channels, in the order of the sensor table.
    pub channels: Vec<Channel>,
    /// The integration rule of coil type 3012.
    pub coil: CoilDefinition,
}

impl GradiometerArray {
    /// Reads `neuromag306_sensors.csv` and `vectorview_coil_defs.csv` from `data_dir`.
    pub fn load(data_dir: impl AsRef<Path>) -> Result<Self> {
        let dir = data_dir.as_ref();
        Ok(GradiometerArray {
            channels: read_gradiometers(dir.join(SENSORS_CSV))?,
            coil: read_coil_definition(dir.join(COIL_DEFS_CSV), PLANAR_GRADIOMETER, ACCURATE)?,
        })
    }
}

/// A rigid device → head transform and a head scale s > 0.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct HeadPlacement {
    /// Device → head transform (metres).
    pub dev_head_t: Transform,
    /// Head scale about the sphere origin.
    pub scale: f64,
}

impl HeadPlacement {
    /// Checks that the rotation is orthonormal with determinant +1 (within
    /// [`ROTATION_TOLERANCE`]) and that the scale is finite and > 0.
    pub fn new(dev_head_t: Transform, scale: f64) -> Result<Self> {
        crate::validate::positive("scale", scale)?;
        let r = dev_head_t.rotation();
        let off = (r.transpose() * r - Matrix3::identity()).amax();
        if off > ROTATION_TOLERANCE || (r.determinant() - 1.0).abs() > ROTATION_TOLERANCE {
            return Err(Error::parameter(
                "device-to-head transform",
                format!("{:?}", dev_head_t.to_rows()),
                "its 3 x 3 part must be a rotation (orthonormal, determinant +1)",
            ));
        }
        Ok(HeadPlacement { dev_head_t, scale })
    }

    /// The placement of a [`Subject`].
    pub fn of_subject(subject: &Subject) -> Result<Self> {
        Self::new(subject.dev_head_t()?, subject.scale)
    }

    /// The centre of [`SubjectDistribution::default`]: no rotation, translation
    /// (0, 0, 65) mm, template size. This is what `mtw meg-forward` uses without `--trans`.
    pub fn nominal() -> Self {
        let centre = SubjectDistribution::default().nominal_translation_mm;
        let dev_head_t = Transform::from_rotation_translation([0.0; 3], centre)
            .expect("the nominal placement is finite");
        HeadPlacement { dev_head_t, scale: 1.0 }
    }

    /// Source positions of this placement: `o + s (r − o)` for each head-frame position r
    /// (r itself, bit for bit, when s = 1).
    pub fn positions(&self, rr_head: &[Vec3]) -> Vec<Vec3> {
        if self.scale == 1.0 {
            return rr_head.to_vec();
        }
        let o = Vec3::from(SPHERE_ORIGIN_HEAD);
        rr_head.iter().map(|r| o + (r - o) * self.scale).collect()
    }

    /// The fixed-orientation lead field (n × p, T/m per A·m, channels in table order).
    pub fn leadfield(
        &self,
        array: &GradiometerArray,
        sources: &SourceSpace,
    ) -> Result<DMatrix<f64>> {
        let origin = Vec3::from(SPHERE_ORIGIN_HEAD);
        let model = ForwardModel::new(&array.channels, &array.coil, &self.dev_head_t, origin)?;
        let positions = self.positions(&sources.rr_head);
        model.check_sources_inside(&positions)?;
        model.leadfield_fixed(&positions, &sources.nn_head)
    }
}
