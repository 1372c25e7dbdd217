//! Where the digit is in a picture and how much ink each of its pixels holds, the way a
//! person reads a photo: the paper's own light (a gradient from one side, a shadow, grain)
//! is estimated and taken away, the ink is what stands out from what is left, the marks
//! are its connected parts, and the digit is the largest digit-like mark with the parts
//! that belong to it (the two strokes of a broken 4). Specks, and marks that run along the
//! frame (a paper edge, a shadow cast from outside), are not digits.
//!
//! Pictures with a flat ground (the pad, a rendered or cleanly scanned digit) skip the
//! light estimate: their ground is one level, and their ink is read exactly as before
//! photos were handled, only cleared of specks and of other marks than the digit.

use super::filter::{Plane, quantile};
use crate::error::{Error, Result};

/// Longest side of the copy the digit is looked for in: bigger pictures are shrunk by a
/// whole factor to find it, then its pixels are read at full resolution. A 4000x3000
/// photo becomes 1000x750, where a digit a fiftieth of the photo high is still 15 pixels.
const DETECT: usize = 1024;
/// Share of the ink's level below which a pixel counts as ground (grain, noise, haze).
const GROUND: f32 = 0.15;
/// Least contrast of ink against its ground, in levels of 255.
const CONTRAST: f32 = 16.0;
/// A ground counts as flat when this share of the border's pixels ...
const FLAT_SHARE: usize = 90;
/// ... are within this many levels of the border's median.
const FLAT_LEVELS: f32 = 2.0;
/// The background window's half side, as a share of the longer side: wider than any
/// stroke (a tenth of a digit that fills the picture), narrower than a change of light.
const WINDOW: usize = 12;
/// A mark's strongest pixel must stand this many times the ground's noise above it: a
/// JPEG's blocks over noisy paper make blobs of 7 times, printed digits stand 20 times
/// and more (crates/ssam/tests/photo.rs).
const ABOVE_NOISE: f32 = 10.0;
/// The ink threshold as a share of the strongest ink: where a blurred stroke is half
/// its darkness and the ground is far below.
const HALF_INK: f32 = 0.4;
/// In a photo, a mark's strongest pixel must be this far from its ground towards the
/// extreme, in levels of 255: printed digits are 60 and more, the misread light along a
/// shadow's edge on blank paper under 30 (crates/ssam/tests/photo.rs).
const FAINT: f32 = 40.0;
/// Tiles across the longer side of a photo, each voting for the side its ink is on.
const TILES: usize = 16;
/// Marks smaller than this many pixels (in the copy searched) or a fiftieth of the
/// largest mark are specks ...
const SPECK: usize = 4;
/// ... and so are marks less than this many pixels high and wide (or a quarter of the
/// picture's longer side in a small picture): a digit is drawn with several strokes'
/// widths.
const SPECK_SIDE: usize = 8;
/// Pixels (of a photo at its own size) around the marks still read, for their soft edges.
const REACH: usize = 2;

/// The ink of a picture's digit.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Ink {
    /// Ink in the region, row-major: 0 for ground and for other marks, more is darker ink.
    pub levels: Vec<f32>,
    /// The part of the picture the levels cover: x, y, width, height.
    pub region: (usize, usize, usize, usize),
    /// True when the ink was darker than its ground.
    pub inverted: bool,
    /// Digit-like marks found in the picture.
    pub marks: usize,
    /// Connected parts of ink kept as the digit.
    pub parts: usize,
}

/// A connected part of the ink mask, with its box (inclusive corners).
#[derive(Debug, Clone, Copy)]
struct Mark {
    area: usize,
    x0: usize,
    y0: usize,
    x1: usize,
    y1: usize,
    /// Pixels of it on the picture's outermost ring.
    contact: usize,
    /// Its highest value, and its highest strength.
    top: f32,
    strongest: f32,
}

