//! Own image sets: IDX files (images, labels if any, gzip or raw, and a saved index to
//! skip building) or a folder of pictures (with its saved index inside, if any), checked
//! here file by file and indexed by a forest in the raw pixel space. Every failure names
//! the file and what is wrong; the set searched until then stays until the new one is
//! whole. Every file is read within a stated limit, tightened to what its header declares.

use std::collections::{BTreeMap, BTreeSet};

use js_sys::Uint8Array;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{Blob, ImageBitmap, OffscreenCanvas, OffscreenCanvasRenderingContext2d};

use ssam::error::Error;
use ssam::gzip::{Declared, Limit};
use ssam::{Dataset, Index, Params, Space, format, idx, preprocess};

use super::load::progress;
use super::{Set, scope};
use crate::fetch::{self, js_error, now, pause};
use crate::picture;
use crate::protocol::{Problem, SetInfo};

/// Largest image side an own set may have: 64x64 is 4,096 values an image, five times
/// MNIST's, which keeps 60,000 of them under 250 MB and a forest build within seconds.
pub const MAX_SIDE: usize = 64;
/// The most one own-set file may hold unpacked: 60,000 images of 64x64 and their header
/// fit (246 MB); a file declaring more is refused from its header, and a gzip stream is
/// stopped here whatever it declares.
pub const MAX_FILE_BYTES: u64 = 256 << 20;
/// Trees built over an own set. Measured in Chromium on this project's 2-core machine:
/// 60,000 28x28 images checked and indexed in 1.0 to 1.7 s with 5 trees; 10 would double
/// the indexing, which leaves too little of the 5 s target on a slower machine.
pub const TREES: usize = 5;
/// Benchmark queries of an own set are held out of its index, so a query never finds
/// itself: every `HOLD_EVERY`-th image (or sparser, for at most [`BENCH_QUERIES`]).
pub const HOLD_EVERY: usize = 20;
/// Query images an own set's benchmark uses, at most.
pub const BENCH_QUERIES: usize = 1000;
/// Sets smaller than this are indexed whole: holding out 5% of fewer images leaves too
/// few queries to measure anything, and the benchmark says so instead.
pub const MIN_TO_HOLD_OUT: usize = 200;

/// What the user gave.
pub enum Given {
    /// File names, the files in the same order.
    Files(Vec<String>),
    /// Paths relative to the chosen folder, the files in the same order.
    Folder(Vec<String>),
}

fn engine(e: Error) -> Problem {
    Problem::from_engine(&e)
}

fn idx_error(file: &str, what: String) -> Problem {
    engine(Error::Idx {
        file: file.into(),
        what,
    })
}

fn blob(v: &JsValue, name: &str) -> Result<Blob, Problem> {
    v.dyn_ref::<Blob>().cloned().ok_or_else(|| Problem::Worker {
        detail: format!("{name} did not reach the worker as a file"),
    })
}

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

/// Own-set files are IDX images or labels, or a saved index: whichever header they
/// start with sets their limit; a file that starts as neither is read no further than
/// its first bytes (the IDX reader then says what is wrong with them).
fn own_declared(head: &[u8]) -> Declared {
    match (format::declared(head), idx::declared(head)) {
        (Declared::Unknown, Declared::Unknown) => Declared::Foreign,
        (Declared::Unknown, d) | (d, _) => d,
    }
}

/// How a dataset is split for the benchmark: the images indexed, and the held-out
/// queries (None for a set too small to hold any out), every `step`-th image.
pub struct Split {
    pub indexed: Dataset,
    pub queries: Option<Dataset>,
    pub step: Option<usize>,
}

