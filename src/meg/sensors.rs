//! The Neuromag VectorView sensor layout (`neuromag306_sensors.csv`, device frame, metres).

use std::path::Path;

use super::csv_table::CsvTable;
use crate::error::{Error, Result};
use crate::geometry::Vec3;

/// Coil type of the VectorView planar gradiometers (MNE's code 3012).
pub const PLANAR_GRADIOMETER: u32 = 3012;

/// Coil type of the VectorView magnetometers (MNE's code 3024).
pub const MAGNETOMETER: u32 = 3024;

/// One MEG channel: its coil frame in the device frame.
#[derive(Clone, Debug, PartialEq)]
pub struct Channel {
    /// Channel name, e.g. `"MEG 0113"`.
    pub name: String,
    /// Coil type code (3012 planar gradiometer, 3024 magnetometer).
    pub coil_type: u32,
    /// 0-based data row of the CSV file (header excluded).
    pub csv_row: usize,
    /// Coil origin (m).
    pub r0: Vec3,
    /// Coil axes as given in the file (not re-orthonormalised); `ez` is the coil normal.
    pub ex: Vec3,
    /// Second in-plane axis.
    pub ey: Vec3,
    /// Coil normal.
    pub ez: Vec3,
}

const COLUMNS: [&str; 14] = [
    "name",
    "coil_type",
    "x",
    "y",
    "z",
    "ex_x",
    "ex_y",
    "ex_z",
    "ey_x",
    "ey_y",
    "ey_z",
    "ez_x",
    "ez_y",
    "ez_z",
];

/// Reads every channel of the sensor CSV, in file order.
pub fn read_channels(path: impl AsRef<Path>) -> Result<Vec<Channel>> {
    let table = CsvTable::read(path.as_ref(), &COLUMNS)?;
    let channels: Vec<Channel> = table
        .rows()
        .map(|row| {
            Ok(Channel {
                name: row.text("name")?.to_string(),
                coil_type: row.integer("coil_type")?,
                csv_row: row.index,
                r0: row.vec3(["x", "y", "z"])?,
                ex: row.vec3(["ex_x", "ex_y", "ex_z"])?,
                ey: row.vec3(["ey_x", "ey_y", "ey_z"])?,
                ez: row.vec3(["ez_x", "ez_y", "ez_z"])?,
            })
        })
        .collect::<Result<_>>()?;
    if channels.is_empty() {
        return Err(Error::format(table.path(), "no channels"));
    }
    Ok(channels)
}

/// The planar gradiometers (coil type 3012) of the sensor CSV, in file order (204 for the
/// VectorView file).
pub fn read_gradiometers(path: impl AsRef<Path>) -> Result<Vec<Channel>> {
    let path = path.as_ref();
    let grads: Vec<Channel> =
        read_channels(path)?.into_iter().filter(|c| c.coil_type == PLANAR_GRADIOMETER).collect();
    if grads.is_empty() {
        return Err(Error::format(path, "no planar gradiometer (coil type 3012) rows"));
    }
    Ok(grads)
}
