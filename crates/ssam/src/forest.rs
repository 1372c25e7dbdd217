//! A forest of random-projection trees over a [`Dataset`], after Annoy, and its search.
//!
//! Each split is a hyperplane across the direction from one item `p` of the data to
//! another, `q` (kept sparse, see [`crate::hyperplane`]), so a split costs two item ids
//! and a threshold instead of a stored normal (784 floats in Annoy). The pair comes from a few two-means steps on a sample of the
//! node, snapped to the sample items nearest the two means. The threshold is the
//! perpendicular bisector of `p` and `q`, or the median projection when the bisector
//! leaves fewer than 5% of the node on one side; when no pair separates the node at all
//! (duplicates), its items are halved at random, so building always terminates.
//!
//! Search walks all trees at once, best first, by the distance of the query to each
//! split's hyperplane (one priority queue), and collects each item it reaches once until
//! the candidate budget is spent; [`crate::Index`] ranks them, or enters its graph there.

use std::cmp::Ordering;
use std::collections::BinaryHeap;
use std::sync::OnceLock;

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::dataset::Dataset;
use crate::distance::l2_sq;
use crate::error::{Error, Result};
use crate::hyperplane::Direction;
use crate::visited::Visited;

/// Marks a node reference as a leaf index rather than a split index.
pub(crate) const LEAF: u32 = 1 << 31;
/// Items sampled per node to choose its split.
const SAMPLE: usize = 32;
const _: () = assert!(SAMPLE * 255 <= u16::MAX as usize);
/// Two-means steps per split.
const STEPS: usize = 2;
/// Attempts at a separating pair before halving a node at random.
const ATTEMPTS: usize = 3;
/// Largest leaf a forest may have: leaf lengths are stored in 16 bits.
pub const MAX_LEAF_SIZE: usize = u16::MAX as usize;
/// Most trees a forest may have.
pub const MAX_TREES: usize = 1024;

/// How to build a forest: consuming setters, finished by [`Params::build`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Params {
    /// Number of trees.
    pub trees: usize,
    /// Most items in a leaf.
    pub leaf_size: usize,
    /// Seed of the random choices: same data, parameters and seed give the same forest.
    pub seed: u64,
}

impl Default for Params {
    /// The forest the site ships (`ssam build` with no flags): two trees, because the
    /// shipped index only enters its graph from the forest, and every tree is bytes a
    /// visitor downloads.
    fn default() -> Self {
        Params {
            trees: 2,
            leaf_size: 32,
            seed: 1,
        }
    }
}

impl Params {
    /// Sets the number of trees.
    pub fn trees(mut self, trees: usize) -> Self {
        self.trees = trees;
        self
    }

    /// Sets the largest leaf.
    pub fn leaf_size(mut self, leaf_size: usize) -> Self {
        self.leaf_size = leaf_size;
        self
    }

    /// Sets the seed.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Checks the parameters against the engine's limits.
    pub fn validate(&self) -> Result<()> {
        if !(1..=MAX_TREES).contains(&self.trees) {
            return Err(Error::BadParameter {
                name: "trees",
                value: self.trees.to_string(),
                why: format!("choose 1 to {MAX_TREES}"),
            });
        }
        if !(1..=MAX_LEAF_SIZE).contains(&self.leaf_size) {
            return Err(Error::BadParameter {
                name: "leaf size",
                value: self.leaf_size.to_string(),
                why: format!("choose 1 to {MAX_LEAF_SIZE}"),
            });
        }
        Ok(())
    }

    /// Builds the forest over `data`, calling `progress` with the number of trees done
    /// after each tree.
    pub fn build(&self, data: &Dataset, progress: &mut dyn FnMut(usize)) -> Result<Forest> {
        self.validate()?;
        if data.len() >= LEAF as usize {
            return Err(Error::Unsupported {
                what: format!(
                    "{} items are too many for one forest (at most {})",
                    data.len(),
                    LEAF - 1
                ),
            });
        }
        let mut forest = Forest::empty(data, *self);
        let mut builder = Builder::new(data, self.leaf_size);
        for tree in 0..self.trees {
            let mut rng = ChaCha8Rng::seed_from_u64(self.seed);
            rng.set_stream(tree as u64);
            let mut items: Vec<u32> = (0..data.len() as u32).collect();
            let root = builder.grow(&mut forest, &mut items, &mut rng);
            forest.push_tree_end(root);
            progress(tree + 1);
        }
        forest.derive();
        Ok(forest)
    }
}

