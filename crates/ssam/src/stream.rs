//! The streamed layout: a set of images and its router as files a client reads in small
//! parts, by HTTP range requests from any static host, instead of downloading them whole.
//!
//! A layout is a small **root** file, fetched whole, and **data files** of blocks, each
//! block compressed on its own (HTTP compression does not apply to range responses) and
//! checked on arrival against the checksum the root holds for it:
//!
//! ```text
//! root (gzip of):
//!   the envelope (see crate::envelope): magic "SSAMSTR\0", format version (u32),
//!   xxh3-64 of the body (u64), length of the body (u64), then the body:
//!   rows (u16), columns (u16), items (u32), fingerprint of the images in id order (u64),
//!   space (4 bytes, see crate::space), labelled (u8: 0 or 1)
//!   files (u16), each: name length (u8), name (UTF-8, beside the root), size (u64)
//!   blocks (u32), each: file (u16), offset (u64), length (u32), xxh3-64 of its bytes
//!   (u64), items (u32), kind (u8: 0 cell, 1 router)
//!   top (u8): 0 a table: items per block (u32); block j holds ids j*per .. (j+1)*per
//!             1 routed: dim (u16), n (u32), n child blocks (u32), n centroids (dim bytes)
//! cell block (gzip of):   n (u32), n ids (u32), n labels (u8), n images (rows x cols)
//! router block (gzip of): n (u32), n child cell blocks (u32), n centroids (dim bytes)
//! ```
//!
//! Format 5, a **coded** layout, for sets too large for cells of images: the root holds
//! compact codes' projection (see crate::codes) right after the labelled flag, code
//! length r (u16), bytes of each code a cell keeps c (u16, at most r), weights (dim x r
//! f32), offsets (r f32); a cell holds the first c bytes of its items' codes instead of
//! images, and each item's id and image are a **picture** of its own (see `picture`) in
//! further data files, in cell order, so that a query fetches the few it measures
//! exactly. Its blocks are all cells, and its top is every cell's centroid as a code,
//! which a query scores without fetching anything; the root's codes may be longer than
//! the cells' (it comes once a visit, and a query routed by longer codes needs fewer
//! cells). A cell's codes are kept as their differences from its centroid's, direction
//! by direction, entropy coded, in about two thirds of the bytes deflate gives the codes
//! themselves:
//!
//! ```text
//! top (u8): 2 coded: one centroid code (r bytes) a block, in block order
//! coded cell (gzip of): n (u32), n labels (u8),
//!                       picture file (u16), offset of the first picture (u64),
//!                       n picture lengths' low bytes, then their n high bytes,
//!                       c spreads (u16), w (u32), w words (u32): the differences of
//!                       every item's code from the cell's centroid code (mod 256),
//!                       direction after direction, coded (see `differences`)
//! ```
//!
//! Format 4 deflated the differences instead, format 3 held each item's id and its code
//! whole in the cell, and format 2 routed cells through router blocks, a round trip more
//! a query; all are refused with a word to rebuild.
//!
//! A routed layout is a k-means tree in the searched space (what FLANN's hierarchical
//! k-means and SPANN's posting lists do): the root's centroids lead to cells, or, for a
//! large set, to router blocks whose centroids lead to cells; a query fetches the root
//! once, then the cells (and routers) nearest to it. A table layout (the test digits) is
//! cut in id order, so that one digit costs one block. Data files are named by their
//! content hash and never change: a deploy writes new ones and a new root, so a root and
//! its blocks come from one build, or a block's checksum says they do not.
//!
//! Cells hold the original images, not the searched vectors: the client derives those
//! (the space is cheap next to a download), which makes a cell about a third smaller.

mod differences;
mod kmeans;
mod picture;
pub mod ranges;
mod search;
mod write;

pub use search::{Blocks, Found, Plan, Probes, StreamScratch, Streamed};
pub use write::{WriteParams, Written, write};

use crate::codes::Codes;
use crate::dataset::Dataset;
use crate::envelope::{Envelope, FileKind};
use crate::error::{Error, Result};
use crate::gzip::{self, Declared, Limit};
use crate::reader::Reader;
use crate::space::Space;
use xxhash_rust::xxh3::xxh3_64;

