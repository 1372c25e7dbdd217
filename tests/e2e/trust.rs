//! The page as a new visitor meets it, on a desktop and on a phone-sized touch screen:
//! it answers behind any static server, holds still while a finger draws or taps, keeps
//! the answer a person is reading, opens explanations where the eye is, shows one query
//! at a time and says things in a person's words.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::Locator;
use fantoccini::key::Key;
use serde_json::json;

use super::shape_files;
use super::site::{self, Browser, Config, Fault, Visit, phone};

/// Draws one stroke down the middle of the pad: the first stroke of a 4, or a 1.
async fn stroke(b: &Browser) {
    b.stroke((-40.0, -90.0), &[(-20.0, 100.0), (90.0, 0.0)], 150)
        .await;
}

async fn scroll_y(b: &Browser) -> f64 {
    b.js("return window.scrollY", vec![])
        .await
        .as_f64()
        .unwrap()
}

/// Requests for the training digits' data file, and the bytes sent for them.
fn cells_served(site: &site::Site, mode: &str) -> (usize, u64) {
    let served: Vec<_> = site
        .log()
        .into_iter()
        .filter(|s| s.path.starts_with(&format!("/{mode}/")) && s.path.contains("mnist-train-"))
        .collect();
    (served.len(), served.iter().map(|s| s.bytes).sum())
}

/// The name of the site's data file of `which` digits ("train" or "test").
fn cells_file(which: &str) -> String {
    std::fs::read_dir(site::dist().join("assets"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .find(|n| n.starts_with(&format!("mnist-{which}-")) && n.ends_with(".cells"))
        .unwrap()
}

fn cells_file_bytes() -> u64 {
    std::fs::metadata(site::dist().join("assets").join(cells_file("train")))
        .unwrap()
        .len()
}

#[tokio::test(flavor = "current_thread")]
async fn behind_a_host_that_ignores_ranges_the_set_comes_once_whole_and_every_query_is_answered() {
    // At 2 MB/s, as over a real network: what went out of an answer before the worker
    // cancelled it is then telling.
    let config = Config::new().fault(
        "/norange/assets/",
        Fault::Rules("max_ranges 0; limit_rate 2m;".into()),
    );
    let b = Visit::desktop().serving(config).ready("/norange/").await;
    b.ask_seven().await;
    // One calm line says why the first answer waited (until the set is put together);
    // nothing under the query is an error.
    let ready = b.text("[data-testid=ready]").await;
    assert!(
        [
            "does not answer range requests",
            "all here",
            "being put together"
        ]
        .iter()
        .any(|s| ready.contains(s)),
        "{ready}"
    );
    assert_eq!(b.text("[data-testid=message]").await, "");
    // A pick and another drawing are answered too, from the copy here.
    b.click(".pick .primary").await;
    b.until_text(".results", "Searched with test digit #").await;
    b.until_whole().await;
    // The training digits' file came once, whole: no storm of cancelled requests. A
    // request for several ranges that the host answers whole is cancelled once its
    // headers are read; what went out before depends on how busy the machine is (up to
    // 4 MB seen on a loaded one), but never a second copy.
    let (requests, bytes) = cells_served(&b.site, "norange");
    let file = cells_file_bytes();
    assert!(requests <= 3, "{requests} requests for the cells file");
    assert!(
        bytes < 2 * file,
        "{bytes} bytes sent for a file of {file}: it came twice"
    );
}

/// python's http.server, the simplest static host there is, which ignores byte ranges.
struct Python(Child, u16);

impl Drop for Python {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn python_server(root: &Path) -> Python {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new("python3")
        .args([
            "-m",
            "http.server",
            "--bind",
            "127.0.0.1",
            &port.to_string(),
            "-d",
        ])
        .arg(root)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("python3 runs");
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "python's server did not start");
        std::thread::sleep(Duration::from_millis(100));
    }
    Python(child, port)
}

#[tokio::test(flavor = "current_thread")]
async fn pythons_http_server_serves_a_page_that_answers_a_drawing_and_a_pick() {
    let server = python_server(&site::dist());
    let b = phone(false).await;
    b.open_ready(&format!("http://127.0.0.1:{}/", server.1))
        .await;
    b.ask_seven().await;
    b.click(".pick .primary").await;
    b.until_text(".results", "Searched with test digit #").await;
    assert_eq!(b.text("[data-testid=message]").await, "");
}

#[tokio::test(flavor = "current_thread")]
async fn on_a_phone_a_pause_between_strokes_moves_nothing_and_the_answer_is_one_tap_away() {
    let b = Visit::phone(false).ready("/ok/").await;
    let before = scroll_y(&b).await;
    stroke(&b).await;
    // The half-drawn digit is answered, and the way to the answer shows under the pad...
    b.until_text("[data-testid=to-answer]", "See the").await;
    // ...while the page stays put well past the pause a second stroke may follow.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(
        scroll_y(&b).await,
        before,
        "the page moved under the finger"
    );
    let pad_top = b
        .js(
            "return document.querySelector('.pad canvas').getBoundingClientRect().top",
            vec![],
        )
        .await;
    assert!(pad_top.as_f64().unwrap() >= 0.0, "the pad went off screen");
    // A deliberate tap brings the answer.
    b.click("[data-testid=to-answer]").await;
    b.until_js("const r = document.querySelector('.answer').getBoundingClientRect(); return r.top >= -2 && r.top < innerHeight / 3",
        Duration::from_secs(5),
        "the answer never came into view",
    )
    .await;
}

