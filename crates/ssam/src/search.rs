//! A query's way through the index, as stages that each own their state:
//! the picture as the space sees it ([`Vectors`]), candidates from the forest and the
//! graph ([`Candidates`]), the nearest k by the space's distance, then optionally a
//! re-ranking of the nearest candidates by a deformation-tolerant distance ([`Rerank`]).
//! [`Scratch`] holds one of each and is kept between queries, so that a query allocates
//! nothing once it is warm.

use crate::distortion::{self, Distortion, Gradients};
use crate::error::Result;
use crate::forest::Walk;
use crate::graph::Beam;
use crate::neighbors::{Neighbor, TopK};
use crate::space::{self, Space};
use crate::visited::Visited;

/// Reusable state of a query: reuse one per thread (or per worker) for every query.
#[derive(Debug, Default)]
pub struct Scratch {
    pub(crate) vectors: Vectors,
    pub(crate) candidates: Candidates,
    /// The k nearest of one version of the query.
    pub(crate) top: TopK,
    /// The answers of every version of a query, before they are merged.
    pub(crate) merged: Vec<Neighbor>,
    pub(crate) rerank: Rerank,
    /// Distances the current query computed.
    pub(crate) measured: usize,
}

impl Scratch {
    /// An empty scratch; it grows to the index's size on first use.
    pub fn new() -> Self {
        Scratch::default()
    }

    /// Distinct items whose distance the last query measured (on an index with codes,
    /// each item the walk ended on counts twice: by its code, then exactly).
    pub fn measured(&self) -> usize {
        self.measured
    }

    /// The last query as the index searched it: the picture after the index's space.
    pub fn searched_query(&self) -> &[u8] {
        &self.vectors.shown
    }
}

/// The space stage: a query as the vectors the index compares.
#[derive(Debug, Default)]
pub(crate) struct Vectors {
    /// The version of the query being searched.
    pub(crate) query: Vec<u8>,
    /// The unshifted version, for people to see.
    pub(crate) shown: Vec<u8>,
    workspace: space::Workspace,
}

impl Vectors {
    /// Makes version `variant` of `image` (`rows x cols`, the originals' size) in `space`.
    pub(crate) fn make(
        &mut self,
        space: Space,
        rows: usize,
        cols: usize,
        image: &[u8],
        variant: usize,
    ) -> Result<&[u8]> {
        self.query.resize(space.dim(rows, cols), 0);
        space.apply_in(
            rows,
            cols,
            image,
            &mut self.query,
            variant,
            &mut self.workspace,
        )?;
        if variant == 0 {
            self.shown.clone_from(&self.query);
        }
        Ok(&self.query)
    }
}

/// The candidate stage: what the forest and the graph found for one version of a query.
#[derive(Debug, Default)]
pub(crate) struct Candidates {
    pub(crate) visited: Visited,
    pub(crate) walk: Walk,
    pub(crate) beam: Beam,
    /// Distinct candidates the forest found (or seeds), in the order found.
    pub(crate) pool: Vec<u32>,
    /// The query's compact code, when the index has codes.
    pub(crate) code: Vec<u8>,
}

impl Candidates {
    pub(crate) fn begin(&mut self, items: usize) {
        self.visited.begin(items);
        self.pool.clear();
    }
}

/// How the nearest candidates are re-ranked after the search.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Ranking {
    /// As the search found them: by squared L2 in the index's space.
    Space,
    /// The `candidates` nearest re-ranked by the image distortion model
    /// ([`crate::distortion`]) on the original images stood upright at their own
    /// resolution; distances are then that model's.
    Distortion {
        /// The model's warp and context.
        model: Distortion,
        /// How many of the nearest are re-ranked (at least k).
        candidates: usize,
    },
}

impl Ranking {
    /// What the app answers with: the nearest candidates re-ranked by the default
    /// distortion model (how many: chosen by measurement; see the README's table).
    pub const DEFAULT: Ranking = Ranking::Distortion {
        model: Distortion::DEFAULT,
        candidates: 32,
    };

    /// How many nearest the search must give for this ranking to return `k`.
    pub fn candidates(&self, k: usize) -> usize {
        match *self {
            Ranking::Space => k,
            Ranking::Distortion { candidates, .. } => candidates.max(k),
        }
    }
}

/// The re-ranking stage's state: the query and one candidate stood upright, and their
/// gradients.
#[derive(Debug, Default)]
pub(crate) struct Rerank {
    upright: Upright,
    query: Gradients,
    candidate: Gradients,
    work: distortion::Workspace,
    pub(crate) ranked: Vec<Neighbor>,
}

impl Rerank {
    /// Orders `found` by the distortion distance from `query` (a `rows x cols` image) to
    /// each one's image (`image(id)`, the same size), both stood upright, keeping the `k`
    /// nearest.
    pub(crate) fn run<'i>(
        &mut self,
        model: Distortion,
        (rows, cols): (usize, usize),
        query: &[u8],
        found: &[Neighbor],
        k: usize,
        image: impl Fn(u32) -> &'i [u8],
    ) -> Result<&[Neighbor]> {
        let side = self.upright.side(rows, cols);
        self.query
            .set(model, side, side, self.upright.make(rows, cols, query))?;
        self.ranked.clear();
        for n in found {
            let image = self.upright.make(rows, cols, image(n.id));
            self.candidate.set(model, side, side, image)?;
            let distance =
                distortion::distance(model, &self.query, &self.candidate, &mut self.work);
            self.ranked.push(Neighbor { id: n.id, distance });
        }
        self.ranked.sort_unstable();
        self.ranked.truncate(k);
        Ok(&self.ranked)
    }
}

/// A digit stood upright and centred at its own resolution, as re-ranking compares it:
/// deskewing before the distortion model gains more than either alone (1-NN 0.9917
/// without it; the README has the table).
#[derive(Debug, Default)]
pub(crate) struct Upright {
    out: Vec<u8>,
    workspace: space::Workspace,
}

impl Upright {
    /// Side of the square a `rows x cols` image becomes.
    pub(crate) fn side(&self, rows: usize, cols: usize) -> usize {
        rows.max(cols).min(distortion::MAX_SIDE)
    }

    /// `image` upright; all ground when it has no shape to deskew (no ink, one pixel).
    pub(crate) fn make(&mut self, rows: usize, cols: usize, image: &[u8]) -> &[u8] {
        let side = self.side(rows, cols);
        let space = Space::Deskew {
            blur: 0,
            norm: space::Norm::Peak,
            side: side as u8,
            shift: 0,
        };
        self.out.resize(side * side, 0);
        if space
            .apply_in(rows, cols, image, &mut self.out, 0, &mut self.workspace)
            .is_err()
        {
            self.out.fill(0);
        }
        &self.out
    }
}
