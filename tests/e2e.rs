//! The built site (dist/) in a real browser, Debian's Chromium driven through
//! chromedriver: load it, draw on it, upload to it, break its index, and watch what it
//! asks the network for. Run by scripts/test.sh after `trunk build`:
//! `cargo test --release --test e2e -- --ignored`.
#![cfg(not(target_arch = "wasm32"))]

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use fantoccini::actions::{InputSource, MOUSE_BUTTON_LEFT, MouseActions, PointerAction};
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

fn dist() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("dist")
}

/// A static server for dist/ on a free port. Paths start with a mode: /ok/ serves the
/// site as built, /corrupt/ flips a byte in the middle of the index, /missing/ answers
/// 404 for the index, /slow/ holds every data file (assets/) for two seconds so loading
/// takes a while, /badmap/ cuts the map file in half. `down` makes it refuse everything, as a network that is off. Every
/// request path is recorded.
struct Site {
    base: String,
    log: Arc<Mutex<Vec<String>>>,
    down: Arc<AtomicBool>,
}

fn serve() -> Site {
    let server = tiny_http::Server::http("127.0.0.1:0").expect("a free port");
    let base = format!(
        "http://{}",
        server.server_addr().to_ip().expect("an IP address")
    );
    let log = Arc::new(Mutex::new(Vec::new()));
    let down = Arc::new(AtomicBool::new(false));
    let (seen, off) = (log.clone(), down.clone());
    std::thread::spawn(move || {
        for request in server.incoming_requests() {
            let url = request.url().split('?').next().unwrap_or("").to_owned();
            seen.lock().unwrap().push(url.clone());
            if off.load(Ordering::SeqCst) {
                let _ = request.respond(tiny_http::Response::empty(503));
                continue;
            }
            // One thread a request: a held (slow) file must not hold the others.
            std::thread::spawn(move || respond(request, &url));
        }
    });
    Site { base, log, down }
}

fn respond(request: tiny_http::Request, url: &str) {
    let mut parts = url.trim_start_matches('/').splitn(2, '/');
    let (mode, rest) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let rest = if rest.is_empty() || rest.ends_with('/') {
        format!("{rest}index.html")
    } else {
        rest.to_owned()
    };
    let path = dist().join(&rest);
    if mode == "slow" && rest.starts_with("assets/") {
        std::thread::sleep(Duration::from_secs(2));
    }
    let body = match (mode, std::fs::read(&path)) {
        ("missing", _) if rest.ends_with("index.ssam.gz") => None,
        ("corrupt", Ok(mut b)) if rest.ends_with("index.ssam.gz") => {
            let mid = b.len() / 2;
            b[mid] ^= 0x5a;
            Some(b)
        }
        ("badmap", Ok(b)) if rest.ends_with("map.ssam.gz") => Some(b[..b.len() / 2].to_vec()),
        ("ok" | "corrupt" | "missing" | "slow" | "badmap", Ok(b)) => Some(b),
        _ => None,
    };
    let kind = match path.extension().and_then(|e| e.to_str()) {
        Some("html") => "text/html; charset=utf-8",
        Some("js") => "text/javascript",
        Some("wasm") => "application/wasm",
        Some("css") => "text/css",
        Some("webmanifest") => "application/manifest+json",
        Some("png") => "image/png",
        _ => "application/octet-stream",
    };
    let response = match body {
        Some(b) => tiny_http::Response::from_data(b)
            .with_header(tiny_http::Header::from_bytes("Content-Type", kind).unwrap())
            .boxed(),
        None => tiny_http::Response::from_string("not found")
            .with_status_code(404)
            .boxed(),
    };
    let _ = request.respond(response);
}

impl Site {
    fn requests(&self) -> Vec<String> {
        self.log.lock().unwrap().clone()
    }
}

/// Chromium, headless, through a chromedriver of our own on a free port.
struct Browser {
    client: Client,
    driver: Child,
}

