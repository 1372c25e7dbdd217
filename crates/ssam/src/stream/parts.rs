//! What a root describes and a client handles: the format's constants, data files,
//! blocks and the spans that fetch them, cells, routers and arrived pictures.

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
/// Largest set put together whole ([`Root::assemble`]).
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

pub(super) const KIND_CELL: u8 = 0;
pub(super) const KIND_ROUTER: u8 = 1;
pub(super) const TOP_TABLE: u8 = 0;
pub(super) const TOP_ROUTED: u8 = 1;
pub(super) const TOP_CODED: u8 = 2;

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