impl Mark {
    fn width(&self) -> usize {
        self.x1 - self.x0 + 1
    }
    fn height(&self) -> usize {
        self.y1 - self.y0 + 1
    }
    /// Not a flat dash: a digit is at most about as wide as it is high, and a 1 may be
    /// much higher than wide.
    fn digit_like(&self) -> bool {
        self.width() * 2 <= self.height() * 5
    }
}

/// The picture seen with its ink on one side of its ground, and the digit found so.
struct View {
    /// True when ink is darker than its ground.
    inverted: bool,
    /// The ground's level at each pixel of the copy, in ink terms (ink is higher).
    background: Plane,
    /// The copy minus its ground, in ink terms.
    residual: Plane,
    /// What turns a residual into a share of the way to the extreme, per pixel.
    gains: Vec<f32>,
    /// The residuals' median and their noise, per pixel and smoothed.
    base: f32,
    grain: f32,
    /// The strongest ink's strength.
    peak: f32,
    /// Each pixel's mark (0 for none), the marks and the digit among them.
    labels: Vec<u32>,
    marks: Vec<Mark>,
    chosen: Chosen,
}

impl View {
    /// In ink terms, the level `v` of the picture.
    fn bright(&self, v: f32) -> f32 {
        if self.inverted { 255.0 - v } else { v }
    }
}

/// Finds the digit in the `width x height` picture whose grey level (0 to 255) at pixel
/// `i` is `level(i)`.
pub(super) fn find(width: usize, height: usize, level: &dyn Fn(usize) -> f32) -> Result<Ink> {
    let factor = width.max(height).div_ceil(DETECT);
    let copy = Plane::shrink(width, height, factor, level);
    let ring = border(&copy);
    let ground = quantile(&ring, 0.5);
    let flat = ring
        .iter()
        .filter(|&&v| (v - ground).abs() <= FLAT_LEVELS)
        .count()
        * 100
        >= ring.len() * FLAT_SHARE;
    let view = if flat {
        // The ink is on the side the picture reaches farthest from its one ground.
        let (lo, hi) = copy
            .blur(1)
            .values
            .iter()
            .fold((f32::MAX, f32::MIN), |(lo, hi), &v| (lo.min(v), hi.max(v)));
        if (ground - lo).max(hi - ground) < CONTRAST {
            return Err(no_ink());
        }
        look(&copy, ground - lo > hi - ground, Some(ground))?
    } else {
        look(&copy, dark_ink(&copy), None)?
    };
    read(view, factor, width, height, level, flat)
}

/// Whether a photo's ink is darker than its ground. Its ground has no one level (a
/// shadow may cover half of it, and the paper in light then looks like light ink on the
/// shadow's ground), so each tile of the picture votes: a tile holding ink reaches much
/// farther from its median on the ink's side than on the other, while noise, slopes of
/// light and the ground's texture reach about as far either way. A shadow's edge votes
/// for dark ink, but by little when the ground is dark (light multiplies).
fn dark_ink(copy: &Plane) -> bool {
    let smooth = copy.blur(1);
    let (w, h) = (smooth.width, smooth.height);
    let side = (w.max(h) / TILES).max(8);
    let mut vote = 0.0f64;
    let mut tile = Vec::with_capacity(side * side);
    for ty in (0..h).step_by(side) {
        for tx in (0..w).step_by(side) {
            tile.clear();
            for y in ty..(ty + side).min(h) {
                tile.extend_from_slice(&smooth.values[y * w + tx..y * w + (tx + side).min(w)]);
            }
            let (lo, hi) = tile
                .iter()
                .fold((f32::MAX, f32::MIN), |(lo, hi), &v| (lo.min(v), hi.max(v)));
            let median = quantile(&tile, 0.5);
            vote += f64::from((median - lo) - (hi - median));
        }
    }
    vote > 0.0
}

