//! The shipped data, searched before it is here: the streamed layouts' roots first (a few
//! dozen kilobytes), then for each query the cells the router picks, fetched by range
//! requests; a test digit costs one block of the test table. Once a first result is
//! shown (or at once, when a former visit kept the files), the whole set downloads in
//! the background, is put together with the prebuilt index, and replaces this: later
//! answers are the full local search's, and the site works offline.

use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, HashMap};
use std::rc::Rc;

use futures::FutureExt;
use futures::future::{LocalBoxFuture, Shared, join_all};

use ssam::gzip::{Limit, MAX_BYTES};
use ssam::stream::ranges;
use ssam::stream::{Block, Plan, Probes, Root, Span, StreamScratch, Streamed};
use ssam::{Dataset, Effort, Ranking, format, verdict};

use super::{Set, post, store};
use crate::fetch::{self, Ranged, Several, now, pause};
use crate::protocol::{
    Answer, FromWorker, Hit, Image, Parts, Problem, Progress, Query, Request, SetInfo, Streaming,
    Verdict,
};

/// Where the shipped files are, relative to the worker's script, which sits beside the
/// page (so a sub-path works).
pub use ssam::shipped::{INDEX, TEST_ROOT, TRAIN_ROOT, TRUTH};

/// The exact answers file is 40 kB: a megabyte is room enough.
pub const TRUTH_LIMIT: Limit = Limit::at_most(1 << 20);
/// A root is tens of kilobytes for MNIST, a few megabytes for millions of digits.
const ROOT_MOST: u64 = 64 << 20;
/// Cells kept while searching by parts: about a fifth of MNIST's, enough for the
/// queries of one visit to reuse what they fetched.
const CELLS_MOST: usize = 64 << 20;

pub(crate) fn progress(stage: &str, file: &str, done: f64, total: Option<f64>, own: bool) {
    post(&FromWorker::Progress(Progress {
        stage: stage.into(),
        file: file.into(),
        done,
        total,
        own,
    }));
}

/// Fetches `file` within `limit`, telling the page as bytes arrive (at most every 50 ms),
/// and keeps it (inflated) for offline use; the kept copy when the network cannot be
/// reached.
pub async fn download(file: &str, limit: Limit, tell: bool) -> Result<Vec<u8>, Problem> {
    let mut last = 0.0;
    if tell {
        progress("downloading", file, 0.0, None, false);
    }
    let fetched = fetch::fetch(file, limit, |done, total| {
        if tell && now() - last > 50.0 {
            last = now();
            progress(
                "downloading",
                file,
                done as f64,
                total.map(|t| t as f64),
                false,
            );
        }
    })
    .await;
    store::kept_unless(file, fetched).await
}

fn engine(e: ssam::Error) -> Problem {
    Problem::from_engine(&e)
}

/// A data file's URL: beside its root.
fn beside(root: &str, name: &str) -> String {
    match root.rsplit_once('/') {
        Some((folder, _)) => format!("{folder}/{name}"),
        None => name.to_owned(),
    }
}

/// A streamed layout and where its files are.
struct Source {
    root: String,
    streamed: RefCell<Streamed>,
    /// Data files held whole (kept from a former visit, or downloaded), by URL.
    whole: RefCell<HashMap<String, Rc<Vec<u8>>>>,
    /// Whether the host answers several ranges in one request: not known until it is
    /// first asked, then kept for the visit.
    several: Cell<Option<bool>>,
    /// Whether the host answers a range request with its bytes, as [`Source::several`].
    /// A host that ignores ranges (python's http.server, some CDNs) gets each data file
    /// downloaded once, whole, and every part of it is read from that copy.
    ranged: Cell<Option<bool>>,
    /// Whole downloads under way, by URL: every part of a file waits on its one download.
    downloading: RefCell<HashMap<String, Downloading>>,
    /// Whether a whole download tells the page how far it is (the training digits: the
    /// test digits' file is small and comes beside them).
    reports: bool,
}

/// The bytes of `span` in its file's whole bytes `all`.
fn part(all: &[u8], span: &Span) -> Vec<u8> {
    all.get(span.start as usize..span.end as usize)
        .unwrap_or_default()
        .to_vec()
}

