//! What a search found: the query as searched, the predicted digit, the nearest training
//! digits with rank, label and distance (each one a new query when clicked), and the
//! controls for k, budget and the comparison with exact search.

use std::sync::Arc;

use leptos::prelude::*;

use super::Query;
use super::digit::Digit;
use super::engine::{Answer, Engine};
use crate::metrics;

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
    budget: usize,
    compare: bool,
) -> Result<Outcome, String> {
    let approx = engine.search(&query.pixels, k, budget)?;
    let exact = compare.then(|| engine.exact(&query.pixels, k));
    Ok(Outcome { approx, exact })
}

/// Candidate budgets offered.
pub const BUDGETS: [usize; 7] = [250, 500, 1000, 2000, 4000, 8000, 16000];
use crate::forest::DEFAULT_BUDGET;

#[component]
pub fn Controls(
    k: RwSignal<usize>,
    budget: RwSignal<usize>,
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
                "Budget "
                <select on:change=move |ev| budget.set(event_target_value(&ev).parse().unwrap_or(DEFAULT_BUDGET))
                    prop:value=move || budget.get().to_string()>
                    {BUDGETS.map(|b| view! { <option value=b.to_string() selected=b == DEFAULT_BUDGET>{b}" candidates"</option> })}
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
    let train = &engine.train;
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
