//! Asking with a test digit, as the tutorial's page did: one at random or by its number.
//! The test set is fetched the first time it is needed, not before.

use std::sync::Arc;

use leptos::prelude::*;

use super::engine::{Progress, TestSet};
use super::{Query, TestDigits};

/// The query for test digit `i`.
pub fn test_query(set: &TestSet, i: usize) -> Query {
    Query {
        pixels: set.data.image(i).to_vec(),
        source: format!("test digit #{i} (a {})", set.data.label(i)),
    }
}

#[component]
pub fn Pick(
    tests: TestDigits,
    on_query: Callback<Query>,
    on_error: Callback<String>,
) -> impl IntoView {
    let number = RwSignal::new(String::from("0"));
    let ask = move |which: Option<usize>| {
        leptos::task::spawn_local(async move {
            let set: Arc<TestSet> = match tests.get().await {
                Ok(s) => s,
                Err(e) => return on_error.run(e),
            };
            let n = set.data.len();
            let i = which.unwrap_or_else(|| (js_sys::Math::random() * n as f64) as usize % n);
            if i >= n {
                return on_error.run(format!(
                    "there are {n} test digits: choose a number from 0 to {}",
                    n - 1
                ));
            }
            number.set(i.to_string());
            on_query.run(test_query(&set, i));
        });
    };
    let by_number = move || match number.get_untracked().trim().parse::<usize>() {
        Ok(i) => ask(Some(i)),
        Err(_) => on_error.run(format!(
            "{:?} is not a test digit number",
            number.get_untracked()
        )),
    };
    let loading = move || {
        tests
            .progress
            .get()
            .map(|p: Progress| format!("fetching test digits… {} kB", p.done / 1000))
    };
    view! {
        <div class="pick">
            <button class="primary" on:click=move |_| ask(None)>"Random test digit"</button>
            <form class="row" on:submit=move |ev| {
                ev.prevent_default();
                by_number();
            }>
                <label for="test-number">"Test digit #"</label>
                <input id="test-number" type="number" min="0" max="9999" inputmode="numeric"
                    prop:value=move || number.get()
                    on:input=move |ev| number.set(event_target_value(&ev)) />
                <button type="submit">"Search"</button>
            </form>
            <span class="muted small" aria-live="polite">{loading}</span>
        </div>
    }
}
