//! Atomic file replacement: write a temporary file in the target's folder, then rename it over
//! the target, so a reader (or a kill) never sees a half-written summary, chart or run.json.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// A temporary path beside `path`, keeping its extension (image encoders pick the format from
/// it): `dir/.name.tmp-<pid>.ext`.
pub fn temp_path_for(path: &Path) -> PathBuf {
    let dir = path.parent().unwrap_or_else(|| Path::new("."));
    let stem = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    let ext = path.extension().map(|e| format!(".{}", e.to_string_lossy())).unwrap_or_default();
    dir.join(format!(".{stem}.tmp-{}{ext}", std::process::id()))
}

/// Writes `bytes` to `path` atomically (temporary file, sync, rename).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    write_atomic_with(path, |tmp| {
        let mut file = fs::File::create(tmp).map_err(|e| Error::io(tmp, e))?;
        file.write_all(bytes).map_err(|e| Error::io(tmp, e))?;
        file.sync_all().map_err(|e| Error::io(tmp, e))
    })
}

/// Lets `write` create the file at a temporary path, then renames it to `path`; the temporary
/// file is removed if `write` fails.
///
/// When the new bytes equal the file already at `path`, the file is left untouched (same
/// modification time), so that rerunning a finished study changes nothing on disk.
pub fn write_atomic_with(path: &Path, write: impl FnOnce(&Path) -> Result<()>) -> Result<()> {
    let tmp = temp_path_for(path);
    if let Err(e) = write(&tmp) {
        let _ = fs::remove_file(&tmp);
        return Err(e);
    }
    if same_bytes(&tmp, path) {
        return fs::remove_file(&tmp).map_err(|e| Error::io(&tmp, e));
    }
    fs::rename(&tmp, path).map_err(|e| {
        let _ = fs::remove_file(&tmp);
        Error::io(path, e)
    })
}

/// Whether both files can be read and hold the same bytes.
fn same_bytes(a: &Path, b: &Path) -> bool {
    let same_length = match (fs::metadata(a), fs::metadata(b)) {
        (Ok(x), Ok(y)) => x.is_file() && y.is_file() && x.len() == y.len(),
        _ => false,
    };
    same_length && matches!((fs::read(a), fs::read(b)), (Ok(x), Ok(y)) if x == y)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_content_and_leaves_no_temporary() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("summary.csv");
        write_atomic(&path, b"old").unwrap();
        write_atomic(&path, b"new").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"new");
        let failed = write_atomic_with(&path, |tmp| {
            fs::write(tmp, b"partial").unwrap();
            Err(Error::Empty("simulated failure".into()))
        });
        assert!(failed.is_err());
        assert_eq!(fs::read(&path).unwrap(), b"new");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
        assert!(temp_path_for(&path).to_string_lossy().ends_with(".csv"));
    }

    #[test]
    fn identical_bytes_leave_the_file_and_its_time_untouched() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("trials.csv");
        write_atomic(&path, b"a,b\n1,2\n").unwrap();
        let old = std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_000_000);
        fs::File::options().write(true).open(&path).unwrap().set_modified(old).unwrap();

        write_atomic(&path, b"a,b\n1,2\n").unwrap();
        assert_eq!(fs::metadata(&path).unwrap().modified().unwrap(), old);
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);

        write_atomic(&path, b"a,b\n1,3\n").unwrap();
        assert_ne!(fs::metadata(&path).unwrap().modified().unwrap(), old);
        assert_eq!(fs::read(&path).unwrap(), b"a,b\n1,3\n");
    }
}