/// A split node: items whose projection on the direction from `q` to `p` is above
/// `threshold` go to `children[1]`, others to
/// `children[0]`. `p == q` marks a random halving, which says nothing about a query.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Split {
    pub p: u32,
    pub q: u32,
    pub threshold: i32,
    pub children: [u32; 2],
}

/// A split's direction and `1 / |direction|` (0 for random halvings), which turns a
/// projection into a distance to the hyperplane.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Aim {
    pub direction: Direction,
    pub scale: f32,
}

impl Aim {
    fn new(direction: Direction, random: bool) -> Aim {
        let length = direction.length();
        let scale = if random || length == 0.0 {
            0.0
        } else {
            1.0 / length
        };
        Aim { direction, scale }
    }
}

/// Where one tree's nodes end in the forest's arrays, so trees can be dropped from the end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TreeEnd {
    pub root: u32,
    pub splits: u32,
    pub leaves: u32,
}

/// A built or loaded forest. It belongs to the dataset it was built from, identified by
/// its fingerprint; searching it with other data is refused.
#[derive(Debug, Clone)]
pub struct Forest {
    pub(crate) params: Params,
    pub(crate) dim: usize,
    pub(crate) items: usize,
    pub(crate) fingerprint: u64,
    pub(crate) trees: Vec<TreeEnd>,
    pub(crate) splits: Vec<Split>,
    /// Per split, its direction, derived from the data when a search first reaches it:
    /// deriving all of them would cost a loading page a third of a second.
    pub(crate) directions: Vec<OnceLock<Aim>>,
    /// Leaf `i` holds `ids[leaf_starts[i]..leaf_starts[i + 1]]`, sorted.
    pub(crate) leaf_starts: Vec<u32>,
    pub(crate) ids: Vec<u32>,
}

/// Forests are equal when they hold the same trees; what is derived does not count.
impl PartialEq for Forest {
    fn eq(&self, other: &Self) -> bool {
        (self.params, self.dim, self.items, self.fingerprint)
            == (other.params, other.dim, other.items, other.fingerprint)
            && self.trees == other.trees
            && self.splits == other.splits
            && self.leaf_starts == other.leaf_starts
            && self.ids == other.ids
    }
}

impl Forest {
    pub(crate) fn empty(data: &Dataset, params: Params) -> Self {
        Forest {
            params,
            dim: data.dim(),
            items: data.len(),
            fingerprint: data.fingerprint(),
            trees: Vec::new(),
            splits: Vec::new(),
            directions: Vec::new(),
            leaf_starts: vec![0],
            ids: Vec::new(),
        }
    }

    pub(crate) fn push_tree_end(&mut self, root: u32) {
        self.trees.push(TreeEnd {
            root,
            splits: self.splits.len() as u32,
            leaves: self.leaf_count() as u32,
        });
    }

    pub(crate) fn push_leaf(&mut self, ids: &[u32]) -> u32 {
        self.ids.extend_from_slice(ids);
        self.end_leaf()
    }

    /// Closes a leaf holding the ids pushed since the previous leaf.
    pub(crate) fn end_leaf(&mut self) -> u32 {
        let leaf = self.leaf_count() as u32;
        self.leaf_starts.push(self.ids.len() as u32);
        LEAF | leaf
    }

    /// Makes room for what is derived from the data rather than stored; each split's
    /// direction is then computed on first use.
    pub(crate) fn derive(&mut self) {
        self.directions
            .resize_with(self.splits.len(), OnceLock::new);
        self.splits.shrink_to_fit();
        self.directions.shrink_to_fit();
        self.leaf_starts.shrink_to_fit();
        self.ids.shrink_to_fit();
    }