/// Holds every `step`-th image out of `pixels`/`labels` (in place: the set is never
/// copied whole) and makes the two datasets. Deterministic, so a saved index built on
/// the indexed part fits the same files given again.
fn split(
    rows: usize,
    cols: usize,
    mut pixels: Vec<u8>,
    mut labels: Vec<u8>,
) -> Result<Split, Problem> {
    let n = labels.len();
    if n < MIN_TO_HOLD_OUT {
        let indexed = Dataset::new(rows, cols, pixels, labels).map_err(engine)?;
        return Ok(Split {
            indexed,
            queries: None,
            step: None,
        });
    }
    let dim = rows * cols;
    let step = HOLD_EVERY.max(n.div_ceil(BENCH_QUERIES));
    let (mut held_pixels, mut held_labels) = (Vec::new(), Vec::new());
    let mut kept = 0;
    for i in 0..n {
        if i % step == step - 1 {
            held_pixels.extend_from_slice(&pixels[i * dim..(i + 1) * dim]);
            held_labels.push(labels[i]);
        } else {
            pixels.copy_within(i * dim..(i + 1) * dim, kept * dim);
            labels[kept] = labels[i];
            kept += 1;
        }
    }
    // The 5% held out stay as spare capacity: shrinking could copy the whole set.
    pixels.truncate(kept * dim);
    labels.truncate(kept);
    Ok(Split {
        indexed: Dataset::new(rows, cols, pixels, labels).map_err(engine)?,
        queries: Some(Dataset::new(rows, cols, held_pixels, held_labels).map_err(engine)?),
        step: Some(step),
    })
}

/// Where an own set's images came from in the user's files, in the order given.
enum Origin {
    /// Images of one IDX file: named by its file name and their number in it.
    Idx(String),
    /// Pictures of a folder: their paths inside it.
    Files(Vec<String>),
}

/// Names each image of an own set by the user's own file, for the page to show beside
/// a hit or a query: the split moved them from the order they were given in.
pub struct Names {
    origin: Origin,
    /// The split's step (None: indexed whole).
    step: Option<usize>,
}

impl Names {
    /// Indexed image `id` (a hit's id).
    pub fn indexed(&self, id: usize) -> String {
        // Of each `step` images given, the first `step - 1` were indexed.
        let given = self.step.map_or(id, |s| id / (s - 1) * s + id % (s - 1));
        self.given(given)
    }

    /// Query image `i`: held out when the set holds any out, else an indexed one.
    pub fn query(&self, i: usize) -> String {
        match self.step {
            Some(s) => self.given(i * s + s - 1),
            None => self.given(i),
        }
    }

    /// The image given `i`-th.
    fn given(&self, i: usize) -> String {
        match &self.origin {
            Origin::Idx(file) => format!("{file} #{i}"),
            Origin::Files(paths) => paths.get(i).cloned().unwrap_or_default(),
        }
    }
}

/// Lets the event loop run, then says whether this build is still wanted (the user may
/// have gone back to MNIST or given another set meanwhile).
async fn pause_while(wanted: &dyn Fn() -> bool) -> Result<(), Problem> {
    pause().await;
    if wanted() {
        Ok(())
    } else {
        Err(Problem::Busy {
            what: "cancelled".into(),
        })
    }
}