/// First bytes of every root.
pub const MAGIC: [u8; 8] = *b"SSAMSTR\0";
/// The format version of layouts whose cells hold images; this build writes and reads it.
pub const VERSION: u32 = 1;
/// The format version of coded layouts (codes in cells as differences from their
/// centroid's, ids and images apart as pictures, cells routed by their centroids' codes
/// in the root); this build writes and reads it too.
pub const VERSION_CODED: u32 = 5;
/// Largest data file written: common static hosts refuse larger files (Cloudflare Pages
/// takes 25 MiB a file).
pub const MAX_FILE_BYTES: u64 = 24 << 20;
/// Largest block read: far above any block written, small enough that a hostile root
/// cannot make a client allocate much.
pub const MAX_BLOCK_BYTES: u32 = 16 << 20;
/// Largest block unpacked: a cell of 65,536 MNIST digits would fit.
pub const MAX_UNPACKED_BLOCK: u64 = 64 << 20;
/// Largest set put together whole ([`Layout::assemble`]).
pub const MAX_ASSEMBLED: u64 = 1 << 30;
/// Largest root read, inflated.
pub const MAX_ROOT_BYTES: u64 = 64 << 20;
/// Blocks closer than this in one file are fetched by one range: a gap costs less than
/// a round trip.
pub const MERGE_GAP: u64 = 16 << 10;
/// What one more range of a request costs in the headers of its part of the answer
/// (about 120 bytes from nginx): a coded layout's cells, and pictures, closer than this
/// share a range, and farther ones are asked for apart, in the same request.
pub const PART_BYTES: u64 = 128;

const KIND_CELL: u8 = 0;
const KIND_ROUTER: u8 = 1;
const TOP_TABLE: u8 = 0;
const TOP_ROUTED: u8 = 1;
const TOP_CODED: u8 = 2;
/// The header of a root (see crate::envelope): its checksum covers the body alone.
const ENVELOPE: Envelope = Envelope {
    kind: FileKind::Root,
    magic: MAGIC,
    versions: &[VERSION, VERSION_CODED],
    sums_length: false,
};

/// A data file the root names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataFile {
    /// Its name, beside the root.
    pub name: String,
    /// Its size in bytes.
    pub bytes: u64,
}

/// Where a block lies and what it holds, as the root says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlockEntry {
    /// The data file holding it.
    pub file: u16,
    /// Its first byte in that file.
    pub offset: u64,
    /// Its length in bytes (compressed).
    pub len: u32,
    /// xxh3-64 of its bytes.
    pub checksum: u64,
    /// Items (a cell) or children (a router) it holds.
    pub items: u32,
    /// Whether it is a router.
    pub router: bool,
}

/// How a query finds its cells.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Top {
    /// Blocks in id order, this many items each.
    Table { per_block: u32 },
    /// Centroids in the searched space leading to child blocks.
    Routed(Router),
    /// Every block a cell, and each cell's centroid as a code (the layout's code length
    /// a cell, in block order): a query scores them all with what the root holds.
    Coded(Vec<u8>),
}

/// Centroids and the blocks they lead to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Router {
    pub(crate) dim: usize,
    pub(crate) children: Vec<u32>,
    pub(crate) centroids: Vec<u8>,
}

impl Router {
    pub(crate) fn centroid(&self, i: usize) -> &[u8] {
        &self.centroids[i * self.dim..(i + 1) * self.dim]
    }
}

/// A cell: items with their ids, labels and original images, or, in a coded layout,
/// their labels, their codes and where their pictures lie.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cell {
    pub(crate) ids: Vec<u32>,
    pub(crate) labels: Vec<u8>,
    pub(crate) images: Vec<u8>,
    pub(crate) codes: Vec<u8>,
    pub(crate) pictures: Option<Pictures>,
}

/// Where a coded cell's pictures lie: one after the other from `offset` of `file`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Pictures {
    pub(crate) file: u16,
    pub(crate) offset: u64,
    /// Where each ends, counted from `offset`.
    pub(crate) ends: Vec<u64>,
}

impl Pictures {
    /// Item `i`'s bytes in its file.
    pub(crate) fn range(&self, i: usize) -> (u64, u64) {
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        (self.offset + start, self.offset + self.ends[i])
    }
}

impl Cell {
    /// Items in the cell.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// True when the cell holds nothing.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// The ids of its items (none in a coded cell: its items' ids come with their
    /// pictures).
    pub fn ids(&self) -> &[u32] {
        &self.ids
    }

