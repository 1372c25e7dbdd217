//! Loading as the user sees it: stage, file and amount with a progress bar, then how long
//! it took; or, when a file is missing, damaged or does not belong, or the worker stopped,
//! a panel saying which and what is wrong. The words are [`crate::words`]'.

use leptos::prelude::*;

use super::client::SetStatus;
use crate::protocol::{Problem, Progress};
use crate::words::{progress_line, ready_line};

/// A progress bar with its line of text.
pub fn bar(p: Option<Progress>) -> impl IntoView {
    let (label, fraction) = p
        .as_ref()
        .map_or(("starting".to_owned(), None), progress_line);
    view! {
        <p>{label.clone()}</p>
        <progress max="1" value=fraction.map(|f| f.to_string()) aria-label=label></progress>
    }
}

#[component]
pub fn Status(status: SetStatus) -> impl IntoView {
    move || {
        if let Some(problem) = status.failure().get() {
            let by_parts = status
                .set()
                .with(|s| s.as_ref().is_some_and(|s| s.streamed.is_some()));
            return load_error(problem, by_parts).into_any();
        }
        if let Some(s) = status.set().get() {
            // The worker's memory rides along for tests and tools to read: a WebAssembly
            // memory never shrinks, so this is the most the worker held up to this set.
            return view! {
                <p class="muted small" data-testid="ready" data-streamed=s.streamed.is_some().to_string() data-memory-mb=format!("{:.1}", s.memory_mb)>{ready_line(&s, status.local().get(), status.no_ranges().get())}</p>
            }
            .into_any();
        }
        view! {
            <div class="panel loading" role="status" aria-live="polite" data-testid="loading">
                {bar(status.progress().get())}
                <p class="small muted">"You can draw or upload now: the search runs as soon as the data are in."</p>
            </div>
        }
        .into_any()
    }
}

/// The error panel: what stopped the load or the worker, and what to do; a set searched
/// `by_parts` goes on being searched.
fn load_error(problem: Problem, by_parts: bool) -> impl IntoView {
    view! {
        <div class="panel error" role="alert" data-testid="load-error" data-problem=problem.kind()>
            <strong>"SSAM could not load its data."</strong>
            <p>{problem.message()}</p>
            {by_parts.then(|| view! {
                <p class="small">"Searching goes on: each search still fetches the few parts it needs."</p>
            })}
            <p class="small">{if matches!(problem, Problem::Download { .. } | Problem::Data { .. }) {
                "Reload to try again; if it persists, the files under assets/ need rebuilding (see the README)."
            } else {
                "Reload to try again."
            }}</p>
        </div>
    }
}
