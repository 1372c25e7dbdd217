//! Your own image set: IDX files (images, labels if you have them, gzip or raw, and an
//! index saved here earlier) or a folder of small pictures, by picker or drag and drop.
//! The files go to the worker, which checks and indexes them; a problem is shown here
//! and the set searched until then stays. Nothing leaves the browser.

use leptos::prelude::*;
use web_sys::{File, FileList};

use super::client::Client;
use super::status::bar;

fn files(list: Option<FileList>) -> Vec<File> {
    let Some(list) = list else { return Vec::new() };
    (0..list.length()).filter_map(|i| list.get(i)).collect()
}

#[component]
pub fn OwnSet(client: Client) -> impl IntoView {
    let over = RwSignal::new(false);
    let give = move |list: Vec<File>| {
        if !list.is_empty() {
            client.own_files(list);
        }
    };
    let current = move || client.set.get();
    // A folder picker: `webkitdirectory` is not an attribute Leptos knows.
    let folder: NodeRef<leptos::html::Input> = NodeRef::new();
    Effect::new(move |_| {
        if let Some(input) = folder.get() {
            input.set_webkitdirectory(true);
        }
    });
    view! {
        <section class="card own" aria-labelledby="own-title">
            <h2 id="own-title">"Your own image set"</h2>
            <p class="muted small">
                "Give IDX files (images, and labels if you have them; gzip or raw; up to 64x64 pixels an image) or a folder of small pictures (colour turns grey by luminance; subfolders become labels). "
                "They are checked and indexed in this browser and never leave it. A saved index given with its images skips the indexing."
            </p>
            <div class="row">
                <label class="drop own-drop" class:over=move || over.get()
                    on:dragover=move |ev| { ev.prevent_default(); over.set(true); }
                    on:dragleave=move |_| over.set(false)
                    on:drop=move |ev| {
                        ev.prevent_default();
                        over.set(false);
                        give(files(ev.data_transfer().and_then(|d| d.files())));
                    }>
                    <input type="file" multiple class="visually-hidden" data-testid="own-files"
                        aria-label="IDX files of your own set"
                        on:change=move |ev| {
                            let input: web_sys::HtmlInputElement = event_target(&ev);
                            give(files(input.files()));
                            input.set_value("");
                        } />
                    <span class="drop-title">"IDX files"</span>
                    <span class="muted small">"Choose or drop images, labels, a saved index"</span>
                </label>
                <label class="drop own-drop">
                    <input type="file" multiple node_ref=folder class="visually-hidden" data-testid="own-folder"
                        aria-label="A folder of pictures"
                        on:change=move |ev| {
                            let input: web_sys::HtmlInputElement = event_target(&ev);
                            let list = files(input.files());
                            if !list.is_empty() {
                                client.own_folder(list);
                            }
                            input.set_value("");
                        } />
                    <span class="drop-title">"A folder of pictures"</span>
                    <span class="muted small">"PNG, JPEG, GIF, WebP, BMP"</span>
                </label>
            </div>
            {move || client.own_progress.get().map(|p| view! {
                <div class="panel loading" role="status" aria-live="polite" data-testid="own-progress">{bar(Some(p))}</div>
            })}
            {move || client.own_problem.get().map(|p| view! {
                <div class="panel error" role="alert" data-testid="own-error" data-problem=p.kind()>
                    <strong>"This set was not used. "</strong>{p.message()}
                    <p class="small">{move || current().map(|s| format!("Still searching {}.", s.name))}</p>
                </div>
            })}
            {move || current().filter(|s| s.own && s.inverted).map(|s| view! {
                <p class="small" data-testid="own-inverted">{format!(
                    "{}: dark ink on a light ground, so its pictures were inverted to light ink on black, as MNIST and every query are.",
                    s.name
                )}</p>
            })}
            <div class="row">
                <button on:click=move |_| client.save() disabled=move || current().is_none()
                    title="Download the index of the set searched now">
                    "Save index"
                </button>
                <Show when=move || current().is_some_and(|s| s.own)>
                    <button on:click=move |_| client.use_shipped()>"Back to MNIST"</button>
                </Show>
            </div>
        </section>
    }
}
