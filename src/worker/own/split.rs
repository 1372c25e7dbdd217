//! An own set split for the benchmark: every few images held out of the index as
//! queries, so a query never finds itself; and each image named by the user's file
//! wherever the split moved it.

use ssam::Dataset;

use crate::protocol::Problem;

/// Benchmark queries of an own set are held out of its index, so a query never finds
/// itself: every `HOLD_EVERY`-th image (or sparser, for at most [`BENCH_QUERIES`]).
pub const HOLD_EVERY: usize = 20;
/// Query images an own set's benchmark uses, at most.
const BENCH_QUERIES: usize = 1000;
/// Sets smaller than this are indexed whole: holding out 5% of fewer images leaves too
/// few queries to measure anything, and the benchmark says so instead.
pub const MIN_TO_HOLD_OUT: usize = 200;

/// How a dataset is split for the benchmark: the images indexed, and the held-out
/// queries (None for a set too small to hold any out), every `step`-th image.
pub struct Split {
    pub indexed: Dataset,
    pub queries: Option<Dataset>,
    pub step: Option<usize>,
}

/// Holds every `step`-th image out of `pixels`/`labels` (in place: the set is never
/// copied whole) and makes the two datasets. Deterministic, so a saved index built on
/// the indexed part fits the same files given again.
pub fn split(
    rows: usize,
    cols: usize,
    mut pixels: Vec<u8>,
    mut labels: Vec<u8>,
) -> Result<Split, Problem> {
    let n = labels.len();
    if n < MIN_TO_HOLD_OUT {
        let indexed = Dataset::new(rows, cols, pixels, labels)?;
        return Ok(Split {
            indexed,
            queries: None,
            step: None,
        });
    }
    let dim = rows * cols;
    let step = HOLD_EVERY.max(n.div_ceil(BENCH_QUERIES));
    let (mut held_pixels, mut held_labels) = (Vec::new(), Vec::new());
    let mut kept = 0;
    for i in 0..n {
        if i % step == step - 1 {
            held_pixels.extend_from_slice(&pixels[i * dim..(i + 1) * dim]);
            held_labels.push(labels[i]);
        } else {
            pixels.copy_within(i * dim..(i + 1) * dim, kept * dim);
            labels[kept] = labels[i];
            kept += 1;
        }
    }
    // The 5% held out stay as spare capacity: shrinking could copy the whole set.
    pixels.truncate(kept * dim);
    labels.truncate(kept);
    Ok(Split {
        indexed: Dataset::new(rows, cols, pixels, labels)?,
        queries: Some(Dataset::new(rows, cols, held_pixels, held_labels)?),
        step: Some(step),
    })
}

/// Where an own set's images came from in the user's files, in the order given.
pub enum Origin {
    /// Images of one IDX file: named by its file name and their number in it.
    Idx(String),
    /// Pictures of a folder: their paths inside it.
    Files(Vec<String>),
}

/// Names each image of an own set by the user's own file, for the page to show beside
/// a hit or a query: the split moved them from the order they were given in.
pub struct Names {
    pub(super) origin: Origin,
    /// The split's step (None: indexed whole).
    pub(super) step: Option<usize>,
}

impl Names {
    /// Indexed image `id` (a hit's id).
    pub fn indexed(&self, id: usize) -> String {
        // Of each `step` images given, the first `step - 1` were indexed.
        let given = self.step.map_or(id, |s| id / (s - 1) * s + id % (s - 1));
        self.given(given)
    }

    /// Query image `i`: held out when the set holds any out, else an indexed one.
    pub fn query(&self, i: usize) -> String {
        match self.step {
            Some(s) => self.given(i * s + s - 1),
            None => self.given(i),
        }
    }

    /// The image given `i`-th.
    fn given(&self, i: usize) -> String {
        match &self.origin {
            Origin::Idx(file) => format!("{file} #{i}"),
            Origin::Files(paths) => paths.get(i).cloned().unwrap_or_default(),
        }
    }
}