    /// Image `i` of the cell (`dim` bytes each).
    pub(crate) fn image(&self, i: usize, dim: usize) -> &[u8] {
        &self.images[i * dim..(i + 1) * dim]
    }
}

/// A block as it arrived, checked and unpacked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Block {
    /// Items.
    Cell(Cell),
    /// More centroids.
    Router(Router),
}

/// A picture as it arrived, checked: whose it is, its image and its vector in the
/// layout's space.
#[derive(Debug)]
pub(crate) struct Arrived {
    /// The cell block and the item of it.
    pub(crate) place: (u32, u32),
    pub(crate) id: u32,
    pub(crate) image: Vec<u8>,
    pub(crate) searched: Vec<u8>,
}

/// A byte range of one data file covering whole blocks: what one range request fetches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Span {
    /// The data file.
    pub file: u16,
    /// First byte.
    pub start: u64,
    /// One past the last byte.
    pub end: u64,
    /// The blocks inside, in file order.
    pub blocks: Vec<u32>,
    /// Or the pictures inside, in file order: (cell block, item of the cell).
    pub pictures: Vec<(u32, u32)>,
}

impl Span {
    /// Bytes it covers.
    pub fn len(&self) -> u64 {
        self.end - self.start
    }

    /// True when it covers nothing.
    pub fn is_empty(&self) -> bool {
        self.end == self.start
    }
}

/// A streamed layout's root, read and checked: everything needed to find, fetch and
/// check any block.
#[derive(Debug, Clone, PartialEq)]
pub struct Layout {
    name: String,
    rows: usize,
    cols: usize,
    items: u32,
    fingerprint: u64,
    space: Space,
    labelled: bool,
    files: Vec<DataFile>,
    blocks: Vec<BlockEntry>,
    top: Top,
    /// A coded layout's projection.
    codes: Option<Codes>,
    /// Leading bytes of each code a coded layout's cells keep (0 for other layouts).
    kept: usize,
}

/// What a root's header declares: its whole size, for a bounded inflation.
pub fn declared(head: &[u8]) -> Declared {
    // Not a root (an HTML error page, another file): read no further than its head.
    ENVELOPE.declared(head, Declared::Foreign)
}

/// The limit a root is inflated within.
pub fn limit() -> Limit {
    Limit::at_most(MAX_ROOT_BYTES).declared_by(declared)
}

impl Layout {
    /// Reads a root (gzipped or raw); `file` names it in errors.
    pub fn from_bytes(file: &str, bytes: &[u8]) -> Result<Layout> {
        let raw = gzip::gunzip(file, bytes, limit())?;
        Layout::read(file, &raw)
    }

