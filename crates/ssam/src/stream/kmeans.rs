//! Cutting a set of vectors into cells of about a given size by k-means (Lloyd's
//! iterations from a k-means++ start), with byte centroids: the client routes a query by
//! the same `u8` distance kernel it searches with, so centroids are rounded means.

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::dataset::Dataset;
use crate::distance::l2_sq;

/// Lloyd's iterations: the cells stop moving much after a handful on digits.
const ITERATIONS: usize = 8;
/// The k-means++ start looks at most this many vectors: enough to place the seeds well,
/// few enough that seeding a million costs little.
const SEED_SAMPLE: usize = 20_000;

/// A cell: its centroid and the ids it holds.
pub(crate) struct Part {
    pub(crate) centroid: Vec<u8>,
    pub(crate) ids: Vec<u32>,
}

/// Cuts `ids` (rows of `data`) into parts of at most `2 * size` and about `size` each.
pub(crate) fn partition(data: &Dataset, ids: &[u32], size: usize, seed: u64) -> Vec<Part> {
    let size = size.max(1);
    if ids.len() <= 2 * size {
        return vec![Part {
            centroid: mean(data, ids),
            ids: ids.to_vec(),
        }];
    }
    let k = ids.len().div_ceil(size);
    let mut parts = Vec::with_capacity(k);
    for (i, part) in kmeans(data, ids, k, seed).into_iter().enumerate() {
        if part.ids.len() > 2 * size {
            if part.ids.len() == ids.len() {
                // k-means could not separate them (all alike): cut in order.
                parts.extend(part.ids.chunks(size).map(|c| Part {
                    centroid: mean(data, c),
                    ids: c.to_vec(),
                }));
            } else {
                parts.extend(partition(data, &part.ids, size, seed ^ (i as u64 + 1)));
            }
        } else if !part.ids.is_empty() {
            parts.push(part);
        }
    }
    parts
}

/// `parts` in the order of a greedy walk from each centroid to the nearest one not yet
/// visited: cells a query needs together then often lie side by side in a file, and one
/// range request fetches several.
pub(crate) fn chained(mut parts: Vec<Part>) -> Vec<Part> {
    let mut out = Vec::with_capacity(parts.len());
    if parts.is_empty() {
        return out;
    }
    out.push(parts.swap_remove(0));
    while !parts.is_empty() {
        let last = &out.last().expect("one at least").centroid;
        let next = (0..parts.len())
            .min_by_key(|&i| (l2_sq(&parts[i].centroid, last), i))
            .expect("not empty");
        out.push(parts.swap_remove(next));
    }
    out
}

/// `k` parts of `ids` by k-means.
fn kmeans(data: &Dataset, ids: &[u32], k: usize, seed: u64) -> Vec<Part> {
    let dim = data.dim();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut centroids = seeds(data, ids, k, &mut rng);
    let mut assigned = vec![0u32; ids.len()];
    for round in 0..=ITERATIONS {
        for (a, &id) in assigned.iter_mut().zip(ids) {
            *a = nearest(&centroids, dim, data.image(id as usize));
        }
        if round == ITERATIONS {
            break;
        }
        let mut sums = vec![0u64; k * dim];
        let mut counts = vec![0u64; k];
        for (&a, &id) in assigned.iter().zip(ids) {
            let a = a as usize;
            counts[a] += 1;
            for (s, &v) in sums[a * dim..(a + 1) * dim]
                .iter_mut()
                .zip(data.image(id as usize))
            {
                *s += u64::from(v);
            }
        }
        // An emptied centroid stays where it was.
        for (c, &n) in counts.iter().enumerate() {
            for (o, &s) in centroids[c * dim..(c + 1) * dim]
                .iter_mut()
                .zip(&sums[c * dim..(c + 1) * dim])
            {
                *o = (s + n / 2).checked_div(n).map_or(*o, |m| m as u8);
            }
        }
    }
    let mut parts: Vec<Part> = (0..k)
        .map(|c| Part {
            centroid: centroids[c * dim..(c + 1) * dim].to_vec(),
            ids: Vec::new(),
        })
        .collect();
    for (&a, &id) in assigned.iter().zip(ids) {
        parts[a as usize].ids.push(id);
    }
    parts
}

