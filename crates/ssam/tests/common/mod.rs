//! What the picture-to-answer tests share: the MNIST files and the index the app ships.
#![allow(dead_code)] // each test file uses its own share of these

use ssam::preprocess::prepare_rgba;
use ssam::{DEFAULT_K, Dataset, Effort, Index, Ranking, Scratch, Space, format, verdict};

/// An MNIST set from `assets/mnist` ("train" or "t10k").
pub fn mnist(stem: &str) -> Dataset {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../assets/mnist");
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
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../assets/index.ssam.gz");
    let index = format::from_bytes(path, &std::fs::read(path).unwrap(), mnist("train")).unwrap();
    assert_eq!(
        index.space(),
        Space::DEFAULT,
        "the shipped index is in the default space"
    );
    index
}

/// The app's answer for a 28x28 query with the shipped index: the label of the nearest
/// training digit after the default search and re-ranking, and the verdict's label.
pub fn answer(index: &Index, query: &[u8], scratch: &mut Scratch) -> (u8, Option<u8>) {
    let found = index
        .find(
            query,
            DEFAULT_K,
            Effort::default_for(index),
            Ranking::DEFAULT,
            scratch,
        )
        .unwrap();
    let label_of = |id: u32| index.originals().label(id as usize);
    (
        label_of(found[0].id),
        verdict::verdict(found, label_of).map(|v| v.label),
    )
}

/// How often a set of pictures is answered right.
#[derive(Debug, Clone, Copy)]
pub struct Scores {
    /// The nearest training digit as the app answers (search, then re-ranking).
    pub nearest: f64,
    /// The app's verdict.
    pub verdict: f64,
    /// The nearest by the search alone, before re-ranking (for comparison).
    pub searched: f64,
}

impl std::fmt::Display for Scores {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "1-NN accuracy {:.4}, verdict {:.4} (search alone, before re-ranking: 1-NN {:.4})",
            self.nearest, self.verdict, self.searched
        )
    }
}

/// Scores of `cases` (an RGBA canvas, its width and height, the true digit) through the
/// app's preprocessing and the shipped index. A picture the preprocessing refuses counts
/// as wrong.
pub fn accuracy(index: &Index, cases: impl Iterator<Item = (Vec<u8>, usize, usize, u8)>) -> Scores {
    let mut scratch = Scratch::new();
    let (mut n, mut nearest, mut verdict, mut searched) = (0, 0, 0, 0);
    for (rgba, w, h, label) in cases {
        n += 1;
        let Ok(prepared) = prepare_rgba(w, h, &rgba) else {
            continue;
        };
        let (first, said) = answer(index, &prepared.pixels, &mut scratch);
        nearest += usize::from(first == label);
        verdict += usize::from(said == Some(label));
        let found = index
            .search(
                &prepared.pixels,
                DEFAULT_K,
                Effort::default_for(index),
                &mut scratch,
            )
            .unwrap();
        searched += usize::from(index.originals().label(found[0].id as usize) == label);
    }
    let share = |right: usize| right as f64 / n as f64;
    Scores {
        nearest: share(nearest),
        verdict: share(verdict),
        searched: share(searched),
    }
}

/// Bilinear sample of a 28x28 digit at (u, v), 0 outside: how the tests stage digits on
/// larger pictures.
pub fn bilinear(digit: &[u8], u: f32, v: f32) -> f32 {
    let (x0, y0) = (u.floor(), v.floor());
    let (fx, fy) = (u - x0, v - y0);
    let at = |x: f32, y: f32| {
        if (0.0..28.0).contains(&x) && (0.0..28.0).contains(&y) {
            f32::from(digit[y as usize * 28 + x as usize])
        } else {
            0.0
        }
    };
    (at(x0, y0) * (1.0 - fx) + at(x0 + 1.0, y0) * fx) * (1.0 - fy)
        + (at(x0, y0 + 1.0) * (1.0 - fx) + at(x0 + 1.0, y0 + 1.0) * fx) * fy
}
