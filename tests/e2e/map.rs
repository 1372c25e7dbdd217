//! The map in a real browser: it never takes the page's scroll (one finger on a phone,
//! the plain wheel on a desktop), two fingers and Ctrl and the wheel move and zoom it, its
//! help fits the device, its points are reached and chosen from the keyboard, and a small
//! set's points are large enough to see.

use std::path::PathBuf;
use std::time::Duration;

use fantoccini::Locator;
use fantoccini::actions::{
    Actions, InputSource, KeyAction, KeyActions, PointerAction, TouchActions, WheelAction,
    WheelActions,
};
use fantoccini::key::Key;
use serde_json::json;

use super::{map_view, own_shapes_searched, until_map_ready, until_view};
use crate::site::{Browser, Visit, poll};

/// A desktop browser on the served site with a seven drawn and its answer on the map.
async fn desktop_with_map() -> Visit {
    let b = Visit::ready("/ok/").await;
    b.ask_seven().await;
    until_map_ready(&b).await;
    b
}

async fn scroll_y(b: &Browser) -> f64 {
    b.js("return scrollY", vec![]).await.as_f64().unwrap()
}

/// Scrolls the page so that the map's middle is in the middle of the screen, and returns
/// that middle in CSS pixels of the viewport.
async fn centre_map(b: &Browser) -> (f64, f64) {
    let at = b
        .js(
            "const c = document.querySelector('[data-testid=map]'); c.scrollIntoView({ block: 'center' }); \
             const r = c.getBoundingClientRect(); return [r.left + r.width / 2, r.top + r.height / 2];",
            vec![],
        )
        .await;
    b.two_frames().await;
    (at[0].as_f64().unwrap(), at[1].as_f64().unwrap())
}

/// Waits until the page's scroll leaves `from`; returns where it went.
async fn until_scrolled(b: &Browser, from: f64, what: &str) -> f64 {
    poll(
        Duration::from_secs(10),
        || scroll_y(b),
        |y| (y - from).abs() >= 1.0,
    )
    .await
    .unwrap_or_else(|_| panic!("{what} did not scroll the page"))
}

/// Centres the map, performs `gesture` (given the map's middle) and checks that it
/// scrolled the page up (the map is well below the page's top) and left the map's view
/// as it was.
async fn scrolls_the_page_not_the_map(
    b: &Browser,
    gesture: impl FnOnce((f64, f64)) -> Actions,
    what: &str,
) {
    let middle = centre_map(b).await;
    let view = map_view(b).await;
    let before = scroll_y(b).await;
    b.client.perform_actions(gesture(middle)).await.unwrap();
    let after = until_scrolled(b, before, what).await;
    assert!(after < before, "{what} scrolled from {before} to {after}");
    b.two_frames().await;
    assert_eq!(map_view(b).await, view, "{what} moved the map");
}

/// Centres the map, performs `gesture` (given the map's middle) and checks that it
/// zoomed the map in by more than `factor` and left the page's scroll as it was.
async fn zooms_the_map_not_the_page(
    b: &Browser,
    gesture: impl FnOnce((f64, f64)) -> Actions,
    factor: f64,
    what: &str,
) {
    let middle = centre_map(b).await;
    let (zoom, _) = map_view(b).await;
    let before = scroll_y(b).await;
    b.client.perform_actions(gesture(middle)).await.unwrap();
    let (zoomed, _) = until_view(b, |(z, _)| z > zoom * factor).await;
    assert!(zoomed > zoom * factor, "{what} did not zoom the map");
    assert_eq!(scroll_y(b).await, before, "{what} scrolled the page");
}

/// The visible text of the map's help.
async fn help(b: &Browser) -> String {
    b.js(
        "return document.querySelector('#map-title + p').innerText",
        vec![],
    )
    .await
    .as_str()
    .unwrap()
    .to_string()
}

/// Saves a screenshot of the map's card as `name` in SSAM_SCREENSHOTS, when it is set.
async fn shot(b: &Browser, name: &str) {
    if let Some(dir) = std::env::var_os("SSAM_SCREENSHOTS").map(PathBuf::from) {
        b.js("document.querySelector('.map').scrollIntoView()", vec![])
            .await;
        b.two_frames().await;
        b.screenshot(&dir.join(name)).await;
    }
}

