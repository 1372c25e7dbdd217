//! Searching a streamed layout with what has arrived: a query is planned (which blocks
//! it needs that are not here), the caller fetches them, and the query runs on the cells
//! the router picked. The engine never fetches: the same code serves a browser worker
//! reading ranges over HTTP and the CLI reading files.

use std::collections::HashMap;
use std::ops::ControlFlow;

use super::picture::{self, Place};
use super::{Arrived, Block, Cell, Root, Router, Span, Top};
use crate::codes::Codes;
use crate::distance::l2_sq;
use crate::error::{Error, Result};
use crate::neighbors::{Neighbor, TopK};
use crate::search::{Ranking, Rerank, Vectors};
use crate::space::Workspace;

/// How many centroids a query follows at each level of the router.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Probes {
    /// Router blocks followed (layouts with a level of routers).
    pub routers: usize,
    /// Cells searched.
    pub cells: usize,
    /// In a coded layout, the items nearest by code whose pictures are fetched and
    /// measured exactly (at least what the ranking re-ranks).
    pub pictures: usize,
    /// Most bytes of cells (as stored, compressed) a query searches: the nearest cells
    /// that fit, and always the nearest one. Whether they are held already does not
    /// count, so that a query picks the same cells before and after they arrive.
    pub cell_bytes: u64,
}

impl Probes {
    /// What the site searches with until it holds the whole layout.
    pub const DEFAULT: Probes = Probes {
        routers: 4,
        cells: 8,
        pictures: 64,
        cell_bytes: u64::MAX,
    };

    /// What a coded layout (a set too large for cells of images) is searched with: its
    /// nearest cells within 74 kB (the count only a cap: cells where queries land are
    /// larger than most, and a byte bound takes fewer of them and more small ones, for
    /// more recall a byte), then the pictures of the 80 nearest by code, which add
    /// recall for fewer bytes than more cells would (the README gives the rows of
    /// `ssam stream --measure` this was chosen from).
    pub const CODED: Probes = Probes {
        routers: 4,
        cells: 60,
        pictures: 80,
        cell_bytes: 74_000,
    };

    /// What a query of `layout` searches with: [`Probes::CODED`] or [`Probes::DEFAULT`].
    pub fn of(layout: &Root) -> Probes {
        if layout.coded() {
            Probes::CODED
        } else {
            Probes::DEFAULT
        }
    }

    /// What the first query of a visit searches with when the whole layout follows in
    /// the background: its cells are most of what a phone waits for before a first
    /// answer, and the answers after the download are the whole set's anyway (the
    /// README gives both rows of `ssam stream --measure`). Cells differ in size, so
    /// their bytes are bounded too: a query in MNIST's largest cells takes 5 of them.
    pub const FIRST: Probes = Probes {
        routers: 4,
        cells: 6,
        pictures: 64,
        cell_bytes: 280_000,
    };
}

/// What a query needs next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Plan {
    /// These ranges, then plan again.
    Fetch(Vec<Span>),
    /// Everything is here: [`Streamed::find`] answers.
    Ready,
}

/// A hit of a streamed search, with what showing it needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    /// The item and its distance.
    pub neighbor: Neighbor,
    /// Its label.
    pub label: u8,
    /// Its original image.
    pub image: Vec<u8>,
}

/// A cell as a query searches it: the block and its vectors in the layout's space.
#[derive(Debug)]
struct Searchable {
    cell: Cell,
    searched: Vec<u8>,
    used: u64,
}

/// A picture that has arrived: the item's id, its image and its vector in the layout's
/// space.
#[derive(Debug)]
struct Picture {
    id: u32,
    image: Vec<u8>,
    searched: Vec<u8>,
    used: u64,
}

/// The blocks that have arrived, cells and pictures kept within a byte bound (least
/// recently used go first; never one the current query needs).
#[derive(Debug, Default)]
pub struct Blocks {
    cells: HashMap<u32, Searchable>,
    routers: HashMap<u32, Router>,
    /// A coded layout's pictures, by their place (cell block, item of the cell).
    pictures: HashMap<(u32, u32), Picture>,
    bytes: usize,
    most: usize,
    tick: u64,
}

