//! The map of the shipped set: fetched when the page asks (after its first result, so it
//! never competes with the first load), checked against the images it was laid out for;
//! an own set's map, laid out here when the user asks, in slices between which searches
//! and a Cancel are answered; and training images by id for the map's pictures.

use super::load::download;
use super::{Set, post};
use crate::fetch::{now, pause};
use crate::protocol::{FromWorker, Images, LayoutProgress, MapFile, Problem};
use ssam::layout::{self, Fuzzy, Layout, Start};
use ssam::{LayoutParams, Map, Scratch};

/// Where the shipped map is, beside the index.
pub use ssam::shipped::MAP;
/// At most this many images a request: a zoomed-in view shows far fewer.
const MAX_IMAGES: usize = 2048;

/// The map of `set`, checked, with its labels.
pub async fn fetch(set: &Set) -> Result<MapFile, Problem> {
    if set.info.own {
        return Err(Problem::Unsupported {
            what: "an own set's map is laid out in the page when asked, not fetched".into(),
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

/// How long the layout works before it lets the worker's event loop run: a search, a
/// Cancel or going back to MNIST waits at most about this long.
const SLICE_MS: f64 = 30.0;
/// Edges of the descent between looks at the clock (well under a millisecond's work).
const EDGES_PER_LOOK: usize = 4096;

/// Lays out a map of `set` (an own set) in slices of about [`SLICE_MS`], telling the page
/// how far it is between slices; `wanted` is asked after each slice, and None returned
/// once it says no (a Cancel, another set, a newer layout).
pub async fn lay_out(
    set: &Set,
    wanted: &dyn Fn() -> bool,
) -> Result<Option<(MapFile, f64)>, Problem> {
    let engine = |e: ssam::Error| Problem::from_engine(&e);
    let started = now();
    let index = &set.index;
    let n = index.len();
    let effort = layout::neighbour_effort(index);
    // Its own scratch: the searches answered between slices use the worker's.
    let mut scratch = Scratch::default();
    let mut fuzzy = Fuzzy::new(n);
    let mut item = 0;
    while item < n {
        let slice = now();
        while item < n && now() - slice < SLICE_MS {
            let found =
                layout::nearest_others(index, item, layout::NEIGHBOURS, effort, &mut scratch)
                    .map_err(engine)?;
            fuzzy.add(item, &found).map_err(engine)?;
            item += 1;
        }
        tell(LayoutProgress::Neighbours {
            done: item as u32,
            of: n as u32,
        });
        if !between_slices(wanted).await {
            return Ok(None);
        }
    }
    let mut start = Start::new(index.searched());
    loop {
        let slice = now();
        let mut done = start.is_done();
        while !done && now() - slice < SLICE_MS {
            done = start.run(1);
        }
        tell(LayoutProgress::Start {
            share: start.progress(),
        });
        if !between_slices(wanted).await {
            return Ok(None);
        }
        if done {
            break;
        }
    }
    let params = LayoutParams::default();
    let mut descent = Layout::new(fuzzy, start.into_points(), params).map_err(engine)?;
    loop {
        let slice = now();
        let mut done = descent.is_done();
        while !done && now() - slice < SLICE_MS {
            done = descent.run(EDGES_PER_LOOK);
        }
        tell(LayoutProgress::Descent {
            epoch: descent.epoch() as u32,
            of: params.epochs as u32,
        });
        if !between_slices(wanted).await {
            return Ok(None);
        }
        if done {
            break;
        }
    }
    let data = index.originals();
    let map = Map::from_layout(descent.points(), data.fingerprint());
    let file = MapFile {
        file: format!("the map of {}", set.info.name),
        bytes: map.to_bytes(),
        fingerprint: data.fingerprint(),
        labels: data.labels().to_vec(),
    };
    Ok(Some((file, now() - started)))
}

fn tell(progress: LayoutProgress) {
    post(&FromWorker::Layout(progress));
}

/// Lets the event loop run; whether the layout is still wanted.
async fn between_slices(wanted: &dyn Fn() -> bool) -> bool {
    wanted() && {
        pause().await;
        wanted()
    }
}