    fn read(file: &str, raw: &[u8]) -> Result<Layout> {
        let (version, mut r) = ENVELOPE.open(file, raw)?;
        let rows = usize::from(r.u16("rows")?);
        let cols = usize::from(r.u16("columns")?);
        let items = r.u32("item count")?;
        let fingerprint = r.u64("fingerprint")?;
        let space_bytes: [u8; 4] = r.take(4, "space")?.try_into().expect("4 bytes");
        let space = Space::from_bytes(space_bytes)
            .map_err(|e| r.corrupt(format!("a space this build does not know ({e})")))?;
        let labelled = match r.u8("labelled")? {
            0 => false,
            1 => true,
            v => return Err(r.corrupt(format!("labelled flag {v} is neither 0 nor 1"))),
        };
        if rows == 0 || cols == 0 || rows * cols > crate::distance::MAX_DIM {
            return Err(r.corrupt(format!("images of {rows}x{cols}")));
        }
        let codes = if version == VERSION_CODED {
            let input = space.dim(rows, cols);
            let dim = usize::from(r.u16("code length")?);
            let kept = usize::from(r.u16("cell code length")?);
            if dim == 0 || dim > crate::codes::MAX_DIM || kept == 0 || kept > dim {
                return Err(r.corrupt(format!("codes of {dim} bytes, of which cells keep {kept}")));
            }
            let mut floats = |n: usize, what: &str| -> Result<Vec<f32>> {
                let bytes = r.take(n.saturating_mul(4), what)?;
                Ok(bytes
                    .chunks_exact(4)
                    .map(|c| f32::from_le_bytes(c.try_into().expect("4 bytes")))
                    .collect())
            };
            let weights = floats(input * dim, "code weights")?;
            let offsets = floats(dim, "code offsets")?;
            let codes = Codes::projection(input, dim, weights, offsets)
                .map_err(|e| r.corrupt(format!("a projection that codes nothing ({e})")))?;
            Some((codes, kept))
        } else {
            None
        };
        let file_count = usize::from(r.u16("file count")?);
        let mut files = Vec::with_capacity(file_count);
        for f in 0..file_count {
            let len = usize::from(r.u8("file name length")?);
            let name = std::str::from_utf8(r.take(len, "file name")?)
                .ok()
                .filter(|n| is_plain_name(n))
                .ok_or_else(|| {
                    r.corrupt(format!(
                        "data file {f} has a name that is not a plain file name"
                    ))
                })?
                .to_owned();
            let bytes = r.u64("file size")?;
            files.push(DataFile { name, bytes });
        }
        let block_count = r.u32("block count")? as usize;
        // 27 bytes a block: the count is bounded by the bytes that hold it.
        if block_count.saturating_mul(27) > r.remaining() {
            return Err(r.corrupt(format!("{block_count} blocks in {} bytes", r.remaining())));
        }
        let mut blocks = Vec::with_capacity(block_count);
        for b in 0..block_count {
            let entry = BlockEntry {
                file: r.u16("block file")?,
                offset: r.u64("block offset")?,
                len: r.u32("block length")?,
                checksum: r.u64("block checksum")?,
                items: r.u32("block items")?,
                router: match r.u8("block kind")? {
                    KIND_CELL => false,
                    KIND_ROUTER => true,
                    k => return Err(r.corrupt(format!("block {b} has kind {k}"))),
                },
            };
            let within = files.get(usize::from(entry.file)).is_some_and(|f| {
                entry
                    .offset
                    .checked_add(u64::from(entry.len))
                    .is_some_and(|end| end <= f.bytes)
            });
            if !within || entry.len == 0 || entry.len > MAX_BLOCK_BYTES || entry.items > items {
                return Err(r.corrupt(format!(
                    "block {b} ({} bytes at {} of file {}, {} items) lies outside its file or is too large",
                    entry.len, entry.offset, entry.file, entry.items
                )));
            }
            blocks.push(entry);
        }
        let top = match r.u8("top kind")? {
            TOP_TABLE => {
                let per_block = r.u32("items per block")?;
                let expected = if per_block == 0 {
                    u64::MAX
                } else {
                    u64::from(items).div_ceil(u64::from(per_block))
                };
                if expected != blocks.len() as u64
                    || blocks.iter().any(|b| b.router)
                    || codes.is_some()
                {
                    return Err(r.corrupt(format!(
                        "a table of {items} items, {per_block} a block, in {} blocks{}",
                        blocks.len(),
                        if codes.is_some() { ", coded" } else { "" }
                    )));
                }
                for (j, b) in blocks.iter().enumerate() {
                    let want = (items - j as u32 * per_block).min(per_block);
                    if b.items != want {
                        return Err(r.corrupt(format!(
                            "table block {j} holds {} items, not {want}",
                            b.items
                        )));
                    }
                }
                Top::Table { per_block }
            }
            TOP_ROUTED => {
                let dim = usize::from(r.u16("centroid length")?);
                let n = r.u32("centroid count")? as usize;
                let router = read_router(&mut r, dim, n, blocks.len())?;
                if dim != space.dim(rows, cols) {
                    return Err(r.corrupt(format!(
                        "centroids of {dim} values for a space of {}",
                        space.dim(rows, cols)
                    )));
                }
                let cells: u64 = blocks
                    .iter()
                    .filter(|b| !b.router)
                    .map(|b| u64::from(b.items))
                    .sum();
                if cells != u64::from(items) {
                    return Err(
                        r.corrupt(format!("cells hold {cells} items, the root says {items}"))
                    );
                }
                Top::Routed(router)
            }
            TOP_CODED => {
                let Some(c) = codes.as_ref().map(|(codes, _)| codes.dim()) else {
                    return Err(r.corrupt("cells routed by codes in a layout without codes".into()));
                };
                let cells: u64 = blocks.iter().map(|b| u64::from(b.items)).sum();
                if blocks.iter().any(|b| b.router) || cells != u64::from(items) {
                    return Err(r.corrupt(format!(
                        "cells routed by codes hold {cells} items, the root says {items}"
                    )));
                }
                Top::Coded(r.take(blocks.len() * c, "cell codes")?.to_vec())
            }
            t => return Err(r.corrupt(format!("top kind {t}"))),
        };
        if codes.is_some() != matches!(top, Top::Coded(_)) {
            return Err(r.corrupt("a coded layout routes by codes, and only it does".into()));
        }
        if r.at != raw.len() {
            return Err(r.corrupt(format!("{} bytes after the top", raw.len() - r.at)));
        }
        Ok(Layout {
            name: file.to_owned(),
            rows,
            cols,
            items,
            fingerprint,
            space,
            labelled,
            files,
            blocks,
            top,
            kept: codes.as_ref().map_or(0, |&(_, kept)| kept),
            codes: codes.map(|(codes, _)| codes),
        })
    }

