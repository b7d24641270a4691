//! Charts of study results: "metric vs x, one line per model" with the mean over trials, its
//! 95% confidence interval as error bars and every trial as a faint dot, written as PNG and
//! SVG. Used for AUC vs overlap (overlap study), error vs n (digits), AUC vs number of sources
//! (MEG).
//!
//! Text is drawn with the DejaVu Sans font embedded in the binary (`assets/DejaVuSans.ttf`),
//! registered with plotters' `ab_glyph` renderer under the family name `"sans-serif"`, so no
//! system font lookup happens. PNG text is drawn by [`GlyphText`] (plotters 0.3.7 drops glyph
//! side bearings, see [`crate::study::glyphs`]). Files are written atomically.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::FontStyle;

use crate::error::{Error, Result};
use crate::io::atomic::write_atomic_with;
use crate::study::glyphs::GlyphText;
use crate::study::key::Row;
use crate::study::models::display_name;
use crate::study::stats::clip_interval;
use crate::study::summary::summarize;

/// The font family name every chart uses.
pub const FONT: &str = "sans-serif";

static FONT_BYTES: &[u8] = include_bytes!("../../assets/DejaVuSans.ttf");

/// The embedded chart font (DejaVu Sans) for glyph-by-glyph text drawing.
pub fn embedded_font() -> Result<ab_glyph::FontRef<'static>> {
    ab_glyph::FontRef::try_from_slice(FONT_BYTES)
        .map_err(|_| Error::format("assets/DejaVuSans.ttf", "the embedded font is invalid"))
}

/// Registers the embedded font with plotters under [`FONT`] (once per process).
pub fn ensure_font() -> Result<()> {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    let ok = *REGISTERED.get_or_init(|| {
        plotters::style::register_font(FONT, FontStyle::Normal, FONT_BYTES).is_ok()
    });
    if ok {
        Ok(())
    } else {
        Err(Error::format("assets/DejaVuSans.ttf", "the embedded font could not be loaded"))
    }
}

/// Colours of successive series (distinct hues, readable on white).
pub const PALETTE: [RGBColor; 8] = [
    RGBColor(31, 119, 180),
    RGBColor(214, 39, 40),
    RGBColor(44, 160, 44),
    RGBColor(255, 127, 14),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(23, 190, 207),
];

/// The studies' models in the order of their [`PALETTE`] colours.
const MODEL_COLOUR_ORDER: [&str; 7] =
    ["lasso", "group-lasso", "dirty", "mll", "mtw", "remtw", "relasso"];

/// The colour of the series at `position` named `name` (a legend name): each model of the
/// studies keeps its own colour whichever subset a chart shows (`--models`); other series take
/// the colour of their position.
fn series_colour(position: usize, name: &str) -> RGBColor {
    let slot = MODEL_COLOUR_ORDER.iter().position(|m| display_name(m) == name);
    PALETTE[slot.unwrap_or(position) % PALETTE.len()]
}

/// One line of a chart: a model's mean per x with its confidence interval, and the trials.
#[derive(Clone, Debug, PartialEq)]
pub struct Series {
    /// Legend entry.
    pub name: String,
    /// `(x, mean, ci_low, ci_high)` sorted by x; NaN bounds draw no error bar.
    pub means: Vec<(f64, f64, f64, f64)>,
    /// `(x, value)` of every trial.
    pub trials: Vec<(f64, f64)>,
    /// Join the means with a line (`false`: markers only, for points without an order).
    pub lines: bool,
}

/// A "metric vs x per model" chart.
#[derive(Clone, Debug, PartialEq)]
pub struct LineChart {
    /// Title on top.
    pub title: String,
    /// Small grey line under the title (what the marks mean).
    pub subtitle: String,
    /// x-axis label.
    pub x_label: String,
    /// y-axis label.
    pub y_label: String,
    /// The lines, drawn in order; a model keeps its colour, other lines take [`PALETTE`]
    /// colours by position.
    pub series: Vec<Series>,
    /// Fixed y range, e.g. `(0, 1)` for an AUC; `None`: fitted to the data. It is the
    /// metric's range: confidence bars are clipped to it ([`clip_interval`]).
    pub y_range: Option<(f64, f64)>,
    /// Pixel size (width, height).
    pub size: (u32, u32),
}

