//! What a search found: the query as searched, the predicted digit, the nearest training
//! digits with rank, label and distance (each one a new query when clicked), and the
//! controls for k, budget and the comparison with exact search.

use std::sync::Arc;

use leptos::prelude::*;

use super::Query;
use super::digit::Digit;
use super::engine::{Answer, Engine};
use crate::{Effort, metrics};

/// Where the default setting is in [`EFFORTS`].
pub const DEFAULT_EFFORT: usize = 2;

/// A search and, when asked, the exact search beside it.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    pub approx: Answer,
    pub exact: Option<Answer>,
}

/// Runs the query with the current settings.
pub fn run(
    engine: &Engine,
    query: &Query,
    k: usize,
    effort: Effort,
    compare: bool,
) -> Result<Outcome, String> {
    let approx = engine.search(&query.pixels, k, effort)?;
    let exact = match compare {
        true => Some(engine.search(&query.pixels, k, Effort::Exact)?),
        false => None,
    };
    Ok(Outcome { approx, exact })
}

/// Search settings offered: the graph's beams, then the forest's budgets.
pub const EFFORTS: [Effort; 9] = [
    Effort::Graph { ef: 16 },
    Effort::Graph { ef: 32 },
    Effort::Graph {
        ef: Effort::DEFAULT_EF,
    },
    Effort::Graph { ef: 96 },
    Effort::Graph { ef: 192 },
    Effort::Forest { budget: 500 },
    Effort::Forest { budget: 1000 },
    Effort::Forest {
        budget: Effort::DEFAULT_BUDGET,
    },
    Effort::Forest { budget: 4000 },
];

/// How a setting reads in a menu.
pub fn effort_name(e: Effort) -> String {
    match e {
        Effort::Graph { ef } => format!("graph, beam {ef}"),
        Effort::Forest { budget } => format!("forest, {budget} candidates"),
        Effort::Exact => "exact".into(),
    }
}

#[component]
pub fn Controls(
    k: RwSignal<usize>,
    effort: RwSignal<usize>,
    compare: RwSignal<bool>,
) -> impl IntoView {
    view! {
        <div class="controls">
            <label>
                "Neighbours "
                <select on:change=move |ev| k.set(event_target_value(&ev).parse().unwrap_or(10)) prop:value=move || k.get().to_string()>
                    {[5usize, 10, 20, 50].map(|n| view! { <option value=n.to_string() selected=n == 10>{n}</option> })}
                </select>
            </label>
            <label>
                "Search "
                <select on:change=move |ev| effort.set(event_target_value(&ev).parse().unwrap_or(DEFAULT_EFFORT))
                    prop:value=move || effort.get().to_string()>
                    {EFFORTS.iter().enumerate().map(|(i, &e)| view! { <option value=i.to_string() selected=i == DEFAULT_EFFORT>{effort_name(e)}</option> }).collect_view()}
                </select>
            </label>
            <label class="check">
                <input type="checkbox" prop:checked=move || compare.get() on:change=move |ev| compare.set(event_target_checked(&ev)) />
                " Compare with exact search"
            </label>
        </div>
    }
}

#[component]
pub fn Results(
    engine: Arc<Engine>,
    query: Query,
    outcome: Outcome,
    on_query: Callback<Query>,
) -> impl IntoView {
    let Outcome { approx, exact } = outcome;
    let k = approx.neighbors.len();
    let train = engine.train();
    let vote = metrics::vote(&approx.neighbors, |id| train.label(id as usize));
    let verdict = vote.map(|(digit, share)| {
        view! {
            <p class="verdict">
                <span class="big">{digit}</span>
                <span>{format!("predicted by {:.0}% of the {k} nearest", share * 100.0)}</span>
            </p>
        }
    });
    let comparison = exact.map(|e| {
        let kth = e.neighbors.last().map_or(0, |n| n.distance);
        let recall = metrics::recall_from_kth(kth, &approx.neighbors, k);
        view! {
            <p class="compare">
                {format!(
                    "Recall@{k} against exact search: {:.2}. Forest {:.2} ms ({} candidates), exact {:.1} ms (all {}).",
                    recall, approx.ms, approx.candidates, e.ms, e.candidates
                )}
            </p>
        }
    });
    let timing = format!(
        "{} nearest of {} in {:.2} ms, {} candidates measured",
        k,
        train.len(),
        approx.ms,
        approx.candidates
    );
    let hits = approx
        .neighbors
        .iter()
        .enumerate()
        .map(|(rank, n)| {
            let id = n.id as usize;
            let label = train.label(id);
            let pixels = train.image(id).to_vec();
            let q = Query { pixels: pixels.clone(), source: format!("training digit #{id} (a {label})") };
            let text = format!("#{} · {:.0}", rank + 1, n.euclidean());
            let title = format!("rank {}, training digit #{id}, distance {:.1}: click to search for more like it", rank + 1, n.euclidean());
            view! {
                <li>
                    <button class="hit" title=title
                        on:click=move |_| on_query.run(q.clone())>
                        <Digit pixels=Signal::stored(pixels) label=format!("training digit {id}, label {label}") />
                        <span class="hit-label">{label}</span>
                        <span class="hit-meta">{text}</span>
                    </button>
                </li>
            }
        })
        .collect_view();
    view! {
        <section class="results" aria-live="polite">
            <div class="query">
                <Digit pixels=Signal::stored(query.pixels.clone()) label="the query as searched, 28 by 28" />
                <div>
                    <p class="muted small">"Searched with " {query.source.clone()} ", as 28×28"</p>
                    {verdict}
                </div>
            </div>
            <p class="muted small">{timing}</p>
            {comparison}
            <ol class="hits">{hits}</ol>
        </section>
    }
}
