//! A neighbour graph over a [`Dataset`] and its beam search: the fast stage of a query.
//!
//! Building (offline, in the CLI) takes three steps:
//! 1. **Seed** each item's list of its `k` nearest found so far with every pair of items
//!    that share a leaf of the forest: a leaf is a small group of items already close.
//! 2. **Refine** by NN-descent (Dong, Moses and Li, 2011): a neighbour of a neighbour is
//!    likely a neighbour, so every item introduces the items on its list to each other,
//!    only pairs with at least one newcomer, until a round improves almost nothing.
//! 3. **Prune for diversity** (the relative-neighbourhood rule of HNSW, widened by
//!    Vamana's `alpha`): an edge to `v` is dropped when an already kept neighbour `w` is
//!    much nearer to `v` than the item is, since the search reaches `v` through `w`. Edges
//!    are then added back in the other direction, pruned again under the degree cap, so
//!    the graph has no dead ends a query can get stuck in.
//!
//! Every step runs in item order with seeded choices, so the same data, forest,
//! parameters and seed give the same graph, byte for byte.
//!
//! Search is best-first over a beam of the `ef` nearest found so far, entered from the
//! candidates the forest gives for a small budget; each item is measured once.

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::dataset::Dataset;
use crate::distance::{Rows, l2_sq, prefetch};
use crate::error::{Error, Result};
use crate::forest::Forest;
use crate::neighbors::Neighbor;
use crate::visited::Visited;

/// Largest degree cap a graph may have: degrees are stored in one byte.
pub const MAX_DEGREE: usize = 255;

/// How to build a graph: consuming setters, finished by [`GraphParams::build`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GraphParams {
    /// Most neighbours an item keeps after pruning.
    pub degree: usize,
    /// Length of each item's list of nearest found, refined by NN-descent.
    pub k: usize,
    /// Most NN-descent rounds.
    pub rounds: usize,
    /// Pruning's widening: an edge survives a nearer kept neighbour `w` unless
    /// `alpha * |w - v| <= |u - v|`. 1 is HNSW's rule; larger keeps more long edges.
    pub alpha: f32,
    /// Seed of the sampling in NN-descent.
    pub seed: u64,
}

impl Default for GraphParams {
    /// The graph the site ships (`ssam build` with no flags). Lists of 32 and alpha 1.1
    /// reach recall 0.95 with the fewest distances (alpha 1.0 leaves too few edges and
    /// needs wider beams, 1.2 keeps more and costs more per step); a cap of 20 rather than
    /// 24 costs a little speed and saves a tenth of the shipped file.
    fn default() -> Self {
        GraphParams {
            degree: 20,
            k: 32,
            rounds: 6,
            alpha: 1.1,
            seed: 1,
        }
    }
}

impl GraphParams {
    /// Sets the degree cap.
    pub fn degree(mut self, degree: usize) -> Self {
        self.degree = degree;
        self
    }

    /// Sets the length of the nearest-found lists.
    pub fn k(mut self, k: usize) -> Self {
        self.k = k;
        self
    }

    /// Sets the most NN-descent rounds.
    pub fn rounds(mut self, rounds: usize) -> Self {
        self.rounds = rounds;
        self
    }

    /// Sets pruning's widening.
    pub fn alpha(mut self, alpha: f32) -> Self {
        self.alpha = alpha;
        self
    }

    /// Sets the seed.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Checks the parameters against the engine's limits.
    pub fn validate(&self) -> Result<()> {
        if !(1..=MAX_DEGREE).contains(&self.degree) {
            return Err(Error::BadParameter {
                name: "graph degree",
                value: self.degree.to_string(),
                why: format!("choose 1 to {MAX_DEGREE}"),
            });
        }
        if !(1..=MAX_DEGREE).contains(&self.k) {
            return Err(Error::BadParameter {
                name: "graph k",
                value: self.k.to_string(),
                why: format!("choose 1 to {MAX_DEGREE}"),
            });
        }
        if !(1.0..=4.0).contains(&self.alpha) {
            return Err(Error::BadParameter {
                name: "graph alpha",
                value: self.alpha.to_string(),
                why: "choose 1 to 4".into(),
            });
        }
        Ok(())
    }

