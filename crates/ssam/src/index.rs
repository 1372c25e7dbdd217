//! The engine as one value: the training images, the space they are searched in, the
//! forest and the graph over them. Put together once, checked once; then any number of
//! queries, each with its own [`Scratch`].

use crate::codes::Codes;
use crate::dataset::Dataset;
use crate::distortion::{self, Distortion, Gradients, Matching};
use crate::error::{Error, Result};
use crate::exact;
use crate::forest::{Forest, Params};
use crate::graph::{Graph, GraphParams};
use crate::neighbors::Neighbor;
use crate::neighbors::TopK;
use crate::search::{Candidates, Ranking, Scratch, Upright};
use crate::space::Space;
use crate::visited::Visited;

/// How hard a query works, which also says how it is answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Effort {
    /// The forest alone: rank this many distinct candidates (at least k). What Annoy
    /// does, and the baseline the graph is measured against.
    Forest {
        /// Distinct candidates measured.
        budget: usize,
    },
    /// The graph, entered from the forest: a beam of this many nearest (at least k). On
    /// an index with compact codes the walk reads codes, enters from their nearest
    /// entries, and the whole beam is then measured exactly.
    Graph {
        /// Beam width, hnswlib's `ef`.
        ef: usize,
    },
    /// Every item measured: the exact answer.
    Exact,
}

impl Effort {
    /// The forest's budget the app and the CLI use unless told otherwise, for an index
    /// without a graph.
    pub const DEFAULT_BUDGET: usize = 2000;
    /// The graph's beam the app and the CLI use unless told otherwise: with the shipped
    /// index it keeps exact search's 1-NN accuracy within a few digits of 10,000, where a
    /// beam of 48 loses several more (figures in the README).
    pub const DEFAULT_EF: usize = 128;
    /// What the app offers, in its menu and its benchmark alike: graph beams (for an index
    /// with a graph), then forest budgets.
    pub const OFFERED: [Effort; 10] = [
        Effort::Graph { ef: 16 },
        Effort::Graph { ef: 32 },
        Effort::Graph { ef: 48 },
        Effort::Graph { ef: 96 },
        Effort::Graph {
            ef: Effort::DEFAULT_EF,
        },
        Effort::Graph { ef: 192 },
        Effort::Forest { budget: 500 },
        Effort::Forest { budget: 1000 },
        Effort::Forest {
            budget: Effort::DEFAULT_BUDGET,
        },
        Effort::Forest { budget: 4000 },
    ];
    /// The forest's candidates that enter the graph: about a leaf, enough to start near
    /// the query and few enough to cost little.
    pub const ENTRY_BUDGET: usize = 16;
    /// The nearest entries a walk on compact codes starts from.
    pub const CODE_ENTRIES: usize = 4;
    /// A shifted version of a query searches the graph with the beam divided by this.
    pub const SHIFTED_BEAM_DIVISOR: usize = 4;

    /// What an index answers with unless told otherwise: the graph when it has one.
    pub fn default_for(index: &Index) -> Effort {
        if index.graph().is_some() {
            Effort::Graph {
                ef: Effort::DEFAULT_EF,
            }
        } else {
            Effort::Forest {
                budget: Effort::DEFAULT_BUDGET,
            }
        }
    }
}

/// Why a training image is similar to a query, as [`Index::explain`] finds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Explanation {
    /// Side of the square images below.
    pub side: usize,
    /// The query stood upright, as re-ranking compared it.
    pub query: Vec<u8>,
    /// The training image stood upright.
    pub hit: Vec<u8>,
    /// Where each query pixel matched in `hit`, and at what cost.
    pub matching: Matching,
}

/// Neighbours a query returns unless asked otherwise: the app shows them, the verdict
/// votes among them, the benchmarks measure recall@10.
pub const DEFAULT_K: usize = 10;

/// Training images and what searches them, checked to belong together.
#[derive(Debug, Clone)]
pub struct Index {
    originals: Dataset,
    space: Space,
    /// The images as searched, when the space changes them (None: the originals are).
    transformed: Option<Dataset>,
    forest: Forest,
    graph: Option<Graph>,
    /// Compact codes the graph walk reads instead of the searched vectors, when trained.
    codes: Option<Codes>,
}

