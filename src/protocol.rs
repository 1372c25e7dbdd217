//! What the page and the engine's worker say to each other: plain typed values, encoded
//! with postcard into one `Uint8Array` per message (files handed to the worker travel
//! beside it, as `File` objects the worker reads itself). Nothing here touches the
//! browser, so both sides and the tests share one definition.
// The fields are named for what they hold; each type says what it is for.
#![allow(missing_docs)]

use serde::{Deserialize, Serialize};

use ssam::error::Error;
use ssam::{Effort, FileKind, Space};

/// A search setting as it travels: the engine's [`Effort`] without its `usize`s.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Setting {
    /// The graph with this beam.
    Graph(u32),
    /// The forest with this candidate budget.
    Forest(u32),
    /// Every image measured.
    #[default]
    Exact,
}

impl From<Setting> for Effort {
    fn from(s: Setting) -> Effort {
        match s {
            Setting::Graph(ef) => Effort::Graph { ef: ef as usize },
            Setting::Forest(budget) => Effort::Forest {
                budget: budget as usize,
            },
            Setting::Exact => Effort::Exact,
        }
    }
}

impl From<Effort> for Setting {
    fn from(e: Effort) -> Setting {
        match e {
            Effort::Graph { ef } => Setting::Graph(ef as u32),
            Effort::Forest { budget } => Setting::Forest(budget as u32),
            Effort::Exact => Setting::Exact,
        }
    }
}

impl Setting {
    /// What the page offers, in its menu and its benchmark alike (`Effort::OFFERED`):
    /// graph beams for a set with a graph, then forest budgets.
    pub fn offered(graph: bool) -> Vec<Setting> {
        Effort::OFFERED
            .into_iter()
            .filter(|e| graph || !matches!(e, Effort::Graph { .. }))
            .map(Setting::from)
            .collect()
    }

    /// How a setting reads in a menu or a table.
    pub fn name(self) -> String {
        match self {
            Setting::Graph(ef) => format!("graph, beam {ef}"),
            Setting::Forest(budget) => format!("forest, {budget} candidates"),
            Setting::Exact => "exact".into(),
        }
    }
}

/// A grey image of any size, row-major, 0 = ground.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Image {
    pub rows: u16,
    pub cols: u16,
    pub pixels: Vec<u8>,
}

/// A query and where it came from ("your drawing", a file name, a test digit).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Query {
    pub image: Image,
    pub source: String,
}

/// A search the page asks for. The worker answers the latest one it holds; one asked
/// before the data is ready waits and runs when it is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Request {
    pub id: u32,
    pub query: Query,
    pub k: u32,
    /// None: the index's own default (the graph when it has one).
    pub setting: Option<Setting>,
    /// Also run exact search and give this query's recall.
    pub exact: bool,
}

/// What the page asks the worker.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum ToWorker {
    Search(Request),
    /// One of the current set's query images: by number, or at random.
    Pick {
        which: Option<u32>,
    },
    /// A picture to search with, which travels beside the message: the worker decodes,
    /// scales and prepares it off the page's thread and answers with
    /// [`FromWorker::Picked`].
    Picture {
        name: String,
    },
    /// The benchmark over this many query images.
    Bench {
        queries: u32,
    },
    /// Files of an own set sent ahead of the message that names them all
    /// ([`ToWorker::OwnFiles`], [`ToWorker::OwnFolder`]), a batch a message: cloning a
    /// file for another thread costs the page's thread a fraction of a millisecond, so
    /// a folder of thousands in one message would hold it for a second.
    OwnAhead,
    /// An own set from files (IDX images, IDX labels, a saved index), which travel with
    /// the message in this order (the first of them in [`ToWorker::OwnAhead`] messages
    /// before it when there are more than `names` has files beside it).
    OwnFiles {
        names: Vec<String>,
    },
    /// An own set from a folder of pictures: relative paths, the files travel alongside
    /// (the first of them ahead, as for [`ToWorker::OwnFiles`]).
    OwnFolder {
        paths: Vec<String>,
    },
    /// Why training image `id` is similar to `query` (an image of the set's size, as an
    /// answer gave it back): answered with [`FromWorker::Why`].
    Explain {
        query: Image,
        id: u32,
    },
    /// The current index as a file.
    Save,
    /// Back to the shipped MNIST index.
    UseShipped,
    /// The current set's map (asked once a first result is shown).
    Map,
    /// Training images by id, for the map's pictures and the digit under the pointer.
    Images {
        ids: Vec<u32>,
    },
    /// Lay out a map of the own set searched now (answered with [`FromWorker::Layout`]
    /// as it goes, then [`FromWorker::LaidOut`]); a layout under way starts again.
    LayOut,
    /// Stop the layout under way (answered with [`FromWorker::LayoutCancelled`]).
    CancelLayout,
    /// Stop the benchmark under way at its next pause between queries: answered with
    /// [`FromWorker::BenchStopped`] (or [`FromWorker::BenchDone`] when it ended first).
    StopBench,
}

