//! The benchmark anyone can run: the test digits as queries in this browser, for a few
//! settings, scored against the shipped exact 10th distances; recall@10, queries per
//! second, p50/p99 latency and 1-NN accuracy, in a table and a small plot. The work runs
//! in slices with pauses between them, so the page stays usable.

use std::sync::Arc;

use leptos::prelude::*;

use super::TestDigits;
use super::engine::{self, Engine};
use super::fetch::{now, pause};
use super::results::effort_name;
use crate::{Effort, metrics};

/// The settings measured: the graph's beams, then the forest's budgets.
const EFFORTS: [Effort; 7] = [
    Effort::Graph { ef: 16 },
    Effort::Graph { ef: 32 },
    Effort::Graph { ef: 64 },
    Effort::Graph { ef: 128 },
    Effort::Forest { budget: 1000 },
    Effort::Forest { budget: 2000 },
    Effort::Forest { budget: 4000 },
];
const K: usize = 10;

#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub setting: String,
    pub recall: f64,
    pub qps: f64,
    pub p50: f64,
    pub p99: f64,
    pub acc1: f64,
}

/// Megabytes of WebAssembly memory the page holds.
pub fn wasm_memory_mb() -> f64 {
    use wasm_bindgen::JsCast;
    wasm_bindgen::memory()
        .dyn_into::<js_sys::WebAssembly::Memory>()
        .map(|m| {
            m.buffer()
                .unchecked_into::<js_sys::ArrayBuffer>()
                .byte_length() as f64
                / 1e6
        })
        .unwrap_or(0.0)
}

async fn measure(
    engine: &Engine,
    tests: TestDigits,
    queries: usize,
    rows: RwSignal<Vec<Row>>,
    status: RwSignal<String>,
) -> Result<(), String> {
    let set = tests.get().await?;
    status.set("fetching the exact answers…".into());
    let truth = engine::load_truth(engine, &set, |_| {}).await?;
    let n = queries.min(set.data.len());
    for effort in EFFORTS {
        let mut latencies = Vec::with_capacity(n);
        let (mut recall, mut right) = (0.0, 0usize);
        let mut busy = 0.0;
        let mut slice = now();
        for i in 0..n {
            let answer = engine.search(set.data.image(i), K, effort)?;
            latencies.push(answer.ms);
            recall += metrics::recall_from_kth(truth.distances[i], &answer.neighbors, K);
            right += usize::from(
                answer
                    .neighbors
                    .first()
                    .is_some_and(|nb| engine.train().label(nb.id as usize) == set.data.label(i)),
            );
            if now() - slice > 40.0 {
                // QPS comes from these slices' wall time: over tens of milliseconds the
                // browser's coarse clock is exact enough.
                busy += now() - slice;
                status.set(format!("{}: {} of {n} queries", effort_name(effort), i + 1));
                pause().await;
                slice = now();
            }
        }
        busy += now() - slice;
        latencies.sort_by(f64::total_cmp);
        let pct = |p: f64| latencies[((n - 1) as f64 * p).round() as usize];
        rows.update(|r| {
            r.push(Row {
                setting: effort_name(effort),
                recall: recall / n as f64,
                qps: n as f64 / (busy / 1e3).max(1e-9),
                p50: pct(0.5),
                p99: pct(0.99),
                acc1: right as f64 / n as f64,
            })
        });
    }
    status.set(format!(
        "done: {n} queries per setting, k = {K}, one thread; WebAssembly memory {:.0} MB",
        wasm_memory_mb()
    ));
    Ok(())
}

