//! An own set given as a folder of pictures: each decoded by the browser in this worker
//! and drawn at one size, subfolders as classes, files that are not pictures skipped and
//! counted, and a saved index inside used instead of building.

use std::collections::{BTreeMap, BTreeSet};

use js_sys::Uint8Array;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{Blob, ImageBitmap, OffscreenCanvas, OffscreenCanvasRenderingContext2d};

use ssam::preprocess;

use super::build::{Read, Saved, pause_while, set_name};
use super::files::{MAX_SIDE, blob, read};
use super::split::Origin;
use crate::fetch::{js_error, now};
use crate::picture;
use crate::protocol::Problem;
use crate::runs::Ticket;
use crate::worker::messages::{progress, scope};

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
pub(super) async fn from_folder(
    paths: &[String],
    files: &[JsValue],
    ticket: &Ticket,
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
    let drawn = draw_all(pictures, &classes, ticket).await?;
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
    ticket: &Ticket,
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
            pause_while(ticket).await?;
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
pub fn offscreen(
    cols: usize,
    rows: usize,
) -> Option<(OffscreenCanvas, OffscreenCanvasRenderingContext2d)> {
    let canvas = OffscreenCanvas::new(cols as u32, rows as u32).ok()?;
    let ctx = canvas.get_context("2d").ok()??.dyn_into().ok()?;
    Some((canvas, ctx))
}
