//! A streamed layout and where its files are: its root read first, then the parts a
//! query needs fetched by range requests (several to a request while the host takes
//! them), or each data file downloaded once, whole, when the host ignores ranges; files
//! a former visit kept are read from the offline copy.

use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, HashMap};
use std::rc::Rc;

use futures::FutureExt;
use futures::future::{LocalBoxFuture, Shared, join_all};

use ssam::Dataset;
use ssam::stream::ranges;
use ssam::stream::{Block, Plan, Probes, Root, Span, StreamScratch, Streamed};

use super::messages::post;
use super::store;
use crate::fetch::{self, Ranged, Several, now, pause};
use crate::protocol::{FromWorker, Problem};

/// A root is tens of kilobytes for MNIST, a few megabytes for millions of digits.
const ROOT_MOST: u64 = 64 << 20;
/// Cells kept while searching by parts: about a fifth of MNIST's, enough for the
/// queries of one visit to reuse what they fetched.
const CELLS_MOST: usize = 64 << 20;

/// A data file's URL: beside its root.
fn beside(root: &str, name: &str) -> String {
    match root.rsplit_once('/') {
        Some((folder, _)) => format!("{folder}/{name}"),
        None => name.to_owned(),
    }
}

/// A streamed layout and where its files are.
pub struct Source {
    pub root: String,
    pub streamed: RefCell<Streamed>,
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
    pub async fn open(root: &str, reports: bool) -> Result<Source, Problem> {
        let bytes = store::current(root, ROOT_MOST).await?;
        let layout = Root::from_bytes(root, &bytes)?;
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

    pub fn layout(&self) -> Root {
        self.streamed.borrow().layout().clone()
    }

    pub fn url(&self, file: u16) -> String {
        let name = self.streamed.borrow().layout().files()[usize::from(file)]
            .name
            .clone();
        beside(&self.root, &name)
    }

    /// Whether every data file is held whole.
    pub fn all_here(&self) -> bool {
        let whole = self.whole.borrow();
        let layout = self.streamed.borrow();
        (0..layout.layout().files().len()).all(|f| whole.contains_key(&self.url(f as u16)))
    }

    /// The bytes of `span`: from a file held whole, or by one range request; from the
    /// whole file, downloaded once, when the host ignores ranges.
    pub async fn span(&self, span: &Span) -> Result<Vec<u8>, Problem> {
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
    pub async fn gather(
        &self,
        query: &[u8],
        probes: Probes,
        scratch: &mut StreamScratch,
        wanted: &dyn Fn() -> bool,
    ) -> Result<Option<(u64, u32)>, Problem> {
        let (mut fetched, mut trips) = (0u64, 0u32);
        loop {
            let plan = self.streamed.borrow_mut().plan(query, probes, scratch)?;
            let Plan::Fetch(spans) = plan else {
                return Ok(Some((fetched, trips)));
            };
            trips += 1;
            let arrived = self.spans(&spans).await?;
            for (s, bytes) in spans.iter().zip(arrived) {
                fetched += bytes.len() as u64;
                self.streamed.borrow_mut().receive(s, &bytes, scratch)?;
            }
            if !wanted() {
                return Ok(None);
            }
        }
    }

    /// The whole data, each file kept for offline use, calling `tell(done, total)` in
    /// bytes as it arrives; the cells put together in id order.
    pub async fn everything(&self, tell: &dyn Fn(u64, u64)) -> Result<Dataset, Problem> {
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
                for (_, block) in layout.take(span, part)? {
                    if let Block::Cell(c) = block {
                        cells.push(c);
                    }
                }
                pause().await;
            }
        }
        layout.assemble(cells).map_err(Problem::from)
    }

    /// Lets go of the cells fetched for queries (the whole set replaced them).
    pub fn release(&self) {
        let layout = self.layout();
        *self.streamed.borrow_mut() = Streamed::new(layout, CELLS_MOST);
    }
}