async fn browser() -> Browser {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let driver =
        Command::new(std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "chromedriver".into()))
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver runs (scripts/setup.sh --browser installs it)");
    let profile = tempfile::tempdir().unwrap().keep();
    let caps = json!({
        "goog:chromeOptions": {
            "binary": std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into()),
            "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                     "--disable-component-update", "--no-first-run", "--disable-sync", "--window-size=1200,1000",
                     format!("--user-data-dir={}", profile.display())]
        }
    });
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let mut builder =
            ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new());
        builder.capabilities(caps.as_object().unwrap().clone());
        match builder.connect(&format!("http://127.0.0.1:{port}")).await {
            Ok(client) => return Browser { client, driver },
            Err(e) if Instant::now() > deadline => panic!("chromedriver did not start: {e}"),
            Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
        }
    }
}

impl Browser {
    async fn close(mut self) {
        let _ = self.client.close().await;
        let _ = self.driver.kill();
    }

    /// Text of the first element matching `css`, waiting for it to appear.
    async fn text(&self, css: &str) -> String {
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
    async fn until_text(&self, css: &str, needle: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let got = match self.client.find(Locator::Css(css)).await {
                Ok(el) => el.text().await.unwrap_or_default(),
                Err(_) => String::new(),
            };
            if got.contains(needle) {
                return got;
            }
            assert!(
                Instant::now() < deadline,
                "{css} never showed {needle:?}; last: {got:?}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn open_ready(&self, url: &str) {
        self.client.goto(url).await.unwrap();
        let ready = self.text("[data-testid=ready]").await;
        assert!(ready.contains("60000 MNIST images"), "{ready}");
    }

    /// Waits until the service worker has kept the site (its install fetches every file).
    async fn until_offline_ready(&self) {
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
    async fn attribute(&self, css: &str, attribute: &str) -> String {
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
    async fn hit_labels(&self) -> Vec<String> {
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

    /// Hands `files` to the own-set picker.
    async fn own_files(&self, files: &[&Path]) {
        let input = self
            .client
            .find(Locator::Css("[data-testid=own-files]"))
            .await
            .unwrap();
        let paths: Vec<&str> = files.iter().map(|f| f.to_str().unwrap()).collect();
        input.send_keys(&paths.join("\n")).await.unwrap();
    }

    /// Draws a seven: a bar across the top, then a stroke down to the lower left.
    async fn draw_seven(&self) {
        let pad = self.client.find(Locator::Css(".pad canvas")).await.unwrap();
        let mouse = MouseActions::new("pen".into())
            .then(PointerAction::MoveToElement {
                element: pad,
                duration: None,
                x: -60.0,
                y: -80.0,
            })
            .then(PointerAction::Down {
                button: MOUSE_BUTTON_LEFT,
            })
            .then(PointerAction::MoveBy {
                duration: Some(Duration::from_millis(100)),
                x: 120.0,
                y: 0.0,
            })
            .then(PointerAction::MoveBy {
                duration: Some(Duration::from_millis(100)),
                x: -40.0,
                y: 80.0,
            })
            .then(PointerAction::MoveBy {
                duration: Some(Duration::from_millis(100)),
                x: -40.0,
                y: 90.0,
            })
            .then(PointerAction::Up {
                button: MOUSE_BUTTON_LEFT,
            });
        self.client.perform_actions(mouse).await.unwrap();
    }

    async fn upload(&self, file: &Path) {
        let input = self
            .client
            .find(Locator::Css("[data-testid=picture-file]"))
            .await
            .unwrap();
        input.send_keys(file.to_str().unwrap()).await.unwrap();
    }
}

/// Test digit 0 of MNIST (a seven), ten times larger, dark on light, as a PNG.
fn seven_png(dir: &Path) -> PathBuf {
    let raw = std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/mnist/t10k-images-idx3-ubyte.gz"),
    )
    .unwrap();
    let set = ssam::idx::parse("t10k", &raw).unwrap();
    let img = image::GrayImage::from_fn(280, 280, |x, y| {
        image::Luma([255 - set.data[(y / 10 * 28 + x / 10) as usize]])
    });
    let path = dir.join("seven.png");
    img.save(&path).unwrap();
    path
}

#[tokio::test(flavor = "current_thread")]
#[ignore = "needs dist/ (trunk build --release) and chromedriver; scripts/test.sh runs it"]
async fn drawing_a_digit_shows_labelled_results() {
    let site = serve();
    let b = browser().await;
    b.open_ready(&format!("{}/ok/", site.base)).await;
    b.draw_seven().await;
    let results = b.until_text(".results", "predicted by").await;
    assert!(results.contains("Searched with your drawing"), "{results}");
    let hits = b
        .client
        .find_all(Locator::Css(".hits .hit-label"))
        .await
        .unwrap();
    assert_eq!(hits.len(), 10);
    for h in hits {
        let label = h.text().await.unwrap();
        assert!(
            label.len() == 1 && label.chars().all(|c| c.is_ascii_digit()),
            "label {label:?}"
        );
    }
    b.close().await;
}

#[tokio::test(flavor = "current_thread")]
#[ignore = "needs dist/ (trunk build --release) and chromedriver; scripts/test.sh runs it"]
async fn an_uploaded_png_is_searched_and_a_text_file_gets_a_message() {
    let site = serve();
    let dir = tempfile::tempdir().unwrap();
    let b = browser().await;
    b.open_ready(&format!("{}/ok/", site.base)).await;
    b.upload(&seven_png(dir.path())).await;
    let results = b.until_text(".results", "seven.png").await;
    assert!(results.contains("7"), "{results}");
    let verdict = b.text(".verdict .big").await;
    assert_eq!(verdict, "7");

    let text = dir.path().join("notes.txt");
    std::fs::write(&text, "not a picture").unwrap();
    b.upload(&text).await;
    let message = b.until_text("[data-testid=message]", "notes.txt").await;
    assert!(message.contains("not a picture"), "{message}");
    // The query stays what it was.
    assert!(b.text(".results").await.contains("seven.png"));
    b.close().await;
}

#[tokio::test(flavor = "current_thread")]
#[ignore = "needs dist/ (trunk build --release) and chromedriver; scripts/test.sh runs it"]
async fn a_corrupted_or_missing_index_shows_an_error_panel_naming_the_file() {
    let site = serve();
    let b = browser().await;
    b.client
        .goto(&format!("{}/corrupt/", site.base))
        .await
        .unwrap();
    let panel = b.text("[data-testid=load-error]").await;
    assert!(panel.contains("assets/index.ssam.gz"), "{panel}");
    assert!(
        panel.contains("gzip") || panel.contains("corrupt"),
        "{panel}"
    );
    b.client
        .goto(&format!("{}/missing/", site.base))
        .await
        .unwrap();
    let panel = b.until_text("[data-testid=load-error]", "404").await;
    assert!(panel.contains("assets/index.ssam.gz"), "{panel}");
    b.close().await;
}

#[tokio::test(flavor = "current_thread")]
#[ignore = "needs dist/ (trunk build --release) and chromedriver; scripts/test.sh runs it"]
async fn after_loading_drawing_and_uploading_make_no_requests() {
    let site = serve();
    let dir = tempfile::tempdir().unwrap();
    let png = seven_png(dir.path());
    let b = browser().await;
    b.open_ready(&format!("{}/ok/", site.base)).await;
    // The service worker keeps the site once it is loaded: wait for it to finish.
    b.until_offline_ready().await;
    let before = site.requests();
    b.draw_seven().await;
    b.until_text(".results", "your drawing").await;
    b.upload(&png).await;
    b.until_text(".results", "seven.png").await;
    assert_eq!(site.requests(), before, "requests after loading");
    // Nor anywhere else: every resource the page fetched is on this server.
    let urls = b
        .client
        .execute(
            "return performance.getEntriesByType('resource').map(e => e.name)",
            vec![],
        )
        .await
        .unwrap();
    for url in urls.as_array().unwrap() {
        assert!(url.as_str().unwrap().starts_with(&site.base), "{url}");
    }
    b.close().await;
}

#[tokio::test(flavor = "current_thread")]
#[ignore = "needs dist/ (trunk build --release) and chromedriver; scripts/test.sh runs it"]
async fn the_pad_draws_while_the_data_load_and_the_query_runs_when_they_are_in() {
    let site = serve();
    let b = browser().await;
    b.client
        .goto(&format!("{}/slow/", site.base))
        .await
        .unwrap();
    b.text("[data-testid=loading]").await;
    b.draw_seven().await;
    // The stroke is on the pad at once, while the data are still on their way.
    let ink = b
        .client
        .execute(
            "const c = document.querySelector('.pad canvas'); const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data; \
             let n = 0; for (let i = 0; i < d.length; i += 4) if (d[i] < 128) n++; return n;",
            vec![],
        )
        .await
        .unwrap();
    assert!(ink.as_u64().unwrap() > 500, "ink pixels: {ink}");
    assert!(
        b.client
            .find(Locator::Css("[data-testid=loading]"))
            .await
            .is_ok(),
        "the data were already in: the test proves nothing"
    );
    // The query waited and runs when the data are in.
    let results = b.until_text(".results", "predicted by").await;
    assert!(results.contains("Searched with your drawing"), "{results}");
    b.close().await;
}

#[tokio::test(flavor = "current_thread")]
#[ignore = "needs dist/ (trunk build --release) and chromedriver; scripts/test.sh runs it"]
async fn a_second_visit_works_with_the_network_off() {
    let site = serve();
    let b = browser().await;
    let url = format!("{}/ok/", site.base);
    b.open_ready(&url).await;
    b.until_offline_ready().await;
    b.draw_seven().await;
    b.until_text(".results", "predicted by").await;
    let online = b.hit_labels().await;

    site.down.store(true, Ordering::SeqCst);
    let refused = site.requests().len();
    b.open_ready(&url).await;
    b.draw_seven().await;
    b.until_text(".results", "predicted by").await;
    assert_eq!(b.hit_labels().await, online);
    // Whatever reached the server was refused: the page came from the cache.
    assert!(site.requests().len() >= refused);
    b.close().await;
}

/// `n` synthetic 28x28 shapes (0: filled square, 1: ring, 2: plus) at random sizes and
/// places, as raw IDX images and labels.
fn shapes(n: usize) -> (Vec<u8>, Vec<u8>) {
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

fn gzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(bytes).unwrap();
    enc.finish().unwrap()
}

#[tokio::test(flavor = "current_thread")]
#[ignore = "needs dist/ (trunk build --release) and chromedriver; scripts/test.sh runs it"]
async fn bad_own_set_files_are_named_and_the_current_set_stays() {
    let site = serve();
    let dir = tempfile::tempdir().unwrap();
    let (images, labels) = shapes(300);
    let write = |name: &str, bytes: &[u8]| {
        let p = dir.path().join(name);
        std::fs::write(&p, bytes).unwrap();
        p
    };
    let mut magic = images.clone();
    magic[0] = 7;
    let wrong_magic = write("magic-images.idx", &magic);
    let good_images = write("shapes-images.idx", &images);
    let short_labels = write(
        "short-labels.idx",
        &ssam::idx::to_bytes(&ssam::idx::IdxArray {
            dims: vec![299],
            data: vec![0; 299],
        }),
    );
    let packed = gzip(&images);
    let truncated = write("cut-images.idx.gz", &packed[..packed.len() / 2]);
    let big = write(
        "big-images.idx",
        &ssam::idx::to_bytes(&ssam::idx::IdxArray {
            dims: vec![2, 65, 65],
            data: vec![9; 2 * 65 * 65],
        }),
    );
    let _ = labels;

    let b = browser().await;
    b.open_ready(&format!("{}/ok/", site.base)).await;
    let cases: [(&[&Path], &str, &str); 4] = [
        (&[&wrong_magic], "idx", "magic-images.idx"),
        (&[&good_images, &short_labels], "count", "short-labels.idx"),
        (&[&truncated], "gzip", "cut-images.idx.gz"),
        (&[&big], "too-large", "64x64"),
    ];
    for (files, kind, needle) in cases {
        b.own_files(files).await;
        let text = b.until_text("[data-testid=own-error]", needle).await;
        assert_eq!(
            b.attribute("[data-testid=own-error]", "data-problem").await,
            kind,
            "{text}"
        );
        // MNIST is still the set searched.
        assert!(
            b.text("[data-testid=ready]")
                .await
                .contains("60000 MNIST images")
        );
    }
    b.draw_seven().await;
    b.until_text(".results", "predicted by").await;
    b.close().await;
}

#[tokio::test(flavor = "current_thread")]
#[ignore = "needs dist/ (trunk build --release) and chromedriver; scripts/test.sh runs it"]
async fn a_synthetic_own_set_is_indexed_searched_and_benchmarked() {
    let site = serve();
    let dir = tempfile::tempdir().unwrap();
    let (images, labels) = shapes(3000);
    let images_path = dir.path().join("shapes-images.idx.gz");
    std::fs::write(&images_path, gzip(&images)).unwrap();
    let labels_path = dir.path().join("shapes-labels.idx");
    std::fs::write(&labels_path, &labels).unwrap();

    let b = browser().await;
    b.open_ready(&format!("{}/ok/", site.base)).await;
    b.own_files(&[&images_path, &labels_path]).await;
    let ready = b
        .until_text("[data-testid=ready]", "3000 shapes-images.idx.gz images")
        .await;
    assert!(ready.contains("28x28"), "{ready}");
    // Pick one of its images: its nearest is itself, and the labels are the shapes'.
    b.client
        .find(Locator::Css(".pick .primary"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let results = b.until_text(".results", "predicted by").await;
    assert!(results.contains("Searched with image #"), "{results}");
    assert!(results.contains("close in pixels, 28x28"), "{results}");
    let labels = b.hit_labels().await;
    assert_eq!(labels.len(), 10);
    assert!(
        labels.iter().all(|l| ["0", "1", "2"].contains(&l.as_str())),
        "{labels:?}"
    );
    // The benchmark runs on it, with exact answers computed in the worker.
    b.client
        .find(Locator::Css(".bench button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    b.until_text("[data-testid=bench-status]", "done").await;
    let rows = b
        .client
        .find_all(Locator::Css(".bench tbody tr"))
        .await
        .unwrap();
    assert_eq!(rows.len(), 4, "forest rows only: an own set has no graph");
    b.close().await;
}

#[tokio::test(flavor = "current_thread")]
#[ignore = "needs dist/ (trunk build --release) and chromedriver; scripts/test.sh runs it"]
async fn nothing_runs_that_the_site_did_not_ship() {
    let site = serve();
    // Another origin, standing for anywhere else on the internet.
    let remote = serve();
    let dir = tempfile::tempdir().unwrap();
    let evil = format!("{}/ok/evil.js", remote.base);
    let svg = format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="200" height="200">
<script href="{evil}"></script><script>window.parent.pwned = true; fetch("{evil}");</script>
<image href="{}/ok/icons/icon-192.png" width="10" height="10"/>
<rect width="200" height="200" fill="white"/><rect x="90" y="20" width="20" height="160" fill="black"/></svg>"#,
        remote.base
    );
    let path = dir.path().join("one.svg");
    std::fs::write(&path, svg).unwrap();
    let b = browser().await;
    b.open_ready(&format!("{}/ok/", site.base)).await;
    b.upload(&path).await;
    // Decoded as a picture: searched like any other, its scripts never run.
    b.until_text(".results", "one.svg").await;
    // And the page itself cannot load a remote script either: the CSP refuses it.
    b.client
        .execute(
            "const s = document.createElement('script'); s.src = arguments[0]; document.head.appendChild(s);",
            vec![json!(evil)],
        )
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_secs(1)).await;
    let pwned = b
        .client
        .execute("return window.pwned === true", vec![])
        .await
        .unwrap();
    assert_eq!(pwned, json!(false));
    assert_eq!(
        remote.requests(),
        Vec::<String>::new(),
        "requests to another origin"
    );
    b.close().await;
}

/// The map's view as its canvas reports it: zoom against the whole map, and centre.
async fn map_view(b: &Browser) -> (f64, (f64, f64)) {
    let zoom = b.attribute("[data-testid=map]", "data-zoom").await;
    let centre = b.attribute("[data-testid=map]", "data-centre").await;
    let (x, y) = centre.split_once(',').expect("x,y");
    (
        zoom.parse().unwrap(),
        (x.parse().unwrap(), y.parse().unwrap()),
    )
}

#[tokio::test(flavor = "current_thread")]
#[ignore = "needs dist/ (trunk build --release) and chromedriver; scripts/test.sh runs it"]
async fn the_map_comes_after_the_first_result_and_moves_by_keyboard() {
    use fantoccini::key::Key;
    let site = serve();
    let b = browser().await;
    b.open_ready(&format!("{}/ok/", site.base)).await;
    // Before a result there is no map panel, so nothing asks for the map (the service
    // worker's offline copy aside; bench/map.js times the page's own request).
    assert!(
        b.client
            .find(Locator::Css("[data-testid=map]"))
            .await
            .is_err(),
        "a map before any result"
    );
    b.draw_seven().await;
    b.until_text(".results", "predicted by").await;
    let deadline = Instant::now() + Duration::from_secs(30);
    while b.attribute("[data-testid=map]", "data-state").await != "ready" {
        assert!(Instant::now() < deadline, "the map never became ready");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(site.requests().iter().any(|r| r.ends_with("map.ssam.gz")));
    let landed = b
        .until_text("[data-testid=map-where]", "lands among the")
        .await;
    assert!(landed.contains("your drawing"), "{landed}");

    let map = b
        .client
        .find(Locator::Css("[data-testid=map]"))
        .await
        .unwrap();
    let (zoom, (x, y)) = map_view(&b).await;
    assert!((zoom - 1.0).abs() < 1e-3, "starts whole: {zoom}");
    map.send_keys("+").await.unwrap();
    map.send_keys("+").await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let (zoomed, _) = map_view(&b).await;
    assert!((zoomed - 2.25).abs() < 1e-2, "two steps in: {zoomed}");
    for key in [Key::Right, Key::Down] {
        map.send_keys(&char::from(key).to_string()).await.unwrap();
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let (_, (x2, y2)) = map_view(&b).await;
    assert!(
        x2 > x && y2 > y,
        "right and down moved the centre from ({x}, {y}) to ({x2}, {y2})"
    );
    map.send_keys("-").await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let (out, _) = map_view(&b).await;
    assert!((out - 1.5).abs() < 1e-2, "one step out: {out}");
    let focused = b
        .client
        .execute(
            "return document.activeElement.dataset.testid + ' ' + getComputedStyle(document.activeElement).outlineStyle",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(focused, json!("map solid"), "the map holds a visible focus");
    b.close().await;
}

#[tokio::test(flavor = "current_thread")]
#[ignore = "needs dist/ (trunk build --release) and chromedriver; scripts/test.sh runs it"]
async fn a_truncated_map_gets_a_message_and_search_still_works() {
    let site = serve();
    let b = browser().await;
    b.open_ready(&format!("{}/badmap/", site.base)).await;
    b.draw_seven().await;
    b.until_text(".results", "predicted by").await;
    let problem = b
        .until_text("[data-testid=map-problem]", "map.ssam.gz")
        .await;
    assert!(problem.contains("Everything else works"), "{problem}");
    // The page goes on searching: a test digit picked by number is answered.
    b.client
        .find(Locator::Css("#test-number"))
        .await
        .unwrap()
        .send_keys("0")
        .await
        .unwrap();
    b.client
        .find(Locator::Css(".pick form button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    b.until_text(".results", "test digit #0").await;
    b.close().await;
}
