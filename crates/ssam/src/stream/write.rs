//! Writing a streamed layout: the images cut into cells (or into a table in id order),
//! each block compressed on its own, data files named by their content, and the root.

use std::io::Write;

use flate2::{Compression, write::GzEncoder};
use xxhash_rust::xxh3::xxh3_64;

use super::differences;
use super::kmeans::{self, Part};
use super::parts::{KIND_CELL, KIND_ROUTER, TOP_CODED, TOP_ROUTED, TOP_TABLE};
use super::picture;
use super::root::ENVELOPE;
use super::{MAX_FILE_BYTES, VERSION, VERSION_CODED};
use crate::codes::Codes;
use crate::dataset::Dataset;
use crate::error::{Error, Result};
use crate::index;
use crate::space::Space;

/// How a layout is cut.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteParams {
    /// Cells of about `cell` items by k-means in the searched space; more than `top`
    /// cells get a level of router blocks between the root and the cells.
    Routed {
        /// Items a cell holds, about.
        cell: usize,
        /// Most centroids in the root before routers are added.
        top: usize,
        /// Seed of the k-means starts.
        seed: u64,
        /// Bytes of compact code a cell holds per item, its image then lying apart as a
        /// picture (a coded layout); 0 keeps images in the cells (format 1).
        codes: usize,
        /// Bytes of each cell's centroid code in the root (at least `codes`): the same
        /// projection, longer, since the root is fetched once and a query routed by
        /// longer codes needs fewer cells.
        routing: usize,
        /// Values the codes' widest direction spans (2 to 256; see
        /// [`Codes::train_in`]).
        levels: usize,
    },
    /// Blocks of `per_block` items in id order.
    Table {
        /// Items a block holds.
        per_block: usize,
    },
}

impl WriteParams {
    /// What the site's training digits are cut into: cells of 256 digits (a query
    /// fetches a few dozen kilobytes a cell), at most 512 centroids in the root.
    pub const ROUTED: WriteParams = WriteParams::Routed {
        cell: 256,
        top: 512,
        seed: 1,
        codes: 0,
        routing: 0,
        levels: 256,
    };
    /// What the site's test digits are cut into: 100 a block, so one costs about 16 kB.
    pub const TABLE: WriteParams = WriteParams::Table { per_block: 100 };
}

/// A layout's files, in memory: the root and the data files, each with its name.
#[derive(Debug, Clone)]
pub struct Written {
    /// The root, gzipped.
    pub root: Vec<u8>,
    /// Data files: name (beside the root) and bytes.
    pub files: Vec<(String, Vec<u8>)>,
}

struct Out {
    kind: u8,
    items: u32,
    bytes: Vec<u8>,
}

/// A coded layout's codes: trained `routing` bytes long for the root's centroids, of
/// which the cells keep the leading `kept`.
struct Coded {
    codes: Codes,
    kept: usize,
}

/// A layout cut into blocks, before they are packed into files.
struct Cut {
    blocks: Vec<Out>,
    /// A coded layout's picture data files.
    pictures: Vec<Vec<u8>>,
    /// What the root says of the blocks' first level.
    top: Vec<u8>,
}

/// The layout of `data` searched in `space`; data files are named `{stem}-{hash}.cells`.
pub fn write(data: &Dataset, space: Space, stem: &str, params: WriteParams) -> Result<Written> {
    check_size(data)?;
    let (coded, cut) = match params {
        WriteParams::Table { per_block } => (None, table(data, per_block)),
        WriteParams::Routed {
            cell,
            top,
            seed,
            codes,
            routing,
            levels,
        } => {
            let transformed = index::transform(data, space)?;
            let searched = transformed.as_ref().unwrap_or(data);
            let coded = match codes {
                0 => None,
                kept => Some(Coded {
                    codes: train_codes(searched, kept, routing, levels)?,
                    kept,
                }),
            };
            let cut = routed(data, searched, coded.as_ref(), cell, top, seed);
            (coded, cut)
        }
    };
    let (files, entries) = pack(cut.pictures, &cut.blocks);
    let files = name(files, stem)?;
    let mut body = header(data, space, coded.as_ref());
    catalogue(&mut body, &files, &cut.blocks, &entries);
    body.extend_from_slice(&cut.top);
    let version = if coded.is_some() {
        VERSION_CODED
    } else {
        VERSION
    };
    let root = ENVELOPE.seal(version, &body);
    Ok(Written {
        root: gzip(&root),
        files,
    })
}

/// An error unless the root's fields can hold `data`'s count and sides.
fn check_size(data: &Dataset) -> Result<()> {
    if data.is_empty() || data.rows() > usize::from(u16::MAX) || data.cols() > usize::from(u16::MAX)
    {
        return Err(Error::Unsupported {
            what: format!(
                "cannot lay out {} images of {}x{} (1 or more images, sides up to {})",
                data.len(),
                data.rows(),
                data.cols(),
                u16::MAX
            ),
        });
    }
    Ok(())
}