/// A data file being downloaded whole, awaited by every part that needs it.
type Downloading = Shared<LocalBoxFuture<'static, Result<Rc<Vec<u8>>, Problem>>>;

impl Source {
    async fn open(root: &str, reports: bool) -> Result<Source, Problem> {
        let bytes = store::current(root, ROOT_MOST).await?;
        let layout = Root::from_bytes(root, &bytes).map_err(engine)?;
        let mut whole = HashMap::new();
        for f in layout.files() {
            let url = beside(root, &f.name);
            if let Some(kept) = store::get(&url).await
                && kept.len() as u64 == f.bytes
            {
                whole.insert(url, Rc::new(kept));
            }
        }
        Ok(Source {
            root: root.to_owned(),
            streamed: RefCell::new(Streamed::new(layout, CELLS_MOST)),
            whole: RefCell::new(whole),
            several: Cell::new(None),
            ranged: Cell::new(None),
            downloading: RefCell::new(HashMap::new()),
            reports,
        })
    }

    fn layout(&self) -> Root {
        self.streamed.borrow().layout().clone()
    }

    fn url(&self, file: u16) -> String {
        let name = self.streamed.borrow().layout().files()[usize::from(file)]
            .name
            .clone();
        beside(&self.root, &name)
    }

    /// Whether every data file is held whole.
    fn all_here(&self) -> bool {
        let whole = self.whole.borrow();
        let layout = self.streamed.borrow();
        (0..layout.layout().files().len()).all(|f| whole.contains_key(&self.url(f as u16)))
    }

    /// The bytes of `span`: from a file held whole, or by one range request; from the
    /// whole file, downloaded once, when the host ignores ranges.
    async fn span(&self, span: &Span) -> Result<Vec<u8>, Problem> {
        let url = self.url(span.file);
        let held = self.whole.borrow().contains_key(&url);
        let mut answer = None;
        if !held && self.ranged.get() != Some(false) {
            match fetch::range(&url, span.start, span.end).await? {
                Ranged::Bytes(bytes) => {
                    self.ranged.set(Some(true));
                    return Ok(bytes);
                }
                Ranged::Whole(response) => answer = Some(response),
            }
        }
        let all = self.file(span.file, answer).await?;
        Ok(part(&all, span))
    }

    /// The host ignores ranges: said once, and every later part is read from the file
    /// downloaded whole.
    fn unranged(&self) {
        if self.ranged.replace(Some(false)) != Some(false) {
            post(&FromWorker::NoRanges);
        }
    }

    /// Data file `file` whole: held already, or downloaded once however many ask for it
    /// meanwhile (reading `answer`, the host's whole-file answer to a range request, when
    /// one came), and kept for offline use.
    async fn file(
        &self,
        file: u16,
        answer: Option<gloo_net::http::Response>,
    ) -> Result<Rc<Vec<u8>>, Problem> {
        if answer.is_some() {
            self.unranged();
        }
        let url = self.url(file);
        if let Some(held) = self.whole.borrow().get(&url).cloned() {
            if let Some(a) = &answer {
                fetch::cancel(a);
            }
            return Ok(held);
        }
        let bytes = self.streamed.borrow().layout().files()[usize::from(file)].bytes;
        let reports = self.reports;
        let mut answer = answer;
        let download = self
            .downloading
            .borrow_mut()
            .entry(url.clone())
            .or_insert_with(|| {
                let url = url.clone();
                let answer = answer.take();
                async move {
                    let mut last = 0.0;
                    let progress = |done, _| {
                        if reports && now() - last > 100.0 {
                            last = now();
                            post(&FromWorker::Local { done, total: bytes });
                        }
                    };
                    let got = match answer {
                        Some(a) => {
                            let got = fetch::whole_body(&url, a, bytes, progress).await?;
                            store::put(&url, &got).await;
                            got
                        }
                        None => store::immutable(&url, bytes, progress).await?,
                    };
                    if reports {
                        post(&FromWorker::Local {
                            done: bytes,
                            total: bytes,
                        });
                    }
                    Ok(Rc::new(got))
                }
                .boxed_local()
                .shared()
            })
            .clone();
        // Another part's download is under way: this answer is not needed.
        if let Some(a) = &answer {
            fetch::cancel(a);
        }
        let got = download.await;
        // A failed download may be tried again by the next part that needs the file.
        self.downloading.borrow_mut().remove(&url);
        let got = got?;
        self.whole.borrow_mut().insert(url, got.clone());
        Ok(got)
    }

