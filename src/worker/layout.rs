//! An own set's map, laid out here when the user asks (MNIST's is laid out offline and
//! fetched), in slices between which searches and a Cancel are answered. Only the latest
//! layout is wanted: a Cancel, a newer layout or another set stops it after its current
//! slice.

use std::cell::Cell;

use super::messages::{busy, fail, post};
use super::set::Set;
use super::sets;
use crate::fetch::{now, pause};
use crate::protocol::{FromWorker, LayoutProgress, MapFile, Problem, Task};
use crate::runs::{Runs, Ticket};
use ssam::layout::{self, Fuzzy, Layout, Start};
use ssam::{Index, LayoutParams, Map, Scratch};

/// How long the layout works before it lets the worker's event loop run: a search, a
/// Cancel or going back to MNIST waits at most about this long.
const SLICE_MS: f64 = 30.0;
/// Edges of the descent between looks at the clock (well under a millisecond's work).
const EDGES_PER_LOOK: usize = 4096;

thread_local! {
    /// The layouts asked: the latest is wanted.
    static LAYOUTS: Runs = Runs::default();
    /// The page's Cancel stopped the layout under way, which tells the page once it has
    /// really stopped.
    static CANCEL_ASKED: Cell<bool> = const { Cell::new(false) };
}

/// Lays out the own set searched now and sends its map; a newer layout, a Cancel or
/// another set stops it.
pub fn start() {
    let Some(set) = sets::current() else {
        return fail(Task::Layout, busy("the data are still loading"));
    };
    if !set.info.own {
        return fail(
            Task::Layout,
            Problem::Unsupported {
                what:
                    "MNIST's map is laid out offline and fetched: only own sets are laid out here"
                        .into(),
            },
        );
    }
    let ticket = LAYOUTS.with(Runs::start);
    // A Cancel of an older layout is answered by the newer one's progress instead.
    CANCEL_ASKED.set(false);
    wasm_bindgen_futures::spawn_local(async move {
        match lay_out(&set, &ticket).await {
            Ok(Some((map, ms))) if ticket.wanted() => post(&FromWorker::LaidOut { map, ms }),
            Err(p) if ticket.wanted() => fail(Task::Layout, p),
            // Stopped: by the page's Cancel, which is told now that nothing more of this
            // run can come; or by a newer layout or another set, which need no word.
            _ => {
                if CANCEL_ASKED.replace(false) {
                    post(&FromWorker::LayoutCancelled);
                }
            }
        }
    });
}

/// Stops the layout under way, if any, after its current slice.
pub fn cancel() {
    LAYOUTS.with(Runs::cancel);
}

/// The page's Cancel: the layout stops after its current slice, and the page is told so
/// once it has (at once when none is under way), so "cancelled" on the page means that
/// nothing more of that layout will come.
pub fn cancel_asked() {
    if LAYOUTS.with(Runs::under_way) {
        CANCEL_ASKED.set(true);
        cancel();
    } else {
        post(&FromWorker::LayoutCancelled);
    }
}

/// Lays out a map of `set` (an own set) in slices of about [`SLICE_MS`], telling the page
/// how far it is between slices; None once `ticket` is no longer wanted.
async fn lay_out(set: &Set, ticket: &Ticket) -> Result<Option<(MapFile, f64)>, Problem> {
    let started = now();
    let index = &set.index;
    let Some(fuzzy) = neighbours(index, ticket).await? else {
        return Ok(None);
    };
    let Some(start) = start_points(index, ticket).await else {
        return Ok(None);
    };
    let params = LayoutParams::default();
    let mut descent = Layout::new(fuzzy, start.into_points(), params)?;
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
        if !between_slices(ticket).await {
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

/// Every image's nearest others, as the fuzzy graph the layout pulls together.
async fn neighbours(index: &Index, ticket: &Ticket) -> Result<Option<Fuzzy>, Problem> {
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
                layout::nearest_others(index, item, layout::NEIGHBOURS, effort, &mut scratch)?;
            fuzzy.add(item, &found)?;
            item += 1;
        }
        tell(LayoutProgress::Neighbours {
            done: item as u32,
            of: n as u32,
        });
        if !between_slices(ticket).await {
            return Ok(None);
        }
    }
    Ok(Some(fuzzy))
}

/// The points the descent starts from.
async fn start_points<'a>(index: &'a Index, ticket: &Ticket) -> Option<Start<'a>> {
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
        if !between_slices(ticket).await {
            return None;
        }
        if done {
            return Some(start);
        }
    }
}

fn tell(progress: LayoutProgress) {
    post(&FromWorker::Layout(progress));
}

/// Lets the event loop run; whether the layout is still wanted.
async fn between_slices(ticket: &Ticket) -> bool {
    ticket.wanted() && {
        pause().await;
        ticket.wanted()
    }
}
