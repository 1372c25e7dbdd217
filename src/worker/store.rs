//! The worker's offline copy of the shipped data: whole files kept in Cache Storage
//! (`ssam-data`), so that a second visit searches without the network. Data files are
//! named by their content, so a kept copy is always right; files whose names stay the
//! same from build to build (the roots, the index) are asked of the network first and
//! taken from here only when it cannot answer. Every step here may fail (no Cache
//! Storage, quota, private mode): then nothing is kept, and nothing else changes.

use js_sys::{Array, Uint8Array};
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{Cache, Response, WorkerGlobalScope};

use crate::fetch;
use crate::protocol::Problem;
use ssam::gzip::Limit;

/// The cache's name: outside the service worker's `ssam-<version>` caches, which it
/// replaces on every deploy.
const CACHE: &str = "data-ssam";

async fn open() -> Option<Cache> {
    let scope: WorkerGlobalScope = js_sys::global().dyn_into().ok()?;
    let caches = scope.caches().ok()?;
    JsFuture::from(caches.open(CACHE))
        .await
        .ok()?
        .dyn_into()
        .ok()
}

/// The kept copy of `url`, if any.
pub async fn get(url: &str) -> Option<Vec<u8>> {
    let cache = open().await?;
    let found = JsFuture::from(cache.match_with_str(url)).await.ok()?;
    let response: Response = found.dyn_into().ok()?;
    let buffer = JsFuture::from(response.array_buffer().ok()?).await.ok()?;
    Some(Uint8Array::new(&buffer).to_vec())
}

/// Keeps `bytes` as `url`.
pub async fn put(url: &str, bytes: &[u8]) {
    let Some(cache) = open().await else { return };
    let mut copy = bytes.to_vec();
    if let Ok(response) = Response::new_with_opt_u8_array(Some(&mut copy)) {
        let _ = JsFuture::from(cache.put_with_str(url, &response)).await;
    }
}

/// Drops kept files that `keep` refuses (data files of earlier builds).
pub async fn prune(keep: impl Fn(&str) -> bool) {
    let Some(cache) = open().await else { return };
    let Ok(keys) = JsFuture::from(cache.keys()).await else {
        return;
    };
    for request in Array::from(&keys).iter() {
        if let Some(r) = request.dyn_ref::<web_sys::Request>()
            && !keep(&r.url())
        {
            let _ = JsFuture::from(cache.delete_with_request(r)).await;
        }
    }
}

/// `url` as the network has it now (asking past the HTTP cache whether it changed),
/// kept for offline use; the kept copy when the network cannot be reached.
pub async fn current(url: &str, most: u64) -> Result<Vec<u8>, Problem> {
    kept_unless(url, fetch::whole(url, most, true, |_, _| {}).await).await
}

/// What the network gave for `url`, now kept; or, when it could not answer (offline, or
/// a server error, 5xx), the copy kept before, if any. A 404 is an answer: the file is
/// gone.
pub async fn kept_unless(url: &str, fetched: Result<Vec<u8>, Problem>) -> Result<Vec<u8>, Problem> {
    match fetched {
        Ok(bytes) => {
            put(url, &bytes).await;
            Ok(bytes)
        }
        Err(p @ Problem::Download { status, .. }) if status.is_none_or(|s| s >= 500) => {
            get(url).await.ok_or(p)
        }
        Err(p) => Err(p),
    }
}

/// `url` named by its content: the kept copy, or the network's (then kept).
pub async fn immutable(
    url: &str,
    most: u64,
    progress: impl FnMut(u64, Option<u64>),
) -> Result<Vec<u8>, Problem> {
    if let Some(kept) = get(url).await {
        return Ok(kept);
    }
    let bytes = fetch::whole(url, most, false, progress).await?;
    put(url, &bytes).await;
    Ok(bytes)
}

/// Fetches `file` within `limit` and keeps it (inflated) for offline use; the kept copy
/// when the network cannot be reached.
pub async fn download(file: &str, limit: Limit) -> Result<Vec<u8>, Problem> {
    kept_unless(file, fetch::fetch(file, limit, |_, _| {}).await).await
}
