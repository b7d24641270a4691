//! A small CSV reader for the sensor and coil tables: named columns, typed errors that give
//! the file, the line and the column.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::geometry::Vec3;

/// A CSV file with a header line, read fully into memory.
pub(crate) struct CsvTable {
    path: PathBuf,
    header: Vec<String>,
    rows: Vec<csv::StringRecord>,
}

/// One data row of a [`CsvTable`]; `index` is 0-based among data rows (header excluded).
pub(crate) struct CsvRow<'a> {
    table: &'a CsvTable,
    pub index: usize,
    record: &'a csv::StringRecord,
}

impl CsvTable {
    /// Reads the file and checks that every named column exists.
    pub fn read(path: &Path, required: &[&str]) -> Result<Self> {
        let text = std::fs::read(path).map_err(|e| Error::io(path, e))?;
        let mut reader = csv::ReaderBuilder::new().has_headers(true).from_reader(&text[..]);
        let header: Vec<String> = reader
            .headers()
            .map_err(|e| Error::format(path, format!("bad header: {e}")))?
            .iter()
            .map(|s| s.trim().to_string())
            .collect();
        for name in required {
            if !header.iter().any(|h| h == name) {
                return Err(Error::format(path, format!("missing column {name:?}")));
            }
        }
        let rows = reader
            .records()
            .collect::<std::result::Result<Vec<_>, _>>()
            .map_err(|e| Error::format(path, format!("bad row: {e}")))?;
        Ok(CsvTable { path: path.to_path_buf(), header, rows })
    }

    /// The data rows in file order.
    pub fn rows(&self) -> impl Iterator<Item = CsvRow<'_>> {
        self.rows.iter().enumerate().map(move |(index, record)| CsvRow {
            table: self,
            index,
            record,
        })
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl CsvRow<'_> {
    /// The raw text of a column (trimmed).
    pub fn text(&self, column: &str) -> Result<&str> {
        let j = self.table.header.iter().position(|h| h == column).unwrap_or(usize::MAX);
        self.record.get(j).map(str::trim).ok_or_else(|| {
            self.error(format!("has {} fields, column {column:?} is missing", self.record.len()))
        })
    }

    /// A finite number.
    pub fn number(&self, column: &str) -> Result<f64> {
        let s = self.text(column)?;
        match s.parse::<f64>() {
            Ok(v) if v.is_finite() => Ok(v),
            _ => Err(self.error(format!("column {column:?}: {s:?} is not a finite number"))),
        }
    }

    /// A non-negative integer.
    pub fn integer(&self, column: &str) -> Result<u32> {
        let s = self.text(column)?;
        s.parse::<u32>()
            .map_err(|_| self.error(format!("column {column:?}: {s:?} is not an integer")))
    }

    /// Three numbers from the columns `names[0..3]`.
    pub fn vec3(&self, names: [&str; 3]) -> Result<Vec3> {
        Ok(Vec3::new(self.number(names[0])?, self.number(names[1])?, self.number(names[2])?))
    }

    /// A format error naming the file and the line (the header is line 1).
    pub fn error(&self, reason: String) -> Error {
        let line = self.record.position().map_or(self.index + 2, |p| p.line() as usize);
        Error::format(&self.table.path, format!("line {line}: {reason}"))
    }
}
