//! The crate's error type: every way user input can be rejected, with a message naming the
//! problem. The library never panics on user input; the CLI prints the message and exits 2.

use thiserror::Error;

/// Everything that can go wrong in the library.
#[derive(Debug, Error)]
pub enum Error {
    /// Arrays whose shapes disagree, e.g. `"X[1] has 12 rows but Y[1] has 10 entries"`.
    #[error("shape mismatch: {0}")]
    Shape(String),

    /// A NaN or infinite entry in an input array.
    #[error("non-finite value in {what}: {detail}")]
    NonFinite { what: String, detail: String },

    /// A negative entry where only non-negative values make sense (ground metric, masses).
    #[error("negative value in {what}: {detail}")]
    Negative { what: String, detail: String },

    /// A parameter outside its domain, e.g. `epsilon = 0`.
    #[error("invalid parameter {name} = {value}: {reason}")]
    Parameter { name: String, value: String, reason: String },

    /// An empty problem (no tasks, no samples or no features).
    #[error("empty input: {0}")]
    Empty(String),

    /// A quantity that should be finite became NaN or infinite during a solve.
    #[error("numerical failure: {0}")]
    Numerical(String),

    /// A file that could not be read or written.
    #[error("{path}: {source}")]
    Io { path: String, source: std::io::Error },

    /// A file whose content is not what was expected (wrong dtype, bad header, bad row).
    #[error("{path}: {reason}")]
    Format { path: String, reason: String },
}

/// Result alias used across the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// Builds an [`Error::Parameter`].
    pub fn parameter(name: &str, value: impl std::fmt::Display, reason: &str) -> Self {
        Error::Parameter { name: name.into(), value: value.to_string(), reason: reason.into() }
    }

    /// Builds an [`Error::Io`] from a path and an I/O error.
    pub fn io(path: impl AsRef<std::path::Path>, source: std::io::Error) -> Self {
        Error::Io { path: path.as_ref().display().to_string(), source }
    }

    /// Builds an [`Error::Format`].
    pub fn format(path: impl AsRef<std::path::Path>, reason: impl Into<String>) -> Self {
        Error::Format { path: path.as_ref().display().to_string(), reason: reason.into() }
    }
}
