//! Drawing the map: points and pictures into one pixel buffer per frame (60,000 points
//! cost a loop over memory, not 60,000 canvas calls), then the numerals, the query and
//! the ring with the canvas's own calls.

use wasm_bindgen::Clamped;
use web_sys::{CanvasRenderingContext2d, ImageData};

use super::colours::{PALETTE, colour, css};
use super::view::View;

/// Zoom (against the whole map) from which points become pictures...
const PICTURE_ZOOM: f32 = 6.0;
/// ... when at most this many are in view (more would cost the frame).
const MAX_PICTURES: usize = 700;
/// A point's side in CSS pixels is its share of the canvas's side times this...
const DOT_SHARE: f32 = 0.45;
/// ... between 1 and this: a set of twenty gets points that can be seen and pointed at.
const MAX_DOT_CSS: f32 = 9.0;

impl View {
    /// Side of a point in device pixels when `in_view` points are in view: the side of
    /// each one's share of the canvas, scaled down, so that a small set (or MNIST zoomed
    /// in) gets points large enough to see and 60,000 stay apart.
    fn dot(&self, in_view: usize) -> i64 {
        let dpr = self.dpr as f32;
        let area = self.width as f32 * self.height as f32 / (dpr * dpr);
        let share = (area / in_view.max(1) as f32).sqrt();
        let css = (DOT_SHARE * share).clamp(1.0, MAX_DOT_CSS);
        (css * dpr).round().max(1.0) as i64
    }

    /// A point `side` device pixels across centred on `(x, y)`: a square while small, a
    /// disc once large enough for its corners to show.
    fn point(&mut self, x: i64, y: i64, side: i64, c: [u8; 3]) {
        let (w, h) = (i64::from(self.width), i64::from(self.height));
        let (x0, y0) = (x - side / 2, y - side / 2);
        let r = side as f32 / 2.0;
        for yy in y0.max(0)..(y0 + side).min(h) {
            let row = (yy * w) as usize * 4;
            let dy = (yy - y0) as f32 + 0.5 - r;
            for xx in x0.max(0)..(x0 + side).min(w) {
                let dx = (xx - x0) as f32 + 0.5 - r;
                if side >= 4 && dx * dx + dy * dy > r * r {
                    continue;
                }
                let o = row + xx as usize * 4;
                self.buffer[o..o + 3].copy_from_slice(&c);
            }
        }
    }

    /// A digit's picture, ink in its label's colour, `side` pixels square centred on
    /// `(x, y)`, with a frame of `frame` pixels in that colour.
    fn picture(&mut self, id: u32, x: i64, y: i64, side: usize, frame: usize) -> bool {
        let Some(img) = self.images.get(&id) else {
            return false;
        };
        let (rows, cols) = self.image_side;
        let label = usize::from(self.labels.get(id as usize).copied().unwrap_or(0)) % PALETTE.len();
        let ink = PALETTE[label];
        let tints = &self.tints[label * 256..(label + 1) * 256];
        let (w, h) = (i64::from(self.width), i64::from(self.height));
        let (x0, y0) = (x - side as i64 / 2, y - side as i64 / 2);
        let source: Vec<usize> = (0..side).map(|t| (t * cols / side).min(cols - 1)).collect();
        for ty in 0..side {
            let yy = y0 + ty as i64;
            if yy < 0 || yy >= h {
                continue;
            }
            let src_row = &img[(ty * rows / side).min(rows - 1) * cols..][..cols];
            let row_edge = ty < frame || ty >= side - frame;
            for (tx, &sx) in source.iter().enumerate() {
                let xx = x0 + tx as i64;
                if xx < 0 || xx >= w {
                    continue;
                }
                let c = if row_edge || tx < frame || tx >= side - frame {
                    ink
                } else {
                    tints[usize::from(src_row[sx])]
                };
                let o = (yy * w + xx) as usize * 4;
                self.buffer[o..o + 3].copy_from_slice(&c);
            }
        }
        true
    }

    /// Draws a frame; returns the ids whose pictures it would show but does not have.
    pub fn draw(&mut self, ctx: &CanvasRenderingContext2d) -> Vec<u32> {
        self.buffer.copy_from_slice(&self.blank);
        let zoom = self.zoom();
        let tile = self.tile();
        let margin = tile as f32;
        let (w, h) = (self.width as f32, self.height as f32);
        let mut in_view: Vec<(u32, i64, i64)> = Vec::new();
        let mut missing = Vec::new();
        for i in 0..self.map.len() {
            let [x, y] = self.map.points()[i];
            let (sx, sy) = self.to_screen(f32::from(x), f32::from(y));
            if sx < -margin || sy < -margin || sx > w + margin || sy > h + margin {
                continue;
            }
            in_view.push((i as u32, sx as i64, sy as i64));
        }
        let dot = self.dot(in_view.len());
        let pictures = zoom >= PICTURE_ZOOM && in_view.len() <= MAX_PICTURES;
        for &(i, sx, sy) in &in_view {
            let c = colour(self.labels[i as usize]);
            if !(pictures && self.picture(i, sx, sy, tile, 1)) {
                if pictures {
                    missing.push(i);
                }
                self.point(sx, sy, dot, c);
            }
        }
        if let Some((id, (sx, sy))) = self.focus.and_then(|id| Some((id, self.screen_of(id)?))) {
            let big = (self.image_side.1 as f64 * 2.5 * self.dpr) as usize;
            let off = (big / 2) as i64 + (10.0 * self.dpr) as i64;
            // Beside the point, on whichever side leaves it inside the canvas.
            let px = if sx as i64 + off + big as i64 / 2 > self.width as i64 {
                sx as i64 - off
            } else {
                sx as i64 + off
            };
            let py = if (sy as i64 - off) < big as i64 / 2 {
                sy as i64 + off
            } else {
                sy as i64 - off
            };
            if !self.picture(id, px, py, big, 2) {
                missing.push(id);
            }
        }
        if let Ok(img) = ImageData::new_with_u8_clamped_array_and_sh(
            Clamped(&self.buffer),
            self.width,
            self.height,
        ) {
            let _ = ctx.put_image_data(&img, 0.0, 0.0);
        }
        let ring = if pictures {
            tile as f64 / 2.0
        } else {
            dot as f64 / 2.0
        };
        self.overlay(ctx, pictures, ring);
        missing
    }

