//! The shipped data: MNIST's training digits and the prebuilt index, fetched and inflated
//! as they arrive and checked; the test digits and the exact answers when first needed.

use crate::gzip::{Limit, MAX_BYTES};
use crate::{Dataset, format, idx};

use super::super::fetch::{self, now, pause};
use super::super::protocol::{FromWorker, Problem, Progress, SetInfo};
use super::{Set, post};

/// Where the shipped files are, relative to the worker's script, which sits beside the
/// page (so a sub-path works).
pub use crate::shipped::{INDEX, TEST_IMAGES, TEST_LABELS, TRAIN_IMAGES, TRAIN_LABELS, TRUTH};

/// The exact answers file is 40 kB: a megabyte is room enough.
pub const TRUTH_LIMIT: Limit = Limit::at_most(1 << 20);

pub(crate) fn progress(stage: &str, file: &str, done: f64, total: Option<f64>, own: bool) {
    post(&FromWorker::Progress(Progress {
        stage: stage.into(),
        file: file.into(),
        done,
        total,
        own,
    }));
}

/// Fetches `file` within `limit`, telling the page as bytes arrive (at most every 50 ms).
pub async fn download(file: &str, limit: Limit, tell: bool) -> Result<Vec<u8>, Problem> {
    let mut last = 0.0;
    if tell {
        progress("downloading", file, 0.0, None, false);
    }
    fetch::fetch(file, limit, |done, total| {
        if tell && now() - last > 50.0 {
            last = now();
            progress(
                "downloading",
                file,
                done as f64,
                total.map(|t| t as f64),
                false,
            );
        }
    })
    .await
}

fn engine(e: crate::Error) -> Problem {
    Problem::from_engine(&e)
}

/// The shipped index over MNIST's training digits.
pub async fn shipped() -> Result<Set, Problem> {
    let t0 = now();
    // Side by side: the index and the labels arrive while the images still stream in.
    let (index_gz, labels, images) = futures::join!(
        download(INDEX, format::limit(MAX_BYTES), false),
        download(TRAIN_LABELS, idx::limit(MAX_BYTES), false),
        download(TRAIN_IMAGES, idx::limit(MAX_BYTES), true)
    );
    let (index_gz, labels, images) = (index_gz?, labels?, images?);
    let t1 = now();
    progress("checking", TRAIN_IMAGES, 0.0, None, false);
    pause().await;
    let train =
        Dataset::from_idx_owned(TRAIN_IMAGES, images, TRAIN_LABELS, labels).map_err(engine)?;
    let t2 = now();
    progress("indexing", INDEX, 0.0, None, false);
    pause().await;
    let index = format::from_bytes(INDEX, &index_gz, train).map_err(engine)?;
    let t3 = now();
    let info = SetInfo {
        name: "MNIST".into(),
        own: false,
        labelled: true,
        classes: Vec::new(),
        ready_at: t3,
        stages: vec![
            ("download and unpack".into(), t1 - t0),
            ("check".into(), t2 - t1),
            ("index".into(), t3 - t2),
        ],
        query_noun: "test digit".into(),
        queries: 10_000,
        ..SetInfo::default()
    };
    Ok(Set::new(index, info, None))
}

/// MNIST's 10,000 test digits.
pub async fn test_digits() -> Result<Dataset, Problem> {
    let labels = download(TEST_LABELS, idx::limit(MAX_BYTES), false).await?;
    let images = download(TEST_IMAGES, idx::limit(MAX_BYTES), false).await?;
    Dataset::from_idx_owned(TEST_IMAGES, images, TEST_LABELS, labels).map_err(engine)
}
