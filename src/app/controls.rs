//! The search controls: how many neighbours, which setting (the index's default first),
//! and the comparison with exact search.

use leptos::prelude::*;

use super::protocol::{SetInfo, Setting};

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
    view! {
        <div class="controls">
            <label>
                "Neighbours "
                <select on:change=move |ev| k.set(event_target_value(&ev).parse().unwrap_or(DEFAULT_K)) prop:value=move || k.get().to_string()>
                    {KS.map(|n| view! { <option value=n.to_string() selected=n == DEFAULT_K>{n}</option> })}
                </select>
            </label>
            <label>
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
            <label class="check">
                <input type="checkbox" prop:checked=move || compare.get() on:change=move |ev| compare.set(event_target_checked(&ev)) />
                " Compare with exact search"
            </label>
        </div>
    }
}
