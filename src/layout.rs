//! A two-dimensional layout of a dataset from its nearest neighbours, after UMAP
//! (McInnes, Healy and Melville 2018): each item's neighbours become fuzzy edges, and
//! points in the plane are pulled along the edges and pushed from random others by
//! stochastic gradient descent.
//!
//! Written here rather than taken from a crate: `umap-rs` runs its descent on all cores
//! with unsynchronised writes and an unseeded generator, so two runs differ; `annembed`
//! needs LAPACK (OpenBLAS or MKL) through `lax` and rayon. This one is single-threaded and
//! seeded (ChaCha8), so the same neighbours, start and parameters give the same points.
//! The kernel is `1 / (1 + a d^2)` (UMAP's with b = 1), so a step needs no `powf`.

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::dataset::Dataset;
use crate::error::{Error, Result};
use crate::neighbors::Neighbor;

/// How a layout is computed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LayoutParams {
    /// Passes of the descent over the edges (UMAP uses 200 for large data).
    pub epochs: usize,
    /// Random points pushed away per edge sampled.
    pub negatives: usize,
    /// Steepness of the kernel `1 / (1 + a d^2)`: larger packs neighbours tighter.
    pub a: f32,
    /// Seed of the sampling.
    pub seed: u64,
}

impl Default for LayoutParams {
    /// UMAP's defaults (200 epochs, 5 negative samples) with the Cauchy kernel (`a` = 1):
    /// on MNIST, `a` = 2 packed clusters tighter without keeping labels or neighbours
    /// better (the README's map section).
    fn default() -> Self {
        LayoutParams {
            epochs: 200,
            negatives: 5,
            a: 1.0,
            seed: 0x05ee_d3a9,
        }
    }
}

/// An undirected edge of the fuzzy graph, stored once per direction as UMAP does.
#[derive(Debug, Clone, Copy)]
struct Edge {
    from: u32,
    to: u32,
    weight: f32,
}

/// The fuzzy graph: each item's neighbours weighted by how much nearer they are than its
/// typical neighbour (UMAP's smooth k-NN distances), made symmetric by fuzzy union.
fn fuzzy_edges(knn: &[Vec<Neighbor>]) -> Vec<Edge> {
    let mut directed: Vec<(u32, u32, f32)> = Vec::new();
    for (i, list) in knn.iter().enumerate() {
        let d: Vec<f64> = list.iter().map(Neighbor::euclidean).collect();
        if d.is_empty() {
            continue;
        }
        // The nearest other item is at membership 1 (local connectivity of one).
        let rho = d.iter().copied().find(|&x| x > 0.0).unwrap_or(0.0);
        let target = (d.len() as f64).log2();
        let mean = d.iter().sum::<f64>() / d.len() as f64;
        let (mut lo, mut hi, mut sigma) = (0.0f64, f64::INFINITY, 1.0f64);
        for _ in 0..64 {
            let sum: f64 = d.iter().map(|&x| (-(x - rho).max(0.0) / sigma).exp()).sum();
            if (sum - target).abs() < 1e-5 {
                break;
            }
            if sum > target {
                hi = sigma;
                sigma = (lo + hi) / 2.0;
            } else {
                lo = sigma;
                sigma = if hi.is_finite() {
                    (lo + hi) / 2.0
                } else {
                    sigma * 2.0
                };
            }
        }
        let sigma = sigma.max(1e-3 * mean).max(f64::MIN_POSITIVE);
        for (n, &x) in list.iter().zip(&d) {
            if n.id as usize != i {
                let w = (-(x - rho).max(0.0) / sigma).exp() as f32;
                directed.push((i as u32, n.id, w));
            }
        }
    }
    // Fuzzy union of the two directions: a + b - ab.
    let mut pairs: Vec<(u32, u32, f32)> = directed
        .into_iter()
        .map(|(i, j, w)| (i.min(j), i.max(j), w))
        .collect();
    pairs.sort_unstable_by_key(|&(i, j, _)| (i, j));
    let mut edges = Vec::with_capacity(pairs.len() * 2);
    let mut at = 0;
    while at < pairs.len() {
        let (i, j, mut w) = pairs[at];
        at += 1;
        while at < pairs.len() && (pairs[at].0, pairs[at].1) == (i, j) {
            let b = pairs[at].2;
            w = w + b - w * b;
            at += 1;
        }
        edges.push(Edge {
            from: i,
            to: j,
            weight: w,
        });
        edges.push(Edge {
            from: j,
            to: i,
            weight: w,
        });
    }
    edges
}

