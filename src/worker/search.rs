//! Searches: answered from the whole set when it is here, else by parts (and then the
//! whole set starts downloading); one asked before any data is here waits for them. Only
//! the latest search is wanted: an older one still fetching its cells gives up.

use std::cell::RefCell;

use super::messages::{fail, post};
use super::query::{blank_cost, fit};
use super::set::Set;
use super::sets;
use crate::fetch::now;
use crate::protocol::{
    Answer, Exact, FromWorker, Hit, Image, Problem, Query, Request, Task, Verdict,
};
use crate::runs::{Runs, Ticket};
use ssam::{Effort, Index, Neighbor, Ranking, Scratch, metrics, verdict};

thread_local! {
    /// The searches asked: the latest is wanted.
    static SEARCHES: Runs = Runs::default();
    /// The latest search asked before the data were ready.
    static WAITING: RefCell<Option<(Request, Ticket)>> = const { RefCell::new(None) };
    /// The whole set's search state, reused by every search.
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::default());
}

/// Answers `req`, or keeps it until there are data to answer it from.
pub fn ask(req: Request) {
    let ticket = SEARCHES.with(Runs::start);
    match sets::searched() {
        (None, None) => WAITING.set(Some((req, ticket))),
        _ => answer(req, ticket),
    }
}

/// Answers the search that waited for the data, if one did.
pub fn answer_waiting() {
    if let Some((req, ticket)) = WAITING.take() {
        answer(req, ticket);
    }
}

/// Answers a search and posts it (or what went wrong): from the whole set when it is
/// here, else by parts (and then the whole set starts downloading).
fn answer(req: Request, ticket: Ticket) {
    let (set, remote) = sets::searched();
    if let Some(set) = set {
        let result = SCRATCH.with_borrow_mut(|scratch| search(&set, &req, scratch));
        match result {
            Ok(a) => post(&FromWorker::Answer(a)),
            Err(p) => fail(Task::Search, p),
        }
        return;
    }
    let Some(remote) = remote else { return };
    wasm_bindgen_futures::spawn_local(async move {
        // A newer search makes this one give up, and so does the whole set arriving.
        let wanted = || ticket.wanted() && sets::current().is_none();
        match remote.search(&req, &wanted).await {
            Ok(Some(a)) => {
                post(&FromWorker::Answer(a));
                sets::background();
            }
            Ok(None) => {}
            Err(p) => fail(Task::Search, p),
        }
    });
}

/// `req` answered from the whole of `set`.
fn search(set: &Set, req: &Request, scratch: &mut Scratch) -> Result<Answer, Problem> {
    let index = &set.index;
    let pixels = fit(&set.info, &req.query.image)?;
    let k = (req.k as usize).clamp(1, 100);
    let effort = effort(set, req)?;
    // The menu's setting finds the candidates; the distortion model re-ranks them.
    let start = now();
    let found = index
        .find(&pixels, k, effort, Ranking::DEFAULT, scratch)?
        .to_vec();
    let ms = now() - start;
    let measured = scratch.measured() as u32;
    let (rows, cols) = set.searched_shape();
    let searched = Image {
        rows,
        cols,
        pixels: scratch.searched_query().to_vec(),
    };
    let exact = if req.exact {
        Some(exact(index, &pixels, k, effort, scratch)?)
    } else {
        None
    };
    let blank = blank_cost(&set.info, &pixels);
    Ok(Answer {
        id: req.id,
        query: Query {
            image: Image {
                rows: set.info.rows,
                cols: set.info.cols,
                pixels,
            },
            source: req.query.source.clone(),
        },
        searched,
        setting: effort.into(),
        reranked: true,
        hits: hits(set, &found),
        verdict: verdict(set, &found),
        ms,
        measured,
        items: set.info.items,
        exact,
        parts: None,
        blank,
    })
}

/// The setting asked, or the set's default; a graph setting needs a graph.
fn effort(set: &Set, req: &Request) -> Result<Effort, Problem> {
    let index = &set.index;
    let effort = req.setting.map_or(Effort::default_for(index), Effort::from);
    if matches!(effort, Effort::Graph { .. }) && index.graph().is_none() {
        return Err(Problem::Unsupported {
            what: "this set has no neighbour graph: choose a forest setting".into(),
        });
    }
    Ok(effort)
}

/// Recall of the candidate search against exact search in the same space (the
/// re-ranked distances are in another measure), and how long the exact search took.
fn exact(
    index: &Index,
    pixels: &[u8],
    k: usize,
    effort: Effort,
    scratch: &mut Scratch,
) -> Result<Exact, Problem> {
    let plain = index.search(pixels, k, effort, scratch)?.to_vec();
    let start = now();
    let truth = index.search(pixels, k, Effort::Exact, scratch)?;
    let kth = truth.last().map_or(0, |n| n.distance);
    Ok(Exact {
        recall: metrics::recall_from_kth(kth, &plain, k),
        ms: now() - start,
    })
}

/// The labels of the nearest, weighed: what they say the query is, if the set has labels.
fn verdict(set: &Set, found: &[Neighbor]) -> Option<Verdict> {
    let data = set.index.originals();
    set.info
        .labelled
        .then(|| verdict::verdict(found, |id| data.label(id as usize)))
        .flatten()
        .map(Verdict::from)
}

/// The nearest as the page shows them: image, label and the user's name for each.
fn hits(set: &Set, found: &[Neighbor]) -> Vec<Hit> {
    let data = set.index.originals();
    found
        .iter()
        .map(|n| Hit {
            id: n.id,
            label: set.label(n.id as usize),
            distance: n.distance,
            image: Image {
                rows: set.info.rows,
                cols: set.info.cols,
                pixels: data.image(n.id as usize).to_vec(),
            },
            name: set.names.as_ref().map(|names| names.indexed(n.id as usize)),
        })
        .collect()
}
