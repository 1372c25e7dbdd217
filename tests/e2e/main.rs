//! The built site (dist/) in a real browser, Debian's Chromium driven through
//! chromedriver: load it, draw on it, upload to it, break its index, and watch what it
//! asks the network for. Run by scripts/test.sh after `trunk build`:
//! `cargo test --release --test e2e` (a target of its own: plain `cargo test` skips it).
#![cfg(not(target_arch = "wasm32"))]

#[path = "../site/mod.rs"]
mod site;

mod map;
mod offline;
mod panels;
mod trust;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use fantoccini::Locator;
use serde_json::json;
use site::{Browser, Config, Visit, bomb, gzip, mnist, mnist_idx, poll, serve, seven_png, shapes};

#[tokio::test(flavor = "current_thread")]
async fn drawing_a_digit_shows_labelled_results() {
    let b = Visit::ready("/ok/").await;
    b.ask_seven().await;
    let results = b.text(".results").await;
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
    // Selecting a hit shows why it is similar; from there it can be searched for. A
    // newer answer to the same drawing (the pad asks while the stroke is drawn, and the
    // last answer may land after the click) starts with no hit selected: then select
    // again, in the answer now shown.
    let mut why = Err(String::new());
    for _ in 0..3 {
        let first = b.client.find(Locator::Css(".hits .hit")).await.unwrap();
        first.click().await.unwrap();
        why = b
            .text_within(
                "[data-testid=why]",
                "Why training digit #",
                Duration::from_secs(10),
            )
            .await;
        if why.is_ok() {
            break;
        }
    }
    let why = why.unwrap_or_else(|last| panic!("no why: {last:?}"));
    assert!(why.contains("only in the query"), "{why}");
    assert!(why.contains("matched in place"), "{why}");
    let arrows = b
        .client
        .find_all(Locator::Css("[data-testid=why] svg line"))
        .await
        .unwrap();
    assert!(
        !arrows.is_empty(),
        "a drawn seven matches no training seven pixel for pixel"
    );
    b.click("[data-testid=why] .primary").await;
    b.until_text(".results", "Searched with training digit #")
        .await;
}

#[tokio::test(flavor = "current_thread")]
async fn an_uploaded_png_is_searched_and_a_text_file_gets_a_message() {
    let b = Visit::ready("/ok/").await;
    b.upload(&seven_png(b.dir())).await;
    let results = b.until_text(".results", "seven.png").await;
    assert!(results.contains("7"), "{results}");
    let verdict = b.text(".verdict .big").await;
    assert_eq!(verdict, "7");

    let text = b.dir().join("notes.txt");
    std::fs::write(&text, "not a picture").unwrap();
    b.upload(&text).await;
    let message = b.until_text("[data-testid=message]", "notes.txt").await;
    assert!(message.contains("not a picture"), "{message}");
    // The query stays what it was.
    assert!(b.text(".results").await.contains("seven.png"));
}

/// The first bytes of a PNG declaring `side` x `side` grey pixels: enough for the page,
/// which reads a picture's size before it decodes anything.
fn png_header(side: u32) -> Vec<u8> {
    let mut b = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR".to_vec();
    b.extend(side.to_be_bytes());
    b.extend(side.to_be_bytes());
    b.extend([8, 0, 0, 0, 0, 0, 0, 0, 0]);
    b
}

#[tokio::test(flavor = "current_thread")]
async fn a_picture_too_large_is_said_so_and_a_large_one_is_searched() {
    let b = Visit::ready("/ok/").await;
    // 30000x30000 would take 3.6 GB to decode: said to be too large, not undecodable.
    let huge = write(b.dir(), "huge.png", &png_header(30_000));
    b.upload(&huge).await;
    let message = b.until_text("[data-testid=message]", "huge.png").await;
    assert!(
        message.contains("huge.png is 30000x30000 pixels, too large"),
        "{message}"
    );
    // 12000x12000 (a test digit, a seven, 428 times its size) is decoded in the worker
    // and searched.
    let set = mnist_idx("t10k-images-idx3-ubyte.gz");
    let big = image::GrayImage::from_fn(12_000, 12_000, |x, y| {
        let (x, y) = (x / 428, y / 428);
        image::Luma([if x < 28 && y < 28 {
            set.data[(y * 28 + x) as usize]
        } else {
            0
        }])
    });
    let path = b.dir().join("big.png");
    big.save(&path).unwrap();
    drop(big);
    b.upload(&path).await;
    b.until_text(".results", "big.png").await;
    assert_eq!(b.text(".verdict .big").await, "7");
}

#[tokio::test(flavor = "current_thread")]
async fn a_corrupted_or_missing_index_shows_an_error_panel_naming_the_file() {
    // MNIST is searched by parts first; the index comes with the whole set, after the
    // first result, and its damage is named then, while searching by parts goes on.
    let b = Visit::ready("/corrupt/").await;
    b.ask_seven().await;
    let panel = b.text("[data-testid=load-error]").await;
    assert!(panel.contains("assets/index.ssam.gz"), "{panel}");
    assert!(panel.contains("Searching goes on"), "{panel}");
    // A flipped byte breaks the stream, or makes it inflate past the size the index's
    // header declares (where reading stops), or fails the checksum.
    assert!(
        ["gzip", "corrupt", "checksum", "header declares"]
            .iter()
            .any(|w| panel.contains(w)),
        "{panel}"
    );
    b.draw_seven().await;
    b.until_content(".results", "parts of the set nearest to it")
        .await;
    b.open("/missing/").await;
    b.draw_seven().await;
    let panel = b.until_text("[data-testid=load-error]", "404").await;
    assert!(panel.contains("assets/index.ssam.gz"), "{panel}");
    // Without its root, MNIST cannot be searched at all: the panel names the root.
    b.goto("/noroot/").await;
    let panel = b.until_text("[data-testid=load-error]", "404").await;
    assert!(panel.contains("assets/mnist-train.root"), "{panel}");
}

#[tokio::test(flavor = "current_thread")]
async fn the_test_server_answers_byte_ranges_with_206_and_gzips_the_webassembly() {
    // Nothing asks the site for anything yet: its log's last line is the request here.
    let b = Visit::desktop().start().await;
    let file = std::fs::read(site::dist().join("assets/index.ssam.gz")).unwrap();
    let (status, headers, body) = b
        .site
        .get("/ok/assets/index.ssam.gz", &["Range: bytes=1000-1999"]);
    assert_eq!(status, 206);
    assert_eq!(body, file[1000..2000]);
    let range = format!("bytes 1000-1999/{}", file.len());
    assert!(
        headers.contains(&("content-range".into(), range)),
        "{headers:?}"
    );
    let served = b.site.log().pop().unwrap();
    assert_eq!(served.range.as_deref(), Some("bytes=1000-1999"));
    assert!(served.bytes < 1500, "{served:?}");

    // A browser's Range request gets its 206 too: it asks for no compression, which would
    // make nginx send the whole file. Past the HTTP cache: there the page's worker left
    // the whole file as nginx gzipped it, and Chromium answers a range of that copy, which
    // nginx revalidates with a 304, with ERR_CONTENT_DECODING_FAILED.
    b.open("/ok/").await;
    let got = b
        .client
        .execute_async(
            "const done = arguments[1]; \
             fetch(arguments[0], { headers: { Range: 'bytes=1000-1999' }, cache: 'no-store' }) \
               .then(async r => done([r.status, Array.from(new Uint8Array(await r.arrayBuffer()))]), e => done(String(e)));",
            vec![json!(b.url("/ok/assets/index.ssam.gz"))],
        )
        .await
        .unwrap();
    assert_eq!(got, json!([206, file[1000..2000]]));
    let site = b.leave();

    let wasm = std::fs::read_dir(site::dist())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .find(|n| n.ends_with(".wasm"))
        .unwrap();
    let size = std::fs::metadata(site::dist().join(&wasm)).unwrap().len();
    let (status, headers, _) = site.get(&format!("/ok/{wasm}"), &["Accept-Encoding: gzip"]);
    assert_eq!(status, 200);
    assert!(
        headers.contains(&("content-encoding".into(), "gzip".into())),
        "{headers:?}"
    );
    assert!(
        headers.contains(&("content-type".into(), "application/wasm".into())),
        "{headers:?}"
    );
    let served = site.log().pop().unwrap();
    assert!(served.bytes < size / 2, "{served:?} of {size} bytes");
}

