//! The map panel: its words, canvas, buttons and legend, and the effects that bring it a
//! map, pictures and the query.

use std::cell::Cell;
use std::time::Duration;

use leptos::html;
use leptos::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::CanvasRenderingContext2d;

use super::super::client::{Maps, OwnMap};
use super::colours::{GROUND, colour, css};
use super::own::{OwnLayout, own_names};
use super::place::place;
use super::view::{Step, View};
use crate::fetch::now;
use crate::protocol::{Answer, Image, MapFile, Problem, Query, SetInfo};
use crate::words::label_name;
use ssam::Map;

/// Pictures kept in the page; beyond this the cache starts again.
const MAX_CACHED: usize = 12_000;

/// What a point is called in words: "training digit #123 (a 7)", or an own set's
/// "image #5 (a cat)".
fn point_name(set: Option<&SetInfo>, id: u32, label: Option<u8>) -> String {
    let own = set.is_some_and(|s| s.own);
    let about = match (label, set) {
        (Some(l), Some(s)) if s.labelled => format!(" (a {})", label_name(s, l)),
        (Some(l), None) => format!(" (a {l})"),
        _ => String::new(),
    };
    let noun = if own { "image" } else { "training digit" };
    format!("{noun} #{id}{about}")
}

/// What the map's parts share: the canvas, what it shows, and the point in focus. Cheap
/// to copy into every handler.
#[derive(Clone, Copy)]
pub(super) struct MapState {
    pub canvas: NodeRef<html::Canvas>,
    pub view: StoredValue<Option<View>, LocalStorage>,
    /// A frame is asked for and not drawn yet.
    scheduled: StoredValue<Cell<bool>, LocalStorage>,
    /// The point in focus (under the mouse, tapped or stepped to), with its label.
    pub focus: RwSignal<Option<(u32, Option<u8>)>>,
    /// A point to search with once its picture arrives.
    pending: StoredValue<Option<u32>>,
    maps: Maps,
    answer: ReadSignal<Option<Answer>>,
    set: Signal<Option<SetInfo>>,
    on_query: Callback<Query>,
}

impl MapState {
    fn new(
        maps: Maps,
        answer: ReadSignal<Option<Answer>>,
        set: Signal<Option<SetInfo>>,
        on_query: Callback<Query>,
    ) -> Self {
        MapState {
            canvas: NodeRef::new(),
            view: StoredValue::new_local(None),
            scheduled: StoredValue::new_local(Cell::new(false)),
            focus: RwSignal::new(None),
            pending: StoredValue::new(None),
            maps,
            answer,
            set,
            on_query,
        }
    }

    /// Whether the set searched is the user's own.
    fn own(self) -> bool {
        self.set.with(|s| s.as_ref().is_some_and(|s| s.own))
    }

    /// Changes the view (when there is one) and draws the change.
    pub fn change(self, f: impl FnOnce(&mut View)) {
        self.view.update_value(|v| {
            if let Some(v) = v {
                f(v);
            }
        });
        self.schedule();
    }

    /// Searches with point `id`: at once when its picture is here, else once it comes.
    pub fn search_for(self, id: u32) {
        let found = self.view.with_value(|v| {
            let v = v.as_ref()?;
            let (rows, cols) = v.image_side;
            let image = Image {
                rows: rows as u16,
                cols: cols as u16,
                pixels: v.images.get(&id)?.clone(),
            };
            Some((image, v.labels.get(id as usize).copied()))
        });
        match found {
            Some((image, label)) => self.on_query.run(Query {
                image,
                source: point_name(self.set.get_untracked().as_ref(), id, label),
            }),
            None => {
                self.pending.set_value(Some(id));
                self.maps.ask_images(vec![id]);
            }
        }
    }

    /// Puts point `id` in focus (ringed, shown large, named under the map), or none.
    pub fn set_focus(self, id: Option<u32>) {
        let label = self
            .view
            .try_update_value(|v| {
                let v = v.as_mut()?;
                v.focus = id;
                Some(v.labels.get(id? as usize).copied())
            })
            .flatten()
            .flatten();
        self.focus.set(id.map(|i| (i, label)));
        self.schedule();
    }

