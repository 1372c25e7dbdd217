//! Asking with one of the set's own images: MNIST's test digits (fetched by the worker
//! the first time), or an own set's images; one at random or by number.

use leptos::prelude::*;

use super::client::Client;
use super::protocol::Query;

/// What the number box holds, as a number of one of `n` items; why not, in words.
fn parse_number(text: &str, n: u32, noun: &str) -> Result<u32, String> {
    let range = format!(
        "a whole number from 0 to {}",
        super::status::thousands(u64::from(n.saturating_sub(1)))
    );
    let text = text.trim();
    if text.is_empty() {
        return Err(format!("Type the number of a {noun}: {range}."));
    }
    match text.parse::<u32>() {
        Ok(i) if i < n => Ok(i),
        Ok(_) => Err(format!("There are {} {noun}s: type {range}.", super::status::thousands(u64::from(n)))),
        Err(_) => Err(format!("{text:?} is not a {noun}'s number: type {range}.")),
    }
}

/// A random pick, or one by number. The number box empties when the query on screen
/// becomes another (a drawing, an upload, another pick), so it never names a digit that
/// is not the one shown.
#[component]
pub fn Pick(
    client: Client,
    query: Signal<Option<Query>>,
    on_error: Callback<String>,
) -> impl IntoView {
    let number = RwSignal::new(String::new());
    let noun = move || {
        client.set.with(|s| {
            s.as_ref()
                .map_or("test digit".to_owned(), |s| s.query_noun.clone())
        })
    };
    Effect::new(move |_| {
        let mine = query.with(|q| {
            q.as_ref().is_some_and(|q| {
                let typed = number.get_untracked();
                !typed.trim().is_empty()
                    && q.source.starts_with(&format!("{} #{} ", noun(), typed.trim()))
            })
        });
        if !mine {
            number.set(String::new());
        }
    });
    let by_number = move || {
        // A set too small to hold queries out is picked from whole.
        let n = client.set.with_untracked(|s| {
            s.as_ref()
                .map_or(0, |s| if s.queries > 0 { s.queries } else { s.items })
        });
        match parse_number(&number.get_untracked(), n, &noun()) {
            Ok(i) => client.pick(Some(i)),
            Err(m) => on_error.run(m),
        }
    };
    view! {
        <div class="pick">
            <button class="primary" on:click=move |_| client.pick(None) disabled=move || client.set.with(Option::is_none)>
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
                <button type="submit" disabled=move || client.set.with(Option::is_none)>"Search"</button>
            </form>
        </div>
    }
}

fn capitalised(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}