/// k-means++: each next seed drawn with probability proportional to its squared
/// distance from the seeds so far, over a sample.
fn seeds(data: &Dataset, ids: &[u32], k: usize, rng: &mut ChaCha8Rng) -> Vec<u8> {
    let dim = data.dim();
    let step = ids.len().div_ceil(SEED_SAMPLE).max(1);
    let sample: Vec<&[u8]> = ids
        .iter()
        .step_by(step)
        .map(|&id| data.image(id as usize))
        .collect();
    let mut centroids = Vec::with_capacity(k * dim);
    centroids.extend_from_slice(sample[rng.random_range(0..sample.len())]);
    let mut nearest: Vec<u64> = sample
        .iter()
        .map(|v| u64::from(l2_sq(v, &centroids[..dim])))
        .collect();
    for _ in 1..k {
        let total: u64 = nearest.iter().sum();
        let pick = if total == 0 {
            rng.random_range(0..sample.len())
        } else {
            let mut at = rng.random_range(0..total);
            nearest
                .iter()
                .position(|&d| {
                    if at < d {
                        true
                    } else {
                        at -= d;
                        false
                    }
                })
                .unwrap_or(sample.len() - 1)
        };
        let c = sample[pick].to_vec();
        for (n, v) in nearest.iter_mut().zip(&sample) {
            *n = (*n).min(u64::from(l2_sq(v, &c)));
        }
        centroids.extend_from_slice(&c);
    }
    centroids
}

/// The centroid nearest to `v`.
pub(crate) fn nearest(centroids: &[u8], dim: usize, v: &[u8]) -> u32 {
    centroids
        .chunks_exact(dim)
        .enumerate()
        .min_by_key(|&(i, c)| (l2_sq(c, v), i))
        .map_or(0, |(i, _)| i as u32)
}

/// The rounded mean of `ids`.
fn mean(data: &Dataset, ids: &[u32]) -> Vec<u8> {
    let dim = data.dim();
    let mut sums = vec![0u64; dim];
    for &id in ids {
        for (s, &v) in sums.iter_mut().zip(data.image(id as usize)) {
            *s += u64::from(v);
        }
    }
    let n = ids.len().max(1) as u64;
    sums.iter().map(|&s| ((s + n / 2) / n) as u8).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_cover_every_id_once_within_twice_the_size() {
        // Three clumps of points on a line, and duplicates that k-means cannot part.
        let mut pixels = Vec::new();
        for i in 0..900u32 {
            let base = [10u8, 120, 240][(i % 3) as usize];
            pixels.extend_from_slice(&[base.saturating_add((i % 7) as u8), 0]);
        }
        pixels.extend(std::iter::repeat_n(5u8, 2 * 500));
        let data = Dataset::new(1, 2, pixels, vec![0; 1400]).unwrap();
        let ids: Vec<u32> = (0..1400).collect();
        let parts = partition(&data, &ids, 100, 7);
        let mut all: Vec<u32> = parts.iter().flat_map(|p| p.ids.clone()).collect();
        all.sort_unstable();
        assert_eq!(all, ids);
        assert!(
            parts
                .iter()
                .all(|p| !p.ids.is_empty() && p.ids.len() <= 200),
            "{:?}",
            parts.iter().map(|p| p.ids.len()).collect::<Vec<_>>()
        );
        assert!(parts.len() >= 7);
        // The same seed gives the same parts.
        let again = partition(&data, &ids, 100, 7);
        assert!(
            parts
                .iter()
                .zip(&again)
                .all(|(a, b)| a.ids == b.ids && a.centroid == b.centroid)
        );
    }
}