#[tokio::test(flavor = "current_thread")]
async fn after_loading_drawing_and_uploading_make_no_requests() {
    let b = Visit::ready("/ok/").await;
    let png = seven_png(b.dir());
    // Once a first result is shown, the whole set downloads and the service worker
    // keeps the page: wait for both to finish.
    b.until_kept().await;
    // Chromium checks the service worker's script for a newer version by itself, about
    // half a minute after the worker last served (a revalidation of sw.js, whatever the
    // page does); every other request would be the page's.
    let page_requests = || -> Vec<String> {
        let mut paths = b.site.requests();
        paths.retain(|p| !p.ends_with("/sw.js"));
        paths
    };
    let before = page_requests();
    b.draw_seven().await;
    b.until_text(".results", "your drawing").await;
    b.upload(&png).await;
    b.until_text(".results", "seven.png").await;
    assert_eq!(page_requests(), before, "requests after loading");
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
        assert!(url.as_str().unwrap().starts_with(&b.site.base), "{url}");
    }
}

#[tokio::test(flavor = "current_thread")]
async fn the_pad_draws_while_the_data_load_and_the_query_runs_when_they_are_in() {
    let b = Visit::desktop().start().await;
    b.goto("/slow/").await;
    b.text("[data-testid=loading]").await;
    b.draw_seven().await;
    // The stroke is on the pad at once, while the data are still on their way.
    let ink = b.pad_ink().await;
    assert!(ink > 500, "ink pixels: {ink}");
    assert!(
        b.client
            .find(Locator::Css("[data-testid=loading]"))
            .await
            .is_ok(),
        "the data were already in: the test proves nothing"
    );
    // The query waited and runs when the data are in.
    b.until_text("[data-testid=verdict]", "nearest").await;
    let results = b.text(".results").await;
    assert!(results.contains("Searched with your drawing"), "{results}");
}

#[tokio::test(flavor = "current_thread")]
async fn a_second_visit_works_with_the_network_off() {
    let b = Visit::ready("/ok/").await;
    b.until_kept().await;
    // A query that is the same on both visits (a drawing is not: its strokes land as
    // the busy page takes them).
    pick_by_number(&b, "test digit", 0).await;
    let online = b.hit_labels().await;

    b.site.set_down(true);
    let refused = b.site.requests().len();
    b.open("/ok/").await;
    pick_by_number(&b, "test digit", 0).await;
    assert_eq!(b.hit_labels().await, online);
    b.ask_seven().await;
    // A test digit too: the test digits were kept with the whole set.
    b.click(".pick .primary").await;
    b.until_text(".results", "Searched with test digit #").await;
    // Whatever reached the server was refused: the page came from the cache.
    assert!(b.site.requests().len() >= refused);
}

#[tokio::test(flavor = "current_thread")]
async fn bad_own_set_files_are_named_and_the_current_set_stays() {
    let b = Visit::ready("/ok/").await;
    let (images, labels) = shapes(300);
    let write = |name: &str, bytes: &[u8]| {
        let p = b.dir().join(name);
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
        assert!(b.text("[data-testid=ready]").await.contains("60,000 MNIST"));
    }
    b.ask_seven().await;
}

#[tokio::test(flavor = "current_thread")]
async fn a_synthetic_own_set_is_indexed_searched_and_benchmarked() {
    let b = Visit::ready("/ok/").await;
    let (images, labels) = shapes(3000);
    let images_path = b.dir().join("shapes-images.idx.gz");
    std::fs::write(&images_path, gzip(&images)).unwrap();
    let labels_path = b.dir().join("shapes-labels.idx");
    std::fs::write(&labels_path, &labels).unwrap();

    b.own_files(&[&images_path, &labels_path]).await;
    let ready = b
        .until_text(
            "[data-testid=ready]",
            "Your set shapes-images: 2,850 images",
        )
        .await;
    assert!(ready.contains("28x28"), "{ready}");
    // Pick one of its held-out images: the labels found are the shapes'.
    b.click(".pick .primary").await;
    b.until_text("[data-testid=verdict]", "nearest").await;
    let results = b.until_content(".results", "Searched with image #").await;
    assert!(results.contains("close in pixels, 28x28"), "{results}");
    let labels = b.hit_labels().await;
    assert_eq!(labels.len(), 10);
    assert!(
        labels.iter().all(|l| ["0", "1", "2"].contains(&l.as_str())),
        "{labels:?}"
    );
    // The benchmark runs on it, with exact answers computed in the worker.
    b.click(".bench button").await;
    // Its queries are the 150 images held out of the index (every 20th), so none
    // finds itself; QPS is timed over long enough for the clock; one line a method.
    let status = b.until_text("[data-testid=bench-status]", "done").await;
    assert!(status.contains("done: 150 queries"), "{status}");
    let rows = b
        .client
        .find_all(Locator::Css(".bench tbody tr"))
        .await
        .unwrap();
    assert_eq!(
        rows.len(),
        5,
        "forest rows and the default re-ranked: an own set has no graph"
    );
    for row in rows {
        let cells: Vec<String> = futures_cells(&row).await;
        let qps: f64 = cells[2].replace(',', "").parse().unwrap();
        assert!(qps > 0.0 && qps < 10_000_000.0, "{cells:?}");
    }
    let lines = b
        .js(
            "return [...document.querySelectorAll('.bench .plot polyline')].map(p => p.dataset.method)",
            vec![],
        )
        .await;
    assert_eq!(lines, json!(["forest"]));
}

/// An own set given as gzip leaves the worker holding its pixels about once (plus its
/// forest and held-out queries), never a read buffer sized by guess: the inflater once
/// reserved five times the compressed size, five times the set for pixels that do not
/// compress. Allowed: twice the pixels above what the worker held for MNIST.
#[tokio::test(flavor = "current_thread")]
async fn an_own_sets_worker_memory_stays_within_twice_its_pixel_bytes() {
    // 33 MB of pixels: far above what the worker holds for MNIST (about 1.4 MB), and
    // light enough not to starve the test running beside it.
    const COUNT: usize = 8_000;
    const SIDE: usize = 64;
    let b = Visit::ready("/ok/").await;
    // Noise: the worst case for a buffer sized from the compressed size, and the pixels
    // of the measurement the issue reported.
    let mut seed = 0x9E37_79B9_7F4A_7C15u64;
    let pixels: Vec<u8> = (0..COUNT * SIDE * SIDE)
        .map(|_| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed >> 24) as u8
        })
        .collect();
    let images = ssam::idx::to_bytes(&ssam::idx::IdxArray {
        dims: vec![COUNT, SIDE, SIDE],
        data: pixels,
    });
    let images = write(b.dir(), "noise-images.idx.gz", &gzip(&images));
    let pixel_mb = (COUNT * SIDE * SIDE) as f64 / 1e6;

    // What the worker held for MNIST, searched by parts: the allowance above the set.
    let mnist_mb: f64 = b
        .attribute("[data-testid=ready]", "data-memory-mb")
        .await
        .parse()
        .unwrap();
    b.own_files(&[&images]).await;
    b.until_text("[data-testid=ready]", "Your set noise-images: ")
        .await;
    let own_mb: f64 = b
        .attribute("[data-testid=ready]", "data-memory-mb")
        .await
        .parse()
        .unwrap();
    eprintln!(
        "worker memory: {mnist_mb:.1} MB with MNIST, {own_mb:.1} MB with {pixel_mb:.1} MB of own pixels ({:.2}x them above MNIST)",
        (own_mb - mnist_mb) / pixel_mb
    );
    assert!(
        own_mb <= mnist_mb + 2.0 * pixel_mb,
        "the worker holds {own_mb:.1} MB for {pixel_mb:.1} MB of pixels ({mnist_mb:.1} MB before the set)"
    );
}