/// Builds the set from what was given; stops at a pause once `wanted` says no more.
pub async fn build(
    given: Given,
    files: Vec<JsValue>,
    wanted: &dyn Fn() -> bool,
) -> Result<Set, Problem> {
    let t0 = now();
    let read = match given {
        Given::Files(names) => from_files(&names, &files, wanted).await?,
        Given::Folder(paths) => from_folder(&paths, &files, wanted).await?,
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
    let index = index(indexed, read.saved, &read.name, wanted).await?;
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
    wanted: &dyn Fn() -> bool,
) -> Result<Index, Problem> {
    if let Some((file, bytes)) = saved {
        progress("reading the saved index", &file, 0.0, None, true);
        pause_while(wanted).await?;
        return format::from_bytes(&file, &bytes, indexed).map_err(engine);
    }
    progress("indexing", name, 0.0, Some(1.0), true);
    pause_while(wanted).await?;
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
    .map_err(engine)
}

/// A saved index travelling with its images: its file name and bytes.
type Saved = Option<(String, Vec<u8>)>;

/// What the given files hold, before splitting and indexing.
struct Read {
    name: String,
    pixels: Vec<u8>,
    labels: Vec<u8>,
    /// Rows and columns of an image.
    shape: (usize, usize),
    labelled: bool,
    classes: Vec<String>,
    saved: Saved,
    /// Files of a folder that were not used, and why.
    skipped: Vec<String>,
    /// Where each image came from.
    origin: Origin,
}

/// Reads one own-set file within [`MAX_FILE_BYTES`] and what its header declares.
async fn read(file: &Blob, name: &str) -> Result<Vec<u8>, Problem> {
    let mut last = 0.0;
    let limit = Limit::at_most(MAX_FILE_BYTES).declared_by(own_declared);
    fetch::read_file(file, name, limit, |done, total| {
        if now() - last > 50.0 {
            last = now();
            progress("reading", name, done as f64, total.map(|t| t as f64), true);
        }
    })
    .await
}

/// Images of `rows` x `cols` pixels that an own set may hold.
fn check_shape(file: &str, rows: usize, cols: usize) -> Result<(), Problem> {
    if rows == 0 || cols == 0 {
        return Err(idx_error(
            file,
            format!("images of {rows}x{cols} pixels are empty"),
        ));
    }
    if rows > MAX_SIDE || cols > MAX_SIDE {
        return Err(Problem::TooLarge {
            file: file.into(),
            rows: rows as u32,
            cols: cols as u32,
            max: MAX_SIDE as u32,
        });
    }
    Ok(())
}

/// IDX images, optional IDX labels and an optional saved index, told apart by content.
async fn from_files(
    names: &[String],
    files: &[JsValue],
    wanted: &dyn Fn() -> bool,
) -> Result<Read, Problem> {
    let mut images: Option<(String, usize, usize, Vec<u8>, usize)> = None;
    let mut labels: Option<(String, Vec<u8>)> = None;
    let mut saved: Saved = None;
    for (name, file) in names.iter().zip(files) {
        let bytes = read(&blob(file, name)?, name).await?;
        if bytes.starts_with(&format::MAGIC) {
            saved = Some((name.clone(), bytes));
            continue;
        }
        progress("checking", name, 0.0, None, true);
        pause_while(wanted).await?;
        let array = idx::parse_owned(name, bytes).map_err(engine)?;
        match *array.dims.as_slice() {
            [count, rows, cols] => {
                check_shape(name, rows, cols)?;
                images = Some((name.clone(), rows, cols, array.data, count));
            }
            [_] => labels = Some((name.clone(), array.data)),
            ref dims => {
                return Err(idx_error(
                    name,
                    format!(
                        "expected images [count, rows, cols] or labels [count], found dimensions {dims:?}"
                    ),
                ));
            }
        }
    }
    let Some((name, rows, cols, pixels, count)) = images else {
        return Err(match saved {
            Some((file, _)) => Problem::Unsupported {
                what: format!(
                    "{file} is a saved index: give it together with its images (IDX files), or put it in its folder of pictures and choose the folder"
                ),
            },
            None => Problem::NoImages {
                what: names.join(", "),
            },
        });
    };
    if count == 0 {
        return Err(Problem::NoImages { what: name });
    }
    let (labels, labelled) = match labels {
        Some((file, l)) if l.len() != count => {
            return Err(engine(Error::CountMismatch {
                images: name,
                image_count: count,
                labels: file,
                label_count: l.len(),
            }));
        }
        // Any byte is a label here: own sets are not digits.
        Some((_, l)) => (l, true),
        None => (vec![0; count], false),
    };
    Ok(Read {
        name: set_name(&name),
        pixels,
        labels,
        shape: (rows, cols),
        labelled,
        classes: Vec::new(),
        saved,
        skipped: Vec::new(),
        origin: Origin::Idx(name),
    })
}

/// Why a folder's file was not used.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Skip {
    Empty,
    NotPicture,
    TooLarge,
}

/// "3 files skipped: 1 empty, 1 not a picture, 1 too large (over 200 megapixels)".
fn skipped_note(skips: &[(Skip, String)]) -> Vec<String> {
    if skips.is_empty() {
        return Vec::new();
    }
    let count = |k: Skip| skips.iter().filter(|(s, _)| *s == k).count();
    let too_large = format!(
        "too large (over {} megapixels, the most decoded here)",
        picture::MAX_PICTURE_PIXELS / 1_000_000
    );
    let kinds = [
        (Skip::Empty, "empty"),
        (Skip::NotPicture, "not pictures this browser decodes"),
        (Skip::TooLarge, too_large.as_str()),
    ];
    let parts: Vec<String> = kinds
        .iter()
        .filter(|(k, _)| count(*k) > 0)
        .map(|(k, what)| format!("{} {what}", count(*k)))
        .collect();
    let first: Vec<&str> = skips.iter().take(3).map(|(_, p)| p.as_str()).collect();
    vec![format!(
        "{} file{} skipped: {} ({}{})",
        skips.len(),
        if skips.len() == 1 { "" } else { "s" },
        parts.join(", "),
        first.join(", "),
        if skips.len() > 3 { ", ..." } else { "" }
    )]
}