/// Codes of `routing` bytes (at least `kept`) trained on the searched images.
fn train_codes(searched: &Dataset, kept: usize, routing: usize, levels: usize) -> Result<Codes> {
    let routing = routing.max(kept);
    if routing > usize::from(u16::MAX) {
        return Err(Error::BadParameter {
            name: "routing code bytes",
            value: routing.to_string(),
            why: format!("a root holds codes of at most {} bytes", u16::MAX),
        });
    }
    Codes::train_in(searched, routing, levels)
}

/// Blocks of `per_block` items in id order.
fn table(data: &Dataset, per_block: usize) -> Cut {
    let per_block = per_block.max(1);
    let mut blocks = Blocks::new(data, None);
    let ids: Vec<u32> = (0..data.len() as u32).collect();
    for ids in ids.chunks(per_block) {
        blocks.push_cell(ids, &[]);
    }
    let mut top = vec![TOP_TABLE];
    top.extend_from_slice(&(per_block as u32).to_le_bytes());
    blocks.finish(top)
}

/// Cells of about `size` items by k-means in the searched space: coded when `coded` is
/// given (every cell's code then in the root), else with a level of routers when there
/// are more than `most`.
fn routed(
    data: &Dataset,
    searched: &Dataset,
    coded: Option<&Coded>,
    size: usize,
    most: usize,
    seed: u64,
) -> Cut {
    let mut blocks = Blocks::new(data, coded);
    let ids: Vec<u32> = (0..data.len() as u32).collect();
    let cells = kmeans::chained(kmeans::partition(searched, &ids, size, seed));
    let top = match coded {
        Some(coded) => coded_top(&mut blocks, &coded.codes, &cells),
        None => {
            let (children, centroids) = if cells.len() <= most.max(1) {
                cells_under_root(&mut blocks, &cells)
            } else {
                let side = (cells.len() as f64).sqrt().ceil() as usize;
                routers(&mut blocks, searched, &ids, side, size, seed)
            };
            let mut top = vec![TOP_ROUTED];
            top.extend_from_slice(&(searched.dim() as u16).to_le_bytes());
            top.extend_from_slice(&router(&children, &centroids)[..]);
            top
        }
    };
    blocks.finish(top)
}

/// Every cell's centroid as a code in the root: a query scores them all with what it
/// holds, a round trip less than routers cost. A code is a few dozen bytes, so the root
/// stays small for a million items.
fn coded_top(blocks: &mut Blocks, codes: &Codes, cells: &[Part]) -> Vec<u8> {
    let mut top = vec![TOP_CODED];
    let mut code = Vec::with_capacity(codes.dim());
    for p in cells {
        codes.encode(&p.centroid, &mut code);
        top.extend_from_slice(&code);
        blocks.push_cell(&p.ids, &code);
    }
    top
}

/// The cells as the root's children: their block numbers and centroids.
fn cells_under_root(blocks: &mut Blocks, cells: &[Part]) -> (Vec<u32>, Vec<u8>) {
    let first = blocks.out.len() as u32;
    let centroids: Vec<u8> = cells.iter().flat_map(|p| p.centroid.clone()).collect();
    for p in cells {
        blocks.push_cell(&p.ids, &[]);
    }
    ((first..blocks.out.len() as u32).collect(), centroids)
}

/// About `side` groups of about `side` cells, a router block each (small, so a query's
/// routers cost little): routers first, so that they lie together, then every group's
/// cells. The groups are the root's children: their block numbers and centroids.
fn routers(
    blocks: &mut Blocks,
    searched: &Dataset,
    ids: &[u32],
    side: usize,
    size: usize,
    seed: u64,
) -> (Vec<u32>, Vec<u8>) {
    let groups = kmeans::chained(kmeans::partition(searched, ids, size * side, seed ^ 0x5eed));
    let grouped: Vec<Vec<Part>> = groups
        .iter()
        .enumerate()
        .map(|(g, p)| {
            let seed = seed.wrapping_add(g as u64 + 1);
            kmeans::chained(kmeans::partition(searched, &p.ids, size, seed))
        })
        .collect();
    let mut next = groups.len() as u32;
    for parts in &grouped {
        let children: Vec<u32> = (next..next + parts.len() as u32).collect();
        next += parts.len() as u32;
        let centroids: Vec<u8> = parts.iter().flat_map(|p| p.centroid.clone()).collect();
        blocks.push_router(&children, &centroids);
    }
    for parts in &grouped {
        for p in parts {
            blocks.push_cell(&p.ids, &[]);
        }
    }
    let centroids: Vec<u8> = groups.iter().flat_map(|p| p.centroid.clone()).collect();
    ((0..groups.len() as u32).collect(), centroids)
}

