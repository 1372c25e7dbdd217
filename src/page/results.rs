//! What a search found, as a view: the query as given and as searched, the verdict (or
//! that the nearest disagree), and the nearest images with rank, label and how alike
//! they are; selecting one opens why it is similar right under its card. How the answer
//! was found (space, costs, bytes) is one click away, not in the way. The search itself
//! runs in the worker.

use leptos::prelude::*;

use leptos::html;
use wasm_bindgen::JsCast;

use super::client::Whys;
use super::digit::Digit;
use super::shown::{Shown, focus_hit};
use super::why::WhyView;
use crate::protocol::{Answer, Hit, Image, Parts, Query, SetInfo, Verdict, thousands};
use crate::words::{alike, item_name, label_name, verdict_words};

/// The verdict as a sentence: a big label when the nearest agree; otherwise the two
/// labels in question with their shares, and never a big digit.
fn verdict_view(set: &SetInfo, v: Verdict) -> impl IntoView + use<> {
    let name = label_name(set, v.label);
    let pct = |share: f64| format!("{:.0}%", share * 100.0);
    if v.sure {
        view! {
            <p class="verdict" data-testid="verdict" data-sure="true">
                <span class="big">{name}</span>
                <span>{format!("{} of the weight of the {} nearest", pct(v.support), ssam::verdict::VOTERS)}</span>
            </p>
        }
        .into_any()
    } else {
        let question = verdict_words(set, &v);
        let shares = match v.runner_up {
            Some((other, share)) => format!(
                "the nearest disagree: {name} ({}), {} ({})",
                pct(v.support),
                label_name(set, other),
                pct(share)
            ),
            None => format!("the nearest disagree: {name} ({})", pct(v.support)),
        };
        view! {
            <p class="verdict unsure" data-testid="verdict" data-sure="false">
                <span class="question">{question}</span>
                <span>{shares}</span>
            </p>
        }
        .into_any()
    }
}

#[component]
pub fn Results(
    answer: Answer,
    set: SetInfo,
    /// Asked why a selected hit is similar.
    whys: Whys,
    shown: Shown,
    on_query: Callback<Query>,
) -> impl IntoView {
    let verdict = answer.verdict.map(|v| verdict_view(&set, v));
    let how = how_found(&answer);
    let hits = hit_list(&set, &answer, whys, shown, on_query);
    let noun = if set.own { "images" } else { "training digits" };
    let lead = format!(
        "The {} most alike of {} {noun}",
        answer.hits.len(),
        thousands(u64::from(answer.items))
    );
    // What the query cost rides along for tools to read (bench/million.sh).
    let (fetched, trips, memory) = answer
        .parts
        .map_or((0, 0, 0.0), |p| (p.fetched, p.trips, p.memory_mb));
    view! {
        <section class="results" data-testid="results" aria-live="polite"
            data-fetched=fetched data-trips=trips data-memory-mb=format!("{memory:.1}")>
            <div class="query">
                {query_figures(&answer.query.image, &answer.searched)}
                <div>
                    <p class="muted small">"Searched with " {answer.query.source} </p>
                    {verdict}
                </div>
            </div>
            <Refinement shown=shown items=answer.items lead=lead />
            {hits}
            <details class="how small">
                <summary>"How this was found"</summary>
                <p data-testid="similar">{set.similar()}</p>
                <p class="muted">{how}</p>
            </details>
        </section>
    }
}

/// The query as given, and as searched when that differs.
fn query_figures(query: &Image, searched: &Image) -> impl IntoView + use<> {
    let shown = format!("{}x{}", query.cols, query.rows);
    let searched_size = format!("{}x{}", searched.cols, searched.rows);
    let searched_view = (!searched.pixels.is_empty() && searched != query).then(|| {
        view! {
            <figure>
                <Digit image=searched.clone() label=format!("the query as searched, {searched_size}") class="query-tile" />
                <figcaption class="small muted">{format!("searched, {searched_size}")}</figcaption>
            </figure>
        }
    });
    view! {
        <figure>
            <Digit image=query.clone() label=format!("the query, {shown}") class="query-tile" />
            <figcaption class="small muted">{format!("query, {shown}")}</figcaption>
        </figure>
        {searched_view}
    }
}

