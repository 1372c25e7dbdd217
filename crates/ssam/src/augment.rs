//! More digits from the ones there are: elastic deformations plus small affine changes,
//! the method of Simard, Steinkraus and Platt (2003, "Best practices for convolutional
//! neural networks applied to visual document analysis") behind infiMNIST and MNIST8M.
//!
//! For each new digit, a random displacement field (each component uniform in [-1, 1] at
//! every pixel) is smoothed by a Gaussian of `sigma` pixels and scaled by `alpha`: pixels
//! move together, by a pixel or two, as a hand's wobble moves a stroke. A small random
//! rotation, scaling and shear about the centre follow, and the source is resampled
//! bilinearly at the moved positions (ink outside the frame is ground).
//!
//! Every digit is a function of (seed, source index, copy number) alone, so any one of a
//! corpus of millions can be made again without the others; copy 0 is the source as it
//! is. The random stream is ChaCha8 keyed by those three numbers (`rand_chacha`, whose
//! output is specified and kept from version to version, unlike `rand`'s `StdRng`), and
//! its 32-bit words become numbers by the arithmetic below rather than by `rand`'s
//! distributions, which do not promise the same values in later versions either.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// How far a digit is deformed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Deformation {
    /// Scale of the smoothed displacement field, in pixels.
    pub alpha: f32,
    /// Width of the Gaussian that smooths it, in pixels: smaller is more local
    /// (a wavier stroke), larger moves the digit more as a whole.
    pub sigma: f32,
    /// Largest rotation either way, in degrees.
    pub rotation: f32,
    /// Largest change of size either way, as a fraction (0.1 is 90% to 110%).
    pub scale: f32,
    /// Largest horizontal shear either way, in pixels across per pixel down.
    pub shear: f32,
}

impl Deformation {
    /// Simard et al.'s field strength for 28x28 digits (alpha 34) at the smooth end of
    /// the widths used with it (sigma 6, not their 4: at 4 one deformed digit in eight
    /// is nearer to an original of another label than of its own, and its inherited
    /// label would be wrong as often; crates/ssam/tests/augment.rs), and affine changes of the size
    /// handwriting varies by.
    pub const MNIST: Deformation = Deformation {
        alpha: 34.0,
        sigma: 6.0,
        rotation: 8.0,
        scale: 0.08,
        shear: 0.15,
    };
}

/// Makes deformed copies of `rows x cols` digits.
#[derive(Debug, Clone)]
pub struct Augmenter {
    rows: usize,
    cols: usize,
    seed: u64,
    deformation: Deformation,
    /// The Gaussian's taps, from `-radius` to `radius`, summing to 1.
    kernel: Vec<f32>,
}

/// A corpus of `n` digits made from `sources`: item `i` is copy `i / sources` of source
/// `i % sources`, so the first `sources` items are the sources themselves, then one
/// deformed copy of each, and so on, and every label is known without the images.
pub fn item(i: u64, sources: usize) -> (usize, u32) {
    let sources = sources as u64;
    ((i % sources) as usize, (i / sources) as u32)
}

impl Augmenter {
    /// Deforms digits of `rows x cols` by `deformation`, the random stream keyed by `seed`.
    pub fn new(rows: usize, cols: usize, seed: u64, deformation: Deformation) -> Self {
        // Three sigmas hold all but 0.3% of the Gaussian.
        let radius = (3.0 * deformation.sigma).ceil().max(0.0) as usize;
        let mut kernel: Vec<f32> = (0..=2 * radius)
            .map(|t| {
                let x = t as f32 - radius as f32;
                (-x * x / (2.0 * deformation.sigma * deformation.sigma)).exp()
            })
            .collect();
        let sum: f32 = kernel.iter().sum();
        kernel.iter_mut().for_each(|k| *k /= sum);
        Self {
            rows,
            cols,
            seed,
            deformation,
            kernel,
        }
    }

