//! File input and output: numpy `.npy` arrays, atomic file writes and output folders.

use std::path::Path;

use crate::error::{Error, Result};

pub mod atomic;
pub mod npy;

/// Creates the output folder `dir` and its parents. A file (or anything but a folder) already
/// at that path is refused with [`Error::Parameter`] naming it, rather than the system's
/// "File exists".
pub fn create_out_dir(dir: &Path) -> Result<()> {
    if dir.exists() && !dir.is_dir() {
        return Err(Error::parameter(
            "output folder",
            dir.display(),
            "exists and is not a folder; give another --out",
        ));
    }
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))
}