/// Recall across, queries per second up (log), as ann-benchmarks draws it.
fn plot(rows: &[Row]) -> impl IntoView + use<> {
    let (w, h, pad) = (320.0, 180.0, 28.0);
    let x_min = rows.iter().map(|r| r.recall).fold(1.0, f64::min).min(0.8);
    let (lo, hi) = rows.iter().fold((f64::MAX, 0.0f64), |(lo, hi), r| {
        (lo.min(r.qps), hi.max(r.qps))
    });
    let (lo, hi) = ((lo * 0.8).max(1.0).log10(), (hi * 1.25).max(10.0).log10());
    let x = move |r: f64| pad + (r - x_min) / (1.0 - x_min).max(1e-9) * (w - 2.0 * pad);
    let y =
        move |q: f64| h - pad - (q.max(1.0).log10() - lo) / (hi - lo).max(1e-9) * (h - 2.0 * pad);
    let points: String = rows
        .iter()
        .map(|r| format!("{:.1},{:.1} ", x(r.recall), y(r.qps)))
        .collect();
    let dots = rows
        .iter()
        .map(|r| view! { <circle cx=x(r.recall) cy=y(r.qps) r="3"></circle> })
        .collect_view();
    view! {
        <svg class="plot" viewBox=format!("0 0 {w} {h}") role="img" aria-label="recall at 10 against queries per second">
            <line x1=pad y1=h - pad x2=w - pad y2=h - pad class="axis"></line>
            <line x1=pad y1=pad x2=pad y2=h - pad class="axis"></line>
            <text x=w / 2.0 y=h - 6.0 text-anchor="middle">{format!("recall@10 ({x_min:.2} to 1)")}</text>
            <text x="10" y=h / 2.0 transform=format!("rotate(-90 10 {})", h / 2.0) text-anchor="middle">"QPS (log)"</text>
            <polyline points=points class="curve"></polyline>
            {dots}
        </svg>
    }
}

#[component]
pub fn BenchPanel(engine: Arc<Engine>, tests: TestDigits) -> impl IntoView {
    let rows: RwSignal<Vec<Row>> = RwSignal::new(Vec::new());
    let status = RwSignal::new(String::new());
    let running = RwSignal::new(false);
    let queries = RwSignal::new(1000usize);
    let start = move |_| {
        if running.get_untracked() {
            return;
        }
        running.set(true);
        rows.set(Vec::new());
        let engine = engine.clone();
        leptos::task::spawn_local(async move {
            if let Err(e) = measure(&engine, tests, queries.get_untracked(), rows, status).await {
                status.set(format!("the benchmark stopped: {e}"));
            }
            running.set(false);
        });
    };
    view! {
        <section class="card bench" aria-labelledby="bench-title">
            <h2 id="bench-title">"Benchmark in this browser"</h2>
            <p class="muted small">
                "Runs the MNIST test digits as queries for several settings of the graph and the forest and scores them against the exact answers. "
                "Browsers round timers to 0.1 ms unless the page is cross-origin isolated, so latencies are coarse; QPS is not."
            </p>
            <div class="row">
                <label>
                    "Queries "
                    <select on:change=move |ev| queries.set(event_target_value(&ev).parse().unwrap_or(1000))>
                        <option value="1000" selected>"1,000"</option>
                        <option value="10000">"10,000"</option>
                    </select>
                </label>
                <button on:click=start disabled=move || running.get()>"Run benchmark"</button>
            </div>
            <p class="small" aria-live="polite" data-testid="bench-status">{move || status.get()}</p>
            <Show when=move || !rows.with(Vec::is_empty)>
                <table>
                    <thead><tr><th>"search"</th><th>"recall@10"</th><th>"QPS"</th><th>"p50 ms"</th><th>"p99 ms"</th><th>"1-NN acc"</th></tr></thead>
                    <tbody>
                        {move || rows.get().into_iter().map(|r| view! {
                            <tr>
                                <td>{r.setting.clone()}</td><td>{format!("{:.4}", r.recall)}</td><td>{format!("{:.0}", r.qps)}</td>
                                <td>{format!("{:.2}", r.p50)}</td><td>{format!("{:.2}", r.p99)}</td><td>{format!("{:.4}", r.acc1)}</td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
                {move || plot(&rows.get())}
            </Show>
        </section>
    }
}