/// A folder of pictures `dir/paper/{seven,zero}/N.png`: MNIST test sevens and zeros, dark
/// ink on white paper.
fn paper_folder(dir: &Path) -> PathBuf {
    let (images, labels) = (
        mnist_idx("t10k-images-idx3-ubyte.gz"),
        mnist_idx("t10k-labels-idx1-ubyte.gz"),
    );
    let root = dir.join("paper");
    for (class, digit) in [("seven", 7), ("zero", 0)] {
        std::fs::create_dir_all(root.join(class)).unwrap();
        let chosen = (0..labels.data.len())
            .filter(|&i| labels.data[i] == digit)
            .take(40);
        for (n, i) in chosen.enumerate() {
            let img = image::GrayImage::from_fn(28, 28, |x, y| {
                image::Luma([255 - images.data[i * 784 + (y * 28 + x) as usize]])
            });
            img.save(root.join(class).join(format!("{n}.png"))).unwrap();
        }
    }
    root
}

#[tokio::test(flavor = "current_thread")]
async fn a_dark_on_light_folder_set_is_inverted_and_matches_drawn_and_uploaded_queries() {
    let b = Visit::ready("/ok/").await;
    let folder = paper_folder(b.dir());
    b.client
        .find(Locator::Css("[data-testid=own-folder]"))
        .await
        .unwrap()
        .send_keys(folder.to_str().unwrap())
        .await
        .unwrap();
    b.until_text("[data-testid=ready]", "paper: 80 images")
        .await;
    let note = b.text("[data-testid=own-inverted]").await;
    assert!(note.contains("inverted"), "{note}");
    // A drawing is light ink on black: it meets the inverted set, not its negative.
    b.ask_seven().await;
    assert_eq!(b.hit_labels().await[0], "seven");
    // An upload dark on light is inverted per query, and meets the set the same way.
    b.upload(&seven_png(b.dir())).await;
    b.until_text(".results", "seven.png").await;
    let labels = b.hit_labels().await;
    assert_eq!(labels[0], "seven", "{labels:?}");
}

async fn futures_cells(row: &fantoccini::elements::Element) -> Vec<String> {
    let mut out = Vec::new();
    for td in row.find_all(Locator::Css("td")).await.unwrap() {
        out.push(td.text().await.unwrap());
    }
    out
}

#[tokio::test(flavor = "current_thread")]
async fn nothing_runs_that_the_site_did_not_ship() {
    let b = Visit::ready("/ok/").await;
    // Another origin, standing for anywhere else on the internet.
    let remote = serve();
    let evil = format!("{}/ok/evil.js", remote.base);
    let svg = format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="200" height="200">
<script href="{evil}"></script><script>window.parent.pwned = true; fetch("{evil}");</script>
<image href="{}/ok/icons/icon-192.png" width="10" height="10"/>
<rect width="200" height="200" fill="white"/><rect x="90" y="20" width="20" height="160" fill="black"/></svg>"#,
        remote.base
    );
    let path = b.dir().join("one.svg");
    std::fs::write(&path, svg).unwrap();
    b.upload(&path).await;
    // Decoded as a picture: searched like any other, its scripts never run.
    b.until_text(".results", "one.svg").await;
    // And the page itself cannot load a remote script either: the CSP refuses it. The
    // script says how it ended (fetched and run, or not) before anything is looked at.
    let ended = b
        .client
        .execute_async(
            "const [url, done] = arguments; const s = document.createElement('script'); \
             s.onload = () => done('ran'); s.onerror = () => done('refused'); \
             s.src = url; document.head.appendChild(s);",
            vec![json!(evil)],
        )
        .await
        .unwrap();
    assert_eq!(ended, json!("refused"));
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
}

/// Writes `bytes` as `name` in `dir`.
fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

/// The own-set panel's error once it names `needle`: its kind and text.
async fn own_error(b: &Browser, needle: &str) -> (String, String) {
    let text = b.until_text("[data-testid=own-error]", needle).await;
    (
        b.attribute("[data-testid=own-error]", "data-problem").await,
        text,
    )
}

#[tokio::test(flavor = "current_thread")]
async fn gzip_bombs_stop_at_a_limit_named_with_the_file_and_the_page_keeps_working() {
    let b = Visit::ready("/ok/").await;
    // Each inflates to 2 GiB: zeros alone, zeros behind a valid IDX header of 60,000
    // 28x28 images, zeros behind a saved index's header that declares 1,000 bytes.
    let gib2 = 2u64 << 30;
    let zeros = write(b.dir(), "zeros-images.idx.gz", &bomb(&[], gib2));
    let mut idx_head = vec![0, 0, 8, 3];
    for d in [60_000u32, 28, 28] {
        idx_head.extend_from_slice(&d.to_be_bytes());
    }
    let behind_idx = write(b.dir(), "header-images.idx.gz", &bomb(&idx_head, gib2));
    let mut index_head = b"SSAMIDX\0".to_vec();
    index_head.extend_from_slice(&2u32.to_le_bytes());
    index_head.extend_from_slice(&0u64.to_le_bytes());
    index_head.extend_from_slice(&1000u64.to_le_bytes());
    let behind_index = write(b.dir(), "bomb.ssam.gz", &bomb(&index_head, gib2));

    // Zeros are no IDX file: read no further than their first bytes, refused by name.
    b.own_files(&[&zeros]).await;
    let (kind, text) = own_error(&b, "zeros-images.idx.gz").await;
    assert_eq!(kind, "idx", "{text}");
    // Behind a header, the file stops at the size it declares.
    b.own_files(&[&behind_idx]).await;
    let (kind, text) = own_error(&b, "header-images.idx.gz").await;
    assert_eq!(kind, "size", "{text}");
    assert!(text.contains("47040016 bytes"), "{text}");
    b.own_files(&[&behind_index]).await;
    let (kind, text) = own_error(&b, "bomb.ssam.gz").await;
    assert_eq!(kind, "size", "{text}");
    assert!(text.contains("1028 bytes"), "{text}");
    // Nothing blamed the site, the engine still answers, and a good set is taken.
    assert!(
        b.client
            .find(Locator::Css("[data-testid=load-error]"))
            .await
            .is_err()
    );
    assert!(b.text("[data-testid=ready]").await.contains("60,000 MNIST"));
    b.ask_seven().await;
    let (images, _) = shapes(300);
    let good = write(b.dir(), "shapes-images.idx", &images);
    b.own_files(&[&good]).await;
    b.until_text("[data-testid=ready]", "Your set shapes-images")
        .await;
}

