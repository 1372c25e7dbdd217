//! The harness of the end-to-end tests (tests/e2e/): nginx serving a built site, which
//! can damage, slow down, switch (a new deploy) or refuse what it serves (`nginx.rs`),
//! Chromium driven through chromedriver, closed when the test ends however it ends, and
//! a test's visit, which holds the two (`visit.rs`).
#![allow(dead_code)]

mod nginx;
mod visit;

// The whole harness, whether or not today's tests use every part of it.
#[allow(unused_imports)]
pub use nginx::{Config, Fault, Served, Site, serve, serve_with};
#[allow(unused_imports)]
pub use visit::{Plan, Visit};

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::actions::{InputSource, MOUSE_BUTTON_LEFT, MouseActions, PointerAction};
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

/// The site as `trunk build --release` leaves it, or the built site SSAM_DIST names.
pub fn dist() -> PathBuf {
    std::env::var_os("SSAM_DIST")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("dist"))
}

/// Chromium, headless, through a chromedriver of our own on a free port. Dropping it
/// ends the session and stops chromedriver, so a failed assertion leaks nothing.
pub struct Browser {
    pub client: Client,
    driver: Child,
    port: u16,
    session: Option<String>,
    _profile: tempfile::TempDir,
}

impl Drop for Browser {
    fn drop(&mut self) {
        // Nothing async runs here (a failed assertion may be unwinding through): the
        // session is ended by a plain request, and then Chromium has quit.
        if let Some(id) = &self.session {
            end_session(self.port, id);
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

/// Asks chromedriver on `port` to end session `id`, and waits for its answer, which
/// comes once Chromium has quit.
fn end_session(port: u16, id: &str) {
    let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)) else {
        return;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(20)));
    let request = format!(
        "DELETE /session/{id} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    );
    if stream.write_all(request.as_bytes()).is_err() {
        return;
    }
    // chromedriver keeps the connection open whatever it says: read the answer's
    // headers and its Content-Length of body, not to the end of the stream.
    let mut answer = Vec::new();
    let mut chunk = [0u8; 1024];
    while let Ok(n @ 1..) = stream.read(&mut chunk) {
        answer.extend_from_slice(&chunk[..n]);
        let text = String::from_utf8_lossy(&answer);
        if let Some(end) = text.find("\r\n\r\n") {
            let body = text[..end]
                .lines()
                .filter_map(|l| l.split_once(':'))
                .find(|(k, _)| k.trim().eq_ignore_ascii_case("content-length"))
                .and_then(|(_, v)| v.trim().parse::<usize>().ok())
                .unwrap_or(0);
            if answer.len() >= end + 4 + body {
                return;
            }
        }
    }
}

/// A desktop browser, 1200x1000.
pub async fn browser() -> Browser {
    launch(json!({ "args": ["--window-size=1200,1000"] })).await
}

/// A phone: 390x844 CSS pixels at 3x, touch, and the dark or light scheme.
pub async fn phone(dark: bool) -> Browser {
    launch(json!({
        "args": [format!("--blink-settings=preferredColorScheme={}", if dark { 0 } else { 1 })],
        "mobileEmulation": { "deviceMetrics": { "width": 390, "height": 844, "pixelRatio": 3.0, "touch": true } }
    }))
    .await
}

async fn launch(extra: serde_json::Value) -> Browser {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut driver =
        Command::new(std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "chromedriver".into()))
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver runs (scripts/setup.sh --browser installs it)");
    let profile = tempfile::tempdir().unwrap();
    let mut args = vec![
        json!("--headless"),
        json!("--no-sandbox"),
        json!("--disable-gpu"),
        json!("--disable-background-networking"),
        json!("--disable-component-update"),
        json!("--no-first-run"),
        json!("--disable-sync"),
        json!(format!("--user-data-dir={}", profile.path().display())),
    ];
    args.extend(extra["args"].as_array().cloned().unwrap_or_default());
    let mut options = json!({
        "binary": std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into()),
        "args": args,
    });
    if let Some(m) = extra.get("mobileEmulation") {
        options["mobileEmulation"] = m.clone();
    }
    let caps = json!({ "goog:chromeOptions": options });
    let connect = || async {
        let mut builder =
            ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new());
        builder.capabilities(caps.as_object().unwrap().clone());
        builder.connect(&format!("http://127.0.0.1:{port}")).await
    };
    // The last attempt, whether it connected or not.
    let connected = poll(Duration::from_secs(20), connect, Result::is_ok)
        .await
        .unwrap_or_else(|last| last);
    match connected {
        Ok(client) => {
            let session = client.session_id().await.ok().flatten();
            Browser {
                client,
                driver,
                port,
                session,
                _profile: profile,
            }
        }
        Err(e) => {
            let _ = driver.kill();
            let _ = driver.wait();
            panic!("chromedriver did not start: {e}")
        }
    }
}