    /// Asks for a frame; several asks before it is drawn make one.
    pub fn schedule(self) {
        if self.scheduled.with_value(|s| s.replace(true)) {
            return;
        }
        request_animation_frame(move || {
            self.scheduled.with_value(|s| s.set(false));
            self.frame();
        });
    }

    /// Draws the view at the canvas's size, then asks for the pictures it lacks.
    fn frame(self) {
        let Some(c) = self.canvas.get_untracked() else {
            return;
        };
        let Some(ctx) = c
            .get_context("2d")
            .ok()
            .flatten()
            .and_then(|x| x.dyn_into::<CanvasRenderingContext2d>().ok())
        else {
            return;
        };
        let start = now();
        let dpr = web_sys::window()
            .map_or(1.0, |w| w.device_pixel_ratio())
            .clamp(1.0, 2.0);
        let (cw, ch) = (
            (f64::from(c.client_width()) * dpr).round() as u32,
            (f64::from(c.client_height()) * dpr).round() as u32,
        );
        if cw == 0 || ch == 0 {
            return;
        }
        let missing = self
            .view
            .try_update_value(|v| {
                let v = v.as_mut()?;
                // A canvas made anew (the panel switched maps) has its default size.
                if v.resize(cw, ch, dpr, GROUND) || (c.width(), c.height()) != (cw, ch) {
                    c.set_width(cw);
                    c.set_height(ch);
                }
                let missing = v.draw(&ctx);
                let _ = c.set_attribute("data-zoom", &format!("{:.3}", v.zoom()));
                let _ = c.set_attribute("data-centre", &format!("{:.0},{:.0}", v.cx, v.cy));
                // Where the query is, in CSS pixels of the canvas (for bench/map.js).
                if let Some(m) = &v.mark {
                    let (sx, sy) = v.to_screen(m.at[0], m.at[1]);
                    let at = format!("{:.0},{:.0}", f64::from(sx) / dpr, f64::from(sy) / dpr);
                    let _ = c.set_attribute("data-query-at", &at);
                }
                // Missing pictures not asked for yet.
                Some(
                    missing
                        .into_iter()
                        .filter(|id| v.asked.insert(*id))
                        .collect::<Vec<_>>(),
                )
            })
            .flatten()
            .unwrap_or_default();
        let _ = c.set_attribute("data-frame-ms", &format!("{:.2}", now() - start));
        if !missing.is_empty() {
            self.maps.ask_images(missing);
        }
    }
}

/// The map panel, shown from the first result on, where the `answer` shown lands.
/// `on_query` searches with a chosen point.
#[component]
pub fn MapPanel(
    maps: Maps,
    answer: ReadSignal<Option<Answer>>,
    set: Signal<Option<SetInfo>>,
    on_query: Callback<Query>,
) -> impl IntoView {
    let state = MapState::new(maps, answer, set, on_query);
    let own = move || state.own();
    let shown = RwSignal::new(false);
    let ready = RwSignal::new(false);
    let problem = RwSignal::new(None::<String>);
    let landed = RwSignal::new(String::new());
    let swap = Swap::new();
    ask_after_first_result(state, shown);
    take_mnist_map(state, swap, ready, problem);
    take_pictures(state);
    swap_own_map(state, swap);
    follow_answer(state, swap, ready, landed);
    let on_resize = window_event_listener(leptos::ev::resize, move |_| state.schedule());
    on_cleanup(move || on_resize.remove());
    let loading = move || !own() && !ready.get() && problem.with(Option::is_none);
    let data_state = move || {
        if own() {
            if swap.own_shown.get() {
                "ready"
            } else {
                "none"
            }
        } else if problem.with(Option::is_some) {
            "failed"
        } else if ready.get() {
            "ready"
        } else {
            "loading"
        }
    };

    view! {
        <Show when=move || shown.get()>
        <section class="card map" aria-labelledby="map-title">
            <h2 id="map-title">{move || if own() { "Where your image lands" } else { "Where your digit lands" }}</h2>
            <Help own=Signal::derive(own) />
            <Show when=own>
                <OwnLayout maps=maps set=set />
            </Show>
            <Show when=move || !own() || swap.own_shown.get()>
                {move || problem.get().filter(|_| !own()).map(|p| view! { <p class="map-problem" role="alert" data-testid="map-problem">{format!("The map is not available: {p}. Everything else works without it.")}</p> })}
                <div class="map-wrap">
                    <Canvas state=state own=Signal::derive(own) data_state=Signal::derive(data_state) />
                    <Show when=loading>
                        <p class="map-loading muted">"Loading the map…"</p>
                    </Show>
                </div>
                <Tools state=state landed=landed.into() />
                <p class="map-where" data-testid="map-where" aria-live="polite">{move || landed.get()}</p>
                <Legend state=state own_shown=swap.own_shown.into() />
            </Show>
        </section>
        </Show>
    }
}

