//! A triangle mesh (vertices and faces) with its edges and vertex normals.

use nalgebra::Vector3;

use crate::error::{Error, Result};

/// A 3-D vector or point in `f64`.
pub type Vec3 = Vector3<f64>;

/// A triangle mesh. Units are those of the source file (the fsaverage5 OBJ files are in mm).
///
/// Faces hold 0-based vertex indices, counter-clockwise when seen from outside the surface,
/// so that `(r2 − r1) × (r3 − r1)` points outwards.
#[derive(Clone, Debug, PartialEq)]
pub struct TriMesh {
    /// Vertex positions, in file order.
    pub vertices: Vec<Vec3>,
    /// Triangles as 0-based vertex indices.
    pub faces: Vec<[usize; 3]>,
}

impl TriMesh {
    /// Builds a mesh, checking that coordinates are finite, every face index is in range and
    /// no face repeats a vertex.
    pub fn new(vertices: Vec<Vec3>, faces: Vec<[usize; 3]>) -> Result<Self> {
        if vertices.is_empty() {
            return Err(Error::Empty("mesh without vertices".into()));
        }
        if let Some(i) = vertices.iter().position(|v| !v.iter().all(|c| c.is_finite())) {
            return Err(Error::NonFinite {
                what: "mesh vertices".into(),
                detail: format!("vertex {i} is {:?}", vertices[i].as_slice()),
            });
        }
        let n = vertices.len();
        for (k, f) in faces.iter().enumerate() {
            if let Some(&bad) = f.iter().find(|&&i| i >= n) {
                return Err(Error::Shape(format!(
                    "face {k} uses vertex {bad} (0-based) but the mesh has {n} vertices"
                )));
            }
            if f[0] == f[1] || f[1] == f[2] || f[0] == f[2] {
                return Err(Error::Shape(format!("face {k} repeats a vertex: {f:?}")));
            }
        }
        Ok(TriMesh { vertices, faces })
    }

    /// Number of vertices.
    pub fn n_vertices(&self) -> usize {
        self.vertices.len()
    }

    /// Number of triangles.
    pub fn n_faces(&self) -> usize {
        self.faces.len()
    }

    /// The undirected edges `(a, b)` with `a < b`, each once, sorted.
    pub fn edges(&self) -> Vec<(usize, usize)> {
        let mut edges: Vec<(usize, usize)> = self
            .faces
            .iter()
            .flat_map(|f| [(f[0], f[1]), (f[1], f[2]), (f[2], f[0])])
            .map(|(a, b)| (a.min(b), a.max(b)))
            .collect();
        edges.sort_unstable();
        edges.dedup();
        edges
    }

    /// Unit face normals `f = normalize((r2 − r1) × (r3 − r1))`; zero for a face of zero area.
    pub fn face_normals(&self) -> Vec<Vec3> {
        self.faces
            .iter()
            .map(|f| {
                let (r1, r2, r3) = (self.vertices[f[0]], self.vertices[f[1]], self.vertices[f[2]]);
                normalize_or_zero((r2 - r1).cross(&(r3 - r1)))
            })
            .collect()
    }

    /// Vertex normals as MNE computes them: `n_i = normalize(Σ f)` over the unit normals `f`
    /// of the faces containing vertex i (not area weighted). A vertex in no face (or whose
    /// face normals cancel) gets the zero vector.
    pub fn vertex_normals(&self) -> Vec<Vec3> {
        let mut sums = vec![Vec3::zeros(); self.vertices.len()];
        for (f, nf) in self.faces.iter().zip(self.face_normals()) {
            for &i in f {
                sums[i] += nf;
            }
        }
        sums.into_iter().map(normalize_or_zero).collect()
    }

    /// Mean of the vertex positions.
    pub fn centroid(&self) -> Vec3 {
        let sum: Vec3 = self.vertices.iter().sum();
        sum / self.vertices.len() as f64
    }
}

/// `v / |v|`, or zero when `|v| = 0`.
fn normalize_or_zero(v: Vec3) -> Vec3 {
    let norm = v.norm();
    if norm > 0.0 {
        v / norm
    } else {
        Vec3::zeros()
    }
}
