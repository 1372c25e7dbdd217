//! The answer on screen, and how a newer one takes its place without moving what a person
//! is reading. [`crate::refine`] decides; this keeps the selected hit, its "why" and the
//! focus when it says so, and holds a refined answer back behind a button when it drops
//! the hit the person is looking at.

use leptos::prelude::*;
use wasm_bindgen::JsCast;

use super::client::Whys;
use crate::fetch::pause;
use crate::protocol::Answer;
use crate::refine::{Turn, new_hits, turn};

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
    /// Follows the worker's `latest` answers; `whys` is asked for the "why" of a hit kept
    /// selected across a change of the query.
    pub fn follow(latest: ReadSignal<Option<Answer>>, whys: Whys) -> Shown {
        let shown = Shown {
            answer: RwSignal::new(None),
            held: RwSignal::new(None),
            selected: RwSignal::new(None),
            refined: RwSignal::new(None),
        };
        Effect::new(move |_| shown.receive(latest.get(), whys));
        shown
    }

    fn receive(self, latest: Option<Answer>, whys: Whys) {
        let Some(new) = latest else {
            self.held.set(None);
            self.selected.set(None);
            self.refined.set(None);
            self.answer.set(None);
            return;
        };
        let selected = self.selected.get_untracked();
        match self
            .answer
            .with_untracked(|old| turn(old.as_ref(), selected, &new))
        {
            Turn::Hold => self.held.set(Some(new)),
            Turn::Show {
                keep,
                refines,
                explain,
            } => {
                if let Some(id) = explain {
                    whys.explain(new.query.image.clone(), id);
                }
                self.show(new, keep, refines);
            }
        }
    }

    /// Puts `new` on screen; the selected hit stays when `keep` says so, and the focus
    /// stays on the card it was on.
    fn show(self, new: Answer, keep: bool, refines: bool) {
        let changed = refines.then(|| {
            self.answer
                .with_untracked(|old| new_hits(old.as_ref(), &new))
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
