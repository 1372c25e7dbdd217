//! The search space: how a digit (rows x cols grey levels, 0 = ground, 255 = ink) becomes
//! the vector the index compares by squared L2. Training images and queries go through
//! the same transform, so the nearest neighbours are found between like and like.
//!
//! [`Space::Raw`] is the identity. [`Space::Deskew`] undoes slant, which is most of what
//! separates two writings of one digit at L2: the centre of mass and the second moments
//! give the slope of the principal axis, `alpha = mu11 / mu02`, and a horizontal shear
//! `x' = x - alpha * (y - cy)` (bilinear) stands the digit upright with its centre of mass
//! in the middle of the frame. An optional blur, an area-averaged smaller side (fewer
//! bytes per distance is a faster search) and a peak scaling follow. Over MNIST, deskewing
//! gains most, the peak scaling a little, 16x16 costs nothing measurable and any blur
//! loses (see [`Space::DEFAULT`]).
//!
//! Everything is integer moments and plain `f32` arithmetic in a fixed order, so the
//! output is the same natively and in WebAssembly.

use std::fmt;
use std::str::FromStr;

use crate::dataset::Dataset;
use crate::error::{Error, Result};

/// Strongest blur level accepted: a binomial kernel of `2 * MAX_BLUR + 1` taps
/// (sigma 1.4 pixels). More smears digits into each other.
pub const MAX_BLUR: u8 = 4;

/// Largest shear applied, in pixels across per pixel down (45 degrees). A nearly flat
/// stroke (a dash, a squashed digit) has a tiny `mu02` and a huge `mu11 / mu02`; shearing
/// it by that much would throw the ink out of the frame; handwriting does not lean
/// further than this.
const MAX_SHEAR: f64 = 1.0;

/// How a digit becomes the vector the index searches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Space {
    /// The pixels as they are.
    Raw,
    /// Deskewed and centred by image moments, blurred, scaled to `side x side` by area
    /// averaging, and with intensities set as `norm` says.
    Deskew {
        /// Blur level `n`: a separable binomial kernel of `2n + 1` taps, sigma
        /// `sqrt(n / 2)` pixels at the input's resolution; 0 is none.
        blur: u8,
        /// How intensities are scaled before they become bytes.
        norm: Norm,
        /// Side of the output square, in pixels.
        side: u8,
        /// Queries only: besides the query itself, search it moved this many input
        /// pixels up, down, left and right, and keep each item's nearest; 0 is none.
        /// Centring by the centre of mass is right on average but not for every pair
        /// of digits (a serif, a long tail pull it aside), and LeCun's best pixel k-NN
        /// entries allow 1 to 2 pixel shifts for the same reason.
        shift: u8,
    },
}

/// How the intensities of a transformed digit are scaled before rounding to bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Norm {
    /// As they come out of the resampling.
    None,
    /// The brightest value becomes 255. Resampling at sub-pixel offsets (and a blur)
    /// dims strokes by how far they fall between pixels, which differs from digit to
    /// digit; this evens it out (MNIST exact 1-NN 0.9835 -> 0.9840 at 28x28).
    Peak,
}

impl Space {
    /// The space indexes are built in unless asked otherwise, `deskew+peak@16x16`.
    /// Measured by exact search of all 10,000 MNIST test digits over the 60,000 training
    /// ones, 1-NN accuracy: raw 0.9691; this 0.9839 in 256 bytes; the best variant tried,
    /// `deskew+blur1+peak@28x28`, 0.9841 in 784 bytes (two digits more, well inside the
    /// noise of 10,000 trials) and `deskew+peak@14x14` 0.9834 in 196. A stronger blur
    /// always lost accuracy. 256 bytes are also whole SIMD registers (8 x 32, 16 x 16).
    ///
    /// With the query also searched shifted by one pixel each way (`+shift1`), exact
    /// 1-NN accuracy is 0.9856 (0.9857 with the four diagonal shifts too, 0.9844 with
    /// shifts of half a pixel or of one and a half): the default, at five searches a query.
    pub const DEFAULT: Space = Space::Deskew {
        blur: 0,
        norm: Norm::Peak,
        side: 16,
        shift: 1,
    };

    /// Largest query shift accepted, in input pixels.
    pub const MAX_SHIFT: u8 = 4;

    /// How many versions of a query are searched: 1, or 5 with shifts.
    pub fn query_variants(&self) -> usize {
        match *self {
            Space::Deskew { shift, .. } if shift > 0 => 5,
            _ => 1,
        }
    }

    /// Transforms version `variant` of a query (below [`query_variants`](Space::query_variants)):
    /// 0 is [`apply`](Space::apply); 1 to 4 move the digit by the space's shift right,
    /// left, down and up before it is resampled.
    pub fn apply_variant(
        &self,
        rows: usize,
        cols: usize,
        image: &[u8],
        out: &mut [u8],
        variant: usize,
    ) -> Result<()> {
        self.apply_in(rows, cols, image, out, variant, &mut Workspace::default())
    }