/// The line above the hits: what they are, or, for a refined answer, how many hits the
/// whole set changed, or that a refined answer waits because it drops the hit being
/// looked at. One line in one place, so that what follows does not move.
#[component]
fn Refinement(shown: Shown, items: u32, lead: String) -> impl IntoView {
    let all = thousands(u64::from(items));
    let refined = shown.refined.get_untracked().map(|n| match n {
        0 => format!("Refined: now searched over all {all} here; the same digits."),
        1 => format!("Refined: now searched over all {all} here; 1 new digit."),
        n => format!("Refined: now searched over all {all} here; {n} new digits."),
    });
    move || {
        if shown.held.with(Option::is_some) {
            return view! {
                <p class="refined small" data-testid="held" role="status">
                    {format!("A refined answer over all {all} is ready; it no longer holds the digit you are looking at. ")}
                    <button on:click=move |_| shown.show_held()>"Show it"</button>
                </p>
            }
            .into_any();
        }
        match &refined {
            Some(note) => view! { <p class="refined small" data-testid="refined">{note.clone()}</p> }.into_any(),
            None => view! { <p class="small">{lead.clone()}", nearest first. Select one to see why it is similar."</p> }.into_any(),
        }
    }
}

/// How the answer was found, for those who ask: the setting, the time, the distances
/// measured and, searched by parts, what was fetched.
fn how_found(a: &Answer) -> String {
    let k = a.hits.len();
    let (items, measured) = (
        thousands(u64::from(a.items)),
        thousands(u64::from(a.measured)),
    );
    let fetched = |p: &Parts| {
        if p.fetched > 0 {
            format!(
                "{:.0} kB fetched in {} round trip{}",
                p.fetched as f64 / 1e3,
                p.trips,
                if p.trips == 1 { "" } else { "s" }
            )
        } else {
            "all here already".into()
        }
    };
    let found = match &a.parts {
        Some(p) => format!(
            "{k} nearest of {items} in {:.2} ms from the {} parts of the set nearest to it ({}), {measured} distances measured",
            a.ms,
            p.cells,
            fetched(p)
        ),
        None => format!(
            "{k} nearest of {items} in {:.2} ms ({}), {measured} distances measured",
            a.ms,
            a.setting.name()
        ),
    };
    let exact = a.exact.as_ref().map(|e| {
        format!(
            " Recall@{k} against exact search: {:.2}; exact search took {:.1} ms (all {items}).",
            e.recall, e.ms
        )
    });
    let cost = if a.blank > 0 {
        format!(
            " A digit that shares none of the query's ink would cost {}; \"alike\" is the share of that a hit does not cost.",
            thousands(u64::from(a.blank))
        )
    } else {
        String::new()
    };
    format!("{found}.{}{cost}", exact.unwrap_or_default())
}

/// The hits as cards; the selected one's "why" opens right after it (a sheet on a
/// phone), is brought into view, and closes with Esc or its button, giving the focus back
/// to the card.
fn hit_list(
    set: &SetInfo,
    answer: &Answer,
    whys: Whys,
    shown: Shown,
    on_query: Callback<Query>,
) -> impl IntoView + use<> {
    let selected = shown.selected;
    let query = answer.query.image.clone();
    let close = move || {
        if let Some(id) = selected.get_untracked() {
            selected.set(None);
            focus_hit(id);
        }
    };
    let select = Callback::new(move |id: u32| {
        if selected.get_untracked() == Some(id) {
            close();
        } else {
            selected.set(Some(id));
            whys.explain(query.clone(), id);
        }
    });
    // A selection kept from the answer before (a refinement) has its "why" already.
    let cards = answer
        .hits
        .iter()
        .enumerate()
        .map(|(rank, h)| {
            let card = hit(set, rank, h, answer.blank, selected, select);
            let why = why_item(
                set,
                h,
                whys,
                shown,
                on_query,
                Callback::new(move |()| close()),
            );
            view! { {card} {why} }
        })
        .collect_view();
    view! {
        <ol class="hits" on:keydown=move |ev: leptos::ev::KeyboardEvent| {
            // Esc closes an open "why" before anything else hears it (the pad clears on Esc).
            if ev.key() == "Escape" && selected.get_untracked().is_some() {
                ev.prevent_default();
                ev.stop_propagation();
                close();
            }
        }>{cards}</ol>
    }
}

