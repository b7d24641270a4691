//! Correctly spaced text on bitmap charts.
//!
//! plotters 0.3.7 rasterises text with `ab_glyph` but pastes each glyph's bitmap at the pen
//! position without the glyph's left side bearing (the offset of its ink box from the pen), so
//! glyphs with a small bearing drift left of glyphs with a large one and words look split
//! ("Suppor t"). [`GlyphText`] wraps a backend and draws text in the chart font itself: for
//! each character the pen moves by the kerning with the previous glyph, the glyph outline is
//! placed at the (fractional) pen position on the baseline, its pixel coverage is blended as
//! alpha at its ink box, and the pen advances by the glyph's advance width. The text box
//! (anchor, rotation) is plotters' own, so layouts are unchanged. Every other drawing call is
//! forwarded to the wrapped backend.
//!
//! The baseline sits at the font's ascent below the top of plotters' text box.

use ab_glyph::{point, Font, FontRef, GlyphId, ScaleFont};
use plotters::prelude::DrawingBackend;
use plotters_backend::text_anchor::{HPos, VPos};
use plotters_backend::{
    BackendColor, BackendCoord, BackendStyle, BackendTextStyle, DrawingErrorKind,
};

/// A backend whose text in the family `family` is drawn glyph by glyph with `font` (see the
/// module doc); other families go to the wrapped backend's own text drawing.
pub struct GlyphText<B> {
    inner: B,
    family: &'static str,
    font: FontRef<'static>,
}

impl<B: DrawingBackend> GlyphText<B> {
    /// Wraps `inner`; `font` is the data registered with plotters under `family`.
    pub fn new(inner: B, family: &'static str, font: FontRef<'static>) -> Self {
        GlyphText { inner, family, font }
    }

    /// Pixels `(x, y, coverage)` of `text` laid out from the pen origin `(0, 0)` at the top of
    /// the text box, with the font scaled to `size` pixels.
    fn coverage(&self, text: &str, size: f32) -> Vec<(i32, i32, f32)> {
        let scaled = self.font.as_scaled(size);
        let baseline = scaled.ascent();
        let mut pixels = Vec::new();
        let mut pen = 0.0f32;
        let mut previous: Option<GlyphId> = None;
        for c in text.chars() {
            let id = scaled.glyph_id(c);
            if let Some(p) = previous {
                pen += scaled.kern(p, id);
            }
            let glyph = id.with_scale_and_position(size, point(pen, baseline));
            if let Some(outline) = scaled.outline_glyph(glyph) {
                let ink = outline.px_bounds();
                let (x0, y0) = (ink.min.x as i32, ink.min.y as i32);
                outline.draw(|x, y, c| {
                    if c > 0.0 {
                        pixels.push((x0 + x as i32, y0 + y as i32, c.min(1.0)));
                    }
                });
            }
            pen += scaled.h_advance(id);
            previous = Some(id);
        }
        pixels
    }
}

type Drawn<E> = Result<(), DrawingErrorKind<E>>;

impl<B: DrawingBackend> DrawingBackend for GlyphText<B> {
    type ErrorType = B::ErrorType;

    fn get_size(&self) -> (u32, u32) {
        self.inner.get_size()
    }

    fn ensure_prepared(&mut self) -> Drawn<B::ErrorType> {
        self.inner.ensure_prepared()
    }

    fn present(&mut self) -> Drawn<B::ErrorType> {
        self.inner.present()
    }

    fn draw_pixel(&mut self, point: BackendCoord, color: BackendColor) -> Drawn<B::ErrorType> {
        self.inner.draw_pixel(point, color)
    }

    fn draw_line<S: BackendStyle>(
        &mut self,
        from: BackendCoord,
        to: BackendCoord,
        style: &S,
    ) -> Drawn<B::ErrorType> {
        self.inner.draw_line(from, to, style)
    }

    fn draw_rect<S: BackendStyle>(
        &mut self,
        upper_left: BackendCoord,
        bottom_right: BackendCoord,
        style: &S,
        fill: bool,
    ) -> Drawn<B::ErrorType> {
        self.inner.draw_rect(upper_left, bottom_right, style, fill)
    }

