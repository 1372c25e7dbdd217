//! Asking with a picture (public so that browser tests can reach it): a file picker, drag and drop anywhere on the zone, and paste.
//! The browser decodes the picture (PNG, JPEG, GIF, WebP, BMP, SVG: whatever it can), so
//! no decoder ships with the app. A file that is not a picture, is empty or is enormous
//! gets a message and the current query stays as it was.

use leptos::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{CanvasRenderingContext2d, File, HtmlCanvasElement, HtmlImageElement, Url};

use super::protocol::{Image, Query};
use crate::preprocess;

/// Largest file accepted.
const MAX_FILE_BYTES: f64 = 20.0 * 1024.0 * 1024.0;
/// Pictures are drawn at most this large before preprocessing: plenty for a 20-pixel
/// digit, and bounded work and memory for a huge photo.
const MAX_SIDE: u32 = 1024;

/// Decodes `file` in the browser and prepares it as a query.
pub async fn prepare(file: &File) -> Result<Query, String> {
    let name = file.name();
    if file.size() == 0.0 {
        return Err(format!("{name} is empty"));
    }
    if file.size() > MAX_FILE_BYTES {
        return Err(format!(
            "{name} is {:.0} MB; pictures up to 20 MB are accepted",
            file.size() / 1e6
        ));
    }
    let kind = file.type_();
    if !kind.is_empty() && !kind.starts_with("image/") {
        return Err(format!("{name} is not a picture (its type is {kind})"));
    }
    let url = Url::create_object_url_with_blob(file)
        .map_err(|_| format!("{name} could not be opened"))?;
    let result = decode(&name, &url).await;
    let _ = Url::revoke_object_url(&url);
    let (w, h, rgba) = result?;
    let prepared = preprocess::prepare_rgba(w as usize, h as usize, &rgba)
        .map_err(|e| format!("{name}: {e}"))?;
    Ok(Query {
        image: Image {
            rows: preprocess::SIDE as u16,
            cols: preprocess::SIDE as u16,
            pixels: prepared.pixels,
        },
        source: name,
    })
}

async fn decode(name: &str, url: &str) -> Result<(u32, u32, Vec<u8>), String> {
    let not_picture = || format!("{name} is not a picture this browser can decode");
    let img = HtmlImageElement::new().map_err(|_| not_picture())?;
    img.set_src(url);
    JsFuture::from(img.decode())
        .await
        .map_err(|_| not_picture())?;
    // An SVG without a size has none: give it the pad's.
    let (mut w, mut h) = (img.natural_width(), img.natural_height());
    if w == 0 || h == 0 {
        (w, h) = (280, 280);
    }
    let scale = (f64::from(MAX_SIDE) / f64::from(w.max(h))).min(1.0);
    let (w, h) = (
        ((f64::from(w) * scale).round() as u32).max(1),
        ((f64::from(h) * scale).round() as u32).max(1),
    );
    let canvas: HtmlCanvasElement = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.create_element("canvas").ok())
        .and_then(|c| c.dyn_into().ok())
        .ok_or_else(not_picture)?;
    canvas.set_width(w);
    canvas.set_height(h);
    let ctx: CanvasRenderingContext2d = canvas
        .get_context("2d")
        .ok()
        .flatten()
        .and_then(|c| c.dyn_into().ok())
        .ok_or_else(not_picture)?;
    ctx.draw_image_with_html_image_element_and_dw_and_dh(
        &img,
        0.0,
        0.0,
        f64::from(w),
        f64::from(h),
    )
    .map_err(|_| not_picture())?;
    let data = ctx
        .get_image_data(0.0, 0.0, f64::from(w), f64::from(h))
        .map_err(|_| not_picture())?;
    Ok((w, h, data.data().0))
}

/// The upload zone.
#[component]
pub fn Upload(
    /// Receives the prepared picture.
    on_query: Callback<Query>,
    /// Receives what was wrong with a file.
    on_error: Callback<String>,
) -> impl IntoView {
    let over = RwSignal::new(false);
    // One picture is one query: of several given at once the first is used, and the
    // message says which.
    let take = move |files: Vec<File>| {
        let Some(file) = files.first().cloned() else {
            return;
        };
        let others = files.len() - 1;
        leptos::task::spawn_local(async move {
            match prepare(&file).await {
                Ok(q) => {
                    on_query.run(q);
                    if others > 0 {
                        on_error.run(format!(
                            "{} files were given: searched with {}, the first (one picture at a time).",
                            others + 1,
                            file.name()
                        ));
                    }
                }
                Err(e) => on_error.run(e),
            }
        });
    };
    let all = |list: Option<web_sys::FileList>| -> Vec<File> {
        list.map(|l| (0..l.length()).filter_map(|i| l.get(i)).collect())
            .unwrap_or_default()
    };
    let paste = window_event_listener(leptos::ev::paste, move |ev| {
        let files = all(ev.clipboard_data().and_then(|d| d.files()));
        if !files.is_empty() {
            ev.prevent_default();
            take(files);
        }
    });
    on_cleanup(move || paste.remove());

    view! {
        <label
            class="drop"
            class:over=move || over.get()
            on:dragover=move |ev| {
                ev.prevent_default();
                over.set(true);
            }
            on:dragleave=move |_| over.set(false)
            on:drop=move |ev| {
                ev.prevent_default();
                over.set(false);
                take(all(ev.data_transfer().and_then(|d| d.files())));
            }
        >
            <input
                type="file"
                accept="image/*"
                class="visually-hidden"
                aria-label="Upload a picture of a digit"
                data-testid="picture-file"
                on:change=move |ev| {
                    let input: web_sys::HtmlInputElement = event_target(&ev);
                    take(all(input.files()));
                    input.set_value("");
                }
            />
            <span class="drop-title">"Upload a picture"</span>
            <span class="muted small keys-hint">"Choose a file, drop it here, or paste it (Ctrl+V)"</span>
            <span class="muted small touch-hint">"Choose a picture or take a photo"</span>
        </label>
    }
}
