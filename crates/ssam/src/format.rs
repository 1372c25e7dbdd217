//! The index file: an [`Index`]'s forest and graph as versioned, checksummed bytes, and
//! back.
//!
//! ```text
//! offset  size  field
//!      0    28  the envelope (crate::envelope): magic "SSAMIDX\0", format version,
//!               xxh3-64 of the length and the body, length of the body; numbers are
//!               little-endian, here as there
//!     28     4  rows              32  4  columns       36  4  items
//!     40     8  fingerprint of the original images
//!     48     4  space (tag and parameters, see crate::space)
//!     52     4  trees             56  4  leaf size     60  8  seed
//!     68     4  split nodes       72  4  leaves        76  1  id width (2 or 4 bytes)
//!     77        trees, one after the other, nodes in pre-order:
//!               0, p, q, threshold (i32)       a split, its left then right subtree
//!               1, n (u16), n sorted ids        a leaf
//!               then the graph:
//!               0                               none
//!               1, degree cap (u8), root id, then per item: n (u8), n neighbour ids
//!               in increasing order, each written as its gap from the one before
//!               then, in version 3 only, the compact codes' projection:
//!               code bytes d (u16), weights (f32, d per searched value), offsets
//!               (f32, d); the codes themselves are derived from the images on reading
//! ```
//!
//! An index without codes is written as version 2, byte for byte what earlier builds
//! wrote, so that the shipped file and its readers stay as they were.
//!
//! A split costs 9 bytes and an item 2 per tree for MNIST, and 2 per edge; the file is
//! shipped gzipped. Reading checks, in order: the envelope (magic, version, length,
//! checksum), that the file was made for these images, and then that every tree holds
//! each item exactly once and that every graph edge points at another item, under the
//! degree cap, so a file that passes is safe to search.

use std::io::Write;

use flate2::{Compression, write::GzEncoder};
use xxhash_rust::xxh3::xxh3_64;

use crate::codes;
use crate::dataset::Dataset;
use crate::envelope::{Envelope, FileKind};
use crate::error::{Error, Result};
use crate::forest::{Forest, LEAF, MAX_LEAF_SIZE, Params, Split};
use crate::graph::{Graph, MAX_DEGREE};
use crate::gzip::{self, Declared, Limit};
use crate::index::{self, Index};
use crate::reader::Reader;
use crate::space::Space;

/// First bytes of every index file.
pub const MAGIC: [u8; 8] = *b"SSAMIDX\0";
/// The newest format version this build writes and reads: 3 adds compact codes.
pub const VERSION: u32 = 3;
/// The version of a file without codes; this build reads it too.
const VERSION_WITHOUT_CODES: u32 = 2;
/// The header of an index file (see crate::envelope): its checksum covers the length.
const ENVELOPE: Envelope = Envelope {
    kind: FileKind::Index,
    magic: MAGIC,
    versions: &[VERSION_WITHOUT_CODES, VERSION],
    sums_length: true,
};
const TAG_SPLIT: u8 = 0;
const TAG_LEAF: u8 = 1;
const NO_GRAPH: u8 = 0;
const GRAPH: u8 = 1;

/// The checksum the header holds of the bytes after it.
pub fn checksum(bytes: &[u8]) -> u64 {
    xxh3_64(bytes)
}

/// The index as raw bytes.
pub fn to_bytes(index: &Index) -> Vec<u8> {
    let forest = index.forest();
    let wide = forest.items > 1 << 16;
    let id_width: u8 = if wide { 4 } else { 2 };
    let mut body = Vec::with_capacity(
        forest.ids.len() * usize::from(id_width) + forest.splits.len() * 10 + 64,
    );
    put_header(&mut body, index, id_width);
    for tree in &forest.trees {
        put_tree(&mut body, forest, tree.root, wide);
    }
    match index.graph() {
        None => body.push(NO_GRAPH),
        Some(graph) => put_graph(&mut body, graph, wide),
    }
    let version = match index.codes() {
        None => VERSION_WITHOUT_CODES,
        Some(codes) => {
            body.extend_from_slice(&(codes.dim() as u16).to_le_bytes());
            for v in codes.weights().iter().chain(codes.offsets()) {
                body.extend_from_slice(&v.to_le_bytes());
            }
            VERSION
        }
    };
    ENVELOPE.seal(version, &body)
}