impl LineChart {
    /// The chart of `metric` in `group`: one series per model (in order of first appearance,
    /// named by [`display_name`]), means and 95% CIs from [`summarize`], trials from the rows;
    /// non-finite values skipped.
    pub fn from_rows(rows: &[Row], group: &str, metric: &str) -> LineChart {
        // The rows of `group` reduced to the one value column `metric`.
        let picked: Vec<Row> = rows
            .iter()
            .filter(|r| r.key.group == group)
            .filter_map(|r| {
                let value = r.value(metric)?;
                Some(Row { values: vec![(metric.to_string(), value)], ..r.clone() })
            })
            .collect();
        let summary = summarize(&picked);
        let mut series: Vec<Series> = Vec::new();
        for cell in &summary {
            let st = &cell.stats;
            let point = (cell.x, st.mean, st.ci_low(), st.ci_high());
            match series.iter_mut().find(|s| s.name == cell.model) {
                Some(s) => s.means.push(point),
                None => series.push(Series {
                    name: cell.model.clone(),
                    means: vec![point],
                    trials: Vec::new(),
                    lines: true,
                }),
            }
        }
        for s in &mut series {
            s.means.retain(|p| p.1.is_finite());
            s.trials = picked
                .iter()
                .filter(|r| r.model == s.name && r.values[0].1.is_finite())
                .map(|r| (r.key.x, r.values[0].1))
                .collect();
        }
        for s in &mut series {
            s.name = display_name(&s.name).to_string();
        }
        LineChart {
            title: format!("{metric} ({group})"),
            subtitle: trials_subtitle(summary.iter().map(|c| c.stats.n), ("trial", "trials")),
            x_label: "x".into(),
            y_label: metric.into(),
            series,
            y_range: None,
            size: (960, 640),
        }
    }

    /// Sets the axis labels.
    pub fn labels(mut self, x_label: &str, y_label: &str) -> Self {
        self.x_label = x_label.into();
        self.y_label = y_label.into();
        self
    }

    /// Sets the title.
    pub fn title(mut self, title: &str) -> Self {
        self.title = title.into();
        self
    }

    /// Names the repetitions behind each point `singular`/`plural` in the subtitle (e.g.
    /// "split"/"splits") instead of "trial"/"trials"; the counts are the series' trial marks.
    pub fn trials_called(mut self, singular: &str, plural: &str) -> Self {
        let counts = self.series.iter().flat_map(|s| {
            s.means.iter().map(move |m| s.trials.iter().filter(|t| t.0 == m.0).count())
        });
        self.subtitle = trials_subtitle(counts, (singular, plural));
        self
    }

    /// Fixes the y range.
    pub fn y_range(mut self, low: f64, high: f64) -> Self {
        self.y_range = Some((low, high));
        self
    }

    /// Writes `dir/stem.png` and `dir/stem.svg` atomically; returns both paths.
    pub fn write(&self, dir: &Path, stem: &str) -> Result<(PathBuf, PathBuf)> {
        write_png_and_svg(dir, stem, self.size, |root| draw_line_chart(root, self))
    }
}

/// What the marks of a [`LineChart::from_rows`] chart mean, with the number of trials behind
/// each point: "mean over 100 trials", or "mean over 28–29 trials" when the points differ
/// (`noun` names the repetitions, singular and plural).
fn trials_subtitle(counts: impl Iterator<Item = usize>, noun: (&str, &str)) -> String {
    let (one, many) = noun;
    let (low, high) = counts.fold((usize::MAX, 0), |(lo, hi), n| (lo.min(n), hi.max(n)));
    if high <= 1 {
        return format!("lines: one {one} per point (no confidence interval)");
    }
    let count = if low == high { format!("{high}") } else { format!("{low}–{high}") };
    format!("lines: mean over {count} {many}; bars: 95% CI of the mean; dots: {many}")
}