impl Index {
    /// Builds the forest (and the graph, when asked) over `originals` as seen in `space`,
    /// calling `progress` with a stage and a fraction done.
    pub fn build(
        originals: Dataset,
        space: Space,
        params: Params,
        graph: Option<GraphParams>,
        progress: &mut dyn FnMut(&str, f64),
    ) -> Result<Index> {
        progress("transforming", 0.0);
        let transformed = transform(&originals, space)?;
        let searched = transformed.as_ref().unwrap_or(&originals);
        let trees = params.trees as f64;
        let forest = params.build(searched, &mut |done| {
            progress("forest", done as f64 / trees)
        })?;
        let graph = match graph {
            Some(g) => Some(g.build(searched, &forest, progress)?),
            None => None,
        };
        Index::from_parts(originals, space, transformed, forest, graph)
    }

    /// Puts loaded parts together: the space is applied to `originals`, and the forest
    /// and graph must have been built over the result.
    pub fn new(
        originals: Dataset,
        space: Space,
        forest: Forest,
        graph: Option<Graph>,
    ) -> Result<Index> {
        let transformed = transform(&originals, space)?;
        Index::from_parts(originals, space, transformed, forest, graph)
    }

    /// The same index with compact codes of `dim` bytes trained over its searched
    /// vectors: its graph searches then walk on the codes and re-rank exactly.
    pub fn with_codes(mut self, dim: usize) -> Result<Index> {
        self.codes = Some(Codes::train(self.searched(), dim)?);
        Ok(self)
    }

    /// The same index with its codes rebuilt from a stored projection (see
    /// [`crate::format`]).
    pub(crate) fn with_stored_codes(
        mut self,
        dim: usize,
        weights: Vec<f32>,
        offsets: Vec<f32>,
    ) -> Result<Index> {
        self.codes = Some(Codes::from_parts(self.searched(), dim, weights, offsets)?);
        Ok(self)
    }

    pub(crate) fn from_parts(
        originals: Dataset,
        space: Space,
        transformed: Option<Dataset>,
        forest: Forest,
        graph: Option<Graph>,
    ) -> Result<Index> {
        let searched = transformed.as_ref().unwrap_or(&originals);
        let mismatch = |what: &str, fingerprint: u64| Error::DatasetMismatch {
            file: what.to_owned(),
            index: fingerprint,
            index_items: forest.len(),
            index_dim: forest.dim(),
            data: searched.fingerprint(),
            data_items: searched.len(),
            data_dim: searched.dim(),
        };
        if forest.fingerprint() != searched.fingerprint()
            || forest.len() != searched.len()
            || forest.dim() != searched.dim()
        {
            return Err(mismatch("forest", forest.fingerprint()));
        }
        if let Some(g) = &graph
            && (g.fingerprint() != searched.fingerprint() || g.len() != searched.len())
        {
            return Err(mismatch("graph", g.fingerprint()));
        }
        Ok(Index {
            originals,
            space,
            transformed,
            forest,
            graph,
            codes: None,
        })
    }

    /// The training images as given (what results show).
    pub fn originals(&self) -> &Dataset {
        &self.originals
    }

    /// The training images as searched: the originals in the index's space.
    pub fn searched(&self) -> &Dataset {
        self.transformed.as_ref().unwrap_or(&self.originals)
    }

    /// The space images are searched in.
    pub fn space(&self) -> Space {
        self.space
    }

    /// The forest.
    pub fn forest(&self) -> &Forest {
        &self.forest
    }

    /// The graph, when the index has one.
    pub fn graph(&self) -> Option<&Graph> {
        self.graph.as_ref()
    }

    /// The compact codes, when the index has them.
    pub fn codes(&self) -> Option<&Codes> {
        self.codes.as_ref()
    }

    /// Number of training images.
    pub fn len(&self) -> usize {
        self.originals.len()
    }

    /// True when there is no training image.
    pub fn is_empty(&self) -> bool {
        self.originals.is_empty()
    }

    /// Bytes the index holds beyond the original images: the transformed images, the
    /// forest, the graph and the codes.
    pub fn memory_bytes(&self) -> usize {
        self.transformed.as_ref().map_or(0, |t| t.pixels().len())
            + self.forest.memory_bytes()
            + self.graph.as_ref().map_or(0, Graph::memory_bytes)
            + self.codes.as_ref().map_or(0, Codes::memory_bytes)
    }