/// A finger from `(x, y)` moved by `(dx, dy)` CSS pixels of the viewport, then lifted.
fn finger(id: &str, (x, y): (f64, f64), (dx, dy): (f64, f64)) -> TouchActions {
    TouchActions::new(id.into())
        .then(PointerAction::MoveTo {
            duration: None,
            x,
            y,
        })
        .then(PointerAction::Down { button: 0 })
        .then(PointerAction::MoveBy {
            duration: Some(Duration::from_millis(300)),
            x: dx,
            y: dy,
        })
        .then(PointerAction::Up { button: 0 })
}

#[tokio::test(flavor = "current_thread")]
async fn on_a_phone_one_finger_scrolls_the_page_over_the_map_and_two_fingers_zoom_it() {
    for dark in [false, true] {
        let b = Visit::phone(dark).ready("/ok/").await;
        b.click(".pick .primary").await;
        b.until_text("[data-testid=verdict]", "nearest").await;
        until_map_ready(&b).await;

        // The help speaks of fingers, not of a wheel, keys or pointing.
        let words = help(&b).await;
        assert!(words.contains("two fingers"), "{words}");
        for absent in ["wheel", "arrow", "Point at"] {
            assert!(!words.contains(absent), "{absent:?} in {words}");
        }
        let scheme = if dark { "dark" } else { "light" };
        shot(&b, &format!("phone-{scheme}-map.png")).await;

        // One finger down over the map scrolls the page up; two spreading apart zoom
        // the map in.
        scrolls_the_page_not_the_map(
            &b,
            |(x, y)| finger("finger", (x, y - 100.0), (0.0, 200.0)).into(),
            "a one-finger swipe over the map",
        )
        .await;
        let pinch = |(x, y): (f64, f64)| {
            vec![
                finger("left", (x - 30.0, y), (-80.0, 0.0)),
                finger("right", (x + 30.0, y), (80.0, 0.0)),
            ]
            .into()
        };
        zooms_the_map_not_the_page(&b, pinch, 1.5, "a pinch").await;

        shot(&b, &format!("phone-{scheme}-map-pinched.png")).await;
    }
}

#[tokio::test(flavor = "current_thread")]
async fn on_a_desktop_the_wheel_scrolls_the_page_over_the_map_and_ctrl_with_it_zooms() {
    let b = desktop_with_map().await;
    let words = help(&b).await;
    assert!(words.contains("Ctrl and the wheel"), "{words}");
    assert!(!words.contains("finger"), "{words}");
    shot(&b, "desktop-map.png").await;

    // The plain wheel over the map scrolls the page; with Ctrl held, it zooms the map.
    let scroll = |(x, y): (f64, f64)| WheelAction::Scroll {
        duration: None,
        x: x as i64,
        y: y as i64,
        delta_x: 0,
        delta_y: -200,
    };
    scrolls_the_page_not_the_map(
        &b,
        |at| WheelActions::new("wheel".into()).then(scroll(at)).into(),
        "the wheel over the map",
    )
    .await;
    // Ctrl goes down in the first tick, the wheel turns in the second.
    let ctrl_wheel = |at| {
        let ctrl = KeyActions::new("keys".into())
            .then(KeyAction::Down {
                value: Key::Control.into(),
            })
            .pause(Duration::from_millis(10))
            .then(KeyAction::Up {
                value: Key::Control.into(),
            });
        let wheel = WheelActions::new("wheel".into())
            .pause(Duration::from_millis(0))
            .then(scroll(at));
        Actions::from(ctrl).and(wheel)
    };
    zooms_the_map_not_the_page(&b, ctrl_wheel, 1.2, "Ctrl and the wheel").await;

    shot(&b, "desktop-map-zoomed.png").await;
}

/// The point the map's words say is in focus: its number.
async fn focused(b: &Browser) -> u32 {
    let text = b
        .until_text("[data-testid=map-hover]", "Training digit #")
        .await;
    let number = text.split('#').nth(1).unwrap();
    number
        .split(|c: char| !c.is_ascii_digit())
        .next()
        .unwrap()
        .parse()
        .unwrap_or_else(|e| panic!("{text}: {e}"))
}