    /// As [`apply_variant`](Space::apply_variant), keeping the transform's tables and
    /// buffers in `workspace` between calls, so that a query allocates nothing.
    pub fn apply_in(
        &self,
        rows: usize,
        cols: usize,
        image: &[u8],
        out: &mut [u8],
        variant: usize,
        workspace: &mut Workspace,
    ) -> Result<()> {
        if variant >= self.query_variants() {
            return Err(Error::BadParameter {
                name: "query variant",
                value: variant.to_string(),
                why: format!(
                    "space {self} has {} query variants, numbered from 0",
                    self.query_variants()
                ),
            });
        }
        check_sizes(rows, cols, image.len())?;
        let dim = self.dim(rows, cols);
        if out.len() != dim {
            return Err(Error::ImageSize {
                what: format!("the output of space {self} for a {rows}x{cols} image"),
                expected: dim,
                received: out.len(),
            });
        }
        let Space::Deskew { shift, .. } = *self else {
            out.copy_from_slice(image);
            return Ok(());
        };
        let mut shape = Shape::of(rows, cols, image);
        match shape.ink_pixels {
            0 => {
                return Err(Error::BadPicture {
                    why: "the digit has no ink: every pixel is 0".into(),
                });
            }
            1 => {
                return Err(Error::BadPicture {
                    why: "the digit has ink in a single pixel: too little to have a shape".into(),
                });
            }
            _ => {}
        }
        let shift = f64::from(shift);
        let (dx, dy) = [
            (0.0, 0.0),
            (shift, 0.0),
            (-shift, 0.0),
            (0.0, shift),
            (0.0, -shift),
        ][variant];
        // Sampling from `c - d` puts the digit at `+d`.
        shape.cx -= dx;
        shape.cy -= dy;
        workspace.plan(*self, rows, cols)?.run(image, &shape, out);
        Ok(())
    }

    /// Length of the vector a `rows x cols` image becomes.
    pub fn dim(&self, rows: usize, cols: usize) -> usize {
        match *self {
            Space::Raw => rows * cols,
            Space::Deskew { side, .. } => usize::from(side) * usize::from(side),
        }
    }

    /// Transforms one `rows x cols` image into `out`, which must hold
    /// [`dim(rows, cols)`](Space::dim) bytes. An image without ink, or with ink in a
    /// single pixel, has no shape to deskew and is refused; any other image (a line, a
    /// filled square, a digit cut by the edge) gives a result.
    pub fn apply(&self, rows: usize, cols: usize, image: &[u8], out: &mut [u8]) -> Result<()> {
        self.apply_in(rows, cols, image, out, 0, &mut Workspace::default())
    }

    /// Transforms every image of `data`: the same labels, images of
    /// [`dim`](Space::dim) bytes. Never fails on a degenerate training image: one
    /// without ink stays all 0, one with a single inked pixel is centred unsheared.
    pub fn apply_all(&self, data: &Dataset) -> Result<Dataset> {
        let (rows, cols) = (data.rows(), data.cols());
        let dim = self.dim(rows, cols);
        let (out_rows, out_cols) = match *self {
            Space::Raw => (rows, cols),
            Space::Deskew { side, .. } => (usize::from(side), usize::from(side)),
        };
        let mut pixels = vec![0u8; data.len() * dim];
        match *self {
            Space::Raw => pixels.copy_from_slice(data.pixels()),
            Space::Deskew { .. } => {
                let mut plan = Plan::new(*self, rows, cols)?;
                for (image, out) in data
                    .pixels()
                    .chunks_exact(data.dim())
                    .zip(pixels.chunks_exact_mut(dim))
                {
                    let shape = Shape::of(rows, cols, image);
                    // No ink: nothing to move, the output stays 0.
                    if shape.ink_pixels > 0 {
                        plan.run(image, &shape, out);
                    }
                }
            }
        }
        Dataset::new(out_rows, out_cols, pixels, data.labels().to_vec())
    }

    /// The space as four bytes, a tag and its parameters, for an index file's header.
    pub fn to_bytes(&self) -> [u8; 4] {
        match *self {
            Space::Raw => [0, 0, 0, 0],
            Space::Deskew {
                blur,
                norm,
                side,
                shift,
            } => [1, blur, side, norm.tag() | shift << 4],
        }
    }

