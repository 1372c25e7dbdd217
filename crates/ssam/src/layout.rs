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
use crate::index::{Effort, Index};
use crate::neighbors::Neighbor;
use crate::search::Scratch;

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

/// The fuzzy graph, built an item at a time: each item's neighbours weighted by how much
/// nearer they are than its typical neighbour (UMAP's smooth k-NN distances); made
/// symmetric by fuzzy union when the [`Layout`] starts. An item at a time lets a caller
/// with one thread weigh each item as its neighbours are found.
#[derive(Debug, Clone, Default)]
pub struct Fuzzy {
    items: usize,
    directed: Vec<(u32, u32, f32)>,
}

impl Fuzzy {
    /// A graph over `items` items, with no edge yet.
    pub fn new(items: usize) -> Fuzzy {
        Fuzzy {
            items,
            directed: Vec::new(),
        }
    }

    /// Weighs the edges from `item` to its nearest neighbours `list` (nearest first,
    /// squared distances as the index measures them). Items are added in order of their
    /// number for the layout to be the same from run to run.
    pub fn add(&mut self, item: usize, list: &[Neighbor]) -> Result<()> {
        if let Some(bad) = list.iter().find(|x| x.id as usize >= self.items) {
            return Err(Error::LayoutNeighbour {
                item,
                neighbour: bad.id,
                items: self.items,
            });
        }
        let d: Vec<f64> = list.iter().map(Neighbor::euclidean).collect();
        if d.is_empty() {
            return Ok(());
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
            if n.id as usize != item {
                let w = (-(x - rho).max(0.0) / sigma).exp() as f32;
                self.directed.push((item as u32, n.id, w));
            }
        }
        Ok(())
    }

    /// The graph of every item's neighbours in `knn`.
    pub fn from_knn(knn: &[Vec<Neighbor>]) -> Result<Fuzzy> {
        let mut fuzzy = Fuzzy::new(knn.len());
        for (i, list) in knn.iter().enumerate() {
            fuzzy.add(i, list)?;
        }
        Ok(fuzzy)
    }

    /// Fuzzy union of the two directions (`a + b - ab`), each edge then stored once per
    /// direction as UMAP does.
    fn into_edges(self) -> Vec<Edge> {
        let mut pairs: Vec<(u32, u32, f32)> = self
            .directed
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
}

/// Items with more values than this start from seeded random points instead of their
/// principal components: the covariance matrix needs `dim^2` doubles (134 MB for an own
/// set of 64x64 images, 4.9 MB for 784 values).
pub const MAX_PCA_DIM: usize = 1024;

/// The descent's start, computed a piece at a time so that a caller with one thread (the
/// page's worker) can stop between pieces: the first two principal components of the
/// items (from every `stride`-th row), scaled so that the points span about 20 units. A
/// start with the large-scale shape of the data keeps related clusters near each other,
/// which random starts do not. Any way of cutting it into pieces gives the same points.
pub struct Start<'a> {
    data: &'a Dataset,
    rows: Vec<usize>,
    mean: Vec<f64>,
    cov: Vec<f64>,
    centred: Vec<f64>,
    components: Vec<Vec<f64>>,
    points: Vec<[f64; 2]>,
    phase: Phase,
}

/// Where a [`Start`] is.
enum Phase {
    /// Adding sampled row `rows[at]` to the covariance.
    Covariance {
        at: usize,
    },
    /// Power iteration `iteration` of component `c`, from `v`.
    Component {
        c: usize,
        iteration: usize,
        v: Vec<f64>,
    },
    /// Projecting item `at` and those after it.
    Project {
        at: usize,
    },
    Done,
}

/// Power iterations per component.
const POWER_ITERATIONS: usize = 300;
/// Items projected per piece of [`Start::run`].
const PROJECT_PER_PIECE: usize = 256;