/// Writes `charts` side by side as the panels of one figure, `columns` panels per row (rows
/// filled left to right, top to bottom), as `dir/stem.png` and `dir/stem.svg` atomically. Each
/// panel is drawn at the pixel size of the first chart. Returns both paths.
///
/// # Errors
/// No chart, `columns == 0`, or a drawing or I/O failure.
pub fn write_chart_panels(
    charts: &[LineChart],
    columns: usize,
    dir: &Path,
    stem: &str,
) -> Result<(PathBuf, PathBuf)> {
    let Some(first) = charts.first() else {
        return Err(Error::Empty(format!("{stem}: no chart panels to draw")));
    };
    if columns == 0 {
        return Err(Error::parameter("columns", 0, "must be >= 1"));
    }
    let columns = columns.min(charts.len());
    let rows = charts.len().div_ceil(columns);
    let (w, h) = first.size;
    let size = (w * columns as u32, h * rows as u32);
    write_png_and_svg(dir, stem, size, |root| on_backend!(root, panels_on(charts, (rows, columns))))
}

fn panels_on<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    charts: &[LineChart],
    (rows, columns): (usize, usize),
) -> std::result::Result<(), String> {
    root.fill(&WHITE).map_err(|e| e.to_string())?;
    for (area, chart) in root.split_evenly((rows, columns)).iter().zip(charts) {
        line_chart_on(area, chart)?;
    }
    Ok(())
}

/// Writes one chart of the value column `metric` per group found in `rows`, as
/// `dir/{metric}-{group}.png` and `.svg` (characters other than letters, digits, `-` and `_`
/// become `-`), with the given axis labels and optional fixed y range. Returns the written
/// paths.
pub fn write_charts_per_group(
    rows: &[Row],
    dir: &Path,
    metric: &str,
    x_label: &str,
    y_label: &str,
    y_range: Option<(f64, f64)>,
) -> Result<Vec<(PathBuf, PathBuf)>> {
    let mut groups: Vec<&str> = Vec::new();
    for row in rows.iter().filter(|r| r.value(metric).is_some()) {
        if !groups.contains(&row.key.group.as_str()) {
            groups.push(&row.key.group);
        }
    }
    let safe = |s: &str| -> String {
        s.chars()
            .map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '-' })
            .collect()
    };
    let mut written = Vec::new();
    for group in groups {
        let mut chart = LineChart::from_rows(rows, group, metric).labels(x_label, y_label);
        chart.y_range = y_range;
        written.push(chart.write(dir, &format!("{}-{}", safe(metric), safe(group)))?);
    }
    Ok(written)
}

/// Writes one drawing as PNG and SVG (atomic per file) with the font registered.
pub(crate) fn write_png_and_svg<F>(
    dir: &Path,
    stem: &str,
    size: (u32, u32),
    draw: F,
) -> Result<(PathBuf, PathBuf)>
where
    F: Fn(&DynArea) -> std::result::Result<(), String>,
{
    ensure_font()?;
    let png = dir.join(format!("{stem}.png"));
    let svg = dir.join(format!("{stem}.svg"));
    let font = embedded_font()?;
    write_atomic_with(&png, |tmp| {
        let backend = GlyphText::new(BitMapBackend::new(tmp, size), FONT, font.clone());
        let area = DynArea::Bitmap(backend.into_drawing_area());
        draw(&area).and_then(|()| area.present()).map_err(|e| chart_error(&png, e))
    })?;
    write_atomic_with(&svg, |tmp| {
        let area = DynArea::Svg(SVGBackend::new(tmp, size).into_drawing_area());
        draw(&area).and_then(|()| area.present()).map_err(|e| chart_error(&svg, e))
    })?;
    Ok((png, svg))
}

fn chart_error(path: &Path, message: String) -> Error {
    Error::io(path, std::io::Error::other(format!("drawing failed: {message}")))
}

