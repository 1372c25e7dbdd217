//! What a search found, as a view: the query as given and as searched, what "similar"
//! means here, the predicted label, and the nearest images with rank, label and distance
//! (each one a new query when clicked). The search itself runs in the worker.

use leptos::prelude::*;

use super::digit::Digit;
use super::protocol::{Answer, Hit, Query, SetInfo};
use crate::{Neighbor, metrics};

/// A label as the user reads it: a folder's class name, or the number.
pub fn label_name(set: &SetInfo, label: u8) -> String {
    set.classes
        .get(usize::from(label))
        .cloned()
        .unwrap_or_else(|| label.to_string())
}

#[component]
pub fn Results(answer: Answer, set: SetInfo, on_query: Callback<Query>) -> impl IntoView {
    let Answer {
        query,
        searched,
        setting,
        hits,
        ms,
        measured,
        items,
        exact,
        ..
    } = answer;
    let k = hits.len();
    let neighbors: Vec<Neighbor> = hits
        .iter()
        .map(|h| Neighbor {
            id: h.id,
            distance: h.distance,
        })
        .collect();
    let label_of = |id: u32| {
        hits.iter()
            .find(|h| h.id == id)
            .and_then(|h| h.label)
            .unwrap_or(0)
    };
    let verdict = set
        .labelled
        .then(|| metrics::vote(&neighbors, label_of))
        .flatten()
        .map(|(label, share)| {
            view! {
                <p class="verdict">
                    <span class="big">{label_name(&set, label)}</span>
                    <span>{format!("predicted by {:.0}% of the {k} nearest", share * 100.0)}</span>
                </p>
            }
        });
    let comparison = exact.map(|e| {
        view! {
            <p class="compare">
                {format!(
                    "Recall@{k} against exact search: {:.2}. {} {ms:.2} ms ({measured} distances), exact {:.1} ms (all {items}).",
                    e.recall, setting.name(), e.ms
                )}
            </p>
        }
    });
    let timing = format!(
        "{k} nearest of {items} in {ms:.2} ms ({}), {measured} distances measured",
        setting.name()
    );
    let hits = hits
        .into_iter()
        .enumerate()
        .map(|(rank, h)| hit(&set, rank, h, on_query))
        .collect_view();
    let shown = format!("{}x{}", query.image.cols, query.image.rows);
    let searched_size = format!("{}x{}", searched.cols, searched.rows);
    let searched_view = (!searched.pixels.is_empty() && searched != query.image).then(|| {
        view! {
            <figure>
                <Digit image=searched label=format!("the query as searched, {searched_size}") class="query-tile" />
                <figcaption class="small muted">{format!("searched, {searched_size}")}</figcaption>
            </figure>
        }
    });
    view! {
        <section class="results" aria-live="polite">
            <div class="query">
                <figure>
                    <Digit image=query.image label=format!("the query, {shown}") class="query-tile" />
                    <figcaption class="small muted">{format!("query, {shown}")}</figcaption>
                </figure>
                {searched_view}
                <div>
                    <p class="muted small">"Searched with " {query.source} </p>
                    {verdict}
                </div>
            </div>
            <p class="small similar" data-testid="similar">{set.similar()}</p>
            <p class="muted small">{timing}</p>
            {comparison}
            <ol class="hits">{hits}</ol>
        </section>
    }
}

fn hit(set: &SetInfo, rank: usize, h: Hit, on_query: Callback<Query>) -> impl IntoView + use<> {
    let id = h.id;
    let distance = f64::from(h.distance).sqrt();
    let (label, about) = match h.label {
        Some(l) => {
            let name = label_name(set, l);
            (name.clone(), format!(" (a {name})"))
        }
        None => (format!("#{id}"), String::new()),
    };
    let q = Query {
        image: h.image.clone(),
        source: format!("training image #{id}{about}"),
    };
    let text = format!("#{} · {distance:.0}", rank + 1);
    let title = format!(
        "rank {}, training image #{id}{about}, distance {distance:.1}: click to search for more like it",
        rank + 1
    );
    view! {
        <li>
            <button class="hit" title=title on:click=move |_| on_query.run(q.clone())>
                <Digit image=h.image label=format!("training image {id}{about}") />
                <span class="hit-label">{label}</span>
                <span class="hit-meta">{text}</span>
            </button>
        </li>
    }
}
