//! The page (wasm only): Leptos views that show and ask.
//!
//! The worker ([`crate::worker`], built as the `ssam-worker` binary) owns the index and
//! does all the work; the page talks to it in [`crate::protocol`] messages through
//! [`client::Client`]. One file per visible part: status, draw, upload, pick, controls,
//! results, why, own set, bench, map.

mod bench;
mod client;
mod controls;
mod digit;
mod draw;
mod map;
mod own;
mod pick;
mod results;
mod shown;
mod status;
mod to_answer;
pub mod upload;
mod why;

use leptos::prelude::*;

use crate::fetch;
use crate::protocol::{Query, Setting};
use client::Client;
use controls::{Controls, DEFAULT_K};
use results::Results;
use shown::Shown;

/// Shows a panic in the page instead of leaving it blank or frozen, then logs it.
pub fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        console_error_panic_hook::hook(info);
        if let Some(body) = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.body())
        {
            let message = info.to_string().replace('&', "&amp;").replace('<', "&lt;");
            let _ = body.insert_adjacent_html(
                "afterbegin",
                &format!(
                    "<div class=\"panel error\" role=\"alert\"><strong>Something went wrong inside SSAM.</strong> \
                     Reload the page to start again. Details: <code>{message}</code></div>"
                ),
            );
        }
    }));
}

/// Where a query drawn on the pad says it came from.
pub const DRAWING: &str = "your drawing";

/// The parts of the page built so far, in the order they are built.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Stage {
    /// Header, status and the pad: what is needed to draw.
    Ask,
    /// Upload and pick, below the pad.
    Tools,
    /// The answer card and the map panel beside and below it.
    Answer,
    /// The own-set and benchmark panels below the fold.
    Below,
}

/// Mounts the page after the task that instantiated its WebAssembly, so that compiling
/// the module and building the page are not one long task.
pub fn mount() {
    wasm_bindgen_futures::spawn_local(async {
        fetch::pause().await;
        leptos::mount::mount_to_body(App);
    });
}