    /// Reads [`to_bytes`](Space::to_bytes); refuses a tag or parameters this build does
    /// not know, naming them.
    pub fn from_bytes(b: [u8; 4]) -> Result<Space> {
        let space = match b {
            [0, 0, 0, 0] => Space::Raw,
            [1, blur, side, last] => Space::Deskew {
                blur,
                side,
                norm: Norm::from_tag(last & 15).ok_or_else(|| Error::BadParameter {
                    name: "space",
                    value: format!("{b:?}"),
                    why: format!("unknown intensity scaling {}", last & 15),
                })?,
                shift: last >> 4,
            },
            [tag, ..] => {
                return Err(Error::BadParameter {
                    name: "space",
                    value: format!("{b:?}"),
                    why: format!(
                        "unknown tag {tag}; this build knows raw = [0, 0, 0, 0] and deskew = [1, blur, side, scaling + 16 shift]"
                    ),
                });
            }
        };
        space.validate()?;
        Ok(space)
    }

    /// A short name that [`FromStr`] reads back: `raw`, `deskew+blur1@16x16`,
    /// `deskew+peak+shift1@16x16`. No spaces, so it passes as a command-line word.
    pub fn name(&self) -> String {
        match *self {
            Space::Raw => "raw".into(),
            Space::Deskew {
                blur,
                norm,
                side,
                shift,
            } => {
                let mut s = String::from("deskew");
                if blur > 0 {
                    s.push_str(&format!("+blur{blur}"));
                }
                match norm {
                    Norm::None => {}
                    Norm::Peak => s.push_str("+peak"),
                }
                if shift > 0 {
                    s.push_str(&format!("+shift{shift}"));
                }
                s.push_str(&format!("@{side}x{side}"));
                s
            }
        }
    }

    /// Refuses parameters the transform cannot honour.
    fn validate(&self) -> Result<()> {
        if let Space::Deskew {
            blur, side, shift, ..
        } = *self
        {
            if shift > Space::MAX_SHIFT {
                return Err(Error::BadParameter {
                    name: "query shift",
                    value: shift.to_string(),
                    why: format!("choose 0 to {} pixels", Space::MAX_SHIFT),
                });
            }
            if blur > MAX_BLUR {
                return Err(Error::BadParameter {
                    name: "blur level",
                    value: blur.to_string(),
                    why: format!("choose 0 to {MAX_BLUR}"),
                });
            }
            if side == 0 {
                return Err(Error::BadParameter {
                    name: "output side",
                    value: "0".into(),
                    why: "an output side of 0 pixels holds nothing".into(),
                });
            }
        }
        Ok(())
    }
}

impl Norm {
    fn tag(self) -> u8 {
        match self {
            Norm::None => 0,
            Norm::Peak => 1,
        }
    }

    fn from_tag(tag: u8) -> Option<Norm> {
        [Norm::None, Norm::Peak]
            .into_iter()
            .find(|n| n.tag() == tag)
    }
}

impl fmt::Display for Space {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name())
    }
}

impl FromStr for Space {
    type Err = Error;

    /// Reads a [`name`](Space::name): `raw`, or `deskew`, then optionally `+blurN`, then
    /// optionally `+peak`, then `@SxS` (28x28 when left out).
    fn from_str(name: &str) -> Result<Space> {
        let bad = |why: &str| Error::BadParameter {
            name: "space",
            value: format!("{name:?}"),
            why: format!(
                "{why} (try raw, deskew@28x28, deskew+blur1@16x16 or deskew+blur2+peak@14x14)"
            ),
        };
        let lower = name.trim().to_ascii_lowercase();
        if lower == "raw" {
            return Ok(Space::Raw);
        }
        let (steps, side) = match lower.split_once('@') {
            Some((steps, size)) => {
                let (w, h) = size
                    .split_once('x')
                    .ok_or_else(|| bad("the size is not SxS"))?;
                if w != h {
                    return Err(bad("the output must be square"));
                }
                (
                    steps,
                    w.parse::<u8>()
                        .map_err(|_| bad("the side is not 1 to 255"))?,
                )
            }
            None => (lower.as_str(), 28),
        };
        let mut parts = steps.split('+');
        if parts.next() != Some("deskew") {
            return Err(bad("it must start with raw or deskew"));
        }
        let (mut blur, mut norm, mut shift) = (0, Norm::None, 0);
        for part in parts {
            match part {
                "peak" => norm = Norm::Peak,
                _ if part.starts_with("shift") => {
                    shift = part["shift".len()..]
                        .parse()
                        .map_err(|_| bad(&format!("{part:?} is not a shift in pixels")))?;
                }
                _ => {
                    let level = part
                        .strip_prefix("blur")
                        .ok_or_else(|| bad(&format!("{part:?} is not a step")))?;
                    blur = level
                        .parse()
                        .map_err(|_| bad(&format!("{level:?} is not a blur level")))?;
                }
            }
        }
        let space = Space::Deskew {
            blur,
            norm,
            side,
            shift,
        };
        space.validate().map_err(|e| bad(&e.to_string()))?;
        Ok(space)
    }
}

