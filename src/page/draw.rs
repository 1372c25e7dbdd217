//! The drawing pad: pointer strokes (mouse, touch, pen) in a thick round pen like the
//! strokes MNIST was written with, undo and clear by button or key, and a query after
//! every change, at most once a frame.

use leptos::html;
use leptos::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement, PointerEvent};

use crate::fetch::now;
use crate::protocol::{Image, Query};
use ssam::preprocess;

/// Side of the pad in canvas pixels; the pen is a tenth of it, as MNIST's strokes are
/// about two pixels of its 20-pixel box.
const PAD: u32 = 280;
const PEN: f64 = 22.0;

/// Where a query drawn on the pad says it came from.
pub const DRAWING: &str = "your drawing";

type Stroke = Vec<(f64, f64)>;

fn context(canvas: &HtmlCanvasElement) -> Option<CanvasRenderingContext2d> {
    canvas.get_context("2d").ok()??.dyn_into().ok()
}

/// Paper white, then every stroke in black.
fn redraw(canvas: &HtmlCanvasElement, strokes: &[Stroke]) {
    let Some(ctx) = context(canvas) else { return };
    ctx.set_fill_style_str("#fff");
    ctx.fill_rect(0.0, 0.0, f64::from(PAD), f64::from(PAD));
    ctx.set_stroke_style_str("#000");
    ctx.set_fill_style_str("#000");
    ctx.set_line_width(PEN);
    ctx.set_line_cap("round");
    ctx.set_line_join("round");
    for stroke in strokes {
        let Some(&(x0, y0)) = stroke.first() else {
            continue;
        };
        ctx.begin_path();
        ctx.move_to(x0, y0);
        for &(x, y) in &stroke[1..] {
            ctx.line_to(x, y);
        }
        if stroke.len() == 1 {
            // A tap is a dot.
            ctx.line_to(x0 + 0.01, y0);
        }
        ctx.stroke();
    }
}

/// The pad's pixels as the query the engine searches with; None for a blank pad.
fn read(canvas: &HtmlCanvasElement) -> Option<Result<preprocess::Prepared, String>> {
    let ctx = context(canvas)?;
    let data = ctx
        .get_image_data(0.0, 0.0, f64::from(PAD), f64::from(PAD))
        .ok()?;
    Some(
        preprocess::prepare_rgba(PAD as usize, PAD as usize, &data.data())
            .map_err(|e| e.to_string()),
    )
}

/// The pad. `on_query` receives each new query; `on_blank` is called when it is emptied.
/// When the query on screen becomes something else (a pick, an upload, a point of the
/// map), the drawing that is no longer asked about is wiped.
#[component]
pub fn DrawPad(
    on_query: Callback<Query>,
    on_blank: Callback<()>,
    query: Signal<Option<Query>>,
) -> impl IntoView {
    let canvas: NodeRef<html::Canvas> = NodeRef::new();
    let strokes: RwSignal<Vec<Stroke>> = RwSignal::new(Vec::new());
    let drawing = RwSignal::new(false);
    let last_search = StoredValue::new(0.0f64);

    let search = move |force: bool| {
        if !force && now() - last_search.get_value() < 16.0 {
            return;
        }
        last_search.set_value(now());
        let Some(c) = canvas.get() else { return };
        if strokes.with_untracked(Vec::is_empty) {
            on_blank.run(());
            return;
        }
        match read(&c) {
            Some(Ok(p)) => on_query.run(Query {
                image: Image {
                    rows: preprocess::SIDE as u16,
                    cols: preprocess::SIDE as u16,
                    pixels: p.pixels,
                },
                source: DRAWING.into(),
            }),
            _ => on_blank.run(()),
        }
    };
    let point = move |ev: &PointerEvent| -> Option<(f64, f64)> {
        let c = canvas.get_untracked()?;
        let rect = c.get_bounding_client_rect();
        let scale = f64::from(PAD) / rect.width().max(1.0);
        Some((
            (f64::from(ev.client_x()) - rect.left()) * scale,
            (f64::from(ev.client_y()) - rect.top()) * scale,
        ))
    };
    let undo = move || {
        strokes.update(|s| {
            s.pop();
        });
        if let Some(c) = canvas.get_untracked() {
            redraw(&c, &strokes.get_untracked());
        }
        search(true);
    };
    let clear = move || {
        strokes.set(Vec::new());
        if let Some(c) = canvas.get_untracked() {
            redraw(&c, &[]);
        }
        on_blank.run(());
    };

    Effect::new(move |_| {
        if let Some(c) = canvas.get() {
            redraw(&c, &strokes.get_untracked());
        }
    });
    Effect::new(move |_| {
        let drawn = query.with(|q| q.as_ref().is_some_and(|q| q.source == DRAWING));
        if !drawn && !strokes.with_untracked(Vec::is_empty) {
            strokes.set(Vec::new());
            if let Some(c) = canvas.get_untracked() {
                redraw(&c, &[]);
            }
        }
    });
    let keys = window_event_listener(leptos::ev::keydown, move |ev| {
        // The pad's keys work from the pad, its buttons or the page itself; a key meant
        // for another part (a field, the map, Esc closing a "why") is not the pad's.
        let elsewhere = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
            .is_some_and(|el| {
                let page = matches!(el.tag_name().as_str(), "BODY" | "HTML");
                !page && el.closest(".pad").ok().flatten().is_none()
            });
        if elsewhere || ev.default_prevented() {
            return;
        }
        if (ev.ctrl_key() || ev.meta_key()) && ev.key().eq_ignore_ascii_case("z") {
            ev.prevent_default();
            undo();
        } else if ev.key() == "Escape" || ev.key() == "Delete" {
            clear();
        }
    });
    on_cleanup(move || keys.remove());

    view! {
        <div class="pad">
            <canvas
                node_ref=canvas
                width=PAD
                height=PAD
                aria-label="Drawing pad: draw a digit with mouse, finger or pen"
                on:pointerdown=move |ev: PointerEvent| {
                    ev.prevent_default();
                    if let Some(c) = canvas.get_untracked() {
                        let _ = c.set_pointer_capture(ev.pointer_id());
                        if let Some(p) = point(&ev) {
                            drawing.set(true);
                            strokes.update(|s| s.push(vec![p]));
                            redraw(&c, &strokes.get_untracked());
                            search(false);
                        }
                    }
                }
                on:pointermove=move |ev: PointerEvent| {
                    if !drawing.get_untracked() {
                        return;
                    }
                    let (Some(c), Some(p)) = (canvas.get_untracked(), point(&ev)) else { return };
                    strokes.update(|s| {
                        if let Some(last) = s.last_mut() {
                            last.push(p);
                        }
                    });
                    redraw(&c, &strokes.get_untracked());
                    search(false);
                }
                on:pointerup=move |_| {
                    drawing.set(false);
                    search(true);
                }
                on:pointercancel=move |_| {
                    drawing.set(false);
                    search(true);
                }
            ></canvas>
            <div class="row">
                <button on:click=move |_| undo() disabled=move || strokes.with(Vec::is_empty) title="Ctrl+Z">
                    "Undo"
                </button>
                <button on:click=move |_| clear() disabled=move || strokes.with(Vec::is_empty) title="Esc">
                    "Clear"
                </button>
                <span class="muted small keys-hint">"Ctrl+Z undo · Esc clear"</span>
                <span class="muted small touch-hint">"Draw with your finger"</span>
            </div>
        </div>
    }
}
