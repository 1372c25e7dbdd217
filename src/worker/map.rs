//! The map of the shipped set: fetched when the page asks (after its first result, so it
//! never competes with the first load; while MNIST is searched by parts, once its whole
//! set is here), checked against the images it was laid out for; and images by id for
//! the map's pictures. An own set's map is laid out here instead (`layout`).

use std::cell::Cell;
use std::rc::Rc;

use super::messages::{fail, post};
use super::set::Set;
use super::sets;
use super::store::download;
use crate::protocol::{FromWorker, Images, MapFile, Problem, Task};
use ssam::Map;

/// Where the shipped map is, beside the index.
pub use ssam::shipped::MAP;
/// At most this many images a request: a zoomed-in view shows far fewer.
const MAX_IMAGES: usize = 2048;

thread_local! {
    /// The page asked for the map before the whole set was here.
    static WANTED: Cell<bool> = const { Cell::new(false) };
}

/// Sends the map of the set searched; MNIST by parts: once its whole set is here.
pub fn ask() {
    match sets::current() {
        Some(set) => send(set),
        None => WANTED.set(true),
    }
}

/// Whether the page asked for the map before the whole set was here (asked once).
pub fn take_wanted() -> bool {
    WANTED.take()
}

/// Fetches the map of `set` and sends it.
pub fn send(set: Rc<Set>) {
    wasm_bindgen_futures::spawn_local(async move {
        match fetch(&set).await {
            Ok(m) => post(&FromWorker::Map(m)),
            Err(p) => fail(Task::Map, p),
        }
    });
}

/// The map of `set`, checked, with its labels.
async fn fetch(set: &Set) -> Result<MapFile, Problem> {
    if set.info.own {
        return Err(Problem::Unsupported {
            what: "an own set's map is laid out in the page when asked, not fetched".into(),
        });
    }
    let data = set.index.originals();
    let bytes = download(MAP, Map::limit(data.len())).await?;
    Map::from_bytes(MAP, &bytes, data.fingerprint(), data.len()).map_err(|e| Problem::from(&e))?;
    Ok(MapFile {
        file: MAP.into(),
        bytes,
        fingerprint: data.fingerprint(),
        labels: data.labels().to_vec(),
    })
}

/// Sends the images of `ids` in the set searched whole (those that exist, at most
/// [`MAX_IMAGES`]).
pub fn images(ids: &[u32]) {
    let Some(set) = sets::current() else { return };
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
