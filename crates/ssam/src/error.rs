//! The one error type of the engine: each variant says what went wrong, where, and with
//! which value, so that a user reading it knows which file to fix.

use thiserror::Error;

use crate::envelope::FileKind;

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
    /// A file of another kind than the one asked for, or none of SSAM's (an HTML page
    /// served in its place, another file given by mistake).
    #[error("{file}: not an {expected}: it starts with {}", shown(found))]
    WrongKind {
        /// The file being read.
        file: String,
        /// The kind of file asked for.
        expected: FileKind,
        /// Its first bytes (at most as many as the magic).
        found: Vec<u8>,
    },
    /// A file written by another version of its format.
    #[error(
        "{file}: {kind} format version {found} is not supported (this build reads version {supported}); {}",
        kind.remedy()
    )]
    UnsupportedVersion {
        /// The file being read.
        file: String,
        /// The kind of file.
        kind: FileKind,
        /// The version in the file.
        found: u32,
        /// The newest version this build reads.
        supported: u32,
    },
    /// A file or part that ends before its header says it should.
    #[error("{file}: truncated: {what}")]
    Truncated {
        /// The file being read.
        file: String,
        /// Which part is missing.
        what: String,
    },
    /// A file or part whose bytes do not match their checksum.
    #[error("{file}: corrupted: body checksum is {found:016x}, header says {expected:016x}")]
    Checksum {
        /// The file being read.
        file: String,
        /// Checksum stored in the header.
        expected: u64,
        /// Checksum of the bytes read.
        found: u64,
    },
    /// A file or part whose structure is inconsistent although its checksum matched.
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
    /// Exact answers computed for other data or queries than those loaded.
    #[error("{file}: made for other data or queries ({queries} queries); {}", kind.remedy())]
    TruthMismatch {
        /// The file.
        file: String,
        /// Which of the two exact-answer files.
        kind: FileKind,
        /// Queries the file holds answers for.
        queries: usize,
    },
    /// A picture given as a query that holds no digit to search with: no ink, only
    /// specks, marks only along its frame, too small or too large. The user's to change.
    #[error("{why}")]
    BadPicture {
        /// What is wrong with it, and so what to draw or send instead.
        why: String,
    },
    /// An image or query of another size than the one it is compared with (arroy's
    /// `InvalidVecDimension`): the caller's to fix.
    #[error("{what} has {received} values where {expected} are expected")]
    ImageSize {
        /// What was given, with its shape.
        what: String,
        /// The values expected.
        expected: usize,
        /// The values given.
        received: usize,
    },
    /// A parameter outside what the engine takes.
    #[error("{name} {value}: {why}")]
    BadParameter {
        /// The parameter, as a user sets it.
        name: &'static str,
        /// The value given.
        value: String,
        /// What the engine takes instead.
        why: String,
    },
    /// Something asked of data or an index that it cannot do: a search by a graph the
    /// index does not have, a set too large or empty for what was asked.
    #[error("{what}")]
    Unsupported {
        /// What was asked and why it cannot be done.
        what: String,
    },
    /// A streamed search finished before a part it chose had arrived: the caller's
    /// sequencing, not the user's query nor the data.
    #[error(
        "{layout}: {} has not arrived; every span of a plan is received before the search finishes",
        match item { Some(i) => format!("item {i} of cell {cell}"), None => format!("cell {cell}") }
    )]
    NotArrived {
        /// The layout searched.
        layout: String,
        /// The cell block.
        cell: u32,
        /// The item of the cell whose picture was missing, when it was one.
        item: Option<u32>,
    },
}

/// Shorthand for results of the engine.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A file's first bytes for a message: as text when they are printable (an SSAM magic's
/// padding shown as `\0`), else in hex.
fn shown(bytes: &[u8]) -> String {
    if bytes.is_empty() {
        "nothing".into()
    } else if bytes.iter().all(|&b| b == 0 || (b' '..=b'~').contains(&b)) {
        format!("{:?}", String::from_utf8_lossy(bytes))
    } else {
        let hex: Vec<String> = bytes.iter().map(|b| format!("{b:02x}")).collect();
        format!("the bytes {}", hex.join(" "))
    }
}

/// Bytes as mebibytes for a message: "2.0 MiB".
fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / f64::from(1 << 20))
}