impl Blocks {
    /// An empty store that keeps about `most` bytes of cells.
    pub fn new(most: usize) -> Self {
        Blocks {
            most,
            ..Blocks::default()
        }
    }

    /// Bytes of cells held.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// Cells held.
    pub fn cells(&self) -> usize {
        self.cells.len()
    }

    fn has(&self, b: u32) -> bool {
        self.cells.contains_key(&b) || self.routers.contains_key(&b)
    }

    fn touch(&mut self, b: u32) {
        if let Some(s) = self.cells.get_mut(&b) {
            s.used = self.tick;
        }
    }

    /// Pictures held.
    pub fn pictures(&self) -> usize {
        self.pictures.len()
    }

    fn evict(&mut self) {
        // Pictures first: one costs a few hundred bytes to fetch again, a cell kilobytes.
        while self.bytes > self.most {
            let Some(place) = oldest(&self.pictures, |p| p.used, self.tick) else {
                break;
            };
            let gone = self.pictures.remove(&place).expect("just found");
            self.bytes -= gone.image.len() + gone.searched.len();
        }
        while self.bytes > self.most {
            let Some(b) = oldest(&self.cells, |s| s.used, self.tick) else {
                return;
            };
            let gone = self.cells.remove(&b).expect("just found");
            self.bytes -= size(&gone);
        }
    }
}

/// The key of the least recently used of `held` not used by the query at `tick`.
fn oldest<K: Copy + Ord, T>(
    held: &HashMap<K, T>,
    used: impl Fn(&T) -> u64,
    tick: u64,
) -> Option<K> {
    held.iter()
        .filter(|(_, v)| used(v) < tick)
        .min_by_key(|&(&k, v)| (used(v), k))
        .map(|(&k, _)| k)
}

fn size(s: &Searchable) -> usize {
    let pictures = s.cell.pictures.as_ref().map_or(0, |p| 8 * p.ends.len());
    s.cell.images.len()
        + s.cell.codes.len()
        + pictures
        + s.searched.len()
        + 4 * s.cell.ids.len()
        + s.cell.labels.len()
}

/// Reusable state of a streamed query.
#[derive(Debug, Default)]
pub struct StreamScratch {
    vectors: Vectors,
    /// Every version of the query, one after the other.
    variants: Vec<u8>,
    /// The cells the last plan picked.
    chosen: Vec<u32>,
    top: TopK,
    /// Candidates by their place in the chosen cells (cell, item).
    places: Vec<(u32, u32)>,
    /// A coded layout's query codes, one per version of the query.
    codes: Vec<u8>,
    code: Vec<u8>,
    /// A coded layout's candidates by code, nearest first (cell block, item).
    picked: Vec<(u32, u32)>,
    rerank: Rerank,
    workspace: Workspace,
}

impl StreamScratch {
    /// The last query planned, as the layout's space shows it.
    pub fn searched_query(&self) -> &[u8] {
        &self.vectors.shown
    }

    /// Items the last [`Streamed::find`] measured.
    pub fn measured(&self) -> usize {
        self.places.len()
    }

    /// Cells the last plan picked.
    pub fn cells(&self) -> usize {
        self.chosen.len()
    }
}

/// A streamed layout and the blocks of it that have arrived.
#[derive(Debug)]
pub struct Streamed {
    layout: Root,
    blocks: Blocks,
}

impl Streamed {
    /// A layout with nothing fetched yet, keeping about `most` bytes of cells.
    pub fn new(layout: Root, most: usize) -> Self {
        Streamed {
            layout,
            blocks: Blocks::new(most),
        }
    }

    /// The layout.
    pub fn layout(&self) -> &Root {
        &self.layout
    }

    /// The blocks held.
    pub fn blocks(&self) -> &Blocks {
        &self.blocks
    }

