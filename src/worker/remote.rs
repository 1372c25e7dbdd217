//! The shipped data, searched before it is here: the streamed layouts' roots first (a few
//! dozen kilobytes), then for each query the cells the router picks, fetched by range
//! requests; a test digit costs one block of the test table. Once a first result is
//! shown (or at once, when a former visit kept the files), the whole set downloads in
//! the background, is put together with the prebuilt index, and replaces this: later
//! answers are the full local search's, and the site works offline.

use ssam::gzip::MAX_BYTES;
// Relative to the worker's script, which sits beside the page (so a sub-path works).
use ssam::shipped::{INDEX, TEST_ROOT, TRAIN_ROOT};
use ssam::stream::{Found, Probes, StreamScratch};
use ssam::{Dataset, Effort, Ranking, format, verdict};

use super::messages::post;
use super::query::{blank_cost, fit};
use super::set::{Set, memory_mb};
use super::source::Source;
use super::store;
use crate::fetch::{now, pause};
use crate::protocol::{
    Answer, FromWorker, Hit, Image, Parts, Problem, Query, Request, SetInfo, Streaming, Verdict,
};

/// A set searched by parts: MNIST until the whole of it is here, or another streamed
/// set (its root's address given), which is only ever searched by parts.
pub struct Remote {
    train: Source,
    test: Source,
    pub info: SetInfo,
    opened_at: f64,
}

impl Remote {
    /// Reads the roots of the training digits (MNIST's, or `root` when given) and of the
    /// test digits.
    pub async fn open(root: Option<String>) -> Result<Remote, Problem> {
        let t0 = now();
        let root = root.unwrap_or_else(|| TRAIN_ROOT.to_owned());
        let (train, test) =
            futures::join!(Source::open(&root, true), Source::open(TEST_ROOT, false));
        let (train, test) = (train?, test?);
        let layout = train.layout();
        let probes = Probes::of(&layout);
        let (rows, cols) = layout.shape();
        let (space, deskewed, side, shift) = SetInfo::space_fields(layout.space());
        let name = if root == TRAIN_ROOT {
            "MNIST".to_owned()
        } else {
            root.rsplit('/')
                .next()
                .unwrap_or(&root)
                .trim_end_matches(".root")
                .to_owned()
        };
        let info = SetInfo {
            name,
            items: layout.len() as u32,
            rows: rows as u16,
            cols: cols as u16,
            labelled: layout.labelled(),
            space,
            deskewed,
            searched_side: side,
            shift,
            graph: true,
            default: Effort::Graph {
                ef: Effort::DEFAULT_EF,
            }
            .into(),
            ready_at: now(),
            stages: vec![("root".into(), now() - t0)],
            query_noun: "test digit".into(),
            queries: test.layout().len() as u32,
            memory_mb: memory_mb(),
            streamed: Some(Streaming {
                cells: layout.blocks().iter().filter(|b| !b.router).count() as u32,
                probes: probes.cells as u32,
                first: if root == TRAIN_ROOT {
                    Probes::FIRST.cells as u32
                } else {
                    probes.cells as u32
                },
                cell_kb: if probes.cell_bytes == u64::MAX {
                    0
                } else {
                    (probes.cell_bytes / 1000) as u32
                },
                background: root == TRAIN_ROOT,
            }),
            ..SetInfo::default()
        };
        Ok(Remote {
            train,
            test,
            info,
            opened_at: t0,
        })
    }

    /// Whether a former visit kept the whole set: then there is nothing to wait for.
    pub fn all_here(&self) -> bool {
        self.train.all_here()
    }

    /// Whether this is the site's own MNIST, which is downloaded whole in the background
    /// (with its prebuilt index); another set is only ever searched by parts.
    pub fn shipped(&self) -> bool {
        self.train.root == TRAIN_ROOT
    }

    /// Answers `req` from the cells its query needs (None: `wanted` said no more while
    /// they were fetched).
    pub async fn search(
        &self,
        req: &Request,
        wanted: &dyn Fn() -> bool,
    ) -> Result<Option<Answer>, Problem> {
        let pixels = fit(&self.info, &req.query.image)?;
        let k = (req.k as usize).clamp(1, 100);
        let mut scratch = StreamScratch::default();
        let Some((fetched, trips)) = self
            .train
            .gather(&pixels, self.probes(), &mut scratch, wanted)
            .await?
        else {
            return Ok(None);
        };
        let start = now();
        let found =
            self.train
                .streamed
                .borrow()
                .find(&pixels, k, Ranking::DEFAULT, &mut scratch)?;
        let ms = now() - start;
        let side = self.info.searched_side;
        Ok(Some(Answer {
            id: req.id,
            query: Query {
                image: self.image_of(pixels.clone()),
                source: req.query.source.clone(),
            },
            searched: Image {
                rows: side,
                cols: side,
                pixels: scratch.searched_query().to_vec(),
            },
            setting: req.setting.unwrap_or(self.info.default),
            reranked: true,
            verdict: self.verdict(&found),
            hits: self.hits(found),
            ms,
            measured: scratch.measured() as u32,
            items: self.info.items,
            exact: None,
            parts: Some(Parts {
                cells: scratch.cells() as u32,
                fetched,
                trips,
                memory_mb: memory_mb(),
            }),
            blank: blank_cost(&self.info, &pixels),
        }))
    }