/// The digit as seen with ink brighter than its ground (`inverted` false) or darker;
/// `flat` is the ground's one level when it has one.
fn look(copy: &Plane, inverted: bool, flat: Option<f32>) -> Result<View> {
    let bright = move |v: f32| if inverted { 255.0 - v } else { v };
    let ink = Plane {
        values: copy.values.iter().map(|&v| bright(v)).collect(),
        ..*copy
    };
    let background = match flat {
        Some(ground) => Plane {
            values: vec![bright(ground); ink.values.len()],
            ..ink
        },
        None => ground_light(&ink),
    };
    // What stands out from the ground, in the picture's levels: its noise is the same in
    // shadow and in light, so it is what is tested against the noise. Its gain makes it
    // a share of the way from the ground to the extreme, so that ink in shadow and ink in
    // full light weigh alike in the levels kept.
    let residual = Plane {
        values: ink
            .values
            .iter()
            .zip(&background.values)
            .map(|(&v, &b)| v - b)
            .collect(),
        ..ink
    };
    let gains: Vec<f32> = background.values.iter().map(|&b| gain(b)).collect();
    let tested = Tested::of(&residual, flat.is_some());
    let strengths: Vec<f32> = tested
        .plane
        .values
        .iter()
        .zip(&gains)
        .map(|(&v, &g)| (v - tested.base) * g)
        .collect();
    let peak = strengths.iter().copied().fold(f32::MIN, f32::max);
    let standout = tested.plane.values.iter().copied().fold(f32::MIN, f32::max) - tested.base;
    if peak < CONTRAST || standout < ABOVE_NOISE * tested.noise {
        return Err(no_ink());
    }
    let (labels, marks, chosen) = tested.digit(&strengths, peak, flat.is_some())?;
    Ok(View {
        inverted,
        background,
        residual,
        gains,
        base: tested.base,
        grain: tested.grain,
        peak,
        labels,
        marks,
        chosen,
    })
}

/// The ground's light under a picture in ink terms: what is left when everything
/// narrower than a window wider than a stroke is taken away (slopes and steps of light
/// are kept, ink is removed), from a slightly smoothed copy so that sensor noise does
/// not pull it down.
fn ground_light(ink: &Plane) -> Plane {
    let r = (ink.width.max(ink.height) / WINDOW).max(2);
    ink.blur(1).opening(r).blur(2)
}

/// The residuals ink is looked for in, with their ground: ink stands out from the
/// flattened ground by several times the ground's noise (the median deviation, robust
/// to the ink itself) and by a share of the strongest ink.
struct Tested {
    /// The residuals, smoothed in a photo.
    plane: Plane,
    /// Their median and noise (0 on a flat ground).
    base: f32,
    noise: f32,
    /// The noise of the residuals unsmoothed.
    grain: f32,
}

impl Tested {
    fn of(residual: &Plane, flat: bool) -> Tested {
        if flat {
            return Tested {
                plane: residual.clone(),
                base: 0.0,
                noise: 0.0,
                grain: 0.0,
            };
        }
        let plane = residual.blur(1);
        let base = quantile(&plane.values, 0.5);
        let noise = spread_of(&plane.values, base);
        let grain = spread_of(&residual.values, quantile(&residual.values, 0.5));
        Tested {
            plane,
            base,
            noise,
            grain,
        }
    }

    /// The marks, where ink of these `strengths` stands out, and the digit among them:
    /// each pixel's mark (0 for none), the marks and those kept.
    fn digit(
        &self,
        strengths: &[f32],
        peak: f32,
        flat: bool,
    ) -> Result<(Vec<u32>, Vec<Mark>, Chosen)> {
        let (base, noise) = (self.base, self.noise);
        let share = if flat { GROUND } else { HALF_INK };
        let mask: Vec<bool> = self
            .plane
            .values
            .iter()
            .zip(strengths)
            .map(|(&v, &s)| s > share * peak && v - base > 4.0 * noise)
            .collect();
        let (labels, marks) = components(&mask, &self.plane, strengths);
        let chosen = choose(
            &marks,
            Faint {
                top: base + ABOVE_NOISE * noise,
                strength: if flat { 0.0 } else { FAINT },
            },
            !flat,
            self.plane.width,
            self.plane.height,
        )?;
        Ok((labels, marks, chosen))
    }
}