    /// Takes the blocks of `span` (its bytes as fetched): checked, unpacked, and cells
    /// made searchable.
    pub fn receive(
        &mut self,
        span: &Span,
        bytes: &[u8],
        scratch: &mut StreamScratch,
    ) -> Result<()> {
        if !span.pictures.is_empty() {
            let cells = &self.blocks.cells;
            let arrived = self.layout.take_pictures(
                span,
                bytes,
                |c| cells.get(&c).map(|s| &s.cell),
                &mut scratch.workspace,
            )?;
            for Arrived {
                place,
                id,
                image,
                searched,
            } in arrived
            {
                let p = Picture {
                    id,
                    image,
                    searched,
                    used: self.blocks.tick,
                };
                self.blocks.bytes += p.image.len() + p.searched.len();
                if let Some(old) = self.blocks.pictures.insert(place, p) {
                    self.blocks.bytes -= old.image.len() + old.searched.len();
                }
            }
            self.blocks.evict();
            return Ok(());
        }
        for (b, block) in self.layout.take(span, bytes)? {
            self.insert(b, block, scratch)?;
        }
        self.blocks.evict();
        Ok(())
    }

    fn insert(&mut self, b: u32, block: Block, scratch: &mut StreamScratch) -> Result<()> {
        match block {
            Block::Router(r) => {
                self.blocks.routers.insert(b, r);
            }
            Block::Cell(cell) => {
                if self.blocks.cells.contains_key(&b) {
                    return Ok(());
                }
                let (rows, cols) = self.layout.shape();
                let space = self.layout.space();
                // A coded cell is searched by its codes; its items' vectors come with
                // their pictures.
                let vdim = space.dim(rows, cols);
                let images = if cell.pictures.is_some() {
                    0
                } else {
                    cell.len()
                };
                let mut searched = vec![0u8; images * vdim];
                for (i, out) in searched.chunks_exact_mut(vdim).enumerate() {
                    space.apply_in(
                        rows,
                        cols,
                        cell.image(i, rows * cols),
                        out,
                        0,
                        &mut scratch.workspace,
                    )?;
                }
                let s = Searchable {
                    cell,
                    searched,
                    used: self.blocks.tick,
                };
                self.blocks.bytes += size(&s);
                self.blocks.cells.insert(b, s);
            }
        }
        Ok(())
    }

    /// What `query` (an image of the layout's size) needs before [`Streamed::find`] can
    /// answer it, following `probes` centroids.
    pub fn plan(
        &mut self,
        query: &[u8],
        probes: Probes,
        scratch: &mut StreamScratch,
    ) -> Result<Plan> {
        self.blocks.tick += 1;
        self.query_vectors(query, scratch)?;
        let cells = match self.layout.top() {
            Top::Coded(centroids) => self.coded_cells(centroids, probes, scratch),
            Top::Routed(top) => match self.routed_cells(top, probes, scratch) {
                ControlFlow::Continue(cells) => cells,
                ControlFlow::Break(fetch) => return Ok(fetch),
            },
            Top::Table { .. } => {
                return Err(Error::Unsupported {
                    what: format!("{} is a table, not a searchable layout", self.layout.name()),
                });
            }
        };
        scratch.chosen = self.within(cells, probes.cell_bytes);
        for &c in &scratch.chosen {
            self.blocks.touch(c);
        }
        if let Some(fetch) = self.fetch_missing(&scratch.chosen) {
            return Ok(fetch);
        }
        if self.layout.codes().is_some() {
            return Ok(self.plan_pictures(probes.pictures, scratch));
        }
        Ok(Plan::Ready)
    }

