//! Asking with one of the set's own images: MNIST's test digits (fetched by the worker
//! the first time), or an own set's images; one at random or by number.

use leptos::prelude::*;

use super::client::Client;

#[component]
pub fn Pick(client: Client) -> impl IntoView {
    let number = RwSignal::new(String::from("0"));
    let noun = move || {
        client.set.with(|s| {
            s.as_ref()
                .map_or("test digit".to_owned(), |s| s.query_noun.clone())
        })
    };
    let by_number = move || match number.get_untracked().trim().parse::<u32>() {
        Ok(i) => client.pick(Some(i)),
        Err(_) => client
            .problem
            .set(Some(super::protocol::Problem::Unsupported {
                what: format!("{:?} is not a number", number.get_untracked()),
            })),
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
                <input id="test-number" type="number" min="0" inputmode="numeric"
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
