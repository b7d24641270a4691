//! Lists of vertex indices stored one per line (`#` comments and blank lines allowed), as in
//! `fsaverage5_lh_medial_wall.txt` and the vendored source-space lists.

use std::path::Path;

use crate::error::{Error, Result};

/// Reads a list of 0-based indices from a file.
pub fn read_index_list(path: impl AsRef<Path>) -> Result<Vec<usize>> {
    let path = path.as_ref();
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    parse_index_list(&text, path)
}

/// Parses a list of 0-based indices; `source` names the input in error messages.
pub fn parse_index_list(text: &str, source: impl AsRef<Path>) -> Result<Vec<usize>> {
    let mut out = Vec::new();
    for (k, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let index = line.parse::<usize>().map_err(|_| {
            Error::format(&source, format!("line {}: {line:?} is not an index", k + 1))
        })?;
        out.push(index);
    }
    Ok(out)
}