    /// Builds the graph over `data`, seeded from `forest` (built over the same data),
    /// calling `progress` with a stage name and a fraction done.
    pub fn build(
        &self,
        data: &Dataset,
        forest: &Forest,
        progress: &mut dyn FnMut(&str, f64),
    ) -> Result<Graph> {
        self.validate()?;
        if data.is_empty() {
            return Err(Error::Unsupported {
                what: "a graph needs at least one item".into(),
            });
        }
        if forest.fingerprint() != data.fingerprint() {
            return Err(Error::Unsupported {
                what: "the forest was built over other data than the graph".into(),
            });
        }
        let n = data.len();
        let mut lists = Lists::new(n, self.k.min(n.saturating_sub(1)));
        progress("seeding from the forest", 0.0);
        forest.for_each_leaf(|ids| {
            for (a, &i) in ids.iter().enumerate() {
                for &j in &ids[a + 1..] {
                    let d = l2_sq(data.image(i as usize), data.image(j as usize));
                    lists.offer(i, j, d);
                    lists.offer(j, i, d);
                }
            }
        });
        let mut rng = ChaCha8Rng::seed_from_u64(self.seed);
        for round in 0..self.rounds {
            progress("NN-descent", round as f64 / self.rounds as f64);
            let updates = lists.descend(data, &mut rng);
            // Dong et al. stop when under 0.1% of the entries change in a round.
            if updates * 1000 <= n * lists.k {
                break;
            }
        }
        progress("pruning", 0.0);
        let mut graph = Graph::prune(data, &lists, self.degree, self.alpha);
        progress("connecting", 0.0);
        graph.connect(data);
        Ok(graph)
    }
}

/// Every item's list of its `k` nearest found so far, sorted, each entry flagged when it
/// is new since the item last introduced its neighbours to each other.
struct Lists {
    k: usize,
    entries: Vec<Neighbor>,
    fresh: Vec<bool>,
    lens: Vec<u16>,
}

impl Lists {
    fn new(n: usize, k: usize) -> Self {
        Lists {
            k,
            entries: vec![
                Neighbor {
                    distance: u32::MAX,
                    id: u32::MAX
                };
                n * k
            ],
            fresh: vec![false; n * k],
            lens: vec![0; n],
        }
    }

    fn list(&self, i: usize) -> &[Neighbor] {
        &self.entries[i * self.k..i * self.k + usize::from(self.lens[i])]
    }

    /// Offers `j` at distance `d` to `i`'s list; true when it entered.
    fn offer(&mut self, i: u32, j: u32, d: u32) -> bool {
        let (i, k) = (i as usize, self.k);
        let len = usize::from(self.lens[i]);
        let list = &mut self.entries[i * k..i * k + k];
        let candidate = Neighbor { distance: d, id: j };
        if k == 0 || (len == k && candidate >= list[k - 1]) {
            return false;
        }
        if list[..len].iter().any(|n| n.id == j) {
            return false;
        }
        let at = list[..len].partition_point(|n| *n < candidate);
        let end = len.min(k - 1);
        list.copy_within(at..end, at + 1);
        list[at] = candidate;
        let fresh = &mut self.fresh[i * k..i * k + k];
        fresh.copy_within(at..end, at + 1);
        fresh[at] = true;
        self.lens[i] = (end + 1) as u16;
        true
    }

    /// One round of NN-descent; returns how many list entries changed.
    fn descend(&mut self, data: &Dataset, rng: &mut ChaCha8Rng) -> usize {
        let n = self.lens.len();
        // Each item introduces at most this many newcomers and as many old neighbours,
        // from its own list and from the lists it is on: pynndescent's sampling, which
        // bounds a round's work at about n * (2 * half)^2 distances.
        let half = self.k.div_ceil(2).max(1);
        let mut new: Vec<Vec<u32>> = vec![Vec::new(); n];
        let mut old: Vec<Vec<u32>> = vec![Vec::new(); n];
        for i in 0..n {
            for slot in 0..usize::from(self.lens[i]) {
                let at = i * self.k + slot;
                let id = self.entries[at].id;
                if self.fresh[at] {
                    if new[i].len() < half {
                        new[i].push(id);
                        self.fresh[at] = false;
                    }
                } else {
                    old[i].push(id);
                }
            }
        }
        // Reverse lists, kept to `half` each by reservoir sampling.
        let mut seen_new = vec![0usize; n];
        let mut seen_old = vec![0usize; n];
        let mut rev_new: Vec<Vec<u32>> = vec![Vec::new(); n];
        let mut rev_old: Vec<Vec<u32>> = vec![Vec::new(); n];
        for i in 0..n {
            for (lists, rev, seen) in [
                (&new, &mut rev_new, &mut seen_new),
                (&old, &mut rev_old, &mut seen_old),
            ] {
                for &j in &lists[i] {
                    let j = j as usize;
                    seen[j] += 1;
                    if rev[j].len() < half {
                        rev[j].push(i as u32);
                    } else {
                        let r = rng.random_range(0..seen[j]);
                        if r < half {
                            rev[j][r] = i as u32;
                        }
                    }
                }
            }
        }
        let mut updates = 0;
        let mut joined_new = Vec::new();
        let mut joined_old = Vec::new();
        for i in 0..n {
            joined_new.clear();
            joined_new.extend_from_slice(&new[i]);
            joined_new.extend(rev_new[i].iter().filter(|j| !new[i].contains(j)));
            joined_old.clear();
            joined_old.extend_from_slice(&old[i]);
            joined_old.extend(rev_old[i].iter().filter(|j| !old[i].contains(j)));
            for (a, &p) in joined_new.iter().enumerate() {
                let row = data.image(p as usize);
                for &q in joined_new[a + 1..].iter().chain(&joined_old) {
                    if p == q {
                        continue;
                    }
                    let d = l2_sq(row, data.image(q as usize));
                    updates += usize::from(self.offer(p, q, d));
                    updates += usize::from(self.offer(q, p, d));
                }
            }
        }
        updates
    }
}