    /// The same index with only the first `trees` trees of its forest and no graph: what
    /// building with fewer trees and the same seed would give.
    pub fn with_trees(&self, trees: usize) -> Index {
        Index {
            forest: self.forest.truncated(trees),
            graph: None,
            codes: None,
            ..self.clone()
        }
    }

    /// The `k` training images nearest to `query` (an image of the originals' size), in
    /// the index's space, nearest first. `scratch` is reused between queries;
    /// [`Scratch::measured`] then tells how many distances the query took.
    pub fn search<'s>(
        &self,
        query: &[u8],
        k: usize,
        effort: Effort,
        scratch: &'s mut Scratch,
    ) -> Result<&'s [Neighbor]> {
        self.check_query(query)?;
        if let (Effort::Graph { .. }, None) = (effort, &self.graph) {
            return Err(Error::Unsupported {
                what: "this index has no graph: search it with the forest".into(),
            });
        }
        let Scratch {
            vectors,
            candidates,
            top,
            merged,
            measured,
            ..
        } = scratch;
        *measured = 0;
        merged.clear();
        // Each version of the query is a search of its own; an item found by several
        // keeps its nearest distance.
        for variant in 0..self.space.query_variants() {
            let q = vectors.make(
                self.space,
                self.originals.rows(),
                self.originals.cols(),
                query,
                variant,
            )?;
            // A shifted query's neighbours are near the unshifted query's: its search
            // starts from them, with a narrower beam, instead of from the forest.
            let (effort, seeds) = match effort {
                Effort::Graph { ef } if variant > 0 => (
                    Effort::Graph {
                        ef: (ef / Effort::SHIFTED_BEAM_DIVISOR).max(k),
                    },
                    Some(&merged[..merged.len().min(k)]),
                ),
                other => (other, None),
            };
            top.reset(k);
            *measured += self.candidates(q, k, effort, seeds, candidates, top);
            merged.extend_from_slice(top.as_slice());
        }
        merged.sort_unstable_by_key(|n| (n.id, n.distance));
        merged.dedup_by_key(|n| n.id);
        top.reset(k);
        for &n in merged.iter() {
            top.push(n);
        }
        Ok(top.as_slice())
    }

    /// The `k` training images nearest to `query` as `ranking` orders them: the search,
    /// then the nearest candidates re-ranked. What the app answers with.
    pub fn find<'s>(
        &self,
        query: &[u8],
        k: usize,
        effort: Effort,
        ranking: Ranking,
        scratch: &'s mut Scratch,
    ) -> Result<&'s [Neighbor]> {
        self.search(query, ranking.candidates(k), effort, scratch)?;
        match ranking {
            Ranking::Space => Ok(scratch.top.as_slice()),
            Ranking::Distortion { model, .. } => {
                let Scratch { top, rerank, .. } = scratch;
                let data = &self.originals;
                rerank.run(
                    model,
                    (data.rows(), data.cols()),
                    query,
                    top.as_slice(),
                    k,
                    |id| data.image(id as usize),
                )
            }
        }
    }

    /// A query of the size of the index's images, or an error saying the sizes.
    fn check_query(&self, query: &[u8]) -> Result<()> {
        let data = &self.originals;
        if query.len() == data.dim() {
            return Ok(());
        }
        Err(Error::ImageSize {
            what: format!("the query for {}x{} images", data.rows(), data.cols()),
            expected: data.dim(),
            received: query.len(),
        })
    }

    /// Why training image `id` is similar to `query` under `model`: both stood upright as
    /// re-ranking compares them, and where each pixel of the query found its match.
    pub fn explain(&self, query: &[u8], id: u32, model: Distortion) -> Result<Explanation> {
        self.check_query(query)?;
        if id as usize >= self.len() {
            return Err(Error::BadParameter {
                name: "item",
                value: id.to_string(),
                why: format!("the index holds {} items, numbered from 0", self.len()),
            });
        }
        let data = &self.originals;
        explain_pair(
            (data.rows(), data.cols()),
            query,
            data.image(id as usize),
            model,
        )
    }

    /// The candidate stage for one version `q` of a query: into `top`, the k nearest the
    /// effort finds; a graph search enters from the forest, or from `seeds` when given.
    /// Returns the distances measured.
    fn candidates(
        &self,
        q: &[u8],
        k: usize,
        effort: Effort,
        seeds: Option<&[Neighbor]>,
        stage: &mut Candidates,
        top: &mut TopK,
    ) -> usize {
        let searched = self.searched();
        stage.begin(searched.len());
        let Candidates {
            visited,
            walk,
            beam,
            pool,
            ..
        } = stage;
        match effort {
            Effort::Exact => {
                exact::search_into(searched, q, top);
                searched.len()
            }
            Effort::Forest { budget } => {
                self.forest
                    .candidates(searched, q, budget.max(k), walk, visited, pool);
                searched.vectors().measure(q, pool, |n| top.push(n));
                pool.len()
            }
            Effort::Graph { ef } => {
                let graph = self
                    .graph
                    .as_ref()
                    .expect("search refuses a graph search of an index without a graph");
                let ef = ef.max(k);
                if let Some(codes) = &self.codes {
                    return Self::walk_codes(searched, graph, codes, q, ef, seeds, stage, top);
                }
                enter(seeds, visited, pool, |visited, pool| {
                    let budget = Effort::ENTRY_BUDGET;
                    self.forest
                        .candidates(searched, q, budget, walk, visited, pool)
                });
                let rows = searched.vectors();
                let measured = graph.search(rows, q, ef, pool, beam, visited, |_| {});
                for n in beam.found().take(k) {
                    top.push(n);
                }
                measured
            }
        }
    }

    /// The graph walk on compact codes, entered from the codes' nearest entries (or
    /// `seeds`), then every item the beam ended on measured exactly: the beam's order is
    /// only nearly the true one.
    #[allow(clippy::too_many_arguments)]
    fn walk_codes(
        searched: &Dataset,
        graph: &Graph,
        codes: &Codes,
        q: &[u8],
        ef: usize,
        seeds: Option<&[Neighbor]>,
        stage: &mut Candidates,
        top: &mut TopK,
    ) -> usize {
        let Candidates {
            visited,
            beam,
            pool,
            code,
            ..
        } = stage;
        codes.encode(q, code);
        enter(seeds, visited, pool, |visited, pool| {
            codes.nearest_entries(code, Effort::CODE_ENTRIES, visited, pool)
        });
        // The items the walk expands are the beam's nearest, so nearly all of them are
        // measured in full at the end: their rows are fetched while the walk goes on.
        let full = searched.vectors();
        let walked = graph.search(codes.rows(), code, ef, pool, beam, visited, |id| {
            full.prefetch(id as usize)
        });
        pool.clear();
        pool.extend(beam.found().map(|n| n.id));
        full.measure(q, pool, |n| top.push(n));
        walked + pool.len()
    }
}

