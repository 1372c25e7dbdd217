//! Loading as the user sees it: stage, file and bytes with a progress bar, then how long
//! it took; or, when a file is missing, damaged or does not belong, a panel saying which
//! and what is wrong.

use std::sync::Arc;

use leptos::prelude::*;

use super::engine::{Engine, Progress};

#[component]
pub fn Status(
    engine: RwSignal<Option<Arc<Engine>>>,
    failure: RwSignal<Option<String>>,
    progress: RwSignal<Option<Progress>>,
) -> impl IntoView {
    move || {
        if let Some(err) = failure.get() {
            return view! {
                <div class="panel error" role="alert" data-testid="load-error">
                    <strong>"SSAM could not load its data."</strong>
                    <p>{err}</p>
                    <p class="small">"Reload to try again; if it persists, the files under assets/ need rebuilding (see the README)."</p>
                </div>
            }
            .into_any();
        }
        if let Some(e) = engine.get() {
            return view! {
                <p class="muted small" data-testid="ready">
                    {format!(
                        "Ready in {:.2} s: {} training digits, a forest of {} trees{} ({}).",
                        e.ready_at / 1e3,
                        e.train().len(),
                        e.index.forest().tree_count(),
                        if e.index.graph().is_some() { " and a neighbour graph" } else { "" },
                        e.stages.iter().map(|(s, ms)| format!("{s} {:.2} s", ms / 1e3)).collect::<Vec<_>>().join(", ")
                    )}
                </p>
            }
            .into_any();
        }
        let p = progress.get();
        let (label, fraction) = match &p {
            Some(p) => {
                let total = p
                    .total
                    .map(|t| format!(" of {:.1} MB", t as f64 / 1e6))
                    .unwrap_or_default();
                (
                    format!(
                        "{} {}: {:.1} MB{total}",
                        p.stage,
                        p.file.rsplit('/').next().unwrap_or(p.file),
                        p.done as f64 / 1e6
                    ),
                    p.total.map(|t| (p.done as f64 / t.max(1) as f64).min(1.0)),
                )
            }
            None => ("starting".to_string(), None),
        };
        view! {
            <div class="panel loading" role="status" aria-live="polite">
                <p>{label.clone()}</p>
                <progress max="1" value=fraction.map(|f| f.to_string()) aria-label=label></progress>
            </div>
        }
        .into_any()
    }
}