/// The ink of the digit `view` found, read from the picture at its own resolution.
fn read(
    view: View,
    factor: usize,
    width: usize,
    height: usize,
    level: &dyn Fn(usize) -> f32,
    flat: bool,
) -> Result<Ink> {
    let reach = if flat { 0 } else { REACH.div_ceil(factor) };
    let allowed = view.allowed(reach, factor);
    let grow = reach.max(usize::from(factor > 1));
    let region = view.region(grow, factor, width, height);
    let (rw, rh) = (region.2 - region.0, region.3 - region.1);
    let (read, around) = view.sample(region, factor, width, level, &allowed);
    let View {
        base,
        grain,
        peak,
        chosen,
        ..
    } = view;
    // Noise at full resolution is stronger than in a shrunk copy: measure it beside the
    // digit when there is enough ground there.
    let grain = if factor > 1 && !flat && around.len() >= 64 {
        spread_of(&around, quantile(&around, 0.5))
    } else {
        grain
    };
    let levels = read
        .iter()
        .map(|&r| match r {
            Some((d, g)) if d - base > 3.0 * grain && (d - base) * g > GROUND * peak => {
                ((d - base) * g).min(peak)
            }
            _ => 0.0,
        })
        .collect();
    Ok(Ink {
        levels,
        region: (region.0, region.1, rw, rh),
        inverted: view.inverted,
        marks: chosen.marks,
        parts: chosen.parts.len(),
    })
}

impl View {
    /// Where the digit's ink may be read in the copy: its marks, spread by `reach`
    /// pixels, and by one when the copy was shrunk by `factor`.
    fn allowed(&self, reach: usize, factor: usize) -> Plane {
        let mut kept = vec![false; self.marks.len() + 1];
        for &m in &self.chosen.parts {
            kept[m + 1] = true;
        }
        let allowed = Plane {
            values: self
                .labels
                .iter()
                .map(|&l| if kept[l as usize] { 1.0 } else { 0.0 })
                .collect(),
            ..self.residual
        };
        if reach > 0 || factor > 1 {
            allowed.spread(reach.max(1), true)
        } else {
            allowed
        }
    }

    /// The part of the `width x height` picture read: the digit's box in the copy grown
    /// by `grow`, at the picture's resolution (left, top, right, bottom, exclusive).
    fn region(
        &self,
        grow: usize,
        factor: usize,
        width: usize,
        height: usize,
    ) -> (usize, usize, usize, usize) {
        let b = self.chosen.bounds;
        (
            b.x0.saturating_sub(grow) * factor,
            b.y0.saturating_sub(grow) * factor,
            ((b.x1 + grow + 1).min(self.residual.width) * factor).min(width),
            ((b.y1 + grow + 1).min(self.residual.height) * factor).min(height),
        )
    }

    /// The levels in `region` at the picture's own resolution, the ground's light read
    /// between the copy's pixels: for each pixel the digit may hold, its difference from
    /// the ground and its gain; and the differences of the others, which are ground.
    fn sample(
        &self,
        region: (usize, usize, usize, usize),
        factor: usize,
        width: usize,
        level: &dyn Fn(usize) -> f32,
        allowed: &Plane,
    ) -> (Vec<Option<(f32, f32)>>, Vec<f32>) {
        let mut read = Vec::with_capacity((region.2 - region.0) * (region.3 - region.1));
        let mut around = Vec::new();
        for y in region.1..region.3 {
            for x in region.0..region.2 {
                let (d, g) = if factor == 1 {
                    (
                        self.residual.values[y * width + x],
                        self.gains[y * width + x],
                    )
                } else {
                    let b = sample(&self.background, factor, x, y);
                    (self.bright(level(y * width + x)) - b, gain(b))
                };
                if allowed.values[(y / factor) * allowed.width + x / factor] > 0.0 {
                    read.push(Some((d, g)));
                } else {
                    read.push(None);
                    around.push(d);
                }
            }
        }
        (read, around)
    }
}

