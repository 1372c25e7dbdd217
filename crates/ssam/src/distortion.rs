//! A distance that tolerates deformation: the image distortion model with local context
//! (Keysers, Deselaers, Gollan and Ney, "Deformation models for image recognition", 2007).
//!
//! Each pixel of the query may match any pixel of the reference within `warp` pixels of
//! its own place, independently of its neighbours; what is compared is not the pixel
//! alone but its context, the `(2 * context + 1)^2` window of horizontal and vertical
//! Sobel gradients around it. The cost of a pixel is its best match's squared gradient
//! difference summed over the window; the distance is the sum over the query's pixels.
//! Gradients make a stroke compare by its edges and direction rather than its exact ink
//! level, and the window keeps a pixel from matching a lone pixel of the wrong shape, the
//! weakness of the model without context. On MNIST this is what LeCun's table lists as
//! the best nearest-neighbour distance without training.
//!
//! Computed per displacement rather than per pixel: for a displacement `d`, the cost of
//! every window is a 3x3 box sum of the per-pixel differences at `d`, so the whole image
//! is a few passes over contiguous rows that the compiler vectorises, and the best over
//! displacements is a running minimum. All integer arithmetic: the same on every target.

use crate::error::{Error, Result};

/// Largest side of an image this model compares: own sets are at most 64x64.
pub const MAX_SIDE: usize = 64;

/// How far pixels may move and how much context they carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Distortion {
    /// Largest displacement of a pixel, in each direction.
    pub warp: u8,
    /// Half side of the window of gradients each pixel is compared by (1: 3x3).
    pub context: u8,
}

impl Distortion {
    /// What the app re-ranks with: displacements up to 2 pixels, 3x3 windows, Keysers'
    /// setting for 28x28 digits, which measured best here too (see the README).
    pub const DEFAULT: Distortion = Distortion {
        warp: 2,
        context: 1,
    };

    fn pad(&self) -> usize {
        usize::from(self.warp) + usize::from(self.context)
    }
}

/// The gradients of one image, laid out with a border of zeros wide enough for every
/// displacement and window, so that the kernel needs no bound checks.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Gradients {
    rows: usize,
    cols: usize,
    pad: usize,
    /// Horizontal and vertical Sobel responses divided by 8 (within -127..=127), row-major
    /// over `(rows + 2 pad) x (cols + 2 pad)`, after `pad` more zeros so that a
    /// displacement may step before the first row; `pad` zeros also follow the last.
    /// In 32 bits: the kernel then reads them with no widening.
    x: Vec<i32>,
    y: Vec<i32>,
}

impl Gradients {
    /// The gradients of `image` (`rows x cols` grey levels, 0 = ground), padded for `model`.
    pub fn of(model: Distortion, rows: usize, cols: usize, image: &[u8]) -> Result<Gradients> {
        let mut g = Gradients::default();
        g.set(model, rows, cols, image)?;
        Ok(g)
    }

    /// As [`Gradients::of`], reusing this value's memory.
    pub fn set(&mut self, model: Distortion, rows: usize, cols: usize, image: &[u8]) -> Result<()> {
        if !(1..=MAX_SIDE).contains(&rows) || !(1..=MAX_SIDE).contains(&cols) {
            return Err(Error::BadParameter {
                name: "image size",
                value: format!("{rows}x{cols}"),
                why: format!("images are compared by distortion with sides of 1 to {MAX_SIDE}"),
            });
        }
        if image.len() != rows * cols {
            return Err(Error::ImageSize {
                what: format!("a {rows}x{cols} image to compare by distortion"),
                expected: rows * cols,
                received: image.len(),
            });
        }
        let pad = model.pad();
        let width = cols + 2 * pad;
        let len = width * (rows + 2 * pad) + 2 * pad;
        (self.rows, self.cols, self.pad) = (rows, cols, pad);
        self.x.clear();
        self.x.resize(len, 0);
        self.y.clear();
        self.y.resize(len, 0);
        for y in 0..rows {
            for x in 0..cols {
                let (gx, gy) = sobel(rows, cols, image, x as isize, y as isize);
                let i = pad + (y + pad) * width + x + pad;
                self.x[i] = gx;
                self.y[i] = gy;
            }
        }
        Ok(())
    }

