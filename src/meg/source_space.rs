//! Cortical source spaces on the fsaverage5 left hemisphere (MEG.md §2 and §4).
//!
//! A source space is a list of fsaverage5 vertices. Each source sits at its white-surface
//! vertex, `rr_mri = v / 1000` (the OBJ is in mm), `rr_head = T(mri→head) rr_mri`, and is
//! oriented along the vertex normal of the **full** 10242-vertex mesh
//! ([`TriMesh::vertex_normals`]), `nn_head = R(mri→head) n` (not renormalised).

use std::path::Path;

use super::transform::Transform;
use super::LH_WHITE_OBJ;
use crate::error::{Error, Result};
use crate::geometry::{parse_index_list, read_obj, TriMesh, Vec3};

/// The vendored vertex lists (see the headers of the two files in `data/`).
const RECOMMENDED_LIST: &str = include_str!("../../data/fsaverage5_lh_ico4_cortex_mindist10.txt");
const ALTERNATIVE_LIST: &str = include_str!("../../data/fsaverage5_lh_ico4_cortex.txt");

/// Which vendored vertex list to use.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SourceSpaceKind {
    /// `ico4-lh-cortex-mindist10`, p = 2102: ico-4 lh minus the medial wall minus the
    /// vertices within 10 mm of fsaverage's inner skull (closest to the paper's p = 2101).
    Recommended,
    /// `ico4-lh-cortex`, p = 2361: ico-4 lh minus the medial wall.
    Alternative,
}

impl SourceSpaceKind {
    /// The list's name, as in `meg_source_space.json`.
    pub fn name(self) -> &'static str {
        match self {
            SourceSpaceKind::Recommended => "ico4-lh-cortex-mindist10",
            SourceSpaceKind::Alternative => "ico4-lh-cortex",
        }
    }

    /// The 0-based fsaverage5 vertex numbers, ascending.
    pub fn vertices(self) -> Result<Vec<usize>> {
        let (text, file) = match self {
            SourceSpaceKind::Recommended => {
                (RECOMMENDED_LIST, "data/fsaverage5_lh_ico4_cortex_mindist10.txt")
            }
            SourceSpaceKind::Alternative => {
                (ALTERNATIVE_LIST, "data/fsaverage5_lh_ico4_cortex.txt")
            }
        };
        parse_index_list(text, file)
    }
}

/// Sources with positions (m) and unit normals in the MRI and head frames.
#[derive(Clone, Debug)]
pub struct SourceSpace {
    /// A short name of the vertex selection.
    pub name: String,
    /// fsaverage5 vertex number of each source.
    pub vertices: Vec<usize>,
    /// Positions in the MRI frame (m).
    pub rr_mri: Vec<Vec3>,
    /// Normals in the MRI frame.
    pub nn_mri: Vec<Vec3>,
    /// Positions in the head frame (m).
    pub rr_head: Vec<Vec3>,
    /// Normals in the head frame.
    pub nn_head: Vec<Vec3>,
}

impl SourceSpace {
    /// Reads `fsaverage5_lh_white.obj` from `data_dir` and selects a vendored vertex list,
    /// using fsaverage's MRI → head transform.
    pub fn load(data_dir: impl AsRef<Path>, kind: SourceSpaceKind) -> Result<Self> {
        let mesh = read_obj(data_dir.as_ref().join(LH_WHITE_OBJ))?;
        Self::from_mesh(kind.name(), &mesh, &kind.vertices()?, &Transform::mri_head())
    }

    /// Sources at `vertices` of a white-surface mesh given in **mm** (MRI frame); normals are
    /// computed on the whole mesh.
    pub fn from_mesh(
        name: &str,
        mesh_mm: &TriMesh,
        vertices: &[usize],
        mri_head_t: &Transform,
    ) -> Result<Self> {
        if vertices.is_empty() {
            return Err(Error::Empty(format!("source space {name:?} has no vertices")));
        }
        if let Some(&v) = vertices.iter().find(|&&v| v >= mesh_mm.n_vertices()) {
            return Err(Error::Shape(format!(
                "source space {name:?} uses vertex {v} but the mesh has {} vertices",
                mesh_mm.n_vertices()
            )));
        }
        let normals = mesh_mm.vertex_normals();
        let rr_mri: Vec<Vec3> = vertices.iter().map(|&v| mesh_mm.vertices[v] / 1000.0).collect();
        let nn_mri: Vec<Vec3> = vertices.iter().map(|&v| normals[v]).collect();
        if let Some(k) = nn_mri.iter().position(|n| n.norm() == 0.0) {
            return Err(Error::Numerical(format!(
                "vertex {} has no normal (it belongs to no face of positive area)",
                vertices[k]
            )));
        }
        let rr_head = rr_mri.iter().map(|r| mri_head_t.apply_point(r)).collect();
        let nn_head = nn_mri.iter().map(|n| mri_head_t.apply_vector(n)).collect();
        Ok(SourceSpace {
            name: name.into(),
            vertices: vertices.to_vec(),
            rr_mri,
            nn_mri,
            rr_head,
            nn_head,
        })
    }

    /// Number of sources p.
    pub fn n_sources(&self) -> usize {
        self.vertices.len()
    }
}