/// A drawing area on either backend, so that one drawing routine serves both formats.
pub(crate) enum DynArea<'a> {
    /// PNG.
    Bitmap(DrawingArea<GlyphText<BitMapBackend<'a>>, Shift>),
    /// SVG.
    Svg(DrawingArea<SVGBackend<'a>, Shift>),
}

impl DynArea<'_> {
    /// Finishes the file (the bitmap is encoded and saved here).
    fn present(&self) -> std::result::Result<(), String> {
        match self {
            DynArea::Bitmap(a) => a.present().map_err(|e| e.to_string()),
            DynArea::Svg(a) => a.present().map_err(|e| e.to_string()),
        }
    }
}

/// Calls a generic drawing routine on the backend inside a [`DynArea`].
macro_rules! on_backend {
    ($area:expr, $f:ident ( $($arg:expr),* )) => {
        match $area {
            DynArea::Bitmap(a) => $f(a, $($arg),*),
            DynArea::Svg(a) => $f(a, $($arg),*),
        }
    };
}
pub(crate) use on_backend;

fn draw_line_chart(area: &DynArea, chart: &LineChart) -> std::result::Result<(), String> {
    on_backend!(area, line_chart_on(chart))
}

/// Short tick labels: up to 4 decimals, trailing zeros removed.
pub fn tick_label(v: f64) -> String {
    if v != 0.0 && (v.abs() >= 1e5 || v.abs() < 1e-3) {
        return format!("{v:.1e}");
    }
    let s = format!("{v:.4}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" {
        "0".into()
    } else {
        s.into()
    }
}

/// Data bounds of a chart: x over means and trials; y over trials and CI bounds.
fn bounds(chart: &LineChart) -> ((f64, f64), (f64, f64)) {
    let mut xs = Vec::new();
    let mut ys = Vec::new();
    for s in &chart.series {
        for &(x, m, lo, hi) in &s.means {
            xs.push(x);
            ys.extend([m, lo, hi].into_iter().filter(|v| v.is_finite()));
        }
        for &(x, v) in &s.trials {
            xs.push(x);
            ys.push(v);
        }
    }
    let range = |v: &[f64], pad: f64| {
        let lo = v.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        if !lo.is_finite() {
            return (0.0, 1.0);
        }
        let span = if hi > lo { hi - lo } else { lo.abs().max(1.0) };
        (lo - pad * span, hi + pad * span)
    };
    let y = chart.y_range.unwrap_or_else(|| range(&ys, 0.06));
    (range(&xs, 0.08), y)
}

/// Whether every x of the chart (means and trials) is a whole number.
fn has_integer_x(chart: &LineChart) -> bool {
    let mut xs = chart
        .series
        .iter()
        .flat_map(|s| s.means.iter().map(|p| p.0).chain(s.trials.iter().map(|t| t.0)))
        .peekable();
    xs.peek().is_some() && xs.all(|x| x.fract() == 0.0)
}

fn line_chart_on<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    chart: &LineChart,
) -> std::result::Result<(), String> {
    let err = |e: &dyn std::fmt::Display| e.to_string();
    root.fill(&WHITE).map_err(|e| err(&e))?;
    let (width, _) = root.dim_in_pixel();
    let (head, body) = root.split_vertically(78);
    let title = TextStyle::from((FONT, 26).into_font()).pos(Pos::new(HPos::Center, VPos::Top));
    head.draw_text(&chart.title, &title, (width as i32 / 2, 12)).map_err(|e| err(&e))?;
    let sub = TextStyle::from((FONT, 15).into_font())
        .color(&RGBColor(110, 110, 110))
        .pos(Pos::new(HPos::Center, VPos::Top));
    head.draw_text(&chart.subtitle, &sub, (width as i32 / 2, 48)).map_err(|e| err(&e))?;

    let legend_width = 200.min(width / 3);
    let (plot, legend) = body.split_horizontally(width - legend_width);
    let ((x0, x1), (y0, y1)) = bounds(chart);
    let integer_x = has_integer_x(chart);
    // At most one tick per integer when every x is a count (e.g. sources per task).
    let x_ticks = if integer_x { ((x1 - x0).floor() as usize + 1).clamp(2, 10) } else { 10 };
    let mut ctx = ChartBuilder::on(&plot)
        .margin_left(10)
        .margin_right(20)
        .margin_bottom(10)
        .x_label_area_size(58)
        .y_label_area_size(78)
        .build_cartesian_2d(x0..x1, y0..y1)
        .map_err(|e| err(&e))?;
    ctx.configure_mesh()
        .x_desc(chart.x_label.as_str())
        .y_desc(chart.y_label.as_str())
        .axis_desc_style((FONT, 19))
        .label_style((FONT, 15))
        .x_labels(x_ticks)
        .x_label_formatter(&|v| {
            if integer_x && v.fract() != 0.0 {
                String::new()
            } else {
                tick_label(*v)
            }
        })
        .y_label_formatter(&|v| tick_label(*v))
        .bold_line_style(RGBColor(225, 225, 225))
        .light_line_style(TRANSPARENT)
        .axis_style(RGBColor(90, 90, 90))
        .draw()
        .map_err(|e| err(&e))?;

    // Models at the same x are spread sideways by a small dodge so their bars do not overlap.
    let n = chart.series.len().max(1) as f64;
    let dodge_step = 0.012 * (x1 - x0);
    for (i, s) in chart.series.iter().enumerate() {
        let color = series_colour(i, &s.name);
        let dx = (i as f64 - (n - 1.0) / 2.0) * dodge_step;
        ctx.draw_series(
            s.trials.iter().map(|&(x, v)| Circle::new((x + dx, v), 3, color.mix(0.22).filled())),
        )
        .map_err(|e| err(&e))?;
        let line: Vec<(f64, f64)> = s.means.iter().map(|&(x, m, _, _)| (x + dx, m)).collect();
        if s.lines {
            ctx.draw_series(LineSeries::new(line, color.stroke_width(3))).map_err(|e| err(&e))?;
        }
        ctx.draw_series(s.means.iter().filter(|p| p.2.is_finite() && p.3.is_finite()).map(
            |&(x, m, lo, hi)| {
                let (lo, hi) = clip_interval((lo, hi), chart.y_range);
                ErrorBar::new_vertical(x + dx, lo, m, hi, color.filled().stroke_width(2), 10)
            },
        ))
        .map_err(|e| err(&e))?;
        ctx.draw_series(
            s.means.iter().map(|&(x, m, _, _)| Circle::new((x + dx, m), 5, color.filled())),
        )
        .map_err(|e| err(&e))?;
    }

    // Legend in its own column: never hides data.
    let entry = TextStyle::from((FONT, 17).into_font()).pos(Pos::new(HPos::Left, VPos::Center));
    for (i, s) in chart.series.iter().enumerate() {
        let color = series_colour(i, &s.name);
        let y = 40 + 30 * i as i32;
        legend
            .draw(&PathElement::new(vec![(8, y), (40, y)], color.stroke_width(3)))
            .map_err(|e| err(&e))?;
        legend.draw(&Circle::new((24, y), 5, color.filled())).map_err(|e| err(&e))?;
        legend.draw_text(&s.name, &entry, (50, y)).map_err(|e| err(&e))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_model_keeps_its_colour_in_any_subset_and_other_lines_go_by_position() {
        assert_eq!(series_colour(0, "MTW"), PALETTE[4]);
        assert_eq!(series_colour(4, "MTW"), PALETTE[4]);
        assert_eq!(series_colour(1, "Lasso"), PALETTE[0]);
        assert_eq!(series_colour(2, "4 subjects"), PALETTE[2]);
        assert_eq!(series_colour(9, "dense f32"), PALETTE[1]);
    }

    #[test]
    fn tick_labels_are_short() {
        assert_eq!(tick_label(0.25), "0.25");
        assert_eq!(tick_label(1.0), "1");
        assert_eq!(tick_label(-0.0), "0");
        assert_eq!(tick_label(0.0001), "1.0e-4");
        assert_eq!(tick_label(123.456789), "123.4568");
    }
}
