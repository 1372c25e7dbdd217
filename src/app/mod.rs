//! The web app (wasm only): loading, the three ways to ask (draw, upload, pick), the
//! results, and the benchmark panel. One file per visible part; the engine does the work.

mod bench;
mod digit;
mod draw;
mod engine;
mod fetch;
mod pick;
mod results;
mod status;
pub mod upload;

use std::sync::Arc;

use leptos::prelude::*;

use engine::{Engine, Progress, TestSet};
use results::{Controls, DEFAULT_EFFORT, EFFORTS, Results};

/// A 28x28 query and where it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    /// Grey levels, 0 = ground, row-major.
    pub pixels: Vec<u8>,
    /// Shown beside the results: "your drawing", a file name, a digit's number.
    pub source: String,
}

/// The test digits, fetched on first use and then kept.
#[derive(Clone, Copy)]
pub struct TestDigits {
    set: RwSignal<Option<Arc<TestSet>>>,
    progress: RwSignal<Option<Progress>>,
}

impl TestDigits {
    fn new() -> Self {
        TestDigits {
            set: RwSignal::new(None),
            progress: RwSignal::new(None),
        }
    }

    /// The test set, fetching it if this is the first call.
    pub async fn get(self) -> Result<Arc<TestSet>, String> {
        if let Some(set) = self.set.get_untracked() {
            return Ok(set);
        }
        if self.progress.get_untracked().is_some() {
            return Err("the test digits are still loading".into());
        }
        let progress = self.progress;
        let loaded = TestSet::load(move |p| progress.set(Some(p))).await;
        self.progress.set(None);
        let set = Arc::new(loaded?);
        self.set.set(Some(set.clone()));
        Ok(set)
    }
}

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

/// The whole page.
#[component]
pub fn App() -> impl IntoView {
    let engine: RwSignal<Option<Arc<Engine>>> = RwSignal::new(None);
    let failure = RwSignal::new(None::<String>);
    let progress = RwSignal::new(None::<Progress>);
    leptos::task::spawn_local(async move {
        match Engine::load(move |p| progress.set(Some(p))).await {
            Ok(e) => engine.set(Some(Arc::new(e))),
            Err(e) => failure.set(Some(e)),
        }
    });

    let tests = TestDigits::new();
    let query = RwSignal::new(None::<Query>);
    let message = RwSignal::new(None::<String>);
    let k = RwSignal::new(10usize);
    let effort = RwSignal::new(DEFAULT_EFFORT);
    let compare = RwSignal::new(false);
    let ask = Callback::new(move |q: Query| {
        message.set(None);
        query.set(Some(q));
    });
    let tell = Callback::new(move |m: String| message.set(Some(m)));
    let blank = Callback::new(move |()| {
        query.set(None);
        message.set(Some(
            "Draw a digit, 0 to 9, to see the training digits most like it.".into(),
        ));
    });
    let outcome = Memo::new(move |_| {
        let e = engine.get()?;
        let q = query.get()?;
        Some(results::run(
            &e,
            &q,
            k.get(),
            EFFORTS[effort.get()],
            compare.get(),
        ))
    });

    view! {
        <main class="page">
            <header>
                <h1>"SSAM"</h1>
                <p class="tagline">"Draw a digit, upload one or pick one: the most similar of MNIST's 60,000 training digits, found in your browser."</p>
            </header>
            <status::Status engine=engine failure=failure progress=progress />
            <Show when=move || engine.with(Option::is_some)>
                <div class="layout">
                    <section class="card ask" aria-label="Ask">
                        <h2>"Ask"</h2>
                        <draw::DrawPad on_query=ask on_blank=blank />
                        <upload::Upload on_query=ask on_error=tell />
                        <pick::Pick tests=tests on_query=ask on_error=tell />
                        <p class="message" role="status" data-testid="message">{move || message.get()}</p>
                    </section>
                    <section class="card answer" aria-label="Results">
                        <h2>"Most similar training digits"</h2>
                        <Controls k=k effort=effort compare=compare />
                        {move || match (engine.get(), query.get(), outcome.get()) {
                            (Some(e), Some(q), Some(Ok(o))) => view! { <Results engine=e query=q outcome=o on_query=ask /> }.into_any(),
                            (_, _, Some(Err(err))) => view! { <p class="panel error">{err}</p> }.into_any(),
                            _ => view! { <p class="muted">"Results appear here as soon as there is something to search for."</p> }.into_any(),
                        }}
                    </section>
                </div>
                {move || engine.get().map(|e| view! { <bench::BenchPanel engine=e tests=tests /> })}
            </Show>
            <footer>
                <p>
                    "Everything runs in this page: after loading, nothing you draw or upload leaves your browser. "
                    "MNIST by Yann LeCun, Corinna Cortes and Christopher J. C. Burges, CC BY-SA 3.0."
                </p>
            </footer>
        </main>
    }
}
