//! The index file: a forest as versioned, checksummed bytes, and back.
//!
//! ```text
//! offset  size  field
//!      0     8  magic "SSAMIDX\0"
//!      8     4  format version (u32, little-endian like every number here)
//!     12     8  xxh3-64 checksum of every byte after this field
//!     20     8  length of everything after this field
//!     28     4  dimensions        32  4  items         36  4  trees
//!     40     4  leaf size         44  8  seed          52  8  dataset fingerprint
//!     60     4  split nodes       64  4  leaves        68  1  id width (2 or 4 bytes)
//!     69        trees, one after the other, nodes in pre-order:
//!               0, p, q, threshold (i32)       a split, its left then right subtree
//!               1, n (u16), n sorted ids        a leaf
//! ```
//!
//! A split costs 9 bytes and an item 2 per tree for MNIST; the file is shipped gzipped.
//! Reading checks, in order: magic, version, length, checksum, dataset, and then that
//! every tree holds each item exactly once, so a file that passes is safe to search.

use std::io::Write;

use flate2::{Compression, write::GzEncoder};
use xxhash_rust::xxh3::xxh3_64;

use crate::dataset::Dataset;
use crate::error::{Error, Result};
use crate::forest::{Forest, LEAF, MAX_LEAF_SIZE, Params, Split};
use crate::idx;

/// First bytes of every index file.
pub const MAGIC: [u8; 8] = *b"SSAMIDX\0";
/// The format version this build writes and reads.
pub const VERSION: u32 = 1;
const TAG_SPLIT: u8 = 0;
const TAG_LEAF: u8 = 1;

/// The checksum the header holds of the bytes after it.
pub fn checksum(bytes: &[u8]) -> u64 {
    xxh3_64(bytes)
}

/// The forest as raw index bytes.
pub fn to_bytes(forest: &Forest) -> Vec<u8> {
    let wide = forest.items > 1 << 16;
    let id_width: u8 = if wide { 4 } else { 2 };
    let mut body = Vec::with_capacity(
        forest.ids.len() * usize::from(id_width) + forest.splits.len() * 10 + 64,
    );
    let p = forest.params;
    for v in [
        forest.dim as u32,
        forest.items as u32,
        p.trees as u32,
        p.leaf_size as u32,
    ] {
        body.extend_from_slice(&v.to_le_bytes());
    }
    body.extend_from_slice(&p.seed.to_le_bytes());
    body.extend_from_slice(&forest.fingerprint.to_le_bytes());
    body.extend_from_slice(&(forest.splits.len() as u32).to_le_bytes());
    body.extend_from_slice(&(forest.leaf_count() as u32).to_le_bytes());
    body.push(id_width);
    let put_id = |body: &mut Vec<u8>, id: u32| {
        if wide {
            body.extend_from_slice(&id.to_le_bytes())
        } else {
            body.extend_from_slice(&(id as u16).to_le_bytes())
        }
    };
    for tree in &forest.trees {
        let mut stack = vec![tree.root];
        while let Some(node) = stack.pop() {
            if node & LEAF != 0 {
                let leaf = (node & !LEAF) as usize;
                let ids = &forest.ids
                    [forest.leaf_starts[leaf] as usize..forest.leaf_starts[leaf + 1] as usize];
                body.push(TAG_LEAF);
                body.extend_from_slice(&(ids.len() as u16).to_le_bytes());
                for &id in ids {
                    put_id(&mut body, id);
                }
            } else {
                let s = forest.splits[node as usize];
                body.push(TAG_SPLIT);
                put_id(&mut body, s.p);
                put_id(&mut body, s.q);
                body.extend_from_slice(&s.threshold.to_le_bytes());
                stack.push(s.children[1]);
                stack.push(s.children[0]);
            }
        }
    }
    let mut out = Vec::with_capacity(body.len() + 28);
    out.extend_from_slice(&MAGIC);
    out.extend_from_slice(&VERSION.to_le_bytes());
    let mut rest = (body.len() as u64).to_le_bytes().to_vec();
    rest.extend_from_slice(&body);
    out.extend_from_slice(&checksum(&rest).to_le_bytes());
    out.extend_from_slice(&rest);
    out
}

/// The forest as gzipped index bytes, the form the app ships.
pub fn to_gzip(forest: &Forest) -> Vec<u8> {
    let mut enc = GzEncoder::new(Vec::new(), Compression::best());
    enc.write_all(&to_bytes(forest))
        .expect("writing to memory cannot fail");
    enc.finish().expect("writing to memory cannot fail")
}

/// Reads index bytes (gzipped or raw) built for `data`. `file` names the source in errors.
pub fn from_bytes(file: &str, bytes: &[u8], data: &Dataset) -> Result<Forest> {
    let raw = idx::gunzip(file, bytes)?;
    Reader {
        file,
        bytes: &raw,
        at: 0,
    }
    .forest(data)
}