/// A built or loaded graph: up to `degree` neighbour ids per item. It belongs to the
/// dataset it was built over, identified by its fingerprint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Graph {
    pub(crate) degree: usize,
    pub(crate) fingerprint: u64,
    /// The item nearest the mean: every item is reachable from it, and every search
    /// measures it, so a wide enough beam finds any item.
    pub(crate) root: u32,
    /// Item `i`'s neighbours are `links[i * degree..][..lens[i]]`, in id order.
    pub(crate) links: Vec<u32>,
    pub(crate) lens: Vec<u8>,
}

impl Graph {
    /// An empty graph of `items` items, ready to be filled in item order.
    pub(crate) fn empty(items: usize, degree: usize, fingerprint: u64, root: u32) -> Graph {
        Graph {
            degree,
            fingerprint,
            root,
            links: vec![0; items * degree],
            lens: vec![0; items],
        }
    }

    /// Sets item `i`'s neighbours, kept in id order: the order a search measures them in
    /// does not change its answer, and sorted ids store as small gaps.
    pub(crate) fn set(&mut self, i: usize, neighbors: &[u32]) {
        let row = &mut self.links[i * self.degree..(i + 1) * self.degree];
        let row = &mut row[..neighbors.len()];
        row.copy_from_slice(neighbors);
        row.sort_unstable();
        self.lens[i] = neighbors.len() as u8;
    }

    /// Item `i`'s neighbours, in id order.
    #[inline]
    pub fn neighbors(&self, i: usize) -> &[u32] {
        &self.links[i * self.degree..i * self.degree + usize::from(self.lens[i])]
    }

    /// Number of items.
    pub fn len(&self) -> usize {
        self.lens.len()
    }

    /// True when the graph has no item.
    pub fn is_empty(&self) -> bool {
        self.lens.is_empty()
    }

    /// The degree cap.
    pub fn degree(&self) -> usize {
        self.degree
    }

    /// Fingerprint of the data it was built over.
    pub fn fingerprint(&self) -> u64 {
        self.fingerprint
    }

    /// Number of edges.
    pub fn edges(&self) -> usize {
        self.lens.iter().map(|&l| usize::from(l)).sum()
    }

    /// Bytes of memory the graph holds.
    pub fn memory_bytes(&self) -> usize {
        self.links.capacity() * 4 + self.lens.capacity()
    }

    /// Diversity pruning of every list, then reverse edges added and pruned again.
    fn prune(data: &Dataset, lists: &Lists, degree: usize, alpha: f32) -> Graph {
        let n = data.len();
        let alpha_sq = alpha * alpha;
        let mut kept: Vec<Vec<Neighbor>> = (0..n)
            .map(|i| diverse(data, lists.list(i), degree, alpha_sq))
            .collect();
        let mut incoming: Vec<Vec<Neighbor>> = vec![Vec::new(); n];
        for (i, out) in kept.iter().enumerate() {
            for e in out {
                incoming[e.id as usize].push(Neighbor {
                    distance: e.distance,
                    id: i as u32,
                });
            }
        }
        let mut graph = Graph::empty(n, degree, data.fingerprint(), medoid(data));
        let mut ids = Vec::with_capacity(degree);
        for (i, (out, inc)) in kept.iter_mut().zip(incoming).enumerate() {
            for e in inc {
                if !out.iter().any(|o| o.id == e.id) {
                    out.push(e);
                }
            }
            out.sort_unstable();
            let final_list = if out.len() > degree {
                diverse(data, out, degree, alpha_sq)
            } else {
                std::mem::take(out)
            };
            ids.clear();
            ids.extend(final_list.iter().map(|e| e.id));
            graph.set(i, &ids);
        }
        graph
    }

