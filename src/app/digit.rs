//! A 28x28 digit drawn at any size with sharp pixels: light ink on a dark tile, as MNIST
//! stores it.

use leptos::html;
use leptos::prelude::*;
use wasm_bindgen::{Clamped, JsCast};
use web_sys::{CanvasRenderingContext2d, ImageData};

use crate::preprocess::SIDE;

/// Paints `pixels` (28x28 grey levels) into `canvas`.
pub fn paint(canvas: &web_sys::HtmlCanvasElement, pixels: &[u8]) {
    let Ok(Some(ctx)) = canvas.get_context("2d") else {
        return;
    };
    let Ok(ctx) = ctx.dyn_into::<CanvasRenderingContext2d>() else {
        return;
    };
    let mut rgba = Vec::with_capacity(SIDE * SIDE * 4);
    for &v in pixels.iter().take(SIDE * SIDE) {
        rgba.extend_from_slice(&[v, v, v, 255]);
    }
    if let Ok(img) =
        ImageData::new_with_u8_clamped_array_and_sh(Clamped(&rgba), SIDE as u32, SIDE as u32)
    {
        let _ = ctx.put_image_data(&img, 0.0, 0.0);
    }
}

/// A digit as a small canvas; `label` is read out to screen readers.
#[component]
pub fn Digit(#[prop(into)] pixels: Signal<Vec<u8>>, #[prop(into)] label: String) -> impl IntoView {
    let canvas: NodeRef<html::Canvas> = NodeRef::new();
    Effect::new(move |_| {
        let px = pixels.get();
        if let Some(c) = canvas.get() {
            paint(&c, &px);
        }
    });
    view! { <canvas class="digit" width=SIDE height=SIDE node_ref=canvas role="img" aria-label=label></canvas> }
}