    /// A coded layout's projection (None: its cells hold images).
    pub(crate) fn codes(&self) -> Option<&Codes> {
        self.codes.as_ref()
    }

    /// Leading bytes of each code a coded layout's cells keep: the root's centroid codes
    /// are longer.
    pub(crate) fn cell_code(&self) -> usize {
        self.kept
    }

    /// Whether its cells hold codes, its images lying apart as pictures.
    pub fn coded(&self) -> bool {
        self.codes.is_some()
    }

    /// The root's name, as given when it was read.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Number of images.
    pub fn len(&self) -> usize {
        self.items as usize
    }

    /// True when there is no image.
    pub fn is_empty(&self) -> bool {
        self.items == 0
    }

    /// Image height and width.
    pub fn shape(&self) -> (usize, usize) {
        (self.rows, self.cols)
    }

    /// The space the router's centroids are in.
    pub fn space(&self) -> Space {
        self.space
    }

    /// Whether the images carry labels.
    pub fn labelled(&self) -> bool {
        self.labelled
    }

    /// The fingerprint of the images in id order, as a [`Dataset`] of them has.
    pub fn fingerprint(&self) -> u64 {
        self.fingerprint
    }

    /// The data files.
    pub fn files(&self) -> &[DataFile] {
        &self.files
    }

    /// The blocks.
    pub fn blocks(&self) -> &[BlockEntry] {
        &self.blocks
    }

    pub(crate) fn top(&self) -> &Top {
        &self.top
    }

    /// The block holding item `id` of a table layout (None: not a table, or no such id).
    pub fn block_of(&self, id: u32) -> Option<u32> {
        match self.top {
            Top::Table { per_block } if id < self.items => Some(id / per_block),
            _ => None,
        }
    }

    /// The ranges to fetch for `blocks`: one per run of blocks that lie close together in
    /// one file.
    pub fn spans(&self, blocks: &[u32]) -> Vec<Span> {
        let mut sorted: Vec<u32> = blocks
            .iter()
            .copied()
            .filter(|&b| (b as usize) < self.blocks.len())
            .collect();
        sorted.sort_unstable_by_key(|&b| {
            let e = &self.blocks[b as usize];
            (e.file, e.offset)
        });
        sorted.dedup();
        let gap = if self.coded() { PART_BYTES } else { MERGE_GAP };
        let mut spans: Vec<Span> = Vec::new();
        for b in sorted {
            let e = &self.blocks[b as usize];
            let end = e.offset + u64::from(e.len);
            match spans.last_mut() {
                Some(s) if s.file == e.file && e.offset >= s.end && e.offset - s.end <= gap => {
                    s.end = end;
                    s.blocks.push(b);
                }
                _ => spans.push(Span {
                    file: e.file,
                    start: e.offset,
                    end,
                    blocks: vec![b],
                    pictures: Vec::new(),
                }),
            }
        }
        spans
    }

    /// One span per data file, covering all of it: the whole layout.
    pub fn whole(&self) -> Vec<Span> {
        let all: Vec<u32> = (0..self.blocks.len() as u32).collect();
        let mut spans = self.spans(&all);
        // Merge whatever gaps remain: a whole file is one request.
        spans.dedup_by(|b, a| {
            if a.file == b.file {
                a.end = b.end;
                a.blocks.append(&mut b.blocks);
                true
            } else {
                false
            }
        });
        spans
    }

    /// The name a span's errors give: its file and byte range.
    pub fn describe(&self, span: &Span) -> String {
        let name = self
            .files
            .get(usize::from(span.file))
            .map_or("?", |f| f.name.as_str());
        format!("{name} bytes {}-{}", span.start, span.end.saturating_sub(1))
    }