    fn width(&self) -> usize {
        self.cols + 2 * self.pad
    }
}

/// The horizontal and vertical Sobel responses at pixel (x, y) of `image`, divided by 8;
/// pixels outside the image read as ground. Responses reach 4 * 255: divided by 8 they fit
/// in 8 bits, so every sum of the kernel stays inside 32 bits.
fn sobel(rows: usize, cols: usize, image: &[u8], x: isize, y: isize) -> (i32, i32) {
    let at = |x: isize, y: isize| -> i32 {
        if x < 0 || y < 0 || x >= cols as isize || y >= rows as isize {
            0
        } else {
            i32::from(image[y as usize * cols + x as usize])
        }
    };
    let gx = at(x + 1, y - 1) + 2 * at(x + 1, y) + at(x + 1, y + 1)
        - at(x - 1, y - 1)
        - 2 * at(x - 1, y)
        - at(x - 1, y + 1);
    let gy = at(x - 1, y + 1) + 2 * at(x, y + 1) + at(x + 1, y + 1)
        - at(x - 1, y - 1)
        - 2 * at(x, y - 1)
        - at(x + 1, y - 1);
    (gx / 8, gy / 8)
}

/// The model as its definition reads, pixel by pixel and with bound checks: obviously
/// right, slow, and what the fast kernel is tested against on every target.
pub mod reference {
    use super::{Distortion, sobel};

    /// The distortion distance from `query` to `reference`, both `rows x cols`.
    pub fn distance(
        model: Distortion,
        rows: usize,
        cols: usize,
        query: &[u8],
        reference: &[u8],
    ) -> u32 {
        let inside =
            |x: isize, y: isize| x >= 0 && y >= 0 && x < cols as isize && y < rows as isize;
        let grad = |image: &[u8], x: isize, y: isize| {
            if inside(x, y) {
                sobel(rows, cols, image, x, y)
            } else {
                (0, 0)
            }
        };
        let (w, c) = (isize::from(model.warp), isize::from(model.context));
        let mut total = 0u32;
        for y in 0..rows as isize {
            for x in 0..cols as isize {
                let mut best = u32::MAX;
                for dy in -w..=w {
                    for dx in -w..=w {
                        let mut s = 0u32;
                        for oy in -c..=c {
                            for ox in -c..=c {
                                let (ax, ay) = grad(query, x + ox, y + oy);
                                let (bx, by) = grad(reference, x + ox + dx, y + oy + dy);
                                s += ((ax - bx).pow(2) + (ay - by).pow(2)) as u32;
                            }
                        }
                        best = best.min(s);
                    }
                }
                total += best;
            }
        }
        total
    }
}

/// Buffers of one comparison, reused between comparisons.
#[derive(Debug, Clone, Default)]
pub struct Workspace {
    /// Per-pixel squared differences at one displacement, over the padded grid.
    cost: Vec<u32>,
    /// Their sums across each window's width.
    across: Vec<u32>,
    /// Each query pixel's best window cost so far, over the padded grid.
    best: Vec<u32>,
    /// Each query pixel's best displacement so far, when asked for.
    moved: Vec<(i8, i8)>,
}

/// Where each pixel of a query found its match in a reference: what the page draws to
/// show why two digits are similar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Matching {
    /// The distance, as [`distance`] gives it.
    pub distance: u32,
    /// For each query pixel (row-major), the displacement (dx, dy) of its best match.
    pub moved: Vec<(i8, i8)>,
    /// For each query pixel, the cost of its best match.
    pub cost: Vec<u32>,
}

/// The distortion distance from `query` to `reference`; both were made by the same model
/// and have the same size.
pub fn distance(
    model: Distortion,
    query: &Gradients,
    reference: &Gradients,
    work: &mut Workspace,
) -> u32 {
    run(model, query, reference, work, false)
}

/// The distance with where each query pixel matched.
pub fn matching(model: Distortion, query: &Gradients, reference: &Gradients) -> Matching {
    let mut work = Workspace::default();
    let distance = run(model, query, reference, &mut work, true);
    Matching {
        distance,
        moved: work.moved,
        cost: work.best,
    }
}