fn check_sizes(rows: usize, cols: usize, len: usize) -> Result<()> {
    if rows == 0 || cols == 0 {
        return Err(Error::BadParameter {
            name: "image size",
            value: format!("{rows}x{cols}"),
            why: "images have sides of at least 1 pixel".into(),
        });
    }
    if len != rows * cols {
        return Err(Error::ImageSize {
            what: format!("a {rows}x{cols} image"),
            expected: rows * cols,
            received: len,
        });
    }
    Ok(())
}

/// Where a digit's ink is and how it leans, from its moments.
#[derive(Debug, Clone, Copy)]
struct Shape {
    /// Pixels that are not 0.
    ink_pixels: usize,
    /// First and last rows with ink (0 and the last row when there is none).
    ink_rows: (usize, usize),
    /// Centre of mass, in pixel indices.
    cx: f64,
    cy: f64,
    /// The shear that stands the principal axis upright: `mu11 / mu02`, clamped to
    /// [`MAX_SHEAR`]; 0 when all the ink is in one row (`mu02 = 0`: a flat line has no
    /// slant to undo).
    alpha: f64,
}

impl Shape {
    /// Moments as exact integer sums, so the shear is the same on every platform and
    /// suffers no cancellation: `mass^2 * mu11 = mass * Sxy - Sx * Sy`, and the mass
    /// squared cancels in the ratio.
    fn of(rows: usize, cols: usize, image: &[u8]) -> Shape {
        let (mut m, mut sx, mut sy, mut sxy, mut syy) = (0u64, 0u64, 0u64, 0u64, 0u64);
        let mut ink_pixels = 0usize;
        let mut ink_rows = (usize::MAX, 0);
        for (y, row) in image.chunks_exact(cols).take(rows).enumerate() {
            // Per row in 64 bits: a row of 255s wider than 2^16 pixels would overflow 32.
            let (mut r, mut rx, mut count) = (0u64, 0u64, 0u64);
            for (x, &v) in row.iter().enumerate() {
                r += u64::from(v);
                rx += u64::from(v) * x as u64;
                count += u64::from(v > 0);
            }
            if count == 0 {
                continue;
            }
            ink_rows = (ink_rows.0.min(y), y);
            let y = y as u64;
            m += r;
            sx += rx;
            sy += y * r;
            sxy += y * rx;
            syy += y * y * r;
            ink_pixels += count as usize;
        }
        if m == 0 {
            return Shape {
                ink_pixels,
                ink_rows: (0, rows - 1),
                cx: (cols as f64 - 1.0) / 2.0,
                cy: (rows as f64 - 1.0) / 2.0,
                alpha: 0.0,
            };
        }
        let (m, sx, sy, sxy, syy) = (
            i128::from(m),
            i128::from(sx),
            i128::from(sy),
            i128::from(sxy),
            i128::from(syy),
        );
        let mu11 = m * sxy - sx * sy;
        let mu02 = m * syy - sy * sy;
        let alpha = if mu02 == 0 {
            0.0
        } else {
            (mu11 as f64 / mu02 as f64).clamp(-MAX_SHEAR, MAX_SHEAR)
        };
        Shape {
            ink_pixels,
            ink_rows,
            cx: sx as f64 / m as f64,
            cy: sy as f64 / m as f64,
            alpha,
        }
    }
}

/// A transform's tables and buffers, kept between calls (one per thread of queries):
/// building them costs a few dozen allocations, more than transforming a digit.
#[derive(Default)]
pub struct Workspace {
    made: Option<(Space, usize, usize, Plan)>,
}

impl fmt::Debug for Workspace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let made = self.made.as_ref().map(|(s, r, c, _)| (s, r, c));
        f.debug_struct("Workspace").field("made", &made).finish()
    }
}

impl Workspace {
    /// The plan for `space` over `rows x cols` images, made on first use.
    fn plan(&mut self, space: Space, rows: usize, cols: usize) -> Result<&mut Plan> {
        let fits = matches!(&self.made, Some((s, r, c, _)) if (*s, *r, *c) == (space, rows, cols));
        if !fits {
            self.made = Some((space, rows, cols, Plan::new(space, rows, cols)?));
        }
        Ok(&mut self.made.as_mut().expect("made just above").3)
    }
}

