//! Getting bytes into memory without freezing anything: a fetch that reports bytes as they
//! arrive and inflates gzip as it comes, the same for a file the user gave, a pause for
//! the event loop, a clock. Works in the page and in a worker (it uses the global scope,
//! not `window`).

use js_sys::{Reflect, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{ReadableStream, ReadableStreamDefaultReader};

use super::protocol::Problem;
use crate::gzip::{self, Inflater, Limit};

/// Milliseconds since the page (or the worker) started.
pub fn now() -> f64 {
    Reflect::get(&js_sys::global(), &"performance".into())
        .ok()
        .and_then(|p| p.dyn_into::<web_sys::Performance>().ok())
        .map_or(0.0, |p| p.now())
}

/// Lets the event loop run (paint, input, other messages) before the work goes on.
pub async fn pause() {
    sleep(0.0).await;
}

/// Waits `ms` milliseconds without blocking anything.
pub async fn sleep(ms: f64) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        let set_timeout = Reflect::get(&js_sys::global(), &"setTimeout".into())
            .ok()
            .and_then(|f| f.dyn_into::<js_sys::Function>().ok());
        match set_timeout {
            Some(f) => {
                let _ = f.call2(&JsValue::NULL, &resolve, &JsValue::from_f64(ms));
            }
            None => {
                let _ = resolve.call0(&JsValue::NULL);
            }
        }
    });
    let _ = JsFuture::from(promise).await;
}

/// The message of a JS exception.
pub fn js_error(e: &JsValue) -> String {
    e.as_string()
        .or_else(|| {
            e.dyn_ref::<js_sys::Error>()
                .map(|e| String::from(e.message()))
        })
        .unwrap_or_else(|| format!("{e:?}"))
}

fn engine(e: crate::Error) -> Problem {
    Problem::from_engine(&e)
}

/// Fetches `url`, calling `progress(bytes so far, total if the server said)` per chunk.
/// A gzip body is inflated as it arrives, so unpacking overlaps the download and no
/// compressed copy is kept; other bodies come back as they are. Either stops at `limit`.
pub async fn fetch(
    url: &str,
    limit: Limit,
    progress: impl FnMut(u64, Option<u64>),
) -> Result<Vec<u8>, Problem> {
    let failed = |status: Option<u16>, reason: String| Problem::Download {
        file: url.to_owned(),
        status,
        reason,
    };
    let response = gloo_net::http::Request::get(url)
        .send()
        .await
        .map_err(|e| failed(None, e.to_string()))?;
    if !response.ok() {
        return Err(failed(Some(response.status()), response.status_text()));
    }
    let total = response
        .headers()
        .get("content-length")
        .and_then(|v| v.parse::<u64>().ok());
    match response.body() {
        Some(body) => read_stream(url, body, limit, total, progress).await,
        None => {
            let bytes = response
                .binary()
                .await
                .map_err(|e| failed(None, e.to_string()))?;
            gzip::gunzip_owned(url, bytes, limit).map_err(engine)
        }
    }
}

/// Reads a file the user gave, inflating it as it is read when it is gzip, within `limit`.
pub async fn read_file(
    file: &web_sys::Blob,
    name: &str,
    limit: Limit,
    progress: impl FnMut(u64, Option<u64>),
) -> Result<Vec<u8>, Problem> {
    read_stream(
        name,
        file.stream(),
        limit,
        Some(file.size() as u64),
        progress,
    )
    .await
}

/// Reads a byte stream to its end through an [`Inflater`].
async fn read_stream(
    name: &str,
    body: ReadableStream,
    limit: Limit,
    total: Option<u64>,
    mut progress: impl FnMut(u64, Option<u64>),
) -> Result<Vec<u8>, Problem> {
    let broke = |e: JsValue| Problem::Download {
        file: name.to_owned(),
        status: None,
        reason: format!("reading broke off ({})", js_error(&e)),
    };
    let reader: ReadableStreamDefaultReader = body.get_reader().unchecked_into();
    let mut sink = Inflater::new(name, limit, total);
    let mut received = 0u64;
    loop {
        let chunk = JsFuture::from(reader.read()).await.map_err(broke)?;
        if Reflect::get(&chunk, &"done".into())
            .ok()
            .and_then(|v| v.as_bool())
            .unwrap_or(true)
        {
            break;
        }
        let value = Reflect::get(&chunk, &"value".into()).map_err(broke)?;
        let bytes = Uint8Array::new(&value).to_vec();
        received += bytes.len() as u64;
        if let Err(e) = sink.push(&bytes) {
            // Stop the download or read too: the rest is not wanted.
            let _ = reader.cancel();
            return Err(engine(e));
        }
        if sink.is_done() {
            let _ = reader.cancel();
            break;
        }
        progress(received, total);
    }
    sink.finish().map_err(engine)
}
