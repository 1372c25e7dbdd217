//! The map, as a view: every training digit a point coloured by its label, drawn into one
//! pixel buffer per frame (a 2D canvas: 60,000 points cost a loop over memory, not 60,000
//! canvas calls); zoomed in, the points become the digits' pictures. The query sits where
//! its nearest digits are, joined to them; hover or tap shows a digit, click searches for
//! it; arrows pan and +/- zoom. The map is asked for only once a first result is shown.

use std::cell::Cell;
use std::collections::{HashMap, HashSet};
use std::time::Duration;

use leptos::html;
use leptos::prelude::*;
use wasm_bindgen::{Clamped, JsCast};
use web_sys::{CanvasRenderingContext2d, ImageData, KeyboardEvent, PointerEvent, WheelEvent};

use super::client::{Client, OwnMap};
use super::fetch::now;
use super::protocol::{Answer, Image, LayoutProgress, MapFile, Query, SetInfo};
use super::results::label_name;
use super::status::thousands;
use crate::{Map, Neighbor, metrics};

/// Colours by label: Okabe and Ito's seven without black (the map is dark), then three
/// of Paul Tol's "light" scheme; both are chosen to stay apart for colour-blind eyes, and
/// each cluster also carries its digit, so colour is never the only cue.
pub const PALETTE: [[u8; 3]; 10] = [
    [0xE6, 0x9F, 0x00],
    [0x56, 0xB4, 0xE9],
    [0x00, 0x9E, 0x73],
    [0xF0, 0xE4, 0x42],
    [0x00, 0x72, 0xB2],
    [0xD5, 0x5E, 0x00],
    [0xCC, 0x79, 0xA7],
    [0xDD, 0xDD, 0xDD],
    [0xFF, 0xAA, 0xBB],
    [0xAA, 0xAA, 0x00],
];
/// The map's ground in both colour schemes: digits are light ink on dark, as MNIST is.
const GROUND: [u8; 3] = [0x16, 0x18, 0x1c];
/// Zoom (against the whole map) from which points become pictures...
const PICTURE_ZOOM: f32 = 6.0;
/// ... when at most this many are in view (more would cost the frame).
const MAX_PICTURES: usize = 700;
/// Pictures kept in the page; beyond this the cache starts again.
const MAX_CACHED: usize = 12_000;
/// Zoom of "to the query".
const QUERY_ZOOM: f32 = 40.0;
/// Zoom limits against the whole map.
const ZOOM_RANGE: (f32, f32) = (0.5, 400.0);

fn colour(label: u8) -> [u8; 3] {
    PALETTE[usize::from(label) % PALETTE.len()]
}

fn css(c: [u8; 3]) -> String {
    format!("#{:02x}{:02x}{:02x}", c[0], c[1], c[2])
}

/// The query as placed: where, its hits with their labels, the label they vote for.
struct Mark {
    at: [f32; 2],
    hits: Vec<(u32, Option<u8>)>,
    label: Option<u8>,
}

/// A press that may become a drag or stay a click.
struct Press {
    from: (f64, f64),
    centre: (f32, f32),
    moved: bool,
}

/// Everything the canvas shows and the state of looking at it.
struct View {
    map: Map,
    labels: Vec<u8>,
    /// Each named label's name, drawn at the median of its points.
    numerals: Vec<(u8, String, f32, f32)>,
    /// Centre of the view in grid units, and device pixels per grid unit.
    cx: f32,
    cy: f32,
    scale: f32,
    /// The scale at which the whole map fits the canvas.
    fit: f32,
    width: u32,
    height: u32,
    dpr: f64,
    buffer: Vec<u8>,
    /// The ground alone, copied over the buffer to start each frame (one memcpy).
    blank: Vec<u8>,
    images: HashMap<u32, Vec<u8>>,
    /// Each label's ink at each grey level, mixed into the ground: one lookup a pixel.
    tints: Vec<[u8; 3]>,
    image_side: (usize, usize),
    asked: HashSet<u32>,
    hover: Option<u32>,
    mark: Option<Mark>,
    press: Option<Press>,
    pointers: Vec<(i32, f64, f64)>,
}