    /// Checks and unpacks the blocks of `span` from `bytes`, its content.
    pub fn take(&self, span: &Span, bytes: &[u8]) -> Result<Vec<(u32, Block)>> {
        let where_ = self.describe(span);
        if bytes.len() as u64 != span.len() {
            return Err(Error::Truncated {
                file: where_,
                what: format!(
                    "{} bytes arrived, {} were asked for",
                    bytes.len(),
                    span.len()
                ),
            });
        }
        span.blocks
            .iter()
            .map(|&b| {
                let e = self.blocks.get(b as usize).ok_or_else(|| Error::Corrupt {
                    file: where_.clone(),
                    what: format!("no block {b}"),
                })?;
                let at = e
                    .offset
                    .checked_sub(span.start)
                    .filter(|&a| e.file == span.file && a + u64::from(e.len) <= span.len());
                let Some(at) = at else {
                    return Err(Error::Corrupt {
                        file: where_.clone(),
                        what: format!("block {b} is not inside it"),
                    });
                };
                let raw = &bytes[at as usize..(at + u64::from(e.len)) as usize];
                Ok((b, self.block(b, e, raw)?))
            })
            .collect()
    }

    /// Checks block `b`'s bytes against the root and unpacks them.
    fn block(&self, b: u32, e: &BlockEntry, raw: &[u8]) -> Result<Block> {
        let name = format!("{} block {b}", self.files[usize::from(e.file)].name);
        let found = xxh3_64(raw);
        if found != e.checksum {
            return Err(Error::Checksum {
                file: name,
                expected: e.checksum,
                found,
            });
        }
        let n = e.items as usize;
        let dim = self.rows * self.cols;
        let code = self.codes.as_ref().map(|_| self.kept);
        let (each, fixed) = match (e.router, code) {
            (true, _) => (4 + self.router_dim(), 4),
            (false, None) => (5 + dim, 4),
            // At most 24 bits a difference (no value is less likely than 2^-24), and
            // the coder's two words of state.
            (false, Some(c)) => (3 + 3 * c, 26 + 2 * c),
        };
        let size = (each as u64)
            .checked_mul(u64::from(e.items))
            .map(|s| s + fixed as u64)
            .filter(|&s| s <= MAX_UNPACKED_BLOCK)
            .ok_or_else(|| Error::DeclaredTooLarge {
                file: name.clone(),
                size: (each as u64).saturating_mul(u64::from(e.items)),
                limit: MAX_UNPACKED_BLOCK,
            })? as usize;
        let bytes = gzip::gunzip(&name, raw, Limit::at_most(size as u64))?;
        let mut r = Reader::new(&name, &bytes);
        // A coded cell's coded differences vary in length: it is checked as it is read.
        let exact = code.is_none() || e.router;
        if r.u32("count")? as usize != n || (exact && bytes.len() != size) {
            return Err(r.corrupt(format!("{} bytes, the root says {n} items", bytes.len())));
        }
        if e.router {
            let router = read_router(&mut r, self.router_dim(), n, self.blocks.len())?;
            if let Some(c) = router
                .children
                .iter()
                .find(|&&c| self.blocks[c as usize].router)
            {
                return Err(r.corrupt(format!("a router leading to router {c}")));
            }
            return Ok(Block::Router(router));
        }
        if let (Some(codes), Top::Coded(centroids)) = (&self.codes, &self.top) {
            let c = self.kept;
            let labels = self.labels(&mut r, n)?;
            let centroid = &centroids[b as usize * codes.dim()..][..c];
            let pictures = self.read_pictures(&mut r, n)?;
            let spreads: Vec<u16> = r
                .take(2 * c, "code spreads")?
                .chunks_exact(2)
                .map(|s| u16::from_le_bytes([s[0], s[1]]))
                .collect();
            let count = r.u32("coded words")? as usize;
            let words: Vec<u32> = r
                .take(count.saturating_mul(4), "coded differences")?
                .chunks_exact(4)
                .map(|w| u32::from_le_bytes(w.try_into().expect("4 bytes")))
                .collect();
            if r.at != bytes.len() {
                return Err(r.corrupt(format!(
                    "{} bytes after the coded differences",
                    bytes.len() - r.at
                )));
            }
            let runs = differences::decode(&spreads, words, n).map_err(|what| r.corrupt(what))?;
            let mut codes = vec![0u8; n * c];
            for (j, (run, &mid)) in runs.chunks_exact(n.max(1)).zip(centroid).enumerate() {
                for (i, &d) in run.iter().enumerate() {
                    codes[i * c + j] = d.wrapping_add(mid);
                }
            }
            return Ok(Block::Cell(Cell {
                ids: Vec::new(),
                labels,
                images: Vec::new(),
                codes,
                pictures: Some(pictures),
            }));
        }
        let ids: Vec<u32> = r
            .take(4 * n, "ids")?
            .chunks_exact(4)
            .map(|c| u32::from_le_bytes(c.try_into().expect("4 bytes")))
            .collect();
        let labels = self.labels(&mut r, n)?;
        let images = r.take(n * dim, "images")?.to_vec();
        if let Some(&id) = ids.iter().find(|&&id| id >= self.items) {
            return Err(r.corrupt(format!("item {id} of {}", self.items)));
        }
        if let Top::Table { per_block } = self.top
            && ids
                .iter()
                .enumerate()
                .any(|(i, &id)| id != b * per_block + i as u32)
        {
            return Err(r.corrupt("ids out of the table's order".into()));
        }
        Ok(Block::Cell(Cell {
            ids,
            labels,
            images,
            codes: Vec::new(),
            pictures: None,
        }))
    }

