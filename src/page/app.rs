//! The whole page, and how it comes up: the panic hook, the mount, and the parts built
//! one task at a time. The page owns what is asked (the query and how to search it) and
//! the one message beside it; the client's parts go to the views that read them.

use leptos::html;
use leptos::prelude::*;

use super::bench::BenchPanel;
use super::client::{Client, Searches, SetStatus, Whys};
use super::controls::{Controls, DEFAULT_K};
use super::draw::{DRAWING, DrawPad};
use super::map::MapPanel;
use super::own::OwnSet;
use super::pick::Pick;
use super::results::Results;
use super::shown::Shown;
use super::status::Status;
use super::to_answer::ToAnswer;
use super::upload::Upload;
use crate::fetch;
use crate::protocol::{Query, SetInfo, Setting};
use crate::words::{answer_title, draw_prompt};

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

/// Mounts the page after the task that instantiated its WebAssembly, so that compiling
/// the module and building the page are not one long task.
pub fn mount() {
    wasm_bindgen_futures::spawn_local(async {
        fetch::pause().await;
        leptos::mount::mount_to_body(App);
    });
}

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

/// What the person asks: the query, and how to search it.
#[derive(Clone, Copy)]
struct Asked {
    query: RwSignal<Option<Query>>,
    k: RwSignal<usize>,
    setting: RwSignal<Option<Setting>>,
    compare: RwSignal<bool>,
}

/// Which set, not how it is held: MNIST becoming whole (after being searched by parts)
/// is the same set.
type SameSet = Memo<Option<(String, bool, u32)>>;

/// The whole page: the questions a person can ask on the left (or on top, on a phone),
/// the answer beside (or below) them, then the map and the panels below the fold. The
/// page never scrolls by itself: on a phone a button under the pad leads to the answer.
#[component]
pub fn App() -> impl IntoView {
    // The page's "Loading" line (index.html) gives way to the app.
    if let Some(boot) = document().get_element_by_id("boot") {
        boot.remove();
    }
    let asked = Asked {
        query: RwSignal::new(None),
        k: RwSignal::new(DEFAULT_K),
        setting: RwSignal::new(None),
        compare: RwSignal::new(false),
    };
    // One message at a time, about the latest thing the person did.
    let message = RwSignal::new(None::<String>);
    let ask = Callback::new(move |q: Query| {
        message.set(None);
        asked.query.set(Some(q));
    });
    let client = Client::start(ask);
    let answer = client.searches.answer();
    let shown = Shown::follow(answer, client.whys);
    let tell = tell_problems(client.searches, message);
    let blank = forget_drawing(client, asked.query, message);
    let same_set = follow_set(client, asked, message);
    search_on_change(client, asked);
    let stage = build_in_stages(client.status);
    let set: Signal<Option<SetInfo>> = client.status.set().into();
    let card: NodeRef<html::Section> = NodeRef::new();
    let query: Signal<Option<Query>> = asked.query.into();

    view! {
        <main class="page">
            <Header />
            <Status status=client.status />
            <div class="layout">
                <section class="card ask" aria-label="Ask">
                    <h2>"Ask"</h2>
                    <DrawPad on_query=ask on_blank=blank query=query />
                    <ToAnswer shown=shown set=set card=card />
                    <Show when=move || { stage.get() >= Stage::Tools }>
                        <Upload picks=client.picks answer=answer on_query=ask on_error=tell />
                        <Pick picks=client.picks set=set query=query on_error=tell />
                    </Show>
                    <p class="message" role="status" data-testid="message">{move || message.get()}</p>
                </section>
                <Show when=move || { stage.get() >= Stage::Answer }>
                    <AnswerCard asked=asked set=set same_set=same_set shown=shown whys=client.whys on_query=ask card=card />
                </Show>
            </div>
            <Show when=move || { stage.get() >= Stage::Answer }>
                <MapPanel maps=client.maps answer=answer set=set on_query=ask />
            </Show>
            <Show when=move || { stage.get() >= Stage::Below }>
                <OwnSet own=client.own set=set answer=answer />
                <BenchPanel runs=client.bench set=set />
            </Show>
            <Footer />
        </main>
    }
}

#[component]
fn Header() -> impl IntoView {
    view! {
        <header>
            <h1>"SSAM"</h1>
            <p class="tagline">"Draw a digit, upload one or pick one: the most similar of MNIST's 60,000 training digits, or of your own images, found in your browser."</p>
        </header>
    }
}

#[component]
fn Footer() -> impl IntoView {
    view! {
        <footer>
            <p>
                "Everything runs in this page: nothing you draw, upload or index leaves your browser, and after the first visit it works offline. "
                "MNIST by Yann LeCun, Corinna Cortes and Christopher J. C. Burges, CC BY-SA 3.0."
            </p>
        </footer>
    }
}

