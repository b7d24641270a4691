//! The study's operators: per-subject lead fields, the ground metric and the regions, either
//! from the template setup ([`mtw::meg::study_setup`]) or from a `--leadfield` folder
//! ([`mtw::meg::load_leadfield_dir`]), optionally reduced to every k-th source.

use std::path::Path;

use nalgebra::DMatrix;
use serde::Serialize;

use mtw::meg::{
    load_leadfield_dir, study_setup, RegionTable, SourceSpaceKind, StudyOptions,
    SubjectDistribution,
};
use mtw::{Error, Result};

/// Number of simulation regions (paper §4.3).
pub const N_REGIONS: usize = 11;

/// What identifies the operators in an experiment's fingerprint.
#[derive(Serialize, Clone, Debug, PartialEq)]
pub struct OperatorsId {
    /// `template` (fsaverage5, sphere model, simulated head positions) or `leadfield`.
    pub source: String,
    /// Template: source space and subject distribution; user data: the files' FNV-1a hashes.
    pub detail: String,
    /// Every `stride`-th source is kept (1 = all).
    pub stride: usize,
}

impl OperatorsId {
    /// The identity of the template operators (subjects come from the study seed).
    pub fn template(
        sources: SourceSpaceKind,
        subjects: &SubjectDistribution,
        stride: usize,
    ) -> Self {
        OperatorsId {
            source: "template".into(),
            detail: format!(
                "fsaverage5 {}, {N_REGIONS} FPS regions, Sarvas sphere, 204 gradiometers, \
                 subjects {subjects:?} drawn from the study seed",
                sources.name()
            ),
            stride,
        }
    }

    /// The identity of a `--leadfield` folder: the hashes of its files.
    pub fn user(dir: &Path, stride: usize) -> Result<Self> {
        let mut parts = Vec::new();
        for name in ["X.npy", "metric.npy", "regions.csv"] {
            let path = dir.join(name);
            if name == "regions.csv" && !path.exists() {
                parts.push("no regions.csv".to_string());
                continue;
            }
            let bytes = std::fs::read(&path).map_err(|e| Error::io(&path, e))?;
            parts.push(format!("{name} fnv1a64 {:016x}", fnv1a64(&bytes)));
        }
        Ok(OperatorsId { source: "leadfield".into(), detail: parts.join(", "), stride })
    }
}

/// 64-bit FNV-1a hash of some bytes.
fn fnv1a64(bytes: &[u8]) -> u64 {
    bytes
        .iter()
        .fold(0xcbf2_9ce4_8422_2325_u64, |h, &b| (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3))
}

/// The operators an experiment runs on.
#[derive(Clone, Debug)]
pub struct Operators {
    /// Lead field of each available subject (n × p), physical units (T/m per A·m for the
    /// template; the user's units otherwise).
    pub leadfields: Vec<DMatrix<f64>>,
    /// Ground metric p × p (metres for the template), before median normalisation.
    pub metric: DMatrix<f64>,
    /// Vertex id and region of each source.
    pub regions: RegionTable,
    /// Whether the vertex ids are fsaverage5 vertex numbers (the cortex figure needs them).
    pub fsaverage_vertices: bool,
}

impl Operators {
    /// The template operators for `n_subjects` subjects of `seed`.
    pub fn template(
        seed: u64,
        n_subjects: usize,
        sources: SourceSpaceKind,
        subjects: SubjectDistribution,
        stride: usize,
    ) -> Result<Self> {
        let options = StudyOptions {
            source_space: sources,
            subjects,
            n_regions: N_REGIONS,
            ..Default::default()
        };
        let setup = study_setup(seed, n_subjects, &options)?;
        let regions = setup.region_table()?;
        Operators {
            leadfields: setup.leadfields,
            metric: setup.metric_m,
            regions,
            fsaverage_vertices: true,
        }
        .decimated(stride)
    }

    /// The operators of a `--leadfield` folder.
    pub fn user(dir: &Path, stride: usize) -> Result<Self> {
        let user = load_leadfield_dir(dir, N_REGIONS)?;
        Operators {
            leadfields: user.leadfields,
            metric: user.metric,
            regions: user.regions,
            fsaverage_vertices: false,
        }
        .decimated(stride)
    }

    /// Number of sources p.
    pub fn n_sources(&self) -> usize {
        self.regions.len()
    }

    /// Number of regions K.
    pub fn n_regions(&self) -> usize {
        self.regions.n_regions()
    }

    /// The first `n_tasks` lead fields, or an error naming what asked for them.
    pub fn first(&self, n_tasks: usize, what: &str) -> Result<&[DMatrix<f64>]> {
        self.leadfields.get(..n_tasks).ok_or_else(|| {
            Error::parameter(
                what,
                n_tasks,
                &format!(
                    "needs {n_tasks} tasks but only {} lead fields are available",
                    self.leadfields.len()
                ),
            )
        })
    }

    /// Keeps sources 0, k, 2k, …: columns of the lead fields, rows and columns of the metric,
    /// entries of the region table (which must keep every region non-empty).
    fn decimated(self, stride: usize) -> Result<Self> {
        if stride <= 1 {
            return Ok(self);
        }
        let keep: Vec<usize> = (0..self.n_sources()).step_by(stride).collect();
        let leadfields = self.leadfields.iter().map(|x| x.select_columns(&keep)).collect();
        let metric = self.metric.select_rows(&keep).select_columns(&keep);
        let vertices = keep.iter().map(|&j| self.regions.vertices[j]).collect();
        let labels = keep.iter().map(|&j| self.regions.labels[j]).collect();
        let regions = RegionTable::new(vertices, labels).map_err(|e| {
            Error::parameter("source-stride", stride, &format!("leaves a region empty ({e})"))
        })?;
        Ok(Operators { leadfields, metric, regions, fsaverage_vertices: self.fsaverage_vertices })
    }
}