    /// Makes every item reachable from the root: a walk from the root, and each item it
    /// did not reach (in id order) linked from its nearest reached item that has room,
    /// as NSG does. Clustered data leaves a pruned neighbour graph in pieces otherwise.
    fn connect(&mut self, data: &Dataset) {
        let n = self.len();
        let mut reached = vec![false; n];
        let mut stack = Vec::new();
        let mut walk = |graph: &Graph, from: u32, reached: &mut Vec<bool>| {
            reached[from as usize] = true;
            stack.push(from);
            while let Some(i) = stack.pop() {
                for &j in graph.neighbors(i as usize) {
                    if !reached[j as usize] {
                        reached[j as usize] = true;
                        stack.push(j);
                    }
                }
            }
        };
        // A pass ends with every item reached unless a full item had to give up an edge;
        // then the walk starts again from the root. A full item gives up its farthest
        // neighbour, whose other in-edges usually keep it reached; the passes are bounded
        // so that no input can keep this going (no data seen here needed a second pass:
        // the cap is far above the average degree).
        let mut complete = false;
        for _ in 0..Self::CONNECT_PASSES {
            if complete {
                break;
            }
            complete = true;
            reached.fill(false);
            walk(self, self.root, &mut reached);
            for u in 0..n {
                if reached[u] {
                    continue;
                }
                let row = data.image(u);
                let nearest = |room: bool| {
                    (0..n)
                        .filter(|&w| {
                            reached[w] && (!room || usize::from(self.lens[w]) < self.degree)
                        })
                        .min_by_key(|&w| (l2_sq(row, data.image(w)), w))
                };
                let from = match nearest(true) {
                    Some(w) => w,
                    None => {
                        complete = false;
                        nearest(false).expect("the root is reached")
                    }
                };
                let mut ids = self.neighbors(from).to_vec();
                if ids.len() == self.degree {
                    let here = data.image(from);
                    let farthest = (0..ids.len())
                        .max_by_key(|&a| (l2_sq(here, data.image(ids[a] as usize)), ids[a]))
                        .expect("a full list is not empty");
                    ids.swap_remove(farthest);
                }
                ids.push(u as u32);
                self.set(from, &ids);
                walk(self, u as u32, &mut reached);
            }
        }
    }

    /// Most passes [`Graph::connect`] makes.
    const CONNECT_PASSES: usize = 4;

    /// The item every search also enters from.
    pub fn root(&self) -> u32 {
        self.root
    }

    /// Beam search toward `query` over `data`, entered from `entries` (already marked
    /// visited) and the root: leaves in `beam` the `ef` nearest found, nearest first, and
    /// returns how many distances it measured. `expanding` is told each item as its
    /// neighbours are about to be measured: the items expanded are the beam's nearest,
    /// which a walk on codes measures again in full.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn search(
        &self,
        data: Rows<'_>,
        query: &[u8],
        ef: usize,
        entries: &mut Vec<u32>,
        beam: &mut Beam,
        visited: &mut Visited,
        mut expanding: impl FnMut(u32),
    ) -> usize {
        if visited.visit(self.root) {
            entries.push(self.root);
        }
        beam.start(ef, |found| data.measure(query, entries, |n| found.push(n)));
        let mut measured = entries.len();
        let Beam { keys, batch, .. } = beam;
        let mut at = 0;
        while at < keys.len() {
            keys[at] |= EXPANDED;
            let node = Beam::neighbor(keys[at]).id;
            expanding(node);
            batch.clear();
            for &j in self.neighbors(node as usize) {
                if visited.visit(j) {
                    data.prefetch(j as usize);
                    batch.push(j);
                }
            }
            measured += batch.len();
            let mut next = at + 1;
            data.measure(query, batch, |candidate| {
                let key = Beam::key(candidate);
                if keys.len() == ef && key >= keys[ef - 1] {
                    return;
                }
                let pos = keys.partition_point(|&k| k < key);
                if keys.len() == ef {
                    keys.pop();
                }
                keys.insert(pos, key);
                next = next.min(pos);
                // An item that enters the beam is likely expanded soon: its list is
                // fetched now rather than waited on then.
                let id = candidate.id as usize;
                prefetch(&self.links[id * self.degree..(id + 1) * self.degree]);
            });
            // Go on from the nearest entry not yet expanded.
            at = next;
            while at < keys.len() && keys[at] & EXPANDED != 0 {
                at += 1;
            }
        }
        measured
    }
}