    /// Writes copy `copy` of `source` (the corpus's source number `index`) to `out`;
    /// copy 0 is `source` unchanged. Both hold `rows * cols` grey levels.
    pub fn deform(&self, source: &[u8], index: usize, copy: u32, out: &mut [u8]) {
        let (rows, cols) = (self.rows, self.cols);
        assert_eq!(source.len(), rows * cols, "a source digit of rows x cols");
        assert_eq!(out.len(), rows * cols, "room for rows x cols");
        if copy == 0 {
            out.copy_from_slice(source);
            return;
        }
        let mut key = [0u8; 32];
        key[..8].copy_from_slice(&self.seed.to_le_bytes());
        key[8..16].copy_from_slice(&(index as u64).to_le_bytes());
        key[16..20].copy_from_slice(&copy.to_le_bytes());
        let mut rng = ChaCha8Rng::from_seed(key);
        let mut uniform = || {
            // The top 24 bits, the whole precision of an f32, in [-1, 1).
            (rng.next_u32() >> 8) as f32 * (2.0 / (1u32 << 24) as f32) - 1.0
        };
        let d = self.deformation;
        let mut dx: Vec<f32> = (0..rows * cols).map(|_| uniform()).collect();
        let mut dy: Vec<f32> = (0..rows * cols).map(|_| uniform()).collect();
        let angle = (uniform() * d.rotation).to_radians();
        let size = 1.0 + uniform() * d.scale;
        let shear = uniform() * d.shear;
        self.smooth(&mut dx, d.alpha);
        self.smooth(&mut dy, d.alpha);
        // Where each output pixel samples the source: about the centre, rotated, scaled
        // and sheared, then moved by the field.
        let (sin, cos) = angle.sin_cos();
        let (cx, cy) = ((cols as f32 - 1.0) / 2.0, (rows as f32 - 1.0) / 2.0);
        for y in 0..rows {
            for x in 0..cols {
                let (u, v) = (x as f32 - cx, y as f32 - cy);
                let (u, v) = (u + shear * v, v);
                let (u, v) = (size * (cos * u - sin * v), size * (sin * u + cos * v));
                let at = y * cols + x;
                let value = bilinear(source, rows, cols, cx + u + dx[at], cy + v + dy[at]);
                out[at] = value.round().clamp(0.0, 255.0) as u8;
            }
        }
    }

    /// Smooths a field by the Gaussian, rows then columns, and scales it by `alpha`.
    /// The field is mirrored past its edges: repeating the border value instead would
    /// give that one random value half the kernel's weight, and the digit's edges
    /// displacements several times larger than its middle.
    fn smooth(&self, field: &mut [f32], alpha: f32) {
        let (rows, cols) = (self.rows, self.cols);
        let radius = self.kernel.len() / 2;
        // One line at a time, mirrored into a buffer, then plain dot products.
        let mut line = vec![0f32; rows.max(cols) + 2 * radius];
        let mut convolve =
            |get: &dyn Fn(usize) -> f32, n: usize, put: &mut dyn FnMut(usize, f32)| {
                for (p, slot) in line[..n + 2 * radius].iter_mut().enumerate() {
                    let at = p as isize - radius as isize;
                    let mirrored = if at < 0 {
                        -at - 1
                    } else if at >= n as isize {
                        2 * n as isize - at - 1
                    } else {
                        at
                    };
                    *slot = get(mirrored.clamp(0, n as isize - 1) as usize);
                }
                for i in 0..n {
                    let taps = &line[i..i + self.kernel.len()];
                    put(i, taps.iter().zip(&self.kernel).map(|(v, k)| v * k).sum());
                }
            };
        let mut pass = vec![0f32; field.len()];
        for y in 0..rows {
            convolve(&|x| field[y * cols + x], cols, &mut |x, v| {
                pass[y * cols + x] = v
            });
        }
        for x in 0..cols {
            convolve(&|y| pass[y * cols + x], rows, &mut |y, v| {
                field[y * cols + x] = alpha * v
            });
        }
    }
}

