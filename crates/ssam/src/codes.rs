//! Compact codes of the searched vectors, for the graph walk: each vector projected on
//! the leading principal directions of the data and rounded to one byte per direction.
//! The walk then reads `dim` bytes per item (64 for MNIST's 784 pixels), which sit in
//! the processor's cache where the images do not, and the few items it ends on are
//! re-ranked by their exact distance on the full vectors.
//!
//! Why this shape:
//! - Handwriting varies along few directions, so a projection on the leading ones keeps
//!   most of every distance; a projection on orthonormal directions never lengthens one,
//!   so what the walk sees is the true distance less what the dropped directions held.
//! - One rounding step for every direction: the rounding error is then alike in every
//!   direction, and the codes' squared L2 is the projections' squared L2 times one
//!   constant, measured by the same byte kernels as the images.
//! - The directions come from orthogonal iteration on the covariance of a sample, with
//!   a seeded start: the file stores them, so a reader derives the same codes natively
//!   and in WebAssembly (`f32` arithmetic in a fixed order) and trains nothing.

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::dataset::Dataset;
use crate::distance::Rows;
use crate::error::{Error, Result};
use crate::neighbors::Neighbor;
use crate::visited::Visited;

/// Longest code: squared distances of `MAX_DIM` bytes fit in 32 bits many times over,
/// and more directions than this stop paying for their bytes on any digit data.
pub const MAX_DIM: usize = 256;
/// Longest vector codes are trained for: the covariance is `MAX_INPUT^2` numbers.
pub const MAX_INPUT: usize = 2048;
/// Vectors the covariance is estimated from, evenly spread over the data.
const SAMPLE: usize = 16_384;
/// Rounds of orthogonal iteration: the walk needs the leading subspace, not each
/// direction exactly, and a few dozen rounds settle it.
const ROUNDS: usize = 24;
/// Seed of the iteration's starting directions.
const SEED: u64 = 7;
/// Items a walk may start from, evenly spread over the data: measuring all of their
/// codes costs less than descending a tree, and the nearest of them is already among
/// the query's kind of digit.
const ENTRIES: usize = 256;
/// Leading bytes of a code the entries are compared on: the leading directions hold
/// most of a distance, which is all that choosing where to start needs, and 32 bytes
/// are one step of the AVX2 kernel.
const ENTRY_PREFIX: usize = 32;

/// Codes of every item of one dataset and what makes them: the projection and rounding.
#[derive(Debug, Clone, PartialEq)]
pub struct Codes {
    dim: usize,
    /// `weights[p * dim + j]`: what value `p` of a vector adds to coordinate `j`, already
    /// divided by the rounding step.
    weights: Vec<f32>,
    /// Added to each coordinate before rounding, so that the data's range of it is
    /// centred on 127.5.
    offsets: Vec<f32>,
    codes: Vec<u8>,
    /// The items walks start from; the leading bytes of their codes side by side, and
    /// their places in that list (what the kernels measure by).
    entries: Vec<u32>,
    entry_prefixes: Vec<u8>,
    entry_slots: Vec<u32>,
    /// Fingerprint of the data coded.
    fingerprint: u64,
}

impl Codes {
    /// Trains codes of `dim` bytes on `data` and codes every item.
    pub fn train(data: &Dataset, dim: usize) -> Result<Codes> {
        Codes::train_in(data, dim, 256)
    }