impl View {
    /// A view of `map` whose points carry `labels`; the labels in `names` are written on
    /// the map where their points are.
    fn new(map: Map, labels: Vec<u8>, names: Vec<(u8, String)>) -> View {
        let mut numerals = Vec::new();
        for (label, name) in names {
            let mut xs: Vec<u16> = Vec::new();
            let mut ys: Vec<u16> = Vec::new();
            for (p, _) in map
                .points()
                .iter()
                .zip(&labels)
                .filter(|(_, l)| **l == label)
            {
                xs.push(p[0]);
                ys.push(p[1]);
            }
            if xs.is_empty() {
                continue;
            }
            xs.sort_unstable();
            ys.sort_unstable();
            let mid = xs.len() / 2;
            numerals.push((label, name, f32::from(xs[mid]), f32::from(ys[mid])));
        }
        View {
            cx: f32::from(map.width()) / 2.0,
            cy: f32::from(map.height()) / 2.0,
            map,
            labels,
            numerals,
            scale: 0.0,
            fit: 0.0,
            width: 0,
            height: 0,
            dpr: 1.0,
            buffer: Vec::new(),
            blank: Vec::new(),
            images: HashMap::new(),
            tints: (0..PALETTE.len() * 256)
                .map(|i| {
                    let (ink, v) = (PALETTE[i / 256], (i % 256) as u16);
                    let mix =
                        |g: u8, c: u8| ((u16::from(g) * (255 - v) + u16::from(c) * v) / 255) as u8;
                    [
                        mix(GROUND[0], ink[0]),
                        mix(GROUND[1], ink[1]),
                        mix(GROUND[2], ink[2]),
                    ]
                })
                .collect(),
            image_side: (28, 28),
            asked: HashSet::new(),
            hover: None,
            mark: None,
            press: None,
            pointers: Vec::new(),
        }
    }

    fn zoom(&self) -> f32 {
        self.scale / self.fit
    }

    /// Grid units to device pixels, and back.
    fn to_screen(&self, x: f32, y: f32) -> (f32, f32) {
        (
            (x - self.cx) * self.scale + self.width as f32 / 2.0,
            (y - self.cy) * self.scale + self.height as f32 / 2.0,
        )
    }

    fn to_grid(&self, sx: f32, sy: f32) -> (f32, f32) {
        (
            (sx - self.width as f32 / 2.0) / self.scale + self.cx,
            (sy - self.height as f32 / 2.0) / self.scale + self.cy,
        )
    }

    fn reset(&mut self) {
        self.cx = f32::from(self.map.width()) / 2.0;
        self.cy = f32::from(self.map.height()) / 2.0;
        self.scale = self.fit;
    }

    /// Zooms by `factor` keeping the grid point under device pixel `(sx, sy)` in place.
    fn zoom_at(&mut self, factor: f32, sx: f32, sy: f32) {
        let (gx, gy) = self.to_grid(sx, sy);
        let (lo, hi) = ZOOM_RANGE;
        self.scale = (self.scale * factor).clamp(self.fit * lo, self.fit * hi);
        self.cx = gx - (sx - self.width as f32 / 2.0) / self.scale;
        self.cy = gy - (sy - self.height as f32 / 2.0) / self.scale;
        self.keep_in_bounds();
    }

    fn pan(&mut self, dx_px: f32, dy_px: f32) {
        self.cx -= dx_px / self.scale;
        self.cy -= dy_px / self.scale;
        self.keep_in_bounds();
    }

    fn keep_in_bounds(&mut self) {
        self.cx = self.cx.clamp(0.0, f32::from(self.map.width()));
        self.cy = self.cy.clamp(0.0, f32::from(self.map.height()));
    }

    /// Side of a picture in device pixels at the current zoom.
    fn tile(&self) -> usize {
        let base = self.image_side.1 as f64 * self.dpr;
        (base * f64::from(self.zoom() / 32.0).clamp(0.5, 2.0)).round() as usize
    }

    /// The digit under device pixel `(sx, sy)`, if one is close enough.
    fn under(&self, sx: f32, sy: f32) -> Option<u32> {
        let (gx, gy) = self.to_grid(sx, sy);
        let (d2, id) = *self.map.nearest(gx, gy, 1, None).first()?;
        let reach = (self.tile() as f32 / 2.0).max(8.0 * self.dpr as f32) / self.scale;
        (d2 <= reach * reach).then_some(id)
    }

