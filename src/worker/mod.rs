//! The engine's side of the page (runs in a dedicated Web Worker, built as the
//! `ssam-worker` binary): owns the index, loads the shipped data, answers searches and
//! picks, runs the benchmark, builds and saves own sets. The page only sends requests and
//! shows answers, so nothing here can make the page miss a frame.

mod bench;
mod load;
mod map;
mod own;
mod picture;
mod store;

pub(crate) use own::{HOLD_EVERY, MIN_TO_HOLD_OUT};

use std::cell::RefCell;
use std::rc::Rc;

use futures::FutureExt;
use futures::future::{LocalBoxFuture, Shared};
use js_sys::{Array, Uint8Array};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{DedicatedWorkerGlobalScope, MessageEvent};

use super::fetch::now;
use super::protocol::{
    self, Answer, Exact, FromWorker, Hit, Image, Problem, Query, Request, SetInfo, Setting, Task,
    ToWorker, Verdict, Why,
};
use ssam::distortion::Distortion;
use ssam::truth::KthDistances;
use ssam::{Dataset, Effort, Index, Ranking, Scratch, Space, metrics, preprocess, verdict};

/// The set searched, with what the page needs to show it.
pub(crate) struct Set {
    index: Index,
    info: SetInfo,
    /// Own sets: the images pick and the benchmark use, held out of the index (None: a
    /// set too small to hold any out).
    own_queries: Option<Dataset>,
    /// The benchmark's exact k-th distances, once known.
    truth: RefCell<Option<Rc<(Dataset, KthDistances)>>>,
    /// Own sets: each image named by the user's file (None: MNIST).
    names: Option<own::Names>,
}

impl Set {
    fn new(index: Index, mut info: SetInfo, own_queries: Option<Dataset>) -> Set {
        let (space, deskewed, side, shift) = SetInfo::space_fields(index.space());
        let data = index.originals();
        info.items = data.len() as u32;
        info.rows = data.rows() as u16;
        info.cols = data.cols() as u16;
        info.space = space;
        info.deskewed = deskewed;
        info.searched_side = side;
        info.shift = shift;
        info.trees = index.forest().tree_count() as u32;
        info.graph = index.graph().is_some();
        info.default = Effort::default_for(&index).into();
        info.memory_mb = memory_mb();
        if info.own {
            info.queries = own_queries.as_ref().map_or(0, |q| q.len() as u32);
        }
        Set {
            index,
            info,
            own_queries,
            truth: RefCell::new(None),
            names: None,
        }
    }

    fn label(&self, id: usize) -> Option<u8> {
        self.info.labelled.then(|| self.index.originals().label(id))
    }

    /// The searched size of a `Space`'s output, as rows and columns.
    fn searched_shape(&self) -> (u16, u16) {
        match self.index.space() {
            Space::Raw => (self.info.rows, self.info.cols),
            Space::Deskew { side, .. } => (u16::from(side), u16::from(side)),
        }
    }
}

#[derive(Default)]
struct Host {
    /// The set searched when it is whole here (None: MNIST by parts, or nothing yet).
    set: Option<Rc<Set>>,
    /// MNIST searched by parts, until its whole set is here.
    remote: Option<Rc<load::Remote>>,
    /// The whole background download has begun.
    background: bool,
    /// The latest search asked: an older one still fetching gives up.
    latest: u32,
    /// The page asked for the map before the whole set was here.
    map_wanted: bool,
    /// The shipped MNIST set, kept when an own set replaces it, to go back to.
    shipped: Option<Rc<Set>>,
    /// MNIST's test digits, fetched when pick or the benchmark first needs them.
    test: Option<Rc<Dataset>>,
    scratch: Scratch,
    /// The latest search asked before the data were ready.
    pending: Option<Request>,
    /// The own set being built, counted: a newer one (or going back to MNIST) makes an
    /// older build stop at its next pause and its result be dropped.
    own_run: u32,
    building: bool,
    benching: bool,
    /// The own set's layout under way, counted like `own_run`: a Cancel, a newer layout
    /// or another set makes it stop after its current slice.
    layout_run: u32,
    /// Files of an own set sent ahead of the message that names them.
    ahead: Vec<JsValue>,
    /// The test digit the first "Random" will show, chosen as the set opens and its
    /// block fetched then, while the page waits for a click: that round trip is no
    /// longer between the click and the answer.
    first_pick: Option<Fetching>,
}