/// Pictures in a folder: each decoded by the browser (in this worker), turned grey by
/// luminance and drawn at one size, the first picture's (scaled to fit 64x64 when
/// larger). Subfolder names become labels; files that are not pictures are skipped and
/// counted; a saved index (`*.ssam.gz`) inside the folder is used instead of building.
/// Files are taken in path order, so the picker and drag and drop give the same set.
async fn from_folder(
    paths: &[String],
    files: &[JsValue],
    wanted: &dyn Fn() -> bool,
) -> Result<Read, Problem> {
    let root = paths
        .first()
        .and_then(|p| p.split('/').next())
        .unwrap_or("folder")
        .to_owned();
    let mut given: Vec<(&String, &JsValue)> = paths.iter().zip(files).collect();
    given.sort_by(|a, b| a.0.cmp(b.0));
    let mut saved: Saved = None;
    let mut pictures = Vec::with_capacity(given.len());
    for (path, file) in given {
        let lower = path.to_ascii_lowercase();
        if lower.ends_with(".ssam.gz") || lower.ends_with(".ssam") {
            saved = Some((path.clone(), read(&blob(file, path)?, path).await?));
        } else {
            pictures.push((path, file));
        }
    }
    let classes = Classes::of(&pictures);
    let drawn = draw_all(pictures, &classes, wanted).await?;
    let Some((cols, rows)) = drawn.size else {
        return Err(Problem::NoImages { what: root });
    };
    let classes = classes.names();
    // "root/circle/c07.png" is "circle/c07.png" to its owner.
    let inside = |p: String| match p.split_once('/') {
        Some((_, rest)) => rest.to_owned(),
        None => p,
    };
    Ok(Read {
        name: set_name(&root),
        pixels: drawn.pixels,
        labels: drawn.labels,
        shape: (rows, cols),
        labelled: !classes.is_empty(),
        classes,
        saved,
        skipped: skipped_note(&drawn.skips),
        origin: Origin::Files(drawn.paths.into_iter().map(inside).collect()),
    })
}

/// A folder's classes: its subfolders' names, numbered in order, when every picture is in
/// one and there are fewer than 256.
struct Classes {
    numbers: BTreeMap<String, u8>,
    labelled: bool,
}

impl Classes {
    fn of(pictures: &[(&String, &JsValue)]) -> Classes {
        let numbers: BTreeMap<String, u8> = pictures
            .iter()
            .filter_map(|(p, _)| class_of(p))
            .collect::<BTreeSet<_>>()
            .into_iter()
            .take(256)
            .enumerate()
            .map(|(i, c)| (c, i as u8))
            .collect();
        let labelled = !numbers.is_empty()
            && numbers.len() < 256
            && pictures.iter().all(|(p, _)| class_of(p).is_some());
        Classes { numbers, labelled }
    }

    /// A picture's label (0 without classes).
    fn label(&self, path: &str) -> u8 {
        if !self.labelled {
            return 0;
        }
        class_of(path)
            .and_then(|c| self.numbers.get(&c).copied())
            .unwrap_or(0)
    }

    /// The names by label; empty without classes.
    fn names(self) -> Vec<String> {
        if self.labelled {
            self.numbers.into_keys().collect()
        } else {
            Vec::new()
        }
    }
}

/// A picture's class: "root/class/file.png" has one; "root/file.png" has none.
fn class_of(path: &str) -> Option<String> {
    let parts: Vec<&str> = path.split('/').collect();
    (parts.len() >= 3).then(|| parts[parts.len() - 2].to_owned())
}

/// A folder's pictures drawn at one size: those decoded, in order, with their paths.
struct Drawn {
    /// Columns and rows (None: no picture was decoded).
    size: Option<(usize, usize)>,
    pixels: Vec<u8>,
    labels: Vec<u8>,
    paths: Vec<String>,
    skips: Vec<(Skip, String)>,
}