    /// The direction of split `i` and its scale.
    #[inline]
    fn aim(&self, data: &Dataset, i: usize) -> &Aim {
        self.directions[i].get_or_init(|| {
            let s = &self.splits[i];
            Aim::new(
                Direction::between(data.image(s.p as usize), data.image(s.q as usize)),
                s.p == s.q,
            )
        })
    }

    /// The parameters it was built with.
    pub fn params(&self) -> Params {
        self.params
    }

    /// Number of trees.
    pub fn tree_count(&self) -> usize {
        self.trees.len()
    }

    /// Number of items indexed.
    pub fn len(&self) -> usize {
        self.items
    }

    /// True when no item is indexed.
    pub fn is_empty(&self) -> bool {
        self.items == 0
    }

    /// Values per item.
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// Fingerprint of the dataset it was built from.
    pub fn fingerprint(&self) -> u64 {
        self.fingerprint
    }

    /// Number of leaves over all trees.
    pub fn leaf_count(&self) -> usize {
        self.leaf_starts.len() - 1
    }

    /// Number of split nodes over all trees.
    pub fn split_count(&self) -> usize {
        self.splits.len()
    }

    /// Bytes of memory the forest holds (the data it indexes not included).
    pub fn memory_bytes(&self) -> usize {
        use std::mem::size_of;
        self.splits.capacity() * size_of::<Split>()
            + self.directions.capacity() * size_of::<OnceLock<Aim>>()
            + self.leaf_starts.capacity() * size_of::<u32>()
            + self.ids.capacity() * size_of::<u32>()
            + self.trees.capacity() * size_of::<TreeEnd>()
    }

    /// The same forest with only its first `trees` trees (all when it has fewer, one when
    /// asked for none): what building with fewer trees and the same seed would give.
    pub fn truncated(&self, trees: usize) -> Forest {
        let mut f = self.clone();
        // A forest keeps at least one tree: with none, no query would find anything.
        let keep = trees.clamp(1, f.trees.len().max(1));
        if keep < f.trees.len() {
            let end = f.trees[keep - 1];
            f.trees.truncate(keep);
            f.splits.truncate(end.splits as usize);
            f.directions.truncate(end.splits as usize);
            f.leaf_starts.truncate(end.leaves as usize + 1);
            f.ids.truncate(*f.leaf_starts.last().unwrap_or(&0) as usize);
            f.params.trees = keep;
        }
        f.splits.shrink_to_fit();
        f.directions.shrink_to_fit();
        f.leaf_starts.shrink_to_fit();
        f.ids.shrink_to_fit();
        f
    }

    /// Calls `visit` with the ids of every leaf of every tree.
    pub(crate) fn for_each_leaf(&self, mut visit: impl FnMut(&[u32])) {
        for leaf in self.leaf_starts.windows(2) {
            visit(&self.ids[leaf[0] as usize..leaf[1] as usize]);
        }
    }

    /// Walks all trees at once, best first, appending to `pool` the items of each leaf
    /// reached that `visited` has not marked yet (marking them), until `budget` are
    /// pooled. `data` is what the forest was built over (the caller checked it once), and
    /// the query has its dimensions.
    pub(crate) fn candidates(
        &self,
        data: &Dataset,
        query: &[u8],
        budget: usize,
        walk: &mut Walk,
        visited: &mut Visited,
        pool: &mut Vec<u32>,
    ) {
        let heap = &mut walk.queue;
        heap.clear();
        for tree in &self.trees {
            heap.push(Entry {
                priority: f32::INFINITY,
                node: tree.root,
            });
        }
        let mut next = heap.pop();
        while let Some(Entry { priority, node }) = next {
            if node & LEAF != 0 {
                let leaf = (node & !LEAF) as usize;
                let ids =
                    &self.ids[self.leaf_starts[leaf] as usize..self.leaf_starts[leaf + 1] as usize];
                pool.extend(ids.iter().copied().filter(|&id| visited.visit(id)));
                if pool.len() >= budget {
                    break;
                }
                next = heap.pop();
            } else {
                let i = node as usize;
                let s = &self.splits[i];
                let aim = self.aim(data, i);
                // In 64 bits: a threshold read from a file may lie anywhere in i32.
                let m = (i64::from(aim.direction.project(query)) - i64::from(s.threshold)) as f32
                    * aim.scale;
                let (near, far) = if m > 0.0 { (1, 0) } else { (0, 1) };
                heap.push(Entry {
                    priority: priority.min(-m.abs()),
                    node: s.children[far],
                });
                // Going straight on to the near side is what popping the queue would do
                // whenever that side is still the best; it saves a push and a pop.
                let near = Entry {
                    priority: priority.min(m.abs()),
                    node: s.children[near],
                };
                next = match heap.peek() {
                    Some(top) if top.priority > near.priority => {
                        heap.push(near);
                        heap.pop()
                    }
                    _ => Some(near),
                };
            }
        }
    }
}

