//! What a query needs besides the index, shared by the forest and the graph stages and
//! kept between queries so that a query allocates nothing.

use std::collections::BinaryHeap;

use crate::dataset::Dataset;
use crate::distance::{l2_sq, l2_sq_many};
use crate::forest::Entry;
use crate::neighbors::{Neighbor, TopK};

/// Which items the current query has measured: `stamps[id] == epoch` means visited. A new
/// query only increments `epoch`, so the marks never need clearing.
#[derive(Debug, Default)]
pub(crate) struct Visited {
    stamps: Vec<u32>,
    epoch: u32,
}

impl Visited {
    fn begin(&mut self, items: usize) {
        if self.stamps.len() != items {
            self.stamps = vec![0; items];
            self.epoch = 0;
        }
        self.epoch = self.epoch.wrapping_add(1);
        if self.epoch == 0 {
            self.stamps.fill(0);
            self.epoch = 1;
        }
    }

    /// Marks `id`; true when it was not marked yet in this query.
    #[inline]
    pub(crate) fn visit(&mut self, id: u32) -> bool {
        let stamp = &mut self.stamps[id as usize];
        let first = *stamp != self.epoch;
        *stamp = self.epoch;
        first
    }
}

/// Reusable state of a query: reuse one per thread (or per worker) for every query.
#[derive(Debug, Default)]
pub struct Scratch {
    /// The version of the query being searched, after the index's space.
    pub(crate) query: Vec<u8>,
    /// The query as the index's space shows it (unshifted), for people to see.
    pub(crate) shown: Vec<u8>,
    /// The space's transform, kept between queries.
    pub(crate) workspace: crate::space::Workspace,
    pub(crate) visited: Visited,
    /// The forest's queue of nodes to visit.
    pub(crate) heap: BinaryHeap<Entry>,
    /// Distinct candidates the forest found, in the order found.
    pub(crate) pool: Vec<u32>,
    /// The forest stage's answer.
    pub(crate) top: TopK,
    /// The graph stage's beam: the nearest found, sorted, and which were expanded.
    pub(crate) beam: Vec<Neighbor>,
    pub(crate) expanded: Vec<bool>,
    /// Unvisited neighbours of the node being expanded.
    pub(crate) batch: Vec<u32>,
    /// Distances the current query computed.
    pub(crate) measured: usize,
    /// The answers of every version of a query, before they are merged.
    pub(crate) merged: Vec<Neighbor>,
}

impl Scratch {
    /// An empty scratch; it grows to the index's size on first use.
    pub fn new() -> Self {
        Scratch::default()
    }

    pub(crate) fn begin(&mut self, items: usize, k: usize) {
        self.visited.begin(items);
        self.heap.clear();
        self.pool.clear();
        self.top.reset(k);
        self.beam.clear();
        self.expanded.clear();
        self.measured = 0;
    }

    /// Distinct items whose distance the last query measured.
    pub fn measured(&self) -> usize {
        self.measured
    }

    /// The last query as the index searched it: the picture after the index's space.
    pub fn searched_query(&self) -> &[u8] {
        &self.shown
    }
}

/// Measures `ids` against `query` and hands each distance to `take`. The rows about to
/// be measured are fetched ahead: waiting on memory is most of a query's time.
pub(crate) fn measure(data: &Dataset, query: &[u8], ids: &[u32], mut take: impl FnMut(Neighbor)) {
    // Rows measured together; more keeps more of memory's latency hidden.
    const WIDTH: usize = 4;
    let mut groups = ids.chunks_exact(WIDTH);
    for (at, group) in groups.by_ref().enumerate() {
        for &ahead in ids.iter().skip((at + 1) * WIDTH).take(WIDTH) {
            prefetch(data.image(ahead as usize));
        }
        let group: [u32; WIDTH] = group.try_into().expect("chunks of WIDTH");
        let distances = l2_sq_many(query, group.map(|id| data.image(id as usize)));
        for (id, distance) in group.into_iter().zip(distances) {
            take(Neighbor { id, distance });
        }
    }
    for &id in groups.remainder() {
        take(Neighbor {
            id,
            distance: l2_sq(query, data.image(id as usize)),
        });
    }
}

/// Asks the processor to start loading `bytes` into cache; a hint with no effect on
/// results, and nothing on targets without one.
#[inline]
pub(crate) fn prefetch(bytes: &[u8]) {
    #[cfg(target_arch = "x86_64")]
    for line in bytes.chunks(64) {
        // SAFETY: prefetching reads nothing observable and cannot fault.
        unsafe {
            std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(
                line.as_ptr().cast(),
            )
        };
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = bytes;
}
