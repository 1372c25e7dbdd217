//! Code that only runs in a browser, tested in one (wasm-bindgen-test in headless
//! Chromium): the picture decoding behind upload, and the SIMD kernels as WebAssembly.
#![cfg(target_arch = "wasm32")]

use wasm_bindgen::JsValue;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn file(name: &str, kind: &str, body: &str) -> web_sys::File {
    let parts = js_sys::Array::of1(&JsValue::from_str(body));
    let options = web_sys::FilePropertyBag::new();
    options.set_type(kind);
    web_sys::File::new_with_str_sequence_and_options(&parts, name, &options).unwrap()
}

#[wasm_bindgen_test]
async fn an_svg_picture_is_decoded_by_the_browser_and_prepared_like_mnist() {
    // A black bar on white: a one, dark on light.
    let svg = r#"<svg xmlns="http://www.w3.org/2000/svg" width="200" height="200">
        <rect width="200" height="200" fill="white"/><rect x="90" y="20" width="20" height="160" fill="black"/></svg>"#;
    let q = ssam_web::page::upload::prepare(&file("one.svg", "image/svg+xml", svg))
        .await
        .unwrap();
    assert_eq!(q.source, "one.svg");
    assert_eq!(q.image.pixels.len(), 28 * 28);
    let lit: Vec<usize> = (0..784).filter(|&i| q.image.pixels[i] > 128).collect();
    // 20x160 scales to about 3x20, centred: a bar in the middle columns.
    assert!(
        lit.len() >= 40 && lit.len() <= 80,
        "{} lit pixels",
        lit.len()
    );
    assert!(lit.iter().all(|&i| (12..16).contains(&(i % 28))), "{lit:?}");
}

#[wasm_bindgen_test]
async fn text_empty_and_blank_files_are_refused_by_name() {
    let e = ssam_web::page::upload::prepare(&file("notes.txt", "text/plain", "hello"))
        .await
        .unwrap_err();
    assert_eq!(e, "notes.txt is not a picture (its type is text/plain)");
    let e = ssam_web::page::upload::prepare(&file("empty.png", "image/png", ""))
        .await
        .unwrap_err();
    assert_eq!(e, "empty.png is empty");
    let e = ssam_web::page::upload::prepare(&file("fake.png", "image/png", "not png bytes"))
        .await
        .unwrap_err();
    assert_eq!(e, "fake.png is not a picture this browser can decode");
    let blank = r#"<svg xmlns="http://www.w3.org/2000/svg" width="50" height="50"><rect width="50" height="50" fill="white"/></svg>"#;
    let e = ssam_web::page::upload::prepare(&file("blank.svg", "image/svg+xml", blank))
        .await
        .unwrap_err();
    assert!(e.starts_with("blank.svg: the picture has no ink"), "{e}");
}

#[wasm_bindgen_test]
fn simd128_kernels_agree_with_the_scalar_reference() {
    let a: Vec<u8> = (0..784u32).map(|i| (i * 7919 % 256) as u8).collect();
    let b: Vec<u8> = (0..784u32).map(|i| (i * 104729 % 256) as u8).collect();
    let c: Vec<u8> = (0..784u32).map(|i| (i * 31 % 256) as u8).collect();
    for n in [0, 1, 15, 16, 17, 783, 784] {
        assert_eq!(
            ssam::distance::l2_sq(&a[..n], &b[..n]),
            ssam::distance::scalar::l2_sq(&a[..n], &b[..n])
        );
        let many = ssam::distance::l2_sq_many(&a[..n], [&b[..n], &c[..n]]);
        assert_eq!(
            many,
            [
                ssam::distance::scalar::l2_sq(&a[..n], &b[..n]),
                ssam::distance::scalar::l2_sq(&a[..n], &c[..n])
            ]
        );
    }
}

#[wasm_bindgen_test]
fn the_distortion_kernel_agrees_with_its_definition_in_webassembly() {
    use ssam::distortion::{Distortion, Gradients, Workspace, distance, matching, reference};
    let mut s = 7u64;
    let mut image = |n: usize| -> Vec<u8> {
        (0..n)
            .map(|_| {
                s = s.wrapping_mul(6364136223846793005).wrapping_add(1);
                let v = (s >> 56) as u8;
                if v < 150 { 0 } else { v }
            })
            .collect()
    };
    for (model, rows, cols) in [
        (Distortion::DEFAULT, 28, 28),
        (
            Distortion {
                warp: 1,
                context: 0,
            },
            12,
            9,
        ),
        (
            Distortion {
                warp: 3,
                context: 2,
            },
            16,
            16,
        ),
    ] {
        let (a, b) = (image(rows * cols), image(rows * cols));
        let ga = Gradients::of(model, rows, cols, &a).unwrap();
        let gb = Gradients::of(model, rows, cols, &b).unwrap();
        let fast = distance(model, &ga, &gb, &mut Workspace::default());
        assert_eq!(
            fast,
            reference::distance(model, rows, cols, &a, &b),
            "{model:?}"
        );
        assert_eq!(matching(model, &ga, &gb).distance, fast, "{model:?}");
    }
}