/// The fixed parts of a transform for one input size, and the buffers it works in:
/// made once per [`Space::apply_all`], so the loop over 60,000 images allocates nothing.
///
/// Blur and resize are both linear and separable, so they are one pass per axis: each
/// output row (column) is a weighted sum of a few consecutive input rows (columns), the
/// weights being the area average of the blurred cells. Blurring a 28x28 plane and then
/// averaging it down would touch every pixel twice more.
struct Plan {
    rows: usize,
    cols: usize,
    side: usize,
    norm: Norm,
    /// Per output row, the input rows it sums, and per output column the input columns.
    down: Vec<Taps>,
    across: Vec<Taps>,
    /// The sheared and centred image, `rows x cols`; only the rows the shear can have
    /// inked are written.
    plane: Vec<f32>,
    /// After the pass along columns: `side x cols`.
    tall: Vec<f32>,
    /// After both passes: `side x side`, before scaling and rounding.
    small: Vec<f32>,
    /// One blended source row with a ground pixel at each end, for the shear.
    line: Vec<f32>,
}

/// The input cells one output cell reads: `weights[i]` for cell `first + i`.
struct Taps {
    first: usize,
    weights: Vec<f32>,
}

impl Plan {
    fn new(space: Space, rows: usize, cols: usize) -> Result<Plan> {
        space.validate()?;
        let Space::Deskew {
            blur, norm, side, ..
        } = space
        else {
            unreachable!("only a deskew space has a plan")
        };
        let side = usize::from(side);
        Ok(Plan {
            rows,
            cols,
            side,
            norm,
            down: taps(rows, side, blur),
            across: taps(cols, side, blur),
            plane: vec![0.0; rows * cols],
            tall: vec![0.0; side * cols],
            small: vec![0.0; side * side],
            line: vec![0.0; cols + 2],
        })
    }

    /// Deskews, centres, blurs, resizes and scales one image with ink into `out`.
    fn run(&mut self, image: &[u8], shape: &Shape, out: &mut [u8]) {
        let inked = self.shear(image, shape);
        self.blur_and_resize(inked);
        let result = &self.small;
        let scale = match self.norm {
            Norm::None => 1.0,
            Norm::Peak => {
                let peak = result.iter().copied().fold(0.0f32, f32::max);
                if peak > 0.0 { 255.0 / peak } else { 1.0 }
            }
        };
        for (o, &v) in out.iter_mut().zip(result) {
            // Values are never negative (all weights are), the clamp guards the top
            // against rounding.
            *o = (v * scale + 0.5).min(255.0) as u8;
        }
    }

    /// Samples the image, bilinearly, where the upright, centred digit takes each output
    /// pixel from: source row `Y + cy - c0`, source column `X + cx - c0 + alpha (Y - c0)`,
    /// with `c0` the middle of the frame. The row offset is the same for a whole output
    /// row and so is the column offset, so each row is a blend of two source rows shifted
    /// by one amount. Outside the image is ground. Writes only the rows that can hold
    /// ink and returns their range.
    fn shear(&mut self, image: &[u8], shape: &Shape) -> std::ops::Range<usize> {
        let (rows, cols) = (self.rows, self.cols);
        let mid_y = (rows as f64 - 1.0) / 2.0;
        let mid_x = (cols as f64 - 1.0) / 2.0;
        let src_y = shape.cy - mid_y;
        let y_floor = floor(src_y);
        let fy = (src_y - y_floor) as f32;
        let y_shift = y_floor as isize;
        // Output row y blends source rows y + y_shift and the one below.
        let (first, last) = (shape.ink_rows.0 as isize, shape.ink_rows.1 as isize);
        let inked = (first - 1 - y_shift).clamp(0, rows as isize) as usize
            ..(last - y_shift + 1).clamp(0, rows as isize) as usize;
        let source_row = |y: isize| -> Option<&[u8]> {
            (0..rows as isize)
                .contains(&y)
                .then(|| &image[y as usize * cols..(y as usize + 1) * cols])
        };
        // `line[i + 1]` is column `i` of the two source rows blended; one ground pixel
        // pads each end so that both taps of every pixel read inside it.
        let line = &mut self.line;
        for y in inked.clone() {
            let out = &mut self.plane[y * cols..(y + 1) * cols];
            out.fill(0.0);
            let blended = &mut line[1..=cols];
            blended.fill(0.0);
            if let Some(top) = source_row(y as isize + y_shift) {
                for (l, &v) in blended.iter_mut().zip(top) {
                    *l = (1.0 - fy) * f32::from(v);
                }
            }
            if let Some(bottom) = source_row(y as isize + y_shift + 1) {
                for (l, &v) in blended.iter_mut().zip(bottom) {
                    *l += fy * f32::from(v);
                }
            }
            let src_x = shape.cx - mid_x + shape.alpha * (y as f64 - mid_y);
            let x_floor = floor(src_x);
            let fx = (src_x - x_floor) as f32;
            let x_shift = x_floor as isize;
            // Output columns whose taps, source columns x + x_shift and one more, are
            // not both beyond the edges.
            let lo = (-1 - x_shift).clamp(0, cols as isize) as usize;
            let hi = (cols as isize - x_shift).clamp(0, cols as isize) as usize;
            if lo >= hi {
                continue;
            }
            let start = (lo as isize + x_shift + 1) as usize;
            let left = &line[start..start + (hi - lo)];
            let right = &line[start + 1..start + 1 + (hi - lo)];
            for ((o, &a), &b) in out[lo..hi].iter_mut().zip(left).zip(right) {
                *o = (1.0 - fx) * a + fx * b;
            }
        }
        inked
    }

