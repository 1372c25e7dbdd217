//! A picture given as a query (upload, drop, paste): decoded and scaled by the browser
//! in this worker, then prepared like MNIST here. In the page, `createImageBitmap`
//! scales on the page's thread, and preparing a 1024-pixel picture takes a few hundred
//! milliseconds of WebAssembly: a large photo would freeze the page.

use js_sys::Uint8Array;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{Blob, ImageBitmap};

use super::messages::scope;
use super::own::offscreen;
use crate::picture;
use crate::protocol::{DataKind, Image, Problem, Query};
use ssam::preprocess;

/// What the page says of a file the browser cannot decode.
pub(super) fn not_decoded(name: &str) -> Problem {
    problem(
        name,
        format!("{name} is not a picture this browser can decode"),
    )
}

fn problem(name: &str, detail: String) -> Problem {
    Problem::Data {
        file: name.to_owned(),
        kind: DataKind::Query,
        detail,
    }
}

/// `file` (named `name`) as the query the engine searches with.
pub(super) async fn prepare(name: &str, file: &Blob) -> Result<Query, Problem> {
    let head = JsFuture::from(
        file.slice_with_i32_and_i32(0, 64 << 10)
            .map_err(|_| not_decoded(name))?
            .array_buffer(),
    )
    .await
    .map_err(|_| not_decoded(name))?;
    let (w, h) =
        picture::picture_size(&Uint8Array::new(&head).to_vec()).ok_or_else(|| not_decoded(name))?;
    if w.saturating_mul(h) > picture::MAX_PICTURE_PIXELS {
        return Err(problem(name, picture::too_large(name, w, h)));
    }
    let (w, h) = picture::scaled(w.max(1) as u32, h.max(1) as u32);
    let options = web_sys::ImageBitmapOptions::new();
    options.set_resize_width(w);
    options.set_resize_height(h);
    options.set_resize_quality(web_sys::ResizeQuality::High);
    let promise = scope()
        .create_image_bitmap_with_blob_and_image_bitmap_options(file, &options)
        .map_err(|_| not_decoded(name))?;
    let bitmap: ImageBitmap = JsFuture::from(promise)
        .await
        .map_err(|_| not_decoded(name))?
        .dyn_into()
        .map_err(|_| not_decoded(name))?;
    let (_canvas, ctx) = offscreen(w as usize, h as usize).ok_or_else(|| not_decoded(name))?;
    let drawn = ctx.draw_image_with_image_bitmap(&bitmap, 0.0, 0.0);
    bitmap.close();
    drawn.map_err(|_| not_decoded(name))?;
    let rgba = ctx
        .get_image_data(0.0, 0.0, f64::from(w), f64::from(h))
        .map_err(|_| not_decoded(name))?
        .data()
        .0;
    let prepared = preprocess::prepare_rgba(w as usize, h as usize, &rgba)
        .map_err(|e| problem(name, format!("{name}: {e}")))?;
    Ok(Query {
        image: Image {
            rows: preprocess::SIDE as u16,
            cols: preprocess::SIDE as u16,
            pixels: prepared.pixels,
        },
        source: name.to_owned(),
    })
}
