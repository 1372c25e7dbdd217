//! Deformed digits (`ssam::augment`) stay the digits they were made from, as the index
//! sees them.

#![cfg(not(target_arch = "wasm32"))]
mod common;

use ssam::augment::{Augmenter, Deformation};
use ssam::{Space, exact};

#[test]
fn a_deformed_digit_is_nearest_to_its_source_or_to_a_digit_of_its_label() {
    let train = common::mnist("train");
    // The index's space without query shifts: plain exact search.
    let space: Space = "deskew+peak@16x16".parse().unwrap();
    let originals = space.apply_all(&train).unwrap();
    let augmenter = Augmenter::new(28, 28, 1, Deformation::MNIST);
    let (mut own, mut label, n) = (0, 0, 300);
    let mut deformed = vec![0u8; 28 * 28];
    let mut searched = vec![0u8; space.dim(28, 28)];
    for i in 0..n {
        // Sources spread over the set, copies 1 to 5.
        let source = i * 197 % train.len();
        augmenter.deform(train.image(source), source, 1 + i as u32 % 5, &mut deformed);
        space.apply(28, 28, &deformed, &mut searched).unwrap();
        let nearest = exact::search(&originals, &searched, 1)[0].id as usize;
        own += usize::from(nearest == source);
        label += usize::from(train.label(nearest) == train.label(source));
    }
    let (own, label) = (own as f64 / n as f64, label as f64 / n as f64);
    eprintln!("nearest original: its source {own:.3}, its label {label:.3}");
    // Far more often its own source than chance (one in 60,000) would give, and almost
    // always a digit of its label: the label it inherits is right. (Stronger fields fail
    // this: sigma 4 gives 0.88 of its label.)
    assert!(own > 0.15, "its source {own}");
    assert!(label > 0.93, "its label {label}");
}
