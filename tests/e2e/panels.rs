//! The benchmark and own-set panels: a menu that offers only the queries a set has, a
//! Stop that ends a run and says where, a plot whose axes carry values and whose labels
//! cover nothing, and an own set's images named by the user's files.

use std::path::{Path, PathBuf};
use std::time::Duration;

use fantoccini::Locator;
use serde_json::json;

use super::site::{Browser, Visit, shapes};
use super::{own_shapes_searched, pick_by_number};

/// The query counts the benchmark's menu offers, and whether it can be used.
async fn offered(b: &Browser) -> (Vec<u64>, bool) {
    let got = b
        .js(
            "const s = document.querySelector('.bench select'); \
             return [[...s.options].map(o => Number(o.value)), !s.disabled];",
            vec![],
        )
        .await;
    (
        serde_json::from_value(got[0].clone()).unwrap(),
        got[1] == json!(true),
    )
}

/// A folder `dir/shapes/{ring,square}/NN.png` of `n` 28x28 pictures, light on black:
/// the synthetic shapes' rings and squares, each numbered by its place among all.
fn shapes_folder(dir: &Path, n: usize) -> PathBuf {
    let (images, _) = shapes(3 * n);
    let pixels = &images[16..];
    let root = dir.join("shapes");
    let mut made = 0;
    for i in 0..3 * n {
        let class = match i % 3 {
            0 => "square",
            1 => "ring",
            _ => continue,
        };
        if made == n {
            break;
        }
        std::fs::create_dir_all(root.join(class)).unwrap();
        let img = image::GrayImage::from_fn(28, 28, |x, y| {
            image::Luma([pixels[i * 784 + (y * 28 + x) as usize]])
        });
        img.save(root.join(class).join(format!("{made:02}.png")))
            .unwrap();
        made += 1;
    }
    root
}

/// Gives the page a folder through its folder picker and waits until it is searched.
async fn own_folder(b: &Browser, folder: &Path, ready: &str) {
    b.client
        .find(Locator::Css("[data-testid=own-folder]"))
        .await
        .unwrap()
        .send_keys(folder.to_str().unwrap())
        .await
        .unwrap();
    b.until_text("[data-testid=ready]", ready).await;
}

/// The own-set panel's list of the nearest, as the user's files, in rank order.
async fn nearest_files(b: &Browser) -> Vec<String> {
    b.text("[data-testid=own-nearest]").await;
    let names = b
        .js(
            "return [...document.querySelectorAll('[data-testid=own-nearest] li')].map(l => l.textContent)",
            vec![],
        )
        .await;
    serde_json::from_value(names).unwrap()
}

#[tokio::test(flavor = "current_thread")]
async fn the_benchmark_offers_no_more_queries_than_the_set_has_and_says_how_many() {
    let b = Visit::ready("/ok/").await;
    // MNIST: its 10,000 test digits, and fewer.
    let (sizes, usable) = offered(&b).await;
    assert_eq!(sizes, [100, 1_000, 10_000]);
    assert!(usable);
    let supply = b.text(".bench-menu").await;
    assert!(supply.contains("10,000 test digits"), "{supply}");
    // 3,000 images hold 150 out: the menu goes no further, and says so.
    own_shapes_searched(&b, b.dir(), 3000, "2,850").await;
    assert_eq!(offered(&b).await, (vec![100, 150], true));
    let supply = b.text(".bench-menu").await;
    assert!(supply.contains("150 (all)"), "{supply}");
    assert!(supply.contains("150 images held out"), "{supply}");
    // 20 pictures are indexed whole: nothing to offer, and the panel says why.
    let folder = shapes_folder(b.dir(), 20);
    own_folder(&b, &folder, "Your set shapes: 20 images").await;
    assert_eq!(offered(&b).await, (vec![], false));
    let status = b
        .until_text("[data-testid=bench-status]", "too small to measure")
        .await;
    assert!(status.contains("its 20 images are all indexed"), "{status}");
    let run = b.attribute("[data-testid=bench-run]", "disabled").await;
    assert_eq!(run, "true", "Run stays disabled");
}

/// The page with a first result shown, once the whole of MNIST is here: the benchmark
/// measures the whole set, not its parts.
async fn whole_mnist() -> Visit {
    let b = Visit::ready("/ok/").await;
    b.ask_seven().await;
    b.until_whole().await;
    b
}