#[tokio::test(flavor = "current_thread")]
async fn the_maps_points_are_reached_and_chosen_from_the_keyboard() {
    let b = desktop_with_map().await;
    let map = b
        .client
        .find(Locator::Css("[data-testid=map]"))
        .await
        .unwrap();
    let (zoom, centre) = map_view(&b).await;

    // The first arrow rings a point and names it; the next steps to another.
    map.send_keys(&char::from(Key::Right).to_string())
        .await
        .unwrap();
    let first = focused(&b).await;
    let said = b.attribute("[data-testid=map-hover]", "aria-live").await;
    assert_eq!(said, "polite");
    map.send_keys(&char::from(Key::Right).to_string())
        .await
        .unwrap();
    let second = poll(Duration::from_secs(10), || focused(&b), |&n| n != first)
        .await
        .unwrap_or_else(|_| panic!("the second arrow stayed on #{first}"));
    shot(&b, "desktop-map-focus.png").await;
    // Stepping leaves the view where it is (the focus is inside it).
    assert_eq!(map_view(&b).await.0, zoom);
    assert_eq!(map_view(&b).await.1, centre);

    // Enter searches with the point in focus, as a click on it does.
    map.send_keys(&char::from(Key::Enter).to_string())
        .await
        .unwrap();
    let results = b
        .until_text(
            ".results",
            &format!("Searched with training digit #{second} (a "),
        )
        .await;
    assert!(results.contains("nearest"), "{results}");

    // Shift and the arrows still move the map.
    let active = b
        .js("return document.activeElement.dataset.testid", vec![])
        .await;
    assert_eq!(active, json!("map"), "the map keeps the focus");
    let shift_right = format!("{}{}", char::from(Key::Shift), char::from(Key::Right));
    map.send_keys(&shift_right).await.unwrap();
    let (_, moved) = until_view(&b, |(_, c)| c.0 > centre.0).await;
    assert!(
        moved.0 > centre.0,
        "Shift and the arrow did not move the map"
    );
}

#[tokio::test(flavor = "current_thread")]
async fn a_small_own_sets_points_are_large_enough_to_see() {
    let b = Visit::ready("/ok/").await;
    own_shapes_searched(&b, b.dir(), 20, "20").await;
    b.click("[data-testid=map-lay-out]").await;
    b.until_text("[data-testid=map-layout-status]", "Laid out in this page")
        .await;
    until_map_ready(&b).await;
    b.until_text("[data-testid=map-where]", "lands among").await;
    b.two_frames().await;
    // The points drawn as solid discs at least 5 CSS pixels across in the shapes' label
    // colours (the numerals' strokes are thinner; a 1-pixel dot is none), counted as the
    // separate places where a solid 5x5 square fits. The query's lines cross its hits,
    // so the other points are counted: at least a quarter of the twenty.
    let solid = b
        .js(
            r#"const c = document.querySelector('[data-testid=map]');
            const s = Math.round(5 * Math.min(2, Math.max(1, devicePixelRatio)));
            const w = c.width, h = c.height;
            const d = c.getContext('2d').getImageData(0, 0, w, h).data;
            const pal = [[0xE6, 0x9F, 0x00], [0x56, 0xB4, 0xE9], [0x00, 0x9E, 0x73]];
            const label = new Int8Array(w * h).fill(-1);
            for (let i = 0; i < w * h; i++)
              pal.forEach((p, k) => { if (d[4 * i] === p[0] && d[4 * i + 1] === p[1] && d[4 * i + 2] === p[2]) label[i] = k; });
            const fits = new Uint8Array(w * h);
            for (let y = 0; y + s <= h; y++)
              for (let x = 0; x + s <= w; x++) {
                const k = label[y * w + x];
                let all = k >= 0;
                for (let yy = y; all && yy < y + s; yy++)
                  for (let xx = x; all && xx < x + s; xx++) all = label[yy * w + xx] === k;
                fits[y * w + x] = all ? 1 : 0;
              }
            let places = 0;
            for (let i = 0; i < w * h; i++) {
              if (fits[i] !== 1) continue;
              places++;
              const todo = [i];
              fits[i] = 2;
              while (todo.length) {
                const j = todo.pop(), x = j % w, y = (j - x) / w;
                for (const [nx, ny] of [[x + 1, y], [x - 1, y], [x, y + 1], [x, y - 1]])
                  if (nx >= 0 && ny >= 0 && nx < w && ny < h && fits[ny * w + nx] === 1) { fits[ny * w + nx] = 2; todo.push(ny * w + nx); }
              }
            }
            return places;"#,
            vec![],
        )
        .await;
    assert!(
        solid.as_u64().unwrap() >= 5,
        "points large enough to see: {solid} of 20"
    );
    shot(&b, "desktop-own-20.png").await;
}
