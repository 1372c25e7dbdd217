//! Your own image set: IDX files (images, labels if you have them, gzip or raw, and an
//! index saved here earlier) or a folder of small pictures (with its saved index inside,
//! if you put it there), by picker or drag and drop. The files go to the worker, which
//! checks and indexes them; a problem is shown here and the set searched until then
//! stays. Nothing leaves the browser.

use js_sys::{Array, Function, Reflect};
use leptos::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{DataTransfer, File};

use super::client::OwnSets;
use super::status::bar;
use super::upload::files;
use crate::protocol::{Answer, SetInfo};

/// Calls `object.name(args...)` on a browser object this crate has no binding for.
fn call(object: &JsValue, name: &str, args: &[&JsValue]) -> Option<JsValue> {
    let f: Function = Reflect::get(object, &name.into()).ok()?.dyn_into().ok()?;
    f.apply(object, &args.iter().copied().collect::<Array>())
        .ok()
}

/// Waits for a callback-style entry method (`readEntries`, `file`): its value, or None.
async fn callback(object: &JsValue, name: &str) -> Option<JsValue> {
    let promise = js_sys::Promise::new(&mut |resolve, reject| {
        if call(object, name, &[&resolve, &reject]).is_none() {
            let _ = reject.call0(&JsValue::NULL);
        }
    });
    wasm_bindgen_futures::JsFuture::from(promise).await.ok()
}

/// Every file under a dropped directory entry, with its path from the dropped folder.
async fn walk(root: JsValue) -> Vec<(String, File)> {
    let mut out = Vec::new();
    let mut stack = vec![root];
    while let Some(entry) = stack.pop() {
        let is_dir = Reflect::get(&entry, &"isDirectory".into())
            .ok()
            .and_then(|v| v.as_bool())
            .unwrap_or(false);
        if is_dir {
            let Some(reader) = call(&entry, "createReader", &[]) else {
                continue;
            };
            // readEntries gives a batch at a time, then an empty one.
            while let Some(batch) = callback(&reader, "readEntries").await {
                let batch: Array = batch.unchecked_into();
                if batch.length() == 0 {
                    break;
                }
                stack.extend(batch.iter());
            }
        } else if let Some(file) = callback(&entry, "file").await {
            let path = Reflect::get(&entry, &"fullPath".into())
                .ok()
                .and_then(|p| p.as_string())
                .unwrap_or_default();
            if let Ok(file) = file.dyn_into::<File>() {
                out.push((path.trim_start_matches('/').to_owned(), file));
            }
        }
    }
    out
}

/// The files chosen with a picker, for `give` when there are any; the picker is emptied
/// so that the same files can be chosen again.
fn chosen(ev: &leptos::ev::Event, give: impl FnOnce(Vec<File>)) {
    let input: web_sys::HtmlInputElement = event_target(ev);
    let list = files(input.files());
    if !list.is_empty() {
        give(list);
    }
    input.set_value("");
}

/// A drop on either zone: what was dropped goes to the worker.
fn take_drop(own: OwnSets, over: RwSignal<bool>, ev: web_sys::DragEvent) {
    ev.prevent_default();
    over.set(false);
    dropped(own, ev.data_transfer());
}

/// What was dropped: a folder (its files with their paths) or plain files. The entries
/// must be taken while the drop event runs; reading them may take longer.
fn dropped(own: OwnSets, data: Option<DataTransfer>) {
    let Some(data) = data else { return };
    let items = data.items();
    let entries: Vec<JsValue> = (0..items.length())
        .filter_map(|i| items.get(i))
        .filter_map(|item| call(&item, "webkitGetAsEntry", &[]))
        .filter(|e| !e.is_null() && !e.is_undefined())
        .collect();
    let folder = entries.iter().any(|e| {
        Reflect::get(e, &"isDirectory".into())
            .ok()
            .and_then(|v| v.as_bool())
            .unwrap_or(false)
    });
    if !folder {
        let list = files(data.files());
        if !list.is_empty() {
            own.files(list);
        }
        return;
    }
    leptos::task::spawn_local(async move {
        let mut all = Vec::new();
        for e in entries {
            all.extend(walk(e).await);
        }
        if !all.is_empty() {
            own.tree(all);
        }
    });
}

