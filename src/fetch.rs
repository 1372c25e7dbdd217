//! Getting bytes into memory without freezing anything: a fetch that reports bytes as they
//! arrive and inflates gzip as it comes, the same for a file the user gave, a pause for
//! the event loop, a clock. Works in the page and in a worker (it uses the global scope,
//! not `window`).

use js_sys::{Reflect, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{ReadableStream, ReadableStreamDefaultReader};

use crate::protocol::{DataKind, Problem};
use ssam::gzip::{self, Inflater, Limit};
use ssam::stream::ranges;

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

/// Fetches `url`, calling `progress(bytes so far, total if the server said)` per chunk.
/// A gzip body is inflated as it arrives, so unpacking overlaps the download and no
/// compressed copy is kept; other bodies come back as they are. Either stops at `limit`.
pub async fn fetch(
    url: &str,
    limit: Limit,
    progress: impl FnMut(u64, Option<u64>),
) -> Result<Vec<u8>, Problem> {
    let (response, total) = get(gloo_net::http::Request::get(url), url).await?;
    match response.body() {
        Some(body) => read_stream(url, body, limit, total, progress).await,
        None => {
            let bytes = response.binary().await.map_err(|e| Problem::Download {
                file: url.to_owned(),
                status: None,
                reason: e.to_string(),
            })?;
            gzip::gunzip_owned(url, bytes, limit).map_err(Problem::from)
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

/// Where a read's bytes go: an [`Inflater`], or a [`Capped`] buffer that keeps them as
/// they are.
trait Sink {
    fn push(&mut self, bytes: &[u8]) -> ssam::Result<()>;
    fn is_done(&self) -> bool;
    fn finish(self) -> ssam::Result<Vec<u8>>;
}

impl Sink for Inflater {
    fn push(&mut self, bytes: &[u8]) -> ssam::Result<()> {
        Inflater::push(self, bytes)
    }
    fn is_done(&self) -> bool {
        Inflater::is_done(self)
    }
    fn finish(self) -> ssam::Result<Vec<u8>> {
        Inflater::finish(self)
    }
}

/// Bytes kept as they arrive, refused past `most`.
struct Capped {
    name: String,
    most: u64,
    bytes: Vec<u8>,
}

impl Sink for Capped {
    fn push(&mut self, bytes: &[u8]) -> ssam::Result<()> {
        if (self.bytes.len() + bytes.len()) as u64 > self.most {
            return Err(ssam::Error::TooLarge {
                file: self.name.clone(),
                limit: self.most,
                declared: true,
            });
        }
        self.bytes.extend_from_slice(bytes);
        Ok(())
    }
    fn is_done(&self) -> bool {
        false
    }
    fn finish(self) -> ssam::Result<Vec<u8>> {
        Ok(self.bytes)
    }
}

/// Reads a byte stream to its end into `sink`.
async fn read_stream(
    name: &str,
    body: ReadableStream,
    limit: Limit,
    total: Option<u64>,
    progress: impl FnMut(u64, Option<u64>),
) -> Result<Vec<u8>, Problem> {
    drain(
        name,
        body,
        Inflater::new(name, limit, total),
        total,
        progress,
    )
    .await
}

async fn drain(
    name: &str,
    body: ReadableStream,
    mut sink: impl Sink,
    total: Option<u64>,
    mut progress: impl FnMut(u64, Option<u64>),
) -> Result<Vec<u8>, Problem> {
    let broke = |e: JsValue| Problem::Download {
        file: name.to_owned(),
        status: None,
        reason: format!("reading broke off ({})", js_error(&e)),
    };
    let reader: ReadableStreamDefaultReader = body.get_reader().unchecked_into();
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
            return Err(Problem::from(e));
        }
        if sink.is_done() {
            let _ = reader.cancel();
            break;
        }
        progress(received, total);
    }
    sink.finish().map_err(Problem::from)
}

/// Fetches `url` as it is (no inflation: its parts are compressed on their own), at most
/// `most` bytes; `revalidate` asks the server whether the browser's copy is current
/// (for a file whose name stays the same from build to build). What this fetches is
/// kept in Cache Storage by its caller, so not in the HTTP cache too (`no-store` for
/// a file named by its content: it would be held twice).
pub async fn whole(
    url: &str,
    most: u64,
    revalidate: bool,
    progress: impl FnMut(u64, Option<u64>),
) -> Result<Vec<u8>, Problem> {
    let request = gloo_net::http::Request::get(url).cache(if revalidate {
        web_sys::RequestCache::NoCache
    } else {
        web_sys::RequestCache::NoStore
    });
    let (response, total) = get(request, url).await?;
    capped(url, &response, most, total, progress).await
}

/// Sends `request` for `url`: a response that is OK, and its length when the server said.
async fn get(
    request: gloo_net::http::RequestBuilder,
    url: &str,
) -> Result<(gloo_net::http::Response, Option<u64>), Problem> {
    let failed = |status: Option<u16>, reason: String| Problem::Download {
        file: url.to_owned(),
        status,
        reason,
    };
    let response = request
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
    Ok((response, total))
}

/// What a range request brought.
pub enum Ranged {
    /// The bytes asked for.
    Bytes(Vec<u8>),
    /// The host ignored `Range` and is sending the whole file: its answer, whose body
    /// the caller reads as the whole file ([`whole_body`]) rather than ask for it again.
    Whole(gloo_net::http::Response),
}

/// Bytes `start..end` of `url`, by one range request; the whole file's answer when the
/// host ignores ranges (`200` instead of `206`).
pub async fn range(url: &str, start: u64, end: u64) -> Result<Ranged, Problem> {
    let name = format!("{url} bytes {start}-{}", end.saturating_sub(1));
    let failed = |status: Option<u16>, reason: String| Problem::Download {
        file: name.clone(),
        status,
        reason,
    };
    let response = get_range(url, &ranges::header(&[(start, end)]))
        .await
        .map_err(|e| failed(None, e))?;
    match response.status() {
        206 => {}
        200 => return Ok(Ranged::Whole(response)),
        s => return Err(failed(Some(s), response.status_text())),
    }
    capped(&name, &response, end - start, Some(end - start), |_, _| {})
        .await
        .map(Ranged::Bytes)
}

/// What a request for several ranges brought.
pub enum Several {
    /// Each range's bytes, in the order asked.
    Parts(Vec<Vec<u8>>),
    /// The host does not answer several ranges at once (it began sending the whole
    /// file, which is cancelled, or sent less than asked, or more than the ranges and
    /// their framing): the caller asks one by one, and the first single range tells
    /// whether the host takes ranges at all (S3 and Varnish take one, not several).
    OneByOne,
}

/// Several ranges of `url` (`start..end`) by one request, each range's bytes in the order
/// asked, when the host answers several ranges at once.
pub async fn ranges(url: &str, wanted: &[(u64, u64)]) -> Result<Several, Problem> {
    let (first, last) = wanted
        .iter()
        .fold((u64::MAX, 0), |(a, b), &(s, e)| (a.min(s), b.max(e)));
    let name = format!(
        "{url} bytes {first}-{} ({} ranges)",
        last.saturating_sub(1),
        wanted.len()
    );
    let failed = |status: Option<u16>, reason: String| Problem::Download {
        file: name.clone(),
        status,
        reason,
    };
    let response = get_range(url, &ranges::header(wanted))
        .await
        .map_err(|e| failed(None, e))?;
    let most = ranges::most_bytes(wanted);
    let header = |h: &str| response.headers().get(h);
    let declared = header("content-length").and_then(|v| v.parse::<u64>().ok());
    match response.status() {
        206 if declared.is_none_or(|d| d <= most) => {}
        200 | 206 => {
            cancel(&response);
            return Ok(Several::OneByOne);
        }
        s => return Err(failed(Some(s), response.status_text())),
    }
    let body = match capped(&name, &response, most, declared, |_, _| {}).await {
        Ok(body) => body,
        Err(Problem::Data {
            kind: DataKind::Size,
            ..
        }) => return Ok(Several::OneByOne),
        Err(e) => return Err(e),
    };
    match ranges::read(
        &name,
        header("content-type").as_deref(),
        header("content-range").as_deref(),
        &body,
        wanted,
    )? {
        ranges::Answer::Parts(parts) => Ok(Several::Parts(parts)),
        ranges::Answer::Unsupported => Ok(Several::OneByOne),
    }
}

/// The body of `response`, the whole of `url` (at most `most` bytes), calling `progress`
/// per chunk.
pub async fn whole_body(
    url: &str,
    response: gloo_net::http::Response,
    most: u64,
    progress: impl FnMut(u64, Option<u64>),
) -> Result<Vec<u8>, Problem> {
    let declared = response
        .headers()
        .get("content-length")
        .and_then(|v| v.parse::<u64>().ok());
    capped(url, &response, most, declared, progress).await
}

/// Stops the transfer of `response`'s body: the rest is not wanted.
pub fn cancel(response: &gloo_net::http::Response) {
    if let Some(body) = response.body() {
        let _ = body.cancel();
    }
}

/// A GET of `url` asking for `range` (a `Range` header's value), past the HTTP cache: a
/// copy it holds whole (gzipped by a host that compresses it) answers a range badly, and
/// the worker keeps what it needs itself.
async fn get_range(url: &str, range: &str) -> Result<gloo_net::http::Response, String> {
    gloo_net::http::Request::get(url)
        .header("Range", range)
        .cache(web_sys::RequestCache::NoStore)
        .send()
        .await
        .map_err(|e| e.to_string())
}

/// `response`'s body as it is, refused past `most` bytes, calling `progress` per chunk;
/// `name` says what it is in errors, `expected` how long the server said it is.
async fn capped(
    name: &str,
    response: &gloo_net::http::Response,
    most: u64,
    expected: Option<u64>,
    progress: impl FnMut(u64, Option<u64>),
) -> Result<Vec<u8>, Problem> {
    let sink = Capped {
        name: name.to_owned(),
        most,
        bytes: Vec::with_capacity(expected.unwrap_or(0).min(most) as usize),
    };
    match response.body() {
        Some(body) => drain(name, body, sink, expected, progress).await,
        None => Err(Problem::Download {
            file: name.to_owned(),
            status: None,
            reason: "the response has no body".into(),
        }),
    }
}
