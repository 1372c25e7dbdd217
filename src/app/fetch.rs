//! Getting the shipped files into memory without freezing the page: a fetch that reports
//! bytes as they arrive and inflates gzip as it comes, a pause for the browser, a clock.

use js_sys::{Reflect, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::ReadableStreamDefaultReader;

use crate::gzip::{self, Inflater};

/// Milliseconds since the page started loading.
pub fn now() -> f64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map_or(0.0, |p| p.now())
}

/// Lets the browser paint and handle input before the work goes on.
pub async fn pause() {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        if let Some(w) = web_sys::window() {
            let _ = w.set_timeout_with_callback(&resolve);
        }
    });
    let _ = JsFuture::from(promise).await;
}

fn js_error(e: JsValue) -> String {
    e.as_string()
        .or_else(|| {
            e.dyn_ref::<js_sys::Error>()
                .map(|e| String::from(e.message()))
        })
        .unwrap_or_else(|| format!("{e:?}"))
}

/// Fetches `url`, calling `progress(bytes so far, total if the server said)` per chunk.
/// A gzip body is inflated as it arrives, so unpacking overlaps the download and no
/// compressed copy is kept; other bodies come back as they are.
pub async fn fetch(
    url: &str,
    mut progress: impl FnMut(u64, Option<u64>),
) -> Result<Vec<u8>, String> {
    let response = gloo_net::http::Request::get(url)
        .send()
        .await
        .map_err(|e| format!("{url}: could not be fetched ({e})"))?;
    if !response.ok() {
        return Err(format!(
            "{url}: the server answered {} {}",
            response.status(),
            response.status_text()
        ));
    }
    let total = response
        .headers()
        .get("content-length")
        .and_then(|v| v.parse::<u64>().ok());
    let Some(body) = response.body() else {
        let bytes = response.binary().await.map_err(|e| format!("{url}: {e}"))?;
        return gzip::gunzip_owned(url, bytes).map_err(|e| e.to_string());
    };
    let reader: ReadableStreamDefaultReader = body.get_reader().unchecked_into();
    let mut sink = Inflater::new(url, total);
    let mut received = 0u64;
    loop {
        let chunk = JsFuture::from(reader.read())
            .await
            .map_err(|e| format!("{url}: download broke off ({})", js_error(e)))?;
        if Reflect::get(&chunk, &"done".into())
            .ok()
            .and_then(|v| v.as_bool())
            .unwrap_or(true)
        {
            break;
        }
        let value =
            Reflect::get(&chunk, &"value".into()).map_err(|e| format!("{url}: {}", js_error(e)))?;
        let bytes = Uint8Array::new(&value).to_vec();
        received += bytes.len() as u64;
        sink.push(&bytes).map_err(|e| e.to_string())?;
        progress(received, total);
    }
    sink.finish().map_err(|e| e.to_string())
}