impl Browser {
    /// Text of the first element matching `css`, waiting for it to appear.
    pub async fn text(&self, css: &str) -> String {
        let el = self
            .client
            .wait()
            .at_most(Duration::from_secs(30))
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("{css}: {e}"));
        el.text().await.unwrap()
    }

    /// Waits until `css` shows text containing `needle`.
    pub async fn until_text(&self, css: &str, needle: &str) -> String {
        match self.text_within(css, needle, Duration::from_secs(30)).await {
            Ok(got) => got,
            Err(last) => panic!("{css} never showed {needle:?}; last: {last:?}"),
        }
    }

    /// The text of `css` once it contains `needle`, waiting at most `wait`; the last text
    /// seen when it never did.
    pub async fn text_within(
        &self,
        css: &str,
        needle: &str,
        wait: Duration,
    ) -> Result<String, String> {
        let read = || async {
            match self.client.find(Locator::Css(css)).await {
                Ok(el) => el.text().await.unwrap_or_default(),
                Err(_) => String::new(),
            }
        };
        poll(wait, read, |got: &String| got.contains(needle)).await
    }

    /// All the text of the first element matching `css`, shown or not (a closed
    /// `<details>` too), waiting for it to contain `needle`.
    pub async fn until_content(&self, css: &str, needle: &str) -> String {
        let read = || async {
            self.js(
                "const e = document.querySelector(arguments[0]); return e ? e.textContent : ''",
                vec![json!(css)],
            )
            .await
            .as_str()
            .unwrap_or_default()
            .to_owned()
        };
        poll(Duration::from_secs(30), read, |got: &String| {
            got.contains(needle)
        })
        .await
        .unwrap_or_else(|last| panic!("{css} never held {needle:?}; last: {last:?}"))
    }

    /// Waits until `script` returns true, at most `wait`; panics saying `what` otherwise.
    pub async fn until_js(&self, script: &str, wait: Duration, what: &str) {
        let read = || self.js(script, vec![]);
        if poll(wait, read, |v| *v == json!(true)).await.is_err() {
            panic!("{what}");
        }
    }

    /// Waits until the page has drawn two more frames: whatever input came before has
    /// been handled and drawn by then.
    pub async fn two_frames(&self) {
        self.client
            .execute_async(
                "const done = arguments[0]; requestAnimationFrame(() => requestAnimationFrame(() => done(true)));",
                vec![],
            )
            .await
            .unwrap();
    }

    /// Pixels of the drawing pad that carry ink (dark on its light ground).
    pub async fn pad_ink(&self) -> u64 {
        self.js(
            "const c = document.querySelector('.pad canvas'); const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data; \
             let n = 0; for (let i = 0; i < d.length; i += 4) if (d[i] < 128) n++; return n;",
            vec![],
        )
        .await
        .as_u64()
        .unwrap()
    }

    /// Runs `script` (which may use `arguments`) and returns its value.
    pub async fn js(&self, script: &str, args: Vec<serde_json::Value>) -> serde_json::Value {
        self.client
            .execute(script, args)
            .await
            .unwrap_or_else(|e| panic!("{script}: {e}"))
    }

    /// Opens `url` and waits for MNIST to be searchable.
    pub async fn open_ready(&self, url: &str) {
        self.client.goto(url).await.unwrap();
        let ready = self.text("[data-testid=ready]").await;
        assert!(ready.contains("60,000 MNIST"), "{ready}");
    }

    /// Waits until the whole of MNIST is here: it is searched by parts until then, and
    /// downloads in the background once a first result is shown.
    pub async fn until_whole(&self) {
        let whole = || {
            self.client
                .find(Locator::Css("[data-testid=ready][data-streamed=false]"))
        };
        if poll(Duration::from_secs(120), whole, Result::is_ok)
            .await
            .is_err()
        {
            panic!("MNIST never became whole here");
        }
    }

    /// Shows a first result (which registers the service worker and starts the whole
    /// set's download), then waits for both: after this, the site works offline.
    pub async fn until_kept(&self) {
        self.ask_seven().await;
        self.until_whole().await;
        self.until_offline_ready().await;
    }

    /// Waits until the service worker has kept the site (its install fetches every file).
    pub async fn until_offline_ready(&self) {
        let done = self
            .client
            .execute_async(
                "const done = arguments[0]; navigator.serviceWorker.ready.then(() => done(true), () => done(false));",
                vec![],
            )
            .await
            .unwrap();
        assert_eq!(done, json!(true), "the service worker did not become ready");
    }

    /// The value of `attribute` on the first element matching `css`, waiting for it.
    pub async fn attribute(&self, css: &str, attribute: &str) -> String {
        let el = self
            .client
            .wait()
            .at_most(Duration::from_secs(60))
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("{css}: {e}"));
        el.attr(attribute).await.unwrap().unwrap_or_default()
    }

    /// The labels of the results shown, in rank order.
    pub async fn hit_labels(&self) -> Vec<String> {
        let mut labels = Vec::new();
        for h in self
            .client
            .find_all(Locator::Css(".hits .hit-label"))
            .await
            .unwrap()
        {
            labels.push(h.text().await.unwrap());
        }
        labels
    }

    /// Clicks the first element matching `css`.
    pub async fn click(&self, css: &str) {
        self.client
            .wait()
            .at_most(Duration::from_secs(30))
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("{css}: {e}"))
            .click()
            .await
            .unwrap_or_else(|e| panic!("{css}: {e}"));
    }

    /// Hands `files` to the own-set picker.
    pub async fn own_files(&self, files: &[&Path]) {
        let input = self
            .client
            .find(Locator::Css("[data-testid=own-files]"))
            .await
            .unwrap();
        let paths: Vec<&str> = files.iter().map(|f| f.to_str().unwrap()).collect();
        input.send_keys(&paths.join("\n")).await.unwrap();
    }

    /// Draws a seven and waits for its answer.
    pub async fn ask_seven(&self) {
        self.draw_seven().await;
        self.until_text("[data-testid=verdict]", "nearest").await;
    }

    /// Draws a seven: a bar across the top, then a stroke down to the lower left.
    pub async fn draw_seven(&self) {
        self.stroke(
            (-60.0, -80.0),
            &[(120.0, 0.0), (-40.0, 80.0), (-40.0, 90.0)],
            100,
        )
        .await;
    }

    /// One stroke on the pad: down at `from` (pixels from its centre), then each move in
    /// turn, `ms` milliseconds each, then up.
    pub async fn stroke(&self, from: (f64, f64), moves: &[(f64, f64)], ms: u64) {
        let pad = self.client.find(Locator::Css(".pad canvas")).await.unwrap();
        let mut pen = MouseActions::new("pen".into())
            .then(PointerAction::MoveToElement {
                element: pad,
                duration: None,
                x: from.0,
                y: from.1,
            })
            .then(PointerAction::Down {
                button: MOUSE_BUTTON_LEFT,
            });
        for &(x, y) in moves {
            pen = pen.then(PointerAction::MoveBy {
                duration: Some(Duration::from_millis(ms)),
                x,
                y,
            });
        }
        let pen = pen.then(PointerAction::Up {
            button: MOUSE_BUTTON_LEFT,
        });
        self.client.perform_actions(pen).await.unwrap();
    }

    pub async fn upload(&self, file: &Path) {
        let input = self
            .client
            .find(Locator::Css("[data-testid=picture-file]"))
            .await
            .unwrap();
        input.send_keys(file.to_str().unwrap()).await.unwrap();
    }

    /// Saves a screenshot of the page as it is now to `path` (PNG).
    pub async fn screenshot(&self, path: &Path) {
        let png = self.client.screenshot().await.unwrap();
        std::fs::write(path, png).unwrap();
    }
}