/// What turns a difference from the ground `b` into a share of the way from the ground
/// to the extreme, in levels of 255: dark ink on paper in shadow and in full light alike.
/// (Ground darker than an eighth of the range is not amplified further: it is noise.)
fn gain(b: f32) -> f32 {
    255.0 / (255.0 - b).max(32.0)
}

/// The marks kept as the digit and the box around them.
struct Chosen {
    parts: Vec<usize>,
    bounds: Mark,
    marks: usize,
}

/// Below what a mark is too faint to be ink: its highest value and its highest strength.
struct Faint {
    top: f32,
    strength: f32,
}

/// The digit among the marks: the largest digit-like mark that is not a speck (small, or
/// faint) nor (in a photo) along the frame, with the marks that belong to it; else the
/// largest mark left.
fn choose(
    marks: &[Mark],
    faint: Faint,
    photo: bool,
    width: usize,
    height: usize,
) -> Result<Chosen> {
    let inside = candidates(marks, faint, photo, width, height)?;
    let digit_like = inside.iter().filter(|&&i| marks[i].digit_like()).count();
    let main = *inside
        .iter()
        .max_by_key(|&&i| (marks[i].digit_like(), marks[i].area))
        .expect("not empty");
    let (bounds, parts) = parts_of(marks, main, &inside);
    Ok(Chosen {
        parts,
        bounds,
        marks: digit_like,
    })
}

/// The marks that may be the digit: neither specks nor (in a photo) along the frame of
/// the `width x height` picture. At least one, else the error says which rule left none.
fn candidates(
    marks: &[Mark],
    faint: Faint,
    photo: bool,
    width: usize,
    height: usize,
) -> Result<Vec<usize>> {
    let largest = marks.iter().map(|m| m.area).max().ok_or_else(no_ink)?;
    let speck = SPECK.max(largest / 50);
    let side = SPECK_SIDE.min(width.max(height) / 4);
    let along_frame = |m: &Mark| photo && m.contact * 2 >= m.width().max(m.height());
    let candidates: Vec<usize> = (0..marks.len())
        .filter(|&i| {
            let m = &marks[i];
            m.area >= speck
                && m.width().max(m.height()) >= side
                && m.top >= faint.top
                && m.strongest >= faint.strength
        })
        .collect();
    if candidates.is_empty() {
        return Err(Error::BadPicture {
            why:
                "the picture has no ink: only specks stand out from its background (noise or grain)"
                    .into(),
        });
    }
    let inside: Vec<usize> = candidates
        .iter()
        .copied()
        .filter(|&i| !along_frame(&marks[i]))
        .collect();
    if inside.is_empty() {
        return Err(Error::BadPicture {
            why: format!(
                "the picture has no ink away from its edges: its only marks run along the frame of the {width}x{height} picture (a paper edge or a shadow)"
            ),
        });
    }
    Ok(inside)
}

/// The digit whose largest mark is `main`, with the other marks of `inside` that are
/// parts of it: its box and its marks.
fn parts_of(marks: &[Mark], main: usize, inside: &[usize]) -> (Mark, Vec<usize>) {
    let mut bounds = marks[main];
    let mut parts = vec![main];
    // Parts of the same digit: stacked with the main mark (overlapping columns), close
    // above or below it, and together no wider than high nor much higher than the main
    // mark (a neighbouring digit in a row or a line of text is not taken in).
    let gap = (bounds.height() / 6).max(1);
    for &i in inside {
        let m = marks[i];
        if i == main || m.area * 30 < marks[main].area {
            continue;
        }
        let overlap = (bounds.x1.min(m.x1) + 1).saturating_sub(bounds.x0.max(m.x0));
        let near = m.y0 <= bounds.y1 + gap && m.y1 + gap >= bounds.y0;
        let joined = Mark {
            area: bounds.area + m.area,
            x0: bounds.x0.min(m.x0),
            y0: bounds.y0.min(m.y0),
            x1: bounds.x1.max(m.x1),
            y1: bounds.y1.max(m.y1),
            contact: bounds.contact + m.contact,
            top: bounds.top.max(m.top),
            strongest: bounds.strongest.max(m.strongest),
        };
        if near
            && overlap * 2 >= m.width().min(marks[main].width())
            && joined.width() <= joined.height().max(marks[main].width())
            && joined.height() * 2 <= marks[main].height() * 3
        {
            bounds = joined;
            parts.push(i);
        }
    }
    (bounds, parts)
}

