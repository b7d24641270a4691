//! The inflated left hemisphere used to display sources, with a sulcal-depth proxy for
//! shading, and its orthographic views.
//!
//! `fsaverage5_lh_inflated.obj` has the same 10242 vertices, in the same order, as the white
//! surface, so an fsaverage5 vertex number indexes both. FreeSurfer's `sulc` / `curv` files
//! are not vendored; the shading uses a mean-curvature proxy of the **white** surface:
//!
//! ```text
//! h_i    = (mean of the neighbours w_j of i − w_i) · n_i      w white vertices, n white normal
//! h      ← 5 steps of neighbour averaging (vertex and neighbours, equal weights)
//! sulc_i = h_i mapped to [0, 1] by its 5 % and 95 % quantiles (clamped)
//! ```
//!
//! A vertex below its neighbours along the outward normal (concave, a sulcus) gets a large
//! `sulc` and is painted darker; gyral crowns get a small one.

use std::path::Path;

use super::LH_WHITE_OBJ;
use crate::error::{Error, Result};
use crate::geometry::{read_obj, TriMesh, Vec3};

/// The vendored inflated lh surface (mm, same vertex order as the white surface).
pub const LH_INFLATED_OBJ: &str = "fsaverage5_lh_inflated.obj";

/// Neighbour-averaging steps applied to the curvature proxy.
const SMOOTHING_STEPS: usize = 5;

/// Which side the hemisphere is seen from (orthographic, z up).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum View {
    /// From −x (lateral side of the left hemisphere): screen right = −y (frontal lobe left).
    Lateral,
    /// From +x (medial side): screen right = +y.
    Medial,
}

impl View {
    /// Unit vector from the surface towards the viewer.
    pub fn towards_viewer(self) -> Vec3 {
        match self {
            View::Lateral => Vec3::new(-1.0, 0.0, 0.0),
            View::Medial => Vec3::new(1.0, 0.0, 0.0),
        }
    }

    /// Screen coordinates (right, up) of a point, in the point's units.
    pub fn project(self, p: &Vec3) -> (f64, f64) {
        match self {
            View::Lateral => (-p.y, p.z),
            View::Medial => (p.y, p.z),
        }
    }

    /// Distance from the viewer along the viewing axis (larger = farther).
    pub fn depth(self, p: &Vec3) -> f64 {
        -p.dot(&self.towards_viewer())
    }
}

/// The inflated surface with its face normals and per-vertex sulcal proxy.
#[derive(Clone, Debug)]
pub struct CortexSurface {
    /// Inflated mesh (mm).
    pub mesh: TriMesh,
    /// Unit outward normal of each face.
    pub face_normals: Vec<Vec3>,
    /// Unit outward normal of each vertex.
    pub vertex_normals: Vec<Vec3>,
    /// Sulcal proxy per vertex in [0, 1] (1 = deep sulcus).
    pub sulc: Vec<f64>,
}

impl CortexSurface {
    /// Reads the inflated and white lh surfaces from `data_dir`.
    pub fn load(data_dir: impl AsRef<Path>) -> Result<Self> {
        let dir = data_dir.as_ref();
        Self::from_meshes(read_obj(dir.join(LH_INFLATED_OBJ))?, &read_obj(dir.join(LH_WHITE_OBJ))?)
    }

    /// From an inflated mesh and the white mesh it was inflated from (same vertices, same
    /// order, same faces).
    pub fn from_meshes(inflated: TriMesh, white: &TriMesh) -> Result<Self> {
        if inflated.n_vertices() != white.n_vertices() {
            return Err(Error::Shape(format!(
                "inflated surface has {} vertices but the white surface {}",
                inflated.n_vertices(),
                white.n_vertices()
            )));
        }
        let neighbours = neighbours(white);
        let white_normals = white.vertex_normals();
        let mut h: Vec<f64> = neighbours
            .iter()
            .enumerate()
            .map(|(i, ns)| {
                let mean =
                    ns.iter().map(|&j| white.vertices[j]).sum::<Vec3>() / ns.len().max(1) as f64;
                (mean - white.vertices[i]).dot(&white_normals[i])
            })
            .collect();
        for _ in 0..SMOOTHING_STEPS {
            h = smooth(&h, &neighbours);
        }
        let sulc = rescale_by_percentiles(&h, 0.05, 0.95);
        let vertex_normals = inflated.vertex_normals();
        let face_normals = inflated.face_normals();
        Ok(CortexSurface { mesh: inflated, face_normals, vertex_normals, sulc })
    }

    /// Number of vertices.
    pub fn n_vertices(&self) -> usize {
        self.mesh.n_vertices()
    }

    /// Whether vertex `v` faces the viewer (its normal points towards the viewer).
    pub fn is_visible(&self, v: usize, view: View) -> bool {
        self.vertex_normals[v].dot(&view.towards_viewer()) > 0.0
    }
}

/// Neighbour lists from the mesh edges.
fn neighbours(mesh: &TriMesh) -> Vec<Vec<usize>> {
    let mut out = vec![Vec::new(); mesh.n_vertices()];
    for (a, b) in mesh.edges() {
        out[a].push(b);
        out[b].push(a);
    }
    out
}

/// One step of neighbour averaging (the vertex and its neighbours, equal weights).
fn smooth(values: &[f64], neighbours: &[Vec<usize>]) -> Vec<f64> {
    neighbours
        .iter()
        .enumerate()
        .map(|(i, ns)| {
            let sum: f64 = values[i] + ns.iter().map(|&j| values[j]).sum::<f64>();
            sum / (ns.len() + 1) as f64
        })
        .collect()
}

/// Maps the `lo` and `hi` quantiles to 0 and 1, clamping outside.
fn rescale_by_percentiles(values: &[f64], lo: f64, hi: f64) -> Vec<f64> {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let at = |q: f64| sorted[((sorted.len() - 1) as f64 * q).round() as usize];
    let (a, b) = (at(lo), at(hi));
    let width = if b > a { b - a } else { 1.0 };
    values.iter().map(|v| ((v - a) / width).clamp(0.0, 1.0)).collect()
}
