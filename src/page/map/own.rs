//! An own set's map: laid out in the worker when the user asks, with its progress, a
//! Cancel and how long it took; and the labels it is written with.

use leptos::prelude::*;

use super::super::client::{Maps, OwnMap};
use crate::protocol::{LayoutProgress, SetInfo, thousands};
use crate::words::label_name;

/// The labels written on an own set's map and listed in its legend: those its images
/// carry, by the set's names; none for a set without labels.
pub(super) fn own_names(set: &SetInfo, labels: &[u8]) -> Vec<(u8, String)> {
    if !set.labelled {
        return Vec::new();
    }
    let mut present = [false; 256];
    for &l in labels {
        present[usize::from(l)] = true;
    }
    (0..=255u8)
        .filter(|&l| present[usize::from(l)])
        .map(|l| (l, label_name(set, l)))
        .collect()
}

/// The share of an own set's layout done, weighing its stages by what they cost in the
/// page (README: about half finding neighbours, a little the start, the rest the descent).
fn layout_share(p: LayoutProgress) -> f64 {
    let part = |done: u32, of: u32| f64::from(done) / f64::from(of.max(1));
    match p {
        LayoutProgress::Neighbours { done, of } => 0.5 * part(done, of),
        LayoutProgress::Start { share } => 0.5 + 0.05 * share.clamp(0.0, 1.0),
        LayoutProgress::Descent { epoch, of } => 0.55 + 0.45 * part(epoch, of),
    }
}

/// What the layout is doing, in words.
fn layout_words(p: LayoutProgress) -> String {
    match p {
        LayoutProgress::Neighbours { of: 0, .. } => "starting…".into(),
        LayoutProgress::Neighbours { done, of } => format!(
            "Finding each image's nearest: {} of {}",
            thousands(u64::from(done)),
            thousands(u64::from(of))
        ),
        LayoutProgress::Start { share } => format!(
            "Placing the start (the images' main directions): {:.0}%",
            100.0 * share.clamp(0.0, 1.0)
        ),
        LayoutProgress::Descent { epoch, of } => format!("Laying out: pass {epoch} of {of}"),
    }
}

/// An own set's map: the button that lays it out, its progress with a Cancel, and how
/// long it took. Searches go on while it runs.
#[component]
pub(super) fn OwnLayout(maps: Maps, set: Signal<Option<SetInfo>>) -> impl IntoView {
    let own_map = maps.own_map();
    let items = move || set.with(|s| s.as_ref().map_or(0, |s| u64::from(s.items)));
    let lay_out = move |_| maps.lay_out();
    let button = move |again: bool| {
        view! {
            <button type="button" class="primary" data-testid="map-lay-out" on:click=lay_out>
                {if again { "Lay out again" } else { "Lay out a map of this set" }}
            </button>
        }
    };
    // The panel is made anew only when the state changes kind: progress updates only its
    // words and bar, so that the Cancel button under a pointer stays the same element.
    let kind = Memo::new(move |_| own_map.with(std::mem::discriminant));
    let progress = move || match own_map.get() {
        OwnMap::Running(p) => Some(p),
        _ => None,
    };
    move || {
        // Read, not only tracked: a memo never read never computes, so never hears of a change.
        let _ = kind.get();
        match own_map.get_untracked() {
            OwnMap::None => view! {
                <div class="row">
                    {button(false)}
                    <p class="small muted">{move || format!(
                        "Its {} images are laid out in this page, which takes a while for a large set (about a minute for 60,000 here); searches go on meanwhile, and Cancel stops it.",
                        thousands(items())
                    )}</p>
                </div>
            }
            .into_any(),
            OwnMap::Running(_) => view! {
                <div class="panel loading" role="status" aria-live="polite" data-testid="map-layout-status">
                    <p>{move || progress().map(layout_words)}</p>
                    <progress max="1" value=move || progress().map(|p| layout_share(p).to_string()) aria-label="Laying out the map"></progress>
                    <button type="button" data-testid="map-cancel" on:click=move |_| maps.cancel_layout()>"Cancel"</button>
                </div>
            }
            .into_any(),
            OwnMap::Cancelling => view! {
                <p class="small" role="status" data-testid="map-layout-status">"Stopping…"</p>
            }
            .into_any(),
            OwnMap::Cancelled => view! {
                <div class="row">
                    {button(false)}
                    <p class="small" role="status" data-testid="map-layout-status">"The layout was cancelled; search goes on as before."</p>
                </div>
            }
            .into_any(),
            OwnMap::Failed(p) => view! {
                <div class="row">
                    {button(true)}
                    <p class="map-problem" role="alert" data-testid="map-layout-status">{format!("The map could not be laid out: {}", p.message())}</p>
                </div>
            }
            .into_any(),
            OwnMap::Done { ms, .. } => view! {
                <p class="small" role="status" data-testid="map-layout-status" data-ms=format!("{ms:.0}")>{move || format!(
                    "Laid out in this page: {} images in {:.1} s.",
                    thousands(items()),
                    ms / 1000.0
                )}</p>
            }
            .into_any(),
        }
    }
}