    /// Makes the query's vectors in the layout's space, one per version of it, and in a
    /// coded layout their codes.
    fn query_vectors(&self, query: &[u8], scratch: &mut StreamScratch) -> Result<()> {
        let layout = &self.layout;
        let (rows, cols) = layout.shape();
        if query.len() != rows * cols {
            return Err(Error::ImageSize {
                what: format!("the query for {rows}x{cols} images"),
                expected: rows * cols,
                received: query.len(),
            });
        }
        let space = layout.space();
        scratch.variants.clear();
        for v in 0..space.query_variants() {
            let q = scratch.vectors.make(space, rows, cols, query, v)?;
            scratch.variants.extend_from_slice(q);
        }
        scratch.codes.clear();
        if let Some(codes) = layout.codes() {
            for q in scratch.variants.chunks_exact(space.dim(rows, cols)) {
                codes.encode(q, &mut scratch.code);
                scratch.codes.extend_from_slice(&scratch.code);
            }
        }
        Ok(())
    }

    /// The cells of a coded layout whose `centroids` codes are nearest the query's,
    /// nearest first.
    fn coded_cells(&self, centroids: &[u8], probes: Probes, scratch: &StreamScratch) -> Vec<u32> {
        let c = self.layout.codes().map_or(1, Codes::dim);
        let mut scored: Vec<(u32, u32)> = centroids
            .chunks_exact(c)
            .enumerate()
            .map(|(b, code)| (closest(code, &scratch.codes), b as u32))
            .collect();
        // A layout of no cells (a root may say so) has nothing to pick.
        let n = probes.cells.max(1).min(scored.len());
        if n > 0 {
            scored.select_nth_unstable(n - 1);
        }
        scored.truncate(n);
        scored.sort_unstable();
        scored.into_iter().map(|(_, b)| b).collect()
    }

    /// The cells nearest the query under the root's router `top`, nearest first; where it
    /// leads to routers, through the nearest of those, or a plan to fetch them first.
    fn routed_cells(
        &self,
        top: &Router,
        probes: Probes,
        scratch: &StreamScratch,
    ) -> ControlFlow<Plan, Vec<u32>> {
        let first = nearest(top, &scratch.variants, top.children.len());
        let routed = first
            .iter()
            .any(|&c| self.layout.blocks()[c as usize].router);
        if !routed {
            return ControlFlow::Continue(first.into_iter().take(probes.cells.max(1)).collect());
        }
        let routers: Vec<u32> = first.into_iter().take(probes.routers.max(1)).collect();
        if let Some(fetch) = self.fetch_missing(&routers) {
            return ControlFlow::Break(fetch);
        }
        let mut scored: Vec<(u32, u32)> = routers
            .iter()
            .flat_map(|b| {
                let r = &self.blocks.routers[b];
                (0..r.children.len())
                    .map(|i| (closest(r.centroid(i), &scratch.variants), r.children[i]))
            })
            .collect();
        scored.sort_unstable();
        ControlFlow::Continue(
            scored
                .into_iter()
                .map(|(_, c)| c)
                .take(probes.cells.max(1))
                .collect(),
        )
    }

    /// A plan to fetch those of `blocks` not here, if any are not.
    fn fetch_missing(&self, blocks: &[u32]) -> Option<Plan> {
        let missing: Vec<u32> = blocks
            .iter()
            .copied()
            .filter(|&b| !self.blocks.has(b))
            .collect();
        (!missing.is_empty()).then(|| Plan::Fetch(self.layout.spans(&missing)))
    }

    /// The first of `cells` (nearest first) whose bytes stay within `most`, and the
    /// nearest whatever its size.
    fn within(&self, cells: Vec<u32>, most: u64) -> Vec<u32> {
        let mut bytes = 0u64;
        let mut out = Vec::with_capacity(cells.len());
        for b in cells {
            bytes += u64::from(self.layout.blocks()[b as usize].len);
            if bytes > most && !out.is_empty() {
                break;
            }
            out.push(b);
        }
        out
    }

