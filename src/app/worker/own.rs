//! Own image sets: IDX files (images, labels if any, gzip or raw, and a saved index to
//! skip building) or a folder of pictures, checked here file by file and indexed by a
//! forest in the raw pixel space. Every failure names the file and what is wrong; the set
//! searched until then stays until the new one is whole.

use std::collections::BTreeMap;

use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{Blob, ImageBitmap, OffscreenCanvas, OffscreenCanvasRenderingContext2d};

use crate::error::Error;
use crate::{Dataset, Index, Params, Space, format, idx, preprocess};

use super::super::fetch::{self, js_error, now, pause};
use super::super::protocol::{Problem, SetInfo};
use super::load::progress;
use super::{Set, scope};

/// Largest image side an own set may have: 64x64 is 4,096 values an image, five times
/// MNIST's, which keeps 60,000 of them under 250 MB and a forest build within seconds.
pub const MAX_SIDE: usize = 64;
/// Trees built over an own set. Measured in Chromium on this project's 2-core machine:
/// 60,000 28x28 images checked and indexed in 1.0 to 1.7 s with 5 trees; 10 would double
/// the indexing, which leaves too little of the 5 s target on a slower machine.
pub const TREES: usize = 5;
/// Query images an own set's benchmark uses, spread over the set.
pub const BENCH_QUERIES: usize = 1000;

/// What the user gave.
pub enum Given {
    /// File names, the files in the same order.
    Files(Vec<String>),
    /// Paths relative to the chosen folder, the files in the same order.
    Folder(Vec<String>),
}

