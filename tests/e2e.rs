//! The built site (dist/) in a real browser, Debian's Chromium driven through
//! chromedriver: load it, draw on it, upload to it, break its index, and watch what it
//! asks the network for. Run by scripts/test.sh after `trunk build`:
//! `cargo test --release --test e2e -- --ignored`.
#![cfg(not(target_arch = "wasm32"))]

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
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
/// 404 for the index. Every request path is recorded.
struct Site {
    base: String,
    log: Arc<Mutex<Vec<String>>>,
}

fn serve() -> Site {
    let server = tiny_http::Server::http("127.0.0.1:0").expect("a free port");
    let base = format!(
        "http://{}",
        server.server_addr().to_ip().expect("an IP address")
    );
    let log = Arc::new(Mutex::new(Vec::new()));
    let seen = log.clone();
    std::thread::spawn(move || {
        for request in server.incoming_requests() {
            let url = request.url().split('?').next().unwrap_or("").to_owned();
            seen.lock().unwrap().push(url.clone());
            let mut parts = url.trim_start_matches('/').splitn(2, '/');
            let (mode, rest) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
            let rest = if rest.is_empty() || rest.ends_with('/') {
                format!("{rest}index.html")
            } else {
                rest.to_owned()
            };
            let path = dist().join(&rest);
            let body = match (mode, std::fs::read(&path)) {
                ("missing", _) if rest.ends_with("index.ssam.gz") => None,
                ("corrupt", Ok(mut b)) if rest.ends_with("index.ssam.gz") => {
                    let mid = b.len() / 2;
                    b[mid] ^= 0x5a;
                    Some(b)
                }
                ("ok" | "corrupt" | "missing", Ok(b)) => Some(b),
                _ => None,
            };
            let kind = match path.extension().and_then(|e| e.to_str()) {
                Some("html") => "text/html; charset=utf-8",
                Some("js") => "text/javascript",
                Some("wasm") => "application/wasm",
                Some("css") => "text/css",
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
    });
    Site { base, log }
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
        assert!(ready.contains("60000 training digits"), "{ready}");
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
            .find(Locator::Css("input[type=file]"))
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
