//! The MEG source-localization setting of the paper's §4.3, built from public template data
//! (MEG.md): fsaverage5 cortical sources, the Neuromag VectorView gradiometers, a spherical
//! conductor (Sarvas), subjects that differ by head position, the geodesic ground metric and
//! 11 simulation regions.
//!
//! Frames: MRI (FreeSurfer surface RAS, the OBJ files in mm), head (Neuromag, where the sphere
//! origin lives) and device (the helmet, where the sensors are). Everything here is in metres
//! except the mesh files and the geodesic distances in mm where stated.

mod csv_table;

pub mod coils;
pub mod cortex_surface;
pub mod figure;
pub mod forward;
pub mod ground_metric;
pub mod placement;
pub mod regions;
pub mod regions_csv;
pub mod sensors;
pub mod source_space;
pub mod sources_csv;
pub mod study;
pub mod subjects;
pub mod transform;
pub mod user_data;

use std::path::PathBuf;

pub use coils::{read_coil_definition, CoilDefinition, IntegrationPoint, ACCURATE};
pub use cortex_surface::{CortexSurface, View};
pub use figure::{draw_panels, task_color, Marker, MarkerShape, Panel};
pub use forward::{ForwardModel, MU0_OVER_4PI, SPHERE_ORIGIN_HEAD};
pub use ground_metric::{geodesic_distances, ico4_ground_metric_m};
pub use placement::{GradiometerArray, HeadPlacement};
pub use regions::{farthest_point_regions, Regions};
pub use regions_csv::{read_regions_csv, write_regions_csv, RegionTable};
pub use sensors::{read_channels, read_gradiometers, Channel, PLANAR_GRADIOMETER};
pub use source_space::{SourceSpace, SourceSpaceKind};
pub use sources_csv::write_sources_csv;
pub use study::{study_setup, MegStudySetup, StudyOptions};
pub use subjects::{Subject, SubjectDistribution};
pub use transform::{Transform, HEAD_MRI_T};
pub use user_data::{load_leadfield_dir, UserLeadfields};

/// fsaverage5 lh white surface, 10242 vertices (mm, MRI frame).
pub const LH_WHITE_OBJ: &str = "fsaverage5_lh_white.obj";
/// Its ico-4 decimation, 2562 vertices (mm, MRI frame).
pub const LH_WHITE_ICO4_OBJ: &str = "fsaverage5_lh_white_ico4.obj";
/// 0-based lh medial-wall vertices.
pub const LH_MEDIAL_WALL: &str = "fsaverage5_lh_medial_wall.txt";
/// The VectorView sensor table (device frame).
pub const SENSORS_CSV: &str = "neuromag306_sensors.csv";
/// The coil integration rules.
pub const COIL_DEFS_CSV: &str = "vectorview_coil_defs.csv";

/// The crate's vendored `data/` folder (where the crate was built from).
pub fn default_data_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("data")
}