/// What `read` gives once `done` holds of it, reading every 100 ms for at most `wait`;
/// the last reading when it never did. Every wait of the tests goes through here.
pub async fn poll<T, F: std::future::Future<Output = T>>(
    wait: Duration,
    mut read: impl FnMut() -> F,
    done: impl Fn(&T) -> bool,
) -> Result<T, T> {
    let deadline = Instant::now() + wait;
    loop {
        let got = read().await;
        if done(&got) {
            return Ok(got);
        }
        if Instant::now() >= deadline {
            return Err(got);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The bytes of `assets/mnist/{name}`: MNIST's gzipped IDX files, as the site ships them.
fn mnist_file(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("assets/mnist")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// An IDX array of MNIST: `name` is a file of `assets/mnist`, e.g.
/// "t10k-images-idx3-ubyte.gz".
pub fn mnist_idx(name: &str) -> ssam::idx::IdxArray {
    ssam::idx::parse(name, &mnist_file(name)).unwrap()
}

/// MNIST's "train" or "t10k" digits with their labels, as the engine reads them.
pub fn mnist(stem: &str) -> ssam::Dataset {
    let images = format!("{stem}-images-idx3-ubyte.gz");
    let labels = format!("{stem}-labels-idx1-ubyte.gz");
    ssam::Dataset::from_idx(&images, &mnist_file(&images), &labels, &mnist_file(&labels)).unwrap()
}

/// Test digit 0 of MNIST (a seven), ten times larger, dark on light, as a PNG.
pub fn seven_png(dir: &Path) -> PathBuf {
    let set = mnist_idx("t10k-images-idx3-ubyte.gz");
    let img = image::GrayImage::from_fn(280, 280, |x, y| {
        image::Luma([255 - set.data[(y / 10 * 28 + x / 10) as usize]])
    });
    let path = dir.join("seven.png");
    img.save(&path).unwrap();
    path
}

/// `n` synthetic 28x28 shapes (0: filled square, 1: ring, 2: plus) at random sizes and
/// places, as raw IDX images and labels.
pub fn shapes(n: usize) -> (Vec<u8>, Vec<u8>) {
    let mut seed = 12345u64;
    let mut next = |m: u64| {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (seed >> 33) % m
    };
    let (mut pixels, mut labels) = (Vec::new(), Vec::new());
    for i in 0..n {
        let class = (i % 3) as u8;
        let r = 5 + next(6) as i64;
        let (cx, cy) = (10 + next(8) as i64, 10 + next(8) as i64);
        for y in 0..28i64 {
            for x in 0..28i64 {
                let (dx, dy) = (x - cx, y - cy);
                let on = match class {
                    0 => dx.abs() <= r && dy.abs() <= r,
                    1 => {
                        let d = dx * dx + dy * dy;
                        d <= r * r && d >= (r - 2) * (r - 2)
                    }
                    _ => (dx.abs() <= 1 && dy.abs() <= r) || (dy.abs() <= 1 && dx.abs() <= r),
                };
                pixels.push(if on { 255 } else { 0 });
            }
        }
        labels.push(class);
    }
    let images = ssam::idx::to_bytes(&ssam::idx::IdxArray {
        dims: vec![n, 28, 28],
        data: pixels,
    });
    let labels = ssam::idx::to_bytes(&ssam::idx::IdxArray {
        dims: vec![n],
        data: labels,
    });
    (images, labels)
}

pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(bytes).unwrap();
    enc.finish().unwrap()
}

/// A gzip bomb: `head`, then `zeros` zero bytes (a whole number of MiB), packed into
/// about a thousandth of that: one gzip member a MiB, the same bytes repeated, so it is
/// made at once and never held inflated. Readers of gzip take concatenated members as
/// one stream.
pub fn bomb(head: &[u8], zeros: u64) -> Vec<u8> {
    use std::io::Write;
    let pack = |bytes: &[u8]| {
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        enc.write_all(bytes).unwrap();
        enc.finish().unwrap()
    };
    let mib = vec![0u8; 1 << 20];
    let mut first = head.to_vec();
    first.extend_from_slice(&mib);
    let mut out = pack(&first);
    let member = pack(&mib);
    for _ in 1..zeros >> 20 {
        out.extend_from_slice(&member);
    }
    out
}