    /// `plane` (ink only in rows `inked`) to `small`: along columns into `tall`, then
    /// along rows.
    fn blur_and_resize(&mut self, inked: std::ops::Range<usize>) {
        let cols = self.cols;
        for (dst, taps) in self.tall.chunks_exact_mut(cols).zip(&self.down) {
            dst.fill(0.0);
            for (y, &w) in (taps.first..).zip(&taps.weights) {
                if inked.contains(&y) {
                    let src = &self.plane[y * cols..(y + 1) * cols];
                    for (d, &s) in dst.iter_mut().zip(src) {
                        *d += w * s;
                    }
                }
            }
        }
        for (src, dst) in self
            .tall
            .chunks_exact(cols)
            .zip(self.small.chunks_exact_mut(self.side))
        {
            for (d, taps) in dst.iter_mut().zip(&self.across) {
                let cells = &src[taps.first..taps.first + taps.weights.len()];
                *d = cells.iter().zip(&taps.weights).map(|(&s, &w)| w * s).sum();
            }
        }
    }
}

/// The largest whole number not above `x`, inline: `f64::floor` is a library call on
/// plain x86-64.
fn floor(x: f64) -> f64 {
    let t = x as i64 as f64;
    if t > x { t - 1.0 } else { t }
}

/// For each of `to` output cells over `from` input cells: the input cells, blurred by
/// the binomial kernel of `2 * blur + 1` taps (ground beyond the edges), that the output
/// cell's area covers, each weighted by its share (partly covered cells by the part
/// covered).
fn taps(from: usize, to: usize, blur: u8) -> Vec<Taps> {
    let kernel = binomial(blur);
    let reach = kernel.len() - 1;
    let step = from as f64 / to as f64;
    (0..to)
        .map(|o| {
            let (a, b) = (o as f64 * step, (o + 1) as f64 * step);
            let mut dense = vec![0.0f64; from];
            for j in a.floor() as usize..(b.ceil() as usize).min(from) {
                let cover = (b.min(j as f64 + 1.0) - a.max(j as f64)).max(0.0) / step;
                for i in j.saturating_sub(reach)..(j + reach + 1).min(from) {
                    dense[i] += cover * kernel[i.abs_diff(j)];
                }
            }
            let first = dense.iter().position(|&w| w > 0.0).unwrap_or(0);
            let end = dense
                .iter()
                .rposition(|&w| w > 0.0)
                .map_or(first, |i| i + 1);
            Taps {
                first,
                weights: dense[first..end].iter().map(|&w| w as f32).collect(),
            }
        })
        .collect()
}

