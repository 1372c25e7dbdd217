//! A picture made into a query: its size checked, its ink found (`ink`), cropped, scaled
//! by area averaging and centred by its mass in the 28x28 field.

use super::ink;
use crate::error::{Error, Result};

/// Side of the square the digit is placed in.
pub const SIDE: usize = 28;
/// Side of the box the digit's longer side is scaled to.
pub const BOX: usize = 20;
/// Largest picture accepted, in pixels (a 8000 x 8000 photo): more is surely a mistake
/// and would take seconds and hundreds of megabytes.
pub const MAX_PIXELS: usize = 64_000_000;

/// A query made from a picture.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prepared {
    /// 28 x 28 grey levels, row-major, 0 = ground, 255 = ink: what the engine searches with.
    pub pixels: Vec<u8>,
    /// True when the picture was dark ink on a light ground and so was inverted.
    pub inverted: bool,
    /// The part of the picture that held the digit's ink: x, y, width, height.
    pub ink_box: (usize, usize, usize, usize),
    /// Digit-like marks found in the picture (specks, dashes and marks along the frame
    /// not counted); when there are several, the largest is the one searched.
    pub marks: usize,
    /// Connected parts of ink taken as the digit (a 4 drawn in two strokes that do not
    /// meet has two).
    pub parts: usize,
}

/// Prepares an RGBA picture (`width * height * 4` bytes, as a canvas gives it).
/// Transparent pixels count as ground. A picture without ink is an error that says so.
///
/// ```
/// use ssam::preprocess::{SIDE, prepare_rgba};
///
/// // A dark bar on a white 60 x 90 picture: a one, as a pen draws it.
/// let (w, h) = (60, 90);
/// let mut rgba = vec![255u8; w * h * 4];
/// for y in 15..75 {
///     for x in 27..33 {
///         rgba[(y * w + x) * 4..][..3].copy_from_slice(&[0, 0, 0]);
///     }
/// }
/// let digit = prepare_rgba(w, h, &rgba)?;
/// assert_eq!(digit.pixels.len(), SIDE * SIDE);
/// assert!(digit.inverted, "dark ink on a light ground is turned into MNIST's light on dark");
/// assert!(digit.pixels[14 * SIDE + 14] > 128, "the bar lies across the middle");
///
/// let blank = vec![255u8; w * h * 4];
/// assert!(prepare_rgba(w, h, &blank).is_err());
/// # Ok::<(), ssam::Error>(())
/// ```
pub fn prepare_rgba(width: usize, height: usize, rgba: &[u8]) -> Result<Prepared> {
    let n = check_size(width, height)?;
    if rgba.len() != n * 4 {
        return Err(Error::ImageSize {
            what: format!("a {width}x{height} RGBA picture"),
            expected: n * 4,
            received: rgba.len(),
        });
    }
    let luma = |i: usize| {
        let p = &rgba[i * 4..i * 4 + 4];
        0.299 * f32::from(p[0]) + 0.587 * f32::from(p[1]) + 0.114 * f32::from(p[2])
    };
    let alpha = |i: usize| f32::from(rgba[i * 4 + 3]) / 255.0;
    if rgba.chunks_exact(4).all(|p| p[3] == 255) {
        return prepare(width, height, &luma);
    }
    // See-through pictures: lay them on the ground that contrasts with their ink.
    let (ink, weight) = (0..n).fold((0.0, 0.0), |(s, w), i| {
        (s + luma(i) * alpha(i), w + alpha(i))
    });
    let ground = if weight > 0.0 && ink / weight < 128.0 {
        255.0
    } else {
        0.0
    };
    prepare(width, height, &|i| {
        luma(i) * alpha(i) + ground * (1.0 - alpha(i))
    })
}

/// Prepares a grey picture (`width * height` levels 0 to 255, any ground; values outside
/// that range are clamped, and values that are not numbers count as 0).
pub fn prepare_grey(width: usize, height: usize, grey: &[f32]) -> Result<Prepared> {
    let n = check_size(width, height)?;
    if grey.len() != n {
        return Err(Error::ImageSize {
            what: format!("a {width}x{height} grey picture"),
            expected: n,
            received: grey.len(),
        });
    }
    prepare(width, height, &|i| {
        let v = grey[i];
        if v.is_nan() { 0.0 } else { v.clamp(0.0, 255.0) }
    })
}