/// The first two principal components of `data` (from every `stride`-th row), scaled so
/// that the points span about 20 units: the descent's start. A start with the large-scale
/// shape of the data keeps related clusters near each other, which random starts do not.
pub fn pca_start(data: &Dataset) -> Vec<[f32; 2]> {
    let (n, dim) = (data.len(), data.dim());
    if n == 0 || dim == 0 {
        return Vec::new();
    }
    let stride = (n / 10_000).max(1);
    let rows: Vec<usize> = (0..n).step_by(stride).collect();
    let mut mean = vec![0f64; dim];
    for &r in &rows {
        for (m, &v) in mean.iter_mut().zip(data.image(r)) {
            *m += f64::from(v);
        }
    }
    mean.iter_mut().for_each(|m| *m /= rows.len() as f64);
    let mut cov = vec![0f64; dim * dim];
    let mut centred = vec![0f64; dim];
    for &r in &rows {
        for ((c, &v), m) in centred.iter_mut().zip(data.image(r)).zip(&mean) {
            *c = f64::from(v) - m;
        }
        for a in 0..dim {
            let ca = centred[a];
            if ca == 0.0 {
                continue;
            }
            let row = &mut cov[a * dim..(a + 1) * dim];
            for (x, &cb) in row.iter_mut().zip(&centred) {
                *x += ca * cb;
            }
        }
    }
    // Power iteration with deflation: two components of a symmetric matrix.
    let mut components: Vec<Vec<f64>> = Vec::new();
    for c in 0..2 {
        let mut v: Vec<f64> = (0..dim)
            .map(|i| 1.0 + ((i * 7 + c * 3) % 11) as f64)
            .collect();
        for _ in 0..300 {
            let mut next = vec![0f64; dim];
            for (a, out) in next.iter_mut().enumerate() {
                *out = cov[a * dim..(a + 1) * dim]
                    .iter()
                    .zip(&v)
                    .map(|(x, y)| x * y)
                    .sum();
            }
            for prev in &components {
                let dot: f64 = next.iter().zip(prev).map(|(x, y)| x * y).sum();
                next.iter_mut().zip(prev).for_each(|(x, p)| *x -= dot * p);
            }
            let norm = next.iter().map(|x| x * x).sum::<f64>().sqrt();
            if norm == 0.0 {
                break;
            }
            v = next.into_iter().map(|x| x / norm).collect();
        }
        components.push(v);
    }
    let mut points: Vec<[f64; 2]> = (0..n)
        .map(|i| {
            let img = data.image(i);
            let mut p = [0f64; 2];
            for (c, comp) in components.iter().enumerate() {
                p[c] = img
                    .iter()
                    .zip(&mean)
                    .zip(comp)
                    .map(|((&v, m), w)| (f64::from(v) - m) * w)
                    .sum();
            }
            p
        })
        .collect();
    let spread = points
        .iter()
        .flat_map(|p| p.iter().map(|x| x.abs()))
        .fold(0f64, f64::max)
        .max(f64::MIN_POSITIVE);
    for p in &mut points {
        p.iter_mut().for_each(|x| *x *= 10.0 / spread);
    }
    points.iter().map(|p| [p[0] as f32, p[1] as f32]).collect()
}

