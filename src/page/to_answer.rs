//! The way to the answer on a phone, where it sits below the pad: a button under the pad
//! that names the verdict and scrolls to the answer when tapped. The page never scrolls by
//! itself (a finger may be about to draw the next stroke, or to tap again), and the
//! button's line is kept whether or not it shows, so nothing under the finger moves.

use leptos::html;
use leptos::prelude::*;

use super::shown::Shown;
use crate::protocol::{Answer, SetInfo};
use crate::words::verdict_words;

/// What the button says: the verdict when there is one.
fn words(answer: &Answer, set: &SetInfo) -> String {
    match &answer.verdict {
        Some(v) => format!("See the answer: {}", verdict_words(set, v)),
        None => format!("See the {} most alike", answer.hits.len()),
    }
}

/// Whether `card`'s top is below the visible part of the window.
fn below_sight(card: &web_sys::Element) -> bool {
    let height = window()
        .inner_height()
        .ok()
        .and_then(|h| h.as_f64())
        .unwrap_or(0.0);
    card.get_bounding_client_rect().top() > height - 48.0
}

#[component]
pub fn ToAnswer(
    shown: Shown,
    set: Signal<Option<SetInfo>>,
    card: NodeRef<html::Section>,
) -> impl IntoView {
    let hidden = RwSignal::new(true);
    let check = move || {
        let below = card.get_untracked().is_some_and(|c| below_sight(&c));
        hidden.set(!below);
    };
    let on_scroll = window_event_listener(leptos::ev::scroll, move |_| check());
    let on_resize = window_event_listener(leptos::ev::resize, move |_| check());
    on_cleanup(move || {
        on_scroll.remove();
        on_resize.remove();
    });
    Effect::new(move |_| {
        shown.answer.track();
        card.track();
        request_animation_frame(check);
    });
    let go = move |_| {
        if let Some(c) = card.get_untracked() {
            let options = web_sys::ScrollIntoViewOptions::new();
            options.set_behavior(web_sys::ScrollBehavior::Smooth);
            options.set_block(web_sys::ScrollLogicalPosition::Start);
            c.scroll_into_view_with_scroll_into_view_options(&options);
        }
    };
    view! {
        <div class="to-answer-line">
            {move || {
                let set = set.get()?;
                let text = shown.answer.with(|a| a.as_ref().map(|a| words(a, &set)))?;
                (!hidden.get()).then(|| view! {
                    <button class="to-answer" data-testid="to-answer" on:click=go>
                        <span>{text}</span>
                        <span aria-hidden="true">" ↓"</span>
                    </button>
                })
            }}
        </div>
    }
}