    /// A cell's `n` labels, read and checked to be digits if the layout is labelled.
    fn labels(&self, r: &mut Reader, n: usize) -> Result<Vec<u8>> {
        let labels = r.take(n, "labels")?.to_vec();
        match labels.iter().find(|&&l| self.labelled && l > 9) {
            Some(&l) => Err(r.corrupt(format!("label {l} is not a digit"))),
            None => Ok(labels),
        }
    }

    /// Where a coded cell's `n` pictures lie, checked to lie inside a data file.
    fn read_pictures(&self, r: &mut Reader, n: usize) -> Result<Pictures> {
        let file = r.u16("picture file")?;
        let offset = r.u64("picture offset")?;
        let most = picture::most_bytes(self.rows * self.cols) as u64;
        let low = r.take(n, "picture lengths")?;
        let high = r.take(n, "picture lengths")?;
        let mut ends = Vec::with_capacity(n);
        let mut end = 0u64;
        for (i, (&low, &high)) in low.iter().zip(high).enumerate() {
            let len = u64::from(u16::from_le_bytes([low, high]));
            if len == 0 || len > most {
                return Err(r.corrupt(format!("picture {i} of {len} bytes")));
            }
            end += len;
            ends.push(end);
        }
        let inside = self
            .files
            .get(usize::from(file))
            .is_some_and(|f| offset.checked_add(end).is_some_and(|e| e <= f.bytes));
        if !inside {
            return Err(r.corrupt(format!(
                "pictures of {end} bytes at {offset} of data file {file} lie outside it"
            )));
        }
        Ok(Pictures { file, offset, ends })
    }

