//! The UCI "Multiple Features" pixel set (van Breukelen et al. 1998; file `mfeat-pix`):
//! 2000 handwritten digits '0'–'9', 200 per class in class order, each described by 240
//! averages of 2 × 3 pixel windows of a 30 × 48 binary image, stored as integers 0..6.
//!
//! # Pixel order
//!
//! The 240 values of a line are a 16-row × 15-column image in row-major order: value
//! `f = 15 r + c` is pixel (row r, column c), r = 0 at the top. This was determined from the
//! data by rendering each class's mean image (the digits come out upright and unmirrored with
//! this order, e.g. the bar of a '7' on top and the base of a '2' at the bottom), and it matches
//! the window counts: 30 / 2 = 15 columns, 48 / 3 = 16 rows. The matching separable ground
//! metric is a grid of shape `[16, 15]` (rows, columns; last axis fastest), see
//! [`MfeatPix::GRID_SHAPE`].
//!
//! # Validation
//!
//! [`MfeatPix::parse`] accepts exactly 2000 non-empty lines (blank lines and white space at the
//! end of the file are ignored, `\r\n` line ends are accepted) of exactly 240
//! whitespace-separated integers in `0..=6`, not all equal; anything else is an
//! [`Error::Format`] naming the line and field. Class of line i (0-based) = i / 200.

use std::path::Path;

use nalgebra::DMatrix;

use crate::error::{Error, Result};

/// The pixel set: features (2000 × 240, values 0..6) and class labels (0..9).
#[derive(Clone, Debug)]
pub struct MfeatPix {
    pixels: DMatrix<f64>,
    labels: Vec<usize>,
}

impl MfeatPix {
    /// Number of classes (digits 0–9).
    pub const N_CLASSES: usize = 10;
    /// Samples per class.
    pub const PER_CLASS: usize = 200;
    /// Number of samples (lines of the file).
    pub const N_SAMPLES: usize = Self::N_CLASSES * Self::PER_CLASS;
    /// Number of features (values per line).
    pub const N_FEATURES: usize = 240;
    /// Largest pixel value (average of a 2 × 3 window of a binary image, counted in pixels).
    pub const MAX_VALUE: u32 = 6;
    /// Image rows (height).
    pub const HEIGHT: usize = 16;
    /// Image columns (width).
    pub const WIDTH: usize = 15;
    /// Shape of the pixel grid for [`crate::ot::GroundMetric::grid_squared_euclidean`]:
    /// `[rows, columns]`, so that grid feature `f` (last axis fastest) is pixel
    /// `(f / 15, f % 15)`, the file's order.
    pub const GRID_SHAPE: [usize; 2] = [Self::HEIGHT, Self::WIDTH];
    /// File name of the vendored copy in `data/`.
    pub const FILE_NAME: &'static str = "mfeat-pix.txt";

    /// Reads and validates the file at `path`.
    pub fn load(path: &Path) -> Result<MfeatPix> {
        let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
        let text = std::str::from_utf8(&bytes)
            .map_err(|e| Error::format(path, format!("not UTF-8 text ({e})")))?;
        Self::parse(text, path)
    }

    /// Reads the vendored copy `data/mfeat-pix.txt`.
    pub fn load_default() -> Result<MfeatPix> {
        Self::load(&super::default_data_dir().join(Self::FILE_NAME))
    }

    /// Parses and validates the text of the file (`path` only names it in errors).
    pub fn parse(text: &str, path: &Path) -> Result<MfeatPix> {
        let body = text.trim_end();
        let lines: Vec<&str> =
            if body.is_empty() { Vec::new() } else { body.split('\n').collect() };
        if lines.len() != Self::N_SAMPLES {
            let hint = if lines.len() < Self::N_SAMPLES {
                "is the file truncated?"
            } else {
                "is it another file, or several joined?"
            };
            return Err(Error::format(
                path,
                format!(
                    "{} lines, expected {} ({} classes × {} samples); {hint}",
                    lines.len(),
                    Self::N_SAMPLES,
                    Self::N_CLASSES,
                    Self::PER_CLASS
                ),
            ));
        }
        let mut pixels = DMatrix::zeros(Self::N_SAMPLES, Self::N_FEATURES);
        for (i, line) in lines.iter().enumerate() {
            let line = line.strip_suffix('\r').unwrap_or(line);
            let fields: Vec<&str> = line.split_whitespace().collect();
            if fields.len() != Self::N_FEATURES {
                return Err(Error::format(
                    path,
                    format!(
                        "line {}: {} values, expected {}",
                        i + 1,
                        fields.len(),
                        Self::N_FEATURES
                    ),
                ));
            }
            for (j, field) in fields.iter().enumerate() {
                pixels[(i, j)] = f64::from(parse_pixel(field).ok_or_else(|| {
                    Error::format(
                        path,
                        format!(
                            "line {}, value {}: {field:?} is not an integer in 0..={}",
                            i + 1,
                            j + 1,
                            Self::MAX_VALUE
                        ),
                    )
                })?);
            }
        }
        let first = pixels[(0, 0)];
        if pixels.iter().all(|&v| v == first) {
            return Err(Error::format(
                path,
                format!("every value is {first}: the file holds no images to learn from"),
            ));
        }

        let labels = (0..Self::N_SAMPLES).map(|i| i / Self::PER_CLASS).collect();
        Ok(MfeatPix { pixels, labels })
    }

    /// The features, one sample per row (2000 × 240), values 0..6 as `f64`.
    pub fn pixels(&self) -> &DMatrix<f64> {
        &self.pixels
    }

    /// The class (digit) of each sample: `labels[i] = i / 200`.
    pub fn labels(&self) -> &[usize] {
        &self.labels
    }
}

/// A pixel value: an unsigned decimal integer in `0..=6`.
fn parse_pixel(field: &str) -> Option<u32> {
    if !field.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    field.parse::<u32>().ok().filter(|&v| v <= MfeatPix::MAX_VALUE)
}
