//! An own set built from what the page handed over: its files read (IDX) or decoded (a
//! folder's pictures), split, inverted when the pictures are dark on light, and indexed,
//! or its saved index read instead. Each step pauses between files and before indexing,
//! where a build no longer wanted stops.

use wasm_bindgen::JsValue;

use ssam::{Dataset, Index, Params, Space, format};

use super::Given;
use super::files::from_files;
use super::folder::from_folder;
use super::split::{Names, Origin, Split, split};
use crate::fetch::{now, pause};
use crate::protocol::{Problem, SetInfo};
use crate::runs::Ticket;
use crate::worker::messages::progress;
use crate::worker::set::Set;

/// Trees built over an own set. Measured in Chromium on this project's 2-core machine:
/// 60,000 28x28 images checked and indexed in 1.0 to 1.7 s with 5 trees; 10 would double
/// the indexing, which leaves too little of the 5 s target on a slower machine.
const TREES: usize = 5;

/// A set's name as people say it: the file or folder name without `.gz`, `.idx`,
/// `.ssam` and the like ("train-images-idx3-ubyte.gz" is "train-images-idx3-ubyte").
pub fn set_name(file: &str) -> String {
    let mut name = file.rsplit('/').next().unwrap_or(file);
    while let Some((stem, ext)) = name.rsplit_once('.') {
        let known = ["gz", "idx", "ssam", "bin", "ubyte", "raw"];
        if stem.is_empty() || !known.contains(&ext.to_ascii_lowercase().as_str()) {
            break;
        }
        name = stem;
    }
    name.to_owned()
}

/// Lets the event loop run, then says whether this build is still wanted (the user may
/// have gone back to MNIST or given another set meanwhile).
pub(super) async fn pause_while(ticket: &Ticket) -> Result<(), Problem> {
    pause().await;
    if ticket.wanted() {
        Ok(())
    } else {
        Err(Problem::Busy {
            what: "cancelled".into(),
        })
    }
}

/// Builds the set from what was given; stops at a pause once `ticket` is no longer
/// wanted.
pub(super) async fn build(
    given: Given,
    files: Vec<JsValue>,
    ticket: &Ticket,
) -> Result<Set, Problem> {
    let t0 = now();
    let read = match given {
        Given::Files(names) => from_files(&names, &files, ticket).await?,
        Given::Folder(paths) => from_folder(&paths, &files, ticket).await?,
    };
    let (rows, cols) = read.shape;
    let Split {
        indexed,
        queries,
        step,
    } = split(rows, cols, read.pixels, read.labels)?;
    // Polarity per set: pictures of dark ink on paper are inverted once, here (before a
    // saved index is checked against them), so that ink is high as in MNIST and in every
    // query the page makes.
    let inverted = indexed.light_ground();
    let (indexed, queries) = if inverted {
        (indexed.inverted(), queries.map(Dataset::inverted))
    } else {
        (indexed, queries)
    };
    let t1 = now();
    let mut notes = read.skipped;
    if let Some((file, _)) = &read.saved {
        notes.push(format!("The index was read from {file}, not built"));
    }
    let index = index(indexed, read.saved, &read.name, ticket).await?;
    let t2 = now();
    let info = SetInfo {
        name: read.name,
        own: true,
        labelled: read.labelled,
        classes: read.classes,
        ready_at: t2,
        stages: vec![
            ("read and check".into(), t1 - t0),
            ("index".into(), t2 - t1),
        ],
        query_noun: "image".into(),
        notes,
        inverted,
        ..SetInfo::default()
    };
    let mut set = Set::new(index, info, queries);
    set.names = Some(Names {
        origin: read.origin,
        step,
    });
    Ok(set)
}

/// The index of `indexed`: read from the saved index given with it, or built.
async fn index(
    indexed: Dataset,
    saved: Saved,
    name: &str,
    ticket: &Ticket,
) -> Result<Index, Problem> {
    if let Some((file, bytes)) = saved {
        progress("reading the saved index", &file, 0.0, None, true);
        pause_while(ticket).await?;
        return format::from_bytes(&file, &bytes, indexed).map_err(Problem::from);
    }
    progress("indexing", name, 0.0, Some(1.0), true);
    pause_while(ticket).await?;
    let mut last = 0.0;
    Index::build(
        indexed,
        Space::Raw,
        Params::default().trees(TREES),
        None,
        &mut |stage, done| {
            if now() - last > 50.0 {
                last = now();
                progress(stage, name, done, Some(1.0), true);
            }
        },
    )
    .map_err(Problem::from)
}

/// A saved index travelling with its images: its file name and bytes.
pub(super) type Saved = Option<(String, Vec<u8>)>;

/// What the given files hold, before splitting and indexing.
pub(super) struct Read {
    pub(super) name: String,
    pub(super) pixels: Vec<u8>,
    pub(super) labels: Vec<u8>,
    /// Rows and columns of an image.
    pub(super) shape: (usize, usize),
    pub(super) labelled: bool,
    pub(super) classes: Vec<String>,
    pub(super) saved: Saved,
    /// Files of a folder that were not used, and why.
    pub(super) skipped: Vec<String>,
    /// Where each image came from.
    pub(super) origin: Origin,
}
