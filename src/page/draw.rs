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

/// The pad's canvas and strokes, and whom a change of them tells; cheap to copy into
/// every handler.
#[derive(Clone, Copy)]
struct Pad {
    canvas: NodeRef<html::Canvas>,
    strokes: RwSignal<Vec<Stroke>>,
    /// A pointer is down on the pad.
    drawing: RwSignal<bool>,
    last_search: StoredValue<f64>,
    on_query: Callback<Query>,
    on_blank: Callback<()>,
}

impl Pad {
    /// Asks with the pad as it is now, at most once a frame unless `force`d; an empty
    /// pad is said to be one.
    fn search(self, force: bool) {
        if !force && now() - self.last_search.get_value() < 16.0 {
            return;
        }
        self.last_search.set_value(now());
        let Some(c) = self.canvas.get() else { return };
        if self.strokes.with_untracked(Vec::is_empty) {
            self.on_blank.run(());
            return;
        }
        match read(&c) {
            Some(Ok(p)) => self.on_query.run(Query {
                image: Image {
                    rows: preprocess::SIDE as u16,
                    cols: preprocess::SIDE as u16,
                    pixels: p.pixels,
                },
                source: DRAWING.into(),
            }),
            _ => self.on_blank.run(()),
        }
    }

    /// Where `ev` is, in canvas pixels.
    fn point(self, ev: &PointerEvent) -> Option<(f64, f64)> {
        let c = self.canvas.get_untracked()?;
        let rect = c.get_bounding_client_rect();
        let scale = f64::from(PAD) / rect.width().max(1.0);
        Some((
            (f64::from(ev.client_x()) - rect.left()) * scale,
            (f64::from(ev.client_y()) - rect.top()) * scale,
        ))
    }

    /// Draws the strokes as they are now.
    fn repaint(self) {
        if let Some(c) = self.canvas.get_untracked() {
            redraw(&c, &self.strokes.get_untracked());
        }
    }

    /// A pointer went down: a new stroke starts.
    fn down(self, ev: &PointerEvent) {
        ev.prevent_default();
        if let Some(c) = self.canvas.get_untracked() {
            let _ = c.set_pointer_capture(ev.pointer_id());
            if let Some(p) = self.point(ev) {
                self.drawing.set(true);
                self.strokes.update(|s| s.push(vec![p]));
                redraw(&c, &self.strokes.get_untracked());
                self.search(false);
            }
        }
    }

    /// The pointer moved: the stroke under way grows.
    fn extend(self, ev: &PointerEvent) {
        if !self.drawing.get_untracked() {
            return;
        }
        let (Some(c), Some(p)) = (self.canvas.get_untracked(), self.point(ev)) else {
            return;
        };
        self.strokes.update(|s| {
            if let Some(last) = s.last_mut() {
                last.push(p);
            }
        });
        redraw(&c, &self.strokes.get_untracked());
        self.search(false);
    }

    /// The pointer went up or was taken away: the stroke ends, and is asked about.
    fn lift(self) {
        self.drawing.set(false);
        self.search(true);
    }

    fn undo(self) {
        self.strokes.update(|s| {
            s.pop();
        });
        self.repaint();
        self.search(true);
    }

    /// Empties the pad and says so.
    fn clear(self) {
        self.wipe();
        self.on_blank.run(());
    }

    /// Empties the pad.
    fn wipe(self) {
        self.strokes.set(Vec::new());
        if let Some(c) = self.canvas.get_untracked() {
            redraw(&c, &[]);
        }
    }
}

/// The pad's keys, on the whole window: they work from the pad, its buttons or the page
/// itself; a key meant for another part (a field, the map, Esc closing a "why") is not
/// the pad's.
fn listen_keys(pad: Pad) {
    let keys = window_event_listener(leptos::ev::keydown, move |ev| {
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
            pad.undo();
        } else if ev.key() == "Escape" || ev.key() == "Delete" {
            pad.clear();
        }
    });
    on_cleanup(move || keys.remove());
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
    let pad = Pad {
        canvas: NodeRef::new(),
        strokes: RwSignal::new(Vec::new()),
        drawing: RwSignal::new(false),
        last_search: StoredValue::new(0.0),
        on_query,
        on_blank,
    };
    Effect::new(move |_| {
        if let Some(c) = pad.canvas.get() {
            redraw(&c, &pad.strokes.get_untracked());
        }
    });
    Effect::new(move |_| {
        let drawn = query.with(|q| q.as_ref().is_some_and(|q| q.source == DRAWING));
        if !drawn && !pad.strokes.with_untracked(Vec::is_empty) {
            pad.wipe();
        }
    });
    listen_keys(pad);
    let empty = move || pad.strokes.with(Vec::is_empty);

    view! {
        <div class="pad">
            <canvas
                node_ref=pad.canvas
                width=PAD
                height=PAD
                aria-label="Drawing pad: draw a digit with mouse, finger or pen"
                on:pointerdown=move |ev: PointerEvent| pad.down(&ev)
                on:pointermove=move |ev: PointerEvent| pad.extend(&ev)
                on:pointerup=move |_| pad.lift()
                on:pointercancel=move |_| pad.lift()
            ></canvas>
            <div class="row">
                <button on:click=move |_| pad.undo() disabled=empty title="Ctrl+Z">
                    "Undo"
                </button>
                <button on:click=move |_| pad.clear() disabled=empty title="Esc">
                    "Clear"
                </button>
                <span class="muted small keys-hint">"Ctrl+Z undo · Esc clear"</span>
                <span class="muted small touch-hint">"Draw with your finger"</span>
            </div>
        </div>
    }
}