    fn fill(&mut self, x: i64, y: i64, side: i64, c: [u8; 3]) {
        let (w, h) = (i64::from(self.width), i64::from(self.height));
        for yy in y.max(0)..(y + side).min(h) {
            let row = (yy * w) as usize * 4;
            for xx in x.max(0)..(x + side).min(w) {
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
    fn draw(&mut self, ctx: &CanvasRenderingContext2d) -> Vec<u32> {
        self.buffer.copy_from_slice(&self.blank);
        let zoom = self.zoom();
        let dpr = self.dpr as f32;
        let dot = (if zoom < 2.0 {
            1.0
        } else if zoom < 5.0 {
            2.0
        } else {
            3.0
        } * dpr)
            .round()
            .max(1.0) as i64;
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
        let pictures = zoom >= PICTURE_ZOOM && in_view.len() <= MAX_PICTURES;
        for &(i, sx, sy) in &in_view {
            let c = colour(self.labels[i as usize]);
            if !(pictures && self.picture(i, sx, sy, tile, 1)) {
                if pictures {
                    missing.push(i);
                }
                self.fill(sx - dot / 2, sy - dot / 2, dot, c);
            }
        }
        if let Some(id) = self.hover {
            let [x, y] = self.map.points()[id as usize];
            let (sx, sy) = self.to_screen(f32::from(x), f32::from(y));
            let big = (self.image_side.1 as f64 * 2.5 * self.dpr) as usize;
            let off = (big / 2) as i64 + (10.0 * self.dpr) as i64;
            if !self.picture(id, sx as i64 + off, sy as i64 - off, big, 2) {
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
        self.overlay(ctx, pictures);
        missing
    }

    /// What is drawn with the canvas's own calls over the points: the digits' numerals,
    /// the query and its hits, the ring around the digit under the pointer.
    fn overlay(&self, ctx: &CanvasRenderingContext2d, pictures: bool) {
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
            let (qx, qy) = self.to_screen(mark.at[0], mark.at[1]);
            let (qx, qy) = (f64::from(qx), f64::from(qy));
            ctx.set_line_width(1.5 * dpr);
            ctx.set_stroke_style_str("rgba(255,255,255,0.85)");
            let points: Vec<(f64, f64, bool)> = mark
                .hits
                .iter()
                .filter_map(|&(id, label)| {
                    let [x, y] = *self.map.points().get(id as usize)?;
                    let (sx, sy) = self.to_screen(f32::from(x), f32::from(y));
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
        if let Some(id) = self.hover {
            let [x, y] = self.map.points()[id as usize];
            let (sx, sy) = self.to_screen(f32::from(x), f32::from(y));
            ctx.begin_path();
            let _ = ctx.arc(
                f64::from(sx),
                f64::from(sy),
                (self.tile() as f64 / 2.0).max(6.0 * dpr),
                0.0,
                std::f64::consts::TAU,
            );
            ctx.set_line_width(2.0 * dpr);
            ctx.set_stroke_style_str("#ffffff");
            ctx.stroke();
        }
    }
}

/// The map panel. `answer` is the result shown; `on_query` searches for a clicked digit.
#[component]
pub fn MapPanel(
    client: Client,
    set: Signal<Option<SetInfo>>,
    on_query: Callback<Query>,
) -> impl IntoView {
    let canvas: NodeRef<html::Canvas> = NodeRef::new();
    let view: StoredValue<Option<View>, LocalStorage> = StoredValue::new_local(None);
    let scheduled: StoredValue<Cell<bool>, LocalStorage> = StoredValue::new_local(Cell::new(false));
    let asked = StoredValue::new(false);
    let ready = RwSignal::new(false);
    let problem = RwSignal::new(None::<String>);
    let hovered = RwSignal::new(None::<(u32, Option<u8>)>);
    let pending = StoredValue::new(None::<u32>);
    let landed = RwSignal::new(String::new());
    let own = move || set.with(|s| s.as_ref().is_some_and(|s| s.own));
    // The panel appears with the first result and stays.
    let shown = RwSignal::new(false);
    // The view holds an own set's map (laid out in the worker) rather than MNIST's, which
    // waits in `mnist` meanwhile, so that going back shows it without fetching it again.
    let own_shown = RwSignal::new(false);
    let mnist: StoredValue<Option<View>, LocalStorage> = StoredValue::new_local(None);
    // "training digit" or "image": what a point is, for the words around the map.
    let noun = move || if own() { "image" } else { "training digit" };

    let image_of = move |id: u32| {
        view.with_value(|v| {
            let v = v.as_ref()?;
            let (rows, cols) = v.image_side;
            Some(Image {
                rows: rows as u16,
                cols: cols as u16,
                pixels: v.images.get(&id)?.clone(),
            })
        })
    };
    let search_for = move |id: u32| match image_of(id) {
        Some(image) => {
            let label =
                view.with_value(|v| v.as_ref().and_then(|v| v.labels.get(id as usize).copied()));
            let info = set.get_untracked();
            let about = match (label, &info) {
                (Some(l), Some(s)) if s.labelled => format!(" ({})", label_name(s, l)),
                _ => String::new(),
            };
            on_query.run(Query {
                image,
                source: format!("{} #{id}{about}", noun()),
            });
        }
        None => {
            pending.set_value(Some(id));
            client.images(vec![id]);
        }
    };
    // One frame at a time, whatever asked for it.
    let frame = move || {
        let Some(c) = canvas.get_untracked() else {
            return;
        };
        let Some(ctx) = c
            .get_context("2d")
            .ok()
            .flatten()
            .and_then(|x| x.dyn_into::<CanvasRenderingContext2d>().ok())
        else {
            return;
        };
        let start = now();
        let dpr = web_sys::window()
            .map_or(1.0, |w| w.device_pixel_ratio())
            .clamp(1.0, 2.0);
        let (cw, ch) = (
            (f64::from(c.client_width()) * dpr).round() as u32,
            (f64::from(c.client_height()) * dpr).round() as u32,
        );
        if cw == 0 || ch == 0 {
            return;
        }
        let missing = view
            .try_update_value(|v| {
                let v = v.as_mut()?;
                // A canvas made anew (the panel switched maps) has its default size.
                if (v.width, v.height) != (cw, ch)
                    || (c.width(), c.height()) != (cw, ch)
                    || v.dpr != dpr
                {
                    let zoom = if v.fit > 0.0 { v.zoom() } else { 1.0 };
                    c.set_width(cw);
                    c.set_height(ch);
                    v.width = cw;
                    v.height = ch;
                    v.dpr = dpr;
                    v.blank = [GROUND[0], GROUND[1], GROUND[2], 255].repeat((cw * ch) as usize);
                    v.buffer = v.blank.clone();
                    v.fit = 0.95
                        * (cw as f32 / f32::from(v.map.width().max(1)))
                            .min(ch as f32 / f32::from(v.map.height().max(1)));
                    v.scale = v.fit * zoom;
                }
                let missing = v.draw(&ctx);
                let _ = c.set_attribute("data-zoom", &format!("{:.3}", v.zoom()));
                let _ = c.set_attribute("data-centre", &format!("{:.0},{:.0}", v.cx, v.cy));
                // Where the query is, in CSS pixels of the canvas (for bench/map.js).
                if let Some(m) = &v.mark {
                    let (sx, sy) = v.to_screen(m.at[0], m.at[1]);
                    let at = format!("{:.0},{:.0}", f64::from(sx) / dpr, f64::from(sy) / dpr);
                    let _ = c.set_attribute("data-query-at", &at);
                }
                Some(missing)
            })
            .flatten()
            .unwrap_or_default();
        let _ = c.set_attribute("data-frame-ms", &format!("{:.2}", now() - start));
        let wanted: Vec<u32> = view
            .try_update_value(|v| {
                v.as_mut().map(|v| {
                    missing
                        .into_iter()
                        .filter(|id| v.asked.insert(*id))
                        .collect()
                })
            })
            .flatten()
            .unwrap_or_default();
        if !wanted.is_empty() {
            client.images(wanted);
        }
    };
    let schedule = move || {
        if scheduled.with_value(|s| s.replace(true)) {
            return;
        }
        request_animation_frame(move || {
            scheduled.with_value(|s| s.set(false));
            frame();
        });
    };

    // The map is asked for once a first result has been painted, never before.
    Effect::new(move |_| {
        let answered = client.answer.with(Option::is_some);
        if answered && !shown.get_untracked() {
            shown.set(true);
        }
        if answered && !own() && !asked.get_value() {
            asked.set_value(true);
            request_animation_frame(move || {
                set_timeout(move || client.fetch_map(), Duration::from_millis(0));
            });
        }
    });
    Effect::new(move |_| match client.map.get() {
        Some(Ok(MapFile {
            file,
            bytes,
            fingerprint,
            labels,
        })) => match Map::from_bytes(&file, &bytes, fingerprint, labels.len()) {
            Ok(map) => {
                let digits = (0..10u8).map(|l| (l, l.to_string())).collect();
                let fetched = View::new(map, labels, digits);
                if own_shown.get_untracked() {
                    mnist.set_value(Some(fetched));
                } else {
                    view.set_value(Some(fetched));
                }
                problem.set(None);
                ready.set(true);
                schedule();
            }
            Err(e) => problem.set(Some(e.to_string())),
        },
        Some(Err(p)) => problem.set(Some(p.message())),
        None => {}
    });
    Effect::new(move |_| {
        let Some(batch) = client.map_images.get() else {
            return;
        };
        let (rows, cols) = (usize::from(batch.rows), usize::from(batch.cols));
        let dim = rows * cols;
        if dim == 0 || batch.pixels.len() != dim * batch.ids.len() {
            return;
        }
        view.update_value(|v| {
            if let Some(v) = v {
                if v.images.len() + batch.ids.len() > MAX_CACHED {
                    v.images.clear();
                    v.asked.clear();
                }
                v.image_side = (rows, cols);
                for (id, px) in batch.ids.iter().zip(batch.pixels.chunks_exact(dim)) {
                    v.images.insert(*id, px.to_vec());
                }
            }
        });
        if let Some(id) = pending.get_value()
            && batch.ids.contains(&id)
        {
            pending.set_value(None);
            search_for(id);
        }
        schedule();
    });
    // An own set's map, once laid out, takes MNIST's place; another set or going back to
    // MNIST (the worker then drops the own layout, and the client forgets it) puts
    // MNIST's back.
    Effect::new(move |_| {
        let laid_out = client.own_map.with(|m| match m {
            OwnMap::Done { map, .. } => Some(map.clone()),
            _ => None,
        });
        let info = set.get();
        match (laid_out, info.filter(|s| s.own)) {
            (Some(file), Some(info)) => {
                match Map::from_bytes(&file.file, &file.bytes, file.fingerprint, file.labels.len())
                {
                    Ok(map) => {
                        let names = own_names(&info, &file.labels);
                        let own_view = View::new(map, file.labels, names);
                        let before = view.try_update_value(|v| v.replace(own_view)).flatten();
                        if !own_shown.get_untracked() {
                            mnist.set_value(before);
                        }
                        own_shown.set(true);
                        schedule();
                    }
                    Err(e) => client
                        .own_map
                        .set(OwnMap::Failed(super::protocol::Problem::from_engine(&e))),
                }
            }
            _ => {
                if own_shown.get_untracked() {
                    let back = mnist.try_update_value(Option::take).flatten();
                    view.set_value(back);
                    own_shown.set(false);
                    hovered.set(None);
                    schedule();
                }
            }
        }
    });
    // The query placed where its hits are; it follows every new answer, so it moves
    // while a digit is drawn.
    Effect::new(move |_| {
        let answer = client.answer.get();
        let on_map = if own() {
            own_shown.get()
        } else {
            ready.get() && !own_shown.get()
        };
        let info = set.get_untracked();
        let placed = match (&answer, on_map) {
            (Some(a), true) => {
                let start = now();
                let placed = view
                    .try_update_value(|v| v.as_mut().map(|v| place(v, a, info.as_ref())))
                    .flatten()
                    .flatten();
                // What placing costs, read by bench/map.js.
                if let Some(c) = canvas.get_untracked() {
                    let _ = c.set_attribute("data-place-ms", &format!("{:.3}", now() - start));
                }
                placed
            }
            _ => {
                view.update_value(|v| {
                    if let Some(v) = v {
                        v.mark = None;
                    }
                });
                None
            }
        };
        landed.set(placed.unwrap_or_default());
        schedule();
    });
    let on_resize = window_event_listener(leptos::ev::resize, move |_| schedule());
    on_cleanup(move || on_resize.remove());

    let point = move |ev: &PointerEvent| -> Option<(f32, f32, f64)> {
        let c = canvas.get_untracked()?;
        let rect = c.get_bounding_client_rect();
        let dpr = view.with_value(|v| v.as_ref().map_or(1.0, |v| v.dpr));
        Some((
            ((f64::from(ev.client_x()) - rect.left()) * dpr) as f32,
            ((f64::from(ev.client_y()) - rect.top()) * dpr) as f32,
            dpr,
        ))
    };
    let set_hover = move |id: Option<u32>| {
        let label = id.and_then(|i| {
            view.try_update_value(|v| {
                let v = v.as_mut()?;
                v.hover = Some(i);
                v.labels.get(i as usize).copied()
            })
            .flatten()
        });
        if id.is_none() {
            view.update_value(|v| {
                if let Some(v) = v {
                    v.hover = None;
                }
            });
        }
        hovered.set(id.map(|i| (i, label)));
        schedule();
    };

    let on_down = move |ev: PointerEvent| {
        let Some((x, y, _)) = point(&ev) else { return };
        if let Some(c) = canvas.get_untracked() {
            let _ = c.set_pointer_capture(ev.pointer_id());
        }
        view.update_value(|v| {
            if let Some(v) = v {
                v.pointers
                    .push((ev.pointer_id(), f64::from(x), f64::from(y)));
                v.press = (v.pointers.len() == 1).then_some(Press {
                    from: (f64::from(x), f64::from(y)),
                    centre: (v.cx, v.cy),
                    moved: false,
                });
            }
        });
    };
    let on_move = move |ev: PointerEvent| {
        let Some((x, y, dpr)) = point(&ev) else {
            return;
        };
        let mut hover_check = false;
        view.update_value(|v| {
            let Some(v) = v else { return };
            let id = ev.pointer_id();
            let before = v.pointers.clone();
            if let Some(p) = v.pointers.iter_mut().find(|p| p.0 == id) {
                p.1 = f64::from(x);
                p.2 = f64::from(y);
            }
            if v.pointers.len() == 2 && before.len() == 2 {
                // Pinch: zoom by the change of the fingers' distance, about their middle.
                let dist =
                    |p: &[(i32, f64, f64)]| ((p[0].1 - p[1].1).hypot(p[0].2 - p[1].2)).max(1.0);
                let factor = (dist(&v.pointers) / dist(&before)) as f32;
                let mx = ((v.pointers[0].1 + v.pointers[1].1) / 2.0) as f32;
                let my = ((v.pointers[0].2 + v.pointers[1].2) / 2.0) as f32;
                v.zoom_at(factor, mx, my);
                if let Some(p) = &mut v.press {
                    p.moved = true;
                }
            } else if let Some(p) = &mut v.press {
                let (dx, dy) = (f64::from(x) - p.from.0, f64::from(y) - p.from.1);
                if dx.hypot(dy) > 4.0 * dpr {
                    p.moved = true;
                }
                if p.moved {
                    let centre = p.centre;
                    v.cx = centre.0;
                    v.cy = centre.1;
                    v.pan(dx as f32, dy as f32);
                }
            } else {
                hover_check = true;
            }
        });
        if hover_check && ev.pointer_type() != "touch" {
            let id = view.with_value(|v| v.as_ref().and_then(|v| v.under(x, y)));
            if id != hovered.get_untracked().map(|h| h.0) {
                set_hover(id);
            }
        } else {
            schedule();
        }
    };
    let on_up = move |ev: PointerEvent| {
        let Some((x, y, _)) = point(&ev) else { return };
        let press = view
            .try_update_value(|v| {
                let v = v.as_mut()?;
                v.pointers.retain(|p| p.0 != ev.pointer_id());
                if v.pointers.is_empty() {
                    v.press.take()
                } else {
                    None
                }
            })
            .flatten();
        let Some(press) = press else { return };
        if press.moved {
            return;
        }
        // A click searches for the digit under it; a tap shows it first (a finger
        // cannot hover), with a button to search.
        let id = view.with_value(|v| v.as_ref().and_then(|v| v.under(x, y)));
        set_hover(id);
        if let Some(id) = id
            && ev.pointer_type() != "touch"
        {
            search_for(id);
        }
    };
    let on_leave = move |ev: PointerEvent| {
        if ev.pointer_type() != "touch"
            && view.with_value(|v| v.as_ref().is_some_and(|v| v.press.is_none()))
        {
            set_hover(None);
        }
    };
    let on_wheel = move |ev: WheelEvent| {
        let Some(c) = canvas.get_untracked() else {
            return;
        };
        ev.prevent_default();
        let rect = c.get_bounding_client_rect();
        view.update_value(|v| {
            if let Some(v) = v {
                let factor = (-ev.delta_y() as f32 * 0.002).exp().clamp(0.5, 2.0);
                let sx = ((f64::from(ev.client_x()) - rect.left()) * v.dpr) as f32;
                let sy = ((f64::from(ev.client_y()) - rect.top()) * v.dpr) as f32;
                v.zoom_at(factor, sx, sy);
            }
        });
        schedule();
    };
    let step = move |what: Step| {
        view.update_value(|v| {
            if let Some(v) = v {
                let (w, h) = (v.width as f32, v.height as f32);
                match what {
                    Step::Pan(dx, dy) => v.pan(-dx * w / 8.0, -dy * h / 8.0),
                    Step::Zoom(f) => v.zoom_at(f, w / 2.0, h / 2.0),
                    Step::Reset => v.reset(),
                    Step::Query => {
                        if let Some(at) = v.mark.as_ref().map(|m| m.at) {
                            v.cx = at[0];
                            v.cy = at[1];
                            v.scale = v.fit * QUERY_ZOOM;
                        }
                    }
                }
            }
        });
        schedule();
    };
    let on_key = move |ev: KeyboardEvent| {
        let what = match ev.key().as_str() {
            "ArrowLeft" => Step::Pan(-1.0, 0.0),
            "ArrowRight" => Step::Pan(1.0, 0.0),
            "ArrowUp" => Step::Pan(0.0, -1.0),
            "ArrowDown" => Step::Pan(0.0, 1.0),
            "+" | "=" => Step::Zoom(1.5),
            "-" | "_" => Step::Zoom(1.0 / 1.5),
            "0" | "Home" => Step::Reset,
            _ => return,
        };
        ev.prevent_default();
        step(what);
    };

    let hovered_text = move || {
        hovered.get().map(|(id, label)| {
            let about = match (label, set.get()) {
                (Some(l), Some(s)) if s.labelled => format!(", a {}", label_name(&s, l)),
                (Some(l), None) => format!(", a {l}"),
                _ => String::new(),
            };
            let noun = if own() { "Image" } else { "Training digit" };
            format!("{noun} #{id}{about}.")
        })
    };
    let legend = move || {
        let names: Vec<(u8, String)> = if own_shown.get() {
            view.with_value(|v| {
                v.as_ref()
                    .map(|v| v.numerals.iter().map(|n| (n.0, n.1.clone())).collect())
                    .unwrap_or_default()
            })
        } else {
            (0..10u8).map(|l| (l, l.to_string())).collect()
        };
        if names.is_empty() {
            return view! {
                <li>
                    <svg class="swatch" viewBox="0 0 10 10" aria-hidden="true"><circle cx="5" cy="5" r="4.5" fill=css(colour(0)) stroke="#16181c" /></svg>
                    "every image (this set has no labels)"
                </li>
            }
            .into_any();
        }
        names
            .into_iter()
            .map(|(l, name)| {
                // An SVG dot: its fill is an attribute, which the page's CSP (no inline
                // style) allows.
                view! {
                    <li>
                        <svg class="swatch" viewBox="0 0 10 10" aria-hidden="true"><circle cx="5" cy="5" r="4.5" fill=css(colour(l)) stroke="#16181c" /></svg>
                        {name}
                    </li>
                }
            })
            .collect_view()
            .into_any()
    };
    let state = move || {
        if own() {
            if own_shown.get() { "ready" } else { "none" }
        } else if problem.with(Option::is_some) {
            "failed"
        } else if ready.get() {
            "ready"
        } else {
            "loading"
        }
    };

    view! {
        <Show when=move || shown.get()>
        <section class="card map" aria-labelledby="map-title">
            <h2 id="map-title">{move || if own() { "Where your image lands" } else { "Where your digit lands" }}</h2>
            <p class="small muted">
                {move || if own() {
                    "Your set's images, laid out so that images similar in pixels sit together (the same UMAP-style layout as MNIST's map, from each image's nearest found by the set's forest), computed in this page when you ask. "
                } else {
                    "All 60,000 training digits, laid out so that digits similar in the search space sit together (a UMAP-style layout of SSAM's own neighbour graph, computed offline). "
                }}
                "Drag or use the arrow keys to move, the wheel, pinch or + and - to zoom; zoomed in, points become the pictures themselves. Point at one to see it, click it to search for it."
            </p>
            <Show when=own>
                <OwnLayout client=client set=set />
            </Show>
            <Show when=move || !own() || own_shown.get()>
                {move || problem.get().filter(|_| !own()).map(|p| view! { <p class="map-problem" role="alert" data-testid="map-problem">{format!("The map is not available: {p}. Everything else works without it.")}</p> })}
                <div class="map-wrap">
                    <canvas
                        node_ref=canvas
                        class="map-canvas"
                        tabindex="0"
                        role="img"
                        aria-label=move || if own() {
                            "Map of your set's images coloured by label, with your query on it. Arrow keys move, plus and minus zoom, 0 resets."
                        } else {
                            "Map of MNIST's 60,000 training digits coloured by label, with your query on it. Arrow keys move, plus and minus zoom, 0 resets."
                        }
                        data-testid="map"
                        data-state=state
                        on:pointerdown=on_down
                        on:pointermove=on_move
                        on:pointerup=on_up
                        on:pointercancel=on_up
                        on:pointerleave=on_leave
                        on:wheel=on_wheel
                        on:keydown=on_key
                    ></canvas>
                    <Show when=move || !own() && !ready.get() && problem.with(Option::is_none)>
                        <p class="map-loading muted">"Loading the map…"</p>
                    </Show>
                </div>
                <div class="row map-tools">
                    <button type="button" aria-label="Zoom in" on:click=move |_| step(Step::Zoom(1.5))>"+"</button>
                    <button type="button" aria-label="Zoom out" on:click=move |_| step(Step::Zoom(1.0 / 1.5))>"−"</button>
                    <button type="button" on:click=move |_| step(Step::Reset)>"Whole map"</button>
                    <button type="button" data-testid="map-to-query" disabled=move || landed.with(String::is_empty) on:click=move |_| step(Step::Query)>"To the query"</button>
                    <span class="small" data-testid="map-hover" aria-live="polite">{hovered_text}</span>
                    {move || hovered.get().map(|(id, _)| view! {
                        <button type="button" class="primary" on:click=move |_| search_for(id)>"Search for it"</button>
                    })}
                </div>
                <p class="map-where" data-testid="map-where" aria-live="polite">{move || landed.get()}</p>
                <ul class="legend" aria-label="Colours by label">{legend}</ul>
            </Show>
        </section>
        </Show>
    }
}

/// The labels written on an own set's map and listed in its legend: those its images
/// carry, by the set's names; none for a set without labels.
fn own_names(set: &SetInfo, labels: &[u8]) -> Vec<(u8, String)> {
    if !set.labelled {
        return Vec::new();
    }
    let mut present = [false; 256];
    for &l in labels {
        present[usize::from(l)] = true;
    }
    (0..=255u8)
        .filter(|&l| present[usize::from(l)])
        .map(|l| (l, label_name(set, l)))
        .collect()
}

/// The share of an own set's layout done, weighing its stages by what they cost in the
/// page (README: about half finding neighbours, a little the start, the rest the descent).
fn layout_share(p: LayoutProgress) -> f64 {
    let part = |done: u32, of: u32| f64::from(done) / f64::from(of.max(1));
    match p {
        LayoutProgress::Neighbours { done, of } => 0.5 * part(done, of),
        LayoutProgress::Start { share } => 0.5 + 0.05 * share.clamp(0.0, 1.0),
        LayoutProgress::Descent { epoch, of } => 0.55 + 0.45 * part(epoch, of),
    }
}

/// What the layout is doing, in words.
fn layout_words(p: LayoutProgress) -> String {
    match p {
        LayoutProgress::Neighbours { of: 0, .. } => "starting…".into(),
        LayoutProgress::Neighbours { done, of } => format!(
            "Finding each image's nearest: {} of {}",
            thousands(u64::from(done)),
            thousands(u64::from(of))
        ),
        LayoutProgress::Start { share } => format!(
            "Placing the start (the images' main directions): {:.0}%",
            100.0 * share.clamp(0.0, 1.0)
        ),
        LayoutProgress::Descent { epoch, of } => format!("Laying out: pass {epoch} of {of}"),
    }
}

/// An own set's map: the button that lays it out, its progress with a Cancel, and how
/// long it took. Searches go on while it runs.
#[component]
fn OwnLayout(client: Client, set: Signal<Option<SetInfo>>) -> impl IntoView {
    let items = move || set.with(|s| s.as_ref().map_or(0, |s| u64::from(s.items)));
    let lay_out = move |_| client.lay_out();
    let button = move |again: bool| {
        view! {
            <button type="button" class="primary" data-testid="map-lay-out" on:click=lay_out>
                {if again { "Lay out again" } else { "Lay out a map of this set" }}
            </button>
        }
    };
    // The panel is made anew only when the state changes kind: progress updates only its
    // words and bar, so that the Cancel button under a pointer stays the same element.
    let kind = Memo::new(move |_| client.own_map.with(std::mem::discriminant));
    let progress = move || match client.own_map.get() {
        OwnMap::Running(p) => Some(p),
        _ => None,
    };
    move || {
        // Read, not only tracked: a memo never read never computes, so never hears of a change.
        let _ = kind.get();
        match client.own_map.get_untracked() {
            OwnMap::None => view! {
                <div class="row">
                    {button(false)}
                    <p class="small muted">{move || format!(
                        "Its {} images are laid out in this page, which takes a while for a large set (about a minute for 60,000 here); searches go on meanwhile, and Cancel stops it.",
                        thousands(items())
                    )}</p>
                </div>
            }
            .into_any(),
            OwnMap::Running(_) => view! {
                <div class="panel loading" role="status" aria-live="polite" data-testid="map-layout-status">
                    <p>{move || progress().map(layout_words)}</p>
                    <progress max="1" value=move || progress().map(|p| layout_share(p).to_string()) aria-label="Laying out the map"></progress>
                    <button type="button" data-testid="map-cancel" on:click=move |_| client.cancel_layout()>"Cancel"</button>
                </div>
            }
            .into_any(),
            OwnMap::Cancelling => view! {
                <p class="small" role="status" data-testid="map-layout-status">"Stopping…"</p>
            }
            .into_any(),
            OwnMap::Cancelled => view! {
                <div class="row">
                    {button(false)}
                    <p class="small" role="status" data-testid="map-layout-status">"The layout was cancelled; search goes on as before."</p>
                </div>
            }
            .into_any(),
            OwnMap::Failed(p) => view! {
                <div class="row">
                    {button(true)}
                    <p class="map-problem" role="alert" data-testid="map-layout-status">{format!("The map could not be laid out: {}", p.message())}</p>
                </div>
            }
            .into_any(),
            OwnMap::Done { ms, .. } => view! {
                <p class="small" role="status" data-testid="map-layout-status" data-ms=format!("{ms:.0}")>{move || format!(
                    "Laid out in this page: {} images in {:.1} s.",
                    thousands(items()),
                    ms / 1000.0
                )}</p>
            }
            .into_any(),
        }
    }
}

/// A change of the view asked by a key or a button.
#[derive(Clone, Copy)]
enum Step {
    Pan(f32, f32),
    Zoom(f32),
    Reset,
    /// To the query, close enough to see its neighbours' pictures.
    Query,
}

/// Places the answer's query on the map and says in words where it landed.
fn place(v: &mut View, answer: &Answer, set: Option<&SetInfo>) -> Option<String> {
    let hits: Vec<Neighbor> = answer
        .hits
        .iter()
        .map(|h| Neighbor {
            id: h.id,
            distance: h.distance,
        })
        .collect();
    let labelled = set.is_none_or(|s| s.labelled);
    let label_of = |id: u32| v.labels.get(id as usize).copied().unwrap_or(0);
    let vote = metrics::vote(&hits, label_of)
        .map(|(l, _)| l)
        .filter(|_| labelled);
    let at = v.map.place(&hits)?;
    v.mark = Some(Mark {
        at,
        hits: answer.hits.iter().map(|h| (h.id, h.label)).collect(),
        label: vote,
    });
    let source = &answer.query.source;
    if !labelled {
        return Some(format!(
            "The query ({source}) lands among its {} nearest images (this set has no labels to name the place by).",
            hits.len()
        ));
    }
    let name = |l: u8| set.map_or_else(|| l.to_string(), |s| label_name(s, l));
    let landing = v.map.landing(&v.labels, at[0], at[1])?;
    let near = landing
        .near
        .map(|n| format!(", near the {}s", name(n)))
        .unwrap_or_default();
    let others = match vote {
        Some(l) => {
            let n = answer.hits.iter().filter(|h| h.label != Some(l)).count();
            match n {
                0 => format!("; all {} of its nearest are {}s", hits.len(), name(l)),
                1 => format!(
                    "; 1 of its {} nearest is not a {} (crossed on the map)",
                    hits.len(),
                    name(l)
                ),
                n => format!(
                    "; {n} of its {} nearest are not {}s (crossed on the map)",
                    hits.len(),
                    name(l)
                ),
            }
        }
        None => String::new(),
    };
    Some(format!(
        "The query ({source}) lands among the {}s{near}{others}.",
        name(landing.among)
    ))
}