/// What loading or building is doing now.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Progress {
    /// "downloading" (and unpacking), "reading", "checking", "indexing", "forest", ...
    pub stage: String,
    /// The file or set being worked on.
    pub file: String,
    /// Done so far and, when known, in all (bytes, images or a fraction).
    pub done: f64,
    pub total: Option<f64>,
    /// Own-set building (shown in its panel) rather than the first load.
    pub own: bool,
}

/// The set being searched, as the page shows it. What the index tells is filled in by
/// the worker's `Set::new`; the loaders give the rest.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub struct SetInfo {
    /// "MNIST" or the own set's first file or folder.
    pub name: String,
    pub own: bool,
    pub items: u32,
    pub rows: u16,
    pub cols: u16,
    pub labelled: bool,
    /// Names of the labels of a folder set (its subfolders), by label; empty: numbers.
    pub classes: Vec<String>,
    /// How images are compared (`Space::name`) and the size of what is searched.
    pub space: String,
    pub deskewed: bool,
    pub searched_side: u16,
    /// Pixels a query is also moved each way (0: not moved).
    pub shift: u8,
    pub trees: u32,
    pub graph: bool,
    /// `Effort::default_for` the index.
    pub default: Setting,
    /// Milliseconds since the page started when the set was ready (set by the page on
    /// receipt: the worker's clock starts later), and how long each stage took.
    pub ready_at: f64,
    pub stages: Vec<(String, f64)>,
    /// What pick and the benchmark draw from: "test digit" or "image".
    pub query_noun: String,
    pub queries: u32,
    pub memory_mb: f64,
    /// What the page should also say about the set (files of a folder skipped, and why).
    pub notes: Vec<String>,
    /// The set's pictures were dark on a light ground and were inverted on import, so
    /// that ink is high as in MNIST and in every query.
    pub inverted: bool,
    /// Searched by parts fetched per query (the streamed layout), while the whole set
    /// downloads in the background; None: the whole set is here.
    pub streamed: Option<Streaming>,
}

/// How a set searched by parts is cut.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Streaming {
    /// Cells in all.
    pub cells: u32,
    /// Cells a query searches.
    pub probes: u32,
    /// Cells the visit's first query searches.
    pub first: u32,
    /// Most kilobytes of cells a query searches, its nearest that fit (0: no bound but
    /// the count).
    pub cell_kb: u32,
    /// Whether the whole set downloads in the background (MNIST's), or it is only ever
    /// searched by parts (a set opened by its address).
    pub background: bool,
}

/// What answering a query by parts took.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Parts {
    /// Cells searched.
    pub cells: u32,
    /// Bytes fetched for this query (0: all were here already).
    pub fetched: u64,
    /// Sequential round trips it waited for.
    pub trips: u32,
    /// The worker's WebAssembly memory after it (MB): what searching by parts holds.
    pub memory_mb: f64,
}

impl SetInfo {
    /// One line saying what "similar" means for this set: the space the candidates are
    /// found in, then the re-ranking the page answers with.
    pub fn similar(&self) -> String {
        if self.deskewed {
            let moved = match self.shift {
                0 => String::new(),
                1 => ", also trying it one pixel up, down, left and right".into(),
                n => format!(", also trying it {n} pixels up, down, left and right"),
            };
            format!(
                "Similar means close in pixels after standing the digit upright (deskewed), centring it and scaling it to {s}x{s}{moved}; the nearest found there are then re-ranked by how far each part of the digit must move to match, and the distances shown are that cost.",
                s = self.searched_side
            )
        } else {
            let polarity = if self.inverted {
                " (inverted: the pictures were dark on light)"
            } else {
                ""
            };
            format!(
                "Similar means close in pixels, {}x{} grey levels as given{polarity}; the nearest found there are then re-ranked by how far each part must move to match, and the distances shown are that cost.",
                self.rows, self.cols
            )
        }
    }