/// The kernel, compiled a second time for AVX2 where the processor has it: its passes
/// are plain loops the compiler vectorises, and AVX2's eight lanes with a native 32-bit
/// multiply make them about three times faster than the baseline's (wasm32 gets simd128
/// from the build's target features).
fn run(
    model: Distortion,
    query: &Gradients,
    reference: &Gradients,
    work: &mut Workspace,
    track: bool,
) -> u32 {
    #[cfg(target_arch = "x86_64")]
    if std::is_x86_feature_detected!("avx2") {
        // SAFETY: AVX2 is present, checked just above.
        return unsafe { run_avx2(model, query, reference, work, track) };
    }
    kernel(model, query, reference, work, track)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn run_avx2(
    model: Distortion,
    query: &Gradients,
    reference: &Gradients,
    work: &mut Workspace,
    track: bool,
) -> u32 {
    kernel(model, query, reference, work, track)
}

// Kept whole so that run_avx2 compiles all of it for AVX2: a part split out would not be.
#[inline(always)]
fn kernel(
    model: Distortion,
    query: &Gradients,
    reference: &Gradients,
    work: &mut Workspace,
    track: bool,
) -> u32 {
    assert!(
        query.rows == reference.rows
            && query.cols == reference.cols
            && query.pad == model.pad()
            && reference.pad == model.pad(),
        "gradients of different sizes or models"
    );
    let (rows, cols, pad) = (query.rows, query.cols, query.pad);
    let width = query.width();
    let c = usize::from(model.context);
    let warp = isize::from(model.warp);
    // Every pass below runs over whole padded rows as one flat slice, which vectorises
    // without tails per row; the columns outside the image compute values nobody reads.
    // Costs are needed for the image and `c` rows and columns around it; window sums and
    // minima for the image's rows.
    let (first, last) = ((pad - c) * width, (pad + rows + c) * width);
    let (inner_first, inner_last) = (pad * width, (pad + rows) * width);
    work.cost.clear();
    work.cost.resize(last - first, 0);
    work.across.clear();
    work.across.resize(last - first, 0);
    work.best.clear();
    work.best.resize(inner_last - inner_first, u32::MAX);
    if track {
        work.moved.clear();
        work.moved.resize(inner_last - inner_first, (0, 0));
    }
    // Displacements nearest first, so that ties keep the smaller move (what a person
    // would point at).
    let mut moves: [(isize, isize); 81] = [(0, 0); 81];
    let mut count = 0;
    for dy in -warp..=warp {
        for dx in -warp..=warp {
            moves[count] = (dx, dy);
            count += 1;
        }
    }
    let moves = &mut moves[..count];
    moves.sort_by_key(|&(dx, dy)| (dx * dx + dy * dy, dy, dx));
    let n = last - first;
    let (qx, qy) = (&query.x[pad + first..][..n], &query.y[pad + first..][..n]);
    for &(dx, dy) in moves.iter() {
        // In bounds: the padding holds `warp` rows and columns beyond every window, and
        // `pad` zeros lie before the first row and after the last.
        let at = (pad + first) as isize + dy * width as isize + dx;
        let (rx, ry) = (
            &reference.x[at as usize..][..n],
            &reference.y[at as usize..][..n],
        );
        for ((((cost, &qx), &qy), &rx), &ry) in work.cost.iter_mut().zip(qx).zip(qy).zip(rx).zip(ry)
        {
            let (ex, ey) = (qx - rx, qy - ry);
            *cost = (ex * ex + ey * ey) as u32;
        }
        // Window sums, separably: across (neighbours in the flat order), then down (a row
        // apart).
        let span = n - 2 * c;
        let across = &mut work.across[c..][..span];
        across.copy_from_slice(&work.cost[..span]);
        for o in 1..=2 * c {
            for (a, &v) in across.iter_mut().zip(&work.cost[o..][..span]) {
                *a += v;
            }
        }
        let inner = inner_last - inner_first;
        let down = |o: usize| &work.across[o * width..][..inner];
        let best = &mut work.best[..inner];
        if track {
            for (i, (b, m)) in best.iter_mut().zip(work.moved.iter_mut()).enumerate() {
                let s: u32 = (0..=2 * c).map(|o| down(o)[i]).sum();
                if s < *b {
                    *b = s;
                    *m = (dx as i8, dy as i8);
                }
            }
        } else if c == 1 {
            let (up, mid, low) = (down(0), down(1), down(2));
            for (((b, &u), &m), &l) in best.iter_mut().zip(up).zip(mid).zip(low) {
                *b = (*b).min(u + m + l);
            }
        } else {
            for (i, b) in best.iter_mut().enumerate() {
                let s: u32 = (0..=2 * c).map(|o| down(o)[i]).sum();
                *b = (*b).min(s);
            }
        }
    }
    // Only the image's own columns count.
    let mut total = 0u32;
    for y in 0..rows {
        total += work.best[y * width + pad..][..cols].iter().sum::<u32>();
    }
    if track {
        // Keep the image's pixels only, row-major.
        let keep = |v: &[u32]| -> Vec<u32> {
            (0..rows)
                .flat_map(|y| v[y * width + pad..][..cols].iter().copied())
                .collect()
        };
        let moved: Vec<(i8, i8)> = (0..rows)
            .flat_map(|y| work.moved[y * width + pad..][..cols].iter().copied())
            .collect();
        work.best = keep(&work.best);
        work.moved = moved;
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;

    fn noise(n: usize, seed: u64) -> Vec<u8> {
        let mut s = seed;
        (0..n)
            .map(|_| {
                s = s
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                let v = (s >> 56) as u8;
                if v < 140 { 0 } else { v }
            })
            .collect()
    }

    #[test]
    fn the_fast_kernel_equals_the_definition() {
        for (model, rows, cols) in [
            (Distortion::DEFAULT, 28, 28),
            (
                Distortion {
                    warp: 1,
                    context: 0,
                },
                9,
                13,
            ),
            (
                Distortion {
                    warp: 3,
                    context: 2,
                },
                16,
                11,
            ),
            (
                Distortion {
                    warp: 0,
                    context: 1,
                },
                5,
                5,
            ),
        ] {
            for seed in 0..4 {
                let (a, b) = (noise(rows * cols, seed), noise(rows * cols, seed + 100));
                let ga = Gradients::of(model, rows, cols, &a).unwrap();
                let gb = Gradients::of(model, rows, cols, &b).unwrap();
                let fast = distance(model, &ga, &gb, &mut Workspace::default());
                let portable = kernel(model, &ga, &gb, &mut Workspace::default(), false);
                assert_eq!(fast, portable, "{model:?} {rows}x{cols} seed {seed}");
                assert_eq!(
                    fast,
                    reference::distance(model, rows, cols, &a, &b),
                    "{model:?} {rows}x{cols} seed {seed}"
                );
                assert_eq!(matching(model, &ga, &gb).distance, fast);
            }
        }
    }

    #[test]
    fn a_digit_moved_within_the_warp_costs_nothing_and_says_where_it_moved() {
        let model = Distortion::DEFAULT;
        let mut a = vec![0u8; 28 * 28];
        for y in 8..20 {
            a[y * 28 + 12] = 255;
            a[y * 28 + 13] = 200;
        }
        let mut b = vec![0u8; 28 * 28];
        for y in 8..20 {
            b[y * 28 + 14] = 255;
            b[y * 28 + 15] = 200;
        }
        let (ga, gb) = (
            Gradients::of(model, 28, 28, &a).unwrap(),
            Gradients::of(model, 28, 28, &b).unwrap(),
        );
        let m = matching(model, &ga, &gb);
        assert_eq!(m.distance, 0);
        assert_eq!(
            m.moved[14 * 28 + 12],
            (2, 0),
            "the stroke's pixels point two to the right"
        );
        assert!(crate::distance::l2_sq(&a, &b) > 0);
        // Moved further than the warp, the same stroke costs something.
        let mut far = vec![0u8; 28 * 28];
        for y in 8..20 {
            far[y * 28 + 18] = 255;
            far[y * 28 + 19] = 200;
        }
        let gf = Gradients::of(model, 28, 28, &far).unwrap();
        assert!(distance(model, &ga, &gf, &mut Workspace::default()) > 0);
    }

    #[test]
    fn images_it_cannot_compare_are_errors() {
        assert!(Gradients::of(Distortion::DEFAULT, 28, 28, &[0; 10]).is_err());
        assert!(Gradients::of(Distortion::DEFAULT, 0, 0, &[]).is_err());
        assert!(Gradients::of(Distortion::DEFAULT, 65, 1, &[0; 65]).is_err());
    }
}