/// Half of the normalised binomial kernel of `2 * level + 1` taps, centre first:
/// `[1]` for level 0, `[2, 1] / 4` for level 1, `[6, 4, 1] / 16` for level 2.
fn binomial(level: u8) -> Vec<f64> {
    let n = 2 * usize::from(level);
    let mut row = vec![1.0f64];
    for _ in 0..n {
        let mut next = vec![1.0; row.len() + 1];
        for i in 1..row.len() {
            next[i] = row[i - 1] + row[i];
        }
        row = next;
    }
    let total = 2f64.powi(n as i32);
    row[usize::from(level)..]
        .iter()
        .map(|&c| c / total)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: usize = 28;

    /// A 28x28 image with ink where `ink(x, y)` says.
    fn draw(ink: impl Fn(usize, usize) -> bool) -> Vec<u8> {
        (0..S * S)
            .map(|i| if ink(i % S, i / S) { 255 } else { 0 })
            .collect()
    }

    /// An upright bar 4 wide and 16 tall, its centre of mass in the middle (13.5, 13.5).
    fn upright_bar() -> Vec<u8> {
        draw(|x, y| (12..16).contains(&x) && (6..22).contains(&y))
    }

    /// A stroke leaning right by `slope` pixels across per pixel up.
    fn leaning_bar(slope: f64) -> Vec<u8> {
        draw(|x, y| {
            let centre = 14.0 - slope * (y as f64 - 13.5);
            (6..22).contains(&y) && (x as f64 + 0.5 - centre).abs() < 2.0
        })
    }

    fn deskew() -> Space {
        Space::Deskew {
            blur: 0,
            norm: Norm::None,
            side: 28,
            shift: 0,
        }
    }

    fn run(space: Space, image: &[u8]) -> Result<Vec<u8>> {
        let mut out = vec![0; space.dim(S, S)];
        space.apply(S, S, image, &mut out)?;
        Ok(out)
    }

    /// Root mean square difference, in grey levels.
    fn rms(a: &[u8], b: &[u8]) -> f64 {
        (crate::distance::l2_sq(a, b) as f64 / a.len() as f64).sqrt()
    }

    fn all_spaces() -> Vec<Space> {
        let mut v = vec![Space::Raw, Space::DEFAULT];
        for blur in 0..=MAX_BLUR {
            for norm in [Norm::None, Norm::Peak] {
                for side in [1, 7, 14, 16, 20, 28, 32, 255] {
                    for shift in [0, 1, Space::MAX_SHIFT] {
                        v.push(Space::Deskew {
                            blur,
                            norm,
                            side,
                            shift,
                        });
                    }
                }
            }
        }
        v
    }

    #[test]
    fn an_upright_digit_is_left_nearly_as_it_is() {
        let bar = upright_bar();
        let out = run(deskew(), &bar).unwrap();
        assert!(rms(&bar, &out) < 1.0, "rms {}", rms(&bar, &out));
    }

    #[test]
    fn a_sheared_digit_is_brought_back_upright() {
        let upright = run(deskew(), &upright_bar()).unwrap();
        for slope in [-0.5, -0.25, 0.3, 0.6] {
            let leaning = leaning_bar(slope);
            let before = rms(&upright, &leaning);
            let after = rms(&upright, &run(deskew(), &leaning).unwrap());
            // Rasterising the leaning bar loses a little; the lean itself is gone.
            assert!(
                after < before / 3.0 && after < 25.0,
                "slope {slope}: {before:.1} -> {after:.1}"
            );
        }
    }

    #[test]
    fn a_shifted_digit_is_centred() {
        let moved = draw(|x, y| (2..6).contains(&x) && (1..17).contains(&y));
        let out = run(deskew(), &moved).unwrap();
        assert!(rms(&upright_bar(), &out) < 1.0);
    }

    #[test]
    fn empty_and_one_pixel_images_are_errors_not_nan() {
        for image in [vec![0u8; S * S], draw(|x, y| (x, y) == (5, 9))] {
            for space in all_spaces().into_iter().filter(|s| *s != Space::Raw) {
                let e = run(space, &image).unwrap_err();
                assert!(
                    matches!(&e, Error::BadPicture { why } if why.contains("no ink") || why.contains("single pixel")),
                    "{e}"
                );
            }
        }
    }

    #[test]
    fn lines_squares_and_edge_cut_digits_give_a_sane_result() {
        let shapes = [
            draw(|_, y| y == 10),                                      // flat line: mu02 = 0
            draw(|x, _| x == 3),                                       // upright line: mu20 = 0
            draw(|x, y| x == y),              // diagonal: the shear is clamped
            draw(|x, y| x / 2 == y && y < 6), // a nearly flat stroke
            draw(|x, y| (4..24).contains(&x) && (4..24).contains(&y)), // filled square
            vec![255; S * S],                 // all ink
            draw(|x, y| x < 4 && y > 10),     // cut by two edges
            draw(|x, y| y == 27 && x < 2),    // two pixels in a corner
        ];
        for (i, image) in shapes.iter().enumerate() {
            for space in all_spaces() {
                let out = run(space, image).unwrap();
                assert!(
                    out.iter().any(|&v| v > 0),
                    "shape {i} in {space} lost its ink"
                );
            }
        }
    }

    #[test]
    fn raw_is_the_identity() {
        let image: Vec<u8> = (0..S * S).map(|i| (i * 7 % 256) as u8).collect();
        assert_eq!(Space::Raw.dim(S, S), S * S);
        assert_eq!(run(Space::Raw, &image).unwrap(), image);
        let data =
            Dataset::new(S, S, [image.clone(), vec![0; S * S]].concat(), vec![3, 4]).unwrap();
        assert_eq!(Space::Raw.apply_all(&data).unwrap(), data);
    }

    #[test]
    fn apply_all_matches_apply_and_survives_degenerate_training_digits() {
        let images = [
            upright_bar(),
            leaning_bar(0.4),
            vec![0; S * S],
            draw(|x, y| (x, y) == (2, 2)),
        ];
        let data = Dataset::new(S, S, images.concat(), vec![1, 1, 0, 7]).unwrap();
        for space in [
            Space::DEFAULT,
            Space::Deskew {
                blur: 2,
                norm: Norm::Peak,
                side: 14,
                shift: 0,
            },
        ] {
            let out = space.apply_all(&data).unwrap();
            let side = usize::from(match space {
                Space::Deskew { side, .. } => side,
                Space::Raw => unreachable!(),
            });
            assert_eq!(
                (out.rows(), out.cols(), out.labels()),
                (side, side, data.labels())
            );
            for (i, image) in images.iter().enumerate().take(2) {
                assert_eq!(out.image(i), run(space, image).unwrap());
            }
            assert!(out.image(2).iter().all(|&v| v == 0));
            // The lone pixel is moved to the middle and kept.
            assert!(out.image(3).iter().any(|&v| v > 0));
        }
    }

    #[test]
    fn wrong_sizes_are_refused() {
        let mut out = vec![0; 10];
        assert!(
            Space::DEFAULT
                .apply(S, S, &upright_bar(), &mut out)
                .is_err()
        );
        assert!(Space::Raw.apply(S, S, &[0; 10], &mut out).is_err());
        assert!(Space::DEFAULT.apply(0, 5, &[], &mut []).is_err());
    }

    #[test]
    fn blur_keeps_the_ink_and_resizing_keeps_the_mean() {
        let bar = upright_bar();
        let mean = |v: &[u8]| v.iter().map(|&x| f64::from(x)).sum::<f64>() / v.len() as f64;
        for blur in 0..=MAX_BLUR {
            for side in [14, 16, 28] {
                let space = Space::Deskew {
                    blur,
                    norm: Norm::None,
                    side,
                    shift: 0,
                };
                let out = run(space, &bar).unwrap();
                assert!(
                    (mean(&out) - mean(&bar)).abs() < 0.6,
                    "{space}: {} vs {}",
                    mean(&out),
                    mean(&bar)
                );
            }
        }
    }

    #[test]
    fn bytes_round_trip_and_unknown_bytes_are_refused() {
        for space in all_spaces() {
            assert_eq!(Space::from_bytes(space.to_bytes()), Ok(space));
        }
        for bad in [
            [2, 0, 0, 0],
            [0, 1, 0, 0],
            [1, MAX_BLUR + 1, 28, 0],
            [1, 1, 0, 0],
            [1, 1, 28, 2],
            [1, 0, 16, 1 | (Space::MAX_SHIFT + 1) << 4],
            [255; 4],
        ] {
            let e = Space::from_bytes(bad).unwrap_err();
            assert!(matches!(e, Error::BadParameter { .. }), "{e}");
        }
        let e = Space::from_bytes([9, 0, 0, 0]).unwrap_err().to_string();
        assert!(e.contains("[9, 0, 0, 0]") && e.contains("tag 9"), "{e}");
    }

    #[test]
    fn shifted_queries_move_the_digit_one_pixel_each_way() {
        let bar = upright_bar();
        let space = Space::Deskew {
            blur: 0,
            norm: Norm::None,
            side: 28,
            shift: 1,
        };
        assert_eq!(space.query_variants(), 5);
        assert_eq!(Space::Raw.query_variants(), 1);
        let variant = |v| {
            let mut out = vec![0; S * S];
            space.apply_variant(S, S, &bar, &mut out, v).map(|()| out)
        };
        let centred = variant(0).unwrap();
        assert_eq!(centred, run(space, &bar).unwrap());
        // Right, left, down, up: each variant is the centred digit moved one pixel.
        let moved = |dx: isize, dy: isize| -> Vec<u8> {
            (0..S * S)
                .map(|i| {
                    let (x, y) = ((i % S) as isize - dx, (i / S) as isize - dy);
                    let inside = (0..S as isize).contains(&x) && (0..S as isize).contains(&y);
                    if inside {
                        centred[y as usize * S + x as usize]
                    } else {
                        0
                    }
                })
                .collect()
        };
        for (v, (dx, dy)) in [(1, (1, 0)), (2, (-1, 0)), (3, (0, 1)), (4, (0, -1))] {
            let out = variant(v).unwrap();
            assert!(rms(&out, &moved(dx, dy)) < 1.0, "variant {v}");
            assert!(rms(&out, &centred) > 10.0, "variant {v} did not move");
        }
        assert!(variant(5).is_err());
    }

    #[test]
    fn every_name_parses_back() {
        for space in all_spaces() {
            assert_eq!(space.name().parse::<Space>(), Ok(space), "{space}");
            assert_eq!(space.to_string(), space.name());
        }
        assert_eq!("deskew".parse::<Space>(), Ok(deskew()));
        assert_eq!(
            " Deskew+Blur1@16x16 ".parse::<Space>().map(|s| s.name()),
            Ok("deskew+blur1@16x16".into())
        );
        for bad in [
            "",
            "raww",
            "blur1",
            "deskew+blur9",
            "deskew@16x14",
            "deskew@0x0",
            "deskew+sharp",
            "deskew@300x300",
        ] {
            assert!(bad.parse::<Space>().is_err(), "{bad:?} parsed");
        }
    }
}