#[tokio::test(flavor = "current_thread")]
async fn a_worker_that_stops_on_an_own_set_is_started_again_and_the_panel_blames_the_file() {
    let b = Visit::ready("/ok/").await;
    let (images, labels) = shape_files(b.dir(), 3000);
    // Catch the page's worker as it is handed the files, then make it fail as a worker
    // does when it traps (a panic, or memory run out).
    b.js(
        "const post = Worker.prototype.postMessage; \
         Worker.prototype.postMessage = function (...a) { window.__worker = this; return post.apply(this, a); };",
        vec![],
    )
    .await;
    b.own_files(&[&images, &labels]).await;
    b.js(
        "window.__worker.dispatchEvent(new ErrorEvent('error', { message: 'RuntimeError: unreachable' }));",
        vec![],
    )
    .await;
    let (kind, text) = own_error(&b, "shapes-images.idx").await;
    assert_eq!(kind, "stopped", "{text}");
    assert!(text.contains("started again"), "{text}");
    // A new worker loads MNIST again; the site's files are not blamed.
    b.until_text("[data-testid=ready]", "60,000 MNIST").await;
    assert!(
        b.client
            .find(Locator::Css("[data-testid=load-error]"))
            .await
            .is_err()
    );
    b.ask_seven().await;
    // And an own set is not refused as if another were still being indexed.
    b.own_files(&[&images, &labels]).await;
    b.until_text("[data-testid=ready]", "Your set shapes-images")
        .await;
}

/// A copy of dist/ as the next deploy would be: the app's hashed script under a new
/// name (so the page differs and the old name is gone), the CSP hash and the service
/// worker's version and file list made again by the build's own hook. Returns the
/// folder and the new script's name.
fn next_build(dir: &Path) -> (PathBuf, String) {
    let to = dir.join("build2");
    let copy = Command::new("cp")
        .args(["-r"])
        .arg(site::dist())
        .arg(&to)
        .status()
        .unwrap();
    assert!(copy.success());
    let script = std::fs::read_dir(&to)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .find(|n| n.starts_with("ssam-web-") && n.ends_with(".js"))
        .expect("Trunk's hashed app script");
    let renamed = script.replace("ssam-web-", "ssam-web-next");
    std::fs::rename(to.join(&script), to.join(&renamed)).unwrap();
    let page = std::fs::read_to_string(to.join("index.html")).unwrap();
    let mut page = page.replace(&script, &renamed);
    // Back to the placeholder the hook fills in.
    while let Some(at) = page.find("'sha256-") {
        let end = at + 1 + page[at + 1..].find('\'').unwrap();
        page.replace_range(at..=end, "'sha256-INLINE'");
        if page[at + 1..].find("'sha256-").is_none() {
            break;
        }
        // More than one inline script: keep one placeholder, drop the others.
        let next = at + 1 + page[at + 1..].find("'sha256-").unwrap();
        let end = next + 1 + page[next + 1..].find('\'').unwrap();
        page.replace_range(next - 1..=end, "");
    }
    std::fs::write(to.join("index.html"), page).unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    std::fs::copy(root.join("web/sw.js"), to.join("sw.js")).unwrap();
    let hook = Command::new("python3")
        .arg(root.join("scripts/post_build.py"))
        .arg(&to)
        .status()
        .unwrap();
    assert!(hook.success());
    (to, renamed)
}

/// The names of the service worker's caches (not the engine's data cache).
async fn caches(b: &Browser) -> serde_json::Value {
    b.client
        .execute_async(
            "const done = arguments[0]; caches.keys().then(k => done(k.filter(n => n.startsWith('ssam-'))), () => done([]));",
            vec![],
        )
        .await
        .unwrap()
}

#[tokio::test(flavor = "current_thread")]
async fn a_new_deploy_under_max_age_reaches_a_returning_visitor_and_no_visit_is_blank() {
    let b = Visit::desktop()
        .serving(Config::standard().cache_control("max-age=600"))
        .ready("/ok/")
        .await;
    let (build2, script2) = next_build(b.dir());
    b.until_kept().await;
    let before = caches(&b).await;
    assert_eq!(before.as_array().unwrap().len(), 1, "{before}");

    b.site.deploy(&build2);
    // The first visit after the deploy: the page works (build 1 from the cache, or 2),
    // while the new service worker fills its cache from the server, not from the
    // browser's HTTP cache.
    b.open("/ok/").await;
    let replaced = |now: &serde_json::Value| now.as_array().unwrap().len() == 1 && *now != before;
    poll(Duration::from_secs(60), || caches(&b), replaced)
        .await
        .unwrap_or_else(|now| panic!("the new build's cache never replaced the old: {now}"));
    // The second visit is build 2, and it works.
    b.open("/ok/").await;
    let html = b
        .js("return document.documentElement.outerHTML", vec![])
        .await;
    assert!(
        html.as_str().unwrap().contains(&script2),
        "the second visit after the deploy is not the new build"
    );
    b.ask_seven().await;
}

