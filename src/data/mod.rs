//! Vendored real data sets and the preprocessing the studies apply to them.
//!
//! - [`mfeat`]: the UCI "Multiple Features" pixel set (handwritten digits, 15 × 16 images);
//! - [`split`]: seeded class-stratified training / validation splits;
//! - [`standardize`]: per-feature standardisation with statistics of the training rows only.

pub mod mfeat;
pub mod split;
pub mod standardize;

pub use mfeat::MfeatPix;
pub use split::{stratified_split, Split};
pub use standardize::Standardizer;

use std::path::PathBuf;

/// The folder of the vendored data files (`data/` of the crate).
pub fn default_data_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("data")
}
