//! An image drawn at any size with sharp pixels: light ink on a dark tile, as MNIST
//! stores it.

use leptos::html;
use leptos::prelude::*;
use wasm_bindgen::{Clamped, JsCast};
use web_sys::{CanvasRenderingContext2d, ImageData};

use crate::protocol::Image;

/// Paints `image` into `canvas` (sized to the image by the caller).
pub fn paint(canvas: &web_sys::HtmlCanvasElement, image: &Image) {
    let Ok(Some(ctx)) = canvas.get_context("2d") else {
        return;
    };
    let Ok(ctx) = ctx.dyn_into::<CanvasRenderingContext2d>() else {
        return;
    };
    let (w, h) = (u32::from(image.cols), u32::from(image.rows));
    if w == 0 || h == 0 || image.pixels.len() != (w * h) as usize {
        return;
    }
    let mut rgba = Vec::with_capacity(image.pixels.len() * 4);
    for &v in &image.pixels {
        rgba.extend_from_slice(&[v, v, v, 255]);
    }
    if let Ok(img) = ImageData::new_with_u8_clamped_array_and_sh(Clamped(&rgba), w, h) {
        let _ = ctx.put_image_data(&img, 0.0, 0.0);
    }
}

/// An image as a small canvas; `label` is read out to screen readers.
#[component]
pub fn Digit(
    image: Image,
    #[prop(into)] label: String,
    #[prop(optional)] class: &'static str,
) -> impl IntoView {
    let canvas: NodeRef<html::Canvas> = NodeRef::new();
    let (w, h) = (image.cols, image.rows);
    Effect::new(move |_| {
        if let Some(c) = canvas.get() {
            paint(&c, &image);
        }
    });
    view! { <canvas class=format!("digit {class}") width=w height=h node_ref=canvas role="img" aria-label=label></canvas> }
}