/// What the map shows besides the view: whether it is an own set's, and MNIST's kept
/// meanwhile so that going back shows it without fetching it again.
#[derive(Clone, Copy)]
struct Swap {
    own_shown: RwSignal<bool>,
    mnist: StoredValue<Option<View>, LocalStorage>,
}

impl Swap {
    fn new() -> Self {
        Swap {
            own_shown: RwSignal::new(false),
            mnist: StoredValue::new_local(None),
        }
    }
}

/// How to move the map and choose a point, for the device in hand: a touch screen's
/// fingers, or a mouse, wheel and keyboard (the page's `.touch-hint` and `.keys-hint`).
#[component]
fn Help(own: Signal<bool>) -> impl IntoView {
    let about = move || {
        if own.get() {
            "Your set's images, laid out so that images similar in pixels sit together (the same UMAP-style layout as MNIST's map, from each image's nearest found by the set's forest), computed in this page when you ask. "
        } else {
            "All 60,000 training digits, laid out so that digits similar in the search space sit together (a UMAP-style layout of SSAM's own neighbour graph, computed offline). "
        }
    };
    view! {
        <p class="small muted map-help" data-testid="map-help">
            {about}
            <span class="keys-hint">"Drag to move the map; Ctrl and the wheel (or a pinch on a touchpad), or + and −, zoom; the plain wheel scrolls the page. Zoomed in, points become the pictures themselves. Point at one to see it, click it to search with it. From the keyboard: the arrow keys step from point to point, Enter searches with the ringed one, Shift and the arrows move the map."</span>
            <span class="touch-hint">"One finger scrolls the page. Pinch or use two fingers to move and zoom the map, or the buttons below; zoomed in, points become the pictures themselves. Tap a point to see it, then search with it."</span>
        </p>
    }
}

/// The canvas, with its pointer, wheel and key handlers.
#[component]
fn Canvas(state: MapState, own: Signal<bool>, data_state: Signal<&'static str>) -> impl IntoView {
    view! {
        <canvas
            node_ref=state.canvas
            class="map-canvas"
            tabindex="0"
            role="application"
            aria-roledescription="map"
            aria-describedby="map-focus"
            aria-label=move || if own.get() {
                "Map of your set's images coloured by label, with your query on it. Arrow keys step from image to image, Enter searches with it; Shift and the arrows move, plus and minus zoom, 0 shows it whole."
            } else {
                "Map of MNIST's 60,000 training digits coloured by label, with your query on it. Arrow keys step from digit to digit, Enter searches with it; Shift and the arrows move, plus and minus zoom, 0 shows it whole."
            }
            data-testid="map"
            data-state=data_state
            on:pointerdown=move |ev| state.on_down(ev)
            on:pointermove=move |ev| state.on_move(ev)
            on:pointerup=move |ev| state.on_up(ev)
            on:pointercancel=move |ev| state.on_cancel(ev)
            on:pointerleave=move |ev| state.on_leave(ev)
            on:wheel=move |ev| state.on_wheel(ev)
            on:touchmove=move |ev| state.on_touch_move(ev)
            on:keydown=move |ev| state.on_key(ev)
        ></canvas>
    }
}

