//! The answer on screen, and how a newer one takes its place without moving what a person
//! is reading. A new query's answer replaces the old one whole. An answer to the same
//! query that refines it (MNIST searched whole after it was searched by parts) keeps the
//! selected hit, its "why" and the focus, and says how many hits it changed; when it
//! drops the hit the person is looking at, it is held back behind a button instead.

use leptos::prelude::*;
use wasm_bindgen::JsCast;

use super::client::Client;
use crate::fetch::pause;
use crate::protocol::Answer;

#[derive(Clone, Copy)]
pub struct Shown {
    /// The answer on screen.
    pub answer: RwSignal<Option<Answer>>,
    /// A refined answer held back: it drops the selected hit.
    pub held: RwSignal<Option<Answer>>,
    /// The hit whose "why" is open.
    pub selected: RwSignal<Option<u32>>,
    /// The answer on screen refines the one before it: how many of its hits are new.
    pub refined: RwSignal<Option<usize>>,
}

impl Shown {
    /// Follows the worker's answers; `client` is asked for the "why" of a hit kept
    /// selected across a change of the query.
    pub fn follow(client: Client) -> Shown {
        let shown = Shown {
            answer: RwSignal::new(None),
            held: RwSignal::new(None),
            selected: RwSignal::new(None),
            refined: RwSignal::new(None),
        };
        Effect::new(move |_| shown.receive(client.answer.get(), client));
        shown
    }

    fn receive(self, latest: Option<Answer>, client: Client) {
        let Some(new) = latest else {
            self.held.set(None);
            self.selected.set(None);
            self.refined.set(None);
            self.answer.set(None);
            return;
        };
        // The same query, or the same drawing grown by a stroke (or its last stroke's
        // answer arriving after a hit was chosen): a hit still among the answers stays
        // selected, its "why" asked again for the query as it is now.
        let (same_query, same_source, refines) = self.answer.with_untracked(|old| match old {
            Some(old) => (
                old.query == new.query,
                old.query.source == new.query.source,
                old.query == new.query && old.parts.is_some() && new.parts.is_none(),
            ),
            None => (false, false, false),
        });
        let selected = self.selected.get_untracked();
        let keeps = selected.is_none_or(|id| new.hits.iter().any(|h| h.id == id));
        if refines && !keeps {
            self.held.set(Some(new));
            return;
        }
        if let Some(id) = selected.filter(|_| keeps && same_source && !same_query) {
            client.explain(new.query.image.clone(), id);
        }
        self.show(new, same_source && keeps, refines);
    }

    /// Puts `new` on screen; the selected hit stays when `keep` says so, and the focus
    /// stays on the card it was on.
    fn show(self, new: Answer, keep: bool, refines: bool) {
        let changed = refines.then(|| {
            self.answer.with_untracked(|old| {
                let before: Vec<u32> = old
                    .iter()
                    .flat_map(|a| a.hits.iter().map(|h| h.id))
                    .collect();
                new.hits.iter().filter(|h| !before.contains(&h.id)).count()
            })
        });
        if !keep {
            self.selected.set(None);
        }
        let focus = focused_hit();
        self.held.set(None);
        self.refined.set(changed);
        self.answer.set(Some(new));
        if let Some(id) = focus {
            leptos::task::spawn_local(async move {
                pause().await;
                focus_hit(id);
            });
        }
    }

    /// Shows the refined answer that was held back.
    pub fn show_held(self) {
        if let Some(held) = self.held.get_untracked() {
            self.show(held, false, true);
        }
    }
}

/// The id of the hit card that has the focus, if one has.
fn focused_hit() -> Option<u32> {
    document()
        .active_element()?
        .closest(".hit")
        .ok()??
        .get_attribute("data-id")?
        .parse()
        .ok()
}

/// Gives hit card `id` the focus, when it is on screen.
pub fn focus_hit(id: u32) {
    if let Some(card) = document()
        .query_selector(&format!(".hit[data-id='{id}']"))
        .ok()
        .flatten()
        .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok())
    {
        let _ = card.focus();
    }
}