impl<'a> Start<'a> {
    /// A start for `data`'s items; nothing is computed until [`Start::run`].
    pub fn new(data: &'a Dataset) -> Start<'a> {
        let (n, dim) = (data.len(), data.dim());
        let mut start = Start {
            data,
            rows: Vec::new(),
            mean: Vec::new(),
            cov: Vec::new(),
            centred: Vec::new(),
            components: Vec::new(),
            points: Vec::new(),
            phase: Phase::Done,
        };
        if n == 0 || dim == 0 {
            return start;
        }
        if dim > MAX_PCA_DIM {
            // Random points in the same span, seeded: a start UMAP also offers.
            let mut rng = ChaCha8Rng::seed_from_u64(LayoutParams::default().seed);
            start.points = (0..n)
                .map(|_| [rng.random_range(-10.0..10.0), rng.random_range(-10.0..10.0)])
                .collect();
            return start;
        }
        let stride = (n / 10_000).max(1);
        start.rows = (0..n).step_by(stride).collect();
        // The mean costs one pass over the sampled rows: done here, in one piece.
        let mut mean = vec![0f64; dim];
        for &r in &start.rows {
            for (m, &v) in mean.iter_mut().zip(data.image(r)) {
                *m += f64::from(v);
            }
        }
        mean.iter_mut().for_each(|m| *m /= start.rows.len() as f64);
        start.mean = mean;
        start.cov = vec![0f64; dim * dim];
        start.centred = vec![0f64; dim];
        start.phase = Phase::Covariance { at: 0 };
        start
    }

    /// Goes on for at most `pieces` pieces (a sampled row added to the covariance, a power
    /// iteration, or 256 items projected); returns whether the start is complete.
    pub fn run(&mut self, pieces: usize) -> bool {
        for _ in 0..pieces {
            match self.phase {
                Phase::Done => break,
                Phase::Covariance { at } => self.add_row(at),
                Phase::Component { .. } => self.power_step(),
                Phase::Project { at } => self.project(at),
            }
        }
        self.is_done()
    }

    /// Adds sampled row `rows[at]` to the covariance; after the last, starts on the first
    /// component.
    fn add_row(&mut self, at: usize) {
        let dim = self.data.dim();
        let r = self.rows[at];
        for ((c, &v), m) in self
            .centred
            .iter_mut()
            .zip(self.data.image(r))
            .zip(&self.mean)
        {
            *c = f64::from(v) - m;
        }
        // The upper triangle only (half the work), mirrored once at the end: the terms
        // skipped for a zero are zeros, so the sums are the same.
        for a in 0..dim {
            let ca = self.centred[a];
            if ca == 0.0 {
                continue;
            }
            let row = &mut self.cov[a * dim + a..(a + 1) * dim];
            for (x, &cb) in row.iter_mut().zip(&self.centred[a..]) {
                *x += ca * cb;
            }
        }
        if at + 1 < self.rows.len() {
            self.phase = Phase::Covariance { at: at + 1 };
            return;
        }
        for a in 0..dim {
            for b in 0..a {
                self.cov[a * dim + b] = self.cov[b * dim + a];
            }
        }
        self.phase = first_guess(dim, 0);
    }

    /// One power iteration, with deflation: two components of a symmetric matrix. After
    /// the last of the second component, starts projecting.
    fn power_step(&mut self) {
        let dim = self.data.dim();
        let Phase::Component { c, iteration, v } = &mut self.phase else {
            return;
        };
        let mut next = vec![0f64; dim];
        for (a, out) in next.iter_mut().enumerate() {
            *out = self.cov[a * dim..(a + 1) * dim]
                .iter()
                .zip(v.iter())
                .map(|(x, y)| x * y)
                .sum();
        }
        for prev in &self.components {
            let dot: f64 = next.iter().zip(prev).map(|(x, y)| x * y).sum();
            next.iter_mut().zip(prev).for_each(|(x, p)| *x -= dot * p);
        }
        let norm = next.iter().map(|x| x * x).sum::<f64>().sqrt();
        *iteration += 1;
        let converged = norm == 0.0;
        if !converged {
            *v = next.into_iter().map(|x| x / norm).collect();
        }
        if converged || *iteration == POWER_ITERATIONS {
            let (c, v) = (*c, std::mem::take(v));
            self.components.push(v);
            self.phase = if c == 0 {
                first_guess(dim, 1)
            } else {
                self.cov = Vec::new();
                self.points = Vec::with_capacity(self.data.len());
                Phase::Project { at: 0 }
            };
        }
    }

    /// Projects item `at` and up to a piece's worth after it onto the components.
    fn project(&mut self, at: usize) {
        let end = (at + PROJECT_PER_PIECE).min(self.data.len());
        for i in at..end {
            let img = self.data.image(i);
            let mut p = [0f64; 2];
            for (c, comp) in self.components.iter().enumerate() {
                p[c] = img
                    .iter()
                    .zip(&self.mean)
                    .zip(comp)
                    .map(|((&v, m), w)| (f64::from(v) - m) * w)
                    .sum();
            }
            self.points.push(p);
        }
        self.phase = if end == self.data.len() {
            Phase::Done
        } else {
            Phase::Project { at: end }
        };
    }

    /// Whether the start is complete.
    pub fn is_done(&self) -> bool {
        matches!(self.phase, Phase::Done)
    }

    /// The share of the work done, from 0 to 1 (the pieces weighed by what they cost).
    pub fn progress(&self) -> f64 {
        let rows = self.rows.len().max(1) as f64;
        let n = self.data.len().max(1) as f64;
        // A covariance row and a power iteration cost about `dim^2` or less; projecting
        // an item `2 dim`: weigh the three phases by rows, iterations and items / dim.
        let project = n * 2.0 / self.data.dim().max(1) as f64;
        let all = rows + 2.0 * POWER_ITERATIONS as f64 + project;
        let done = match &self.phase {
            Phase::Covariance { at } => *at as f64,
            Phase::Component { c, iteration, .. } => {
                rows + (c * POWER_ITERATIONS + iteration) as f64
            }
            Phase::Project { at } => {
                rows + 2.0 * POWER_ITERATIONS as f64 + *at as f64 / n * project
            }
            Phase::Done => all,
        };
        done / all
    }

    /// The points, scaled; call when [`Start::is_done`] (before, the points are those
    /// projected so far).
    pub fn into_points(self) -> Vec<[f32; 2]> {
        let mut points = self.points;
        if self.data.dim() > MAX_PCA_DIM {
            return points.iter().map(|p| [p[0] as f32, p[1] as f32]).collect();
        }
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
}

/// Where power iteration starts for component `c`: a fixed vector, so runs agree.
fn first_guess(dim: usize, c: usize) -> Phase {
    Phase::Component {
        c,
        iteration: 0,
        v: (0..dim)
            .map(|i| 1.0 + ((i * 7 + c * 3) % 11) as f64)
            .collect(),
    }
}

/// The first two principal components of `data`, scaled: [`Start`] run in one go.
pub fn pca_start(data: &Dataset) -> Vec<[f32; 2]> {
    let mut start = Start::new(data);
    while !start.run(usize::MAX) {}
    start.into_points()
}

/// A layout under way, advanced a number of edges at a time so that a caller with one
/// thread can stop between slices. Any way of cutting the work gives the same points as
/// one run: the edges are visited in the same order and the sampling stream is one.
pub struct Layout {
    points: Vec<[f32; 2]>,
    edges: Vec<Edge>,
    /// An edge is sampled once every `every[e]` epochs, next at epoch `next[e]`; its
    /// negative samples likewise.
    every: Vec<f32>,
    every_negative: Vec<f32>,
    next: Vec<f32>,
    next_negative: Vec<f32>,
    rng: ChaCha8Rng,
    params: LayoutParams,
    /// The epoch under way and the next of its edges.
    epoch: usize,
    edge: usize,
}

impl Layout {
    /// A layout of the items of the graph `fuzzy`, starting from `start`.
    pub fn new(fuzzy: Fuzzy, start: Vec<[f32; 2]>, params: LayoutParams) -> Result<Layout> {
        if start.len() != fuzzy.items {
            return Err(Error::LayoutStart {
                items: fuzzy.items,
                points: start.len(),
            });
        }
        let edges = fuzzy.into_edges();
        let max_w = edges.iter().map(|e| e.weight).reduce(f32::max);
        let epochs = params.epochs;
        // UMAP's schedule: an edge is sampled once every `max_w / w` epochs, and brings
        // `negatives` repulsions each time; edges too weak to be sampled once are dropped.
        let edges: Vec<Edge> = match max_w {
            Some(max_w) => edges
                .into_iter()
                .filter(|e| e.weight >= max_w / epochs.max(1) as f32)
                .collect(),
            None => Vec::new(),
        };
        let every: Vec<f32> = edges
            .iter()
            .map(|e| max_w.unwrap_or(1.0) / e.weight)
            .collect();
        let every_negative: Vec<f32> = every
            .iter()
            .map(|&e| e / params.negatives.max(1) as f32)
            .collect();
        Ok(Layout {
            points: start,
            next: every.clone(),
            next_negative: every_negative.clone(),
            every,
            every_negative,
            // No edge, nothing to move: done before it starts.
            epoch: if edges.is_empty() { epochs } else { 0 },
            edges,
            rng: ChaCha8Rng::seed_from_u64(params.seed),
            params,
            edge: 0,
        })
    }

    /// Edges visited in one epoch: a caller's measure of how much [`Layout::run`] to ask.
    pub fn edges_per_epoch(&self) -> usize {
        self.edges.len()
    }

    /// Goes on for at most `work` edges, across epochs; returns whether the layout is
    /// complete.
    pub fn run(&mut self, mut work: usize) -> bool {
        let Layout {
            points,
            edges,
            every,
            every_negative,
            next,
            next_negative,
            rng,
            params,
            epoch,
            edge,
        } = self;
        let n = points.len();
        let (a, epochs) = (params.a, params.epochs);
        let clip = |g: f32| g.clamp(-4.0, 4.0);
        while *epoch < epochs && work > 0 {
            let rate = 1.0 - *epoch as f32 / epochs as f32;
            let now = *epoch as f32 + 1.0;
            let end = edge.saturating_add(work).min(edges.len());
            for e in *edge..end {
                if next[e] > now {
                    continue;
                }
                let (i, j) = (edges[e].from as usize, edges[e].to as usize);
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
            work -= end - *edge;
            *edge = end;
            if *edge == edges.len() {
                *edge = 0;
                *epoch += 1;
            }
        }
        self.is_done()
    }

    /// Whether every epoch has run.
    pub fn is_done(&self) -> bool {
        self.epoch >= self.params.epochs
    }

    /// Epochs complete.
    pub fn epoch(&self) -> usize {
        self.epoch.min(self.params.epochs)
    }

    /// The share of the work done, from 0 to 1.
    pub fn progress(&self) -> f64 {
        if self.is_done() {
            return 1.0;
        }
        let within = self.edge as f64 / self.edges.len().max(1) as f64;
        (self.epoch as f64 + within) / self.params.epochs as f64
    }

    /// The points as they are now (complete once [`Layout::is_done`]).
    pub fn points(&self) -> &[[f32; 2]] {
        &self.points
    }

    /// The points, giving up the layout.
    pub fn into_points(self) -> Vec<[f32; 2]> {
        self.points
    }
}

/// Lays out the items whose nearest neighbours are `knn` (item `i`'s list, nearest first,
/// squared distances as the index measures them), starting from `start`, calling
/// `progress` with the fraction done after each epoch: [`Layout`] run an epoch at a time.
pub fn layout(
    knn: &[Vec<Neighbor>],
    start: Vec<[f32; 2]>,
    params: LayoutParams,
    progress: &mut dyn FnMut(f64),
) -> Result<Vec<[f32; 2]>> {
    if start.len() != knn.len() {
        return Err(Error::LayoutStart {
            items: knn.len(),
            points: start.len(),
        });
    }
    let mut layout = Layout::new(Fuzzy::from_knn(knn)?, start, params)?;
    while !layout.is_done() {
        layout.run(layout.edges_per_epoch());
        progress(layout.progress());
    }
    Ok(layout.into_points())
}

/// Neighbours of each item a layout keeps together (UMAP's `n_neighbors`).
pub const NEIGHBOURS: usize = 15;
/// Beam of the graph search that finds them, when the index has a graph...
pub const GRAPH_EF: usize = 64;
/// ... and the forest's candidates when it has none (an own set): UMAP itself lays out
/// from approximate neighbours, and a fourth of the search's default keeps the page's
/// neighbour finding for 60,000 images within seconds.
pub const FOREST_BUDGET: usize = 500;

/// How a layout's neighbours are found in `index`: through its graph when it has one.
pub fn neighbour_effort(index: &Index) -> Effort {
    if index.graph().is_some() {
        Effort::Graph { ef: GRAPH_EF }
    } else {
        Effort::Forest {
            budget: FOREST_BUDGET,
        }
    }
}

/// The `k` nearest of item `item` of `index` other than itself, searched as a query is
/// (the same distances, query shifts included, that the results show).
pub fn nearest_others(
    index: &Index,
    item: usize,
    k: usize,
    effort: Effort,
    scratch: &mut Scratch,
) -> Result<Vec<Neighbor>> {
    let found = index.search(index.originals().image(item), k + 1, effort, scratch)?;
    Ok(found
        .iter()
        .filter(|n| n.id as usize != item)
        .take(k)
        .copied()
        .collect())
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
    fn slices_of_any_size_give_the_points_of_one_run() {
        let knn = two_groups(30);
        let params = LayoutParams {
            epochs: 30,
            ..LayoutParams::default()
        };
        let whole = layout(&knn, start(60), params, &mut |_| {}).unwrap();
        for slice in [1, 7, 100, 1_000_000] {
            let mut stepped =
                Layout::new(Fuzzy::from_knn(&knn).unwrap(), start(60), params).unwrap();
            let mut calls = 0;
            let mut last = 0.0;
            while !stepped.run(slice) {
                calls += 1;
                assert!(stepped.progress() >= last && stepped.progress() < 1.0);
                last = stepped.progress();
            }
            assert_eq!(stepped.epoch(), 30);
            assert_eq!(stepped.progress(), 1.0);
            assert_eq!(stepped.into_points(), whole, "slices of {slice} edges");
            if slice == 1 {
                assert!(calls > 30 * 100, "one edge a call: {calls} calls");
            }
        }
    }

    #[test]
    fn a_start_in_pieces_equals_one_in_one_go() {
        let pixels: Vec<u8> = (0..40u32)
            .flat_map(|i| (0..16u32).map(move |p| ((i * 13 + p * p * 7) % 251) as u8))
            .collect();
        let data = Dataset::new(4, 4, pixels, vec![0; 40]).unwrap();
        let whole = pca_start(&data);
        let mut pieces = Start::new(&data);
        let mut calls = 0;
        let mut last = 0.0;
        while !pieces.run(1) {
            calls += 1;
            assert!(pieces.progress() >= last, "progress goes forward");
            last = pieces.progress();
        }
        assert_eq!(pieces.progress(), 1.0);
        // 40 covariance rows, 2 x 300 power iterations, 1 projection piece.
        assert_eq!(calls + 1, 40 + 600 + 1);
        assert_eq!(pieces.into_points(), whole);
    }

    #[test]
    fn wide_items_start_from_seeded_random_points() {
        let dim = MAX_PCA_DIM + 1;
        let data = Dataset::new(1, dim, vec![9; dim * 5], vec![0; 5]).unwrap();
        let p = pca_start(&data);
        assert_eq!(p.len(), 5);
        assert_eq!(p, pca_start(&data));
        assert!(p.iter().all(|p| p[0].abs() <= 10.0 && p[1].abs() <= 10.0));
        assert_ne!(p[0], p[1]);
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
