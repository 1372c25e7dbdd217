//! The benchmark, in the worker: the set's query images searched with each setting,
//! scored against exact k-th distances in the index's space (shipped for MNIST, computed
//! here for an own set); recall@10, queries per second, p50/p99 latency and 1-NN
//! accuracy. Work runs in slices with pauses, so searches asked meanwhile are answered
//! and a Stop is heard.

use std::rc::Rc;

use ssam::gzip::Limit;
use ssam::shipped::TRUTH;
use ssam::truth::KthDistances;
use ssam::{Dataset, Effort, Index, Ranking, Scratch, metrics};

use super::messages::{busy, fail, post};
use super::own::{HOLD_EVERY, MIN_TO_HOLD_OUT};
use super::set::{Set, memory_mb};
use super::sets;
use super::store::download;
use crate::fetch::{now, pause};
use crate::protocol::{DataKind, FromWorker, Problem, Row, Setting, Task};
use crate::runs::{Runs, Ticket};

/// Neighbours scored (recall@10).
pub const K: usize = 10;
/// The exact answers file is 40 kB: a megabyte is room enough.
const TRUTH_LIMIT: Limit = Limit::at_most(1 << 20);
/// A slice of work between pauses, in milliseconds.
const SLICE_MS: f64 = 40.0;
/// Each setting's queries are timed over at least this long (repeating them when one
/// pass is quicker): browsers round the clock to 0.1 ms, so a QPS from a pass of a few
/// milliseconds would say more about the clock than about the search.
const MIN_TIMED_MS: f64 = 200.0;

thread_local! {
    /// Benchmark runs: a Stop makes the run under way end at its next pause.
    static RUNS: Runs = Runs::default();
}

/// Benchmarks the set searched over its first `queries` query images, unless a run is
/// under way.
pub fn start(queries: u32) {
    let Some(set) = sets::current() else {
        return fail(Task::Bench, busy("the data are still loading"));
    };
    if RUNS.with(Runs::under_way) {
        return fail(Task::Bench, busy("the benchmark is already running"));
    }
    let ticket = RUNS.with(Runs::start);
    wasm_bindgen_futures::spawn_local(async move {
        if let Err(p) = run(&set, queries as usize, ticket).await {
            fail(Task::Bench, p);
        }
    });
}

/// Stops the benchmark under way, if any, at its next pause.
pub fn stop() {
    RUNS.with(Runs::cancel);
}

/// The settings the benchmark measures on this set: those the menu offers.
fn settings_for(index: &Index) -> Vec<Setting> {
    Setting::offered(index.graph().is_some())
}

/// Why a run ended before its last row.
enum Halt {
    /// Stopped as asked, while measuring `setting`, after `done` of its `of` queries.
    Stopped {
        setting: Setting,
        done: u32,
        of: u32,
    },
    /// Another set is searched now: the page has forgotten this run.
    Gone,
    Failed(Problem),
}

impl From<Problem> for Halt {
    fn from(p: Problem) -> Halt {
        Halt::Failed(p)
    }
}

impl From<ssam::Error> for Halt {
    fn from(e: ssam::Error) -> Halt {
        Halt::Failed(e.into())
    }
}

/// One run, asked at a pause whether it is still wanted; it ends when this is dropped.
struct Run<'a> {
    ticket: Ticket,
    set: &'a Set,
}

impl Run<'_> {
    /// Lets the event loop run (a Stop or a search may be waiting), then says whether to
    /// go on measuring `setting`, `done` of `of` queries in.
    async fn pause(&self, setting: Setting, done: usize, of: usize) -> Result<(), Halt> {
        pause().await;
        self.wanted(setting, done, of)
    }

    fn wanted(&self, setting: Setting, done: usize, of: usize) -> Result<(), Halt> {
        if !sets::current().is_some_and(|c| std::ptr::eq(Rc::as_ptr(&c), self.set)) {
            return Err(Halt::Gone);
        }
        if !self.ticket.wanted() {
            return Err(Halt::Stopped {
                setting,
                done: done as u32,
                of: of as u32,
            });
        }
        Ok(())
    }
}

/// The query images and their exact k-th distances in the index's space.
async fn truth(run: &Run<'_>) -> Result<Rc<(Dataset, KthDistances)>, Halt> {
    let set = run.set;
    if let Some(t) = set.truth.borrow().clone() {
        return Ok(t);
    }
    let index = &set.index;
    let t = match &set.own_queries {
        None => {
            let test = sets::test_digits().await?;
            let bytes = download(TRUTH, TRUTH_LIMIT).await?;
            // The shipped distances are in the index's space: check them against the
            // test digits as searched, not as given.
            let searched = index.space().apply_all(&test)?;
            let kth = KthDistances::from_bytes(TRUTH, &bytes, index.searched(), &searched)
                .map_err(|e| match Problem::from(&e) {
                    Problem::Data { file, detail, .. } => Problem::Data {
                        file,
                        kind: DataKind::Truth,
                        detail,
                    },
                    p => p,
                })?;
            ((*test).clone(), kth)
        }
        Some(queries) => {
            // Exact search of each query, the ground truth an own set has no file for.
            let mut scratch = Scratch::new();
            let mut kth = Vec::with_capacity(queries.len());
            let mut slice = now();
            for i in 0..queries.len() {
                let found = index.search(queries.image(i), K, Effort::Exact, &mut scratch)?;
                kth.push(found.last().map_or(0, |n| n.distance));
                if now() - slice > SLICE_MS {
                    post(&FromWorker::BenchStatus {
                        setting: Setting::Exact,
                        done: i as u32 + 1,
                        of: queries.len() as u32,
                    });
                    run.pause(Setting::Exact, i + 1, queries.len()).await?;
                    slice = now();
                }
            }
            let searched = index.space().apply_all(queries)?;
            let kth = KthDistances::new(K, kth, index.searched(), &searched);
            (queries.clone(), kth)
        }
    };
    let t = Rc::new(t);
    *set.truth.borrow_mut() = Some(t.clone());
    Ok(t)
}