    /// Codes whose widest direction spans `levels` values (2 to 256): coarser rounding
    /// for codes that are stored and sent rather than walked, where a bit less per
    /// direction costs less recall than a direction less (the README gives the rows
    /// this was chosen from).
    pub fn train_in(data: &Dataset, dim: usize, levels: usize) -> Result<Codes> {
        let input = data.dim();
        if !(2..=256).contains(&levels) {
            return Err(Error::BadParameter {
                name: "code levels",
                value: levels.to_string(),
                why: "choose 2 to 256".into(),
            });
        }
        if !(1..=MAX_DIM.min(input)).contains(&dim) {
            return Err(Error::BadParameter {
                name: "code bytes",
                value: dim.to_string(),
                why: format!(
                    "for vectors of {input} values choose 1 to {}",
                    MAX_DIM.min(input)
                ),
            });
        }
        if input > MAX_INPUT {
            return Err(Error::Unsupported {
                what: format!(
                    "codes are trained for vectors of at most {MAX_INPUT} values, not {input}"
                ),
            });
        }
        if data.is_empty() {
            return Err(Error::Unsupported {
                what: "codes need at least one item".into(),
            });
        }
        let basis = leading_directions(data, dim);
        // Each coordinate's range over the data sets one rounding step for all, wide
        // enough that no item's code is clipped.
        let unit = Codes {
            dim,
            weights: basis,
            offsets: vec![0.0; dim],
            codes: Vec::new(),
            entries: Vec::new(),
            entry_prefixes: Vec::new(),
            entry_slots: Vec::new(),
            fingerprint: data.fingerprint(),
        };
        let (mut lo, mut hi) = (vec![f32::INFINITY; dim], vec![f32::NEG_INFINITY; dim]);
        let mut at = vec![0f32; dim];
        for i in 0..data.len() {
            unit.project(data.image(i), &mut at);
            for j in 0..dim {
                lo[j] = lo[j].min(at[j]);
                hi[j] = hi[j].max(at[j]);
            }
        }
        let widest = (0..dim).map(|j| hi[j] - lo[j]).fold(0f32, f32::max);
        let step = if widest > 0.0 {
            widest / (levels - 1) as f32
        } else {
            1.0
        };
        let weights = unit.weights.iter().map(|w| w / step).collect();
        let offsets = (0..dim)
            .map(|j| 127.5 - (lo[j] + hi[j]) / 2.0 / step)
            .collect();
        Codes::from_parts(data, dim, weights, offsets)
    }

    /// Codes every item of `data` with a stored projection; what a reader calls.
    pub(crate) fn from_parts(
        data: &Dataset,
        dim: usize,
        weights: Vec<f32>,
        offsets: Vec<f32>,
    ) -> Result<Codes> {
        if !(1..=MAX_DIM).contains(&dim)
            || weights.len() != data.dim() * dim
            || offsets.len() != dim
            || !weights.iter().chain(&offsets).all(|v| v.is_finite())
        {
            return Err(Error::BadParameter {
                name: "projection",
                value: format!("of {} weights and {} offsets", weights.len(), offsets.len()),
                why: format!(
                    "it does not code {}-value vectors in {dim} bytes with finite numbers",
                    data.dim()
                ),
            });
        }
        let mut codes = Codes {
            dim,
            weights,
            offsets,
            codes: vec![0; data.len() * dim],
            entries: Vec::new(),
            entry_prefixes: Vec::new(),
            entry_slots: Vec::new(),
            fingerprint: data.fingerprint(),
        };
        let mut at = vec![0f32; dim];
        for i in 0..data.len() {
            codes.project(data.image(i), &mut at);
            round(
                &at,
                &codes.offsets,
                &mut codes.codes[i * dim..(i + 1) * dim],
            );
        }
        let n = data.len();
        let count = ENTRIES.min(n);
        codes.entries = (0..count).map(|e| (e * n / count) as u32).collect();
        codes.entry_slots = (0..count as u32).collect();
        let prefix = ENTRY_PREFIX.min(dim);
        for &e in &codes.entries {
            let row = &codes.codes[e as usize * dim..][..prefix];
            codes.entry_prefixes.extend_from_slice(row);
        }
        Ok(codes)
    }

    /// The projection alone, coding nothing yet: what a streamed layout's reader holds
    /// to code its queries and check the pictures that arrive against their codes.
    pub(crate) fn projection(
        input: usize,
        dim: usize,
        weights: Vec<f32>,
        offsets: Vec<f32>,
    ) -> Result<Codes> {
        let empty = Dataset::new(1, input.max(1), Vec::new(), Vec::new())?;
        Codes::from_parts(&empty, dim, weights, offsets)
    }

    /// Bytes per code.
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// Fingerprint of the data coded.
    pub fn fingerprint(&self) -> u64 {
        self.fingerprint
    }

    /// Number of items coded.
    pub fn len(&self) -> usize {
        self.codes.len() / self.dim
    }

    /// True when no item is coded.
    pub fn is_empty(&self) -> bool {
        self.codes.is_empty()
    }

    /// The projection, divided by the step: `dim` weights per value of a vector.
    pub(crate) fn weights(&self) -> &[f32] {
        &self.weights
    }

