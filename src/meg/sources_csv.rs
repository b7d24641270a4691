//! `sources.csv`: one row per source with the columns `index` (0-based position), `vertex`
//! (fsaverage5 vertex number), `x, y, z` (position, head frame, m) and `nx, ny, nz` (unit
//! normal, head frame). Values are written in Rust's shortest round-trip form.

use std::path::Path;

use crate::error::{Error, Result};
use crate::geometry::Vec3;

/// The columns of `sources.csv`, in order.
pub const SOURCE_COLUMNS: [&str; 8] = ["index", "vertex", "x", "y", "z", "nx", "ny", "nz"];

/// Writes `sources.csv` (atomically); the three slices must have the same length.
pub fn write_sources_csv(path: &Path, vertices: &[usize], rr: &[Vec3], nn: &[Vec3]) -> Result<()> {
    if rr.len() != vertices.len() || nn.len() != vertices.len() {
        return Err(Error::Shape(format!(
            "{} vertices, {} positions and {} normals",
            vertices.len(),
            rr.len(),
            nn.len()
        )));
    }
    let mut writer = csv::Writer::from_writer(Vec::new());
    let fail = |e: csv::Error| Error::format(path, format!("cannot write CSV ({e})"));
    writer.write_record(SOURCE_COLUMNS).map_err(fail)?;
    for (i, ((v, r), n)) in vertices.iter().zip(rr).zip(nn).enumerate() {
        let mut record = vec![i.to_string(), v.to_string()];
        record.extend(r.iter().chain(n.iter()).map(|c| c.to_string()));
        writer.write_record(&record).map_err(fail)?;
    }
    let bytes = writer.into_inner().map_err(|e| Error::format(path, format!("{e}")))?;
    crate::io::atomic::write_atomic(path, &bytes)
}
