//! Loading as the user sees it: stage, file and amount with a progress bar, then how long
//! it took; or, when a file is missing, damaged or does not belong, or the worker stopped,
//! a panel saying which and what is wrong.

use leptos::prelude::*;

use super::client::Client;
use super::protocol::{Problem, Progress, SetInfo};

/// A count as people read it: 60000 is "60,000".
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Seconds as the status says them.
fn secs(ms: f64) -> String {
    format!("{:.2} s", ms / 1e3)
}

/// One line about the set being searched: what it holds and how it is indexed, and, when
/// it was just loaded or built, how long that took; for a set searched by parts, how much
/// of it is here (`local`: bytes of the background download done, of all).
fn ready_line(s: &SetInfo, local: Option<(u64, u64)>) -> String {
    if let Some(parts) = s.streamed {
        let here = match local {
            // Every byte here, but the set still being put together with its index.
            Some((done, total)) if total > 0 && done >= total => format!(
                "all {:.1} MB of it are here and being put together with the index; then every search is local and the site works offline",
                total as f64 / 1e6
            ),
            Some((done, total)) if total > 0 => format!(
                "{:.0}% of it is here ({:.1} of {:.1} MB downloading in the background); then every search is local and the site works offline",
                100.0 * done as f64 / total as f64,
                done as f64 / 1e6,
                total as f64 / 1e6
            ),
            _ if parts.background => {
                "the rest downloads in the background once a first result is shown".into()
            }
            _ => "it stays on the server: only what each query needs is fetched".into(),
        };
        let first = if parts.first == parts.probes {
            String::new()
        } else {
            format!(" (the first only {})", parts.first)
        };
        let nearest = if parts.cell_kb > 0 {
            format!("its nearest within {} kB", parts.cell_kb)
        } else {
            format!("the {} nearest", parts.probes)
        };
        return format!(
            "Searching {} {} training digits by parts: each query fetches {nearest} of their {} cells{first}; {here}.",
            thousands(u64::from(s.items)),
            s.name,
            thousands(u64::from(parts.cells)),
        );
    }
    let index = format!(
        "a forest of {} trees{}",
        s.trees,
        if s.graph {
            " and a neighbour graph"
        } else {
            ""
        }
    );
    let stages = s
        .stages
        .iter()
        .map(|(n, ms)| format!("{n} {}", secs(*ms)))
        .collect::<Vec<_>>()
        .join(", ");
    let size = format!("{}x{}", s.cols, s.rows);
    if s.own {
        let held = if s.queries > 0 {
            format!(
                "; {} more held out of the index as benchmark queries",
                thousands(u64::from(s.queries))
            )
        } else {
            String::new()
        };
        let notes: String = s.notes.iter().map(|n| format!(" {n}.")).collect();
        format!(
            "Your set {}: {} images of {size}, {index} ({stages}){held}.{notes}",
            s.name,
            thousands(u64::from(s.items)),
        )
    } else if stages.is_empty() {
        format!(
            "Back to {} {} training digits of {size}, {index}.",
            thousands(u64::from(s.items)),
            s.name,
        )
    } else {
        format!(
            "Ready: {} {} training digits of {size}, {index} ({stages}; ready {} after the page opened).",
            thousands(u64::from(s.items)),
            s.name,
            secs(s.ready_at)
        )
    }
}

/// "downloading index.ssam.gz: 1.2 MB of 1.5 MB" and the fraction done, when known.
pub fn describe(p: &Progress) -> (String, Option<f64>) {
    let file = p.file.rsplit('/').next().unwrap_or(&p.file);
    let bytes = matches!(p.stage.as_str(), "downloading" | "reading");
    let amount = match (bytes, p.total) {
        (true, Some(t)) => format!(": {:.1} MB of {:.1} MB", p.done / 1e6, t / 1e6),
        (true, None) => format!(": {:.1} MB", p.done / 1e6),
        (false, Some(1.0)) => format!(": {:.0}%", p.done * 100.0),
        (false, Some(t)) => format!(": {:.0} of {t:.0}", p.done),
        (false, None) => String::new(),
    };
    let fraction = p.total.map(|t| (p.done / t.max(1e-9)).min(1.0));
    (format!("{} {file}{amount}", p.stage), fraction)
}

/// A progress bar with its line of text.
pub fn bar(p: Option<Progress>) -> impl IntoView {
    let (label, fraction) = p.as_ref().map_or(("starting".to_owned(), None), describe);
    view! {
        <p>{label.clone()}</p>
        <progress max="1" value=fraction.map(|f| f.to_string()) aria-label=label></progress>
    }
}

#[component]
pub fn Status(client: Client) -> impl IntoView {
    move || {
        if let Some(problem) = client.failure.get() {
            return view! {
                <div class="panel error" role="alert" data-testid="load-error" data-problem=problem.kind()>
                    <strong>"SSAM could not load its data."</strong>
                    <p>{problem.message()}</p>
                    {client.set.get().filter(|s| s.streamed.is_some()).map(|_| view! {
                        <p class="small">"Searching by parts goes on: each query still fetches the cells it needs."</p>
                    })}
                    <p class="small">{if matches!(problem, Problem::Download { .. } | Problem::Data { .. }) {
                        "Reload to try again; if it persists, the files under assets/ need rebuilding (see the README)."
                    } else {
                        "Reload to try again."
                    }}</p>
                </div>
            }
            .into_any();
        }
        if let Some(s) = client.set.get() {
            // The worker's memory rides along for tests and tools to read: a WebAssembly
            // memory never shrinks, so this is the most the worker held up to this set.
            return view! {
                <p class="muted small" data-testid="ready" data-streamed=s.streamed.is_some().to_string() data-memory-mb=format!("{:.1}", s.memory_mb)>{ready_line(&s, client.local.get())}</p>
            }
            .into_any();
        }
        view! {
            <div class="panel loading" role="status" aria-live="polite" data-testid="loading">
                {bar(client.progress.get())}
                <p class="small muted">"You can draw or upload now: the search runs as soon as the data are in."</p>
            </div>
        }
        .into_any()
    }
}