/// The digit of a picture whose grey level at pixel `i` is `level(i)`, as a query.
fn prepare(width: usize, height: usize, level: &dyn Fn(usize) -> f32) -> Result<Prepared> {
    let found = ink::find(width, height, level)?;
    let (rx, ry, rw, _) = found.region;
    let ink = &found.levels;
    let (x0, y0, w, h) = ink_box(rw, found.region.3, ink).ok_or_else(ink::no_ink)?;
    let scale = BOX as f32 / w.max(h) as f32;
    let (sw, sh) = (
        ((w as f32 * scale).round() as usize).max(1),
        ((h as f32 * scale).round() as usize).max(1),
    );
    let cropped: Vec<f32> = (y0..y0 + h)
        .flat_map(|y| ink[y * rw + x0..y * rw + x0 + w].iter().copied())
        .collect();
    let small = resample(&cropped, w, h, sw, sh);
    let peak = small.iter().copied().fold(0.0, f32::max);
    if peak <= 0.0 {
        return Err(ink::no_ink());
    }

    // Centre of mass to the middle of the field, at whole-pixel offsets as MNIST did.
    let (mut mass, mut mx, mut my) = (0.0f64, 0.0f64, 0.0f64);
    for y in 0..sh {
        for x in 0..sw {
            let v = f64::from(small[y * sw + x]);
            mass += v;
            mx += v * (x as f64 + 0.5);
            my += v * (y as f64 + 0.5);
        }
    }
    let half = SIDE as f64 / 2.0;
    let dx = (half - mx / mass).round() as isize;
    let dy = (half - my / mass).round() as isize;
    let mut pixels = vec![0u8; SIDE * SIDE];
    for y in 0..sh {
        for x in 0..sw {
            let (tx, ty) = (x as isize + dx, y as isize + dy);
            if (0..SIDE as isize).contains(&tx) && (0..SIDE as isize).contains(&ty) {
                pixels[ty as usize * SIDE + tx as usize] =
                    (small[y * sw + x] / peak * 255.0).round() as u8;
            }
        }
    }
    Ok(Prepared {
        pixels,
        inverted: found.inverted,
        ink_box: (rx + x0, ry + y0, w, h),
        marks: found.marks,
        parts: found.parts,
    })
}

/// Scales a grey image (`rows x cols`) to `to_rows x to_cols` by area averaging: how a
/// 28x28 query from the pad meets an own set of another image size.
pub fn resize(
    rows: usize,
    cols: usize,
    pixels: &[u8],
    to_rows: usize,
    to_cols: usize,
) -> Result<Vec<u8>> {
    if [rows, cols, to_rows, to_cols].contains(&0) {
        return Err(Error::BadParameter {
            name: "size",
            value: format!("{rows}x{cols} to {to_rows}x{to_cols}"),
            why: "an image is resized from and to sides of at least 1 pixel".into(),
        });
    }
    if pixels.len() != rows * cols {
        return Err(Error::ImageSize {
            what: format!("a {rows}x{cols} image to resize"),
            expected: rows * cols,
            received: pixels.len(),
        });
    }
    if (rows, cols) == (to_rows, to_cols) {
        return Ok(pixels.to_vec());
    }
    let src: Vec<f32> = pixels.iter().map(|&v| f32::from(v)).collect();
    Ok(resample(&src, cols, rows, to_cols, to_rows)
        .into_iter()
        .map(|v| v.round().clamp(0.0, 255.0) as u8)
        .collect())
}

/// Grey levels of RGBA pixels by luminance (Rec. 601 weights, as most image tools use);
/// transparency is laid on black, the ground of MNIST-like sets.
pub fn luminance(rgba: &[u8]) -> Vec<u8> {
    rgba.chunks_exact(4)
        .map(|p| {
            let y = 0.299 * f32::from(p[0]) + 0.587 * f32::from(p[1]) + 0.114 * f32::from(p[2]);
            (y * f32::from(p[3]) / 255.0).round().clamp(0.0, 255.0) as u8
        })
        .collect()
}

fn check_size(width: usize, height: usize) -> Result<usize> {
    let n = width.saturating_mul(height);
    if n == 0 {
        return Err(Error::BadPicture {
            why: format!("a {width}x{height} picture is empty"),
        });
    }
    if n > MAX_PIXELS {
        return Err(Error::BadPicture {
            why: format!(
                "a {width}x{height} picture is too large (at most {} megapixels)",
                MAX_PIXELS / 1_000_000
            ),
        });
    }
    Ok(n)
}

/// The smallest box holding every pixel with ink: x, y, width, height.
fn ink_box(width: usize, height: usize, ink: &[f32]) -> Option<(usize, usize, usize, usize)> {
    let (mut x0, mut y0, mut x1, mut y1) = (usize::MAX, usize::MAX, 0, 0);
    for y in 0..height {
        for x in 0..width {
            if ink[y * width + x] > 0.0 {
                (x0, y0, x1, y1) = (x0.min(x), y0.min(y), x1.max(x), y1.max(y));
            }
        }
    }
    (x0 != usize::MAX).then(|| (x0, y0, x1 - x0 + 1, y1 - y0 + 1))
}

/// Area-averaging resize: each output pixel is the mean of the input area it covers,
/// partly covered input pixels weighted by the part covered. Separable: rows, then columns.
fn resample(src: &[f32], w: usize, h: usize, ow: usize, oh: usize) -> Vec<f32> {
    let across = weights(w, ow);
    let down = weights(h, oh);
    let mut rows = vec![0.0f32; h * ow];
    for y in 0..h {
        for (ox, taps) in across.iter().enumerate() {
            rows[y * ow + ox] = taps.iter().map(|&(x, wt)| src[y * w + x] * wt).sum();
        }
    }
    let mut out = vec![0.0f32; oh * ow];
    for (oy, taps) in down.iter().enumerate() {
        for ox in 0..ow {
            out[oy * ow + ox] = taps.iter().map(|&(y, wt)| rows[y * ow + ox] * wt).sum();
        }
    }
    out
}

