//! Why a hit is similar, as a view: the query and the hit overlaid as the re-ranking
//! compared them (both stood upright), ink they share in one colour and ink only one of
//! them has in two others, with arrows from each displaced pixel of the query's ink to
//! where it found its match in the hit. The colours are Okabe and Ito's, told apart with
//! every common colour-vision deficiency; the legend names them.

use leptos::html;
use leptos::prelude::*;
use wasm_bindgen::{Clamped, JsCast};
use web_sys::{CanvasRenderingContext2d, ImageData};

use crate::protocol::{Image, Query, Why, thousands};

/// Ink both have (white), only the query (sky blue), only the hit (orange).
const BOTH: [f32; 3] = [255.0, 255.0, 255.0];
const QUERY: [f32; 3] = [86.0, 180.0, 233.0];
const HIT: [f32; 3] = [230.0, 159.0, 0.0];
/// A query pixel is ink, and gets an arrow when its match moved, from this level on:
/// fainter pixels are the anti-aliased edge, whose arrows would only clutter.
const INK: u8 = 128;

/// The overlay's colours: per pixel, the ink both share, then what only one has.
fn overlay(query: &Image, hit: &Image) -> Vec<u8> {
    let mut rgba = Vec::with_capacity(query.pixels.len() * 4);
    for (&q, &h) in query.pixels.iter().zip(&hit.pixels) {
        let (q, h) = (f32::from(q) / 255.0, f32::from(h) / 255.0);
        let both = q.min(h);
        let mix = |c: usize| {
            (both * BOTH[c] + (q - both) * QUERY[c] + (h - both) * HIT[c]).min(255.0) as u8
        };
        rgba.extend_from_slice(&[mix(0), mix(1), mix(2), 255]);
    }
    rgba
}

fn paint(canvas: &web_sys::HtmlCanvasElement, why: &Why) {
    let side = u32::from(why.query.cols);
    if why.query.pixels.len() != (side * side) as usize
        || why.hit.pixels.len() != why.query.pixels.len()
    {
        return;
    }
    let Some(ctx) = canvas
        .get_context("2d")
        .ok()
        .flatten()
        .and_then(|c| c.dyn_into::<CanvasRenderingContext2d>().ok())
    else {
        return;
    };
    let rgba = overlay(&why.query, &why.hit);
    if let Ok(img) = ImageData::new_with_u8_clamped_array_and_sh(Clamped(&rgba), side, side) {
        let _ = ctx.put_image_data(&img, 0.0, 0.0);
    }
}

/// Arrows from the query's displaced ink pixels (centres) to their matches, in pixels.
fn arrows(why: &Why) -> Vec<(f32, f32, f32, f32)> {
    let side = usize::from(why.query.cols);
    why.query
        .pixels
        .iter()
        .zip(&why.moved)
        .enumerate()
        // One pixel in four: neighbours' arrows would otherwise run into long lines.
        .filter(|&(i, (&q, &(dx, dy)))| {
            q >= INK && (dx, dy) != (0, 0) && (i % side) % 2 == 0 && (i / side) % 2 == 0
        })
        .map(|(i, (_, &(dx, dy)))| {
            let (x, y) = ((i % side) as f32 + 0.5, (i / side) as f32 + 0.5);
            (x, y, x + f32::from(dx), y + f32::from(dy))
        })
        .collect()
}

/// How far the query's ink moved to match, in words: "62% in place, 30% one pixel away
/// and 8% two" (the default model moves at most two pixels).
fn summary(why: &Why) -> String {
    let mut by = [0usize; 3];
    for (&q, &(dx, dy)) in why.query.pixels.iter().zip(&why.moved) {
        if q >= INK {
            by[usize::from(dx.unsigned_abs().max(dy.unsigned_abs())).min(2)] += 1;
        }
    }
    let ink = by.iter().sum::<usize>().max(1) as f64;
    let pct = |n: usize| (n as f64 / ink * 100.0).round();
    format!(
        "Of the query's ink, {:.0}% matched in place, {:.0}% one pixel away and {:.0}% two.",
        pct(by[0]),
        pct(by[1]),
        pct(by[2])
    )
}

/// The why panel of the selected hit; `title` names it ("training digit #7 (a 3)"),
/// `cost` is its distance as the answer ranked it.
#[component]
pub fn WhyView(
    why: Why,
    title: String,
    cost: u32,
    /// The hit as a query of its own.
    again: Query,
    on_query: Callback<Query>,
    on_close: Callback<()>,
) -> impl IntoView {
    let canvas: NodeRef<html::Canvas> = NodeRef::new();
    let side = why.query.cols;
    let lines = arrows(&why)
        .into_iter()
        .map(|(x1, y1, x2, y2)| {
            view! {
                <line x1=x1 y1=y1 x2=x2 y2=y2 />
                <circle cx=x2 cy=y2 r="0.22" />
            }
        })
        .collect_view();
    let text = summary(&why);
    let picture = why.clone();
    Effect::new(move |_| {
        if let Some(c) = canvas.get() {
            paint(&c, &picture);
        }
    });
    let label = format!(
        "The query and {title} overlaid, with arrows from the query's ink to where it matched"
    );
    view! {
        <section class="why" aria-label="Why similar" data-testid="why" tabindex="-1">
            <div class="why-head">
                <h3>{format!("Why {title} is similar")}</h3>
                <button class="why-close" aria-label="Close" title="Close (Esc)" on:click=move |_| on_close.run(())>"×"</button>
            </div>
            <div class="why-body">
                <div class="why-picture" role="img" aria-label=label>
                    <canvas width=side height=side node_ref=canvas></canvas>
                    <svg viewBox=format!("0 0 {side} {side}") aria-hidden="true">{lines}</svg>
                </div>
                <div class="why-text">
                    <ul class="legend small">
                        <li><span class="swatch both"></span>"ink in both"</li>
                        <li><span class="swatch query"></span>"only in the query"</li>
                        <li><span class="swatch hit"></span>"only in the hit"</li>
                        <li><span class="swatch arrow"></span>"where a part of the query found its match"</li>
                    </ul>
                    <p class="small">{text}</p>
                    <p class="small muted">{format!("Its cost: {} (0 would be a perfect match).", thousands(u64::from(cost)))}</p>
                    <p class="small muted">"Both digits are shown stood upright, as they were compared."</p>
                    <div class="why-actions">
                        <button class="primary" on:click=move |_| on_query.run(again.clone())>"Search for this one"</button>
                        <button on:click=move |_| on_close.run(())>"Close"</button>
                    </div>
                </div>
            </div>
        </section>
    }
}