/// Every `len / n`-th image, at most `n`: the own set's benchmark queries.
pub fn sample(data: &Dataset, n: usize) -> Dataset {
    let step = data.len().div_ceil(n.max(1)).max(1);
    let ids: Vec<usize> = (0..data.len()).step_by(step).collect();
    let mut pixels = Vec::with_capacity(ids.len() * data.dim());
    let mut labels = Vec::with_capacity(ids.len());
    for &i in &ids {
        pixels.extend_from_slice(data.image(i));
        labels.push(data.label(i));
    }
    Dataset::new(data.rows(), data.cols(), pixels, labels)
        .expect("a sample of a valid dataset is valid")
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

/// Builds the set from what was given.
pub async fn build(given: Given, files: Vec<JsValue>) -> Result<Set, Problem> {
    let t0 = now();
    let (name, data, labelled, classes, saved) = match given {
        Given::Files(names) => {
            let (name, data, labelled, saved) = from_files(&names, &files).await?;
            (name, data, labelled, Vec::new(), saved)
        }
        Given::Folder(paths) => {
            let (name, data, classes) = from_folder(&paths, &files).await?;
            let labelled = !classes.is_empty();
            (name, data, labelled, classes, None)
        }
    };
    // Polarity per set: pictures of dark ink on paper are inverted once, here, so that
    // ink is high as in MNIST and in every query the page makes.
    let inverted = data.light_ground();
    let data = if inverted { data.inverted() } else { data };
    let t1 = now();
    let index = match saved {
        Some((file, bytes)) => {
            progress("reading the saved index", &file, 0.0, None, true);
            pause().await;
            format::from_bytes(&file, &bytes, data).map_err(engine)?
        }
        None => {
            progress("indexing", &name, 0.0, Some(1.0), true);
            pause().await;
            let mut last = 0.0;
            Index::build(
                data,
                Space::Raw,
                Params::default().trees(TREES),
                None,
                &mut |stage, done| {
                    if now() - last > 50.0 {
                        last = now();
                        progress(stage, &name, done, Some(1.0), true);
                    }
                },
            )
            .map_err(engine)?
        }
    };
    let t2 = now();
    let info = SetInfo {
        name,
        own: true,
        labelled,
        classes,
        ready_at: t2,
        stages: vec![
            ("read and check".into(), t1 - t0),
            ("index".into(), t2 - t1),
        ],
        query_noun: "image".into(),
        inverted,
        ..SetInfo::default()
    };
    Ok(Set::new(index, info, true))
}

/// A saved index travelling with its images: its file name and bytes.
type Saved = Option<(String, Vec<u8>)>;

/// IDX images, optional IDX labels and an optional saved index, told apart by content.
async fn from_files(
    names: &[String],
    files: &[JsValue],
) -> Result<(String, Dataset, bool, Saved), Problem> {
    let mut images: Option<(String, usize, usize, Vec<u8>, usize)> = None;
    let mut labels: Option<(String, Vec<u8>)> = None;
    let mut saved: Saved = None;
    for (name, file) in names.iter().zip(files) {
        let file = blob(file, name)?;
        let mut last = 0.0;
        let bytes = fetch::read_file(&file, name, |done, total| {
            if now() - last > 50.0 {
                last = now();
                progress("reading", name, done as f64, total.map(|t| t as f64), true);
            }
        })
        .await?;
        if bytes.starts_with(&format::MAGIC) {
            saved = Some((name.clone(), bytes));
            continue;
        }
        progress("checking", name, 0.0, None, true);
        pause().await;
        let array = idx::parse_owned(name, bytes).map_err(engine)?;
        match *array.dims.as_slice() {
            [count, rows, cols] => {
                if rows == 0 || cols == 0 {
                    return Err(idx_error(
                        name,
                        format!("images of {rows}x{cols} pixels are empty"),
                    ));
                }
                if rows > MAX_SIDE || cols > MAX_SIDE {
                    return Err(Problem::TooLarge {
                        file: name.clone(),
                        rows: rows as u32,
                        cols: cols as u32,
                        max: MAX_SIDE as u32,
                    });
                }
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
        return Err(Problem::NoImages {
            what: names.join(", "),
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
    let data = Dataset::new(rows, cols, pixels, labels).map_err(engine)?;
    Ok((name, data, labelled, saved))
}

/// Pictures in a folder: each decoded by the browser (in this worker), turned grey by
/// luminance and drawn at one size, the first picture's (scaled to fit 64x64 when
/// larger). Subfolder names become labels; files that are not pictures are skipped.
async fn from_folder(
    paths: &[String],
    files: &[JsValue],
) -> Result<(String, Dataset, Vec<String>), Problem> {
    let root = paths
        .first()
        .and_then(|p| p.split('/').next())
        .unwrap_or("folder")
        .to_owned();
    // "root/class/file.png" has a class; "root/file.png" has none.
    let class_of = |p: &str| {
        let parts: Vec<&str> = p.split('/').collect();
        (parts.len() >= 3).then(|| parts[parts.len() - 2].to_owned())
    };
    let names: BTreeMap<String, u8> = paths
        .iter()
        .filter_map(|p| class_of(p))
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .take(256)
        .enumerate()
        .map(|(i, c)| (c, i as u8))
        .collect();
    let labelled =
        !names.is_empty() && names.len() < 256 && paths.iter().all(|p| class_of(p).is_some());
    let mut size: Option<(usize, usize)> = None;
    let mut canvas: Option<(OffscreenCanvas, OffscreenCanvasRenderingContext2d)> = None;
    let (mut pixels, mut labels) = (Vec::new(), Vec::new());
    let mut last = 0.0;
    for (i, (path, file)) in paths.iter().zip(files).enumerate() {
        let file = blob(file, path)?;
        let Some(bitmap) = decode(&file).await else {
            continue;
        };
        let (w, h) = (bitmap.width() as usize, bitmap.height() as usize);
        if w == 0 || h == 0 {
            continue;
        }
        let (cols, rows) = *size.get_or_insert_with(|| {
            let scale = (MAX_SIDE as f64 / w.max(h) as f64).min(1.0);
            (
                ((w as f64 * scale).round() as usize).max(1),
                ((h as f64 * scale).round() as usize).max(1),
            )
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
        pixels.extend_from_slice(&preprocess::luminance(&data.data()));
        labels.push(if labelled {
            class_of(path)
                .and_then(|c| names.get(&c).copied())
                .unwrap_or(0)
        } else {
            0
        });
        if now() - last > 50.0 {
            last = now();
            progress(
                "decoding",
                path,
                (i + 1) as f64,
                Some(paths.len() as f64),
                true,
            );
        }
    }
    let Some((cols, rows)) = size else {
        return Err(Problem::NoImages { what: root });
    };
    let data = Dataset::new(rows, cols, pixels, labels).map_err(engine)?;
    let classes = if labelled {
        names.into_keys().collect()
    } else {
        Vec::new()
    };
    Ok((root, data, classes))
}

/// The browser's own decoder, off the page; None for a file that is not a picture.
async fn decode(file: &Blob) -> Option<ImageBitmap> {
    let promise = scope().create_image_bitmap_with_blob(file).ok()?;
    JsFuture::from(promise).await.ok()?.dyn_into().ok()
}

fn offscreen(
    cols: usize,
    rows: usize,
) -> Option<(OffscreenCanvas, OffscreenCanvasRenderingContext2d)> {
    let canvas = OffscreenCanvas::new(cols as u32, rows as u32).ok()?;
    let ctx = canvas.get_context("2d").ok()??.dyn_into().ok()?;
    Some((canvas, ctx))
}
