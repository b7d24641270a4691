//! Rigid 4 × 4 homogeneous transforms between the MRI, head and device frames (metres):
//! a point maps as `p' = R p + t`, a direction as `d' = R d`.

use nalgebra::{Matrix3, Matrix4};

use crate::error::{Error, Result};
use crate::geometry::Vec3;

/// fsaverage's head → MRI transform, MNE's `mne/data/fsaverage/fsaverage-trans.fif`
/// (float32 values in the file, copied here exactly as float64). See MEG.md §2.
pub const HEAD_MRI_T: [[f64; 4]; 4] = [
    [0.9999938011169434, -0.003557611256837845, -5.701684813175234e-07, 0.0018733639735728502],
    [0.0035518724471330643, 0.9983890652656555, -0.05662653595209122, -0.028795761987566948],
    [0.0002020396786974743, 0.056625932455062866, 0.9983953833580017, -0.04129410162568092],
    [0.0, 0.0, 0.0, 1.0],
];

/// A homogeneous transform `[[R, t], [0, 0, 0, 1]]`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Transform {
    /// The 4 × 4 matrix.
    pub matrix: Matrix4<f64>,
}

impl Transform {
    /// From a row-major 4 × 4 array; fails unless finite with last row `(0, 0, 0, 1)`.
    pub fn from_rows(rows: [[f64; 4]; 4]) -> Result<Self> {
        let matrix = Matrix4::from_fn(|i, j| rows[i][j]);
        if !matrix.iter().all(|v| v.is_finite()) {
            return Err(Error::NonFinite { what: "transform".into(), detail: format!("{rows:?}") });
        }
        if rows[3] != [0.0, 0.0, 0.0, 1.0] {
            return Err(Error::parameter(
                "transform last row",
                format!("{:?}", rows[3]),
                "must be (0, 0, 0, 1)",
            ));
        }
        Ok(Transform { matrix })
    }

    /// fsaverage's head → MRI transform ([`HEAD_MRI_T`]).
    pub fn head_mri() -> Self {
        Transform { matrix: Matrix4::from_fn(|i, j| HEAD_MRI_T[i][j]) }
    }

    /// fsaverage's MRI → head transform: the matrix inverse of [`Transform::head_mri`]
    /// (a general 4 × 4 inverse, as MNE does; the stored rotation is float32-rounded and not
    /// exactly orthogonal).
    pub fn mri_head() -> Self {
        Self::head_mri().inverse().expect("the fsaverage transform is invertible")
    }

    /// A device → head transform from rotations about the head axes (degrees) and a
    /// translation (mm): `R = Rz(gz) · Ry(gy) · Rx(gx)`, `t = trans_mm / 1000`, with
    /// `Rx(a) = [[1, 0, 0], [0, cos a, −sin a], [0, sin a, cos a]]` and likewise for y and z.
    pub fn from_rotation_translation(rot_deg: [f64; 3], trans_mm: [f64; 3]) -> Result<Self> {
        if !rot_deg.iter().chain(&trans_mm).all(|v| v.is_finite()) {
            return Err(Error::NonFinite {
                what: "rotation / translation".into(),
                detail: format!("{rot_deg:?} deg, {trans_mm:?} mm"),
            });
        }
        let [gx, gy, gz] = rot_deg.map(f64::to_radians);
        let (sx, cx) = gx.sin_cos();
        let (sy, cy) = gy.sin_cos();
        let (sz, cz) = gz.sin_cos();
        let rx = Matrix3::new(1.0, 0.0, 0.0, 0.0, cx, -sx, 0.0, sx, cx);
        let ry = Matrix3::new(cy, 0.0, sy, 0.0, 1.0, 0.0, -sy, 0.0, cy);
        let rz = Matrix3::new(cz, -sz, 0.0, sz, cz, 0.0, 0.0, 0.0, 1.0);
        let rotation = rz * ry * rx;
        let mut matrix = Matrix4::identity();
        matrix.fixed_view_mut::<3, 3>(0, 0).copy_from(&rotation);
        for a in 0..3 {
            matrix[(a, 3)] = trans_mm[a] / 1000.0;
        }
        Ok(Transform { matrix })
    }

    /// The inverse transform (general 4 × 4 inverse).
    pub fn inverse(&self) -> Result<Self> {
        self.matrix
            .try_inverse()
            .map(|matrix| Transform { matrix })
            .ok_or_else(|| Error::Numerical("transform is singular".into()))
    }

    /// `self ∘ other`: first `other`, then `self`.
    pub fn compose(&self, other: &Transform) -> Self {
        Transform { matrix: self.matrix * other.matrix }
    }

    /// The 3 × 3 rotation part R.
    pub fn rotation(&self) -> Matrix3<f64> {
        self.matrix.fixed_view::<3, 3>(0, 0).into_owned()
    }

    /// The translation t.
    pub fn translation(&self) -> Vec3 {
        self.matrix.fixed_view::<3, 1>(0, 3).into_owned()
    }

    /// `R p + t`.
    pub fn apply_point(&self, p: &Vec3) -> Vec3 {
        self.rotation() * p + self.translation()
    }

    /// `R d` (no translation).
    pub fn apply_vector(&self, d: &Vec3) -> Vec3 {
        self.rotation() * d
    }

    /// The rows of the matrix, row-major.
    pub fn to_rows(&self) -> [[f64; 4]; 4] {
        std::array::from_fn(|i| std::array::from_fn(|j| self.matrix[(i, j)]))
    }
}