/// Grows one tree at a time, keeping its buffers between nodes.
struct Builder<'a> {
    data: &'a Dataset,
    leaf_size: usize,
    margins: Vec<i32>,
    sorted: Vec<i32>,
    sides: [Vec<u32>; 2],
    /// Pixel sums of the two groups; 16 bits hold `SAMPLE * 255`.
    sums: [Vec<u16>; 2],
    centres: [Vec<u8>; 2],
    sample: Vec<u32>,
}

impl<'a> Builder<'a> {
    fn new(data: &'a Dataset, leaf_size: usize) -> Self {
        let dim = data.dim();
        Builder {
            data,
            leaf_size,
            margins: Vec::new(),
            sorted: Vec::new(),
            sides: [Vec::new(), Vec::new()],
            sums: [vec![0; dim], vec![0; dim]],
            centres: [vec![0; dim], vec![0; dim]],
            sample: Vec::with_capacity(SAMPLE),
        }
    }

    /// Builds the subtree over `items` (reordered in place) and returns its reference.
    fn grow(&mut self, forest: &mut Forest, items: &mut [u32], rng: &mut ChaCha8Rng) -> u32 {
        if items.len() <= self.leaf_size {
            items.sort_unstable();
            return forest.push_leaf(items);
        }
        let (split, left, direction) = self.split(items, rng);
        let at = forest.splits.len();
        forest.splits.push(split);
        forest
            .directions
            .push(OnceLock::from(Aim::new(direction, split.p == split.q)));
        let (l, r) = items.split_at_mut(left);
        let children = [self.grow(forest, l, rng), self.grow(forest, r, rng)];
        forest.splits[at].children = children;
        at as u32
    }

    /// Chooses a split for `items`, moves the left side to the front, returns the split,
    /// the size of the left side (never 0 nor all) and the split's direction.
    fn split(&mut self, items: &mut [u32], rng: &mut ChaCha8Rng) -> (Split, usize, Direction) {
        let n = items.len();
        for _ in 0..ATTEMPTS {
            let Some((p, q)) = self.pivots(items, rng) else {
                break;
            };
            let (img_p, img_q) = (self.data.image(p as usize), self.data.image(q as usize));
            let direction = Direction::between(img_p, img_q);
            self.margins.clear();
            self.margins.extend(
                items
                    .iter()
                    .map(|&i| direction.project(self.data.image(i as usize))),
            );
            let mut threshold = direction.midpoint(img_p, img_q);
            if smaller_side(&self.margins, threshold) * 20 < n {
                threshold = self.median_threshold();
            }
            if smaller_side(&self.margins, threshold) == 0 {
                continue;
            }
            let left = self.partition(items, threshold);
            return (
                Split {
                    p,
                    q,
                    threshold,
                    children: [0, 0],
                },
                left,
                direction,
            );
        }
        // Nothing separates these items (they are all alike): halve them at random,
        // which keeps the tree finite and its leaves small.
        for i in (1..n).rev() {
            items.swap(i, rng.random_range(0..=i));
        }
        let p = items[0];
        (
            Split {
                p,
                q: p,
                threshold: 0,
                children: [0, 0],
            },
            n / 2,
            Direction::between(&[], &[]),
        )
    }

