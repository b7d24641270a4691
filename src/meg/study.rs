//! The per-subject operators of the MEG study (paper §4.3) built from the template data: T
//! subjects drawn from a [`SubjectDistribution`], their fixed-orientation lead fields on one
//! source space, the geodesic ground metric and the simulation regions.
//!
//! * lead fields `X_t`: 204 × p, T/m per A·m, channels in sensor-table order (MEG.md §2);
//! * ground metric M: p × p geodesic distances on the ico-4 lh white mesh, in **metres**
//!   (MEG.md §5);
//! * regions: farthest-point sampling + geodesic Voronoi cells computed on M in **mm** (ties
//!   stay as in `meg_regions_fps11.json`, MEG.md §6), 11 by default.
//!
//! The same seed always gives the same subjects ([`SubjectDistribution::draw`]).

use std::path::PathBuf;

use nalgebra::DMatrix;
use rayon::prelude::*;

use super::ground_metric::geodesic_distances;
use super::placement::{GradiometerArray, HeadPlacement};
use super::regions::{farthest_point_regions, Regions};
use super::regions_csv::RegionTable;
use super::source_space::{SourceSpace, SourceSpaceKind};
use super::subjects::{Subject, SubjectDistribution};
use super::LH_WHITE_ICO4_OBJ;
use crate::error::{Error, Result};
use crate::geometry::read_obj;

/// Number of simulation regions in the paper.
pub const PAPER_N_REGIONS: usize = 11;

/// How to build the study's operators.
#[derive(Clone, Debug, PartialEq)]
pub struct StudyOptions {
    /// Source space (default: the recommended p = 2102 list).
    pub source_space: SourceSpaceKind,
    /// Head positions and scales of the subjects.
    pub subjects: SubjectDistribution,
    /// Number of regions K (default 11).
    pub n_regions: usize,
    /// Folder holding the vendored data files.
    pub data_dir: PathBuf,
}

impl Default for StudyOptions {
    fn default() -> Self {
        StudyOptions {
            source_space: SourceSpaceKind::Recommended,
            subjects: SubjectDistribution::default(),
            n_regions: PAPER_N_REGIONS,
            data_dir: super::default_data_dir(),
        }
    }
}

/// The operators of one study.
#[derive(Clone, Debug)]
pub struct MegStudySetup {
    /// The T subjects, subject t from stream t of the seed.
    pub subjects: Vec<Subject>,
    /// The sources (template positions, before any head scaling).
    pub sources: SourceSpace,
    /// Lead field of each subject, 204 × p, T/m per A·m.
    pub leadfields: Vec<DMatrix<f64>>,
    /// Ground metric, p × p, metres.
    pub metric_m: DMatrix<f64>,
    /// The regions (seeds and labels index the source space).
    pub regions: Regions,
}

impl MegStudySetup {
    /// The regions as a `regions.csv` table (fsaverage5 vertex numbers).
    pub fn region_table(&self) -> Result<RegionTable> {
        RegionTable::new(self.sources.vertices.clone(), self.regions.labels.clone())
    }
}

/// Draws `n_subjects` subjects of `seed` and builds their operators (module doc). Lead fields
/// are computed in parallel over sources.
pub fn study_setup(seed: u64, n_subjects: usize, options: &StudyOptions) -> Result<MegStudySetup> {
    if n_subjects == 0 {
        return Err(Error::Empty("no subjects requested".into()));
    }
    let subjects = options.subjects.draw_many(seed, n_subjects)?;
    let sources = SourceSpace::load(&options.data_dir, options.source_space)?;
    let array = GradiometerArray::load(&options.data_dir)?;
    let leadfields = subjects
        .iter()
        .map(|s| HeadPlacement::of_subject(s)?.leadfield(&array, &sources))
        .collect::<Result<Vec<_>>>()?;
    let (metric_m, regions) = metric_and_regions(&options.data_dir, &sources, options.n_regions)?;
    Ok(MegStudySetup { subjects, sources, leadfields, metric_m, regions })
}

/// The ico-4 geodesic metric of the sources in metres and its `n_regions` FPS regions
/// (computed on the metric in mm).
pub fn metric_and_regions(
    data_dir: &std::path::Path,
    sources: &SourceSpace,
    n_regions: usize,
) -> Result<(DMatrix<f64>, Regions)> {
    let mesh = read_obj(data_dir.join(LH_WHITE_ICO4_OBJ))?;
    let metric_mm = geodesic_distances(&mesh, &sources.vertices)?;
    let regions = farthest_point_regions(&metric_mm, n_regions)?;
    let mut metric_m = metric_mm;
    metric_m.as_mut_slice().par_iter_mut().for_each(|d| *d /= 1000.0);
    Ok((metric_m, regions))
}