/// A cursor over index bytes that turns every shortfall into an error naming the file.
struct Reader<'a> {
    file: &'a str,
    bytes: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn take(&mut self, n: usize, what: &str) -> Result<&[u8]> {
        let end = self
            .at
            .checked_add(n)
            .filter(|&e| e <= self.bytes.len())
            .ok_or_else(|| Error::Truncated {
                file: self.file.to_owned(),
                what: format!(
                    "{what} at byte {} needs {n} bytes, {} remain",
                    self.at,
                    self.bytes.len() - self.at
                ),
            })?;
        let s = &self.bytes[self.at..end];
        self.at = end;
        Ok(s)
    }

    fn u8(&mut self, what: &str) -> Result<u8> {
        Ok(self.take(1, what)?[0])
    }

    fn u16(&mut self, what: &str) -> Result<u16> {
        Ok(u16::from_le_bytes(
            self.take(2, what)?.try_into().expect("2 bytes"),
        ))
    }

    fn u32(&mut self, what: &str) -> Result<u32> {
        Ok(u32::from_le_bytes(
            self.take(4, what)?.try_into().expect("4 bytes"),
        ))
    }

    fn u64(&mut self, what: &str) -> Result<u64> {
        Ok(u64::from_le_bytes(
            self.take(8, what)?.try_into().expect("8 bytes"),
        ))
    }

    fn corrupt(&self, what: String) -> Error {
        Error::Corrupt {
            file: self.file.to_owned(),
            what,
        }
    }

    fn forest(mut self, data: &Dataset) -> Result<Forest> {
        let file = self.file.to_owned();
        if !self.bytes.starts_with(&MAGIC) {
            return Err(Error::NotAnIndex { file });
        }
        self.at = MAGIC.len();
        let version = self.u32("format version")?;
        if version != VERSION {
            return Err(Error::UnsupportedVersion {
                file,
                found: version,
                supported: VERSION,
            });
        }
        let expected = self.u64("checksum")?;
        let rest = &self.bytes[self.at..];
        let length = self.u64("length")?;
        let found = self.bytes.len() - self.at;
        if (found as u64) < length {
            return Err(Error::Truncated {
                file,
                what: format!("header says {length} bytes follow, {found} do"),
            });
        }
        if found as u64 > length {
            return Err(self.corrupt(format!(
                "{} bytes after the {length} the header announces",
                found as u64 - length
            )));
        }
        let actual = checksum(rest);
        if actual != expected {
            return Err(Error::Checksum {
                file,
                expected,
                found: actual,
            });
        }
        let dim = self.u32("dimensions")? as usize;
        let items = self.u32("item count")? as usize;
        let trees = self.u32("tree count")? as usize;
        let leaf_size = self.u32("leaf size")? as usize;
        let seed = self.u64("seed")?;
        let fingerprint = self.u64("dataset fingerprint")?;
        if fingerprint != data.fingerprint() || items != data.len() || dim != data.dim() {
            return Err(Error::DatasetMismatch {
                file,
                index: fingerprint,
                index_items: items,
                index_dim: dim,
                data: data.fingerprint(),
                data_items: data.len(),
                data_dim: data.dim(),
            });
        }
        let params = Params {
            trees,
            leaf_size,
            seed,
        };
        params
            .validate()
            .map_err(|e| self.corrupt(format!("parameters: {e}")))?;
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
        let mut forest = Forest::empty(data, params);
        forest.splits.reserve_exact(split_count);
        forest.leaf_starts.reserve_exact(leaf_count);
        forest.ids.reserve_exact(trees * items);
        let mut seen = vec![u32::MAX; items];
        for tree in 0..trees {
            let root = self.tree(&mut forest, tree, id_width, &mut seen)?;
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
        if self.at != self.bytes.len() {
            return Err(self.corrupt(format!(
                "{} bytes after the last tree",
                self.bytes.len() - self.at
            )));
        }
        forest.derive();
        Ok(forest)
    }

    /// Reads one tree in pre-order without recursion, so no input can exhaust the stack.
    fn tree(
        &mut self,
        forest: &mut Forest,
        tree: usize,
        id_width: u8,
        seen: &mut [u32],
    ) -> Result<u32> {
        let items = seen.len();
        let id = |r: &mut Self, what: &str| -> Result<u32> {
            let v = if id_width == 2 {
                u32::from(r.u16(what)?)
            } else {
                r.u32(what)?
            };
            if v as usize >= items {
                return Err(r.corrupt(format!(
                    "{what} {v} at byte {} is not below {items}",
                    r.at - usize::from(id_width)
                )));
            }
            Ok(v)
        };
        // Splits whose children are still being read, with how many are done.
        let mut open: Vec<(usize, usize)> = Vec::new();
        loop {
            let mut done = match self.u8("node tag")? {
                TAG_SPLIT => {
                    let p = id(self, "split item")?;
                    let q = id(self, "split item")?;
                    let threshold = self.u32("split threshold")? as i32;
                    if forest.splits.len() >= (tree + 1) * items {
                        return Err(self.corrupt(format!("tree {tree} has more splits than items")));
                    }
                    open.push((forest.splits.len(), 0));
                    forest.splits.push(Split {
                        p,
                        q,
                        threshold,
                        children: [0, 0],
                    });
                    continue;
                }
                TAG_LEAF => {
                    let n = usize::from(self.u16("leaf length")?);
                    if n == 0 || n > forest.params.leaf_size.min(MAX_LEAF_SIZE) {
                        return Err(self.corrupt(format!(
                            "a leaf of {n} items (leaf size {})",
                            forest.params.leaf_size
                        )));
                    }
                    let start = forest.ids.len();
                    for _ in 0..n {
                        let v = id(self, "leaf item")?;
                        if seen[v as usize] == tree as u32 {
                            return Err(self.corrupt(format!("item {v} is twice in tree {tree}")));
                        }
                        seen[v as usize] = tree as u32;
                        forest.ids.push(v);
                    }
                    if !forest.ids[start..].is_sorted() {
                        return Err(
                            self.corrupt(format!("leaf ending at byte {} is not sorted", self.at))
                        );
                    }
                    forest.end_leaf()
                }
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
}