/// The data files, a coded layout's pictures first (its cells name them by their place
/// among those), then files of whole blocks, each under the hosts' limit; and where
/// each block lies in them (file, offset).
fn pack(pictures: Vec<Vec<u8>>, blocks: &[Out]) -> (Vec<Vec<u8>>, Vec<(u16, u64)>) {
    let mut files = pictures;
    files.push(Vec::new());
    let mut entries = Vec::with_capacity(blocks.len());
    for b in blocks {
        let last = files.last_mut().expect("one file at least");
        if !last.is_empty() && (last.len() + b.bytes.len()) as u64 > MAX_FILE_BYTES {
            files.push(Vec::new());
        }
        let f = files.len() - 1;
        entries.push((f as u16, files[f].len() as u64));
        files[f].extend_from_slice(&b.bytes);
    }
    (files, entries)
}

/// Each data file named by its content, `{stem}-{hash}.cells`.
fn name(files: Vec<Vec<u8>>, stem: &str) -> Result<Vec<(String, Vec<u8>)>> {
    if files.len() > usize::from(u16::MAX) {
        return Err(Error::Unsupported {
            what: format!(
                "{} data files are more than a root names (at most {})",
                files.len(),
                u16::MAX
            ),
        });
    }
    Ok(files
        .into_iter()
        .map(|bytes| (format!("{stem}-{:016x}.cells", xxh3_64(&bytes)), bytes))
        .collect())
}

/// The root's first part: the images' shape, count and fingerprint, the space, whether
/// the labels are digits, and a coded layout's codes.
fn header(data: &Dataset, space: Space, coded: Option<&Coded>) -> Vec<u8> {
    let mut body = Vec::new();
    body.extend_from_slice(&(data.rows() as u16).to_le_bytes());
    body.extend_from_slice(&(data.cols() as u16).to_le_bytes());
    body.extend_from_slice(&(data.len() as u32).to_le_bytes());
    body.extend_from_slice(&data.fingerprint().to_le_bytes());
    body.extend_from_slice(&space.to_bytes());
    body.push(u8::from(data.labels().iter().all(|&l| l <= 9)));
    if let Some(Coded { codes, kept }) = coded {
        body.extend_from_slice(&(codes.dim() as u16).to_le_bytes());
        body.extend_from_slice(&(*kept as u16).to_le_bytes());
        for w in codes.weights().iter().chain(codes.offsets()) {
            body.extend_from_slice(&w.to_le_bytes());
        }
    }
    body
}

/// The root's list of data files (name, length) and of blocks (where each lies, its
/// length, hash, items and kind).
fn catalogue(
    body: &mut Vec<u8>,
    files: &[(String, Vec<u8>)],
    blocks: &[Out],
    entries: &[(u16, u64)],
) {
    body.extend_from_slice(&(files.len() as u16).to_le_bytes());
    for (name, bytes) in files {
        body.push(name.len() as u8);
        body.extend_from_slice(name.as_bytes());
        body.extend_from_slice(&(bytes.len() as u64).to_le_bytes());
    }
    body.extend_from_slice(&(blocks.len() as u32).to_le_bytes());
    for (b, &(file, offset)) in blocks.iter().zip(entries) {
        body.extend_from_slice(&file.to_le_bytes());
        body.extend_from_slice(&offset.to_le_bytes());
        body.extend_from_slice(&(b.bytes.len() as u32).to_le_bytes());
        body.extend_from_slice(&xxh3_64(&b.bytes).to_le_bytes());
        body.extend_from_slice(&b.items.to_le_bytes());
        body.push(b.kind);
    }
}

/// A layout's blocks as they are cut, and a coded layout's pictures, written as its
/// cells are made: in cell order, so that the candidates of one cell lie near each other.
struct Blocks<'a> {
    data: &'a Dataset,
    coded: Option<&'a Coded>,
    pictures: Pictures,
    out: Vec<Out>,
}

impl<'a> Blocks<'a> {
    fn new(data: &'a Dataset, coded: Option<&'a Coded>) -> Self {
        Blocks {
            data,
            coded,
            pictures: Pictures::default(),
            out: Vec::new(),
        }
    }

    /// Adds the cell of `ids`; a coded cell keeps the leading bytes of its centroid's
    /// code, `centroid`.
    fn push_cell(&mut self, ids: &[u32], centroid: &[u8]) {
        let raw = match self.coded {
            Some(Coded { codes, kept }) => {
                self.pictures
                    .coded_cell(self.data, codes, &centroid[..*kept], ids)
            }
            None => image_cell(self.data, ids),
        };
        self.out.push(Out {
            kind: KIND_CELL,
            items: ids.len() as u32,
            bytes: gzip(&raw),
        });
    }