    fn draw_path<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        path: I,
        style: &S,
    ) -> Drawn<B::ErrorType> {
        self.inner.draw_path(path, style)
    }

    fn draw_circle<S: BackendStyle>(
        &mut self,
        center: BackendCoord,
        radius: u32,
        style: &S,
        fill: bool,
    ) -> Drawn<B::ErrorType> {
        self.inner.draw_circle(center, radius, style, fill)
    }

    fn fill_polygon<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        vert: I,
        style: &S,
    ) -> Drawn<B::ErrorType> {
        self.inner.fill_polygon(vert, style)
    }

    fn blit_bitmap(
        &mut self,
        pos: BackendCoord,
        size: (u32, u32),
        src: &[u8],
    ) -> Drawn<B::ErrorType> {
        self.inner.blit_bitmap(pos, size, src)
    }

    fn estimate_text_size<S: BackendTextStyle>(
        &self,
        text: &str,
        style: &S,
    ) -> Result<(u32, u32), DrawingErrorKind<B::ErrorType>> {
        self.inner.estimate_text_size(text, style)
    }

    fn draw_text<S: BackendTextStyle>(
        &mut self,
        text: &str,
        style: &S,
        pos: BackendCoord,
    ) -> Drawn<B::ErrorType> {
        if style.family().as_str() != self.family {
            return self.inner.draw_text(text, style, pos);
        }
        let color = style.color();
        if color.alpha == 0.0 {
            return Ok(());
        }
        // Anchor and rotation exactly as plotters places its text box.
        let ((min_x, min_y), (max_x, max_y)) =
            style.layout_box(text).map_err(|e| DrawingErrorKind::FontError(Box::new(e)))?;
        let (width, height) = (max_x - min_x, max_y - min_y);
        let dx = match style.anchor().h_pos {
            HPos::Left => 0,
            HPos::Right => -width,
            HPos::Center => -width / 2,
        };
        let dy = match style.anchor().v_pos {
            VPos::Top => 0,
            VPos::Center => -height / 2,
            VPos::Bottom => -height,
        };
        let transform = style.transform();
        let (w, h) = self.inner.get_size();
        for (x, y, c) in self.coverage(text, style.size() as f32) {
            let (x, y) = transform.transform(x + dx - min_x, y + dy - min_y);
            let (x, y) = (pos.0 + x, pos.1 + y);
            if x >= 0 && y >= 0 && x < w as i32 && y < h as i32 {
                let ink = BackendColor { alpha: color.alpha * f64::from(c), rgb: color.rgb };
                self.inner.draw_pixel((x, y), ink)?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ab_glyph::Font;

    fn font() -> FontRef<'static> {
        FontRef::try_from_slice(include_bytes!("../../assets/DejaVuSans.ttf")).unwrap()
    }

    /// Columns holding ink, as a left-to-right list of runs `(first, last)`.
    fn ink_runs(pixels: &[(i32, i32, f32)]) -> Vec<(i32, i32)> {
        let mut cols: Vec<i32> = pixels.iter().map(|p| p.0).collect();
        cols.sort();
        cols.dedup();
        let mut runs: Vec<(i32, i32)> = Vec::new();
        for c in cols {
            match runs.last_mut() {
                Some(r) if r.1 + 1 == c => r.1 = c,
                _ => runs.push((c, c)),
            }
        }
        runs
    }

    struct Null;

    impl DrawingBackend for Null {
        type ErrorType = std::io::Error;
        fn get_size(&self) -> (u32, u32) {
            (1, 1)
        }
        fn ensure_prepared(&mut self) -> Drawn<std::io::Error> {
            Ok(())
        }
        fn present(&mut self) -> Drawn<std::io::Error> {
            Ok(())
        }
        fn draw_pixel(&mut self, _: BackendCoord, _: BackendColor) -> Drawn<std::io::Error> {
            Ok(())
        }
    }

    #[test]
    fn glyphs_start_at_pen_plus_side_bearing() {
        let text = GlyphText::new(Null, "f", font());
        let size = 40.0;
        let scaled = font().into_scaled(size);
        // Glyphs with wide left side bearings, kept apart by spaces so that each is one run
        // of ink columns. Without the bearing (plotters 0.3.7) a glyph's ink starts at its pen.
        let word = "l n l";
        let runs = ink_runs(&text.coverage(word, size));
        assert_eq!(runs.len(), 3, "{runs:?}");
        let mut pen = 0.0f32;
        let mut previous: Option<GlyphId> = None;
        let mut expected = Vec::new();
        for c in word.chars() {
            let id = scaled.glyph_id(c);
            if let Some(p) = previous {
                pen += scaled.kern(p, id);
            }
            if c != ' ' {
                let bearing = scaled.h_side_bearing(id);
                assert!(bearing > 2.5, "{c}: bearing {bearing} too small to tell");
                expected.push((pen + bearing).floor() as i32);
            }
            pen += scaled.h_advance(id);
            previous = Some(id);
        }
        for (run, want) in runs.iter().zip(&expected) {
            assert!((run.0 - want).abs() <= 1, "ink starts at {} instead of {want}", run.0);
        }
    }
}