#[tokio::test(flavor = "current_thread")]
async fn escape_clears_only_the_drawing_and_two_dropped_pictures_say_which_was_used() {
    let b = Visit::ready("/ok/").await;
    let escape = "document.body.dispatchEvent(new KeyboardEvent('keydown', { key: arguments[0], bubbles: true }));";
    b.click(".pick .primary").await;
    b.until_text(".results", "Searched with test digit #").await;
    for key in ["Escape", "Delete"] {
        b.js(escape, vec![json!(key)]).await;
        b.two_frames().await;
        let results = b.text(".results").await;
        assert!(results.contains("test digit #"), "{key}: {results}");
    }
    b.draw_seven().await;
    b.until_text(".results", "your drawing").await;
    b.js(escape, vec![json!("Escape")]).await;
    b.until_text("[data-testid=message]", "Draw a digit").await;
    assert!(b.client.find(Locator::Css(".results")).await.is_err());

    // Two pictures dropped at once: the first is searched, and the page says so.
    let said = b
        .client
        .execute_async(
            "const done = arguments[0]; \
             fetch('icons/icon-192.png').then(r => r.blob()).then(blob => { \
               const dt = new DataTransfer(); \
               dt.items.add(new File([blob], 'first.png', { type: 'image/png' })); \
               dt.items.add(new File([blob], 'second.png', { type: 'image/png' })); \
               document.querySelector('.ask .drop').dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true })); \
               done(true); });",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(said, json!(true));
    let message = b
        .until_text("[data-testid=message]", "2 files were given")
        .await;
    assert!(message.contains("searched with first.png"), "{message}");
    b.until_text(".results", "first.png").await;
}

#[tokio::test(flavor = "current_thread")]
async fn back_to_mnist_while_an_own_set_is_indexed_cancels_it() {
    let b = Visit::ready("/ok/").await;
    let (images, _) = shapes(40_000);
    let many = write(b.dir(), "many-images.idx", &images);
    let other = write(b.dir(), "other-images.idx", &images);
    // Every line the status ever shows, kept: a cancelled set must never become ready.
    b.js(
        "window.__ready = []; new MutationObserver(() => { const r = document.querySelector('[data-testid=ready]'); if (r) window.__ready.push(r.textContent); }).observe(document.body, { subtree: true, childList: true, characterData: true });",
        vec![],
    )
    .await;
    b.own_files(&[&many]).await;
    b.text("[data-testid=own-progress]").await;
    b.click("[data-testid=back-to-mnist]").await;
    b.until_text("[data-testid=ready]", "60,000 MNIST").await;
    // A set of the same size asked right after: it is not refused as "another set is
    // being indexed", and it is ready only after the cancelled one would have been, had
    // that gone on (it started first and is as large).
    b.own_files(&[&other]).await;
    b.text_within(
        "[data-testid=ready]",
        "Your set other-images",
        Duration::from_secs(240),
    )
    .await
    .unwrap_or_else(|last| panic!("the second set was never ready: {last}"));
    let seen = b.js("return window.__ready", vec![]).await;
    assert!(
        !seen.to_string().contains("Your set many-images"),
        "the cancelled set became ready: {seen}"
    );
}

/// Builds, in the page, a dropped folder `pets/` of 120 small pictures in two classes
/// (`a/` squares, `b/` discs), a text file, an empty PNG and one too large, plus the saved index under
/// each name in `extra`, and drops it on the folder zone. Chromium hands a script's drop no
/// directory entries, so the entries are made here the way a real drop gives them.
const DROP_FOLDER: &str = r#"
const [extra, done] = arguments;
(async () => {
  // Drawn once a page and kept: a second drop reuses them (120 encodings can take many
  // seconds on a loaded machine while the page downloads MNIST in the background).
  if (!window.__pets) {
    window.__pets = [];
    for (let i = 0; i < 120; i++) {
      const c = new OffscreenCanvas(20, 20), g = c.getContext('2d');
      g.fillStyle = '#fff'; g.fillRect(0, 0, 20, 20); g.fillStyle = '#000';
      const r = 3 + (i * 7) % 6, x = 10 + (i % 3) - 1, y = 10 + (i % 5) - 2;
      if (i % 2) { g.beginPath(); g.arc(x, y, r, 0, 7); g.fill(); } else { g.fillRect(x - r, y - r, 2 * r, 2 * r); }
      window.__pets.push([`pets/${i % 2 ? 'b' : 'a'}/p${i}.png`, new File([await c.convertToBlob()], `p${i}.png`, { type: 'image/png' })]);
    }
  }
  const files = [...window.__pets];
  files.push(['pets/a/notes.txt', new File(['not a picture'], 'notes.txt', { type: 'text/plain' })]);
  files.push(['pets/b/empty.png', new File([], 'empty.png', { type: 'image/png' })]);
  // A PNG header declaring 30000x30000 pixels: too large to decode.
  const huge = [137, 80, 78, 71, 13, 10, 26, 10, 0, 0, 0, 13, 73, 72, 68, 82, 0, 0, 0x75, 0x30, 0, 0, 0x75, 0x30, 8, 0, 0, 0, 0, 0, 0, 0, 0];
  files.push(['pets/b/huge.png', new File([new Uint8Array(huge)], 'huge.png', { type: 'image/png' })]);
  for (const name of extra) files.push([name, new File([window.__savedBlob], name.split('/').pop())]);
  const entry = (path, file) => ({ isFile: true, isDirectory: false, name: path.split('/').pop(), fullPath: '/' + path, file: (ok) => ok(file) });
  const dir = (path) => {
    const kids = new Map();
    for (const [p, f] of files) {
      if (!p.startsWith(path + '/')) continue;
      const rest = p.slice(path.length + 1), head = rest.split('/')[0];
      if (!kids.has(head)) kids.set(head, rest.includes('/') ? dir(path + '/' + head) : entry(p, f));
    }
    return { isFile: false, isDirectory: true, name: path.split('/').pop(), fullPath: '/' + path,
      createReader: () => { let given = false; return { readEntries: (ok) => { ok(given ? [] : [...kids.values()]); given = true; } }; } };
  };
  const root = dir('pets');
  const dt = new DataTransfer();
  dt.items.add(files[0][1]);
  const get = DataTransferItem.prototype.webkitGetAsEntry;
  DataTransferItem.prototype.webkitGetAsEntry = function () { return root; };
  document.querySelector('[data-testid=own-folder-drop]').dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
  DataTransferItem.prototype.webkitGetAsEntry = get;
  done(true);
})().catch((e) => done(String(e)));
"#;

#[tokio::test(flavor = "current_thread")]
async fn a_dropped_folder_is_indexed_with_skips_counted_and_its_saved_index_is_used_again() {
    let b = Visit::ready("/ok/").await;
    // Drawing the folder's 120 pictures in the page takes seconds on a busy machine.
    let long =
        fantoccini::wd::TimeoutConfiguration::new(Some(Duration::from_secs(120)), None, None);
    b.client.update_timeouts(long).await.unwrap();
    let dropped = b
        .client
        .execute_async(DROP_FOLDER, vec![json!([])])
        .await
        .unwrap();
    assert_eq!(dropped, json!(true));
    let ready = b.until_text("[data-testid=ready]", "Your set pets").await;
    assert!(ready.contains("120 images of 20x20"), "{ready}");
    assert!(
        ready.contains(
            "3 files skipped: 1 empty, 1 not pictures this browser decodes, 1 too large (over 200 megapixels"
        ),
        "{ready}"
    );
    // Too small to hold images out: the benchmark says so and offers nothing to run.
    let status = b
        .until_text("[data-testid=bench-status]", "too small to measure")
        .await;
    assert!(status.contains("120"), "{status}");
    let run = b.attribute("[data-testid=bench-run]", "disabled").await;
    assert_eq!(run, "true", "{status}");
    // Save its index (kept as a blob the page can fetch), then drop the folder again
    // with the index inside: it is read, not built.
    b.js(
        "const make = URL.createObjectURL; \
         URL.createObjectURL = (blob) => { window.__savedBlob = blob; return make(blob); }; \
         HTMLAnchorElement.prototype.click = function () { window.__saved = [this.download]; };",
        vec![],
    )
    .await;
    b.click("button[title^='Download the index']").await;
    let saved = || b.js("return window.__saved || null", vec![]);
    let saved = poll(Duration::from_secs(10), saved, |s| !s.is_null())
        .await
        .unwrap_or_else(|_| panic!("no index was saved"));
    assert_eq!(saved[0], json!("pets.ssam.gz"));
    b.click("[data-testid=back-to-mnist]").await;
    b.until_text("[data-testid=ready]", "MNIST").await;
    let dropped = b
        .client
        .execute_async(DROP_FOLDER, vec![json!(["pets/pets.ssam.gz"])])
        .await
        .unwrap();
    assert_eq!(dropped, json!(true));
    let ready = b.until_text("[data-testid=ready]", "Your set pets").await;
    assert!(
        ready.contains("index was read from pets/pets.ssam.gz"),
        "{ready}"
    );
    b.click(".pick .primary").await;
    b.until_text("[data-testid=verdict]", "nearest").await;
    let results = b.text(".results").await;
    assert!(results.contains("Searched with image #"), "{results}");
}

#[tokio::test(flavor = "current_thread")]
async fn on_a_phone_the_answer_is_one_tap_away_and_nothing_scrolls_sideways() {
    let (images, labels) = shapes(3000);
    let shots = std::env::var_os("SSAM_SCREENSHOTS").map(PathBuf::from);
    for dark in [false, true] {
        let b = Visit::phone(dark).ready("/ok/").await;
        let images = write(b.dir(), "shapes-images.idx.gz", &gzip(&images));
        let labels = write(b.dir(), "shapes-labels.idx", &labels);
        let scheme = if dark { "dark" } else { "light" };
        // Touch hints, not keyboard ones.
        let shown = b
            .js(
                "return [...document.querySelectorAll('.keys-hint, .touch-hint')].filter(e => e.offsetParent).map(e => e.className)",
                vec![],
            )
            .await;
        assert!(
            shown
                .as_array()
                .unwrap()
                .iter()
                .all(|c| c.as_str().unwrap().contains("touch-hint")),
            "{shown}"
        );
        // A query's answer comes into view when the person asks for it.
        b.click(".pick .primary").await;
        b.until_text("[data-testid=verdict]", "nearest").await;
        b.click("[data-testid=to-answer]").await;
        let top = || {
            b.js(
                "return document.querySelector('.answer').getBoundingClientRect().top / innerHeight",
                vec![],
            )
        };
        poll(Duration::from_secs(5), top, |top| {
            top.as_f64().unwrap() < 0.66
        })
        .await
        .unwrap_or_else(|top| panic!("the answer starts at {top} of the screen"));
        if let Some(d) = &shots {
            b.screenshot(&d.join(format!("phone-{scheme}-answer.png")))
                .await;
        }
        // The benchmark's table stays inside its card.
        b.own_files(&[&images, &labels]).await;
        b.until_text("[data-testid=ready]", "Your set shapes-images")
            .await;
        b.click(".bench button").await;
        b.until_text("[data-testid=bench-status]", "done").await;
        let wide = b
            .js(
                "return document.documentElement.scrollWidth - document.documentElement.clientWidth",
                vec![],
            )
            .await;
        assert_eq!(wide, json!(0), "the page scrolls sideways");
        if let Some(d) = &shots {
            b.js("document.querySelector('.bench').scrollIntoView()", vec![])
                .await;
            b.screenshot(&d.join(format!("phone-{scheme}-bench.png")))
                .await;
        }
    }
}

/// Waits until the map's canvas says its map is drawn.
async fn until_map_ready(b: &Browser) {
    let state = || b.attribute("[data-testid=map]", "data-state");
    poll(Duration::from_secs(60), state, |s| s == "ready")
        .await
        .unwrap_or_else(|s| panic!("the map never became ready: {s:?}"));
}

/// The map's view once `done` holds of it (within 10 s), or the last one seen.
async fn until_view(b: &Browser, done: impl Fn((f64, (f64, f64))) -> bool) -> (f64, (f64, f64)) {
    poll(Duration::from_secs(10), || map_view(b), |v| done(*v))
        .await
        .unwrap_or_else(|last| last)
}

/// The map's view as its canvas reports it: zoom against the whole map, and centre. A
/// canvas made anew (a new query may bring one) says it once it has drawn.
async fn map_view(b: &Browser) -> (f64, (f64, f64)) {
    let read = || {
        b.js(
            "const c = document.querySelector('[data-testid=map]'); \
             return c && c.dataset.zoom && c.dataset.centre ? [c.dataset.zoom, c.dataset.centre] : null;",
            vec![],
        )
    };
    let said = poll(Duration::from_secs(30), read, |v| !v.is_null())
        .await
        .unwrap_or_else(|_| panic!("the map never said its view"));
    let (zoom, centre) = (said[0].as_str().unwrap(), said[1].as_str().unwrap());
    let (x, y) = centre.split_once(',').expect("x,y");
    (
        zoom.parse().unwrap(),
        (x.parse().unwrap(), y.parse().unwrap()),
    )
}

#[tokio::test(flavor = "current_thread")]
async fn the_map_comes_after_the_first_result_and_moves_by_keyboard() {
    use fantoccini::key::Key;
    let b = Visit::ready("/ok/").await;
    // Before a result there is no map panel, so nothing asks for the map (the service
    // worker's offline copy aside; bench/map.js times the page's own request).
    assert!(
        b.client
            .find(Locator::Css("[data-testid=map]"))
            .await
            .is_err(),
        "a map before any result"
    );
    b.ask_seven().await;
    until_map_ready(&b).await;
    assert!(b.site.requests().iter().any(|r| r.ends_with("map.ssam.gz")));
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
    let (zoomed, _) = until_view(&b, |(zoom, _)| (zoom - 2.25).abs() < 1e-2).await;
    assert!((zoomed - 2.25).abs() < 1e-2, "two steps in: {zoomed}");
    // Shift and the arrows move the map (the arrows alone step from point to point).
    for key in [Key::Right, Key::Down] {
        let keys = format!("{}{}", char::from(Key::Shift), char::from(key));
        map.send_keys(&keys).await.unwrap();
    }
    let (_, (x2, y2)) = until_view(&b, |(_, (x2, y2))| x2 > x && y2 > y).await;
    assert!(
        x2 > x && y2 > y,
        "Shift with right and down moved the centre from ({x}, {y}) to ({x2}, {y2})"
    );
    map.send_keys("-").await.unwrap();
    let (out, _) = until_view(&b, |(zoom, _)| (zoom - 1.5).abs() < 1e-2).await;
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
}

#[tokio::test(flavor = "current_thread")]
async fn a_truncated_map_gets_a_message_and_search_still_works() {
    let b = Visit::ready("/badmap/").await;
    b.ask_seven().await;
    let problem = b
        .until_text("[data-testid=map-problem]", "map.ssam.gz")
        .await;
    assert!(problem.contains("Everything else works"), "{problem}");
    // The page goes on searching: a test digit picked by number is answered.
    pick_by_number(&b, "test digit", 0).await;
}

/// The training digits' data file, as built.
fn train_cells() -> (String, Vec<u8>) {
    let assets = site::dist().join("assets");
    let name = std::fs::read_dir(&assets)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .find(|n| n.starts_with("mnist-train-") && n.ends_with(".cells"))
        .expect("the training digits' data file");
    let bytes = std::fs::read(assets.join(&name)).unwrap();
    (name, bytes)
}

#[tokio::test(flavor = "current_thread")]
async fn a_first_result_costs_a_root_one_test_block_and_a_few_cells_by_range() {
    let b = Visit::ready("/ok/").await;
    b.click(".pick .primary").await;
    b.until_text(".results", "Searched with test digit #").await;
    b.until_content(".results", "parts of the set nearest to it")
        .await;
    let (name, whole) = train_cells();
    let log = b.site.log();
    // Before the whole set's download began (its request has no range): the roots, one
    // block of the test digits, and the query's cells, each by a range.
    let first: Vec<_> = log
        .iter()
        .take_while(|s| !(s.path.ends_with(&name) && s.range.is_none()))
        .collect();
    let test_blocks: Vec<_> = first
        .iter()
        .filter(|s| s.path.contains("mnist-test-"))
        .collect();
    assert_eq!(test_blocks.len(), 1, "{first:#?}");
    assert!(
        test_blocks[0].range.is_some() && test_blocks[0].bytes < 40_000,
        "{first:#?}"
    );
    let cells: Vec<_> = first.iter().filter(|s| s.path.ends_with(&name)).collect();
    assert!(
        !cells.is_empty() && cells.iter().all(|s| s.status == 206),
        "{first:#?}"
    );
    let fetched: u64 = cells.iter().map(|s| s.bytes).sum();
    assert!(
        fetched < whole.len() as u64 / 10,
        "{fetched} bytes of cells for one query"
    );
    assert!(
        first.iter().all(|s| !s.path.contains("/mnist/")),
        "no IDX file: {first:#?}"
    );
}

/// A set of one's own, opened by its root's address (`?set=`): 3,000 training digits in
/// cells of 30 under a level of routers, served beside the site. It is searched by parts
/// only: the page says its size, and a test digit's answer is labelled and says what it
/// fetched by range, in the round trips of a routed layout (routers, then cells).
#[tokio::test(flavor = "current_thread")]
async fn a_set_opened_by_its_address_is_searched_by_parts_and_says_its_size() {
    let log = open_set_by_address(0, "2", "").await;
    assert!(log.iter().all(|s| s.status == 206), "{log:#?}");
}

/// The same set coded (format 3): routed by the codes its root holds, its cells come in
/// the first round trip and the candidates' pictures in a second, and the hits show.
/// The pictures of one file come by one request of several ranges.
#[tokio::test(flavor = "current_thread")]
async fn a_coded_set_opened_by_its_address_fetches_pictures_in_a_second_round_trip() {
    let log = open_set_by_address(16, "2", "").await;
    let several = several_ranges(&log);
    assert!(
        !several.is_empty() && several.iter().all(|s| s.status == 206),
        "{log:#?}"
    );
}

/// A host that answers one range a request (as S3 and Varnish do, sending the whole file
/// for several): noticed on the first such answer, which is cancelled, and asked again
/// one range at a time; the answer is the same.
#[tokio::test(flavor = "current_thread")]
async fn a_host_that_takes_one_range_a_request_is_asked_one_by_one() {
    let log = open_set_by_address(16, "2", "max_ranges 1; limit_rate 200k;").await;
    let refused = several_ranges(&log);
    assert!(
        !refused.is_empty() && refused.iter().all(|s| s.status == 200),
        "{log:#?}"
    );
    // Each refusal was cancelled as it began: not the whole file.
    assert!(refused.iter().all(|s| s.bytes < 200_000), "{refused:#?}");
}

/// The requests that asked for several ranges at once.
fn several_ranges(log: &[site::Served]) -> Vec<&site::Served> {
    log.iter()
        .filter(|s| s.range.as_deref().is_some_and(|r| r.contains(',')))
        .collect()
}

/// Opens a set of 3,000 with `codes` bytes of code (0: cells of images) by `?set=`,
/// its data files served with the nginx directives `rules`, and searches a test digit,
/// which must take `trips` round trips; what nginx served.
async fn open_set_by_address(codes: usize, trips: &str, rules: &str) -> Vec<site::Served> {
    let data = mnist("train").head(3000);
    let params = ssam::stream::WriteParams::Routed {
        cell: 30,
        top: 16,
        seed: 5,
        codes,
        routing: codes,
        levels: 128,
    };
    let written = ssam::stream::write(&data, ssam::Space::DEFAULT, "three", params).unwrap();
    let mut config = Config::new().fault("/big/set/three.root", site::Fault::Bytes(written.root));
    for (name, bytes) in &written.files {
        config = config.fault(
            &format!("/big/set/{name}"),
            site::Fault::BytesWith(bytes.clone(), rules.to_owned()),
        );
    }
    let b = Visit::desktop().serving(config).start().await;
    b.goto("/big/?set=set/three.root").await;
    let ready = b.text("[data-testid=ready]").await;
    assert!(
        ready.contains("Ready: 3,000 three training digits")
            && ready.contains("each search fetches only the few parts it needs"),
        "{ready}"
    );
    assert_eq!(
        b.attribute("[data-testid=ready]", "data-streamed").await,
        "true"
    );
    // Searched one way only: no settings of an index, no exact search to compare with.
    let setting = b
        .client
        .find(Locator::Css("[data-testid=setting]"))
        .await
        .unwrap();
    assert!(!setting.is_displayed().await.unwrap());
    b.click(".pick .primary").await;
    b.until_text(".results", "Searched with test digit #").await;
    let results = b
        .until_content(".results", "Searched with test digit #")
        .await;
    assert!(results.contains("of 3,000 in"), "{results}");
    assert!(results.contains("round trips"), "{results}");
    assert_eq!(
        b.attribute(".results", "data-trips").await,
        trips,
        "{results}"
    );
    assert_eq!(b.hit_labels().await.len(), 10, "{results}");
    let cells: Vec<_> = b
        .site
        .log()
        .into_iter()
        .filter(|s| s.path.ends_with(".cells"))
        .collect();
    assert!(
        !cells.is_empty() && cells.iter().all(|s| s.range.is_some()),
        "{cells:#?}"
    );
    cells
}

#[tokio::test(flavor = "current_thread")]
async fn damaged_missing_or_cut_blocks_are_named_and_the_drawing_stays() {
    let (name, whole) = train_cells();
    let mut damaged = whole.clone();
    for i in (0..damaged.len()).step_by(1000) {
        damaged[i] ^= 0x55;
    }
    let cells = |mode: &str| format!("/{mode}/assets/{name}");
    let config = Config::new()
        .fault(&cells("damaged"), site::Fault::Bytes(damaged))
        .fault(&cells("gone"), site::Fault::Status(404))
        .fault(&cells("cut"), site::Fault::Bytes(whole[..1000].to_vec()))
        .fault(&cells("dropped"), site::Fault::Status(444));
    let b = Visit::desktop().serving(config).start().await;
    for (mode, needle) in [
        ("damaged", "checksum"),
        ("gone", "404"),
        ("cut", "bytes"),
        ("dropped", "could not be fetched"),
    ] {
        b.open(&format!("/{mode}/")).await;
        b.draw_seven().await;
        let said = b.until_text("[data-testid=message]", needle).await;
        assert!(said.contains(&name), "{mode}: {said}");
        // What the user drew is still on the pad.
        let ink = b.pad_ink().await;
        assert!(ink > 500, "{mode}: ink pixels {ink}");
    }
}

/// `n` synthetic shapes written in `dir` as an own set's IDX files: the images' and the
/// labels'.
fn shape_files(dir: &Path, n: usize) -> (PathBuf, PathBuf) {
    let (images, labels) = shapes(n);
    (
        write(dir, "shapes-images.idx", &images),
        write(dir, "shapes-labels.idx", &labels),
    )
}

/// Gives the page `n` synthetic shapes (three labels) as its own set and waits until it
/// is searched, then picks one of its images so that the map panel shows.
async fn own_shapes_searched(b: &Browser, dir: &Path, n: usize, indexed: &str) {
    let (images, labels) = shape_files(dir, n);
    b.own_files(&[&images, &labels]).await;
    b.until_text(
        "[data-testid=ready]",
        &format!("Your set shapes-images: {indexed} images"),
    )
    .await;
    b.click(".pick .primary").await;
    b.until_text(".results", "Searched with image #").await;
}

/// Picks query `n` (a `noun`: "image" of an own set, MNIST's "test digit") by its number
/// and waits for its results.
async fn pick_by_number(b: &Browser, noun: &str, n: u32) {
    let field = b.client.find(Locator::Css("#test-number")).await.unwrap();
    field.clear().await.unwrap();
    field.send_keys(&n.to_string()).await.unwrap();
    b.click(".pick form button[type=submit]").await;
    b.until_text(".results", &format!("{noun} #{n} ")).await;
}

/// Pixels of the map's canvas in each of the first three label colours (the shapes').
async fn map_colours(b: &Browser) -> Vec<u64> {
    let counts = b
        .js(
            r#"const c = document.querySelector('[data-testid=map]');
            const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
            const pal = [[0xE6, 0x9F, 0x00], [0x56, 0xB4, 0xE9], [0x00, 0x9E, 0x73]];
            const n = pal.map(() => 0);
            for (let i = 0; i < d.length; i += 4)
              pal.forEach((p, k) => { if (d[i] === p[0] && d[i + 1] === p[1] && d[i + 2] === p[2]) n[k]++; });
            return n;"#,
            vec![],
        )
        .await;
    serde_json::from_value(counts).unwrap()
}

#[tokio::test(flavor = "current_thread")]
async fn an_own_sets_map_is_laid_out_on_request_and_dropped_with_the_set() {
    let b = Visit::ready("/ok/").await;
    own_shapes_searched(&b, b.dir(), 600, "570").await;
    // An own set has no map until asked for: no canvas, a button.
    assert_eq!(
        b.attribute("[data-testid=map-lay-out]", "type").await,
        "button"
    );
    assert!(
        b.client
            .find(Locator::Css("[data-testid=map]"))
            .await
            .is_err()
    );
    b.click("[data-testid=map-lay-out]").await;
    let status = b
        .until_text("[data-testid=map-layout-status]", "Laid out in this page")
        .await;
    assert!(status.contains("570 images in"), "{status}");
    assert_eq!(
        b.attribute("[data-testid=map]", "data-state").await,
        "ready"
    );
    // Its points are drawn in the shapes' three colours, the query lands among them.
    let drawn = |counts: &Vec<u64>| counts.iter().all(|&c| c >= 50);
    poll(Duration::from_secs(10), || map_colours(&b), drawn)
        .await
        .unwrap_or_else(|counts| panic!("points: {counts:?}"));
    let landed = b
        .until_text("[data-testid=map-where]", "lands among the")
        .await;
    assert!(landed.contains("image #"), "{landed}");
    let legend = b.text(".map .legend").await;
    assert_eq!(
        legend.split_whitespace().collect::<Vec<_>>(),
        ["0", "1", "2"]
    );
    let heading = b.text("#map-title").await;
    assert_eq!(heading, "Where your image lands");
    b.screenshot(&b.dir().join("own-map.png")).await;

    // Another own set drops the map: the button is back.
    own_shapes_searched(&b, b.dir(), 600, "570").await;
    b.text("[data-testid=map-lay-out]").await;
    assert!(
        b.client
            .find(Locator::Css("[data-testid=map]"))
            .await
            .is_err()
    );
    // Laid out again, then back to MNIST: MNIST's map, fetched, with the query on it.
    b.click("[data-testid=map-lay-out]").await;
    b.until_text("[data-testid=map-layout-status]", "Laid out in this page")
        .await;
    b.click("[data-testid=back-to-mnist]").await;
    // Back to MNIST starts with nothing asked; a test digit brings its map.
    b.until_text("[data-testid=ready]", "60,000 MNIST").await;
    b.click(".pick .primary").await;
    b.until_text(".results", "Searched with test digit #").await;
    b.until_text("#map-title", "Where your digit lands").await;
    until_map_ready(&b).await;
    let legend = b.text(".map .legend").await;
    assert_eq!(legend.split_whitespace().count(), 10, "{legend}");
    assert!(
        b.client
            .find(Locator::Css("[data-testid=map-lay-out]"))
            .await
            .is_err()
    );
}

/// Keeps every line the own set's layout status shows from now on in `window.__layout`,
/// in order, each with its bar's share (null where no bar shows); a line is kept again
/// only when it changes. The first kept is the line shown now.
const KEEP_LAYOUT_LINES: &str = "window.__layout = []; \
    const keep = () => { \
      const s = document.querySelector('[data-testid=map-layout-status]'); \
      const bar = s && s.querySelector('progress'); \
      const line = [s ? s.textContent : null, bar ? bar.value : null]; \
      const last = window.__layout[window.__layout.length - 1]; \
      if (!last || last[0] !== line[0] || last[1] !== line[1]) window.__layout.push(line); \
    }; \
    keep(); \
    new MutationObserver(keep).observe(document.body, { subtree: true, childList: true, characterData: true, attributes: true });";

/// A line of the layout's status: its words, and its bar's share when a bar shows.
type LayoutLine = (Option<String>, Option<f64>);

/// The lines kept since [`KEEP_LAYOUT_LINES`].
async fn layout_lines(b: &Browser) -> Vec<LayoutLine> {
    serde_json::from_value(b.js("return window.__layout", vec![]).await).unwrap()
}

/// Where the bar went back among `lines`: the line before and the line after.
fn went_back(lines: &[LayoutLine]) -> Option<(&LayoutLine, &LayoutLine)> {
    let barred: Vec<&LayoutLine> = lines.iter().filter(|l| l.1.is_some()).collect();
    barred
        .windows(2)
        .find(|w| w[1].1.unwrap() < w[0].1.unwrap() - 1e-9)
        .map(|w| (w[0], w[1]))
}

#[tokio::test(flavor = "current_thread")]
async fn an_own_sets_layout_answers_searches_while_it_runs_and_stops_on_cancel() {
    let b = Visit::ready("/ok/").await;
    own_shapes_searched(&b, b.dir(), 30_000, "29,000").await;
    b.click("[data-testid=map-lay-out]").await;
    b.until_text(
        "[data-testid=map-layout-status]",
        "Finding each image's nearest",
    )
    .await;
    // A search asked meanwhile is answered while the layout goes on.
    pick_by_number(&b, "image", 7).await;
    let status = b.text("[data-testid=map-layout-status]").await;
    assert!(
        ["Finding", "Placing", "Laying out"]
            .iter()
            .any(|s| status.contains(s)),
        "the layout was still running: {status}"
    );
    b.click("[data-testid=map-cancel]").await;
    b.until_text("[data-testid=map-layout-status]", "cancelled")
        .await;
    b.js(KEEP_LAYOUT_LINES, vec![]).await;
    // The page goes on working, with no map and the layout offered again.
    pick_by_number(&b, "image", 8).await;
    b.text("[data-testid=map-lay-out]").await;
    assert!(
        b.client
            .find(Locator::Css("[data-testid=map]"))
            .await
            .is_err()
    );
    let lines = layout_lines(&b).await;
    assert!(
        lines.len() == 1
            && lines[0]
                .0
                .as_deref()
                .is_some_and(|l| l.contains("cancelled")),
        "the cancelled layout went on: {lines:?}"
    );
    // Laid out again, to the end. The cancelled layout, had it gone on, would show here:
    // its progress among this run's (further along: the bar goes back), or its map (laid
    // out in more time than this run has had).
    let asked = Instant::now();
    b.click("[data-testid=map-lay-out]").await;
    let over = |lines: &Vec<LayoutLine>| {
        went_back(lines).is_some()
            || lines.last().and_then(|l| l.0.as_deref()).is_some_and(|l| {
                l.contains("Laid out in this page") || l.contains("could not be laid out")
            })
    };
    let lines = poll(Duration::from_secs(300), || layout_lines(&b), over)
        .await
        .unwrap_or_else(|lines| panic!("the second layout never ended: {:?}", lines.last()));
    let took = asked.elapsed();
    if let Some((before, after)) = went_back(&lines) {
        panic!(
            "the cancelled layout went on: its progress {before:?} showed beside the new run's {after:?}"
        );
    }
    let words = |i: usize| lines[i].0.as_deref().unwrap_or_default();
    assert!(
        words(1).starts_with("starting"),
        "the new run did not start from nothing: {:?}",
        &lines[..2]
    );
    let last = lines.len() - 1;
    assert!(
        words(last).contains("Laid out in this page: 29,000 images in"),
        "{:?}",
        lines[last]
    );
    let ms: f64 = b
        .attribute("[data-testid=map-layout-status]", "data-ms")
        .await
        .parse()
        .unwrap();
    assert!(
        ms <= took.as_secs_f64() * 1000.0,
        "the map shown took {ms} ms to lay out, but the run asked for it began {took:?} ago: it is the cancelled run's"
    );
    assert_eq!(
        b.attribute("[data-testid=map]", "data-state").await,
        "ready"
    );
}
