//! `regions.csv`: the region of each source, one row per source in source order, with the
//! columns `index` (0-based position in the source space, 0, 1, 2, … in order), `vertex`
//! (fsaverage5 vertex number, or any vertex id for user data) and `region` (0-based label).
//! Labels must cover `0..K` with no empty region.

use std::path::Path;

use super::csv_table::CsvTable;
use crate::error::{Error, Result};

/// The columns of `regions.csv`, in order.
pub const REGION_COLUMNS: [&str; 3] = ["index", "vertex", "region"];

/// The content of a `regions.csv` file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegionTable {
    /// Vertex id of each source.
    pub vertices: Vec<usize>,
    /// Region label of each source, in `0..K`.
    pub labels: Vec<usize>,
}

impl RegionTable {
    /// Builds a table, checking equal lengths, at least one source and labels covering
    /// `0..K` without an empty region.
    pub fn new(vertices: Vec<usize>, labels: Vec<usize>) -> Result<Self> {
        if vertices.len() != labels.len() {
            return Err(Error::Shape(format!(
                "{} vertices but {} region labels",
                vertices.len(),
                labels.len()
            )));
        }
        let n_regions = labels
            .iter()
            .max()
            .map(|&m| m + 1)
            .ok_or_else(|| Error::Empty("region table without sources".into()))?;
        let mut sizes = vec![0usize; n_regions];
        labels.iter().for_each(|&l| sizes[l] += 1);
        if let Some(r) = sizes.iter().position(|&s| s == 0) {
            return Err(Error::parameter(
                "region labels",
                format!("region {r} of 0..{n_regions}"),
                "labels must cover 0..K with no empty region",
            ));
        }
        Ok(RegionTable { vertices, labels })
    }

    /// Number of sources.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// Never true for a table built by [`RegionTable::new`] or [`read_regions_csv`].
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// Number of regions K.
    pub fn n_regions(&self) -> usize {
        self.labels.iter().max().map_or(0, |&m| m + 1)
    }
}

/// Writes `regions.csv` (atomically).
pub fn write_regions_csv(path: &Path, table: &RegionTable) -> Result<()> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    let fail = |e: csv::Error| Error::format(path, format!("cannot write CSV ({e})"));
    writer.write_record(REGION_COLUMNS).map_err(fail)?;
    for (i, (v, l)) in table.vertices.iter().zip(&table.labels).enumerate() {
        writer.write_record([i.to_string(), v.to_string(), l.to_string()]).map_err(fail)?;
    }
    let bytes = writer.into_inner().map_err(|e| Error::format(path, format!("{e}")))?;
    crate::io::atomic::write_atomic(path, &bytes)
}

/// Reads `regions.csv`: the `index` column must be 0, 1, 2, … in row order, and the labels
/// must cover `0..K` with no empty region.
pub fn read_regions_csv(path: &Path) -> Result<RegionTable> {
    let table = CsvTable::read(path, &REGION_COLUMNS)?;
    let (mut vertices, mut labels) = (Vec::new(), Vec::new());
    for row in table.rows() {
        let index = row.integer("index")? as usize;
        if index != row.index {
            return Err(row.error(format!("index {index} where {} was expected", row.index)));
        }
        vertices.push(row.integer("vertex")? as usize);
        labels.push(row.integer("region")? as usize);
    }
    if labels.is_empty() {
        return Err(Error::format(path, "no rows"));
    }
    RegionTable::new(vertices, labels).map_err(|e| Error::format(path, e.to_string()))
}