/// The lowest bit of a beam key: set once the item's neighbours were measured.
const EXPANDED: u64 = 1;

/// The graph stage's state, kept between queries.
#[derive(Debug, Default)]
pub(crate) struct Beam {
    /// The nearest found, sorted, at most `ef`, each packed with its expanded mark into
    /// one key ([`Beam::key`]): an insertion shifts one array instead of two, and keys
    /// compare as single integers.
    keys: Vec<u64>,
    /// The entries as measured, before they are packed.
    entries: Vec<Neighbor>,
    /// Unvisited neighbours of the node being expanded.
    batch: Vec<u32>,
}

impl Beam {
    /// Starts a search from the entries `measure` adds (measured, and marked visited),
    /// keeping the `ef` nearest.
    fn start(&mut self, ef: usize, measure: impl FnOnce(&mut Vec<Neighbor>)) {
        self.entries.clear();
        measure(&mut self.entries);
        self.entries.sort_unstable();
        self.entries.truncate(ef);
        self.keys.clear();
        self.keys.extend(self.entries.iter().map(|&n| Beam::key(n)));
    }

    /// The nearest found, nearest first.
    pub(crate) fn found(&self) -> impl ExactSizeIterator<Item = Neighbor> + '_ {
        self.keys.iter().map(|&k| Beam::neighbor(k))
    }

    /// `n` as a key that orders as neighbours do (distance, then id), with the lowest
    /// bit free for [`EXPANDED`]. Distances fit in 31 bits: the kernels keep every sum
    /// inside an `i32`.
    #[inline]
    fn key(n: Neighbor) -> u64 {
        debug_assert!(n.distance < 1 << 31);
        (u64::from(n.distance) << 33) | (u64::from(n.id) << 1)
    }

    /// The neighbour a key packs.
    #[inline]
    fn neighbor(key: u64) -> Neighbor {
        Neighbor {
            distance: (key >> 33) as u32,
            id: (key >> 1) as u32,
        }
    }
}

/// The item nearest the mean of all items (the smaller id on ties).
fn medoid(data: &Dataset) -> u32 {
    let mut sums = vec![0u64; data.dim()];
    for i in 0..data.len() {
        for (s, &v) in sums.iter_mut().zip(data.image(i)) {
            *s += u64::from(v);
        }
    }
    let n = data.len().max(1) as u64;
    let mean: Vec<u8> = sums.iter().map(|&s| ((s + n / 2) / n) as u8).collect();
    (0..data.len())
        .min_by_key(|&i| (l2_sq(&mean, data.image(i)), i))
        .unwrap_or(0) as u32
}

/// Of `candidates` (sorted nearest first, distances to the item), at most `degree` that
/// no kept neighbour shadows: `v` is dropped when a kept `w` has
/// `alpha^2 * |w - v|^2 <= |u - v|^2`.
fn diverse(data: &Dataset, candidates: &[Neighbor], degree: usize, alpha_sq: f32) -> Vec<Neighbor> {
    let mut kept: Vec<Neighbor> = Vec::with_capacity(degree);
    for c in candidates {
        if kept.len() == degree {
            break;
        }
        let row = data.image(c.id as usize);
        let shadowed = kept
            .iter()
            .any(|w| alpha_sq * l2_sq(row, data.image(w.id as usize)) as f32 <= c.distance as f32);
        if !shadowed {
            kept.push(*c);
        }
    }
    kept
}

#[cfg(test)]
mod tests {
    use std::cmp::Ordering;

    use super::*;

    #[test]
    fn beam_keys_order_as_neighbours_do_and_give_them_back_whether_expanded_or_not() {
        let largest = (1 << 31) - 1;
        let mut neighbors = Vec::new();
        for distance in [0, 1, 2, 65_025, largest - 1, largest] {
            for id in [0, 1, 2, 1 << 31, u32::MAX - 1, u32::MAX] {
                neighbors.push(Neighbor { distance, id });
            }
        }
        for a in &neighbors {
            let key = Beam::key(*a);
            assert_eq!(Beam::neighbor(key), *a);
            assert_eq!(Beam::neighbor(key | EXPANDED), *a);
            for b in &neighbors {
                let other = Beam::key(*b);
                assert_eq!(key.cmp(&other), a.cmp(b), "{a:?} against {b:?}");
                // A mark never reorders distinct neighbours.
                assert_eq!(
                    (key | EXPANDED).cmp(&other),
                    a.cmp(b).then(Ordering::Greater)
                );
            }
        }
    }
}
