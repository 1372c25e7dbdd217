//! The loaded engine: the training digits, the forest, and the test digits once asked
//! for; loading reports its stage and bytes, and every failure names the file.

use std::sync::Mutex;

use crate::truth::KthDistances;
use crate::{Dataset, Effort, Index, Neighbor, Scratch, format};

use super::fetch::{self, now};

/// Where the shipped files are, relative to the page (so a sub-path works).
pub const TRAIN_IMAGES: &str = "assets/mnist/train-images-idx3-ubyte.gz";
pub const TRAIN_LABELS: &str = "assets/mnist/train-labels-idx1-ubyte.gz";
pub const TEST_IMAGES: &str = "assets/mnist/t10k-images-idx3-ubyte.gz";
pub const TEST_LABELS: &str = "assets/mnist/t10k-labels-idx1-ubyte.gz";
pub const INDEX: &str = "assets/index.ssam.gz";
pub const TRUTH: &str = "assets/truth-t10k.bin";

/// What loading is doing now.
#[derive(Debug, Clone, PartialEq)]
pub struct Progress {
    /// "downloading" (and unpacking, as the bytes arrive), "checking", "indexing".
    pub stage: &'static str,
    /// The file being worked on.
    pub file: &'static str,
    /// Bytes done and, when known, in all.
    pub done: u64,
    pub total: Option<u64>,
}

/// Everything a search needs.
pub struct Engine {
    pub index: Index,
    scratch: Mutex<Scratch>,
    /// Milliseconds from navigation to ready.
    pub ready_at: f64,
    /// Milliseconds spent downloading and unpacking, checking, and indexing.
    pub stages: [(&'static str, f64); 3],
}

/// One answer and what it cost.
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    pub neighbors: Vec<Neighbor>,
    pub ms: f64,
    pub candidates: usize,
}

impl Engine {
    /// Fetches and checks the training set and the index.
    pub async fn load(report: impl Fn(Progress) + Clone) -> Result<Engine, String> {
        let t0 = now();
        let index_gz = download(INDEX, report.clone()).await?;
        let labels = download(TRAIN_LABELS, report.clone()).await?;
        let images = download(TRAIN_IMAGES, report.clone()).await?;
        let t1 = now();
        let train = unpack(TRAIN_IMAGES, images, TRAIN_LABELS, labels, report.clone()).await?;
        let t2 = now();
        report(Progress {
            stage: "indexing",
            file: INDEX,
            done: 0,
            total: Some(index_gz.len() as u64),
        });
        fetch::pause().await;
        let index = format::from_bytes(INDEX, &index_gz, train).map_err(|e| e.to_string())?;
        let t3 = now();
        let stages = [
            ("download and unpack", t1 - t0),
            ("check", t2 - t1),
            ("index", t3 - t2),
        ];
        Ok(Engine {
            index,
            scratch: Mutex::new(Scratch::new()),
            ready_at: t3,
            stages,
        })
    }

    /// The training digits as given.
    pub fn train(&self) -> &Dataset {
        self.index.originals()
    }

    /// The `k` nearest with this effort.
    pub fn search(&self, query: &[u8], k: usize, effort: Effort) -> Result<Answer, String> {
        let mut scratch = self
            .scratch
            .lock()
            .map_err(|_| "the search state is poisoned".to_string())?;
        let start = now();
        let neighbors = self
            .index
            .search(query, k, effort, &mut scratch)
            .map_err(|e| e.to_string())?
            .to_vec();
        Ok(Answer {
            neighbors,
            ms: now() - start,
            candidates: scratch.measured(),
        })
    }
}

/// The test digits, fetched when a feature first needs them.
pub struct TestSet {
    pub data: Dataset,
}

impl TestSet {
    pub async fn load(report: impl Fn(Progress) + Clone) -> Result<TestSet, String> {
        let labels = download(TEST_LABELS, report.clone()).await?;
        let images = download(TEST_IMAGES, report.clone()).await?;
        Ok(TestSet {
            data: unpack(TEST_IMAGES, images, TEST_LABELS, labels, report).await?,
        })
    }
}

/// Fetches the exact 10th distances of the test digits.
pub async fn load_truth(
    engine: &Engine,
    test: &TestSet,
    report: impl Fn(Progress) + Clone,
) -> Result<KthDistances, String> {
    let bytes = download(TRUTH, report).await?;
    KthDistances::from_bytes(TRUTH, &bytes, engine.train(), &test.data).map_err(|e| e.to_string())
}

async fn download(file: &'static str, report: impl Fn(Progress)) -> Result<Vec<u8>, String> {
    report(Progress {
        stage: "downloading",
        file,
        done: 0,
        total: None,
    });
    fetch::fetch(file, |done, total| {
        report(Progress {
            stage: "downloading",
            file,
            done,
            total,
        })
    })
    .await
}

async fn unpack(
    images_file: &'static str,
    images: Vec<u8>,
    labels_file: &'static str,
    labels: Vec<u8>,
    report: impl Fn(Progress),
) -> Result<Dataset, String> {
    report(Progress {
        stage: "checking",
        file: images_file,
        done: images.len() as u64,
        total: Some(images.len() as u64),
    });
    fetch::pause().await;
    Dataset::from_idx_owned(images_file, images, labels_file, labels).map_err(|e| e.to_string())
}