/// Decodes and draws each picture at the first one's size; counts those skipped.
async fn draw_all(
    pictures: Vec<(&String, &JsValue)>,
    classes: &Classes,
    wanted: &dyn Fn() -> bool,
) -> Result<Drawn, Problem> {
    let mut out = Drawn {
        size: None,
        pixels: Vec::new(),
        labels: Vec::new(),
        paths: Vec::new(),
        skips: Vec::new(),
    };
    let mut canvas: Option<(OffscreenCanvas, OffscreenCanvasRenderingContext2d)> = None;
    let mut last = now();
    let total = pictures.len();
    for (i, (path, file)) in pictures.into_iter().enumerate() {
        let bitmap = match decode(&blob(file, path)?).await {
            Ok(b) => b,
            Err(why) => {
                out.skips.push((why, path.clone()));
                continue;
            }
        };
        let (w, h) = (bitmap.width() as usize, bitmap.height() as usize);
        let (cols, rows) = *out.size.get_or_insert_with(|| {
            let scale = (MAX_SIDE as f64 / w.max(h) as f64).min(1.0);
            let shape = (
                ((w as f64 * scale).round() as usize).max(1),
                ((h as f64 * scale).round() as usize).max(1),
            );
            // One allocation for the whole set, not a doubling vector (memory matters
            // more than a little slack).
            out.pixels.reserve_exact(total * shape.0 * shape.1);
            shape
        });
        if canvas.is_none() {
            canvas = Some(offscreen(cols, rows).ok_or_else(|| Problem::Worker {
                detail: "this browser has no OffscreenCanvas in workers".into(),
            })?);
        }
        let (_, ctx) = canvas.as_ref().expect("made above");
        ctx.clear_rect(0.0, 0.0, cols as f64, rows as f64);
        let drawn = ctx
            .draw_image_with_image_bitmap_and_dw_and_dh(&bitmap, 0.0, 0.0, cols as f64, rows as f64)
            .and_then(|_| ctx.get_image_data(0.0, 0.0, cols as f64, rows as f64));
        bitmap.close();
        let data = drawn.map_err(|e| Problem::Worker {
            detail: format!("{path}: could not be drawn ({})", js_error(&e)),
        })?;
        out.pixels
            .extend_from_slice(&preprocess::luminance(&data.data()));
        out.labels.push(classes.label(path));
        out.paths.push(path.clone());
        if now() - last > 40.0 {
            progress("decoding", path, (i + 1) as f64, Some(total as f64), true);
            pause_while(wanted).await?;
            last = now();
        }
    }
    Ok(out)
}

/// The browser's own decoder, off the page; why not, for a file that is no picture, is
/// empty, or whose header declares more pixels than [`picture::MAX_PICTURE_PIXELS`].
async fn decode(file: &Blob) -> Result<ImageBitmap, Skip> {
    if file.size() == 0.0 {
        return Err(Skip::Empty);
    }
    let head = file
        .slice_with_i32_and_i32(0, 64 << 10)
        .map_err(|_| Skip::NotPicture)?;
    let head = JsFuture::from(head.array_buffer())
        .await
        .map_err(|_| Skip::NotPicture)?;
    if let Some((w, h)) = picture::picture_size(&Uint8Array::new(&head).to_vec())
        && w.saturating_mul(h) > picture::MAX_PICTURE_PIXELS
    {
        return Err(Skip::TooLarge);
    }
    let promise = scope()
        .create_image_bitmap_with_blob(file)
        .map_err(|_| Skip::NotPicture)?;
    let bitmap: ImageBitmap = JsFuture::from(promise)
        .await
        .map_err(|_| Skip::NotPicture)?
        .dyn_into()
        .map_err(|_| Skip::NotPicture)?;
    if bitmap.width() == 0 || bitmap.height() == 0 {
        bitmap.close();
        return Err(Skip::NotPicture);
    }
    Ok(bitmap)
}

/// A canvas of this size off the page, and its 2D context.
pub(super) fn offscreen(
    cols: usize,
    rows: usize,
) -> Option<(OffscreenCanvas, OffscreenCanvasRenderingContext2d)> {
    let canvas = OffscreenCanvas::new(cols as u32, rows as u32).ok()?;
    let ctx = canvas.get_context("2d").ok()??.dyn_into().ok()?;
    Some((canvas, ctx))
}