/// Runs every setting over the first `queries` query images and posts a row for each;
/// a Stop ends it at its next pause, saying where, and the rows posted stand.
async fn run(set: &Set, queries: usize, ticket: Ticket) -> Result<(), Problem> {
    measurable(set)?;
    let run = Run { ticket, set };
    match rows(&run, queries).await {
        Ok(n) => post(&FromWorker::BenchDone {
            queries: n as u32,
            memory_mb: memory_mb(),
        }),
        Err(Halt::Stopped { setting, done, of }) => {
            post(&FromWorker::BenchStopped { setting, done, of })
        }
        Err(Halt::Gone) => {}
        Err(Halt::Failed(p)) => return Err(p),
    }
    Ok(())
}

/// Whether the benchmark can measure this set at all.
fn measurable(set: &Set) -> Result<(), Problem> {
    if set.info.own && set.own_queries.is_none() {
        return Err(Problem::Unsupported {
            what: format!(
                "this set is too small to measure: the benchmark holds every {}th image out of the index as a query, which needs at least {} images; it has {}",
                HOLD_EVERY,
                MIN_TO_HOLD_OUT,
                set.index.len()
            ),
        });
    }
    if set.index.len() < K {
        return Err(Problem::Unsupported {
            what: format!(
                "recall@{K} needs at least {K} indexed images; this set has {}",
                set.index.len()
            ),
        });
    }
    Ok(())
}

/// Posts a row for every setting, then for what the page answers with; the number of
/// queries each was measured over.
async fn rows(run: &Run<'_>, queries: usize) -> Result<usize, Halt> {
    let truth = truth(run).await?;
    let (data, kth) = (&truth.0, &truth.1);
    let n = queries.min(data.len());
    if n == 0 {
        return Err(Halt::Failed(Problem::Unsupported {
            what: "this set has no query images to measure with".into(),
        }));
    }
    let index = &run.set.index;
    let mut scratch = Scratch::new();
    let default = Effort::default_for(index);
    let mut default_recall = None;
    let mut measure = async |setting: Setting, ranking| {
        run.wanted(setting, 0, n)?;
        measure(run, data, kth, n, setting, ranking, &mut scratch).await
    };
    for setting in settings_for(index) {
        let row = measure(setting, Ranking::Space).await?;
        if Effort::from(setting) == default {
            default_recall = Some(row.recall);
        }
        post(&FromWorker::BenchRow(row));
    }
    // What the page answers with: the default search, its nearest re-ranked. Recall@10 in
    // the index's space is the candidate search's (the row above): re-ranking reorders
    // by another measure.
    let mut row = measure(default.into(), Ranking::DEFAULT).await?;
    row.recall = default_recall.unwrap_or(row.recall);
    row.reranked = true;
    post(&FromWorker::BenchRow(row));
    Ok(n)
}

/// One row: the first `n` query images searched with `setting`, ordered by `ranking`.
/// A Stop while they are timed again ends the row with the time measured so far.
async fn measure(
    run: &Run<'_>,
    data: &Dataset,
    kth: &KthDistances,
    n: usize,
    setting: Setting,
    ranking: Ranking,
    scratch: &mut Scratch,
) -> Result<Row, Halt> {
    let set = run.set;
    let index = &set.index;
    let effort = Effort::from(setting);
    let mut latencies = Vec::with_capacity(n);
    let (mut recall, mut right) = (0.0, 0usize);
    let mut busy = 0.0;
    let mut slice = now();
    for i in 0..n {
        let start = now();
        let found = index.find(data.image(i), K, effort, ranking, scratch)?;
        latencies.push(now() - start);
        recall += metrics::recall_from_kth(kth.distances[i], found, K);
        right += usize::from(
            found
                .first()
                .is_some_and(|nb| index.originals().label(nb.id as usize) == data.label(i)),
        );
        if now() - slice > SLICE_MS {
            // QPS comes from these slices' wall time: over tens of milliseconds the
            // coarse clock is exact enough.
            busy += now() - slice;
            post(&FromWorker::BenchStatus {
                setting,
                done: i as u32 + 1,
                of: n as u32,
            });
            run.pause(setting, i + 1, n).await?;
            slice = now();
        }
    }
    busy += now() - slice;
    // Timing only, until the clock has seen enough of it: whole passes, timed from the
    // start of a slice so that no rounding of a short pass is summed.
    let mut timed = n;
    let mut slice = now();
    while busy + (now() - slice) < MIN_TIMED_MS {
        for i in 0..n {
            index.find(data.image(i), K, effort, ranking, scratch)?;
        }
        timed += n;
        if now() - slice > SLICE_MS {
            busy += now() - slice;
            pause().await;
            slice = now();
            match run.wanted(setting, n, n) {
                Err(Halt::Gone) => return Err(Halt::Gone),
                Err(_) => break,
                Ok(()) => {}
            }
        }
    }
    busy += now() - slice;
    latencies.sort_by(f64::total_cmp);
    let pct = |p: f64| latencies[((n.max(1) - 1) as f64 * p).round() as usize];
    Ok(Row {
        setting,
        reranked: false,
        recall: recall / n.max(1) as f64,
        qps: timed as f64 / (busy / 1e3),
        p50: pct(0.5),
        p99: pct(0.99),
        acc1: set.info.labelled.then(|| right as f64 / n.max(1) as f64),
    })
}
