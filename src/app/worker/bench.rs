//! The benchmark, in the worker: the set's query images searched with each setting,
//! scored against exact k-th distances in the index's space (shipped for MNIST, computed
//! here for an own set); recall@10, queries per second, p50/p99 latency and 1-NN
//! accuracy. Work runs in slices with pauses, so searches asked meanwhile are answered.

use std::rc::Rc;

use crate::truth::KthDistances;
use crate::{Dataset, Effort, Scratch, metrics};

use super::super::fetch::{now, pause};
use super::super::protocol::{DataKind, FromWorker, Problem, Row};
use super::load::{self, TRUTH};
use super::{Set, memory_mb, post, settings_for, test_digits};

/// Neighbours scored (recall@10).
pub const K: usize = 10;
/// A slice of work between pauses, in milliseconds.
const SLICE_MS: f64 = 40.0;
/// Each setting's queries are timed over at least this long (repeating them when one
/// pass is quicker): browsers round the clock to 0.1 ms, so a QPS from a pass of a few
/// milliseconds would say more about the clock than about the search.
const MIN_TIMED_MS: f64 = 200.0;

fn engine(e: crate::Error) -> Problem {
    Problem::from_engine(&e)
}

/// The query images and their exact k-th distances in the index's space.
async fn truth(set: &Set) -> Result<Rc<(Dataset, KthDistances)>, Problem> {
    if let Some(t) = set.truth.borrow().clone() {
        return Ok(t);
    }
    let index = &set.index;
    let t = match &set.own_queries {
        None => {
            let test = test_digits().await?;
            let bytes = load::download(TRUTH, load::TRUTH_LIMIT, false).await?;
            // The shipped distances are in the index's space: check them against the
            // test digits as searched, not as given.
            let searched = index.space().apply_all(&test).map_err(engine)?;
            let kth = KthDistances::from_bytes(TRUTH, &bytes, index.searched(), &searched)
                .map_err(|e| match Problem::from_engine(&e) {
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
                let found = index
                    .search(queries.image(i), K, Effort::Exact, &mut scratch)
                    .map_err(engine)?;
                kth.push(found.last().map_or(0, |n| n.distance));
                if now() - slice > SLICE_MS {
                    post(&FromWorker::BenchStatus {
                        setting: crate::app::protocol::Setting::Exact,
                        done: i as u32 + 1,
                        of: queries.len() as u32,
                    });
                    pause().await;
                    slice = now();
                }
            }
            let searched = index.space().apply_all(queries).map_err(engine)?;
            let kth = KthDistances::new(K, kth, index.searched(), &searched);
            (queries.clone(), kth)
        }
    };
    let t = Rc::new(t);
    *set.truth.borrow_mut() = Some(t.clone());
    Ok(t)
}

/// Runs every setting over the first `queries` query images and posts a row for each.
pub async fn run(set: &Set, queries: usize) -> Result<(), Problem> {
    if set.info.own && set.own_queries.is_none() {
        return Err(Problem::Unsupported {
            what: format!(
                "this set is too small to measure: the benchmark holds every {}th image out of the index as a query, which needs at least {} images; it has {}",
                super::own::HOLD_EVERY,
                super::own::MIN_TO_HOLD_OUT,
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
    let truth = truth(set).await?;
    let (data, kth) = (&truth.0, &truth.1);
    let n = queries.min(data.len());
    if n == 0 {
        return Err(Problem::Unsupported {
            what: "this set has no query images to measure with".into(),
        });
    }
    let index = &set.index;
    let mut scratch = Scratch::new();
    for setting in settings_for(index) {
        let effort = Effort::from(setting);
        let mut latencies = Vec::with_capacity(n);
        let (mut recall, mut right) = (0.0, 0usize);
        let mut busy = 0.0;
        let mut slice = now();
        for i in 0..n {
            let start = now();
            let found = index
                .search(data.image(i), K, effort, &mut scratch)
                .map_err(engine)?;
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
                pause().await;
                slice = now();
            }
        }
        busy += now() - slice;
        // Timing only, until the clock has seen enough of it: whole passes, timed from
        // the start of a slice so that no rounding of a short pass is summed.
        let mut timed = n;
        let mut slice = now();
        while busy + (now() - slice) < MIN_TIMED_MS {
            for i in 0..n {
                index
                    .search(data.image(i), K, effort, &mut scratch)
                    .map_err(engine)?;
            }
            timed += n;
            if now() - slice > SLICE_MS {
                busy += now() - slice;
                pause().await;
                slice = now();
            }
        }
        busy += now() - slice;
        latencies.sort_by(f64::total_cmp);
        let pct = |p: f64| latencies[((n.max(1) - 1) as f64 * p).round() as usize];
        post(&FromWorker::BenchRow(Row {
            setting,
            recall: recall / n.max(1) as f64,
            qps: timed as f64 / (busy / 1e3),
            p50: pct(0.5),
            p99: pct(0.99),
            acc1: set.info.labelled.then(|| right as f64 / n.max(1) as f64),
        }));
    }
    post(&FromWorker::BenchDone {
        queries: n as u32,
        memory_mb: memory_mb(),
    });
    Ok(())
}