    /// Details of a space that `SetInfo` carries: its name, whether it deskews, the side
    /// it searches at and the query shift.
    pub fn space_fields(space: Space) -> (String, bool, u16, u8) {
        match space {
            Space::Raw => (space.name(), false, 0, 0),
            Space::Deskew { side, shift, .. } => (space.name(), true, u16::from(side), shift),
        }
    }
}

/// One training image found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Hit {
    pub id: u32,
    pub label: Option<u8>,
    /// The answer's distance: the distortion cost when re-ranked, else squared L2 in
    /// the index's space.
    pub distance: u32,
    pub image: Image,
    /// Where the image came from in the user's own files: a folder set's picture by its
    /// path inside the folder ("circle/c07.png"), an IDX set's file and the image's
    /// number in it, counted from 0 ("shapes-images.idx #41"); None for MNIST.
    pub name: Option<String>,
}

/// What a search found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Answer {
    pub id: u32,
    pub query: Query,
    /// The query as the engine searched it (after the space's transform).
    pub searched: Image,
    pub setting: Setting,
    /// The candidates were re-ranked by the image distortion model (`Ranking::DEFAULT`).
    pub reranked: bool,
    pub hits: Vec<Hit>,
    /// What the nearest say, when the set has labels.
    pub verdict: Option<Verdict>,
    pub ms: f64,
    pub measured: u32,
    pub items: u32,
    pub exact: Option<Exact>,
    /// Answered from fetched parts of the set (None: from the whole set).
    pub parts: Option<Parts>,
    /// What a hit that shares none of the query's ink would cost (the query against an
    /// empty image): a hit's distance as a share of it is how much of the query it
    /// leaves unmatched, which the page shows as how alike they are.
    pub blank: u32,
}

/// The engine's [`ssam::verdict::Verdict`] as it travels.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Verdict {
    pub label: u8,
    pub support: f64,
    pub runner_up: Option<(u8, f64)>,
    /// The label carries enough of the weight to be named.
    pub sure: bool,
}

impl From<ssam::verdict::Verdict> for Verdict {
    fn from(v: ssam::verdict::Verdict) -> Verdict {
        Verdict {
            label: v.label,
            support: v.support,
            runner_up: v.runner_up,
            sure: v.sure(),
        }
    }
}

/// Why a hit is similar to a query (`Index::explain`): both stood upright as compared,
/// and for each query pixel (row-major) where its best match lies in the hit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Why {
    /// The hit explained.
    pub id: u32,
    pub query: Image,
    pub hit: Image,
    /// Displacement (dx, dy) of each query pixel's match.
    pub moved: Vec<(i8, i8)>,
    /// The distortion distance, as the answer ranked it.
    pub distance: u32,
}

/// Exact search of the same query, when asked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Exact {
    pub recall: f64,
    pub ms: f64,
}

/// One row of the benchmark.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Row {
    pub setting: Setting,
    /// The nearest candidates re-ranked, as the page answers (`Ranking::DEFAULT`).
    pub reranked: bool,
    pub recall: f64,
    pub qps: f64,
    pub p50: f64,
    pub p99: f64,
    /// None when the set has no labels.
    pub acc1: Option<f64>,
}

/// A count as people read it: 60000 is "60,000". Here, beside the messages, because the
/// page and the worker both say counts to a person.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// What the worker tells the page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum FromWorker {
    /// The worker listens: messages sent before this would have been lost.
    Started,
    Progress(Progress),
    Ready(SetInfo),
    Answer(Answer),
    Picked(Query),
    Why(Why),
    BenchStatus {
        setting: Setting,
        done: u32,
        of: u32,
    },
    BenchRow(Row),
    BenchDone {
        queries: u32,
        memory_mb: f64,
    },
    Saved {
        name: String,
        bytes: Vec<u8>,
    },
    Failed {
        during: Task,
        problem: Problem,
    },
    Map(MapFile),
    Images(Images),
    /// The background download of the whole set: bytes done of all.
    Local {
        done: u64,
        total: u64,
    },
    /// How far the own set's layout is.
    Layout(LayoutProgress),
    /// The own set's map, laid out in `ms` milliseconds.
    LaidOut {
        map: MapFile,
        ms: f64,
    },
    /// The layout stopped as asked.
    LayoutCancelled,
    /// The host ignores byte ranges: the set is downloaded whole before its first answer
    /// (how far, in [`FromWorker::Local`]), then searched here.
    NoRanges,
    /// The benchmark stopped as asked, while measuring `setting` (`Setting::Exact`: while
    /// finding the exact answers), after `done` of its `of` queries; the rows sent
    /// before stand.
    BenchStopped {
        setting: Setting,
        done: u32,
        of: u32,
    },
}

