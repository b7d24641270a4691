//! Cortex figures in the style of the paper's Figure 4: panels of the inflated left hemisphere
//! with markers at source vertices, one colour per task, drawn side by side into one PNG (or
//! SVG, by the file extension).
//!
//! Each panel is an orthographic [`View`]: triangles facing away from the viewer are skipped,
//! the others are painted back to front (painter's algorithm, depth along the viewing axis)
//! with flat Lambert shading of a grey that is darker in sulci:
//!
//! ```text
//! grey = (0.80 − 0.30 sulc) · (0.30 + 0.70 max(0, n·l)),    l = normalize(v + (0, 0.4, 0.5))
//! ```
//!
//! with n the face normal and v the direction towards the viewer. Markers (circles, crosses,
//! diamonds) are drawn on top; a marker whose vertex faces away from the viewer (hidden in
//! this view) is drawn hollow.

use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;

use super::cortex_surface::{CortexSurface, View};
use crate::error::{Error, Result};
use crate::geometry::Vec3;
use crate::study::glyphs::GlyphText;
use crate::study::plot::FONT;

/// The colour type of markers (plotters' RGB colour).
pub use plotters::style::RGBColor;

/// Colours of tasks 0, 1, 2, … (cycled): blue, orange, green, red, purple, brown, pink, olive.
pub const TASK_COLORS: [RGBColor; 8] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(188, 189, 34),
];

/// Colour of task `t`.
pub fn task_color(t: usize) -> RGBColor {
    TASK_COLORS[t % TASK_COLORS.len()]
}

/// Marker shapes: circles for true sources, crosses for estimates, diamonds for barycenters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MarkerShape {
    /// Filled circle with a black rim.
    Circle,
    /// Thick ×.
    Cross,
    /// Filled diamond with a black rim.
    Diamond,
}

/// A marker at an fsaverage5 vertex.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Marker {
    /// Vertex number (0..10242).
    pub vertex: usize,
    /// Fill colour, e.g. [`task_color`].
    pub color: RGBColor,
    /// Shape.
    pub shape: MarkerShape,
}

/// One panel: a title, a view, its markers and an optional legend `(label, colour, shape)`.
#[derive(Clone, Debug)]
pub struct Panel {
    /// Title drawn above the brain.
    pub title: String,
    /// Side seen.
    pub view: View,
    /// Markers drawn on top of the surface.
    pub markers: Vec<Marker>,
    /// Legend entries, drawn at the bottom left.
    pub legend: Vec<(String, RGBColor, MarkerShape)>,
}

/// Draws `panels` side by side, each `panel_size` pixels, into `path` (`.png` or `.svg`).
pub fn draw_panels(
    surface: &CortexSurface,
    panels: &[Panel],
    path: &Path,
    panel_size: (u32, u32),
) -> Result<()> {
    if panels.is_empty() {
        return Err(Error::Empty("no panels to draw".into()));
    }
    let (w, h) = panel_size;
    if w < 50 || h < 50 || w > 8000 || h > 8000 {
        return Err(Error::parameter("panel_size", format!("{w} x {h}"), "each side in 50..=8000"));
    }
    for (k, panel) in panels.iter().enumerate() {
        if let Some(m) = panel.markers.iter().find(|m| m.vertex >= surface.n_vertices()) {
            return Err(Error::Shape(format!(
                "panel {k}: marker at vertex {} but the surface has {} vertices",
                m.vertex,
                surface.n_vertices()
            )));
        }
    }
    let fail_font = |e: Error| Error::format(path, format!("cannot draw the figure ({e})"));
    crate::study::plot::ensure_font().map_err(fail_font)?;
    let font = crate::study::plot::embedded_font()?;
    let size = (w * panels.len() as u32, h);
    let fail = |e: String| Error::format(path, format!("cannot draw the figure ({e})"));
    let is_svg = path.extension().is_some_and(|e| e.eq_ignore_ascii_case("svg"));
    if is_svg {
        let root = SVGBackend::new(path, size).into_drawing_area();
        draw_on(&root, surface, panels).map_err(fail)?;
        root.present().map_err(|e| fail(e.to_string()))
    } else {
        // Glyph-by-glyph text: plotters' own bitmap text drops glyph side bearings.
        let backend = GlyphText::new(BitMapBackend::new(path, size), FONT, font);
        let root = backend.into_drawing_area();
        draw_on(&root, surface, panels).map_err(fail)?;
        root.present().map_err(|e| fail(e.to_string()))
    }
}

