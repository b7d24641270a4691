//! The geodesic ground metric M between the sources (MEG.md §5).
//!
//! Recommended construction: the edge graph of the ico-4 lh white mesh
//! (`fsaverage5_lh_white_ico4.obj`, 2562 vertices, 7680 edges weighted by their Euclidean
//! length), exact shortest paths on the **whole** graph, then the rows and columns of the
//! source-space vertices: `M[i, j] = d(v_i, v_j)`. Paths may cross vertices outside the source
//! space (medial wall, dropped vertices). Row i comes from one Dijkstra run from `v_i`, so M is
//! symmetric up to rounding (the two directions may sum the same path in different orders).

use std::path::Path;

use nalgebra::DMatrix;

use super::LH_WHITE_ICO4_OBJ;
use crate::error::{Error, Result};
use crate::geometry::{distance_rows, read_obj, EdgeGraph, TriMesh};

/// `M[i, j]` = geodesic distance between `vertices[i]` and `vertices[j]` along the edges of
/// `mesh`, in the mesh's units (mm for the fsaverage5 files). Parallel over rows.
pub fn geodesic_distances(mesh: &TriMesh, vertices: &[usize]) -> Result<DMatrix<f64>> {
    if vertices.is_empty() {
        return Err(Error::Empty("no vertices for the ground metric".into()));
    }
    if let Some(&v) = vertices.iter().find(|&&v| v >= mesh.n_vertices()) {
        return Err(Error::Shape(format!(
            "vertex {v} requested but the mesh has {} vertices",
            mesh.n_vertices()
        )));
    }
    let rows = distance_rows(&EdgeGraph::from_mesh(mesh), vertices)?;
    let m = DMatrix::from_fn(vertices.len(), vertices.len(), |i, j| rows[(i, vertices[j])]);
    if let Some(k) = m.iter().position(|d| !d.is_finite()) {
        let (i, j) = (k % m.nrows(), k / m.nrows());
        return Err(Error::Numerical(format!(
            "vertices {} and {} are not connected in the mesh",
            vertices[i], vertices[j]
        )));
    }
    Ok(m)
}

/// The recommended ground metric in **metres**: geodesic distances on the ico-4 lh white mesh
/// read from `data_dir`, restricted to `vertices` (which must be ico-4 vertices, < 2562),
/// divided by 1000.
pub fn ico4_ground_metric_m(
    data_dir: impl AsRef<Path>,
    vertices: &[usize],
) -> Result<DMatrix<f64>> {
    let mesh = read_obj(data_dir.as_ref().join(LH_WHITE_ICO4_OBJ))?;
    Ok(geodesic_distances(&mesh, vertices)? / 1000.0)
}