    /// The bytes of `spans`, in their order, all side by side: a round trip for all of
    /// them. The spans of one file go in one request while the host answers several
    /// ranges at once, which costs a browser one request to send instead of dozens and,
    /// over HTTP/1.1, one connection instead of a round trip per six.
    async fn spans(&self, spans: &[Span]) -> Result<Vec<Vec<u8>>, Problem> {
        let mut by_file: BTreeMap<u16, Vec<usize>> = BTreeMap::new();
        for (i, s) in spans.iter().enumerate() {
            by_file.entry(s.file).or_default().push(i);
        }
        let requests: Vec<&[usize]> = by_file
            .values()
            .flat_map(|which| which.chunks(ranges::MAX_PER_REQUEST))
            .collect();
        let arrived = join_all(requests.iter().map(|which| self.several(which, spans))).await;
        let mut out = vec![Vec::new(); spans.len()];
        for (which, bytes) in requests.into_iter().zip(arrived) {
            for (&i, b) in which.iter().zip(bytes?) {
                out[i] = b;
            }
        }
        Ok(out)
    }

    /// Spans `which` of one file: by one request for all, or one each when there is one,
    /// the file is held whole, or the host does not take several ranges (asked again
    /// one by one the first time it shows it).
    async fn several(&self, which: &[usize], spans: &[Span]) -> Result<Vec<Vec<u8>>, Problem> {
        let one_each = || join_all(which.iter().map(|&i| self.span(&spans[i])));
        let url = self.url(spans[which[0]].file);
        if which.len() == 1
            || self.several.get() == Some(false)
            || self.ranged.get() == Some(false)
            || self.whole.borrow().contains_key(&url)
        {
            return one_each().await.into_iter().collect();
        }
        let wanted: Vec<(u64, u64)> = which
            .iter()
            .map(|&i| (spans[i].start, spans[i].end))
            .collect();
        match fetch::ranges(&url, &wanted).await? {
            Several::Parts(parts) => {
                self.several.set(Some(true));
                Ok(parts)
            }
            Several::OneByOne => {
                self.several.set(Some(false));
                // The first alone: a host that ignores ranges altogether is then known
                // before the rest are asked, and the file comes once, whole.
                let first = self.span(&spans[which[0]]).await?;
                let rest = join_all(which[1..].iter().map(|&i| self.span(&spans[i]))).await;
                std::iter::once(Ok(first)).chain(rest).collect()
            }
        }
    }

    /// Fetches what `plan` asks for until `query` is ready; bytes fetched and round
    /// trips. Stops early (None) when `wanted` says the answer is not wanted any more.
    async fn gather(
        &self,
        query: &[u8],
        probes: Probes,
        scratch: &mut StreamScratch,
        wanted: &dyn Fn() -> bool,
    ) -> Result<Option<(u64, u32)>, Problem> {
        let (mut fetched, mut trips) = (0u64, 0u32);
        loop {
            let plan = self
                .streamed
                .borrow_mut()
                .plan(query, probes, scratch)
                .map_err(engine)?;
            let Plan::Fetch(spans) = plan else {
                return Ok(Some((fetched, trips)));
            };
            trips += 1;
            let arrived = self.spans(&spans).await?;
            for (s, bytes) in spans.iter().zip(arrived) {
                fetched += bytes.len() as u64;
                self.streamed
                    .borrow_mut()
                    .receive(s, &bytes, scratch)
                    .map_err(engine)?;
            }
            if !wanted() {
                return Ok(None);
            }
        }
    }