    /// What each coordinate is offset by before rounding.
    pub(crate) fn offsets(&self) -> &[f32] {
        &self.offsets
    }

    /// Bytes of memory the codes and their projection hold.
    pub fn memory_bytes(&self) -> usize {
        self.codes.capacity() + (self.weights.capacity() + self.offsets.capacity()) * 4
    }

    /// Item `i`'s code.
    pub(crate) fn code(&self, i: usize) -> &[u8] {
        &self.codes[i * self.dim..(i + 1) * self.dim]
    }

    /// The items' codes as rows.
    pub(crate) fn rows(&self) -> Rows<'_> {
        Rows::new(&self.codes, self.dim)
    }

    /// Appends to `pool` the `count` entries nearest to `code` (a query's code), marking
    /// them visited.
    pub(crate) fn nearest_entries(
        &self,
        code: &[u8],
        count: usize,
        visited: &mut Visited,
        pool: &mut Vec<u32>,
    ) {
        let mut best: Vec<Neighbor> = Vec::with_capacity(count + 1);
        let prefix = ENTRY_PREFIX.min(self.dim);
        let prefixes = Rows::new(&self.entry_prefixes, prefix);
        prefixes.measure(&code[..prefix], &self.entry_slots, |at| {
            let candidate = Neighbor {
                distance: at.distance,
                id: self.entries[at.id as usize],
            };
            if best.len() == count && candidate >= best[count - 1] {
                return;
            }
            let at = best.partition_point(|b| *b < candidate);
            best.insert(at, candidate);
            best.truncate(count);
        });
        pool.extend(best.iter().map(|b| b.id).filter(|&id| visited.visit(id)));
    }

    /// Codes `vector` (as long as the data coded) into `out`, resized to [`Self::dim`].
    pub(crate) fn encode(&self, vector: &[u8], out: &mut Vec<u8>) {
        self.encode_first(vector, self.dim, out);
    }

    /// The first `k` bytes of `vector`'s code (at most [`Self::dim`]) into `out`,
    /// resized to them: the projection on the other directions is never computed.
    pub(crate) fn encode_first(&self, vector: &[u8], k: usize, out: &mut Vec<u8>) {
        let k = k.min(self.dim);
        let mut at = [0f32; MAX_DIM];
        let at = &mut at[..k];
        self.project(vector, at);
        out.resize(k, 0);
        round(at, &self.offsets, out);
    }

    /// `vector` times the weights, for the first `at.len()` coordinates. Digits are mostly
    /// ground (zeros): adding one column per inked value reads a fifth of the weights,
    /// and the inner loop over coordinates has no reduction, so the compiler runs it in
    /// SIMD lanes.
    fn project(&self, vector: &[u8], at: &mut [f32]) {
        #[cfg(target_arch = "x86_64")]
        if std::is_x86_feature_detected!("avx2") {
            // SAFETY: AVX2 is present, checked just above.
            return unsafe { self.project_avx2(vector, at) };
        }
        self.project_lanes(vector, at)
    }

    /// The same loop compiled for AVX2's eight lanes: the same multiplications and
    /// additions in the same order, so the same result.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    fn project_avx2(&self, vector: &[u8], at: &mut [f32]) {
        self.project_lanes(vector, at)
    }

    #[inline(always)]
    fn project_lanes(&self, vector: &[u8], at: &mut [f32]) {
        at.fill(0.0);
        for (column, &v) in self.weights.chunks_exact(self.dim).zip(vector) {
            if v != 0 {
                let v = f32::from(v);
                for (a, &w) in at.iter_mut().zip(column) {
                    *a += v * w;
                }
            }
        }
    }
}

/// Coordinates plus offsets, rounded into bytes.
fn round(at: &[f32], offsets: &[f32], out: &mut [u8]) {
    for ((o, &a), &off) in out.iter_mut().zip(at).zip(offsets) {
        *o = (a + off).round().clamp(0.0, 255.0) as u8;
    }
}