/// Where an own set's layout is: its three stages in order.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum LayoutProgress {
    /// Each image's nearest found, as a query's are.
    Neighbours { done: u32, of: u32 },
    /// The start, the images' first two principal components: the share done.
    Start { share: f64 },
    /// The descent, epoch by epoch.
    Descent { epoch: u32, of: u32 },
}

/// A map's file, checked by the worker against the set (and again by the page, which
/// trusts no message), with each item's label to colour it by.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MapFile {
    pub file: String,
    /// The inflated file.
    pub bytes: Vec<u8>,
    /// The set's fingerprint and size, which the map must have been made for.
    pub fingerprint: u64,
    pub labels: Vec<u8>,
}

/// Training images asked for by id: `pixels` holds them one after the other.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Images {
    pub rows: u16,
    pub cols: u16,
    pub ids: Vec<u32>,
    pub pixels: Vec<u8>,
}

/// What the worker was doing when something went wrong: says where the page shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Task {
    Load,
    Search,
    Pick,
    Explain,
    Bench,
    OwnSet,
    Save,
    Map,
    /// Laying out an own set's map.
    Layout,
    /// The worker itself: it did not start, died, or a message did not decode.
    Worker,
}

/// Which check a file failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum DataKind {
    Gzip,
    Idx,
    Count,
    Label,
    Index,
    Truth,
    Query,
    Map,
    /// Larger than the page reads (a gzip bomb, or a header declaring too much).
    Size,
}

/// Everything that can go wrong, typed until the page shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Problem {
    /// A file the page ships could not be fetched.
    Download {
        file: String,
        status: Option<u16>,
        reason: String,
    },
    /// A file or query failed the engine's checks; `detail` is the engine's own account.
    Data {
        file: String,
        kind: DataKind,
        detail: String,
    },
    /// Own-set images larger than the page indexes.
    TooLarge {
        file: String,
        rows: u32,
        cols: u32,
        max: u32,
    },
    /// An own set without images (no IDX images file, no picture in the folder).
    NoImages { what: String },
    /// Something this set cannot do (no graph for a graph setting, no labels...).
    Unsupported { what: String },
    /// The data are still loading or another long task runs.
    Busy { what: String },
    /// The worker did not start, stopped, or sent what the page cannot read.
    Worker { detail: String },
    /// The worker stopped (a panic, or memory ran out) and the page started a new one;
    /// `file` is the user's file it was reading, when it was.
    Stopped {
        file: Option<String>,
        detail: String,
    },
}

impl From<Error> for Problem {
    fn from(e: Error) -> Problem {
        Problem::from(&e)
    }
}

impl From<&Error> for Problem {
    /// An engine error, typed by whose it is: a file's fault keeps the file and which
    /// check failed; the user's picture or query is a query problem; a parameter or an
    /// operation the data cannot take is unsupported; and the engine's own sequencing (a
    /// part searched before it arrived) says the data are still coming, never that the
    /// query is wrong.
    fn from(e: &Error) -> Problem {
        let of_kind = |kind: &FileKind| match kind {
            FileKind::Index | FileKind::Root => DataKind::Index,
            FileKind::Map => DataKind::Map,
            FileKind::Answers | FileKind::KthDistances => DataKind::Truth,
        };
        let (file, kind) = match e {
            Error::Gzip { file, .. } => (file.clone(), DataKind::Gzip),
            Error::TooLarge { file, .. } | Error::DeclaredTooLarge { file, .. } => {
                (file.clone(), DataKind::Size)
            }
            Error::Idx { file, .. } => (file.clone(), DataKind::Idx),
            Error::CountMismatch { images, .. } => (images.clone(), DataKind::Count),
            Error::BadLabel { file, .. } => (file.clone(), DataKind::Label),
            Error::WrongKind {
                file,
                expected: kind,
                ..
            }
            | Error::UnsupportedVersion { file, kind, .. }
            | Error::TruthMismatch { file, kind, .. } => (file.clone(), of_kind(kind)),
            Error::Truncated { file, .. }
            | Error::Checksum { file, .. }
            | Error::Corrupt { file, .. }
            | Error::DatasetMismatch { file, .. } => (file.clone(), DataKind::Index),
            Error::BadPicture { .. } | Error::ImageSize { .. } => (String::new(), DataKind::Query),
            Error::MapMismatch { file, .. } | Error::MapOutOfBounds { file, .. } => {
                (file.clone(), DataKind::Map)
            }
            Error::LayoutStart { .. } | Error::LayoutNeighbour { .. } => {
                (String::new(), DataKind::Map)
            }
            Error::BadParameter { .. } | Error::Unsupported { .. } => {
                return Problem::Unsupported {
                    what: e.to_string(),
                };
            }
            Error::NotArrived { layout, cell, item } => {
                let part = match item {
                    Some(i) => format!("item {i} of cell {cell}"),
                    None => format!("cell {cell}"),
                };
                return Problem::Busy {
                    what: format!(
                        "{layout}: part of the set this search needs ({part}) has not arrived yet; search again once it has"
                    ),
                };
            }
        };
        Problem::Data {
            file,
            kind,
            detail: e.to_string(),
        }
    }
}