    /// The cells a query searches: fewer for the visit's first query on MNIST (whose
    /// whole set follows).
    fn probes(&self) -> Probes {
        let first = self.shipped() && self.train.streamed.borrow().blocks().cells() == 0;
        if first {
            Probes::FIRST
        } else {
            Probes::of(&self.train.layout())
        }
    }

    /// `pixels` as an image of this set's size.
    fn image_of(&self, pixels: Vec<u8>) -> Image {
        Image {
            rows: self.info.rows,
            cols: self.info.cols,
            pixels,
        }
    }

    /// The labels of the nearest found, weighed, if the set has labels.
    fn verdict(&self, found: &[Found]) -> Option<Verdict> {
        let neighbors: Vec<_> = found.iter().map(|f| f.neighbor).collect();
        let label_of = |id: u32| {
            found
                .iter()
                .find(|f| f.neighbor.id == id)
                .map_or(0, |f| f.label)
        };
        self.info
            .labelled
            .then(|| verdict::verdict(&neighbors, label_of))
            .flatten()
            .map(Verdict::from)
    }

    /// The nearest found, as the page shows them.
    fn hits(&self, found: Vec<Found>) -> Vec<Hit> {
        found
            .into_iter()
            .map(|f| Hit {
                id: f.neighbor.id,
                label: self.info.labelled.then_some(f.label),
                distance: f.neighbor.distance,
                image: self.image_of(f.image),
                name: None,
            })
            .collect()
    }

    /// Lets go of the cells fetched for queries, once the whole set answers them.
    pub fn release(&self) {
        self.train.release();
    }

    /// The original image of training digit `id`, when a cell holding it is here.
    pub fn image(&self, id: u32) -> Option<Vec<u8>> {
        self.train.streamed.borrow().image(id).map(<[u8]>::to_vec)
    }

    /// Test digit `i` with its label: one block of the test table.
    pub async fn test_digit(&self, i: usize) -> Result<(usize, Vec<u8>, u8), Problem> {
        let held = |s: &Source| {
            s.streamed
                .borrow()
                .item(i as u32)
                .map(|(image, label)| (image.to_vec(), label))
        };
        if let Some((image, label)) = held(&self.test) {
            return Ok((i, image, label));
        }
        let block = self.test.streamed.borrow().layout().block_of(i as u32);
        let spans = self
            .test
            .streamed
            .borrow()
            .layout()
            .spans(&[block.unwrap_or(0)]);
        let mut scratch = StreamScratch::default();
        for s in &spans {
            let bytes = self.test.span(s).await?;
            self.test
                .streamed
                .borrow_mut()
                .receive(s, &bytes, &mut scratch)?;
        }
        let (image, label) = held(&self.test).ok_or_else(|| Problem::Worker {
            detail: format!("test digit {i} did not arrive with its block"),
        })?;
        Ok((i, image, label))
    }

    /// All 10,000 test digits (for the benchmark).
    pub async fn test_digits(&self) -> Result<Dataset, Problem> {
        self.test.everything(&|_, _| {}).await
    }

    /// The whole training set with the prebuilt index, and the test digits (for picks
    /// offline), downloaded in the background (telling the page how far it is) and kept
    /// for offline use.
    pub async fn whole(&self) -> Result<(Set, Dataset), Problem> {
        let t0 = now();
        let tell = |done, total| post(&FromWorker::Local { done, total });
        let train = self.train.everything(&tell).await?;
        let test = self.test.everything(&|_, _| {}).await?;
        let t1 = now();
        let index_bytes = store::current(INDEX, MAX_BYTES).await?;
        pause().await;
        let index = format::from_bytes(INDEX, &index_bytes, train)?;
        let t2 = now();
        // Data files of earlier builds go; this build's stay.
        let keep: Vec<String> = [&self.train, &self.test]
            .iter()
            .flat_map(|s| {
                let layout = s.layout();
                (0..layout.files().len())
                    .map(|f| s.url(f as u16))
                    .collect::<Vec<_>>()
            })
            .collect();
        store::prune(|url| {
            !url.ends_with(".cells") || keep.iter().any(|k| url.ends_with(k.as_str()))
        })
        .await;
        let info = SetInfo {
            ready_at: now(),
            stages: vec![
                (
                    "first search possible".into(),
                    self.info.ready_at - self.opened_at,
                ),
                ("whole set in the background".into(), t1 - t0),
                ("index".into(), t2 - t1),
            ],
            streamed: None,
            ..self.info.clone()
        };
        Ok((Set::new(index, info, None), test))
    }
}
