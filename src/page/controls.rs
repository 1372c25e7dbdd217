//! The search controls: how many neighbours, which setting (the index's default first),
//! and the comparison with exact search.

use leptos::prelude::*;

use crate::protocol::{SetInfo, Setting};

/// Neighbours offered.
pub const KS: [usize; 4] = [5, 10, 20, 50];
/// Neighbours shown unless the user asks otherwise.
pub const DEFAULT_K: usize = 10;

/// The settings a set can run (the benchmark's list), its default among them.
pub fn settings(set: &SetInfo) -> Vec<Setting> {
    let mut s = Setting::offered(set.graph);
    if !s.contains(&set.default) {
        s.insert(0, set.default);
    }
    s
}

#[component]
pub fn Controls(
    set: Signal<Option<SetInfo>>,
    k: RwSignal<usize>,
    /// None: the index's default.
    setting: RwSignal<Option<Setting>>,
    compare: RwSignal<bool>,
) -> impl IntoView {
    let options = move || {
        set.get()
            .map_or((Vec::new(), Setting::Exact), |s| (settings(&s), s.default))
    };
    let chosen = move || {
        let (list, default) = options();
        let s = setting.get().unwrap_or(default);
        list.iter().position(|&x| x == s).unwrap_or(0).to_string()
    };
    // A set only ever searched by parts (opened by its address) is searched one way: the
    // index's settings and exact search need the whole set here.
    let by_parts_only = move || {
        set.with(|s| {
            s.as_ref()
                .and_then(|s| s.streamed)
                .is_some_and(|p| !p.background)
        })
    };
    view! {
        <div class="controls">
            <label>
                "Neighbours "
                <select data-testid="k" on:change=move |ev| k.set(event_target_value(&ev).parse().unwrap_or(DEFAULT_K)) prop:value=move || k.get().to_string()>
                    {KS.map(|n| view! { <option value=n.to_string() selected=n == DEFAULT_K>{n}</option> })}
                </select>
            </label>
            <label hidden=by_parts_only>
                "Search "
                <select data-testid="setting" disabled=move || set.with(Option::is_none)
                    on:change=move |ev| {
                        let (list, _) = options();
                        let i: usize = event_target_value(&ev).parse().unwrap_or(0);
                        setting.set(list.get(i).copied());
                    }
                    prop:value=chosen>
                    {move || {
                        let (list, default) = options();
                        list.into_iter().enumerate().map(|(i, s)| {
                            let name = if s == default { format!("{} (default)", s.name()) } else { s.name() };
                            view! { <option value=i.to_string()>{name}</option> }
                        }).collect_view()
                    }}
                </select>
            </label>
            <label class="check" hidden=by_parts_only>
                <input type="checkbox" prop:checked=move || compare.get() on:change=move |ev| compare.set(event_target_checked(&ev)) />
                " Compare with exact search"
            </label>
        </div>
    }
}