impl Problem {
    /// A short name for the kind of problem (the error panel's `data-problem`).
    pub fn kind(&self) -> &'static str {
        match self {
            Problem::Download { .. } => "download",
            Problem::Data { kind, .. } => match kind {
                DataKind::Gzip => "gzip",
                DataKind::Idx => "idx",
                DataKind::Count => "count",
                DataKind::Label => "label",
                DataKind::Index => "index",
                DataKind::Truth => "truth",
                DataKind::Query => "query",
                DataKind::Map => "map",
                DataKind::Size => "size",
            },
            Problem::TooLarge { .. } => "too-large",
            Problem::NoImages { .. } => "no-images",
            Problem::Unsupported { .. } => "unsupported",
            Problem::Busy { .. } => "busy",
            Problem::Worker { .. } => "worker",
            Problem::Stopped { .. } => "stopped",
        }
    }

    /// The sentence a user reads.
    pub fn message(&self) -> String {
        match self {
            Problem::Download {
                file,
                status: Some(s),
                reason,
            } => format!("{file}: the server answered {s} {reason}"),
            Problem::Download {
                file,
                status: None,
                reason,
            } => format!("{file}: could not be fetched ({reason})"),
            Problem::Data { detail, .. } => detail.clone(),
            Problem::TooLarge {
                file,
                rows,
                cols,
                max,
            } => format!(
                "{file}: images of {rows}x{cols} pixels are too large; this page indexes images up to {max}x{max}"
            ),
            Problem::NoImages { what } => format!("{what}: no images to index"),
            Problem::Unsupported { what } | Problem::Busy { what } => what.clone(),
            Problem::Worker { detail } => {
                format!("the search engine's worker stopped: {detail}")
            }
            Problem::Stopped {
                file: Some(file),
                detail,
            } => format!(
                "{file}: the search engine stopped while reading it ({detail}); it was started again with MNIST"
            ),
            Problem::Stopped { file: None, detail } => {
                format!("the search engine stopped ({detail}); it was started again with MNIST")
            }
        }
    }
}

/// Encodes a message for `postMessage`.
pub fn encode<T: Serialize>(message: &T) -> Vec<u8> {
    postcard::to_allocvec(message).expect("messages are plain data and always encode")
}

/// Decodes a message; a message that does not decode is a [`Problem::Worker`].
pub fn decode<'a, T: Deserialize<'a>>(bytes: &'a [u8]) -> Result<T, Problem> {
    postcard::from_bytes(bytes).map_err(|e| Problem::Worker {
        detail: format!("a message of {} bytes did not decode ({e})", bytes.len()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_to_and_from_the_worker_survive_encoding() {
        let ask = ToWorker::Search(Request {
            id: 3,
            query: Query {
                image: Image {
                    rows: 2,
                    cols: 2,
                    pixels: vec![0, 255, 7, 9],
                },
                source: "your drawing".into(),
            },
            k: 10,
            setting: Some(Setting::Forest(2000)),
            exact: true,
        });
        assert_eq!(decode::<ToWorker>(&encode(&ask)).unwrap(), ask);
        let told = FromWorker::Failed {
            during: Task::OwnSet,
            problem: Problem::TooLarge {
                file: "big.idx".into(),
                rows: 65,
                cols: 65,
                max: 64,
            },
        };
        let back = decode::<FromWorker>(&encode(&told)).unwrap();
        assert_eq!(back, told);
        // A damaged message is a typed problem, never a panic.
        let e = decode::<FromWorker>(&[0xff, 0xff, 0xff]).unwrap_err();
        assert_eq!(e.kind(), "worker");
    }
}