/// The answer card: its title, the controls, and the answer shown (or why there is none
/// yet).
#[component]
fn AnswerCard(
    asked: Asked,
    set: Signal<Option<SetInfo>>,
    same_set: SameSet,
    shown: Shown,
    whys: Whys,
    on_query: Callback<Query>,
    card: NodeRef<html::Section>,
) -> impl IntoView {
    view! {
        <section class="card answer" aria-label="Results" node_ref=card>
            <h2>{move || set.with(|s| answer_title(s.as_ref()))}</h2>
            <Controls set=set k=asked.k setting=asked.setting compare=asked.compare />
            {move || match (shown.answer.get(), same_set.get().and_then(|_| set.get_untracked())) {
                (Some(a), Some(s)) => view! { <Results answer=a set=s whys=whys shown=shown on_query=on_query /> }.into_any(),
                (None, None) if asked.query.with(Option::is_some) => view! { <p class="muted" data-testid="waiting">"Your query waits for the data; it runs as soon as they are in."</p> }.into_any(),
                _ => view! { <p class="muted">"Results appear here as soon as there is something to search for."</p> }.into_any(),
            }}
        </section>
    }
}

/// Puts what went wrong with a search or a pick in the page's message; the callback
/// returned puts a message of the page's own there instead.
fn tell_problems(searches: Searches, message: RwSignal<Option<String>>) -> Callback<String> {
    Effect::new(move |_| {
        if let Some(p) = searches.problem().get() {
            message.set(Some(p.message()));
        }
    });
    Callback::new(move |m: String| {
        searches.forget_problem();
        message.set(Some(m));
    })
}

/// The pad was emptied (Esc, Delete, Clear, undoing the last stroke): that forgets the
/// query only when the drawing was it; a picked or uploaded query stays.
fn forget_drawing(
    client: Client,
    query: RwSignal<Option<Query>>,
    message: RwSignal<Option<String>>,
) -> Callback<()> {
    Callback::new(move |()| {
        if !query.with_untracked(|q| q.as_ref().is_some_and(|q| q.source == DRAWING)) {
            return;
        }
        query.set(None);
        client.searches.clear();
        let prompt = client
            .status
            .set()
            .with_untracked(|s| draw_prompt(s.as_ref()));
        message.set(Some(prompt));
    })
}

/// Which set is searched. The answer shown (and the hit selected in it) stays while it
/// is the same set. Another set starts at its own default setting and with nothing asked
/// of it: the query of the set before belongs to that set (a query drawn while the first
/// set loads is kept and runs when it is in).
fn follow_set(client: Client, asked: Asked, message: RwSignal<Option<String>>) -> SameSet {
    let set = client.status.set();
    let same_set =
        Memo::new(move |_| set.with(|s| s.as_ref().map(|s| (s.name.clone(), s.own, s.items))));
    Effect::new(move |before: Option<Option<(String, bool, u32)>>| {
        let now = same_set.get();
        asked.setting.set(None);
        if matches!(&before, Some(Some(b)) if Some(b) != now.as_ref()) {
            asked.query.set(None);
            message.set(None);
            client.searches.clear();
        }
        now
    });
    same_set
}

/// Every change of query, set or control asks again; before the data are ready the
/// worker keeps the latest and answers it when they are.
fn search_on_change(client: Client, asked: Asked) {
    let set = client.status.set();
    Effect::new(move |_| {
        set.track();
        if let Some(q) = asked.query.get() {
            let (k, setting, exact) = (asked.k.get(), asked.setting.get(), asked.compare.get());
            client.searches.search(q, k, setting, exact);
        }
    });
}

/// The page comes in four tasks, each under 50 ms of the main thread: the pad first,
/// then upload and pick, then the answer card and the map, then, once the set is ready,
/// the panels below the fold (WebAssembly compiles each function on its first call, so
/// the first build of a part costs several times what it costs later; built in the task
/// that handles the ready message, they made it a long one).
fn build_in_stages(status: SetStatus) -> RwSignal<Stage> {
    let stage = RwSignal::new(Stage::Ask);
    leptos::task::spawn_local(async move {
        for next in [Stage::Tools, Stage::Answer] {
            fetch::pause().await;
            stage.set(next);
        }
    });
    let (set, failure) = (status.set(), status.failure());
    Effect::new(move |_| {
        let settled = set.with(Option::is_some) || failure.with(Option::is_some);
        if settled && stage.get() == Stage::Answer {
            leptos::task::spawn_local(async move {
                fetch::pause().await;
                stage.set(Stage::Below);
            });
        }
    });
    stage
}