    /// The whole data, each file kept for offline use, calling `tell(done, total)` in
    /// bytes as it arrives; the cells put together in id order.
    async fn everything(&self, tell: &dyn Fn(u64, u64)) -> Result<Dataset, Problem> {
        let layout = self.layout();
        let total: u64 = layout.files().iter().map(|f| f.bytes).sum();
        let mut done = 0u64;
        let mut cells = Vec::new();
        let spans = layout.whole();
        for (f, file) in layout.files().iter().enumerate() {
            let bytes = self.file(f as u16, None).await?;
            done += file.bytes;
            tell(done, total);
            for span in spans.iter().filter(|s| usize::from(s.file) == f) {
                let part = bytes
                    .get(span.start as usize..span.end as usize)
                    .unwrap_or_default();
                for (_, block) in layout.take(span, part).map_err(engine)? {
                    if let Block::Cell(c) = block {
                        cells.push(c);
                    }
                }
                pause().await;
            }
        }
        layout.assemble(cells).map_err(engine)
    }

    /// Lets go of the cells fetched for queries (the whole set replaced them).
    fn release(&self) {
        let layout = self.layout();
        *self.streamed.borrow_mut() = Streamed::new(layout, CELLS_MOST);
    }
}

/// A set searched by parts: MNIST until the whole of it is here, or another streamed
/// set (its root's address given), which is only ever searched by parts.
pub(crate) struct Remote {
    train: Source,
    test: Source,
    pub(crate) info: SetInfo,
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
            memory_mb: super::memory_mb(),
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

    /// Answers `req` from the cells its query needs (None: a newer query replaced it
    /// meanwhile).
    pub async fn search(
        &self,
        req: &Request,
        wanted: &dyn Fn() -> bool,
    ) -> Result<Option<Answer>, Problem> {
        let (rows, cols) = (usize::from(self.info.rows), usize::from(self.info.cols));
        let pixels = super::fit(&self.info, &req.query.image).map_err(engine)?;
        let k = (req.k as usize).clamp(1, 100);
        let mut scratch = StreamScratch::default();
        // The visit's first query, on MNIST (whose whole set follows): fewer cells.
        let first = self.shipped() && self.train.streamed.borrow().blocks().cells() == 0;
        let probes = if first {
            Probes::FIRST
        } else {
            Probes::of(&self.train.layout())
        };
        let Some((fetched, trips)) = self
            .train
            .gather(&pixels, probes, &mut scratch, wanted)
            .await?
        else {
            return Ok(None);
        };
        let start = now();
        let found = self
            .train
            .streamed
            .borrow()
            .find(&pixels, k, Ranking::DEFAULT, &mut scratch)
            .map_err(engine)?;
        let ms = now() - start;
        let neighbors: Vec<_> = found.iter().map(|f| f.neighbor).collect();
        let label_of = |id: u32| {
            found
                .iter()
                .find(|f| f.neighbor.id == id)
                .map_or(0, |f| f.label)
        };
        let verdict = self
            .info
            .labelled
            .then(|| verdict::verdict(&neighbors, label_of))
            .flatten()
            .map(Verdict::from);
        let side = self.info.searched_side;
        Ok(Some(Answer {
            id: req.id,
            query: Query {
                image: Image {
                    rows: rows as u16,
                    cols: cols as u16,
                    pixels: pixels.clone(),
                },
                source: req.query.source.clone(),
            },
            searched: Image {
                rows: side,
                cols: side,
                pixels: scratch.searched_query().to_vec(),
            },
            setting: req.setting.unwrap_or(self.info.default),
            reranked: true,
            hits: found
                .into_iter()
                .map(|f| Hit {
                    id: f.neighbor.id,
                    label: self.info.labelled.then_some(f.label),
                    distance: f.neighbor.distance,
                    image: Image {
                        rows: rows as u16,
                        cols: cols as u16,
                        pixels: f.image,
                    },
                    name: None,
                })
                .collect(),
            verdict,
            ms,
            measured: scratch.measured() as u32,
            items: self.info.items,
            exact: None,
            parts: Some(Parts {
                cells: scratch.cells() as u32,
                fetched,
                trips,
                memory_mb: super::memory_mb(),
            }),
            blank: super::blank_cost(&self.info, &pixels),
        }))
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
                .receive(s, &bytes, &mut scratch)
                .map_err(engine)?;
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
        let index = format::from_bytes(INDEX, &index_bytes, train).map_err(engine)?;
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
