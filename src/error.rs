//! The one error type of the engine: each variant says what went wrong, where, and with
//! which value, so that a user reading it knows which file to fix.

use thiserror::Error;

/// Everything that can go wrong when reading data or an index, or when asking a query.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum Error {
    /// A gzip stream that does not inflate.
    #[error("{file}: not a valid gzip stream ({reason})")]
    Gzip {
        /// The file being read.
        file: String,
        /// What the decompressor reported.
        reason: String,
    },
    /// A file that inflated past what its reader takes: the stated cap, or the size its
    /// own header declares. Reading stopped there, so it cost no more memory than that.
    #[error(
        "{file}: is larger than {limit} bytes ({}) unpacked, {}",
        mib(*limit),
        if *declared { "the size its header declares" } else { "the most this reader takes for it" }
    )]
    TooLarge {
        /// The file being read.
        file: String,
        /// The cap reached, in bytes.
        limit: u64,
        /// Whether the cap was the file's own declared size.
        declared: bool,
    },
    /// A file whose header declares more bytes than its reader takes.
    #[error("{file}: its header declares {size} bytes ({}), over the limit of {limit} bytes ({})", mib(*size), mib(*limit))]
    DeclaredTooLarge {
        /// The file being read.
        file: String,
        /// The size declared.
        size: u64,
        /// The most its reader takes.
        limit: u64,
    },
    /// An IDX file with a header or length that does not fit the format.
    #[error("{file}: {what}")]
    Idx {
        /// The file being read.
        file: String,
        /// What is wrong, with the values found.
        what: String,
    },
    /// Images and labels that do not belong together.
    #[error("{images} has {image_count} images but {labels} has {label_count} labels")]
    CountMismatch {
        /// The images file.
        images: String,
        /// Number of images in it.
        image_count: usize,
        /// The labels file.
        labels: String,
        /// Number of labels in it.
        label_count: usize,
    },
    /// A label outside 0..=9.
    #[error("{file}: label {value} at item {item} is not a digit 0-9")]
    BadLabel {
        /// The labels file.
        file: String,
        /// The item with the bad label.
        item: usize,
        /// The value found.
        value: u8,
    },
    /// An index file that is not an SSAM index at all.
    #[error("{file}: not an SSAM index (the file does not start with the SSAM magic bytes)")]
    NotAnIndex {
        /// The file being read.
        file: String,
    },
    /// An index written by another version of the format.
    #[error(
        "{file}: index format version {found} is not supported (this build reads version {supported}); rebuild it with `ssam build`"
    )]
    UnsupportedVersion {
        /// The file being read.
        file: String,
        /// The version in the file.
        found: u32,
        /// The version this build reads.
        supported: u32,
    },
    /// An index that ends before its header says it should.
    #[error("{file}: truncated: {what}")]
    Truncated {
        /// The file being read.
        file: String,
        /// Which part is missing.
        what: String,
    },
    /// An index whose body does not match its checksum.
    #[error("{file}: corrupted: body checksum is {found:016x}, header says {expected:016x}")]
    Checksum {
        /// The file being read.
        file: String,
        /// Checksum stored in the header.
        expected: u64,
        /// Checksum of the bytes read.
        found: u64,
    },
    /// An index whose structure is inconsistent although its checksum matched.
    #[error("{file}: corrupted: {what}")]
    Corrupt {
        /// The file being read.
        file: String,
        /// What is inconsistent.
        what: String,
    },
    /// An index built from other data than the data loaded beside it.
    #[error(
        "{file}: built for another dataset (fingerprint {index:016x}, {index_items} items of {index_dim} values) but the loaded data has fingerprint {data:016x}, {data_items} items of {data_dim} values; rebuild the index with `ssam build`"
    )]
    DatasetMismatch {
        /// The index file.
        file: String,
        /// Fingerprint stored in the index.
        index: u64,
        /// Items the index was built over.
        index_items: usize,
        /// Dimensions the index was built over.
        index_dim: usize,
        /// Fingerprint of the loaded data.
        data: u64,
        /// Items in the loaded data.
        data_items: usize,
        /// Dimensions of the loaded data.
        data_dim: usize,
    },
    /// A map file that is not an SSAM map at all.
    #[error("{file}: not an SSAM map (the file does not start with the SSAM map magic bytes)")]
    NotAMap {
        /// The file being read.
        file: String,
    },
    /// A map laid out for other training images than those loaded.
    #[error(
        "{file}: a map of other images (fingerprint {map:016x}, {map_items} items) than those loaded (fingerprint {data:016x}, {data_items} items); lay it out again with `ssam map`"
    )]
    MapMismatch {
        /// The map file.
        file: String,
        /// Fingerprint stored in the map.
        map: u64,
        /// Points in the map.
        map_items: usize,
        /// Fingerprint of the loaded images.
        data: u64,
        /// Images loaded.
        data_items: usize,
    },
    /// A map point outside the bounds the map declares.
    #[error(
        "{file}: corrupted: point {item} at ({x}, {y}) lies outside the map's {width}x{height}"
    )]
    MapOutOfBounds {
        /// The map file.
        file: String,
        /// The item whose point is outside.
        item: usize,
        /// Its coordinates.
        x: u16,
        /// Its coordinates.
        y: u16,
        /// The map's declared width.
        width: u16,
        /// The map's declared height.
        height: u16,
    },
    /// Starting points that do not match the items to lay out.
    #[error("a layout of {items} items needs {items} starting points, not {points}")]
    LayoutStart {
        /// Items to lay out.
        items: usize,
        /// Starting points given.
        points: usize,
    },
    /// A neighbour list naming an item that is not there.
    #[error("neighbour {neighbour} of item {item} is not one of the {items} items")]
    LayoutNeighbour {
        /// The item whose list is wrong.
        item: usize,
        /// The id found.
        neighbour: u32,
        /// Items laid out.
        items: usize,
    },
    /// A query or parameter the engine cannot use.
    #[error("{0}")]
    InvalidInput(String),
}

/// Shorthand for results of the engine.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Bytes as mebibytes for a message: "2.0 MiB".
fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / f64::from(1 << 20))
}
