//! The app's preprocessing, made robust the way MNIST was made: test digits moved,
//! scaled, inverted, thickened and put on a large canvas still find their digit.
#![cfg(not(target_arch = "wasm32"))]

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use ssam::preprocess::prepare_rgba;
use ssam::{Dataset, exact};

fn mnist(stem: &str) -> Dataset {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/assets/mnist");
    let read = |kind: &str| std::fs::read(format!("{dir}/{stem}-{kind}.gz")).unwrap();
    Dataset::from_idx(
        stem,
        &read("images-idx3-ubyte"),
        stem,
        &read("labels-idx1-ubyte"),
    )
    .unwrap()
}

/// A 28x28 digit scaled up by `scale` (bilinear), thickened by `grow` pixels (a max
/// filter), at (`x`, `y`) on a `w` x `h` RGBA canvas; dark on light when `invert`.
#[allow(clippy::too_many_arguments)]
fn stage(
    digit: &[u8],
    scale: f32,
    grow: usize,
    w: usize,
    h: usize,
    x: usize,
    y: usize,
    invert: bool,
) -> Vec<u8> {
    let side = (28.0 * scale) as usize;
    let at = |px: f32, py: f32| -> f32 {
        let (x0, y0) = (
            px.floor().clamp(0.0, 27.0) as usize,
            py.floor().clamp(0.0, 27.0) as usize,
        );
        let (x1, y1) = ((x0 + 1).min(27), (y0 + 1).min(27));
        let (fx, fy) = (
            (px - x0 as f32).clamp(0.0, 1.0),
            (py - y0 as f32).clamp(0.0, 1.0),
        );
        let v = |xx: usize, yy: usize| f32::from(digit[yy * 28 + xx]);
        (v(x0, y0) * (1.0 - fx) + v(x1, y0) * fx) * (1.0 - fy)
            + (v(x0, y1) * (1.0 - fx) + v(x1, y1) * fx) * fy
    };
    let big: Vec<f32> = (0..side * side)
        .map(|i| {
            at(
                (i % side) as f32 / scale - 0.5,
                (i / side) as f32 / scale - 0.5,
            )
        })
        .collect();
    let thick: Vec<f32> = (0..side * side)
        .map(|i| {
            let (cx, cy) = (i % side, i / side);
            let mut m = 0.0f32;
            for yy in cy.saturating_sub(grow)..(cy + grow + 1).min(side) {
                for xx in cx.saturating_sub(grow)..(cx + grow + 1).min(side) {
                    m = m.max(big[yy * side + xx]);
                }
            }
            m
        })
        .collect();
    let mut rgba = vec![0u8; w * h * 4];
    for py in 0..h {
        for px in 0..w {
            let ink = if (x..x + side).contains(&px) && (y..y + side).contains(&py) {
                thick[(py - y) * side + (px - x)] as u8
            } else {
                0
            };
            let v = if invert { 255 - ink } else { ink };
            rgba[(py * w + px) * 4..][..4].copy_from_slice(&[v, v, v, 255]);
        }
    }
    rgba
}

#[test]
fn moved_scaled_inverted_thickened_digits_keep_1nn_accuracy_above_095() {
    let train = mnist("train");
    let test = mnist("t10k");
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    let n = 400;
    let mut right = 0;
    for i in 0..n {
        let scale = rng.random_range(3.0..9.0f32);
        let grow = rng.random_range(0..=(scale / 3.0) as usize);
        let side = (28.0 * scale) as usize;
        let (w, h) = (
            side + rng.random_range(40..400),
            side + rng.random_range(40..300),
        );
        let (x, y) = (rng.random_range(0..w - side), rng.random_range(0..h - side));
        let invert = i % 2 == 0;
        let rgba = stage(test.image(i), scale, grow, w, h, x, y, invert);
        let prepared = prepare_rgba(w, h, &rgba).unwrap();
        assert_eq!(prepared.inverted, invert, "digit {i}");
        let nearest = exact::search(&train, &prepared.pixels, 1)[0];
        right += usize::from(train.label(nearest.id as usize) == test.label(i));
    }
    let accuracy = right as f64 / n as f64;
    eprintln!("1-NN accuracy {accuracy} on {n} staged test digits");
    assert!(
        accuracy >= 0.95,
        "1-NN accuracy {accuracy} on {n} staged test digits"
    );
}
