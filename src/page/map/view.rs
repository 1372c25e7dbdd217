//! What the map's canvas shows and how it is looked at: the points, the query placed among
//! them, the centre and scale of the view, and the moves that change them. Geometry only:
//! [`super::paint`] draws it, [`super::input`] moves it.

use std::collections::{HashMap, HashSet};

use super::colours::tints;
use ssam::Map;

/// Zoom of "to the query".
const QUERY_ZOOM: f32 = 40.0;
/// Zoom limits against the whole map.
const ZOOM_RANGE: (f32, f32) = (0.5, 400.0);
/// A keyboard step goes at least this many CSS pixels: at the whole map's scale the
/// nearest point is often under a pixel away, and a step nobody sees is no step.
const MIN_STEP_CSS: f32 = 6.0;

/// The query as placed: where, its hits with their labels, the label they vote for.
pub(super) struct Mark {
    pub at: [f32; 2],
    pub hits: Vec<(u32, Option<u8>)>,
    pub label: Option<u8>,
}

/// A press that may become a drag or stay a click (or a tap).
pub(super) struct Press {
    pub from: (f64, f64),
    pub centre: (f32, f32),
    pub moved: bool,
    /// A finger: it scrolls the page and never drags the map.
    pub touch: bool,
}

/// A change of the view asked by a key or a button.
#[derive(Clone, Copy)]
pub(super) enum Step {
    /// By eighths of the canvas.
    Pan(f32, f32),
    Zoom(f32),
    Reset,
    /// To the query, close enough to see its neighbours' pictures.
    Query,
}

/// Everything the canvas shows and the state of looking at it.
pub(super) struct View {
    pub map: Map,
    pub labels: Vec<u8>,
    /// Each named label's name, drawn at the median of its points.
    pub numerals: Vec<(u8, String, f32, f32)>,
    /// Centre of the view in grid units, and device pixels per grid unit.
    pub cx: f32,
    pub cy: f32,
    pub scale: f32,
    /// The scale at which the whole map fits the canvas.
    pub fit: f32,
    pub width: u32,
    pub height: u32,
    pub dpr: f64,
    pub buffer: Vec<u8>,
    /// The ground alone, copied over the buffer to start each frame (one memcpy).
    pub blank: Vec<u8>,
    pub images: HashMap<u32, Vec<u8>>,
    /// Each label's ink at each grey level, mixed into the ground: one lookup a pixel.
    pub tints: Vec<[u8; 3]>,
    pub image_side: (usize, usize),
    pub asked: HashSet<u32>,
    /// The point in focus (under the mouse, tapped, or stepped to by keys), ringed.
    pub focus: Option<u32>,
    pub mark: Option<Mark>,
    pub press: Option<Press>,
    /// Pointers down on the canvas: id and where, in device pixels.
    pub pointers: Vec<(i32, f64, f64)>,
}