#[tokio::test(flavor = "current_thread")]
async fn a_running_benchmark_stops_on_stop_says_after_how_many_and_keeps_its_rows() {
    let b = whole_mnist().await;
    b.js(
        "const s = document.querySelector('.bench select'); s.value = '10000'; s.dispatchEvent(new Event('change'));",
        vec![],
    )
    .await;
    b.click(".bench button").await;
    // Counters read as everywhere else on the page.
    b.until_text("[data-testid=bench-status]", "of 10,000 queries")
        .await;
    // A first row in (each is 10,000 queries), then Stop.
    b.client
        .wait()
        .at_most(Duration::from_secs(120))
        .for_element(Locator::Css(".bench tbody tr"))
        .await
        .unwrap();
    b.click("[data-testid=bench-stop]").await;
    let status = b
        .until_text("[data-testid=bench-status]", "stopped after")
        .await;
    let rows = b
        .js(
            "return document.querySelectorAll('.bench tbody tr').length",
            vec![],
        )
        .await
        .as_u64()
        .unwrap();
    // "stopped after 3,120 of 10,000 queries with graph, beam 32; the 1 setting ..."
    let after: u64 = status
        .split("stopped after ")
        .nth(1)
        .and_then(|s| s.split(' ').next())
        .map(|n| n.replace(',', "").parse().unwrap())
        .unwrap_or_else(|| panic!("{status}"));
    assert!(after <= 10_000, "{status}");
    assert!(status.contains(" of 10,000 queries with "), "{status}");
    assert!(
        (1..11).contains(&rows),
        "the rows measured before the Stop stay, and no more come: {rows}"
    );
    let kept = if rows == 1 {
        "the setting measured before it is kept".to_owned()
    } else {
        format!("the {rows} settings measured before it are kept")
    };
    assert!(status.contains(&kept), "{status}");
    // The benchmark can run again.
    let run = b.attribute("[data-testid=bench-run]", "disabled").await;
    assert_eq!(run, "", "Run is enabled again");
}

/// For each point label of the plot: its text and box, and whether that box meets a
/// point's or another label's (as the browser lays them out).
const OVERLAPS: &str = r#"
const svg = document.querySelector('.bench .plot');
const box = (e) => { const b = e.getBBox(); return [b.x, b.y, b.x + b.width, b.y + b.height]; };
const meets = (a, b) => a[0] < b[2] && b[0] < a[2] && a[1] < b[3] && b[1] < a[3];
const texts = [...svg.querySelectorAll('.point-label')];
const labels = texts.map(box);
const dots = [...svg.querySelectorAll('circle')].map(box);
return labels.map((l, i) => [texts[i].textContent, l.map(Math.round), dots.some((d) => meets(l, d)), labels.some((m, j) => j !== i && meets(l, m))]);
"#;

#[tokio::test(flavor = "current_thread")]
async fn the_benchmark_plot_has_axes_with_values_and_labels_that_cover_nothing() {
    let b = whole_mnist().await;
    b.click(".bench button").await;
    b.text_within(
        "[data-testid=bench-status]",
        "done",
        Duration::from_secs(300),
    )
    .await
    .unwrap_or_else(|last| panic!("the benchmark never ended: {last}"));
    let ticks = |axis: &str| {
        format!(
            "return [...document.querySelectorAll('.bench .plot .{axis}-tick text')].map(t => t.textContent)"
        )
    };
    let recall: Vec<String> = serde_json::from_value(b.js(&ticks("x"), vec![]).await).unwrap();
    let recall: Vec<f64> = recall.iter().map(|t| t.parse().unwrap()).collect();
    assert!(recall.len() >= 3, "{recall:?}");
    assert!(recall.windows(2).all(|w| w[0] < w[1]), "{recall:?}");
    assert_eq!(recall.last(), Some(&1.0), "{recall:?}");
    let qps: Vec<String> = serde_json::from_value(b.js(&ticks("y"), vec![]).await).unwrap();
    assert!(qps.len() >= 2, "{qps:?}");
    assert!(
        qps.iter()
            .all(|t| t.replace(',', "").parse::<u64>().is_ok()),
        "{qps:?}"
    );
    assert!(qps.iter().any(|t| t.contains(',')), "{qps:?}");
    let plot = b
        .js(
            "return document.querySelector('.bench .plot').textContent",
            vec![],
        )
        .await;
    let plot = plot.as_str().unwrap();
    assert!(
        plot.contains("recall@10 (share of the true 10 nearest found)"),
        "{plot}"
    );
    assert!(plot.contains("queries per second (log scale)"), "{plot}");
    // Each point labelled by its knob where that covers no point and no other label:
    // six beams and four budgets, most of them labelled.
    let overlaps: Vec<(String, Vec<f64>, bool, bool)> =
        serde_json::from_value(b.js(OVERLAPS, vec![]).await).unwrap();
    assert!(
        overlaps.len() >= 6,
        "{} of 10 points labelled",
        overlaps.len()
    );
    assert!(
        overlaps.iter().all(|(_, _, dot, label)| !dot && !label),
        "{overlaps:?}"
    );
    if let Some(d) = std::env::var_os("SSAM_SCREENSHOTS").map(PathBuf::from) {
        b.js(
            "document.querySelector('.bench .plot').scrollIntoView({ block: 'center' })",
            vec![],
        )
        .await;
        b.screenshot(&d.join("desktop-mnist-plot.png")).await;
    }
}

