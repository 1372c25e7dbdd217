//! Asking with one of the set's own images: MNIST's test digits (fetched by the worker
//! the first time), or an own set's images; one at random or by number.

use leptos::prelude::*;

use super::client::Picks;
use crate::protocol::{Query, SetInfo};
use crate::words::{capitalised, parse_number};

/// A random pick, or one by number. The number box empties when the query on screen
/// becomes another (a drawing, an upload, another pick), so it never names a digit that
/// is not the one shown.
#[component]
pub fn Pick(
    picks: Picks,
    set: Signal<Option<SetInfo>>,
    query: Signal<Option<Query>>,
    on_error: Callback<String>,
) -> impl IntoView {
    let number = RwSignal::new(String::new());
    let noun = move || {
        set.with(|s| {
            s.as_ref()
                .map_or("test digit".to_owned(), |s| s.query_noun.clone())
        })
    };
    Effect::new(move |_| {
        let mine = query.with(|q| {
            q.as_ref().is_some_and(|q| {
                let typed = number.get_untracked();
                !typed.trim().is_empty()
                    && q.source
                        .starts_with(&format!("{} #{} ", noun(), typed.trim()))
            })
        });
        if !mine {
            number.set(String::new());
        }
    });
    let by_number = move || match parse_number(&number.get_untracked(), &noun()) {
        Ok(i) => picks.pick(Some(i)),
        Err(m) => on_error.run(m),
    };
    view! {
        <div class="pick">
            <button class="primary" on:click=move |_| picks.pick(None) disabled=move || set.with(Option::is_none)>
                {move || format!("Random {}", noun())}
            </button>
            <form class="row" on:submit=move |ev| {
                ev.prevent_default();
                by_number();
            }>
                <label for="test-number">{move || format!("{} #", capitalised(&noun()))}</label>
                // Text, not a number field: a number field hides what it cannot parse ("",
                // for "3.5e" or "abc") where the message should name it.
                <input id="test-number" type="text" inputmode="numeric" autocomplete="off" placeholder="0"
                    prop:value=move || number.get()
                    on:input=move |ev| number.set(event_target_value(&ev)) />
                <button type="submit" disabled=move || set.with(Option::is_none)>"Search"</button>
            </form>
        </div>
    }
}