    /// What is drawn with the canvas's own calls over the points: the digits' numerals,
    /// the query and its hits, the ring around the point shown, `ring` device pixels
    /// from its centre at least.
    fn overlay(&self, ctx: &CanvasRenderingContext2d, pictures: bool, ring: f64) {
        let dpr = self.dpr;
        ctx.set_line_join("round");
        if !pictures {
            ctx.set_font(&format!(
                "bold {}px system-ui, sans-serif",
                (18.0 * dpr).round()
            ));
            ctx.set_text_align("center");
            ctx.set_text_baseline("middle");
            ctx.set_line_width(4.0 * dpr);
            ctx.set_stroke_style_str("#000000");
            for (label, text, x, y) in &self.numerals {
                let (sx, sy) = self.to_screen(*x, *y);
                let _ = ctx.stroke_text(text, f64::from(sx), f64::from(sy));
                ctx.set_fill_style_str(&css(colour(*label)));
                let _ = ctx.fill_text(text, f64::from(sx), f64::from(sy));
            }
        }
        if let Some(mark) = &self.mark {
            self.query(ctx, mark);
        }
        if let Some((sx, sy)) = self.focus.and_then(|id| self.screen_of(id)) {
            // White in a dark ring, seen on the ground, on light points and on pictures,
            // and wider than the query's disc, which its nearest often sits beside.
            let r = (ring + 3.0 * dpr).max(11.0 * dpr);
            for (width, colour) in [(5.0, "#000000"), (2.5, "#ffffff")] {
                ctx.begin_path();
                let _ = ctx.arc(f64::from(sx), f64::from(sy), r, 0.0, std::f64::consts::TAU);
                ctx.set_line_width(width * dpr);
                ctx.set_stroke_style_str(colour);
                ctx.stroke();
            }
        }
    }

    /// The query joined to its hits; hits of another label than the vote crossed.
    fn query(&self, ctx: &CanvasRenderingContext2d, mark: &super::view::Mark) {
        let dpr = self.dpr;
        let (qx, qy) = self.to_screen(mark.at[0], mark.at[1]);
        let (qx, qy) = (f64::from(qx), f64::from(qy));
        ctx.set_line_width(1.5 * dpr);
        ctx.set_stroke_style_str("rgba(255,255,255,0.85)");
        let points: Vec<(f64, f64, bool)> = mark
            .hits
            .iter()
            .filter_map(|&(id, label)| {
                let (sx, sy) = self.screen_of(id)?;
                let other = mark.label.is_some() && label != mark.label;
                Some((f64::from(sx), f64::from(sy), other))
            })
            .collect();
        ctx.begin_path();
        for &(sx, sy, _) in &points {
            ctx.move_to(qx, qy);
            ctx.line_to(sx, sy);
        }
        ctx.stroke();
        // Hits: a ring; hits of another label than the vote: a cross through it.
        for &(sx, sy, other) in &points {
            let r = 5.0 * dpr;
            ctx.begin_path();
            let _ = ctx.arc(sx, sy, r, 0.0, std::f64::consts::TAU);
            ctx.set_line_width(2.0 * dpr);
            ctx.set_stroke_style_str("#ffffff");
            ctx.stroke();
            if other {
                let r = 7.0 * dpr;
                ctx.begin_path();
                ctx.move_to(sx - r, sy - r);
                ctx.line_to(sx + r, sy + r);
                ctx.move_to(sx - r, sy + r);
                ctx.line_to(sx + r, sy - r);
                ctx.set_line_width(3.0 * dpr);
                ctx.set_stroke_style_str("#ff4d4d");
                ctx.stroke();
            }
        }
        // The query: a white disc in a dark ring, larger than any point.
        ctx.begin_path();
        let _ = ctx.arc(qx, qy, 8.0 * dpr, 0.0, std::f64::consts::TAU);
        ctx.set_fill_style_str("#ffffff");
        ctx.fill();
        ctx.set_line_width(3.0 * dpr);
        ctx.set_stroke_style_str("#000000");
        ctx.stroke();
    }
}