/// `dim` orthonormal directions spanning about the leading principal subspace of
/// `data`, as `f32` weights laid out value by value (`dim` per value).
fn leading_directions(data: &Dataset, dim: usize) -> Vec<f32> {
    let input = data.dim();
    let covariance = covariance(data);
    // v[b * dim + j]: direction j's value b.
    let mut rng = ChaCha8Rng::seed_from_u64(SEED);
    let mut v: Vec<f64> = (0..input * dim)
        .map(|_| rng.random_range(-1.0..1.0))
        .collect();
    orthonormalise(&mut v, input, dim);
    let mut w = vec![0f64; input * dim];
    for _ in 0..ROUNDS {
        w.fill(0.0);
        for a in 0..input {
            let row = &covariance[a * input..(a + 1) * input];
            let out = &mut w[a * dim..(a + 1) * dim];
            for (b, &c) in row.iter().enumerate() {
                if c != 0.0 {
                    for (o, &x) in out.iter_mut().zip(&v[b * dim..(b + 1) * dim]) {
                        *o += c * x;
                    }
                }
            }
        }
        std::mem::swap(&mut v, &mut w);
        orthonormalise(&mut v, input, dim);
    }
    v.iter().map(|&x| x as f32).collect()
}

/// Modified Gram-Schmidt on the `dim` columns of `v` (`input` rows of `dim`). A column
/// that collapses (data of rank below `dim`) is left at zero: it codes nothing.
fn orthonormalise(v: &mut [f64], input: usize, dim: usize) {
    for j in 0..dim {
        for i in 0..j {
            let dot: f64 = (0..input).map(|b| v[b * dim + i] * v[b * dim + j]).sum();
            for b in 0..input {
                v[b * dim + j] -= dot * v[b * dim + i];
            }
        }
        let norm = (0..input)
            .map(|b| v[b * dim + j].powi(2))
            .sum::<f64>()
            .sqrt();
        let scale = if norm > 1e-9 { 1.0 / norm } else { 0.0 };
        for b in 0..input {
            v[b * dim + j] *= scale;
        }
    }
}