/// The grey level at (x, y) between pixel centres; ground outside the frame.
fn bilinear(image: &[u8], rows: usize, cols: usize, x: f32, y: f32) -> f32 {
    let (x0, y0) = (x.floor(), y.floor());
    let (fx, fy) = (x - x0, y - y0);
    let at = |xi: f32, yi: f32| {
        if xi < 0.0 || yi < 0.0 || xi >= cols as f32 || yi >= rows as f32 {
            0.0
        } else {
            f32::from(image[yi as usize * cols + xi as usize])
        }
    };
    let top = at(x0, y0) * (1.0 - fx) + at(x0 + 1.0, y0) * fx;
    let bottom = at(x0, y0 + 1.0) * (1.0 - fx) + at(x0 + 1.0, y0 + 1.0) * fx;
    top * (1.0 - fy) + bottom * fy
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A ring, 28x28.
    fn ring() -> Vec<u8> {
        (0..28 * 28)
            .map(|i| {
                let (x, y) = ((i % 28) as f32 - 13.5, (i / 28) as f32 - 13.5);
                let r = (x * x + y * y).sqrt();
                if (6.0..9.0).contains(&r) { 255 } else { 0 }
            })
            .collect()
    }

    fn copy(a: &Augmenter, index: usize, copy: u32) -> Vec<u8> {
        let mut out = vec![0; 28 * 28];
        a.deform(&ring(), index, copy, &mut out);
        out
    }

    #[test]
    fn a_copy_depends_on_the_seed_the_source_and_the_copy_number_only() {
        let a = Augmenter::new(28, 28, 7, Deformation::MNIST);
        let again = Augmenter::new(28, 28, 7, Deformation::MNIST);
        assert_eq!(copy(&a, 3, 5), copy(&again, 3, 5));
        assert_ne!(copy(&a, 3, 5), copy(&a, 3, 6));
        assert_ne!(copy(&a, 3, 5), copy(&a, 4, 5));
        let other = Augmenter::new(28, 28, 8, Deformation::MNIST);
        assert_ne!(copy(&a, 3, 5), copy(&other, 3, 5));
    }

    #[test]
    fn copy_zero_is_the_source_and_others_move_ink_without_losing_much() {
        let a = Augmenter::new(28, 28, 1, Deformation::MNIST);
        assert_eq!(copy(&a, 0, 0), ring());
        let ink = |d: &[u8]| d.iter().map(|&v| u64::from(v)).sum::<u64>() as f64;
        let mut ratios = Vec::new();
        for c in 1..100 {
            let d = copy(&a, 0, c);
            assert_ne!(d, ring(), "copy {c} moved nothing");
            ratios.push(ink(&d) / ink(&ring()));
        }
        ratios.sort_by(f64::total_cmp);
        // A stroke stretched or squeezed where the field diverges: never wiped out or
        // smeared over the frame, and as much ink as before in the middle copy.
        assert!(ratios[0] > 0.6 && ratios[98] < 1.8, "{ratios:?}");
        assert!((0.9..1.15).contains(&ratios[49]), "{ratios:?}");
    }

    #[test]
    fn no_deformation_leaves_the_digit_as_it_was() {
        let none = Deformation {
            alpha: 0.0,
            sigma: 4.0,
            rotation: 0.0,
            scale: 0.0,
            shear: 0.0,
        };
        let a = Augmenter::new(28, 28, 1, none);
        assert_eq!(copy(&a, 0, 1), ring());
    }

    #[test]
    fn items_run_through_the_sources_once_per_copy() {
        assert_eq!(item(0, 60_000), (0, 0));
        assert_eq!(item(59_999, 60_000), (59_999, 0));
        assert_eq!(item(60_000, 60_000), (0, 1));
        assert_eq!(item(8_099_999, 60_000), (59_999, 134));
    }
}