/// A test digit being fetched, awaited by whoever needs it first.
type Fetching = Shared<LocalBoxFuture<'static, Result<(usize, Vec<u8>, u8), Problem>>>;

thread_local! {
    static HOST: RefCell<Host> = RefCell::new(Host::default());
}

fn scope() -> DedicatedWorkerGlobalScope {
    js_sys::global().unchecked_into()
}

/// Sends a message to the page.
pub(crate) fn post(message: &FromWorker) {
    let bytes = Uint8Array::from(protocol::encode(message).as_slice());
    if scope().post_message(&bytes).is_err() {
        web_sys::console::error_1(&"ssam-worker: postMessage failed".into());
    }
}

pub(crate) fn fail(during: Task, problem: Problem) {
    post(&FromWorker::Failed { during, problem });
}

/// Megabytes of WebAssembly memory this worker holds.
pub(crate) fn memory_mb() -> f64 {
    wasm_bindgen::memory()
        .dyn_into::<js_sys::WebAssembly::Memory>()
        .map(|m| {
            m.buffer()
                .unchecked_into::<js_sys::ArrayBuffer>()
                .byte_length() as f64
                / 1e6
        })
        .unwrap_or(0.0)
}

/// Starts the worker: installs the message handler, says so, loads the shipped data.
pub fn run() {
    std::panic::set_hook(Box::new(|info| {
        console_error_panic_hook::hook(info);
        // The page starts a new worker: this one's state cannot be trusted any more.
        fail(
            Task::Worker,
            Problem::Stopped {
                file: None,
                detail: info.to_string(),
            },
        );
    }));
    let handler = Closure::<dyn FnMut(MessageEvent)>::new(|ev: MessageEvent| {
        let data = ev.data();
        let (head, files) = match data.dyn_ref::<Array>() {
            Some(parts) => (parts.get(0), parts.iter().skip(1).collect::<Vec<_>>()),
            None => (data, Vec::new()),
        };
        let Some(bytes) = head.dyn_ref::<Uint8Array>().map(Uint8Array::to_vec) else {
            return fail(
                Task::Worker,
                Problem::Worker {
                    detail: "a message that is not bytes".into(),
                },
            );
        };
        match protocol::decode::<ToWorker>(&bytes) {
            Ok(m) => handle(m, files),
            Err(p) => fail(Task::Worker, p),
        }
    });
    scope().set_onmessage(Some(handler.as_ref().unchecked_ref()));
    handler.forget();
    post(&FromWorker::Started);
    // The page names another streamed set in the worker's address (`?root=URL`).
    let root = web_sys::UrlSearchParams::new_with_str(&scope().location().search())
        .ok()
        .and_then(|p| p.get("root"));
    wasm_bindgen_futures::spawn_local(async {
        match load::Remote::open(root).await {
            Ok(remote) => {
                let remote = Rc::new(remote);
                let here = remote.all_here();
                post(&FromWorker::Ready(remote.info.clone()));
                let first = choose(remote.info.queries as usize, None, "test digit")
                    .ok()
                    .map(|i| {
                        let r = remote.clone();
                        let fetching: Fetching =
                            async move { r.test_digit(i).await }.boxed_local().shared();
                        wasm_bindgen_futures::spawn_local(fetching.clone().map(|_| ()));
                        fetching
                    });
                let pending = HOST.with_borrow_mut(|h| {
                    h.remote = Some(remote);
                    h.first_pick = first;
                    h.pending.take()
                });
                // A former visit kept everything: no first result to wait for.
                if here && HOST.with_borrow(|h| h.remote.as_ref().is_some_and(|r| r.shipped())) {
                    background();
                }
                if let Some(req) = pending {
                    answer(req);
                }
            }
            Err(p) => fail(Task::Load, p),
        }
    });
}