fn draw_on<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    surface: &CortexSurface,
    panels: &[Panel],
) -> std::result::Result<(), String> {
    root.fill(&WHITE).map_err(|e| e.to_string())?;
    for (area, panel) in root.split_evenly((1, panels.len())).iter().zip(panels) {
        let (_, h) = area.dim_in_pixel();
        let title_size = (h as f64 * 0.07).clamp(12.0, 40.0);
        let inner = area
            .titled(&panel.title, ("sans-serif", title_size).into_font().color(&BLACK))
            .map_err(|e| e.to_string())?;
        draw_panel(&inner, surface, panel).map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// Pixel mapping of one panel: uniform scale, centred, 4 % margin.
struct Frame {
    scale: f64,
    offset: (f64, f64),
    height: f64,
}

impl Frame {
    fn new(surface: &CortexSurface, view: View, (w, h): (u32, u32)) -> Self {
        let (mut lo, mut hi) = ((f64::MAX, f64::MAX), (f64::MIN, f64::MIN));
        for p in &surface.mesh.vertices {
            let (u, v) = view.project(p);
            lo = (lo.0.min(u), lo.1.min(v));
            hi = (hi.0.max(u), hi.1.max(v));
        }
        let (w, h) = (w as f64 * 0.92, h as f64 * 0.92);
        let scale = (w / (hi.0 - lo.0)).min(h / (hi.1 - lo.1));
        let pad =
            ((w / 0.92 - scale * (hi.0 - lo.0)) / 2.0, (h / 0.92 - scale * (hi.1 - lo.1)) / 2.0);
        Frame { scale, offset: (pad.0 - scale * lo.0, pad.1 - scale * lo.1), height: h / 0.92 }
    }

    fn pixel(&self, view: View, p: &Vec3) -> (i32, i32) {
        let (u, v) = view.project(p);
        let x = self.offset.0 + self.scale * u;
        let y = self.height - (self.offset.1 + self.scale * v);
        (x.round() as i32, y.round() as i32)
    }
}

fn draw_panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    surface: &CortexSurface,
    panel: &Panel,
) -> std::result::Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    let view = panel.view;
    let frame = Frame::new(surface, view, area.dim_in_pixel());
    let toward = view.towards_viewer();
    let light = (toward + Vec3::new(0.0, 0.4, 0.5)).normalize();
    let mesh = &surface.mesh;

    // 1. Visible faces, farthest first.
    let mut faces: Vec<(f64, usize)> = (0..mesh.n_faces())
        .filter(|&f| surface.face_normals[f].dot(&toward) > 0.0)
        .map(|f| {
            let c = mesh.faces[f].iter().map(|&i| mesh.vertices[i]).sum::<Vec3>() / 3.0;
            (view.depth(&c), f)
        })
        .collect();
    faces.sort_by(|a, b| b.0.total_cmp(&a.0));

    // 2. Flat Lambert shading of a sulc-dependent grey; the 1-pixel outline in the same colour
    //    closes the seams between neighbouring triangles.
    for (_, f) in faces {
        let face = mesh.faces[f];
        let sulc = face.iter().map(|&i| surface.sulc[i]).sum::<f64>() / 3.0;
        let lambert = surface.face_normals[f].dot(&light).max(0.0);
        let grey = ((0.80 - 0.30 * sulc) * (0.30 + 0.70 * lambert) * 255.0).round() as u8;
        let color = RGBColor(grey, grey, grey);
        let points: Vec<(i32, i32)> =
            face.iter().map(|&i| frame.pixel(view, &mesh.vertices[i])).collect();
        area.draw(&Polygon::new(points.clone(), color.filled()))?;
        let mut closed = points;
        closed.push(closed[0]);
        area.draw(&PathElement::new(closed, color.stroke_width(1)))?;
    }

    // 3. Markers, hidden ones hollow; radius ~1.8 % of the panel's smaller side.
    let (w, h) = area.dim_in_pixel();
    let radius = ((w.min(h) as f64) * 0.018).max(4.0) as i32;
    for m in &panel.markers {
        let at = frame.pixel(view, &mesh.vertices[m.vertex]);
        draw_marker(area, at, radius, m.color, m.shape, surface.is_visible(m.vertex, view))?;
    }

    // 4. Legend, bottom left.
    let text_size = (radius as f64 * 3.0).max(12.0);
    for (k, (label, color, shape)) in panel.legend.iter().enumerate() {
        let y = h as i32 - (panel.legend.len() - k) as i32 * (2 * radius + 8);
        draw_marker(area, (radius + 8, y), radius, *color, *shape, true)?;
        let style = ("sans-serif", text_size).into_font().color(&BLACK);
        area.draw(&Text::new(label.clone(), (2 * radius + 16, y - radius), style))?;
    }
    Ok(())
}

fn draw_marker<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    (x, y): (i32, i32),
    r: i32,
    color: RGBColor,
    shape: MarkerShape,
    visible: bool,
) -> std::result::Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    let fill = if visible { color.filled() } else { WHITE.mix(0.0).filled() };
    let rim = if visible { BLACK.stroke_width(1) } else { color.stroke_width(2) };
    match shape {
        MarkerShape::Circle => {
            area.draw(&Circle::new((x, y), r, fill))?;
            area.draw(&Circle::new((x, y), r, rim))?;
        }
        MarkerShape::Diamond => {
            let d = r + r / 3;
            let pts = vec![(x, y - d), (x + d, y), (x, y + d), (x - d, y)];
            area.draw(&Polygon::new(pts.clone(), fill))?;
            let mut closed = pts;
            closed.push(closed[0]);
            area.draw(&PathElement::new(closed, rim))?;
        }
        MarkerShape::Cross => {
            let width = if visible { 4 } else { 2 };
            for (a, b) in [((x - r, y - r), (x + r, y + r)), ((x - r, y + r), (x + r, y - r))] {
                if visible {
                    area.draw(&PathElement::new(vec![a, b], BLACK.stroke_width(width + 2)))?;
                }
                area.draw(&PathElement::new(vec![a, b], color.stroke_width(width)))?;
            }
        }
    }
    Ok(())
}