/// Where a graph walk enters, marked visited, into `pool`: `seeds` when given (a shifted
/// version of a query starts from the unshifted one's answers), else what `otherwise`
/// finds.
fn enter(
    seeds: Option<&[Neighbor]>,
    visited: &mut Visited,
    pool: &mut Vec<u32>,
    otherwise: impl FnOnce(&mut Visited, &mut Vec<u32>),
) {
    match seeds {
        None => otherwise(visited, pool),
        Some(seeds) => pool.extend(seeds.iter().map(|s| s.id).filter(|&id| visited.visit(id))),
    }
}

/// Why `hit` is similar to `query` under `model` (both `rows x cols`): both stood upright
/// as re-ranking compares them, and where each pixel of the query found its match.
pub fn explain_pair(
    (rows, cols): (usize, usize),
    query: &[u8],
    hit: &[u8],
    model: Distortion,
) -> Result<Explanation> {
    for (what, image) in [("the query", query), ("the hit", hit)] {
        if image.len() != rows * cols {
            return Err(Error::ImageSize {
                what: format!("{what} to explain as {rows}x{cols}"),
                expected: rows * cols,
                received: image.len(),
            });
        }
    }
    let mut upright = Upright::default();
    let side = upright.side(rows, cols);
    let query = upright.make(rows, cols, query).to_vec();
    let hit = upright.make(rows, cols, hit).to_vec();
    let matching = distortion::matching(
        model,
        &Gradients::of(model, side, side, &query)?,
        &Gradients::of(model, side, side, &hit)?,
    );
    Ok(Explanation {
        side,
        query,
        hit,
        matching,
    })
}

/// The originals in `space`; None when the space leaves them as they are.
pub(crate) fn transform(originals: &Dataset, space: Space) -> Result<Option<Dataset>> {
    Ok(match space {
        Space::Raw => None,
        _ => Some(space.apply_all(originals)?),
    })
}