/// Downloads the whole of MNIST in the background (once), then searches it whole.
fn background() {
    let Some(remote) = HOST.with_borrow_mut(|h| {
        let shipped = h.remote.as_ref().is_some_and(|r| r.shipped());
        if !shipped || std::mem::replace(&mut h.background, true) {
            None
        } else {
            h.remote.clone()
        }
    }) else {
        return;
    };
    wasm_bindgen_futures::spawn_local(async move {
        match remote.whole().await {
            Ok((set, test)) => {
                let set = Rc::new(set);
                let (on_mnist, map) = HOST.with_borrow_mut(|h| {
                    h.shipped = Some(set.clone());
                    h.test.get_or_insert(Rc::new(test));
                    (h.set.is_none(), std::mem::take(&mut h.map_wanted))
                });
                if on_mnist {
                    ready(set.clone());
                    if map {
                        send_map(set);
                    }
                }
                // Only now: until the whole set answers, a "why" of a hit found by parts
                // needs its cell.
                remote.release();
            }
            // Searching by parts goes on; the page says what failed.
            Err(p) => fail(Task::Load, p),
        }
    });
}

fn send_map(set: Rc<Set>) {
    wasm_bindgen_futures::spawn_local(async move {
        match map::fetch(&set).await {
            Ok(m) => post(&FromWorker::Map(m)),
            Err(p) => fail(Task::Map, p),
        }
    });
}

/// Makes `set` the one searched, tells the page, and answers a search that waited.
pub(crate) fn ready(set: Rc<Set>) {
    post(&FromWorker::Ready(set.info.clone()));
    let pending = HOST.with_borrow_mut(|h| {
        h.set = Some(set);
        // A layout of the set searched before is of no use any more.
        h.layout_run += 1;
        h.pending.take()
    });
    if let Some(req) = pending {
        answer(req);
    }
}

fn busy(what: &str) -> Problem {
    Problem::Busy { what: what.into() }
}

fn handle(message: ToWorker, files: Vec<JsValue>) {
    match message {
        ToWorker::Search(req) => {
            let waiting = HOST.with_borrow_mut(|h| {
                h.latest = req.id;
                if h.set.is_none() && h.remote.is_none() {
                    h.pending = Some(req.clone());
                    true
                } else {
                    false
                }
            });
            if !waiting {
                answer(req);
            }
        }
        ToWorker::Pick { which } => wasm_bindgen_futures::spawn_local(async move {
            match pick(which).await {
                Ok(q) => post(&FromWorker::Picked(q)),
                Err(p) => fail(Task::Pick, p),
            }
        }),
        ToWorker::Picture { name } => wasm_bindgen_futures::spawn_local(async move {
            let prepared = match files.first() {
                Some(file) => picture::prepare(&name, file.unchecked_ref()).await,
                None => Err(picture::not_decoded(&name)),
            };
            match prepared {
                Ok(q) => post(&FromWorker::Picked(q)),
                Err(p) => fail(Task::Pick, p),
            }
        }),
        ToWorker::Explain { query, id } => match explain(&query, id) {
            Ok(why) => post(&FromWorker::Why(why)),
            Err(p) => fail(Task::Explain, p),
        },
        ToWorker::Bench { queries } => {
            let Some(set) = current() else {
                return fail(Task::Bench, busy("the data are still loading"));
            };
            if HOST.with_borrow_mut(|h| std::mem::replace(&mut h.benching, true)) {
                return fail(Task::Bench, busy("the benchmark is already running"));
            }
            wasm_bindgen_futures::spawn_local(async move {
                if let Err(p) = bench::run(&set, queries as usize).await {
                    fail(Task::Bench, p);
                }
                HOST.with_borrow_mut(|h| h.benching = false);
            });
        }
        ToWorker::OwnAhead => HOST.with_borrow_mut(|h| h.ahead.extend(files)),
        ToWorker::OwnFiles { names } => {
            let files = with_ahead(names.len(), files);
            build_own(own::Given::Files(names), files)
        }
        ToWorker::OwnFolder { paths } => {
            let files = with_ahead(paths.len(), files);
            build_own(own::Given::Folder(paths), files)
        }
        ToWorker::Save => match current() {
            Some(set) => post(&FromWorker::Saved {
                name: format!("{}.ssam.gz", own::set_name(&set.info.name)),
                bytes: ssam::format::to_gzip(&set.index),
            }),
            None => fail(Task::Save, busy("the data are still loading")),
        },
        ToWorker::UseShipped => {
            // Whatever own set is being built or laid out is not wanted any more.
            HOST.with_borrow_mut(|h| {
                h.own_run += 1;
                h.building = false;
                h.layout_run += 1;
                h.ahead.clear();
            });
            let (shipped, remote) = HOST.with_borrow(|h| (h.shipped.clone(), h.remote.clone()));
            match (shipped, remote) {
                (Some(set), _) => {
                    // Its loading times were the first load's: they say nothing now.
                    let mut info = set.info.clone();
                    info.stages.clear();
                    post(&FromWorker::Ready(info));
                    HOST.with_borrow_mut(|h| h.set = Some(set));
                }
                (None, Some(remote)) => {
                    let mut info = remote.info.clone();
                    info.stages.clear();
                    post(&FromWorker::Ready(info));
                    HOST.with_borrow_mut(|h| h.set = None);
                }
                (None, None) => fail(Task::OwnSet, busy("MNIST is still loading")),
            }
        }
        ToWorker::Map => match current() {
            Some(set) => send_map(set),
            // MNIST by parts: the map comes with the whole set.
            None => HOST.with_borrow_mut(|h| h.map_wanted = true),
        },
        ToWorker::Images { ids } => {
            if let Some(set) = current() {
                map::images(&set, &ids);
            }
        }
        ToWorker::LayOut => lay_out(),
        ToWorker::StopBench => bench::stop(),
        ToWorker::CancelLayout => {
            // The layout stops at the end of its slice, which has already ended: this
            // handler runs between slices.
            HOST.with_borrow_mut(|h| h.layout_run += 1);
            post(&FromWorker::LayoutCancelled);
        }
    }
}

