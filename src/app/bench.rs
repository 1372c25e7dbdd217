//! The benchmark anyone can run, as a view: the worker searches the set's query images
//! for each setting and scores them against exact answers in the index's space; this
//! panel shows its rows (recall@10, queries per second, p50/p99 latency, 1-NN accuracy)
//! in a table and a small plot.

use leptos::prelude::*;

use super::client::Client;
use super::protocol::{Row, Setting};
use super::status::thousands;

/// A latency as the table shows it: under the clock's 0.1 ms it says so.
fn ms(v: f64) -> String {
    if v < 0.1 {
        "< 0.1".into()
    } else {
        format!("{v:.2}")
    }
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
    // One line per method: the graph's beams and the forest's budgets are different
    // knobs, and a line between them would mean nothing.
    let methods = [("graph", true), ("forest", false)];
    let lines = methods
        .iter()
        .enumerate()
        .filter_map(|(i, &(name, graph))| {
            let mine: Vec<&Row> = rows
                .iter()
                .filter(|r| matches!(r.setting, Setting::Graph(_)) == graph)
                .collect();
            let last = mine.last()?;
            let points: String = mine
                .iter()
                .map(|r| format!("{:.1},{:.1} ", x(r.recall), y(r.qps)))
                .collect();
            let dots = mine
                .iter()
                .map(|r| view! { <circle class=name cx=x(r.recall) cy=y(r.qps) r="3"></circle> })
                .collect_view();
            Some(view! {
                <polyline points=points class=format!("curve {name}") data-method=name></polyline>
                {dots}
                <text class="legend" x=x(last.recall) y=y(last.qps) - 6.0 - 10.0 * i as f64 text-anchor="end">{name}</text>
            })
        })
        .collect_view();
    view! {
        <svg class="plot" viewBox=format!("0 0 {w} {h}") role="img" aria-label="recall at 10 against queries per second">
            <line x1=pad y1=h - pad x2=w - pad y2=h - pad class="axis"></line>
            <line x1=pad y1=pad x2=pad y2=h - pad class="axis"></line>
            <text x=w / 2.0 y=h - 6.0 text-anchor="middle">{format!("recall@10 ({x_min:.2} to 1)")}</text>
            <text x="10" y=h / 2.0 transform=format!("rotate(-90 10 {})", h / 2.0) text-anchor="middle">"QPS (log)"</text>
            {lines}
        </svg>
    }
}

#[component]
pub fn BenchPanel(client: Client) -> impl IntoView {
    let queries = RwSignal::new(1000u32);
    let bench = client.bench;
    let rows = move || bench.with(|b| b.rows.clone());
    let status = move || {
        bench.with(|b| match &b.problem {
            Some(p) => format!("the benchmark stopped: {}", p.message()),
            None => b.status.clone(),
        })
    };
    let noun = move || {
        client
            .set
            .with(|s| s.as_ref().map_or(String::new(), |s| s.query_noun.clone()))
    };
    let most = move || client.set.with(|s| s.as_ref().map_or(0, |s| s.queries));
    view! {
        <section class="card bench" aria-labelledby="bench-title">
            <h2 id="bench-title">"Benchmark in this browser"</h2>
            <p class="muted small">
                {move || if client.set.with(|s| s.as_ref().is_some_and(|s| s.own)) {
                    "Searches your set's held-out images (a deterministic part never indexed, so none finds itself) for several settings, in the worker, and scores them against exact answers. ".to_owned()
                } else {
                    format!("Searches the set's {}s for several settings of the graph and the forest, in the worker, and scores them against the exact answers in the index's space. ", noun())
                }}
                "Browsers round timers to 0.1 ms unless the page is cross-origin isolated, so latencies are coarse; QPS is not."
            </p>
            <div class="row">
                <label>
                    "Queries "
                    <select on:change=move |ev| queries.set(event_target_value(&ev).parse().unwrap_or(1000))>
                        <option value="1000" selected>"1,000"</option>
                        <option value="10000" disabled=move || most() < 10_000>"10,000"</option>
                    </select>
                </label>
                <button on:click=move |_| client.run_bench(queries.get_untracked())
                    disabled=move || bench.with(|b| b.running) || client.set.with(Option::is_none)>"Run benchmark"</button>
            </div>
            <p class="small" aria-live="polite" data-testid="bench-status">{status}</p>
            <Show when=move || !bench.with(|b| b.rows.is_empty())>
                <div class="table-wrap"><table>
                    <thead><tr><th>"search"</th><th>"recall@10"</th><th>"QPS"</th><th>"p50 ms"</th><th>"p99 ms"</th><th>"1-NN acc"</th></tr></thead>
                    <tbody>
                        {move || rows().into_iter().map(|r| view! {
                            <tr>
                                <td>{r.setting.name()}</td><td>{format!("{:.4}", r.recall)}</td><td>{thousands(r.qps.round() as u64)}</td>
                                <td>{ms(r.p50)}</td><td>{ms(r.p99)}</td>
                                <td>{r.acc1.map_or("n/a".to_owned(), |a| format!("{a:.4}"))}</td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table></div>
                {move || plot(&rows())}
            </Show>
        </section>
    }
}
