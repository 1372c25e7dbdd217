//! The benchmark anyone can run, as a view: the worker searches the set's query images
//! for each setting and scores them against exact answers in the index's space; this
//! panel offers as many queries as the set has, can stop a run, and shows its rows
//! (recall@10, queries per second, p50/p99 latency, 1-NN accuracy) in a table and a plot.

mod plot;

use leptos::prelude::*;

use super::client::{Bench, BenchRuns, BenchState};
use crate::protocol::{SetInfo, thousands};

/// Query counts the menu offers below a set's own count, which it always offers too.
const LADDER: [u32; 3] = [100, 1_000, 10_000];
/// The count chosen until the user chooses: enough for a steady recall, quick to run.
const USUAL: u32 = 1_000;

/// The query counts a set with `available` query images offers: the ladder's below it,
/// then all of them; none for a set with none.
fn sizes(available: u32) -> Vec<u32> {
    let mut out: Vec<u32> = LADDER.into_iter().filter(|&q| q < available).collect();
    if available > 0 {
        out.push(available);
    }
    out
}

/// What the benchmark queries a set with, and how many there are.
fn supply(set: &SetInfo) -> String {
    let n = thousands(u64::from(set.queries));
    if set.own {
        format!("of the {n} images held out of your set's index")
    } else {
        format!("of the set's {n} {}s", set.query_noun)
    }
}

/// Why a set offers nothing to measure with, in the status line.
fn too_small(set: &SetInfo) -> String {
    format!(
        "This set is too small to measure: its {} images are all indexed, since only sets of {} or more hold every {}th image out as a query, so there is nothing to query it with that it does not hold itself.",
        thousands(u64::from(set.items)),
        thousands(crate::worker::MIN_TO_HOLD_OUT as u64),
        crate::worker::HOLD_EVERY,
    )
}

#[component]
pub fn BenchPanel(runs: BenchRuns, set: Signal<Option<SetInfo>>) -> impl IntoView {
    let bench = runs.bench();
    let own = move || set.with(|s| s.as_ref().is_some_and(|s| s.own));
    let status = move || {
        let said = bench.with(Bench::status);
        match set.get() {
            Some(s) if said.is_empty() && s.queries == 0 => too_small(&s),
            _ => said,
        }
    };
    view! {
        <section class="card bench" aria-labelledby="bench-title">
            <h2 id="bench-title">"Benchmark in this browser"</h2>
            <p class="muted small">
                {move || if own() {
                    "Searches your set's held-out images (a deterministic part never indexed, so none finds itself) for several settings, in the worker, and scores them against exact answers. ".to_owned()
                } else {
                    let noun = set.with(|s| s.as_ref().map_or(String::new(), |s| s.query_noun.clone()));
                    format!("Searches the set's {noun}s for several settings of the graph and the forest, in the worker, and scores them against the exact answers in the index's space. ")
                }}
                "Browsers round timers to 0.1 ms unless the page is cross-origin isolated, so latencies are coarse; QPS is not."
            </p>
            <Menu runs=runs set=set />
            <p class="small" aria-live="polite" data-testid="bench-status">{status}</p>
            <Show when=move || !bench.with(|b| b.rows.is_empty())>
                <Table bench=bench />
                {move || bench.with(|b| plot::plot(&b.rows.iter().filter(|r| !r.reranked).cloned().collect::<Vec<_>>()))}
            </Show>
        </section>
    }
}

/// How many queries, and the buttons that start and stop a run.
#[component]
fn Menu(runs: BenchRuns, set: Signal<Option<SetInfo>>) -> impl IntoView {
    let bench = runs.bench();
    let available = move || set.with(|s| s.as_ref().map_or(0, |s| s.queries));
    // The user's choice, while the set searched offers it.
    let chosen = RwSignal::new(None::<u32>);
    let queries = move || {
        let offered = sizes(available());
        chosen
            .get()
            .filter(|q| offered.contains(q))
            .or_else(|| offered.iter().rev().find(|&&q| q <= USUAL).copied())
            .or_else(|| offered.first().copied())
    };
    let running = move || bench.with(|b| b.running);
    let options = move || {
        let all = available();
        sizes(all)
            .into_iter()
            .map(|q| {
                let text = if q == all {
                    format!("{} (all)", thousands(u64::from(q)))
                } else {
                    thousands(u64::from(q))
                };
                view! { <option value=q.to_string() selected=move || queries() == Some(q)>{text}</option> }
            })
            .collect_view()
    };
    view! {
        <div class="row bench-menu">
            <label>
                "Queries "
                <select data-testid="bench-queries" disabled=move || running() || available() == 0
                    on:change=move |ev| chosen.set(event_target_value(&ev).parse().ok())>
                    {options}
                </select>
                " "
                <span class="muted small" data-testid="bench-supply">{move || set.get().map(|s| supply(&s))}</span>
            </label>
            <button data-testid="bench-run" on:click=move |_| {
                    if let Some(q) = queries() {
                        runs.run(q);
                    }
                }
                disabled=move || running() || queries().is_none()>"Run benchmark"</button>
            <button data-testid="bench-stop" on:click=move |_| runs.stop()
                disabled=move || !running() || bench.with(|b| b.state == BenchState::Stopping)>"Stop"</button>
        </div>
    }
}

/// A latency as the table shows it: under the clock's 0.1 ms it says so.
fn ms(v: f64) -> String {
    if v < 0.1 {
        "< 0.1".into()
    } else {
        format!("{v:.2}")
    }
}

/// The rows measured, one a setting.
#[component]
fn Table(bench: ReadSignal<Bench>) -> impl IntoView {
    let rows = move || bench.with(|b| b.rows.clone());
    view! {
        <div class="table-wrap"><table>
            <thead><tr><th>"search"</th><th>"recall@10"</th><th>"QPS"</th><th>"p50 ms"</th><th>"p99 ms"</th><th>"1-NN acc"</th></tr></thead>
            <tbody>
                {move || rows().into_iter().map(|r| view! {
                    <tr>
                        <td>{if r.reranked { format!("{}, re-ranked", r.setting.name()) } else { r.setting.name() }}</td><td>{format!("{:.4}", r.recall)}</td><td>{thousands(r.qps.round() as u64)}</td>
                        <td>{ms(r.p50)}</td><td>{ms(r.p99)}</td>
                        <td>{r.acc1.map_or("n/a".to_owned(), |a| format!("{a:.4}"))}</td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table></div>
    }
}