/// The own-set panel: where to give a set, how its indexing goes or why it was not
/// used, where its nearest images are on disk, and saving the index or going back.
#[component]
pub fn OwnSet(
    own: OwnSets,
    /// The set searched now.
    set: Signal<Option<SetInfo>>,
    /// The answer shown, whose hits an own set names by file.
    answer: ReadSignal<Option<Answer>>,
) -> impl IntoView {
    let (progress, problem) = (own.progress(), own.problem());
    // Something is dragged over the IDX zone; a drop on either zone ends it.
    let over = RwSignal::new(false);
    view! {
        <section class="card own" aria-labelledby="own-title">
            <h2 id="own-title">"Your own image set"</h2>
            <p class="muted small">
                "Give IDX files (images, and labels if you have them; gzip or raw; up to 64x64 pixels an image) or a folder of small pictures (colour turns grey by luminance; subfolders become labels). "
                "They are checked and indexed in this browser and never leave it. A saved index given with its IDX files, or kept inside its folder, skips the indexing."
            </p>
            <div class="row">
                <IdxDrop own=own over=over />
                <FolderDrop own=own over=over />
            </div>
            {move || progress.get().map(|p| view! {
                <div class="panel loading" role="status" aria-live="polite" data-testid="own-progress">{bar(Some(p))}</div>
            })}
            {move || problem.get().map(|p| view! {
                <div class="panel error" role="alert" data-testid="own-error" data-problem=p.kind()>
                    <strong>"This set was not used. "</strong>{p.message()}
                    <p class="small">{move || set.get().map(|s| format!("Still searching {}.", s.name))}</p>
                </div>
            })}
            <NearestFiles set=set answer=answer />
            {move || set.get().filter(|s| s.own && s.inverted).map(|s| view! {
                <p class="small" data-testid="own-inverted">{format!(
                    "{}: dark ink on a light ground, so its pictures were inverted to light ink on black, as MNIST and every query are.",
                    s.name
                )}</p>
            })}
            <SaveOrBack own=own set=set />
        </section>
    }
}

/// The zone for IDX files: a picker, or files dropped on it (a folder dropped here is
/// taken as a folder).
#[component]
fn IdxDrop(own: OwnSets, over: RwSignal<bool>) -> impl IntoView {
    view! {
        <label class="drop own-drop" class:over=move || over.get()
            on:dragover=move |ev| { ev.prevent_default(); over.set(true); }
            on:dragleave=move |_| over.set(false)
            on:drop=move |ev| take_drop(own, over, ev)>
            <input type="file" multiple class="visually-hidden" data-testid="own-files"
                aria-label="IDX files of your own set"
                on:change=move |ev| chosen(&ev, |list| own.files(list)) />
            <span class="drop-title">"IDX files"</span>
            <span class="muted small">"Choose or drop images, labels, a saved index"</span>
        </label>
    }
}

/// The zone for a folder of pictures: a folder picker, or a folder dropped on it.
#[component]
fn FolderDrop(own: OwnSets, over: RwSignal<bool>) -> impl IntoView {
    // A folder picker: `webkitdirectory` is not an attribute Leptos knows.
    let folder: NodeRef<leptos::html::Input> = NodeRef::new();
    Effect::new(move |_| {
        if let Some(input) = folder.get() {
            input.set_webkitdirectory(true);
        }
    });
    view! {
        <label class="drop own-drop" data-testid="own-folder-drop"
            on:dragover=move |ev| ev.prevent_default()
            on:drop=move |ev| take_drop(own, over, ev)>
            <input type="file" multiple node_ref=folder class="visually-hidden" data-testid="own-folder"
                aria-label="A folder of pictures"
                on:change=move |ev| chosen(&ev, |list| own.folder(list)) />
            <span class="drop-title">"A folder of pictures"</span>
            <span class="muted small">"Choose or drop it: PNG, JPEG, GIF, WebP, BMP"</span>
        </label>
    }
}

/// Saving the index of the set searched; going back to MNIST from an own set, or
/// stopping one being indexed.
#[component]
fn SaveOrBack(own: OwnSets, set: Signal<Option<SetInfo>>) -> impl IntoView {
    let busy = own.busy();
    let own_set = move || set.with(|s| s.as_ref().is_some_and(|s| s.own));
    view! {
        <div class="row">
            <button on:click=move |_| own.save() disabled=move || set.with(Option::is_none)
                title="Download the index of the set searched now">
                "Save index"
            </button>
            <Show when=move || own_set() || busy.get()>
                <button data-testid="back-to-mnist" on:click=move |_| own.use_shipped()>
                    {move || if own_set() { "Back to MNIST" } else { "Stop indexing" }}
                </button>
            </Show>
        </div>
    }
}

/// The files of the nearest images of the user's own set, in rank order: where to find
/// them on disk (an IDX set's by file and number).
#[component]
fn NearestFiles(set: Signal<Option<SetInfo>>, answer: ReadSignal<Option<Answer>>) -> impl IntoView {
    let names = move || {
        let own = set.with(|s| s.as_ref().is_some_and(|s| s.own));
        answer.with(|a| match a {
            Some(a) if own => a.hits.iter().filter_map(|h| h.name.clone()).collect(),
            _ => Vec::new(),
        })
    };
    view! {
        <Show when=move || !names().is_empty()>
            <details class="own-nearest" data-testid="own-nearest">
                <summary>{move || format!("The {} nearest, as your files", names().len())}</summary>
                <ol class="small">
                    {move || names().into_iter().map(|n| view! { <li>{n}</li> }).collect_view()}
                </ol>
            </details>
        </Show>
    }
}
