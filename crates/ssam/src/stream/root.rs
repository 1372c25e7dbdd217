//! A streamed layout's root: read and checked whole, it says where every block lies and
//! how a query finds its cells.

use super::parts::{KIND_CELL, KIND_ROUTER, TOP_CODED, TOP_ROUTED, TOP_TABLE};
use super::{
    BlockEntry, DataFile, MAGIC, MAX_BLOCK_BYTES, MAX_ROOT_BYTES, MERGE_GAP, PART_BYTES, Router,
    Span, Top, VERSION, VERSION_CODED,
};
use crate::codes::Codes;
use crate::envelope::{Envelope, FileKind};
use crate::error::Result;
use crate::gzip::{self, Declared, Limit};
use crate::reader::Reader;
use crate::space::Space;

/// The header of a root (see crate::envelope): its checksum covers the body alone.
pub(super) const ENVELOPE: Envelope = Envelope {
    kind: FileKind::Root,
    magic: MAGIC,
    versions: &[VERSION, VERSION_CODED],
    sums_length: false,
};

/// A streamed layout's root, read and checked: everything needed to find, fetch and
/// check any block.
#[derive(Debug, Clone, PartialEq)]
pub struct Root {
    pub(super) name: String,
    pub(super) rows: usize,
    pub(super) cols: usize,
    pub(super) items: u32,
    pub(super) fingerprint: u64,
    pub(super) space: Space,
    pub(super) labelled: bool,
    pub(super) files: Vec<DataFile>,
    pub(super) blocks: Vec<BlockEntry>,
    pub(super) top: Top,
    /// A coded layout's projection.
    pub(super) codes: Option<Codes>,
    /// Leading bytes of each code a coded layout's cells keep (0 for other layouts).
    pub(super) kept: usize,
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

impl Root {
    /// Reads a root (gzipped or raw); `file` names it in errors.
    pub fn from_bytes(file: &str, bytes: &[u8]) -> Result<Root> {
        let raw = gzip::gunzip(file, bytes, limit())?;
        Root::read(file, &raw)
    }

    fn read(file: &str, raw: &[u8]) -> Result<Root> {
        let (version, mut r) = ENVELOPE.open(file, raw)?;
        let head = read_head(&mut r)?;
        let codes = if version == VERSION_CODED {
            Some(read_codes(&mut r, head.space.dim(head.rows, head.cols))?)
        } else {
            None
        };
        let files = read_files(&mut r)?;
        let blocks = read_blocks(&mut r, &files, head.items)?;
        let top = match r.u8("top kind")? {
            TOP_TABLE => read_table(&mut r, head.items, &blocks, codes.is_some())?,
            TOP_ROUTED => read_routed(&mut r, &head, &blocks)?,
            TOP_CODED => {
                let code = codes.as_ref().map(|(codes, _)| codes.dim());
                read_coded(&mut r, code, head.items, &blocks)?
            }
            t => return Err(r.corrupt(format!("top kind {t}"))),
        };
        if codes.is_some() != matches!(top, Top::Coded(_)) {
            return Err(r.corrupt("a coded layout routes by codes, and only it does".into()));
        }
        if r.at != raw.len() {
            return Err(r.corrupt(format!("{} bytes after the top", raw.len() - r.at)));
        }
        let Head {
            rows,
            cols,
            items,
            fingerprint,
            space,
            labelled,
        } = head;
        Ok(Root {
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
}

/// What a root's header says of the images.
struct Head {
    rows: usize,
    cols: usize,
    items: u32,
    fingerprint: u64,
    space: Space,
    labelled: bool,
}

/// The images' shape, count, fingerprint, space and whether they carry labels.
fn read_head(r: &mut Reader) -> Result<Head> {
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
    Ok(Head {
        rows,
        cols,
        items,
        fingerprint,
        space,
        labelled,
    })
}

/// A coded layout's projection from `input` values, and the leading bytes of each code
/// its cells keep.
fn read_codes(r: &mut Reader, input: usize) -> Result<(Codes, usize)> {
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
    Ok((codes, kept))
}

/// The data files, each a plain name and a size.
fn read_files(r: &mut Reader) -> Result<Vec<DataFile>> {
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
    Ok(files)
}

/// The blocks, each lying within its file and holding at most the layout's `items`.
fn read_blocks(r: &mut Reader, files: &[DataFile], items: u32) -> Result<Vec<BlockEntry>> {
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
    Ok(blocks)
}

/// A table's top: its blocks, no routers among them, hold `per_block` items each in
/// id order, the last the rest.
fn read_table(r: &mut Reader, items: u32, blocks: &[BlockEntry], coded: bool) -> Result<Top> {
    let per_block = r.u32("items per block")?;
    let expected = if per_block == 0 {
        u64::MAX
    } else {
        u64::from(items).div_ceil(u64::from(per_block))
    };
    if expected != blocks.len() as u64 || blocks.iter().any(|b| b.router) || coded {
        return Err(r.corrupt(format!(
            "a table of {items} items, {per_block} a block, in {} blocks{}",
            blocks.len(),
            if coded { ", coded" } else { "" }
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
    Ok(Top::Table { per_block })
}

/// A routed top: centroids in the layout's space, and cells that hold every item.
fn read_routed(r: &mut Reader, head: &Head, blocks: &[BlockEntry]) -> Result<Top> {
    let dim = usize::from(r.u16("centroid length")?);
    let n = r.u32("centroid count")? as usize;
    let router = read_router(r, dim, n, blocks.len())?;
    let space_dim = head.space.dim(head.rows, head.cols);
    if dim != space_dim {
        return Err(r.corrupt(format!(
            "centroids of {dim} values for a space of {space_dim}"
        )));
    }
    let cells: u64 = blocks
        .iter()
        .filter(|b| !b.router)
        .map(|b| u64::from(b.items))
        .sum();
    if cells != u64::from(head.items) {
        return Err(r.corrupt(format!(
            "cells hold {cells} items, the root says {}",
            head.items
        )));
    }
    Ok(Top::Routed(router))
}

/// A coded top: a code of `code` bytes (None: the layout has no codes) for each cell,
/// the cells holding every item and no router among them.
fn read_coded(
    r: &mut Reader,
    code: Option<usize>,
    items: u32,
    blocks: &[BlockEntry],
) -> Result<Top> {
    let Some(c) = code else {
        return Err(r.corrupt("cells routed by codes in a layout without codes".into()));
    };
    let cells: u64 = blocks.iter().map(|b| u64::from(b.items)).sum();
    if blocks.iter().any(|b| b.router) || cells != u64::from(items) {
        return Err(r.corrupt(format!(
            "cells routed by codes hold {cells} items, the root says {items}"
        )));
    }
    Ok(Top::Coded(r.take(blocks.len() * c, "cell codes")?.to_vec()))
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

pub(super) fn read_router(r: &mut Reader, dim: usize, n: usize, blocks: usize) -> Result<Router> {
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
