//! What the picture-to-answer tests share: the MNIST files and the index the app ships.
#![allow(dead_code)] // each test file uses its own share of these

use ssam::preprocess::prepare_rgba;
use ssam::{Dataset, Effort, Index, Ranking, Scratch, Space, format, metrics};

/// An MNIST set from `assets/mnist` ("train" or "t10k").
pub fn mnist(stem: &str) -> Dataset {
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

/// The index the app ships, over the training digits.
pub fn shipped() -> Index {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/assets/index.ssam.gz");
    let index = format::from_bytes(path, &std::fs::read(path).unwrap(), mnist("train")).unwrap();
    assert_eq!(
        index.space(),
        Space::DEFAULT,
        "the shipped index is in the default space"
    );
    index
}

/// The label of the nearest training digit and the 10-NN vote for a 28x28 query, by the
/// shipped index's default search.
pub fn answer(index: &Index, query: &[u8], scratch: &mut Scratch) -> (u8, Option<u8>) {
    let found = index
        .search(query, 10, Effort::default_for(index), scratch)
        .unwrap();
    let label_of = |id: u32| index.originals().label(id as usize);
    (
        label_of(found[0].id),
        metrics::vote(found, label_of).map(|(l, _)| l),
    )
}

/// Shares of `cases` (an RGBA canvas, its width and height, the true digit) answered
/// right by the shipped index: the nearest training digit by the default search, the
/// 10-NN vote, and the nearest after the default re-ranking. A picture the
/// preprocessing refuses counts as wrong.
pub fn accuracy(
    index: &Index,
    cases: impl Iterator<Item = (Vec<u8>, usize, usize, u8)>,
) -> (f64, f64, f64) {
    let mut scratch = Scratch::new();
    let (mut n, mut right1, mut right_vote, mut right_ranked) = (0, 0, 0, 0);
    for (rgba, w, h, label) in cases {
        n += 1;
        let Ok(prepared) = prepare_rgba(w, h, &rgba) else {
            continue;
        };
        let (nearest, vote) = answer(index, &prepared.pixels, &mut scratch);
        right1 += usize::from(nearest == label);
        right_vote += usize::from(vote == Some(label));
        let ranked = index
            .find(
                &prepared.pixels,
                10,
                Effort::default_for(index),
                Ranking::DEFAULT,
                &mut scratch,
            )
            .unwrap();
        right_ranked += usize::from(index.originals().label(ranked[0].id as usize) == label);
    }
    let share = |right: usize| right as f64 / n as f64;
    (share(right1), share(right_vote), share(right_ranked))
}
