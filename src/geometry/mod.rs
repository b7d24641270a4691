//! Geometry shared by the simulations: triangle meshes (read from OBJ files), their vertex
//! normals, and exact geodesic distances along mesh edges.

pub mod geodesic;
pub mod index_list;
pub mod mesh;
pub mod obj;

pub use geodesic::{distance_rows, EdgeGraph};
pub use index_list::{parse_index_list, read_index_list};
pub use mesh::{TriMesh, Vec3};
pub use obj::{parse_obj, read_obj};