    /// A coded layout's last round: the items of the chosen cells nearest to the query
    /// by code, and the pictures of them not here yet.
    fn plan_pictures(&mut self, count: usize, scratch: &mut StreamScratch) -> Plan {
        // The query's codes, one per version of it, were made as it was planned.
        let c = self.layout.cell_code();
        let whole = self.layout.codes().expect("a coded layout").dim();
        let items: usize = scratch
            .chosen
            .iter()
            .map(|b| self.blocks.cells[b].cell.len())
            .sum();
        scratch.top.reset(count.clamp(1, items.max(1)));
        scratch.places.clear();
        for &b in &scratch.chosen {
            let s = &self.blocks.cells[&b];
            for (i, code) in s.cell.codes.chunks_exact(c).enumerate() {
                let d = closest_by(code, &scratch.codes, whole);
                scratch.top.push(Neighbor {
                    distance: d,
                    id: scratch.places.len() as u32,
                });
                scratch.places.push((b, i as u32));
            }
        }
        scratch.picked.clear();
        let mut missing = Vec::new();
        for n in scratch.top.as_slice() {
            let (b, i) = scratch.places[n.id as usize];
            scratch.picked.push((b, i));
            let cell = &self.blocks.cells[&b].cell;
            match self.blocks.pictures.get_mut(&(b, i)) {
                Some(p) => p.used = self.blocks.tick,
                None => {
                    let pictures = cell.pictures.as_ref().expect("a coded cell");
                    let (start, end) = pictures.range(i as usize);
                    missing.push(Place {
                        file: pictures.file,
                        start,
                        end,
                        cell: b,
                        item: i,
                    });
                }
            }
        }
        if missing.is_empty() {
            Plan::Ready
        } else {
            Plan::Fetch(picture::spans(missing))
        }
    }

    /// The `k` nearest to the query last planned, among the cells the plan picked,
    /// ordered as `ranking` says.
    pub fn find(
        &self,
        query: &[u8],
        k: usize,
        ranking: Ranking,
        scratch: &mut StreamScratch,
    ) -> Result<Vec<Found>> {
        if self.layout.codes().is_some() {
            return self.find_coded(query, k, ranking, scratch);
        }
        let (rows, cols) = self.layout.shape();
        let dim = rows * cols;
        let vdim = self.layout.space().dim(rows, cols);
        let StreamScratch {
            variants,
            chosen,
            top,
            places,
            rerank,
            ..
        } = scratch;
        places.clear();
        top.reset(ranking.candidates(k));
        let mut cells = Vec::with_capacity(chosen.len());
        for &c in chosen.iter() {
            let s = self.blocks.cells.get(&c).ok_or_else(|| Error::NotArrived {
                layout: self.layout.name().to_owned(),
                cell: c,
                item: None,
            })?;
            for (i, v) in s.searched.chunks_exact(vdim).enumerate() {
                let d = closest(v, variants);
                top.push(Neighbor {
                    distance: d,
                    id: places.len() as u32,
                });
                places.push((cells.len() as u32, i as u32));
            }
            cells.push(&s.cell);
        }
        let image = |place: u32| {
            let (c, i) = places[place as usize];
            cells[c as usize].image(i as usize, dim)
        };
        let ranked = ranked(ranking, rerank, (rows, cols), query, top, k, image)?;
        Ok(ranked
            .into_iter()
            .map(|n| {
                let (c, i) = places[n.id as usize];
                let cell = cells[c as usize];
                Found {
                    neighbor: Neighbor {
                        distance: n.distance,
                        id: cell.ids[i as usize],
                    },
                    label: cell.labels[i as usize],
                    image: cell.image(i as usize, dim).to_vec(),
                }
            })
            .collect())
    }

