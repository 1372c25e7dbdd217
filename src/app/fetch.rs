//! Getting the shipped files into memory without freezing the page: a fetch that reports
//! bytes as they arrive, gzip inflated in slices with a pause for the browser between
//! them, and a clock.

use std::io::Read;

use flate2::read::MultiGzDecoder;
use js_sys::{Reflect, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::ReadableStreamDefaultReader;

use crate::idx;

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
        return response.binary().await.map_err(|e| format!("{url}: {e}"));
    };
    let reader: ReadableStreamDefaultReader = body.get_reader().unchecked_into();
    let mut out = Vec::with_capacity(total.unwrap_or(0).min(idx::MAX_BYTES) as usize);
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
        let bytes = Uint8Array::new(&value);
        let start = out.len();
        if (start + bytes.length() as usize) as u64 > idx::MAX_BYTES {
            return Err(format!(
                "{url}: larger than {} MiB, not a file this app ships",
                idx::MAX_BYTES >> 20
            ));
        }
        out.resize(start + bytes.length() as usize, 0);
        bytes.copy_to(&mut out[start..]);
        progress(out.len() as u64, total);
    }
    Ok(out)
}

/// Inflates gzip bytes (raw bytes pass through), pausing every few milliseconds and
/// reporting the bytes produced.
pub async fn inflate(
    url: &str,
    bytes: Vec<u8>,
    mut progress: impl FnMut(u64),
) -> Result<Vec<u8>, String> {
    if !idx::is_gzip(&bytes) {
        return Ok(bytes);
    }
    let mut decoder = MultiGzDecoder::new(&bytes[..]);
    let mut out = Vec::with_capacity(bytes.len() * 5);
    let mut since = now();
    loop {
        let n = (&mut decoder)
            .take(1 << 20)
            .read_to_end(&mut out)
            .map_err(|e| format!("{url}: not a valid gzip stream ({e})"))?;
        if n == 0 {
            break;
        }
        if out.len() as u64 > idx::MAX_BYTES {
            return Err(format!(
                "{url}: inflates to more than {} MiB",
                idx::MAX_BYTES >> 20
            ));
        }
        progress(out.len() as u64);
        if now() - since > 12.0 {
            pause().await;
            since = now();
        }
    }
    Ok(out)
}
