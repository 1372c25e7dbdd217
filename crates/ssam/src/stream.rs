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

mod cells;
mod differences;
mod kmeans;
mod parts;
mod picture;
pub mod ranges;
mod root;
mod search;
mod write;

pub(crate) use parts::{Arrived, Pictures, Top};
pub use parts::{
    Block, BlockEntry, Cell, DataFile, MAGIC, MAX_ASSEMBLED, MAX_BLOCK_BYTES, MAX_FILE_BYTES,
    MAX_ROOT_BYTES, MAX_UNPACKED_BLOCK, MERGE_GAP, PART_BYTES, Router, Span, VERSION,
    VERSION_CODED,
};
pub use root::{Root, declared, limit};
pub use search::{Blocks, Found, Plan, Probes, StreamScratch, Streamed};
pub use write::{WriteParams, Written, write};