/// The connected parts (8 neighbours) of a mask over `plane` and the `strengths` of its
/// pixels: a label for each pixel (0 for none, else the part's index + 1) and the parts.
fn components(mask: &[bool], plane: &Plane, strengths: &[f32]) -> (Vec<u32>, Vec<Mark>) {
    let (width, height) = (plane.width, plane.height);
    let mut labels = vec![0u32; mask.len()];
    let mut marks = Vec::new();
    let mut stack = Vec::new();
    for start in 0..mask.len() {
        if !mask[start] || labels[start] != 0 {
            continue;
        }
        let label = marks.len() as u32 + 1;
        let (sx, sy) = (start % width, start / width);
        let mut m = Mark {
            area: 0,
            x0: sx,
            y0: sy,
            x1: sx,
            y1: sy,
            contact: 0,
            top: f32::MIN,
            strongest: f32::MIN,
        };
        labels[start] = label;
        stack.push(start);
        while let Some(i) = stack.pop() {
            let (x, y) = (i % width, i / width);
            m.area += 1;
            (m.x0, m.y0, m.x1, m.y1) = (m.x0.min(x), m.y0.min(y), m.x1.max(x), m.y1.max(y));
            m.contact += usize::from(x == 0 || y == 0 || x + 1 == width || y + 1 == height);
            m.top = m.top.max(plane.values[i]);
            m.strongest = m.strongest.max(strengths[i]);
            for ny in y.saturating_sub(1)..(y + 2).min(height) {
                for nx in x.saturating_sub(1)..(x + 2).min(width) {
                    let j = ny * width + nx;
                    if mask[j] && labels[j] == 0 {
                        labels[j] = label;
                        stack.push(j);
                    }
                }
            }
        }
        marks.push(m);
    }
    (labels, marks)
}

/// The value of a `factor`-times shrunk plane at the full-resolution pixel (x, y),
/// bilinear between the centres of the copy's pixels.
fn sample(p: &Plane, factor: usize, x: usize, y: usize) -> f32 {
    let f = factor as f32;
    let at = |v: usize, n: usize| {
        let c = ((v as f32 + 0.5) / f - 0.5).clamp(0.0, (n - 1) as f32);
        let i = (c as usize).min(n.saturating_sub(2));
        (i, c - i as f32)
    };
    let (x0, fx) = at(x, p.width);
    let (y0, fy) = at(y, p.height);
    let (x1, y1) = ((x0 + 1).min(p.width - 1), (y0 + 1).min(p.height - 1));
    let v = |xx: usize, yy: usize| p.values[yy * p.width + xx];
    (v(x0, y0) * (1.0 - fx) + v(x1, y0) * fx) * (1.0 - fy)
        + (v(x0, y1) * (1.0 - fx) + v(x1, y1) * fx) * fy
}

/// The ground's noise: the median absolute deviation from `centre`, scaled to a standard
/// deviation for Gaussian noise.
fn spread_of(values: &[f32], centre: f32) -> f32 {
    let deviations: Vec<f32> = values.iter().map(|&v| (v - centre).abs()).collect();
    1.4826 * quantile(&deviations, 0.5)
}

/// The values of the outermost ring.
fn border(p: &Plane) -> Vec<f32> {
    let (w, h) = (p.width, p.height);
    (0..h)
        .flat_map(|y| (0..w).map(move |x| (x, y)))
        .filter(|&(x, y)| x == 0 || y == 0 || x + 1 == w || y + 1 == h)
        .map(|(x, y)| p.values[y * w + x])
        .collect()
}

pub(super) fn no_ink() -> Error {
    Error::BadPicture {
        why: "the picture has no ink: nothing stands out from its background".into(),
    }
}
