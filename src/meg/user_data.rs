//! Operators supplied by the user (`--leadfield DIR`) instead of the template setup:
//!
//! | file | content |
//! |---|---|
//! | `X.npy` | lead fields, T × n × p, float64 or float32, C order |
//! | `metric.npy` | ground metric, p × p, finite and non-negative (any unit) |
//! | `regions.csv` | optional, columns `index, vertex, region` ([`super::regions_csv`]) |
//!
//! Without `regions.csv`, the regions are the farthest-point Voronoi cells of the metric
//! ([`farthest_point_regions`]) with `min(n_regions, p)` seeds and vertex ids `0..p`.

use std::path::Path;

use nalgebra::DMatrix;

use super::regions::farthest_point_regions;
use super::regions_csv::{read_regions_csv, RegionTable};
use crate::error::{Error, Result};
use crate::io::npy;

/// The operators read from a folder.
#[derive(Clone, Debug)]
pub struct UserLeadfields {
    /// T lead fields n × p.
    pub leadfields: Vec<DMatrix<f64>>,
    /// Ground metric p × p.
    pub metric: DMatrix<f64>,
    /// Region of each source (from `regions.csv`, or computed).
    pub regions: RegionTable,
    /// Whether the regions came from `regions.csv`.
    pub regions_from_file: bool,
}

/// Reads and checks `X.npy`, `metric.npy` and (if present) `regions.csv` from `dir`.
pub fn load_leadfield_dir(dir: &Path, n_regions: usize) -> Result<UserLeadfields> {
    let x_path = dir.join("X.npy");
    let leadfields = npy::read(&x_path)?.to_matrices::<f64>(&x_path, "X (T x n x p)")?;
    let (n, p) = leadfields.first().map_or((0, 0), |x| x.shape());
    if leadfields.is_empty() || n == 0 || p == 0 {
        return Err(Error::Empty(format!(
            "{}: X has shape ({}, {n}, {p}); every axis must be >= 1",
            x_path.display(),
            leadfields.len()
        )));
    }
    for (t, x) in leadfields.iter().enumerate() {
        crate::validate::finite_matrix(&format!("{} task {t}", x_path.display()), x)?;
    }

    let m_path = dir.join("metric.npy");
    let metric = npy::read(&m_path)?.to_matrix::<f64>(&m_path, "the metric (p x p)")?;
    if metric.shape() != (p, p) {
        return Err(Error::Shape(format!(
            "{}: the metric is {} x {} but X has p = {p} sources",
            m_path.display(),
            metric.nrows(),
            metric.ncols()
        )));
    }
    crate::validate::nonnegative_matrix(&m_path.display().to_string(), &metric)?;

    let r_path = dir.join("regions.csv");
    let (regions, regions_from_file) = if r_path.exists() {
        let table = read_regions_csv(&r_path)?;
        if table.len() != p {
            return Err(Error::Shape(format!(
                "{}: {} rows but X has p = {p} sources",
                r_path.display(),
                table.len()
            )));
        }
        (table, true)
    } else {
        if n_regions == 0 {
            return Err(Error::parameter("n_regions", 0, "must be >= 1"));
        }
        let fps = farthest_point_regions(&metric, n_regions.min(p))?;
        (RegionTable::new((0..p).collect(), fps.labels)?, false)
    };
    Ok(UserLeadfields { leadfields, metric, regions, regions_from_file })
}