/// The covariance of an even sample of `data`, `input x input`. Products of inked
/// values only, summed exactly in integers: digits are mostly ground, and exact sums
/// make the result independent of summation order.
fn covariance(data: &Dataset) -> Vec<f64> {
    let input = data.dim();
    let stride = data.len().div_ceil(SAMPLE).max(1);
    let sample: Vec<usize> = (0..data.len()).step_by(stride).collect();
    let mut products = vec![0u64; input * input];
    let mut sums = vec![0u64; input];
    let mut inked = Vec::with_capacity(input);
    for &i in &sample {
        let x = data.image(i);
        inked.clear();
        inked.extend((0..input).filter(|&p| x[p] != 0));
        for &a in &inked {
            let xa = u64::from(x[a]);
            sums[a] += xa;
            let row = &mut products[a * input..(a + 1) * input];
            for &b in &inked {
                row[b] += xa * u64::from(x[b]);
            }
        }
    }
    let m = sample.len() as f64;
    let mean: Vec<f64> = sums.iter().map(|&s| s as f64 / m).collect();
    products
        .iter()
        .enumerate()
        .map(|(at, &p)| p as f64 / m - mean[at / input] * mean[at % input])
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::distance::l2_sq;

    /// Items along two directions of 16 values, plus a little noise: two bytes of code
    /// must keep their distances.
    fn plane(n: usize) -> Dataset {
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let mut pixels = Vec::with_capacity(n * 16);
        for _ in 0..n {
            let (s, t): (f32, f32) = (rng.random_range(0.0..1.0), rng.random_range(0.0..1.0));
            for p in 0..16 {
                let v = 20.0 + 200.0 * s * (p % 2) as f32 + 100.0 * t * (p / 8) as f32;
                pixels.push((v + rng.random_range(0.0..2.0)) as u8);
            }
        }
        Dataset::new(4, 4, pixels, vec![0; n]).unwrap()
    }

    #[test]
    fn codes_of_data_on_a_plane_keep_its_distances_up_to_one_scale() {
        let data = plane(500);
        let codes = Codes::train(&data, 2).unwrap();
        assert_eq!((codes.len(), codes.dim()), (500, 2));
        // The ratio of code distance to true distance is one constant, within rounding.
        let ratios: Vec<f64> = (1..200)
            .map(|i| {
                let true_sq = l2_sq(data.image(0), data.image(i)) as f64;
                let code_sq = l2_sq(codes.rows().row(0), codes.rows().row(i)) as f64;
                (code_sq / true_sq).sqrt()
            })
            .filter(|r| r.is_finite())
            .collect();
        let mean = ratios.iter().sum::<f64>() / ratios.len() as f64;
        let spread = ratios
            .iter()
            .map(|r| (r / mean - 1.0).abs())
            .fold(0.0, f64::max);
        assert!(spread < 0.2, "code distances stray {spread} from one scale");
    }

    #[test]
    fn a_vector_encodes_to_its_stored_code_and_codes_span_the_bytes() {
        let data = plane(300);
        let codes = Codes::train(&data, 3).unwrap();
        let mut out = Vec::new();
        for i in 0..data.len() {
            codes.encode(data.image(i), &mut out);
            assert_eq!(out, codes.rows().row(i));
            codes.encode_first(data.image(i), 2, &mut out);
            assert_eq!(out, codes.rows().row(i)[..2]);
        }
        // The first direction's range fills the byte's range.
        let first: Vec<u8> = (0..data.len()).map(|i| codes.rows().row(i)[0]).collect();
        assert!(first.iter().max().unwrap() - first.iter().min().unwrap() >= 250);
    }

    #[test]
    fn coarser_codes_span_their_levels_and_keep_the_same_order_of_distances() {
        let data = plane(300);
        let fine = Codes::train(&data, 2).unwrap();
        let coarse = Codes::train_in(&data, 2, 64).unwrap();
        let first: Vec<u8> = (0..data.len()).map(|i| coarse.rows().row(i)[0]).collect();
        let span = first.iter().max().unwrap() - first.iter().min().unwrap();
        assert!(
            (60..=63).contains(&span),
            "the first direction spans {span}"
        );
        let mut out = Vec::new();
        coarse.encode(data.image(7), &mut out);
        assert_eq!(out, coarse.rows().row(7));
        // Distances scale by a quarter, within a step's rounding.
        for i in 1..100 {
            let d = |c: &Codes| f64::from(l2_sq(c.rows().row(0), c.rows().row(i))).sqrt();
            assert!((d(&fine) / 4.0 - d(&coarse)).abs() < 2.0, "item {i}");
        }
        assert!(Codes::train_in(&data, 2, 1).is_err());
        assert!(Codes::train_in(&data, 2, 257).is_err());
    }

    #[test]
    fn a_walk_starts_from_the_entries_nearest_the_query_on_their_leading_bytes() {
        let data = plane(2000);
        let codes = Codes::train(&data, 2).unwrap();
        let mut visited = Visited::default();
        let (mut pool, mut code) = (Vec::new(), Vec::new());
        for &e in codes.entries.iter().step_by(17) {
            codes.encode(data.image(e as usize), &mut code);
            visited.begin(data.len());
            pool.clear();
            codes.nearest_entries(&code, 4, &mut visited, &mut pool);
            let mut expected: Vec<Neighbor> = codes
                .entries
                .iter()
                .map(|&id| {
                    let prefix = ENTRY_PREFIX.min(codes.dim());
                    let row = &codes.rows().row(id as usize)[..prefix];
                    Neighbor {
                        distance: l2_sq(&code[..prefix], row),
                        id,
                    }
                })
                .collect();
            expected.sort_unstable();
            let expected: Vec<u32> = expected.iter().take(4).map(|n| n.id).collect();
            assert_eq!(pool, expected, "entry {e}");
            assert!(!visited.visit(pool[0]), "entries are marked visited");
        }
    }

    #[test]
    fn codes_rebuilt_from_their_projection_are_the_same() {
        let data = plane(100);
        let codes = Codes::train(&data, 2).unwrap();
        let again = Codes::from_parts(&data, 2, codes.weights().to_vec(), codes.offsets().to_vec())
            .unwrap();
        assert_eq!(codes, again);
    }

    #[test]
    fn impossible_sizes_and_broken_projections_are_refused() {
        let data = plane(10);
        assert!(Codes::train(&data, 0).is_err());
        assert!(Codes::train(&data, 17).is_err());
        let mut weights = vec![0.5; 16 * 2];
        let parts = |weights: &[f32], offsets: usize| {
            Codes::from_parts(&data, 2, weights.to_vec(), vec![0.0; offsets])
        };
        assert!(parts(&weights, 2).is_ok());
        assert!(parts(&weights, 3).is_err());
        weights[5] = f32::NAN;
        assert!(parts(&weights, 2).is_err());
    }
}
