//! Reading the shipped files from disk, with the path in every error.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::Context;
use ssam::{Dataset, Index, format};

use crate::Result;

use ssam::shipped::in_assets;

/// File name of the shipped index, in the assets folder.
pub const INDEX: &str = in_assets(ssam::shipped::INDEX);
/// File name of the test set's exact 10th distances, in the assets folder.
pub const TRUTH: &str = in_assets(ssam::shipped::TRUTH);
/// File name of the map, in the assets folder.
pub const MAP: &str = in_assets(ssam::shipped::MAP);

/// Which half of MNIST.
#[derive(Clone, Copy)]
pub enum Split {
    Train,
    Test,
}

pub fn read(path: &Path) -> Result<Vec<u8>> {
    fs::read(path).with_context(|| path.display().to_string())
}

pub fn mnist_paths(assets: &Path, split: Split) -> (PathBuf, PathBuf) {
    let (images, labels) = match split {
        Split::Train => (ssam::shipped::TRAIN_IMAGES, ssam::shipped::TRAIN_LABELS),
        Split::Test => (ssam::shipped::TEST_IMAGES, ssam::shipped::TEST_LABELS),
    };
    (
        assets.join(in_assets(images)),
        assets.join(in_assets(labels)),
    )
}

pub fn dataset(assets: &Path, split: Split) -> Result<Dataset> {
    let (images, labels) = mnist_paths(assets, split);
    Ok(Dataset::from_idx(
        &images.display().to_string(),
        &read(&images)?,
        &labels.display().to_string(),
        &read(&labels)?,
    )?)
}

/// Reads the index file at `path`, built for the training images `train`.
pub fn index(path: &Path, train: Dataset) -> Result<Index> {
    Ok(format::from_bytes(
        &path.display().to_string(),
        &read(path)?,
        train,
    )?)
}

/// Peak resident memory of this process in bytes, where the system tells it.
pub fn peak_rss() -> Option<u64> {
    let status = fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}