/// Lays out the own set searched now; a newer layout, a Cancel or another set stops it.
fn lay_out() {
    let Some(set) = current() else {
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
    let run = HOST.with_borrow_mut(|h| {
        h.layout_run += 1;
        h.layout_run
    });
    let wanted = move || HOST.with_borrow(|h| h.layout_run == run);
    wasm_bindgen_futures::spawn_local(async move {
        match map::lay_out(&set, &wanted).await {
            Ok(Some((map, ms))) if wanted() => post(&FromWorker::LaidOut { map, ms }),
            Ok(_) => {}
            Err(p) if wanted() => fail(Task::Layout, p),
            Err(_) => {}
        }
    });
}

/// The `named` files of an own set: the last of those sent ahead, then `files`. Files
/// left ahead by a handing over the page gave up are dropped.
fn with_ahead(named: usize, files: Vec<JsValue>) -> Vec<JsValue> {
    let mut ahead = HOST.with_borrow_mut(|h| std::mem::take(&mut h.ahead));
    let wanted = named.saturating_sub(files.len());
    let mut all = ahead.split_off(ahead.len().saturating_sub(wanted));
    all.extend(files);
    all
}

fn current() -> Option<Rc<Set>> {
    HOST.with_borrow(|h| h.set.clone())
}

fn build_own(given: own::Given, files: Vec<JsValue>) {
    if HOST.with_borrow_mut(|h| std::mem::replace(&mut h.building, true)) {
        return fail(Task::OwnSet, busy("another set is being indexed"));
    }
    let run = HOST.with_borrow_mut(|h| {
        h.own_run += 1;
        h.own_run
    });
    let wanted = move || HOST.with_borrow(|h| h.own_run == run);
    wasm_bindgen_futures::spawn_local(async move {
        let built = own::build(given, files, &wanted).await;
        if !wanted() {
            // Cancelled meanwhile: the page already shows what replaced it.
            return;
        }
        HOST.with_borrow_mut(|h| h.building = false);
        match built {
            // The old set stays until the new one is whole: a bad file changes nothing.
            Ok(set) => ready(Rc::new(set)),
            Err(p) => fail(Task::OwnSet, p),
        }
    });
}

/// Answers a search and posts it (or what went wrong): from the whole set when it is
/// here, else by parts (and then the whole set starts downloading).
fn answer(req: Request) {
    let (set, remote) = HOST.with_borrow(|h| (h.set.clone(), h.remote.clone()));
    if let Some(set) = set {
        let result = HOST.with_borrow_mut(|h| search(&set, &req, &mut h.scratch));
        match result {
            Ok(a) => post(&FromWorker::Answer(a)),
            Err(p) => fail(Task::Search, p),
        }
        return;
    }
    let Some(remote) = remote else { return };
    wasm_bindgen_futures::spawn_local(async move {
        let id = req.id;
        let wanted = move || HOST.with_borrow(|h| h.latest == id && h.set.is_none());
        match remote.search(&req, &wanted).await {
            Ok(Some(a)) => {
                post(&FromWorker::Answer(a));
                background();
            }
            Ok(None) => {}
            Err(p) => fail(Task::Search, p),
        }
    });
}

/// The query at the set's image size: a 28x28 drawing meets a 16x16 or 64x64 set. A
/// message whose image does not hold its stated size is refused, not trusted.
pub(crate) fn fit(info: &SetInfo, image: &Image) -> ssam::Result<Vec<u8>> {
    preprocess::resize(
        usize::from(image.rows),
        usize::from(image.cols),
        &image.pixels,
        usize::from(info.rows),
        usize::from(info.cols),
    )
}

fn search(set: &Set, req: &Request, scratch: &mut Scratch) -> Result<Answer, Problem> {
    let index = &set.index;
    let engine = |e: ssam::Error| Problem::from_engine(&e);
    let pixels = fit(&set.info, &req.query.image).map_err(engine)?;
    let k = (req.k as usize).clamp(1, 100);
    let effort = req.setting.map_or(Effort::default_for(index), Effort::from);
    if matches!(effort, Effort::Graph { .. }) && index.graph().is_none() {
        return Err(Problem::Unsupported {
            what: "this set has no neighbour graph: choose a forest setting".into(),
        });
    }
    // The menu's setting finds the candidates; the distortion model re-ranks them.
    let start = now();
    let found = index
        .find(&pixels, k, effort, Ranking::DEFAULT, scratch)
        .map_err(engine)?
        .to_vec();
    let ms = now() - start;
    let measured = scratch.measured() as u32;
    let (rows, cols) = set.searched_shape();
    let searched = Image {
        rows,
        cols,
        pixels: scratch.searched_query().to_vec(),
    };
    // Recall is the candidate search's, against exact search in the same space: the
    // re-ranked distances are in another measure.
    let exact = if req.exact {
        let plain = index
            .search(&pixels, k, effort, scratch)
            .map_err(engine)?
            .to_vec();
        let start = now();
        let truth = index
            .search(&pixels, k, Effort::Exact, scratch)
            .map_err(engine)?;
        let kth = truth.last().map_or(0, |n| n.distance);
        Some(Exact {
            recall: metrics::recall_from_kth(kth, &plain, k),
            ms: now() - start,
        })
    } else {
        None
    };
    let verdict = set
        .info
        .labelled
        .then(|| verdict::verdict(&found, |id| index.originals().label(id as usize)))
        .flatten()
        .map(Verdict::from);
    let data = index.originals();
    let pixels_for_blank = pixels.clone();
    let hits = found
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
        .collect();
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
        hits,
        verdict,
        ms,
        measured,
        items: set.info.items,
        exact,
        parts: None,
        blank: blank_cost(&set.info, &pixels_for_blank),
    })
}

