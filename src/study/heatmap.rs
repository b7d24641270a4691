//! Small multiples of images, e.g. 15 × 16 coefficient images with one row per model and one
//! column per task, on one shared colour scale with a colour bar; PNG and SVG.
//!
//! Colour scale: when some value is negative, a diverging map (blue for −v_max, white for 0,
//! red for +v_max) with `v_max = max |v|`; otherwise a sequential map from white (0) to dark
//! blue (`v_max`). Values beyond the scale are clipped to its ends.

use std::path::{Path, PathBuf};

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::error::{Error, Result};
use crate::study::plot::{on_backend, write_png_and_svg, DynArea, FONT};

/// A row-major image of `height × width` values.
#[derive(Clone, Debug, PartialEq)]
pub struct Image {
    /// Number of pixel rows.
    pub height: usize,
    /// Number of pixel columns.
    pub width: usize,
    /// `values[r * width + c]` is pixel (r, c), r = 0 at the top.
    pub values: Vec<f64>,
}

impl Image {
    /// Checks that `values` holds `height × width` entries.
    pub fn new(height: usize, width: usize, values: Vec<f64>) -> Result<Image> {
        if height == 0 || width == 0 || values.len() != height * width {
            return Err(Error::Shape(format!(
                "image of {height}×{width} pixels needs {} values, got {}",
                height * width,
                values.len()
            )));
        }
        Ok(Image { height, width, values })
    }
}

/// A grid of images with row and column labels.
#[derive(Clone, Debug, PartialEq)]
pub struct ImageGrid {
    /// Title on top.
    pub title: String,
    /// One label per row (e.g. model names).
    pub row_labels: Vec<String>,
    /// One label per column (e.g. "task 1").
    pub col_labels: Vec<String>,
    /// `images[row][col]`, all of one shape.
    pub images: Vec<Vec<Image>>,
    /// Screen pixels per image pixel.
    pub zoom: u32,
}

impl ImageGrid {
    /// Checks that there is one label per row and column and that all images share a shape.
    pub fn new(
        title: &str,
        row_labels: Vec<String>,
        col_labels: Vec<String>,
        images: Vec<Vec<Image>>,
    ) -> Result<ImageGrid> {
        if images.is_empty() || images[0].is_empty() {
            return Err(Error::Empty("image grid without images".into()));
        }
        if images.len() != row_labels.len() {
            return Err(Error::Shape(format!(
                "{} image rows but {} row labels",
                images.len(),
                row_labels.len()
            )));
        }
        let (h, w) = (images[0][0].height, images[0][0].width);
        for (r, row) in images.iter().enumerate() {
            if row.len() != col_labels.len() {
                return Err(Error::Shape(format!(
                    "image row {r} has {} images but there are {} column labels",
                    row.len(),
                    col_labels.len()
                )));
            }
            if let Some(c) = row.iter().position(|im| (im.height, im.width) != (h, w)) {
                return Err(Error::Shape(format!(
                    "image ({r}, {c}) is {}×{} but image (0, 0) is {h}×{w}",
                    row[c].height, row[c].width
                )));
            }
        }
        let zoom = (160 / h.max(w)).clamp(2, 16) as u32;
        Ok(ImageGrid { title: title.into(), row_labels, col_labels, images, zoom })
    }

    /// The largest |value| (the colour scale's end) and whether any value is negative.
    fn scale(&self) -> (f64, bool) {
        let values = self.images.iter().flatten().flat_map(|im| im.values.iter().copied());
        let finite: Vec<f64> = values.filter(|v| v.is_finite()).collect();
        let vmax = finite.iter().fold(0.0_f64, |m, v| m.max(v.abs()));
        (if vmax > 0.0 { vmax } else { 1.0 }, finite.iter().any(|&v| v < 0.0))
    }

    fn layout(&self) -> Layout {
        let im = &self.images[0][0];
        let cell = (im.width as u32 * self.zoom, im.height as u32 * self.zoom);
        let label_width = 150;
        let top = 100;
        let gap = 14;
        let colorbar = 110;
        let n_cols = self.col_labels.len() as u32;
        let n_rows = self.row_labels.len() as u32;
        let width = label_width + n_cols * (cell.0 + gap) + colorbar;
        let height = top + n_rows * (cell.1 + gap) + 20;
        Layout { cell, label_width, top, gap, size: (width, height) }
    }

    /// Writes `dir/stem.png` and `dir/stem.svg` atomically; returns both paths.
    pub fn write(&self, dir: &Path, stem: &str) -> Result<(PathBuf, PathBuf)> {
        let layout = self.layout();
        write_png_and_svg(dir, stem, layout.size, |area| draw_grid(area, self, &layout))
    }
}

struct Layout {
    cell: (u32, u32),
    label_width: u32,
    top: u32,
    gap: u32,
    size: (u32, u32),
}