impl View {
    /// A view of `map` whose points carry `labels`; the labels in `names` are written on
    /// the map where their points are.
    pub fn new(map: Map, labels: Vec<u8>, names: Vec<(u8, String)>) -> View {
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
            tints: tints(),
            image_side: (28, 28),
            asked: HashSet::new(),
            focus: None,
            mark: None,
            press: None,
            pointers: Vec::new(),
        }
    }

    pub fn zoom(&self) -> f32 {
        self.scale / self.fit
    }

    /// Fits the view to a canvas of `width` x `height` device pixels at `dpr`, keeping
    /// its zoom; false when it already was.
    pub fn resize(&mut self, width: u32, height: u32, dpr: f64, ground: [u8; 3]) -> bool {
        if (self.width, self.height) == (width, height) && self.dpr == dpr {
            return false;
        }
        let zoom = if self.fit > 0.0 { self.zoom() } else { 1.0 };
        self.width = width;
        self.height = height;
        self.dpr = dpr;
        self.blank = [ground[0], ground[1], ground[2], 255].repeat((width * height) as usize);
        self.buffer = self.blank.clone();
        self.fit = 0.95
            * (width as f32 / f32::from(self.map.width().max(1)))
                .min(height as f32 / f32::from(self.map.height().max(1)));
        self.scale = self.fit * zoom;
        true
    }

    /// Grid units to device pixels, and back.
    pub fn to_screen(&self, x: f32, y: f32) -> (f32, f32) {
        (
            (x - self.cx) * self.scale + self.width as f32 / 2.0,
            (y - self.cy) * self.scale + self.height as f32 / 2.0,
        )
    }

    pub fn to_grid(&self, sx: f32, sy: f32) -> (f32, f32) {
        (
            (sx - self.width as f32 / 2.0) / self.scale + self.cx,
            (sy - self.height as f32 / 2.0) / self.scale + self.cy,
        )
    }

    /// Where point `id` is on the canvas, in device pixels.
    pub fn screen_of(&self, id: u32) -> Option<(f32, f32)> {
        let [x, y] = *self.map.points().get(id as usize)?;
        Some(self.to_screen(f32::from(x), f32::from(y)))
    }

    /// Zooms by `factor` keeping the grid point under device pixel `(sx, sy)` in place.
    pub fn zoom_at(&mut self, factor: f32, sx: f32, sy: f32) {
        let (gx, gy) = self.to_grid(sx, sy);
        let (lo, hi) = ZOOM_RANGE;
        self.scale = (self.scale * factor).clamp(self.fit * lo, self.fit * hi);
        self.cx = gx - (sx - self.width as f32 / 2.0) / self.scale;
        self.cy = gy - (sy - self.height as f32 / 2.0) / self.scale;
        self.keep_in_bounds();
    }

    pub fn pan(&mut self, dx_px: f32, dy_px: f32) {
        self.cx -= dx_px / self.scale;
        self.cy -= dy_px / self.scale;
        self.keep_in_bounds();
    }

    fn keep_in_bounds(&mut self) {
        self.cx = self.cx.clamp(0.0, f32::from(self.map.width()));
        self.cy = self.cy.clamp(0.0, f32::from(self.map.height()));
    }

    /// Applies a key's or a button's change.
    pub fn step(&mut self, what: Step) {
        let (w, h) = (self.width as f32, self.height as f32);
        match what {
            Step::Pan(dx, dy) => self.pan(-dx * w / 8.0, -dy * h / 8.0),
            Step::Zoom(f) => self.zoom_at(f, w / 2.0, h / 2.0),
            Step::Reset => {
                self.cx = f32::from(self.map.width()) / 2.0;
                self.cy = f32::from(self.map.height()) / 2.0;
                self.scale = self.fit;
            }
            Step::Query => {
                if let Some(at) = self.mark.as_ref().map(|m| m.at) {
                    self.cx = at[0];
                    self.cy = at[1];
                    self.scale = self.fit * QUERY_ZOOM;
                }
            }
        }
    }

    /// Side of a picture in device pixels at the current zoom.
    pub fn tile(&self) -> usize {
        let base = self.image_side.1 as f64 * self.dpr;
        (base * f64::from(self.zoom() / 32.0).clamp(0.5, 2.0)).round() as usize
    }

    /// The digit under device pixel `(sx, sy)`, if one is close enough.
    pub fn under(&self, sx: f32, sy: f32) -> Option<u32> {
        let (gx, gy) = self.to_grid(sx, sy);
        let (d2, id) = *self.map.nearest(gx, gy, 1, None).first()?;
        let reach = (self.tile() as f32 / 2.0).max(8.0 * self.dpr as f32) / self.scale;
        (d2 <= reach * reach).then_some(id)
    }

    /// Where keyboard stepping starts: the query's nearest when it is in sight, else the
    /// point nearest the middle of the view.
    pub fn first_point(&self) -> Option<u32> {
        let nearest = self.mark.as_ref().and_then(|m| m.hits.first()).map(|h| h.0);
        if let Some(id) = nearest
            && self.in_sight(id)
        {
            return Some(id);
        }
        self.map
            .nearest(self.cx, self.cy, 1, None)
            .first()
            .map(|p| p.1)
    }

    /// The point an arrow key goes to from `from`, `(dx, dy)` being its direction on
    /// screen: the nearest of those within 45 degrees of that direction and a visible step
    /// away, a point off to the side counting as twice as far, so that the ring goes
    /// where the arrow points. None at the map's edge.
    pub fn neighbour(&self, from: u32, (dx, dy): (f32, f32)) -> Option<u32> {
        let points = self.map.points();
        let [fx, fy] = *points.get(from as usize)?;
        let (fx, fy) = (f32::from(fx), f32::from(fy));
        // Grid units: the view's scale is the same both ways, so directions hold.
        let least = MIN_STEP_CSS * self.dpr as f32 / self.scale;
        let mut best: Option<(f32, u32)> = None;
        for (i, &[x, y]) in points.iter().enumerate() {
            let (ox, oy) = (f32::from(x) - fx, f32::from(y) - fy);
            let along = ox * dx + oy * dy;
            let across = (ox * dy - oy * dx).abs();
            if along <= 0.0 || across > along || ox.hypot(oy) < least {
                continue;
            }
            let cost = along + 2.0 * across;
            if best.is_none_or(|(c, _)| cost < c) {
                best = Some((cost, i as u32));
            }
        }
        best.map(|b| b.1)
    }

    /// Whether point `id` is on the canvas, clear of its edges.
    fn in_sight(&self, id: u32) -> bool {
        let edge = 12.0 * self.dpr as f32;
        self.screen_of(id).is_some_and(|(sx, sy)| {
            sx >= edge
                && sy >= edge
                && sx <= self.width as f32 - edge
                && sy <= self.height as f32 - edge
        })
    }

    /// Brings point `id` into sight by centring the view on it, when it is not.
    pub fn keep_in_sight(&mut self, id: u32) {
        if self.in_sight(id) {
            return;
        }
        if let Some(&[x, y]) = self.map.points().get(id as usize) {
            self.cx = f32::from(x);
            self.cy = f32::from(y);
        }
    }
}