    /// Checks and unpacks the pictures of `span` from `bytes`, its content, for the
    /// cells they belong to (`cell` gives a held cell by its block): the images, each
    /// with its vector in the layout's space.
    pub(crate) fn take_pictures<'c>(
        &self,
        span: &Span,
        bytes: &[u8],
        cell: impl Fn(u32) -> Option<&'c Cell>,
        workspace: &mut crate::space::Workspace,
    ) -> Result<Vec<Arrived>> {
        let where_ = self.describe(span);
        let corrupt = |what: String| Error::Corrupt {
            file: where_.clone(),
            what,
        };
        if bytes.len() as u64 != span.len() {
            return Err(Error::Truncated {
                file: where_.clone(),
                what: format!(
                    "{} bytes arrived, {} were asked for",
                    bytes.len(),
                    span.len()
                ),
            });
        }
        let Some(codes) = &self.codes else {
            return Err(corrupt("pictures asked of a layout without them".into()));
        };
        let (rows, cols) = (self.rows, self.cols);
        let mut searched = vec![0u8; self.space.dim(rows, cols)];
        let mut code = Vec::new();
        let mut out = Vec::with_capacity(span.pictures.len());
        for &(c, i) in &span.pictures {
            let found = cell(c).and_then(|cell| Some((cell, cell.pictures.as_ref()?)));
            let Some((cell, pictures)) = found.filter(|(_, p)| (i as usize) < p.ends.len()) else {
                return Err(corrupt(format!(
                    "picture {i} of cell {c}, which is not here"
                )));
            };
            let (start, end) = pictures.range(i as usize);
            if pictures.file != span.file || start < span.start || end > span.end {
                return Err(corrupt(format!("picture {i} of cell {c} is not inside it")));
            }
            let name = format!("{where_}, picture {i} of cell {c}");
            let raw = &bytes[(start - span.start) as usize..(end - span.start) as usize];
            let (id, image) = picture::inflate(&name, raw, rows * cols)?;
            if id >= self.items {
                return Err(Error::Corrupt {
                    file: name,
                    what: format!("item {id} of {}", self.items),
                });
            }
            self.space
                .apply_in(rows, cols, &image, &mut searched, 0, workspace)?;
            // Only the bytes the cell keeps: the rest of the code would be projected for
            // nothing.
            let k = self.kept;
            codes.encode_first(&searched, k, &mut code);
            let want = &cell.codes[i as usize * k..(i as usize + 1) * k];
            if code != want {
                return Err(Error::Corrupt {
                    file: name,
                    what: "its image does not code to the code its cell holds".into(),
                });
            }
            out.push(Arrived {
                place: (c, i),
                id,
                image,
                searched: searched.clone(),
            });
        }
        Ok(out)
    }

    fn router_dim(&self) -> usize {
        match &self.top {
            Top::Routed(r) => r.dim,
            Top::Table { .. } | Top::Coded(_) => 0,
        }
    }

    /// Puts every cell together as the [`Dataset`] in id order, checked against the
    /// root's fingerprint: what the client searches once it has the whole layout.
    pub fn assemble(&self, cells: impl IntoIterator<Item = Cell>) -> Result<Dataset> {
        if self.codes.is_some() {
            return Err(Error::Corrupt {
                file: self.name.clone(),
                what: "a coded layout keeps its images apart: it is searched by parts only".into(),
            });
        }
        let dim = self.rows * self.cols;
        let n = self.items as usize;
        let bytes = n as u64 * dim as u64;
        if bytes > MAX_ASSEMBLED {
            return Err(Error::DeclaredTooLarge {
                file: self.name.clone(),
                size: bytes,
                limit: MAX_ASSEMBLED,
            });
        }
        let mut pixels = vec![0u8; n * dim];
        let mut labels = vec![0u8; n];
        let mut seen = vec![false; n];
        for cell in cells {
            for (i, &id) in cell.ids.iter().enumerate() {
                let id = id as usize;
                if std::mem::replace(&mut seen[id], true) {
                    return Err(Error::Corrupt {
                        file: self.name.clone(),
                        what: format!("item {id} is in two cells"),
                    });
                }
                pixels[id * dim..(id + 1) * dim].copy_from_slice(cell.image(i, dim));
                labels[id] = cell.labels[i];
            }
        }
        if let Some(missing) = seen.iter().position(|&s| !s) {
            return Err(Error::Corrupt {
                file: self.name.clone(),
                what: format!("item {missing} is in no cell"),
            });
        }
        let data = Dataset::new(self.rows, self.cols, pixels, labels)?;
        if data.fingerprint() != self.fingerprint {
            return Err(Error::DatasetMismatch {
                file: self.name.clone(),
                index: self.fingerprint,
                index_items: n,
                index_dim: dim,
                data: data.fingerprint(),
                data_items: data.len(),
                data_dim: data.dim(),
            });
        }
        Ok(data)
    }
}

/// A name with no folder in it, so that a root can only point beside itself.
fn is_plain_name(name: &str) -> bool {
    !name.is_empty()
        && name != "."
        && name != ".."
        && name
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'-' | b'_'))
}

fn read_router(r: &mut Reader, dim: usize, n: usize, blocks: usize) -> Result<Router> {
    if dim == 0 || n.saturating_mul(4 + dim) > r.remaining() {
        return Err(r.corrupt(format!(
            "{n} centroids of {dim} values in {} bytes",
            r.remaining()
        )));
    }
    let children: Vec<u32> = r
        .take(4 * n, "children")?
        .chunks_exact(4)
        .map(|c| u32::from_le_bytes(c.try_into().expect("4 bytes")))
        .collect();
    if let Some(&c) = children.iter().find(|&&c| c as usize >= blocks) {
        return Err(r.corrupt(format!("a centroid leads to block {c} of {blocks}")));
    }
    let centroids = r.take(n * dim, "centroids")?.to_vec();
    Ok(Router {
        dim,
        children,
        centroids,
    })
}