/// The whole page: the questions a person can ask on the left (or on top, on a phone),
/// the answer beside (or below) them, then the map and the panels below the fold. The
/// page never scrolls by itself: on a phone a button under the pad leads to the answer.
#[component]
pub fn App() -> impl IntoView {
    // The page's "Loading" line (index.html) gives way to the app.
    if let Some(boot) = document().get_element_by_id("boot") {
        boot.remove();
    }
    let query = RwSignal::new(None::<Query>);
    let k = RwSignal::new(DEFAULT_K);
    let setting = RwSignal::new(None::<Setting>);
    let compare = RwSignal::new(false);
    // One message at a time, about the latest thing the person did.
    let message = RwSignal::new(None::<String>);
    let ask = Callback::new(move |q: Query| {
        message.set(None);
        query.set(Some(q));
    });
    let client = Client::start(ask);
    let shown = Shown::follow(client);
    Effect::new(move |_| {
        if let Some(p) = client.problem.get() {
            message.set(Some(p.message()));
        }
    });
    let tell = Callback::new(move |m: String| {
        client.problem.set(None);
        message.set(Some(m));
    });
    // The pad was emptied (Esc, Delete, Clear, undoing the last stroke): that forgets the
    // query only when the drawing was it; a picked or uploaded query stays.
    let blank = Callback::new(move |()| {
        if !query.with_untracked(|q| q.as_ref().is_some_and(|q| q.source == DRAWING)) {
            return;
        }
        query.set(None);
        client.clear();
        message.set(Some(match client.set.get_untracked() {
            Some(s) if s.own => format!(
                "Draw something to see the images of {} most like it.",
                s.name
            ),
            _ => "Draw a digit, 0 to 9, to see the training digits most like it.".into(),
        }));
    });
    let set = Signal::derive(move || client.set.get());
    // Which set, not how it is held: MNIST becoming whole here (after being searched by
    // parts) is the same set, and the answer shown (and the hit selected in it) stays.
    let same_set = Memo::new(move |_| {
        client
            .set
            .with(|s| s.as_ref().map(|s| (s.name.clone(), s.own, s.items)))
    });
    // Another set starts at its own default setting and with nothing asked of it: the
    // query of the set before belongs to that set (a query drawn while the first set
    // loads is kept and runs when it is in).
    Effect::new(move |before: Option<Option<(String, bool, u32)>>| {
        let now = same_set.get();
        setting.set(None);
        if matches!(&before, Some(Some(b)) if Some(b) != now.as_ref()) {
            query.set(None);
            message.set(None);
            client.clear();
        }
        now
    });
    // Every change of query, set or control asks again; before the data are ready the
    // worker keeps the latest and answers it when they are.
    Effect::new(move |_| {
        client.set.track();
        if let Some(q) = query.get() {
            client.search(q, k.get(), setting.get(), compare.get());
        }
    });
    // The page comes in four tasks, each under 50 ms of the main thread: the pad first,
    // then upload and pick, then the answer card and the map, then, once the set is
    // ready, the panels below the fold (WebAssembly compiles each function on its first
    // call, so the first build of a part costs several times what it costs later; built
    // in the task that handles the ready message, they made it a long one).
    let stage = RwSignal::new(Stage::Ask);
    leptos::task::spawn_local(async move {
        for next in [Stage::Tools, Stage::Answer] {
            fetch::pause().await;
            stage.set(next);
        }
    });
    Effect::new(move |_| {
        let settled = client.set.with(Option::is_some) || client.failure.with(Option::is_some);
        if settled && stage.get() == Stage::Answer {
            leptos::task::spawn_local(async move {
                fetch::pause().await;
                stage.set(Stage::Below);
            });
        }
    });
    let answer_card: NodeRef<leptos::html::Section> = NodeRef::new();
    let asked: Signal<Option<Query>> = query.into();

    view! {
        <main class="page">
            <header>
                <h1>"SSAM"</h1>
                <p class="tagline">"Draw a digit, upload one or pick one: the most similar of MNIST's 60,000 training digits, or of your own images, found in your browser."</p>
            </header>
            <status::Status client=client />
            <div class="layout">
                <section class="card ask" aria-label="Ask">
                    <h2>"Ask"</h2>
                    <draw::DrawPad on_query=ask on_blank=blank query=asked />
                    <to_answer::ToAnswer shown=shown set=set card=answer_card />
                    <Show when=move || { stage.get() >= Stage::Tools }>
                        <upload::Upload client=client on_query=ask on_error=tell />
                        <pick::Pick client=client query=asked on_error=tell />
                    </Show>
                    <p class="message" role="status" data-testid="message">{move || message.get()}</p>
                </section>
                <Show when=move || { stage.get() >= Stage::Answer }>
                <section class="card answer" aria-label="Results" node_ref=answer_card>
                    <h2>{move || match set.get() {
                        Some(s) if s.own => format!("Most similar images of {}", s.name),
                        _ => "Most similar training digits".to_owned(),
                    }}</h2>
                    <Controls set=set k=k setting=setting compare=compare />
                    {move || match (shown.answer.get(), same_set.get().and_then(|_| set.get_untracked())) {
                        (Some(a), Some(s)) => view! { <Results answer=a set=s client=client shown=shown on_query=ask /> }.into_any(),
                        (None, None) if query.with(Option::is_some) => view! { <p class="muted" data-testid="waiting">"Your query waits for the data; it runs as soon as they are in."</p> }.into_any(),
                        _ => view! { <p class="muted">"Results appear here as soon as there is something to search for."</p> }.into_any(),
                    }}
                </section>
                </Show>
            </div>
            <Show when=move || { stage.get() >= Stage::Answer }>
                <map::MapPanel client=client set=set on_query=ask />
            </Show>
            <Show when=move || { stage.get() >= Stage::Below }>
                <own::OwnSet client=client />
                <bench::BenchPanel client=client />
            </Show>
            <footer>
                <p>
                    "Everything runs in this page: nothing you draw, upload or index leaves your browser, and after the first visit it works offline. "
                    "MNIST by Yann LeCun, Corinna Cortes and Christopher J. C. Burges, CC BY-SA 3.0."
                </p>
            </footer>
        </main>
    }
}