/// The fields before the trees: the images', the space, the forest's parameters and
/// counts, and the width of an id.
fn put_header(body: &mut Vec<u8>, index: &Index, id_width: u8) {
    let forest = index.forest();
    let originals = index.originals();
    let p = forest.params;
    for v in [
        originals.rows() as u32,
        originals.cols() as u32,
        originals.len() as u32,
    ] {
        body.extend_from_slice(&v.to_le_bytes());
    }
    body.extend_from_slice(&originals.fingerprint().to_le_bytes());
    body.extend_from_slice(&index.space().to_bytes());
    for v in [p.trees as u32, p.leaf_size as u32] {
        body.extend_from_slice(&v.to_le_bytes());
    }
    body.extend_from_slice(&p.seed.to_le_bytes());
    body.extend_from_slice(&(forest.splits.len() as u32).to_le_bytes());
    body.extend_from_slice(&(forest.leaf_count() as u32).to_le_bytes());
    body.push(id_width);
}

/// An id in 4 bytes when there are more items than 2 bytes count (`wide`), else in 2.
fn put_id(body: &mut Vec<u8>, wide: bool, id: u32) {
    if wide {
        body.extend_from_slice(&id.to_le_bytes())
    } else {
        body.extend_from_slice(&(id as u16).to_le_bytes())
    }
}

/// The tree whose root is `root`, nodes in pre-order.
fn put_tree(body: &mut Vec<u8>, forest: &Forest, root: u32, wide: bool) {
    let mut stack = vec![root];
    while let Some(node) = stack.pop() {
        if node & LEAF != 0 {
            let leaf = (node & !LEAF) as usize;
            let ids = &forest.ids
                [forest.leaf_starts[leaf] as usize..forest.leaf_starts[leaf + 1] as usize];
            body.push(TAG_LEAF);
            body.extend_from_slice(&(ids.len() as u16).to_le_bytes());
            for &id in ids {
                put_id(body, wide, id);
            }
        } else {
            let s = forest.splits[node as usize];
            body.push(TAG_SPLIT);
            put_id(body, wide, s.p);
            put_id(body, wide, s.q);
            body.extend_from_slice(&s.threshold.to_le_bytes());
            stack.push(s.children[1]);
            stack.push(s.children[0]);
        }
    }
}

/// The graph: its tag, degree cap and root, then every item's neighbours.
fn put_graph(body: &mut Vec<u8>, graph: &Graph, wide: bool) {
    body.push(GRAPH);
    body.push(graph.degree() as u8);
    put_id(body, wide, graph.root());
    for i in 0..graph.len() {
        let ids = graph.neighbors(i);
        body.push(ids.len() as u8);
        // Gaps between sorted ids: their high bytes are mostly small, which
        // gzip stores in a few bits (a fifth off the shipped file).
        let mut previous = 0;
        for &id in ids {
            put_id(body, wide, id - previous);
            previous = id;
        }
    }
}

/// The index as gzipped bytes, the form the app ships.
pub fn to_gzip(index: &Index) -> Vec<u8> {
    let mut enc = GzEncoder::new(Vec::new(), Compression::best());
    enc.write_all(&to_bytes(index))
        .expect("writing to memory cannot fail");
    enc.finish().expect("writing to memory cannot fail")
}

/// What an index file's header declares: its whole size, once the length field is in;
/// [`Declared::Unknown`] for bytes that are not an index. An inflater given this stops
/// an index file at the size it declares ([`limit`]).
pub fn declared(head: &[u8]) -> Declared {
    ENVELOPE.declared(head, Declared::Unknown)
}

/// The limit an index file is read within: the size its header declares, and at most
/// `most` bytes.
pub fn limit(most: u64) -> Limit {
    Limit::at_most(most).declared_by(declared)
}

/// Reads index bytes (gzipped or raw) built for the images `originals`, and puts the
/// index together with them. `file` names the source in errors.
pub fn from_bytes(file: &str, bytes: &[u8], originals: Dataset) -> Result<Index> {
    let raw = gzip::gunzip(file, bytes, limit(gzip::MAX_BYTES))?;
    let (version, reader) = ENVELOPE.open(file, &raw)?;
    reader.index(version, originals)
}