/// For each of `m` output pixels, the input pixels of `n` it covers and their weights
/// (summing to 1).
fn weights(n: usize, m: usize) -> Vec<Vec<(usize, f32)>> {
    let step = n as f64 / m as f64;
    (0..m)
        .map(|o| {
            let (a, b) = (o as f64 * step, (o + 1) as f64 * step);
            let first = a.floor() as usize;
            let last = (b.ceil() as usize).min(n);
            (first..last)
                .map(|i| {
                    let cover = (b.min(i as f64 + 1.0) - a.max(i as f64)).max(0.0);
                    (i, (cover / step) as f32)
                })
                .filter(|&(_, wt)| wt > 0.0)
                .collect()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A white picture with a black bar of the given box.
    fn bar(width: usize, height: usize, bx: (usize, usize, usize, usize)) -> Vec<u8> {
        let mut rgba = vec![255u8; width * height * 4];
        for y in bx.1..bx.1 + bx.3 {
            for x in bx.0..bx.0 + bx.2 {
                rgba[(y * width + x) * 4..][..3].copy_from_slice(&[0, 0, 0]);
            }
        }
        rgba
    }

    #[test]
    fn dark_on_light_is_inverted_cropped_scaled_and_centred() {
        let p = prepare_rgba(200, 100, &bar(200, 100, (10, 10, 20, 80))).unwrap();
        assert!(p.inverted);
        assert_eq!(p.ink_box, (10, 10, 20, 80));
        // 20x80 becomes 5x20, centred: columns 12..17 of rows 4..24 hold the ink.
        let lit: Vec<(usize, usize)> = (0..SIDE * SIDE)
            .filter(|&i| p.pixels[i] > 0)
            .map(|i| (i % SIDE, i / SIDE))
            .collect();
        assert_eq!(lit.len(), 5 * 20);
        assert!(
            lit.iter()
                .all(|&(x, y)| (12..17).contains(&x) && (4..24).contains(&y)),
            "{lit:?}"
        );
        assert!(lit.iter().all(|&(x, y)| p.pixels[y * SIDE + x] == 255));
    }

    #[test]
    fn transparent_ground_counts_as_ground_for_dark_and_light_ink() {
        for ink in [0u8, 255] {
            let mut rgba = vec![0u8; 50 * 50 * 4];
            for y in 10..40 {
                for x in 20..30 {
                    rgba[(y * 50 + x) * 4..][..4].copy_from_slice(&[ink, ink, ink, 255]);
                }
            }
            let p = prepare_rgba(50, 50, &rgba).unwrap();
            assert_eq!(p.ink_box, (20, 10, 10, 30), "ink {ink}");
            assert_eq!(
                p.pixels.iter().filter(|&&v| v > 0).count(),
                7 * 20,
                "ink {ink}"
            );
        }
    }

    #[test]
    fn an_mnist_digit_comes_back_nearly_unchanged() {
        // A synthetic 20x20 ring already centred like an MNIST digit.
        let mut grey = vec![0.0f32; SIDE * SIDE];
        for y in 4..24 {
            for x in 4..24 {
                let r = ((x as f32 - 13.5).powi(2) + (y as f32 - 13.5).powi(2)).sqrt();
                if (6.0..10.0).contains(&r) {
                    grey[y * SIDE + x] = 255.0;
                }
            }
        }
        let p = prepare_grey(SIDE, SIDE, &grey).unwrap();
        let before: Vec<u8> = grey.iter().map(|&g| g as u8).collect();
        assert_eq!(p.pixels, before);
        assert!(!p.inverted);
    }

    #[test]
    fn blank_wrong_sized_and_huge_pictures_are_errors() {
        for e in [
            prepare_rgba(10, 10, &[255; 400]).unwrap_err(),
            prepare_rgba(10, 10, &[0; 400]).unwrap_err(),
        ] {
            assert!(
                matches!(&e, Error::BadPicture { why } if why.contains("no ink")),
                "{e:?}"
            );
        }
        assert_eq!(
            prepare_rgba(10, 10, &[0; 399]).unwrap_err(),
            Error::ImageSize {
                what: "a 10x10 RGBA picture".into(),
                expected: 400,
                received: 399
            }
        );
        for (e, said) in [
            (prepare_rgba(0, 10, &[]).unwrap_err(), "empty"),
            (
                prepare_rgba(100_000, 100_000, &[]).unwrap_err(),
                "too large",
            ),
        ] {
            assert!(
                matches!(&e, Error::BadPicture { why } if why.contains(said)),
                "{e:?}"
            );
        }
    }
}
