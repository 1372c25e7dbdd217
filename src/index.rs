//! The engine as one value: the training images, the space they are searched in, the
//! forest and the graph over them. Put together once, checked once; then any number of
//! queries, each with its own [`Scratch`].

use crate::dataset::Dataset;
use crate::error::{Error, Result};
use crate::exact;
use crate::forest::{Forest, Params};
use crate::graph::{Graph, GraphParams};
use crate::neighbors::Neighbor;
use crate::search::{Scratch, measure};
use crate::space::Space;

/// How hard a query works, which also says how it is answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Effort {
    /// The forest alone: rank this many distinct candidates (at least k). What Annoy
    /// does, and the baseline the graph is measured against.
    Forest {
        /// Distinct candidates measured.
        budget: usize,
    },
    /// The graph, entered from the forest: a beam of this many nearest (at least k).
    Graph {
        /// Beam width, hnswlib's `ef`.
        ef: usize,
    },
    /// Every item measured: the exact answer.
    Exact,
}

impl Effort {
    /// The forest's budget the app and the CLI use unless told otherwise: with the shipped
    /// 10 trees it gives recall@10 of 0.97 and exact search's 1-NN accuracy on MNIST.
    pub const DEFAULT_BUDGET: usize = 2000;
    /// The graph's beam the app and the CLI use unless told otherwise: with the shipped
    /// index (2 trees, at most 20 edges an item, the default space) it gives exact
    /// search's 1-NN accuracy within a few digits of 10,000 (0.9853 against 0.9856) at
    /// about 6,000 queries a second natively; a beam of 48 loses up to five more digits.
    pub const DEFAULT_EF: usize = 128;
    /// The forest's candidates that enter the graph: about a leaf, enough to start near
    /// the query and few enough to cost little.
    pub const ENTRY_BUDGET: usize = 16;
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

/// Training images and what searches them, checked to belong together.
#[derive(Debug, Clone)]
pub struct Index {
    originals: Dataset,
    space: Space,
    /// The images as searched, when the space changes them (None: the originals are).
    transformed: Option<Dataset>,
    forest: Forest,
    graph: Option<Graph>,
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

    /// Number of training images.
    pub fn len(&self) -> usize {
        self.originals.len()
    }

    /// True when there is no training image.
    pub fn is_empty(&self) -> bool {
        self.originals.is_empty()
    }

    /// Bytes the index holds beyond the original images: the transformed images, the
    /// forest and the graph.
    pub fn memory_bytes(&self) -> usize {
        self.transformed.as_ref().map_or(0, |t| t.pixels().len())
            + self.forest.memory_bytes()
            + self.graph.as_ref().map_or(0, Graph::memory_bytes)
    }

    /// The same index with only the first `trees` trees of its forest and no graph: what
    /// building with fewer trees and the same seed would give.
    pub fn with_trees(&self, trees: usize) -> Index {
        Index {
            forest: self.forest.truncated(trees),
            graph: None,
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
        if query.len() != self.originals.dim() {
            return Err(Error::InvalidInput(format!(
                "the query has {} values, the index expects {} ({}x{})",
                query.len(),
                self.originals.dim(),
                self.originals.rows(),
                self.originals.cols()
            )));
        }
        let variants = self.space.query_variants();
        if variants == 1 {
            self.search_variant(query, k, effort, 0, None, scratch)?;
            scratch.shown.clone_from(&scratch.query);
            return Ok(scratch.top.as_slice());
        }
        // Each version of the query is a search of its own; an item found by several
        // keeps its nearest distance.
        let mut merged = std::mem::take(&mut scratch.merged);
        merged.clear();
        let mut measured = 0;
        for variant in 0..variants {
            // A shifted query's neighbours are near the unshifted query's: its search
            // starts from them, with a narrower beam, instead of from the forest.
            let effort = match effort {
                Effort::Graph { ef } if variant > 0 => Effort::Graph {
                    ef: (ef / Effort::SHIFTED_BEAM_DIVISOR).max(k),
                },
                other => other,
            };
            let seeds = (variant > 0).then(|| &merged[..merged.len().min(k)]);
            let found = self.search_variant(query, k, effort, variant, seeds, scratch);
            let found = match found {
                Ok(found) => found,
                Err(e) => {
                    scratch.merged = merged;
                    return Err(e);
                }
            };
            merged.extend_from_slice(found);
            measured += scratch.measured;
            if variant == 0 {
                scratch.shown.clone_from(&scratch.query);
            }
        }
        merged.sort_unstable_by_key(|n| (n.id, n.distance));
        merged.dedup_by_key(|n| n.id);
        scratch.top.reset(k);
        for &n in &merged {
            scratch.top.push(n);
        }
        scratch.merged = merged;
        scratch.measured = measured;
        Ok(scratch.top.as_slice())
    }

    /// One version of the query through the transform and the search, into `scratch.top`.
    /// A graph search enters from the forest, or from `seeds` when given.
    fn search_variant<'s>(
        &self,
        query: &[u8],
        k: usize,
        effort: Effort,
        variant: usize,
        seeds: Option<&[Neighbor]>,
        scratch: &'s mut Scratch,
    ) -> Result<&'s [Neighbor]> {
        let searched = self.searched();
        let mut q = std::mem::take(&mut scratch.query);
        q.resize(searched.dim(), 0);
        let applied = self.space.apply_in(
            self.originals.rows(),
            self.originals.cols(),
            query,
            &mut q,
            variant,
            &mut scratch.workspace,
        );
        scratch.query = q;
        applied?;
        scratch.begin(searched.len(), k);
        let query = std::mem::take(&mut scratch.query);
        match effort {
            Effort::Exact => {
                scratch.measured = searched.len();
                exact::search_into(searched, &query, &mut scratch.top);
            }
            Effort::Forest { budget } => {
                self.forest
                    .candidates(searched, &query, budget.max(k), scratch);
                let Scratch { pool, top, .. } = &mut *scratch;
                measure(searched, &query, pool, |n| top.push(n));
                scratch.measured = scratch.pool.len();
            }
            Effort::Graph { ef } => match &self.graph {
                None => {
                    scratch.query = query;
                    return Err(Error::InvalidInput(
                        "this index has no graph: search it with the forest".into(),
                    ));
                }
                Some(graph) => {
                    let ef = ef.max(k);
                    match seeds {
                        None => {
                            self.forest
                                .candidates(searched, &query, Effort::ENTRY_BUDGET, scratch)
                        }
                        Some(seeds) => {
                            for seed in seeds {
                                if scratch.visited.visit(seed.id) {
                                    scratch.pool.push(seed.id);
                                }
                            }
                        }
                    }
                    let Scratch {
                        pool,
                        beam,
                        expanded,
                        visited,
                        ..
                    } = &mut *scratch;
                    if visited.visit(graph.root()) {
                        pool.push(graph.root());
                    }
                    measure(searched, &query, pool, |n| beam.push(n));
                    beam.sort_unstable();
                    beam.truncate(ef);
                    expanded.resize(beam.len(), false);
                    scratch.measured = scratch.pool.len();
                    graph.search(searched, &query, ef, scratch);
                    for &n in scratch.beam.iter().take(k) {
                        scratch.top.push(n);
                    }
                }
            },
        }
        scratch.query = query;
        Ok(scratch.top.as_slice())
    }
}

/// The originals in `space`; None when the space leaves them as they are.
pub(crate) fn transform(originals: &Dataset, space: Space) -> Result<Option<Dataset>> {
    Ok(match space {
        Space::Raw => None,
        _ => Some(space.apply_all(originals)?),
    })
}