/// What the header says of the forest's size, checked against the items before
/// anything is allocated from it.
struct Counts {
    splits: usize,
    leaves: usize,
    id_width: u8,
}

impl Reader<'_> {
    fn index(mut self, version: u32, originals: Dataset) -> Result<Index> {
        self.made_for(&originals)?;
        let space = self.space()?;
        let params = self.params()?;
        let counts = self.counts(params.trees, originals.len())?;
        // The forest and graph index the images as the space shows them: derived only now,
        // after the cheap checks, since it is the dearest step of loading.
        let transformed = index::transform(&originals, space)?;
        let data = transformed.as_ref().unwrap_or(&originals);
        let forest = self.forest(data, params, &counts)?;
        let graph = match self.u8("graph tag")? {
            NO_GRAPH => None,
            GRAPH => Some(self.graph(data)?),
            tag => {
                return Err(self.corrupt(format!(
                    "graph tag {tag} at byte {} is neither 0 nor 1",
                    self.at - 1
                )));
            }
        };
        let projection = if version == VERSION {
            Some(self.projection(data.dim())?)
        } else {
            None
        };
        if self.at != self.bytes.len() {
            return Err(self.corrupt(format!(
                "{} bytes after the {}",
                self.bytes.len() - self.at,
                if projection.is_some() {
                    "codes"
                } else {
                    "graph"
                }
            )));
        }
        let index = Index::from_parts(originals, space, transformed, forest, graph)?;
        match projection {
            None => Ok(index),
            Some((dim, weights, offsets)) => index
                .with_stored_codes(dim, weights, offsets)
                .map_err(|e| self.corrupt(format!("codes: {e}"))),
        }
    }

    /// Reads the images' shape, count and fingerprint: the file must have been made for
    /// `originals`.
    fn made_for(&mut self, originals: &Dataset) -> Result<()> {
        let rows = self.u32("rows")? as usize;
        let cols = self.u32("columns")? as usize;
        let items = self.u32("item count")? as usize;
        let fingerprint = self.u64("dataset fingerprint")?;
        if fingerprint != originals.fingerprint()
            || items != originals.len()
            || (rows, cols) != (originals.rows(), originals.cols())
        {
            return Err(Error::DatasetMismatch {
                file: self.file.to_owned(),
                index: fingerprint,
                index_items: items,
                index_dim: rows * cols,
                data: originals.fingerprint(),
                data_items: originals.len(),
                data_dim: originals.dim(),
            });
        }
        Ok(())
    }

    /// Reads the space the index searches in.
    fn space(&mut self) -> Result<Space> {
        let space_bytes: [u8; 4] = self.take(4, "space")?.try_into().expect("4 bytes");
        Space::from_bytes(space_bytes)
            .map_err(|e| self.corrupt(format!("built for a space this build does not know ({e})")))
    }

    /// Reads the forest's parameters, valid ones.
    fn params(&mut self) -> Result<Params> {
        let trees = self.u32("tree count")? as usize;
        let leaf_size = self.u32("leaf size")? as usize;
        let seed = self.u64("seed")?;
        let params = Params {
            trees,
            leaf_size,
            seed,
        };
        params
            .validate()
            .map_err(|e| self.corrupt(format!("parameters: {e}")))?;
        Ok(params)
    }

    /// Reads the counts of splits and leaves and the width of an id, for `trees` trees
    /// of `items` items.
    fn counts(&mut self, trees: usize, items: usize) -> Result<Counts> {
        let split_count = self.u32("split count")? as usize;
        let leaf_count = self.u32("leaf count")? as usize;
        let id_width = self.u8("id width")?;
        if id_width != 2 && id_width != 4 || (id_width == 2) != (items <= 1 << 16) {
            return Err(self.corrupt(format!("id width {id_width} does not fit {items} items")));
        }
        // Every item is in exactly one leaf of every tree: this bounds every count below
        // before anything is allocated from it.
        let slots = trees as u64 * items as u64;
        let least = slots * u64::from(id_width);
        let remaining = (self.bytes.len() - self.at) as u64;
        if split_count as u64 > slots || leaf_count as u64 > slots || least > remaining {
            return Err(self.corrupt(format!(
                "{split_count} splits and {leaf_count} leaves for {trees} trees of {items} items in {remaining} bytes"
            )));
        }
        Ok(Counts {
            splits: split_count,
            leaves: leaf_count,
            id_width,
        })
    }

    /// Reads the trees over `data`: each holds every item once, and all of them as many
    /// splits and leaves as the header said.
    fn forest(&mut self, data: &Dataset, params: Params, counts: &Counts) -> Result<Forest> {
        let (trees, items) = (params.trees, data.len());
        let (split_count, leaf_count) = (counts.splits, counts.leaves);
        let mut forest = Forest::empty(data, params);
        forest.splits.reserve_exact(split_count);
        forest.leaf_starts.reserve_exact(leaf_count);
        forest.ids.reserve_exact(trees * items);
        let mut seen = vec![u32::MAX; items];
        for tree in 0..trees {
            let root = self.tree(&mut forest, tree, counts.id_width, &mut seen)?;
            if forest.ids.len() != (tree + 1) * items {
                return Err(self.corrupt(format!(
                    "tree {tree} holds {} items, not {items}",
                    forest.ids.len() - tree * items
                )));
            }
            forest.push_tree_end(root);
        }
        if forest.splits.len() != split_count || forest.leaf_count() != leaf_count {
            return Err(self.corrupt(format!(
                "{} splits and {} leaves, the header says {split_count} and {leaf_count}",
                forest.splits.len(),
                forest.leaf_count()
            )));
        }
        forest.derive();
        Ok(forest)
    }

    /// Reads the codes' projection for vectors of `input` values: its length, weights
    /// and offsets, every one a finite number.
    fn projection(&mut self, input: usize) -> Result<(usize, Vec<f32>, Vec<f32>)> {
        let dim = usize::from(self.u16("code length")?);
        if !(1..=codes::MAX_DIM.min(input)).contains(&dim) {
            return Err(self.corrupt(format!(
                "codes of {dim} bytes for vectors of {input} values"
            )));
        }
        let weights = self.floats(input * dim, "code weights")?;
        let offsets = self.floats(dim, "code offsets")?;
        Ok((dim, weights, offsets))
    }

    /// `count` little-endian `f32`s, every one finite.
    fn floats(&mut self, count: usize, what: &str) -> Result<Vec<f32>> {
        let values: Vec<f32> = self
            .take(count * 4, what)?
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes(b.try_into().expect("4 bytes")))
            .collect();
        match values.iter().position(|v| !v.is_finite()) {
            None => Ok(values),
            Some(at) => Err(self.corrupt(format!("{what}: value {at} is not a finite number"))),
        }
    }

    /// Reads the graph: every list under the degree cap, every id another item's.
    fn graph(&mut self, data: &Dataset) -> Result<Graph> {
        let items = data.len();
        let wide = items > 1 << 16;
        let degree = usize::from(self.u8("graph degree")?);
        if degree == 0 || degree > MAX_DEGREE {
            return Err(self.corrupt(format!("graph degree cap {degree}")));
        }
        let least = items as u64;
        let remaining = (self.bytes.len() - self.at) as u64;
        if least > remaining {
            return Err(Error::Truncated {
                file: self.file.to_owned(),
                what: format!(
                    "a graph of {items} items needs at least {least} bytes, {remaining} remain"
                ),
            });
        }
        let root = if wide {
            self.u32("graph root")?
        } else {
            u32::from(self.u16("graph root")?)
        };
        if root as usize >= items {
            return Err(self.corrupt(format!("graph root {root} is not below {items}")));
        }
        let mut graph = Graph::empty(items, degree, data.fingerprint(), root);
        let mut ids = Vec::with_capacity(degree);
        for i in 0..items {
            let n = usize::from(self.u8("graph degree of an item")?);
            if n > degree {
                return Err(self.corrupt(format!(
                    "item {i} has {n} graph neighbours, over the cap of {degree}"
                )));
            }
            ids.clear();
            let mut previous = 0u64;
            for slot in 0..n {
                let gap = if wide {
                    self.u32("graph neighbour")?
                } else {
                    u32::from(self.u16("graph neighbour")?)
                };
                let v = previous + u64::from(gap);
                if v >= items as u64 || v as usize == i || (slot > 0 && gap == 0) {
                    return Err(self.corrupt(format!(
                        "graph neighbour {v} of item {i} at byte {} is not another of the {items} items, after {previous}",
                        self.at - if wide { 4 } else { 2 }
                    )));
                }
                ids.push(v as u32);
                previous = v;
            }
            graph.set(i, &ids);
        }
        Ok(graph)
    }

    /// Reads one tree in pre-order without recursion, so no input can exhaust the stack.
    fn tree(
        &mut self,
        forest: &mut Forest,
        tree: usize,
        id_width: u8,
        seen: &mut [u32],
    ) -> Result<u32> {
        // Splits whose children are still being read, with how many are done.
        let mut open: Vec<(usize, usize)> = Vec::new();
        loop {
            let mut done = match self.u8("node tag")? {
                TAG_SPLIT => {
                    self.split(forest, tree, id_width, seen.len())?;
                    open.push((forest.splits.len() - 1, 0));
                    continue;
                }
                TAG_LEAF => self.leaf(forest, tree, id_width, seen)?,
                tag => {
                    return Err(self.corrupt(format!(
                        "node tag {tag} at byte {} is neither split nor leaf",
                        self.at - 1
                    )));
                }
            };
            // Hand the finished subtree to its parent; a parent with both children is
            // finished in turn.
            loop {
                let Some((split, filled)) = open.last_mut() else {
                    return Ok(done);
                };
                forest.splits[*split].children[*filled] = done;
                *filled += 1;
                if *filled < 2 {
                    break;
                }
                done = *split as u32;
                open.pop();
            }
        }
    }

    /// Reads a split of tree `tree` (its children come next) and adds it to `forest`.
    fn split(
        &mut self,
        forest: &mut Forest,
        tree: usize,
        id_width: u8,
        items: usize,
    ) -> Result<()> {
        let p = self.id("split item", id_width, items)?;
        let q = self.id("split item", id_width, items)?;
        let threshold = self.u32("split threshold")? as i32;
        if forest.splits.len() >= (tree + 1) * items {
            return Err(self.corrupt(format!("tree {tree} has more splits than items")));
        }
        forest.splits.push(Split {
            p,
            q,
            threshold,
            children: [0, 0],
        });
        Ok(())
    }

    /// Reads a leaf of tree `tree`: sorted items, none `seen` before in this tree. Adds
    /// it to `forest` and returns its node.
    fn leaf(
        &mut self,
        forest: &mut Forest,
        tree: usize,
        id_width: u8,
        seen: &mut [u32],
    ) -> Result<u32> {
        let n = usize::from(self.u16("leaf length")?);
        if n == 0 || n > forest.params.leaf_size.min(MAX_LEAF_SIZE) {
            return Err(self.corrupt(format!(
                "a leaf of {n} items (leaf size {})",
                forest.params.leaf_size
            )));
        }
        let start = forest.ids.len();
        for _ in 0..n {
            let v = self.id("leaf item", id_width, seen.len())?;
            if seen[v as usize] == tree as u32 {
                return Err(self.corrupt(format!("item {v} is twice in tree {tree}")));
            }
            seen[v as usize] = tree as u32;
            forest.ids.push(v);
        }
        if !forest.ids[start..].is_sorted() {
            return Err(self.corrupt(format!("leaf ending at byte {} is not sorted", self.at)));
        }
        Ok(forest.end_leaf())
    }

    /// Reads an id `id_width` bytes wide, of one of `items` items.
    fn id(&mut self, what: &str, id_width: u8, items: usize) -> Result<u32> {
        let v = if id_width == 2 {
            u32::from(self.u16(what)?)
        } else {
            self.u32(what)?
        };
        if v as usize >= items {
            return Err(self.corrupt(format!(
                "{what} {v} at byte {} is not below {items}",
                self.at - usize::from(id_width)
            )));
        }
        Ok(v)
    }
}
