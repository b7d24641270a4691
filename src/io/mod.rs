//! File input and output: numpy `.npy` arrays, atomic file writes and output folders.

use std::path::Path;

use crate::error::{Error, Result};

pub mod atomic;
pub mod npy;

/// Creates the output folder `dir` and its parents. A file (or anything but a folder) already
/// at that path or at one of its parents is refused with [`Error::Parameter`] naming it, rather than the system's
/// "File exists".
pub fn create_out_dir(dir: &Path) -> Result<()> {
    // The folder itself, or a parent of it, may be a file.
    if let Some(file) = dir.ancestors().find(|a| a.exists() && !a.is_dir()) {
        let reason = if file == dir {
            "exists and is not a folder; give another --out".to_string()
        } else {
            format!("lies under {}, which is not a folder; give another --out", file.display())
        };
        return Err(Error::parameter("output folder", dir.display(), &reason));
    }
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))
}