    /// [`Streamed::find`] in a coded layout: the candidates the plan picked by code,
    /// measured exactly on the vectors of their pictures.
    fn find_coded(
        &self,
        query: &[u8],
        k: usize,
        ranking: Ranking,
        scratch: &mut StreamScratch,
    ) -> Result<Vec<Found>> {
        let (rows, cols) = self.layout.shape();
        let StreamScratch {
            variants,
            top,
            picked,
            rerank,
            ..
        } = scratch;
        top.reset(ranking.candidates(k));
        // The candidates as (label, picture), by their place among the picked.
        let mut here: Vec<(u8, &Picture)> = Vec::with_capacity(picked.len());
        for &(b, i) in picked.iter() {
            let cell = self.blocks.cells.get(&b).map(|s| &s.cell);
            let found = cell.and_then(|cell| {
                let label = *cell.labels.get(i as usize)?;
                Some((label, self.blocks.pictures.get(&(b, i))?))
            });
            let Some(found) = found else {
                return Err(Error::NotArrived {
                    layout: self.layout.name().to_owned(),
                    cell: b,
                    item: Some(i),
                });
            };
            let d = closest(&found.1.searched, variants);
            top.push(Neighbor {
                distance: d,
                id: here.len() as u32,
            });
            here.push(found);
        }
        let image = |place: u32| here[place as usize].1.image.as_slice();
        let ranked = ranked(ranking, rerank, (rows, cols), query, top, k, image)?;
        Ok(ranked
            .into_iter()
            .map(|n| {
                let (label, p) = here[n.id as usize];
                Found {
                    neighbor: Neighbor {
                        distance: n.distance,
                        id: p.id,
                    },
                    label,
                    image: p.image.clone(),
                }
            })
            .collect())
    }

    /// Item `id` of a table layout, when its block has arrived: image and label.
    pub fn item(&self, id: u32) -> Option<(&[u8], u8)> {
        let b = self.layout.block_of(id)?;
        let s = self
            .blocks
            .cells
            .get(&b)
            .filter(|s| s.cell.pictures.is_none())?;
        let i = s.cell.ids.iter().position(|&x| x == id)?;
        let dim = self.layout.shape().0 * self.layout.shape().1;
        Some((s.cell.image(i, dim), s.cell.labels[i]))
    }

    /// The original image of item `id`, when a cell holding it is here.
    pub fn image(&self, id: u32) -> Option<&[u8]> {
        // Pictures are held by place: a few thousand at most, looked through when the
        // page asks for one image.
        if let Some(p) = self.blocks.pictures.values().find(|p| p.id == id) {
            return Some(&p.image);
        }
        let dim = self.layout.shape().0 * self.layout.shape().1;
        // A coded cell holds no images: its items' are among the pictures.
        let mut with_images = self
            .blocks
            .cells
            .values()
            .filter(|s| s.cell.pictures.is_none());
        with_images.find_map(|s| {
            let i = s.cell.ids.iter().position(|&x| x == id)?;
            Some(s.cell.image(i, dim))
        })
    }
}

/// The `k` of `top` that `ranking` puts first.
fn ranked<'a>(
    ranking: Ranking,
    rerank: &mut Rerank,
    shape: (usize, usize),
    query: &[u8],
    top: &TopK,
    k: usize,
    image: impl Fn(u32) -> &'a [u8],
) -> Result<Vec<Neighbor>> {
    Ok(match ranking {
        Ranking::Space => top.as_slice().iter().take(k).copied().collect(),
        Ranking::Distortion { model, .. } => rerank
            .run(model, shape, query, top.as_slice(), k, image)?
            .to_vec(),
    })
}

/// The distance from the nearest version of the query to `v` (a centroid or an item's
/// vector).
fn closest(v: &[u8], variants: &[u8]) -> u32 {
    closest_by(v, variants, v.len())
}

/// The same when each version of the query is `each` values long and `v` is as long
/// as their first values (a cell's codes are the first bytes of the query's).
fn closest_by(v: &[u8], variants: &[u8], each: usize) -> u32 {
    variants
        .chunks_exact(each)
        .map(|q| l2_sq(&q[..v.len()], v))
        .min()
        .unwrap_or(u32::MAX)
}

/// `router`'s children, nearest centroid first, at most `n`.
fn nearest(router: &Router, variants: &[u8], n: usize) -> Vec<u32> {
    let mut scored: Vec<(u32, u32)> = (0..router.children.len())
        .map(|i| (closest(router.centroid(i), variants), router.children[i]))
        .collect();
    scored.sort_unstable();
    scored.into_iter().take(n).map(|(_, c)| c).collect()
}