#[tokio::test(flavor = "current_thread")]
async fn an_own_sets_hits_and_queries_are_named_by_the_users_files() {
    let b = Visit::ready("/ok/").await;
    // IDX images: by file and number, held-out images (every 20th) never among the hits.
    own_shapes_searched(&b, b.dir(), 3000, "2,850").await;
    pick_by_number(&b, "image", 0).await;
    let results = b.text(".results").await;
    assert!(results.contains("shapes-images.idx #19"), "{results}");
    let names = nearest_files(&b).await;
    assert_eq!(names.len(), 10, "{names:?}");
    let labels = b.hit_labels().await;
    for (name, label) in names.iter().zip(&labels) {
        let n: usize = name
            .strip_prefix("shapes-images.idx #")
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("{names:?}"));
        assert_ne!(n % 20, 19, "a held-out image among the hits: {names:?}");
        // The shapes' label is their number modulo 3: the name is the hit's own.
        assert_eq!(label, &(n % 3).to_string(), "{names:?} {labels:?}");
    }
    // A folder: by path inside it, the class folder first.
    let folder = shapes_folder(b.dir(), 20);
    own_folder(&b, &folder, "Your set shapes: 20 images").await;
    // In path order, ring/01.png, then ring/03.png.
    pick_by_number(&b, "image", 1).await;
    let results = b.text(".results").await;
    assert!(results.contains("ring/03.png"), "{results}");
    let names = nearest_files(&b).await;
    assert_eq!(names.len(), 10, "{names:?}");
    // Indexed whole: the query is its own nearest.
    assert_eq!(names[0], "ring/03.png", "{names:?}");
    let labels = b.hit_labels().await;
    for (name, label) in names.iter().zip(&labels) {
        assert!(
            name.starts_with(&format!("{label}/")),
            "{names:?} {labels:?}"
        );
    }
}

/// Screenshots of both panels on a desktop and on a phone in each scheme (when
/// SSAM_SCREENSHOTS names a folder), and no page that scrolls sideways.
#[tokio::test(flavor = "current_thread")]
async fn the_panels_fit_a_phone_in_either_scheme() {
    let shots = std::env::var_os("SSAM_SCREENSHOTS").map(PathBuf::from);
    for (name, device) in [
        ("desktop", Visit::desktop()),
        ("phone-light", Visit::phone(false)),
        ("phone-dark", Visit::phone(true)),
    ] {
        let b = device.ready("/ok/").await;
        own_shapes_searched(&b, b.dir(), 3000, "2,850").await;
        b.click(".bench button").await;
        b.until_text("[data-testid=bench-status]", "done").await;
        b.js(
            "document.querySelector('[data-testid=own-nearest]').open = true",
            vec![],
        )
        .await;
        let wide = b
            .js(
                "return document.documentElement.scrollWidth - document.documentElement.clientWidth",
                vec![],
            )
            .await;
        assert_eq!(wide, json!(0), "{name}: the page scrolls sideways");
        if let Some(d) = &shots {
            for (panel, css) in [
                ("own", ".own"),
                ("bench", ".bench"),
                ("plot", ".bench .plot"),
            ] {
                b.js(
                    &format!(
                        "document.querySelector('{css}').scrollIntoView({{ block: 'center' }})"
                    ),
                    vec![],
                )
                .await;
                b.screenshot(&d.join(format!("{name}-{panel}.png"))).await;
            }
        }
    }
}