/// The buttons under the map, and the point in focus named, with a button to search with it.
#[component]
fn Tools(state: MapState, landed: Signal<String>) -> impl IntoView {
    let step = move |what: Step| state.change(|v| v.step(what));
    let focus_text = move || {
        state.focus.get().map(|(id, label)| {
            let name = state.set.with(|s| point_name(s.as_ref(), id, label));
            let mut chars = name.chars();
            let first = chars.next().map(|c| c.to_uppercase().to_string());
            format!("{}{}.", first.unwrap_or_default(), chars.as_str())
        })
    };
    view! {
        <div class="row map-tools">
            <button type="button" aria-label="Zoom in" on:click=move |_| step(Step::Zoom(1.5))>"+"</button>
            <button type="button" aria-label="Zoom out" on:click=move |_| step(Step::Zoom(1.0 / 1.5))>"−"</button>
            <button type="button" on:click=move |_| step(Step::Reset)>"Whole map"</button>
            <button type="button" data-testid="map-to-query" disabled=move || landed.with(String::is_empty) on:click=move |_| step(Step::Query)>"To the query"</button>
            <span class="small" id="map-focus" data-testid="map-hover" aria-live="polite">{focus_text}</span>
            {move || state.focus.get().map(|(id, _)| view! {
                <button type="button" class="primary" on:click=move |_| state.search_for(id)>"Search for it"</button>
            })}
        </div>
    }
}

/// The colours by label: MNIST's ten digits, or an own set's names.
#[component]
fn Legend(state: MapState, own_shown: Signal<bool>) -> impl IntoView {
    let swatch = |label: u8| {
        // An SVG dot: its fill is an attribute, which the page's CSP (no inline style)
        // allows.
        view! {
            <svg class="swatch" viewBox="0 0 10 10" aria-hidden="true"><circle cx="5" cy="5" r="4.5" fill=css(colour(label)) stroke="#16181c" /></svg>
        }
    };
    let items = move || {
        let names: Vec<(u8, String)> = if own_shown.get() {
            state.view.with_value(|v| {
                v.as_ref()
                    .map(|v| v.numerals.iter().map(|n| (n.0, n.1.clone())).collect())
                    .unwrap_or_default()
            })
        } else {
            (0..10u8).map(|l| (l, l.to_string())).collect()
        };
        if names.is_empty() {
            return view! { <li>{swatch(0)}"every image (this set has no labels)"</li> }.into_any();
        }
        names
            .into_iter()
            .map(|(l, name)| view! { <li>{swatch(l)}{name}</li> })
            .collect_view()
            .into_any()
    };
    view! { <ul class="legend" aria-label="Colours by label">{items}</ul> }
}

/// Shows the panel with the first result, and asks for MNIST's map once that result has
/// been painted, never before.
fn ask_after_first_result(state: MapState, shown: RwSignal<bool>) {
    let asked = StoredValue::new(false);
    let maps = state.maps;
    Effect::new(move |_| {
        let answered = state.answer.with(Option::is_some);
        if answered && !shown.get_untracked() {
            shown.set(true);
        }
        if answered && !state.own() && !asked.get_value() {
            asked.set_value(true);
            request_animation_frame(move || {
                set_timeout(move || maps.fetch(), Duration::from_millis(0));
            });
        }
    });
}

/// MNIST's map, once fetched, shown (or kept aside while an own set's is shown).
fn take_mnist_map(
    state: MapState,
    swap: Swap,
    ready: RwSignal<bool>,
    problem: RwSignal<Option<String>>,
) {
    Effect::new(move |_| match state.maps.map().get() {
        Some(Ok(MapFile {
            file,
            bytes,
            fingerprint,
            labels,
        })) => match Map::from_bytes(&file, &bytes, fingerprint, labels.len()) {
            Ok(map) => {
                let digits = (0..10u8).map(|l| (l, l.to_string())).collect();
                let fetched = View::new(map, labels, digits);
                if swap.own_shown.get_untracked() {
                    swap.mnist.set_value(Some(fetched));
                } else {
                    state.view.set_value(Some(fetched));
                }
                problem.set(None);
                ready.set(true);
                state.schedule();
            }
            Err(e) => problem.set(Some(e.to_string())),
        },
        Some(Err(p)) => problem.set(Some(p.message())),
        None => {}
    });
}

