//! Loading as the user sees it: stage, file and amount with a progress bar, then how long
//! it took; or, when a file is missing, damaged or does not belong, or the worker stopped,
//! a panel saying which and what is wrong.

use leptos::prelude::*;

use super::client::Client;
use super::protocol::Progress;

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
                    <p class="small">"Reload to try again; if it persists, the files under assets/ need rebuilding (see the README)."</p>
                </div>
            }
            .into_any();
        }
        if let Some(s) = client.set.get() {
            return view! {
                <p class="muted small" data-testid="ready">
                    {format!(
                        "{}: {} {} images of {}x{}, a forest of {} trees{} ({}; ready {:.2} s after the page opened).",
                        if s.own { "Your set" } else { "Ready" },
                        s.items,
                        s.name,
                        s.cols,
                        s.rows,
                        s.trees,
                        if s.graph { " and a neighbour graph" } else { "" },
                        s.stages.iter().map(|(n, ms)| format!("{n} {:.2} s", ms / 1e3)).collect::<Vec<_>>().join(", "),
                        s.ready_at / 1e3,
                    )}
                </p>
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
