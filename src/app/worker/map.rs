//! The map of the shipped set: fetched when the page asks (after its first result, so it
//! never competes with the first load), checked against the images it was laid out for;
//! and training images by id for the map's pictures.

use super::super::protocol::{FromWorker, Images, MapFile, Problem};
use super::load::download;
use super::{Set, post};
use crate::Map;

/// Where the shipped map is, beside the index.
pub use crate::shipped::MAP;
/// At most this many images a request: a zoomed-in view shows far fewer.
const MAX_IMAGES: usize = 2048;

/// The map of `set`, checked, with its labels.
pub async fn fetch(set: &Set) -> Result<MapFile, Problem> {
    if set.info.own {
        return Err(Problem::Unsupported {
            what: "own sets have no map yet: the map shows MNIST's training digits".into(),
        });
    }
    let data = set.index.originals();
    let bytes = download(MAP, Map::limit(data.len()), false).await?;
    Map::from_bytes(MAP, &bytes, data.fingerprint(), data.len())
        .map_err(|e| Problem::from_engine(&e))?;
    Ok(MapFile {
        file: MAP.into(),
        bytes,
        fingerprint: data.fingerprint(),
        labels: data.labels().to_vec(),
    })
}

/// Sends the images of `ids` (those that exist, at most [`MAX_IMAGES`]).
pub fn images(set: &Set, ids: &[u32]) {
    let data = set.index.originals();
    let ids: Vec<u32> = ids
        .iter()
        .copied()
        .filter(|&i| (i as usize) < data.len())
        .take(MAX_IMAGES)
        .collect();
    let mut pixels = Vec::with_capacity(ids.len() * data.dim());
    for &i in &ids {
        pixels.extend_from_slice(data.image(i as usize));
    }
    post(&FromWorker::Images(Images {
        rows: data.rows() as u16,
        cols: data.cols() as u16,
        ids,
        pixels,
    }));
}
