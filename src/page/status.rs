//! Loading as the user sees it: stage, file and amount with a progress bar, then how long
//! it took; or, when a file is missing, damaged or does not belong, or the worker stopped,
//! a panel saying which and what is wrong.

use leptos::prelude::*;

use super::client::Client;
use crate::protocol::{Problem, Progress, SetInfo};

pub use crate::protocol::thousands;

/// Seconds as the status says them.
fn secs(ms: f64) -> String {
    format!("{:.2} s", ms / 1e3)
}

/// Megabytes as the status says them: "9.7 MB".
fn mb(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / 1e6)
}

/// One line about the set being searched, in a visitor's words: what can be searched
/// now, what is still coming and what that brings; for MNIST searched by parts, how much
/// of the rest is here (`local`: bytes done, of all), and whether the host makes the
/// whole set come first (`no_ranges`).
fn ready_line(s: &SetInfo, local: Option<(u64, u64)>, no_ranges: bool) -> String {
    let count = thousands(u64::from(s.items));
    let digits = format!("{count} {} training digits", s.name);
    if let Some(parts) = s.streamed {
        return match local {
            Some((done, total)) if no_ranges && done < total => format!(
                "Loading {digits}: this server does not answer range requests, so the whole set ({}) comes before the first answer; {:.0}% is here. Then every search runs in this page and works offline.",
                mb(total),
                100.0 * done as f64 / total.max(1) as f64
            ),
            _ if no_ranges && local.is_none() => format!(
                "Loading {digits}: this server does not answer range requests, so the whole set comes before the first answer. Then every search runs in this page and works offline."
            ),
            Some((_, total)) if no_ranges => format!(
                "Ready: {digits}. This server does not answer range requests, so the whole set ({}) came first; it is being put together, then SSAM works offline too.",
                mb(total)
            ),
            Some((done, total)) if total > 0 && done >= total => format!(
                "Ready: {digits}. All {} of them are here and being put together; then SSAM works offline too.",
                mb(total)
            ),
            Some((done, total)) if total > 0 => format!(
                "Ready: {digits}. The rest of the set is coming in the background ({:.0}% of {}); then SSAM works offline too.",
                100.0 * done as f64 / total as f64,
                mb(total)
            ),
            _ if parts.background => format!(
                "Ready: {digits}. Each search fetches only the few parts it needs; the rest of the set follows after your first result, and then SSAM works offline too."
            ),
            _ => format!(
                "Ready: {digits}. They stay on their server: each search fetches only the few parts it needs."
            ),
        };
    }
    let size = format!("{}x{}", s.cols, s.rows);
    if s.own {
        let held = if s.queries > 0 {
            format!(
                "; {} more held out to pick from and to benchmark with",
                thousands(u64::from(s.queries))
            )
        } else {
            String::new()
        };
        let notes: String = s.notes.iter().map(|n| format!(" {n}.")).collect();
        let took: f64 = s.stages.iter().map(|(_, ms)| ms).sum();
        format!(
            "Your set {}: {count} images of {size}, indexed in {}{held}.{notes}",
            s.name,
            secs(took),
        )
    } else if s.stages.is_empty() {
        format!("Back to {digits}: every search runs in this page.")
    } else {
        format!("Ready: {digits}, all here: every search runs in this page and works offline.")
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
                        <p class="small">"Searching goes on: each search still fetches the few parts it needs."</p>
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
                <p class="muted small" data-testid="ready" data-streamed=s.streamed.is_some().to_string() data-memory-mb=format!("{:.1}", s.memory_mb)>{ready_line(&s, client.local.get(), client.no_ranges.get())}</p>
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