    /// Adds a router block leading to `children`.
    fn push_router(&mut self, children: &[u32], centroids: &[u8]) {
        self.out.push(Out {
            kind: KIND_ROUTER,
            items: children.len() as u32,
            bytes: gzip(&router(children, centroids)),
        });
    }

    fn finish(self, top: Vec<u8>) -> Cut {
        Cut {
            blocks: self.out,
            pictures: self.pictures.files,
            top,
        }
    }
}

/// A router's bytes: count, children, centroids.
fn router(children: &[u32], centroids: &[u8]) -> Vec<u8> {
    let mut raw = Vec::with_capacity(4 + children.len() * 4 + centroids.len());
    raw.extend_from_slice(&(children.len() as u32).to_le_bytes());
    for &c in children {
        raw.extend_from_slice(&c.to_le_bytes());
    }
    raw.extend_from_slice(centroids);
    raw
}

fn gzip(raw: &[u8]) -> Vec<u8> {
    let mut enc = GzEncoder::new(Vec::new(), Compression::best());
    enc.write_all(raw).expect("writing to memory cannot fail");
    enc.finish().expect("writing to memory cannot fail")
}

/// A coded layout's picture data files, filled as its cells are made.
#[derive(Default)]
struct Pictures {
    files: Vec<Vec<u8>>,
}

impl Pictures {
    /// The raw bytes of the coded cell of `ids` whose centroid codes to `centroid` (as
    /// many leading bytes of each code as the cell keeps), its pictures added to the
    /// files.
    fn coded_cell(
        &mut self,
        data: &Dataset,
        codes: &Codes,
        centroid: &[u8],
        ids: &[u32],
    ) -> Vec<u8> {
        // Items in the order of a greedy walk by code from each to the nearest not yet
        // visited: a query's candidates in a cell then lie in few runs of its pictures,
        // which few ranges fetch without the pictures between.
        let walk = kmeans::chained(
            ids.iter()
                .map(|&id| Part {
                    centroid: codes.code(id as usize).to_vec(),
                    ids: vec![id],
                })
                .collect(),
        );
        let ids: Vec<u32> = walk.into_iter().flat_map(|p| p.ids).collect();
        let pictures: Vec<Vec<u8>> = ids
            .iter()
            .map(|&id| picture::compress(id, data.image(id as usize)))
            .collect();
        let total: usize = pictures.iter().map(Vec::len).sum();
        if self
            .files
            .last()
            .is_none_or(|f| !f.is_empty() && (f.len() + total) as u64 > MAX_FILE_BYTES)
        {
            self.files.push(Vec::new());
        }
        let file = self.files.len() - 1;
        let offset = self.files[file].len() as u64;
        let n = ids.len();
        let c = centroid.len();
        let mut raw = Vec::with_capacity(4 + n * (3 + c) + 10);
        raw.extend_from_slice(&(n as u32).to_le_bytes());
        raw.extend(ids.iter().map(|&id| data.label(id as usize)));
        raw.extend_from_slice(&(file as u16).to_le_bytes());
        raw.extend_from_slice(&offset.to_le_bytes());
        // Lengths low bytes first, then high bytes: the high bytes are nearly all alike.
        raw.extend(pictures.iter().map(|p| p.len() as u8));
        raw.extend(pictures.iter().map(|p| (p.len() >> 8) as u8));
        // Codes as their differences from the centroid's, one direction after another:
        // items of a cell are near its centroid, so each direction's differences are
        // small numbers with a spread of their own (see `differences`).
        let runs: Vec<u8> = (0..c)
            .flat_map(|j| {
                ids.iter()
                    .map(move |&id| codes.code(id as usize)[j].wrapping_sub(centroid[j]))
            })
            .collect();
        let (spreads, words) = differences::encode(&runs, n);
        for s in spreads {
            raw.extend_from_slice(&s.to_le_bytes());
        }
        raw.extend_from_slice(&(words.len() as u32).to_le_bytes());
        for w in words {
            raw.extend_from_slice(&w.to_le_bytes());
        }
        for p in &pictures {
            self.files[file].extend_from_slice(p);
        }
        raw
    }
}

/// A cell of images: the count, the ids, the labels, then the images.
fn image_cell(data: &Dataset, ids: &[u32]) -> Vec<u8> {
    let mut raw = Vec::with_capacity(4 + ids.len() * (5 + data.dim()));
    raw.extend_from_slice(&(ids.len() as u32).to_le_bytes());
    for &id in ids {
        raw.extend_from_slice(&id.to_le_bytes());
    }
    raw.extend(ids.iter().map(|&id| data.label(id as usize)));
    for &id in ids {
        raw.extend_from_slice(data.image(id as usize));
    }
    raw
}