/// The colour of value `v` on a scale ending at `vmax` (see the module doc).
pub fn colour_of(v: f64, vmax: f64, diverging: bool) -> RGBColor {
    let lerp = |a: (f64, f64, f64), b: (f64, f64, f64), t: f64| {
        let t = t.clamp(0.0, 1.0);
        let ch = |x: f64, y: f64| (x + (y - x) * t).round() as u8;
        RGBColor(ch(a.0, b.0), ch(a.1, b.1), ch(a.2, b.2))
    };
    let white = (255.0, 255.0, 255.0);
    if !v.is_finite() {
        return RGBColor(200, 200, 200);
    }
    if diverging {
        if v >= 0.0 {
            lerp(white, (178.0, 24.0, 43.0), v / vmax)
        } else {
            lerp(white, (33.0, 102.0, 172.0), -v / vmax)
        }
    } else {
        lerp(white, (8.0, 48.0, 107.0), v / vmax)
    }
}

fn draw_grid(area: &DynArea, grid: &ImageGrid, layout: &Layout) -> std::result::Result<(), String> {
    on_backend!(area, grid_on(grid, layout))
}

fn grid_on<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    grid: &ImageGrid,
    layout: &Layout,
) -> std::result::Result<(), String> {
    let err = |e: &dyn std::fmt::Display| e.to_string();
    root.fill(&WHITE).map_err(|e| err(&e))?;
    let (vmax, diverging) = grid.scale();
    let centred = |size: i32| {
        TextStyle::from((FONT, size).into_font()).pos(Pos::new(HPos::Center, VPos::Center))
    };
    let (w, _) = layout.size;
    root.draw_text(&grid.title, &centred(24), (w as i32 / 2, 28)).map_err(|e| err(&e))?;
    let (cw, ch) = (layout.cell.0 as i32, layout.cell.1 as i32);
    let step = (cw + layout.gap as i32, ch + layout.gap as i32);
    let x_of = |c: usize| layout.label_width as i32 + c as i32 * step.0;
    let y_of = |r: usize| layout.top as i32 + r as i32 * step.1;
    for (c, label) in grid.col_labels.iter().enumerate() {
        root.draw_text(label, &centred(17), (x_of(c) + cw / 2, layout.top as i32 - 18))
            .map_err(|e| err(&e))?;
    }
    let right = TextStyle::from((FONT, 17).into_font()).pos(Pos::new(HPos::Right, VPos::Center));
    let zoom = grid.zoom as i32;
    for (r, row) in grid.images.iter().enumerate() {
        root.draw_text(
            &grid.row_labels[r],
            &right,
            (layout.label_width as i32 - 12, y_of(r) + ch / 2),
        )
        .map_err(|e| err(&e))?;
        for (c, image) in row.iter().enumerate() {
            let (x0, y0) = (x_of(c), y_of(r));
            for (k, &v) in image.values.iter().enumerate() {
                let (pr, pc) = ((k / image.width) as i32, (k % image.width) as i32);
                let (px, py) = (x0 + pc * zoom, y0 + pr * zoom);
                let colour = colour_of(v, vmax, diverging);
                root.draw(&Rectangle::new([(px, py), (px + zoom, py + zoom)], colour.filled()))
                    .map_err(|e| err(&e))?;
            }
            let frame = RGBColor(150, 150, 150).stroke_width(1);
            root.draw(&Rectangle::new([(x0 - 1, y0 - 1), (x0 + cw, y0 + ch)], frame))
                .map_err(|e| err(&e))?;
        }
    }

    // Colour bar: a vertical strip from the top (v_max) to the bottom (−v_max or 0).
    let bar_x = x_of(grid.col_labels.len()) + 6;
    let (bar_top, bar_height) =
        (layout.top as i32, (step.1 * grid.row_labels.len() as i32 - 14).max(40));
    let low = if diverging { -vmax } else { 0.0 };
    for i in 0..bar_height {
        let v = vmax - (vmax - low) * (i as f64 + 0.5) / bar_height as f64;
        let colour = colour_of(v, vmax, diverging);
        root.draw(&Rectangle::new(
            [(bar_x, bar_top + i), (bar_x + 18, bar_top + i + 1)],
            colour.filled(),
        ))
        .map_err(|e| err(&e))?;
    }
    let left = TextStyle::from((FONT, 14).into_font()).pos(Pos::new(HPos::Left, VPos::Center));
    let ticks = [(vmax, 0), (0.5 * (vmax + low), bar_height / 2), (low, bar_height)];
    for (v, dy) in ticks {
        root.draw_text(&crate::study::plot::tick_label(v), &left, (bar_x + 24, bar_top + dy))
            .map_err(|e| err(&e))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colours_and_shape_checks() {
        assert_eq!(colour_of(0.0, 1.0, true), RGBColor(255, 255, 255));
        assert_eq!(colour_of(2.0, 1.0, false), RGBColor(8, 48, 107));
        assert_eq!(colour_of(-1.0, 1.0, true), RGBColor(33, 102, 172));
        assert!(Image::new(2, 2, vec![0.0; 3]).is_err());
        let im = Image::new(2, 3, vec![0.0; 6]).unwrap();
        let other = Image::new(3, 2, vec![0.0; 6]).unwrap();
        let err = ImageGrid::new(
            "t",
            vec!["a".into()],
            vec!["1".into(), "2".into()],
            vec![vec![im.clone(), other]],
        );
        assert!(err.unwrap_err().to_string().contains("image (0, 1)"));
        assert!(ImageGrid::new("t", vec![], vec![], vec![vec![im]]).is_err());
    }
}