#[tokio::test(flavor = "current_thread")]
async fn quick_taps_on_random_stay_on_random_and_cost_one_test_block() {
    // Test digits at 4 kB/s (nginx sends the first second's worth at once): a block
    // takes seconds, so every tap below lands while the first pick is on its way (a tap
    // after an answer shows is a new pick).
    let config = Config::new().fault(
        &format!("/tapped/assets/{}", cells_file("test")),
        Fault::Rules("limit_rate 4k;".into()),
    );
    let b = Visit::phone(true).serving(config).ready("/tapped/").await;
    let before = scroll_y(&b).await;
    let button = b.client.find(Locator::Css(".pick .primary")).await.unwrap();
    for _ in 0..5 {
        button.click().await.unwrap();
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    b.until_text("[data-testid=verdict]", "nearest").await;
    b.until_text("[data-testid=to-answer]", "See the").await;
    assert_eq!(scroll_y(&b).await, before, "the page moved under the taps");
    // No tap landed on a hit: nothing is selected, no "why" is open.
    let pressed = b
        .js(
            "return document.querySelectorAll('.hit[aria-pressed=true], [data-testid=why]').length",
            vec![],
        )
        .await;
    assert_eq!(pressed, json!(0));
    // Taps while a pick was on its way did not each fetch a block of test digits.
    // (The whole file of them follows in the background, without a range.)
    let blocks: Vec<_> = b
        .site
        .log()
        .into_iter()
        .filter(|s| s.path.contains("mnist-test-") && s.range.is_some())
        .map(|s| s.range.unwrap())
        .collect();
    assert!(blocks.len() <= 2, "test digits asked by range: {blocks:?}");
}

#[tokio::test(flavor = "current_thread")]
async fn a_refined_answer_keeps_the_selected_hit_its_why_and_the_focus_or_waits_to_be_shown() {
    let b = Visit::ready("/ok/").await;
    b.click(".pick .primary").await;
    b.until_text("[data-testid=verdict]", "nearest").await;
    assert_eq!(
        b.attribute("[data-testid=ready]", "data-streamed").await,
        "true",
        "the first answer is by parts"
    );
    b.click(".hits .hit").await;
    b.until_text("[data-testid=why]", "Why training digit #")
        .await;
    let id = b.attribute(".hit[aria-pressed=true]", "data-id").await;
    let top = |b: &Browser| {
        let b = b.client.clone();
        async move {
            b.execute(
                "return document.querySelector('[data-testid=why]').getBoundingClientRect().top",
                vec![],
            )
            .await
            .unwrap()
            .as_f64()
            .unwrap()
        }
    };
    let why_top = top(&b).await;
    b.until_whole().await;
    // The whole set answers the same query again: shown as a refinement, or held back.
    b.until_js(
        "return !!document.querySelector('[data-testid=refined], [data-testid=held]')",
        Duration::from_secs(30),
        "no sign of the refined answer",
    )
    .await;
    if b.client
        .find(Locator::Css("[data-testid=held]"))
        .await
        .is_ok()
    {
        // Held back: what the person reads has not changed under them.
        assert_eq!(b.attribute(".hit[aria-pressed=true]", "data-id").await, id);
        b.click("[data-testid=held] button").await;
        b.until_text("[data-testid=refined]", "Refined").await;
    } else {
        assert_eq!(b.attribute(".hit[aria-pressed=true]", "data-id").await, id);
        b.until_text("[data-testid=why]", "Why training digit #")
            .await;
        let moved = (top(&b).await - why_top).abs();
        assert!(moved < 4.0, "the why panel moved {moved} px");
        let focus = b
            .js(
                "return !!document.activeElement.closest('[data-testid=why], .hit')",
                vec![],
            )
            .await;
        assert_eq!(focus, json!(true), "the focus left the hit and its why");
    }
}

#[tokio::test(flavor = "current_thread")]
async fn why_opens_under_its_card_in_sight_and_esc_closes_it_and_returns_the_focus() {
    for phone_sized in [false, true] {
        let device = if phone_sized {
            Visit::phone(false)
        } else {
            Visit::desktop()
        };
        let b = device.ready("/ok/").await;
        if !phone_sized {
            // Fifty neighbours: the end of the list is far below the first card.
            b.client
                .find(Locator::Css("[data-testid=k]"))
                .await
                .unwrap()
                .select_by_value("50")
                .await
                .unwrap();
        }
        b.click(".pick .primary").await;
        b.until_text("[data-testid=verdict]", "nearest").await;
        if phone_sized {
            b.click("[data-testid=to-answer]").await;
        }
        b.click(".hits .hit").await;
        b.until_text("[data-testid=why]", "Why").await;
        b.until_js("const r = document.querySelector('[data-testid=why]').getBoundingClientRect(); return r.top >= 0 && r.top < innerHeight - 100",
            Duration::from_secs(5),
            "the why panel is out of sight",
        )
        .await;
        b.client
            .active_element()
            .await
            .unwrap()
            .send_keys(&Key::Escape.to_string())
            .await
            .unwrap();
        b.until_js(
            "return !document.querySelector('[data-testid=why]')",
            Duration::from_secs(5),
            "Esc did not close the why panel",
        )
        .await;
        let focus = b
            .js(
                "return document.activeElement.classList.contains('hit') && document.activeElement.getAttribute('aria-pressed')",
                vec![],
            )
            .await;
        assert_eq!(focus, json!("false"), "the focus is not back on the card");
    }
}

#[tokio::test(flavor = "current_thread")]
async fn every_new_query_clears_the_last_ones_pad_number_and_message() {
    let b = Visit::ready("/ok/").await;
    let number = b.client.find(Locator::Css("#test-number")).await.unwrap();
    let submit = "form.row button[type=submit]";
    // Each bad number gets its own message, replacing the last.
    for (typed, needle) in [
        ("", "Type the number"),
        ("3.5", "\"3.5\""),
        ("-1", "\"-1\""),
        ("10000", "There are 10,000"),
    ] {
        number.clear().await.unwrap();
        if !typed.is_empty() {
            number.send_keys(typed).await.unwrap();
        }
        b.click(submit).await;
        b.until_text("[data-testid=message]", needle).await;
    }
    number.clear().await.unwrap();
    number.send_keys("7").await.unwrap();
    b.click(submit).await;
    b.until_text(".results", "Searched with test digit #7 ")
        .await;
    assert_eq!(b.text("[data-testid=message]").await, "");
    // A drawing replaces the pick: the number box no longer names a digit not shown.
    b.draw_seven().await;
    b.until_text(".results", "Searched with your drawing").await;
    assert_eq!(number.prop("value").await.unwrap().unwrap_or_default(), "");
    // A pick replaces the drawing: the pad is wiped.
    b.click(".pick .primary").await;
    b.until_text(".results", "Searched with test digit #").await;
    b.until_js("const c = document.querySelector('.pad canvas'); const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data; for (let i = 0; i < d.length; i += 4) if (d[i] < 128) return false; return true;",
        Duration::from_secs(5),
        "the old drawing stayed on the pad",
    )
    .await;
    // Each bad file's message replaces the one before.
    let notes = b.dir().join("notes.txt");
    std::fs::write(&notes, b"not a picture").unwrap();
    let blank = b.dir().join("blank.png");
    image::GrayImage::from_pixel(64, 64, image::Luma([255]))
        .save(&blank)
        .unwrap();
    b.upload(&blank).await;
    let first = b.until_text("[data-testid=message]", "ink").await;
    b.upload(&notes).await;
    let second = b.until_text("[data-testid=message]", "notes.txt").await;
    assert!(!second.contains("ink"), "{first} stayed: {second}");
}

#[tokio::test(flavor = "current_thread")]
async fn the_page_speaks_in_a_persons_words_and_verdicts_never_wrap() {
    let b = Visit::phone(false).ready("/ok/").await;
    let ready = b.text("[data-testid=ready]").await;
    for engine_word in ["cells", "after the page opened", "by parts"] {
        assert!(!ready.contains(engine_word), "{ready}");
    }
    // Half a digit: the nearest are likely to disagree, and the question must not wrap.
    stroke(&b).await;
    b.until_text("[data-testid=verdict]", "nearest").await;
    let lines = b
        .js(
            "const v = document.querySelector('[data-testid=verdict] .question, [data-testid=verdict] .big'); return v.getClientRects().length",
            vec![],
        )
        .await;
    assert_eq!(lines, json!(1), "the verdict wraps");
    // Each hit says how alike it is, in one short line.
    let metas = b
        .js(
            "return [...document.querySelectorAll('.hit .alike-text')].map(e => [e.textContent, e.getClientRects().length])",
            vec![],
        )
        .await;
    for m in metas.as_array().unwrap() {
        let text = m[0].as_str().unwrap();
        assert!(text.ends_with('%'), "{text}");
        assert_eq!(m[1], json!(1), "{text} wraps");
    }
    // One name for a training digit, in the card's title and in its why (of a pick: a
    // drawing's last answer may still replace the hits).
    b.click(".pick .primary").await;
    b.until_text(".results", "Searched with test digit #").await;
    let title = b.attribute(".hits .hit", "title").await;
    assert!(title.contains("training digit #"), "{title}");
    b.click(".hits .hit").await;
    b.until_text("[data-testid=why]", "Why training digit #")
        .await;
}

#[tokio::test(flavor = "current_thread")]
async fn another_set_starts_with_nothing_asked_and_back_to_mnist_starts_clean() {
    let b = Visit::ready("/ok/").await;
    b.draw_seven().await;
    b.until_text(".results", "Searched with your drawing").await;
    // An own set: MNIST's query is not run against it, and the drawing goes with it.
    let (images, labels) = shape_files(b.dir(), 600);
    b.own_files(&[&images, &labels]).await;
    b.until_text("[data-testid=ready]", "Your set shapes-images")
        .await;
    b.until_js(
        "return !document.querySelector('.results')",
        Duration::from_secs(10),
        "MNIST's query was run against the own set",
    )
    .await;
    assert_eq!(b.pad_ink().await, 0, "the drawing stayed on the pad");
    // Its own query, then back to MNIST: the own set's image is not searched in MNIST.
    b.click(".pick .primary").await;
    b.until_text(".results", "Searched with image #").await;
    b.click("[data-testid=back-to-mnist]").await;
    b.until_text("[data-testid=ready]", "60,000 MNIST").await;
    b.until_js(
        "return !document.querySelector('.results')",
        Duration::from_secs(10),
        "the own set's query was run against MNIST",
    )
    .await;
    assert_eq!(b.text(".answer h2").await, "Most similar training digits");
}
