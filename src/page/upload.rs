//! Asking with a picture (public so that browser tests can reach it): a file picker, drag and drop anywhere on the zone, and paste.
//! The browser decodes the picture (PNG, JPEG, GIF, WebP, BMP, SVG: whatever it can), so
//! no decoder ships with the app. A raster picture is decoded, scaled and prepared in
//! the worker, off the page's thread; an SVG is drawn here. A file that is not a
//! picture, is empty or is enormous gets a message and the current query stays as it was.

use leptos::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{CanvasRenderingContext2d, File, FileList, HtmlCanvasElement, HtmlImageElement, Url};

use super::client::Picks;
use crate::picture::{MAX_PICTURE_PIXELS, picture_size, scaled, too_large};
use crate::protocol::{Answer, Image, Query};
use ssam::preprocess;

/// Largest file accepted.
const MAX_FILE_BYTES: f64 = 20.0 * 1024.0 * 1024.0;
/// The first 64 kB of `file`: enough for any header [`picture_size`] reads.
pub async fn head(file: &web_sys::Blob) -> Option<Vec<u8>> {
    let part = file.slice_with_i32_and_i32(0, 64 << 10).ok()?;
    let bytes = JsFuture::from(part.array_buffer()).await.ok()?;
    Some(js_sys::Uint8Array::new(&bytes).to_vec())
}

/// Where a picture is decoded and prepared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    /// A raster picture whose header gives its size: in the worker, off the page's
    /// thread (the browser scales a decoded picture on the thread that asked).
    Worker,
    /// An SVG or a picture of no known header: as an image element, which only the page
    /// has (SVGs are small; others are checked by decoding them).
    Page,
}

/// Checks `file` before anything decodes it (empty, too many bytes or pixels, not a
/// picture by its type) and says where it is decoded.
pub async fn check(file: &File) -> Result<Route, String> {
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
    match head(file).await.as_deref().and_then(picture_size) {
        Some((w, h)) if w.saturating_mul(h) > MAX_PICTURE_PIXELS => Err(too_large(&name, w, h)),
        Some(_) if !kind.contains("svg") => Ok(Route::Worker),
        _ => Ok(Route::Page),
    }
}

/// Checks `file`, decodes it in the page and prepares it as a query (what the page does
/// for [`Route::Page`]).
pub async fn prepare(file: &File) -> Result<Query, String> {
    let name = file.name();
    check(file).await?;
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

fn canvas(w: u32, h: u32) -> Option<HtmlCanvasElement> {
    let canvas: HtmlCanvasElement = web_sys::window()?
        .document()?
        .create_element("canvas")
        .ok()?
        .dyn_into()
        .ok()?;
    canvas.set_width(w);
    canvas.set_height(h);
    Some(canvas)
}

fn context(canvas: &HtmlCanvasElement) -> Option<CanvasRenderingContext2d> {
    canvas.get_context("2d").ok()??.dyn_into().ok()
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
    let (w, h) = scaled(w, h);
    let canvas = canvas(w, h).ok_or_else(not_picture)?;
    let ctx = context(&canvas).ok_or_else(not_picture)?;
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

/// Which of several files was searched and what to say about it, said once its answer
/// shows (a new query clears the message).
type Note = StoredValue<Option<(String, String)>>;

/// The upload zone.
#[component]
pub fn Upload(
    /// Prepares pictures in its worker; they come back as picked queries.
    picks: Picks,
    /// The answer shown: the note about several files waits for it.
    answer: ReadSignal<Option<Answer>>,
    /// Receives a picture prepared in the page.
    on_query: Callback<Query>,
    /// Receives what was wrong with a file, and which of several was used.
    on_error: Callback<String>,
) -> impl IntoView {
    let over = RwSignal::new(false);
    let note: Note = StoredValue::new(None);
    say_note_when_shown(note, answer, on_error);
    let take = move |files: Vec<File>| take_first(files, picks, note, on_query, on_error);
    let paste = window_event_listener(leptos::ev::paste, move |ev| {
        let pasted = files(ev.clipboard_data().and_then(|d| d.files()));
        if !pasted.is_empty() {
            ev.prevent_default();
            take(pasted);
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
                take(files(ev.data_transfer().and_then(|d| d.files())));
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
                    take(files(input.files()));
                    input.set_value("");
                }
            />
            <span class="drop-title">"Upload a picture"</span>
            <span class="muted small keys-hint">"Choose a file, drop it here, or paste it (Ctrl+V)"</span>
            <span class="muted small touch-hint">"Choose a picture or take a photo"</span>
        </label>
    }
}

/// The files of a list, in order.
pub(super) fn files(list: Option<FileList>) -> Vec<File> {
    list.map(|l| (0..l.length()).filter_map(|i| l.get(i)).collect())
        .unwrap_or_default()
}

/// Says the note once the answer to the file it names shows.
fn say_note_when_shown(note: Note, answer: ReadSignal<Option<Answer>>, on_error: Callback<String>) {
    Effect::new(move |_| {
        let Some(source) = answer.with(|a| a.as_ref().map(|a| a.query.source.clone())) else {
            return;
        };
        if let Some((_, said)) = note
            .try_update_value(|n| n.take_if(|(name, _)| *name == source))
            .flatten()
        {
            on_error.run(said);
        }
    });
}

/// One picture is one query: of several given at once the first is used, and the
/// message says which. A raster picture goes to the worker; anything else is prepared
/// here.
fn take_first(
    files: Vec<File>,
    picks: Picks,
    note: Note,
    on_query: Callback<Query>,
    on_error: Callback<String>,
) {
    let Some(file) = files.first().cloned() else {
        return;
    };
    let others = files.len() - 1;
    note.set_value((others > 0).then(|| {
        (
            file.name(),
            format!(
                "{} files were given: searched with {}, the first (one picture at a time).",
                others + 1,
                file.name()
            ),
        )
    }));
    leptos::task::spawn_local(async move {
        let prepared = match check(&file).await {
            Ok(Route::Worker) => return picks.picture(file),
            Ok(Route::Page) => prepare(&file).await,
            Err(e) => Err(e),
        };
        match prepared {
            Ok(q) => on_query.run(q),
            Err(e) => {
                note.set_value(None);
                on_error.run(e);
            }
        }
    });
}