/// The re-ranking's cost of `pixels` (at the set's size) against an empty image.
pub(crate) fn blank_cost(info: &SetInfo, pixels: &[u8]) -> u32 {
    let (rows, cols) = (usize::from(info.rows), usize::from(info.cols));
    ssam::explain_pair(
        (rows, cols),
        pixels,
        &vec![0; rows * cols],
        Distortion::DEFAULT,
    )
    .map_or(0, |e| e.matching.distance)
}

/// Why hit `id` is similar to `query`: asked when the page selects a hit, since it costs
/// about one re-ranking comparison and most answers are never looked into.
fn explain(query: &Image, id: u32) -> Result<Why, Problem> {
    let engine = |e: ssam::Error| Problem::from_engine(&e);
    let (set, remote) = HOST.with_borrow(|h| (h.set.clone(), h.remote.clone()));
    let e = match (set, remote) {
        (Some(set), _) => {
            let pixels = fit(&set.info, query).map_err(engine)?;
            set.index
                .explain(&pixels, id, Distortion::DEFAULT)
                .map_err(engine)?
        }
        (None, Some(remote)) => {
            let (rows, cols) = (usize::from(remote.info.rows), usize::from(remote.info.cols));
            let pixels = fit(&remote.info, query).map_err(engine)?;
            let hit = remote
                .image(id)
                .ok_or_else(|| busy("that digit's cell is no longer here: search again"))?;
            ssam::explain_pair((rows, cols), &pixels, &hit, Distortion::DEFAULT).map_err(engine)?
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

/// MNIST's test digits, fetched once.
async fn test_digits() -> Result<Rc<Dataset>, Problem> {
    if let Some(t) = HOST.with_borrow(|h| h.test.clone()) {
        return Ok(t);
    }
    let remote = HOST
        .with_borrow(|h| h.remote.clone())
        .ok_or_else(|| busy("the data are still loading"))?;
    let t = Rc::new(remote.test_digits().await?);
    HOST.with_borrow_mut(|h| h.test = Some(t.clone()));
    Ok(t)
}

async fn pick(which: Option<u32>) -> Result<Query, Problem> {
    let (set, remote, test) =
        HOST.with_borrow(|h| (h.set.clone(), h.remote.clone(), h.test.clone()));
    // MNIST: its test digits, as the tutorial's page did (one block of them, unless all
    // are here); an own set: its held-out images, or, for a set too small to hold any
    // out, its own.
    let Some(set) = set.filter(|s| s.info.own) else {
        let remote = remote.ok_or_else(|| busy("the data are still loading"))?;
        let first = which
            .is_none()
            .then(|| HOST.with_borrow_mut(|h| h.first_pick.take()))
            .flatten();
        let (i, image, label) = match (test, first) {
            (Some(t), _) => pick_from(&t, which, "test digit")?,
            (None, Some(fetching)) => fetching.await?,
            (None, None) => {
                let i = choose(remote.info.queries as usize, which, "test digit")?;
                remote.test_digit(i).await?
            }
        };
        return Ok(Query {
            image: Image {
                rows: remote.info.rows,
                cols: remote.info.cols,
                pixels: image,
            },
            source: format!("test digit #{i} (a {label})"),
        });
    };
    let data = match &set.own_queries {
        Some(q) => q,
        None => set.index.originals(),
    };
    let (i, image, label) = pick_from(data, which, &set.info.query_noun)?;
    let mut what = if set.info.labelled {
        format!(" ({})", set.class_name(label))
    } else {
        String::new()
    };
    if let Some(names) = &set.names {
        what += &format!(" · {}", names.query(i));
    }
    Ok(Query {
        image: Image {
            rows: data.rows() as u16,
            cols: data.cols() as u16,
            pixels: image,
        },
        source: format!("{} #{i}{what}", set.info.query_noun),
    })
}

/// Image `which` of `data` (or one at random), with its label.
fn pick_from(
    data: &Dataset,
    which: Option<u32>,
    noun: &str,
) -> Result<(usize, Vec<u8>, u8), Problem> {
    let i = choose(data.len(), which, noun)?;
    Ok((i, data.image(i).to_vec(), data.label(i)))
}

/// Number `which` of `n` `noun`s, or one at random.
fn choose(n: usize, which: Option<u32>, noun: &str) -> Result<usize, Problem> {
    let i = which.map_or_else(
        || (js_sys::Math::random() * n as f64) as usize % n.max(1),
        |i| i as usize,
    );
    if i >= n {
        return Err(Problem::Unsupported {
            what: format!(
                "There are {} {noun}s: type a whole number from 0 to {}.",
                protocol::thousands(n as u64),
                protocol::thousands(n.saturating_sub(1) as u64)
            ),
        });
    }
    Ok(i)
}

impl Set {
    /// A label as the user named it: the folder's class name, or the number.
    fn class_name(&self, label: u8) -> String {
        self.info
            .classes
            .get(usize::from(label))
            .cloned()
            .unwrap_or_else(|| label.to_string())
    }
}

/// The settings the benchmark measures on this set: those the menu offers.
pub(crate) fn settings_for(index: &Index) -> Vec<Setting> {
    Setting::offered(index.graph().is_some())
}