/// Lays out the items whose nearest neighbours are `knn` (item `i`'s list, nearest first,
/// squared distances as the index measures them), starting from `start`, calling
/// `progress` with the fraction done after each epoch.
pub fn layout(
    knn: &[Vec<Neighbor>],
    start: Vec<[f32; 2]>,
    params: LayoutParams,
    progress: &mut dyn FnMut(f64),
) -> Result<Vec<[f32; 2]>> {
    let n = knn.len();
    if start.len() != n {
        return Err(Error::LayoutStart {
            items: n,
            points: start.len(),
        });
    }
    if let Some((i, bad)) = knn
        .iter()
        .enumerate()
        .find_map(|(i, l)| l.iter().find(|x| x.id as usize >= n).map(|x| (i, x.id)))
    {
        return Err(Error::LayoutNeighbour {
            item: i,
            neighbour: bad,
            items: n,
        });
    }
    let mut points = start;
    let edges = fuzzy_edges(knn);
    let Some(max_w) = edges.iter().map(|e| e.weight).reduce(f32::max) else {
        return Ok(points);
    };
    let epochs = params.epochs;
    // UMAP's schedule: an edge is sampled once every `max_w / w` epochs, and brings
    // `negatives` repulsions each time; edges too weak to be sampled once are dropped.
    let keep = |e: &&Edge| e.weight >= max_w / epochs.max(1) as f32;
    let edges: Vec<Edge> = edges.iter().filter(keep).copied().collect();
    let every: Vec<f32> = edges.iter().map(|e| max_w / e.weight).collect();
    let every_negative: Vec<f32> = every
        .iter()
        .map(|&e| e / params.negatives.max(1) as f32)
        .collect();
    let mut next = every.clone();
    let mut next_negative = every_negative.clone();
    let mut rng = ChaCha8Rng::seed_from_u64(params.seed);
    let a = params.a;
    let clip = |g: f32| g.clamp(-4.0, 4.0);
    for epoch in 0..epochs {
        let rate = 1.0 - epoch as f32 / epochs as f32;
        let now = epoch as f32 + 1.0;
        for (e, edge) in edges.iter().enumerate() {
            if next[e] > now {
                continue;
            }
            let (i, j) = (edge.from as usize, edge.to as usize);
            let [xi, yi] = points[i];
            let [xj, yj] = points[j];
            let (dx, dy) = (xi - xj, yi - yj);
            let d2 = dx * dx + dy * dy;
            // Attraction along the edge: the gradient of log(1 / (1 + a d^2)).
            let g = if d2 > 0.0 {
                -2.0 * a / (1.0 + a * d2)
            } else {
                0.0
            };
            let (gx, gy) = (clip(g * dx) * rate, clip(g * dy) * rate);
            points[i] = [xi + gx, yi + gy];
            points[j] = [xj - gx, yj - gy];
            next[e] += every[e];
            let due = ((now - next_negative[e]) / every_negative[e]).max(0.0) as usize;
            for _ in 0..due {
                let k = rng.random_range(0..n);
                if k == i {
                    continue;
                }
                let [xi, yi] = points[i];
                let [xk, yk] = points[k];
                let (dx, dy) = (xi - xk, yi - yk);
                let d2 = dx * dx + dy * dy;
                // Repulsion from a random point: the gradient of log(1 - 1 / (1 + a d^2)).
                let g = if d2 > 0.0 {
                    2.0 / ((0.001 + d2) * (1.0 + a * d2))
                } else {
                    0.0
                };
                let (gx, gy) = if g > 0.0 {
                    (clip(g * dx), clip(g * dy))
                } else {
                    (4.0, 4.0)
                };
                points[i] = [xi + gx * rate, yi + gy * rate];
            }
            next_negative[e] += due as f32 * every_negative[e];
        }
        progress((epoch + 1) as f64 / epochs as f64);
    }
    Ok(points)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two groups of items whose neighbours are all in their own group.
    fn two_groups(per: usize) -> Vec<Vec<Neighbor>> {
        (0..2 * per)
            .map(|i| {
                let group = i / per;
                (0..per)
                    .map(|j| group * per + j)
                    .filter(|&j| j != i)
                    .take(8)
                    .map(|j| Neighbor {
                        id: j as u32,
                        distance: (1 + (i + j) % 5) as u32,
                    })
                    .collect()
            })
            .collect()
    }

    fn start(n: usize) -> Vec<[f32; 2]> {
        (0..n)
            .map(|i| {
                [
                    ((i * 37) % 101) as f32 / 10.0,
                    ((i * 53) % 97) as f32 / 10.0,
                ]
            })
            .collect()
    }

    #[test]
    fn groups_of_neighbours_end_apart() {
        let knn = two_groups(40);
        let params = LayoutParams {
            epochs: 100,
            ..LayoutParams::default()
        };
        let points = layout(&knn, start(80), params, &mut |_| {}).unwrap();
        let centre = |g: usize| {
            let s = &points[g * 40..(g + 1) * 40];
            let (x, y) = s.iter().fold((0.0, 0.0), |(x, y), p| (x + p[0], y + p[1]));
            [x / 40.0, y / 40.0]
        };
        let (c0, c1) = (centre(0), centre(1));
        let spread = |g: usize, c: [f32; 2]| {
            points[g * 40..(g + 1) * 40]
                .iter()
                .map(|p| ((p[0] - c[0]).powi(2) + (p[1] - c[1]).powi(2)).sqrt())
                .fold(0f32, f32::max)
        };
        let between = ((c0[0] - c1[0]).powi(2) + (c0[1] - c1[1]).powi(2)).sqrt();
        assert!(
            between > spread(0, c0) + spread(1, c1),
            "groups overlap: centres {between} apart, radii {} and {}",
            spread(0, c0),
            spread(1, c1)
        );
    }

    #[test]
    fn same_input_same_points() {
        let knn = two_groups(30);
        let params = LayoutParams {
            epochs: 20,
            ..LayoutParams::default()
        };
        let a = layout(&knn, start(60), params, &mut |_| {}).unwrap();
        let b = layout(&knn, start(60), params, &mut |_| {}).unwrap();
        assert_eq!(a, b);
        let other = LayoutParams { seed: 1, ..params };
        assert_ne!(a, layout(&knn, start(60), other, &mut |_| {}).unwrap());
    }

    #[test]
    fn bad_neighbours_and_starts_are_errors() {
        let mut knn = two_groups(5);
        assert!(layout(&knn, start(9), LayoutParams::default(), &mut |_| {}).is_err());
        knn[3][0].id = 10;
        let e = layout(&knn, start(10), LayoutParams::default(), &mut |_| {}).unwrap_err();
        assert!(e.to_string().contains("neighbour 10 of item 3"), "{e}");
    }

    #[test]
    fn no_edges_leave_the_start() {
        let knn = vec![Vec::new(); 3];
        let s = start(3);
        assert_eq!(
            layout(&knn, s.clone(), LayoutParams::default(), &mut |_| {}).unwrap(),
            s
        );
    }

    #[test]
    fn pca_start_spans_the_first_components() {
        // Points along one pixel's axis vary most there: the first component follows it.
        let pixels: Vec<u8> = (0..50u8).flat_map(|i| [i * 5, 7, (i % 3) * 2]).collect();
        let data = Dataset::new(1, 3, pixels, vec![0; 50]).unwrap();
        let p = pca_start(&data);
        assert_eq!(p.len(), 50);
        let xs: Vec<f32> = p.iter().map(|p| p[0]).collect();
        let monotone = xs.windows(2).all(|w| w[0] < w[1]) || xs.windows(2).all(|w| w[0] > w[1]);
        assert!(monotone, "{xs:?}");
        assert!(
            p.iter()
                .all(|p| p[0].abs() <= 10.0 + 1e-4 && p[1].abs() <= 10.0 + 1e-4)
        );
    }
}