/// Pictures of points, as the worker sends them; a search waiting for one goes on.
fn take_pictures(state: MapState) {
    Effect::new(move |_| {
        let Some(batch) = state.maps.images().get() else {
            return;
        };
        let (rows, cols) = (usize::from(batch.rows), usize::from(batch.cols));
        let dim = rows * cols;
        if dim == 0 || batch.pixels.len() != dim * batch.ids.len() {
            return;
        }
        state.change(|v| {
            if v.images.len() + batch.ids.len() > MAX_CACHED {
                v.images.clear();
                v.asked.clear();
            }
            v.image_side = (rows, cols);
            for (id, px) in batch.ids.iter().zip(batch.pixels.chunks_exact(dim)) {
                v.images.insert(*id, px.to_vec());
            }
        });
        if let Some(id) = state.pending.get_value()
            && batch.ids.contains(&id)
        {
            state.pending.set_value(None);
            state.search_for(id);
        }
    });
}

/// An own set's map, once laid out, takes MNIST's place; another set or going back to
/// MNIST (the worker then drops the own layout, and the client forgets it) puts MNIST's
/// back.
fn swap_own_map(state: MapState, swap: Swap) {
    let maps = state.maps;
    Effect::new(move |_| {
        let laid_out = maps.own_map().with(|m| match m {
            OwnMap::Done { map, .. } => Some(map.clone()),
            _ => None,
        });
        let info = state.set.get();
        match (laid_out, info.filter(|s| s.own)) {
            (Some(file), Some(info)) => {
                match Map::from_bytes(&file.file, &file.bytes, file.fingerprint, file.labels.len())
                {
                    Ok(map) => {
                        let names = own_names(&info, &file.labels);
                        let own_view = View::new(map, file.labels, names);
                        let before = state
                            .view
                            .try_update_value(|v| v.replace(own_view))
                            .flatten();
                        if !swap.own_shown.get_untracked() {
                            swap.mnist.set_value(before);
                        }
                        swap.own_shown.set(true);
                        state.focus.set(None);
                        state.schedule();
                    }
                    Err(e) => maps.layout_failed(Problem::from(&e)),
                }
            }
            _ => {
                if swap.own_shown.get_untracked() {
                    let back = swap.mnist.try_update_value(Option::take).flatten();
                    state.view.set_value(back);
                    swap.own_shown.set(false);
                    state.set_focus(None);
                }
            }
        }
    });
}

/// The query placed where its hits are, and where it landed in words; it follows every
/// new answer, so it moves while a digit is drawn.
fn follow_answer(state: MapState, swap: Swap, ready: RwSignal<bool>, landed: RwSignal<String>) {
    Effect::new(move |_| {
        let answer = state.answer.get();
        let on_map = if state.own() {
            swap.own_shown.get()
        } else {
            ready.get() && !swap.own_shown.get()
        };
        let info = state.set.get_untracked();
        let placed = match (&answer, on_map) {
            (Some(a), true) => {
                let start = now();
                let placed = state
                    .view
                    .try_update_value(|v| v.as_mut().map(|v| place(v, a, info.as_ref())))
                    .flatten()
                    .flatten();
                // What placing costs, read by bench/map.js.
                if let Some(c) = state.canvas.get_untracked() {
                    let _ = c.set_attribute("data-place-ms", &format!("{:.3}", now() - start));
                }
                placed
            }
            _ => {
                state.change(|v| v.mark = None);
                None
            }
        };
        landed.set(placed.unwrap_or_default());
        state.schedule();
    });
}