    /// Of the thresholds just below and at the median margin, the one that splits more
    /// evenly.
    fn median_threshold(&mut self) -> i32 {
        self.sorted.clear();
        self.sorted.extend_from_slice(&self.margins);
        let mid = self.sorted.len() / 2;
        let (_, &mut median, _) = self.sorted.select_nth_unstable(mid);
        let below = median.saturating_sub(1);
        if smaller_side(&self.margins, below) > smaller_side(&self.margins, median) {
            below
        } else {
            median
        }
    }

    /// Stable partition of `items` by `margin > threshold`; returns the left count.
    fn partition(&mut self, items: &mut [u32], threshold: i32) -> usize {
        let [left, right] = &mut self.sides;
        left.clear();
        right.clear();
        for (&item, &m) in items.iter().zip(&self.margins) {
            if m > threshold {
                right.push(item)
            } else {
                left.push(item)
            }
        }
        items[..left.len()].copy_from_slice(left);
        items[left.len()..].copy_from_slice(right);
        left.len()
    }

    /// Two items of the node that stand for its two main groups: a few two-means steps
    /// on a sample, each mean then replaced by the sampled item nearest to it. None when
    /// the sample holds a single distinct image.
    fn pivots(&mut self, items: &[u32], rng: &mut ChaCha8Rng) -> Option<(u32, u32)> {
        let data = self.data;
        self.sample.clear();
        if items.len() <= SAMPLE {
            self.sample.extend_from_slice(items);
        } else {
            self.sample
                .extend((0..SAMPLE).map(|_| items[rng.random_range(0..items.len())]));
        }
        let s = self.sample.len();
        let a = self.sample[rng.random_range(0..s)];
        let start = rng.random_range(0..s);
        let b = (0..s)
            .map(|j| self.sample[(start + j) % s])
            .find(|&b| data.image(b as usize) != data.image(a as usize))?;
        self.centres[0].copy_from_slice(data.image(a as usize));
        self.centres[1].copy_from_slice(data.image(b as usize));
        for _ in 0..STEPS {
            let mut counts = [0u32; 2];
            for sum in &mut self.sums {
                sum.fill(0);
            }
            for &i in &self.sample {
                let x = data.image(i as usize);
                let side = usize::from(l2_sq(x, &self.centres[1]) < l2_sq(x, &self.centres[0]));
                counts[side] += 1;
                for (acc, &v) in self.sums[side].iter_mut().zip(x) {
                    *acc += u16::from(v);
                }
            }
            if counts.contains(&0) {
                break;
            }
            for ((centre, sums), count) in self.centres.iter_mut().zip(&self.sums).zip(counts) {
                // A multiplication, not a division per pixel: this loop is hot when building.
                let inverse = 1.0 / count as f32;
                for (centre, &sum) in centre.iter_mut().zip(sums) {
                    *centre = (f32::from(sum) * inverse + 0.5) as u8;
                }
            }
        }
        let nearest = |centre: &[u8]| {
            self.sample
                .iter()
                .copied()
                .min_by_key(|&i| (l2_sq(data.image(i as usize), centre), i))
                .expect("the sample is not empty")
        };
        let (p, q) = (nearest(&self.centres[0]), nearest(&self.centres[1]));
        if data.image(p as usize) == data.image(q as usize) {
            Some((a, b))
        } else {
            Some((p, q))
        }
    }
}

/// Size of the smaller side when splitting `margins` at `threshold`.
fn smaller_side(margins: &[i32], threshold: i32) -> usize {
    let right = margins.iter().filter(|&&m| m > threshold).count();
    right.min(margins.len() - right)
}

/// The forest stage's state, kept between queries: the queue of nodes to visit.
#[derive(Debug, Default)]
pub(crate) struct Walk {
    queue: BinaryHeap<Entry>,
}

/// A queue entry: a node and the priority it was reached with (larger is better).
#[derive(Debug, Clone, Copy)]
struct Entry {
    priority: f32,
    node: u32,
}

impl PartialEq for Entry {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for Entry {}
impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Entry {
    fn cmp(&self, other: &Self) -> Ordering {
        // Ties go to the smaller node reference, so search order never depends on the
        // heap's internals.
        self.priority
            .total_cmp(&other.priority)
            .then_with(|| other.node.cmp(&self.node))
    }
}
