//! Why a hit is similar to the query: asked when the page selects a hit, since it costs
//! about one re-ranking comparison and most answers are never looked into.

use super::messages::{busy, fail, post};
use super::query::fit;
use super::sets;
use crate::protocol::{FromWorker, Image, Problem, Task, Why};
use ssam::distortion::Distortion;

/// Tells the page why hit `id` is similar to `query`.
pub fn explain(query: &Image, id: u32) {
    match why(query, id) {
        Ok(why) => post(&FromWorker::Why(why)),
        Err(p) => fail(Task::Explain, p),
    }
}

/// Why hit `id` is similar to `query`: from the whole set, or from the cell that held
/// the hit when it was found by parts.
fn why(query: &Image, id: u32) -> Result<Why, Problem> {
    let e = match sets::searched() {
        (Some(set), _) => {
            let pixels = fit(&set.info, query)?;
            set.index.explain(&pixels, id, Distortion::DEFAULT)?
        }
        (None, Some(remote)) => {
            let (rows, cols) = (usize::from(remote.info.rows), usize::from(remote.info.cols));
            let pixels = fit(&remote.info, query)?;
            let hit = remote
                .image(id)
                .ok_or_else(|| busy("that digit's cell is no longer here: search again"))?;
            ssam::explain_pair((rows, cols), &pixels, &hit, Distortion::DEFAULT)?
        }
        (None, None) => return Err(busy("the data are still loading")),
    };
    let side = e.side as u16;
    let square = |pixels| Image {
        rows: side,
        cols: side,
        pixels,
    };
    Ok(Why {
        id,
        query: square(e.query),
        hit: square(e.hit),
        moved: e.matching.moved,
        distance: e.matching.distance,
    })
}