/// The "why" of hit `h`, in the list right after its card while it is selected.
fn why_item(
    set: &SetInfo,
    h: &Hit,
    whys: Whys,
    shown: Shown,
    on_query: Callback<Query>,
    on_close: Callback<()>,
) -> impl IntoView + use<> {
    let id = h.id;
    let name = item_name(set, h);
    let image = h.image.clone();
    let distance = h.distance;
    let item: NodeRef<html::Li> = NodeRef::new();
    Effect::new(move |_| {
        if let Some(el) = item.get() {
            bring_into_view(&el);
        }
    });
    move || {
        if shown.selected.get() != Some(id) {
            return None;
        }
        let why = whys.why().get().filter(|w| w.id == id);
        let name = name.clone();
        let again = Query {
            image: image.clone(),
            source: name.clone(),
        };
        Some(view! {
            <li class="why-item" node_ref=item>
                {match why {
                    Some(w) => view! {
                        <WhyView why=w title=name cost=distance again=again on_query=on_query on_close=on_close />
                    }.into_any(),
                    None => view! { <p class="muted small why-waiting">"Comparing…"</p> }.into_any(),
                }}
            </li>
        })
    }
}

/// Scrolls `el` just into view (no further than needed), smoothly.
fn bring_into_view(el: &web_sys::Element) {
    let options = web_sys::ScrollIntoViewOptions::new();
    options.set_behavior(web_sys::ScrollBehavior::Smooth);
    options.set_block(web_sys::ScrollLogicalPosition::Nearest);
    el.scroll_into_view_with_scroll_into_view_options(&options);
    if let Some(focusable) = el
        .query_selector(".why")
        .ok()
        .flatten()
        .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok())
    {
        let _ = focusable.focus();
    }
}

fn hit(
    set: &SetInfo,
    rank: usize,
    h: &Hit,
    blank: u32,
    selected: RwSignal<Option<u32>>,
    select: Callback<u32>,
) -> impl IntoView + use<> {
    let id = h.id;
    let name = item_name(set, h);
    let label = match (h.label, &h.name) {
        (Some(l), _) => label_name(set, l),
        (None, Some(n)) => n.clone(),
        (None, None) => format!("#{id}"),
    };
    let share = alike(h.distance, blank);
    let pct = format!("{:.0}%", share * 100.0);
    let title = format!(
        "{}. {name}: {pct} alike (cost {}). Select to see why it is similar.",
        rank + 1,
        thousands(u64::from(h.distance))
    );
    view! {
        <li>
            <button
                class="hit"
                data-id=id
                title=title
                aria-pressed=move || (selected.get() == Some(id)).to_string()
                aria-expanded=move || (selected.get() == Some(id)).to_string()
                on:click=move |_| select.run(id)
            >
                <Digit image=h.image.clone() label=name />
                <span class="hit-label">{label}</span>
                <span class="hit-meta">
                    // A meter, not a styled span: the page's CSP allows no inline styles.
                    <meter class="alike" min="0" max="1" value=format!("{share:.3}") aria-hidden="true"></meter>
                    <span class="alike-text">{format!("#{} · {pct}", rank + 1)}</span>
                </span>
            </button>
        </li>
    }
}
