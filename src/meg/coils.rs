//! Coil integration rules (`vectorview_coil_defs.csv`, from MNE's `coil_def.dat`).
//!
//! A coil's output is approximated by `Σ_k w_k B(p_k)·d_k` over a few points `p_k` of the
//! coil frame with directions `d_k` and weights `w_k`. For the planar gradiometer (3012)
//! the weights are ±1/baseline (1/m), so the output is a field gradient in T/m. Accuracy 2
//! ("accurate", 8 points) is what MNE's forward solution uses; accuracy 1 is already 1–2 %
//! off (MEG.md §3).

use std::path::Path;

use super::csv_table::CsvTable;
use crate::error::{Error, Result};
use crate::geometry::Vec3;

/// MNE's "accurate" integration rule.
pub const ACCURATE: u32 = 2;

/// One integration point, in the coil frame (m).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct IntegrationPoint {
    /// Weight `w_k` (1/m for a gradiometer).
    pub weight: f64,
    /// Position `(x, y, z)` in the coil frame (m).
    pub position: Vec3,
    /// Direction `(nx, ny, nz)` in the coil frame.
    pub direction: Vec3,
}

/// The integration rule of one coil type at one accuracy.
#[derive(Clone, Debug, PartialEq)]
pub struct CoilDefinition {
    /// Coil type code.
    pub coil_type: u32,
    /// Accuracy level (0, 1, 2).
    pub accuracy: u32,
    /// Points in the file's order.
    pub points: Vec<IntegrationPoint>,
}

const COLUMNS: [&str; 10] =
    ["coil_type", "accuracy", "point", "w", "x", "y", "z", "nx", "ny", "nz"];

/// Reads the integration rule of `coil_type` at `accuracy`; fails if the file has no such
/// rows.
pub fn read_coil_definition(
    path: impl AsRef<Path>,
    coil_type: u32,
    accuracy: u32,
) -> Result<CoilDefinition> {
    let table = CsvTable::read(path.as_ref(), &COLUMNS)?;
    let mut points = Vec::new();
    for row in table.rows() {
        if row.integer("coil_type")? != coil_type || row.integer("accuracy")? != accuracy {
            continue;
        }
        points.push(IntegrationPoint {
            weight: row.number("w")?,
            position: row.vec3(["x", "y", "z"])?,
            direction: row.vec3(["nx", "ny", "nz"])?,
        });
    }
    if points.is_empty() {
        return Err(Error::format(
            table.path(),
            format!("no rows with coil_type {coil_type} and accuracy {accuracy}"),
        ));
    }
    Ok(CoilDefinition { coil_type, accuracy, points })
}
