//! The page's side of the engine's worker: starts it, sends requests, turns its messages
//! into signals the views read. Searches are coalesced: one in flight, and only the
//! latest of those asked meanwhile follows it, so drawing never queues up work.

use js_sys::{Array, Uint8Array};
use leptos::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{ErrorEvent, File, MessageEvent, Worker};

use super::bench::{self, Bench};
use crate::protocol::{
    self, Answer, FromWorker, Image, Images, LayoutProgress, MapFile, Problem, Progress, Query,
    Request, SetInfo, Setting, Task, ToWorker, Why,
};

/// The worker's loader, written by Trunk beside the page (worker files keep their names).
const WORKER: &str = "./ssam-worker_loader.js";
/// The service worker, copied to the site's root by Trunk.
const SERVICE_WORKER: &str = "./sw.js";
/// How long the worker may take to start before the page says it did not.
const START_MS: i32 = 60_000;
/// Files handed to the worker in one message, at most: each costs the page's thread
/// about 0.15 ms to clone, so a batch stays well under a 50 ms task.
const HANDOVER_BATCH: usize = 50;
/// Workers started again after one stopped, at most: a fault that stops every worker
/// (not a user's file) must end in the error panel, not in a loop.
const RESTARTS: u32 = 3;

/// An own set's map as the page knows it: laid out only when the user asks.
#[derive(Debug, Clone, Default, PartialEq)]
pub enum OwnMap {
    /// Not asked for this set.
    #[default]
    None,
    Running(LayoutProgress),
    /// Cancel was pressed; the worker has not said it stopped yet.
    Cancelling,
    Cancelled,
    Failed(Problem),
    /// Laid out in `ms` milliseconds.
    Done {
        map: MapFile,
        ms: f64,
    },
}

/// Handles to the worker and what it said; cheap to copy into every view.
#[derive(Clone, Copy)]
pub struct Client {
    worker: StoredValue<Option<Worker>, LocalStorage>,
    /// Which worker is current: messages and errors of a stopped one are ignored.
    generation: StoredValue<u32>,
    /// The own set's files being handed over or indexed, if any: a worker that stops
    /// meanwhile stopped on them.
    own_busy: StoredValue<Option<String>>,
    /// Own sets handed over, counted: a newer one (or going back to MNIST) stops the
    /// handing over of an older one.
    own_run: StoredValue<u32>,
    /// Messages asked before the worker listens (it says when it does).
    outbox: StoredValue<Vec<JsValue>, LocalStorage>,
    started: StoredValue<bool>,
    in_flight: StoredValue<bool>,
    queued: StoredValue<Option<Request>>,
    next_id: StoredValue<u32>,
    /// The last search asked before the query was cleared: its answer, still on its way,
    /// is not shown.
    cleared: StoredValue<u32>,
    on_pick: StoredValue<Option<Callback<Query>>>,
    /// A pick is on its way: taps meanwhile do not each cost a fetch. Only the latest
    /// of them follows it (a random one is already answered by the pick on its way).
    picking: StoredValue<bool>,
    next_pick: StoredValue<Option<Option<u32>>>,
    /// A random pick's answer has not shown yet: tapping Random again until it does asks
    /// for nothing new (an impatient visitor's taps each cost a digit and its cells).
    awaiting_random: StoredValue<bool>,
    /// The set searched, once ready.
    pub set: RwSignal<Option<SetInfo>>,
    /// The first load's progress.
    pub progress: RwSignal<Option<Progress>>,
    /// MNIST's whole set downloading in the background while it is searched by parts:
    /// bytes done of all.
    pub local: RwSignal<Option<(u64, u64)>>,
    /// The host ignores byte ranges: MNIST comes whole before its first answer.
    pub no_ranges: RwSignal<bool>,
    /// What stopped the first load or the worker: the page shows the error panel.
    pub failure: RwSignal<Option<Problem>>,
    pub answer: RwSignal<Option<Answer>>,
    /// Why the selected hit is similar, once the worker says.
    pub why: RwSignal<Option<Why>>,
    /// What went wrong with a search or a pick (shown beside the query).
    pub problem: RwSignal<Option<Problem>>,
    pub own_progress: RwSignal<Option<Progress>>,
    pub own_problem: RwSignal<Option<Problem>>,
    pub bench: RwSignal<Bench>,
    /// The set's map once fetched, or why there is none; the latest images it asked for.
    pub map: RwSignal<Option<Result<MapFile, Problem>>>,
    pub map_images: RwSignal<Option<Images>>,
    /// The own set's map, when one is asked for.
    pub own_map: RwSignal<OwnMap>,
}

impl Client {
    /// Starts the worker; `on_pick` receives the query images the worker picks.
    pub fn start(on_pick: Callback<Query>) -> Client {
        let client = Client {
            worker: StoredValue::new_local(None),
            generation: StoredValue::new(0),
            own_busy: StoredValue::new(None),
            own_run: StoredValue::new(0),
            outbox: StoredValue::new_local(Vec::new()),
            started: StoredValue::new(false),
            in_flight: StoredValue::new(false),
            queued: StoredValue::new(None),
            next_id: StoredValue::new(0),
            cleared: StoredValue::new(0),
            on_pick: StoredValue::new(Some(on_pick)),
            picking: StoredValue::new(false),
            next_pick: StoredValue::new(None),
            awaiting_random: StoredValue::new(false),
            set: RwSignal::new(None),
            progress: RwSignal::new(None),
            local: RwSignal::new(None),
            no_ranges: RwSignal::new(false),
            failure: RwSignal::new(None),
            answer: RwSignal::new(None),
            why: RwSignal::new(None),
            problem: RwSignal::new(None),
            own_progress: RwSignal::new(None),
            own_problem: RwSignal::new(None),
            bench: RwSignal::new(Bench::default()),
            map: RwSignal::new(None),
            map_images: RwSignal::new(None),
            own_map: RwSignal::new(OwnMap::None),
        };
        client.spawn();
        client
    }

    /// Starts a worker (the first, or one after another stopped).
    fn spawn(self) {
        let client = self;
        let generation = self.generation.try_update_value(|g| {
            *g += 1;
            *g
        });
        let current = move || client.generation.get_value() == generation.unwrap_or(0);
        self.started.set_value(false);
        // The first worker was started by index.html, beside the page's WebAssembly.
        let (worker, said) = match adopt() {
            Some(early) => early,
            None => match Worker::new(&worker_url()) {
                Ok(w) => (w, Array::new()),
                Err(e) => {
                    client.die(format!(
                        "it could not be created ({})",
                        crate::fetch::js_error(&e)
                    ));
                    return;
                }
            },
        };
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |ev: MessageEvent| {
            if !current() {
                return;
            }
            match ev.data().dyn_ref::<Uint8Array>() {
                Some(bytes) => match protocol::decode::<FromWorker>(&bytes.to_vec()) {
                    Ok(m) => client.receive(m),
                    Err(p) => client.fail(Task::Worker, p),
                },
                None => client.die("it sent a message that is not bytes".into()),
            }
        });
        let on_error = Closure::<dyn FnMut(ErrorEvent)>::new(move |ev: ErrorEvent| {
            ev.prevent_default();
            if !current() {
                return;
            }
            let what = ev.message();
            let what = if what.is_empty() {
                "it could not be loaded or stopped with an error".into()
            } else {
                what
            };
            // A worker that was running stopped (a trap, memory ran out): start another.
            if client.started.get_value() {
                client.restart(what);
            } else {
                client.die(what);
            }
        });
        let on_message_error = Closure::<dyn FnMut(MessageEvent)>::new(move |_| {
            if current() {
                client.die("a message from it could not be read".into())
            }
        });
        worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        worker.set_onmessageerror(Some(on_message_error.as_ref().unchecked_ref()));
        // What the early worker said before the page listened, in order; anything later
        // comes to the handlers just set.
        for event in said.iter() {
            let handler: &js_sys::Function = if event.is_instance_of::<ErrorEvent>() {
                on_error.as_ref().unchecked_ref()
            } else if event.unchecked_ref::<MessageEvent>().type_() == "messageerror" {
                on_message_error.as_ref().unchecked_ref()
            } else {
                on_message.as_ref().unchecked_ref()
            };
            let _ = handler.call1(&JsValue::NULL, &event);
        }
        // The worker lives as long as the page: so do its handlers.
        on_message.forget();
        on_error.forget();
        on_message_error.forget();
        client.worker.set_value(Some(worker));
        let check = Closure::once_into_js(move || {
            if current() && !client.started.get_value() && client.failure.get_untracked().is_none()
            {
                client.die(format!("it did not start within {} s", START_MS / 1000));
            }
        });
        if let Some(w) = web_sys::window() {
            let _ = w.set_timeout_with_callback_and_timeout_and_arguments_0(
                check.unchecked_ref(),
                START_MS,
            );
        }
    }

    fn die(self, detail: String) {
        self.fail(Task::Worker, Problem::Worker { detail });
    }

    /// The worker stopped while running: a new one takes its place and loads MNIST again
    /// (the set it can keep). When it stopped on the user's own files, the own-set panel
    /// says so, naming them; the page's engine stays usable either way.
    fn restart(self, detail: String) {
        if self.generation.get_value() > RESTARTS {
            return self.die(detail);
        }
        self.worker.with_value(|w| {
            if let Some(w) = w {
                w.terminate();
            }
        });
        let file = self.own_busy.try_update_value(Option::take).flatten();
        let stopped = Problem::Stopped {
            file: file.clone(),
            detail,
        };
        self.own_progress.set(None);
        if file.is_some() {
            self.own_problem.set(Some(stopped));
        } else {
            self.problem.set(Some(stopped));
        }
        self.in_flight.set_value(false);
        self.picking.set_value(false);
        self.next_pick.set_value(None);
        self.awaiting_random.set_value(false);
        self.bench.set(Bench::default());
        self.outbox.set_value(Vec::new());
        self.set.set(None);
        self.own_map.set(OwnMap::None);
        self.spawn();
    }

    fn post(self, message: &ToWorker, files: &[JsValue]) {
        let parts = Array::new();
        parts.push(&Uint8Array::from(protocol::encode(message).as_slice()));
        for f in files {
            parts.push(f);
        }
        if !self.started.get_value() {
            self.outbox.update_value(|o| o.push(parts.into()));
            return;
        }
        self.worker.with_value(|w| {
            if let Some(w) = w
                && let Err(e) = w.post_message(&parts)
            {
                self.die(format!(
                    "a message could not be sent ({})",
                    crate::fetch::js_error(&e)
                ));
            }
        });
    }

    fn receive(self, message: FromWorker) {
        match message {
            FromWorker::Started => {
                self.started.set_value(true);
                let waiting = self
                    .outbox
                    .try_update_value(std::mem::take)
                    .unwrap_or_default();
                self.worker.with_value(|w| {
                    if let Some(w) = w {
                        for m in waiting {
                            let _ = w.post_message(&m);
                        }
                    }
                });
            }
            // A cancelled build may still report until its next pause: not shown.
            FromWorker::Progress(p) if p.own => {
                if self.own_busy.with_value(Option::is_some) {
                    self.own_progress.set(Some(p));
                }
            }
            FromWorker::Progress(p) => self.progress.set(Some(p)),
            FromWorker::Ready(mut info) => {
                // The worker's clock starts with the worker; the page's with navigation.
                info.ready_at = crate::fetch::now();
                if info.own {
                    self.own_progress.set(None);
                    self.own_problem.set(None);
                    self.own_busy.set_value(None);
                }
                self.bench.set(Bench::default());
                // Another set: the worker dropped the layout of the one before.
                self.own_map.set(OwnMap::None);
                if info.streamed.is_none() && !info.own {
                    self.local.set(None);
                }
                self.set.set(Some(info));
            }
            // An answer to a query cleared meanwhile is not shown.
            FromWorker::Answer(a) if a.id <= self.cleared.get_value() => {
                self.awaiting_random.set_value(false);
                self.next()
            }
            FromWorker::Answer(a) => {
                // The offline copy of the page starts once a first result is shown, so
                // that its downloads never compete with the first search: after the
                // frame that paints it (registering costs the page a few milliseconds).
                let first = self.answer.with_untracked(Option::is_none);
                self.awaiting_random.set_value(false);
                self.problem.set(None);
                self.answer.set(Some(a));
                if first {
                    request_animation_frame(|| {
                        set_timeout(register_service_worker, std::time::Duration::ZERO);
                    });
                }
                self.next();
            }
            FromWorker::Picked(q) => {
                // A newer pick waits: this one is not what the person asked for last.
                if self.picked() {
                    return;
                }
                self.problem.set(None);
                if let Some(cb) = self.on_pick.get_value() {
                    cb.run(q);
                }
            }
            FromWorker::Why(w) => self.why.set(Some(w)),
            FromWorker::BenchStatus { setting, done, of } => {
                self.bench.update(|b| b.progress(setting, done, of))
            }
            FromWorker::BenchRow(r) => self.bench.update(|b| b.rows.push(r)),
            FromWorker::BenchDone { queries, memory_mb } => self
                .bench
                .update(|b| b.end(bench::State::Done { queries, memory_mb })),
            FromWorker::BenchStopped { setting, done, of } => self
                .bench
                .update(|b| b.end(bench::State::Stopped { setting, done, of })),
            FromWorker::Saved { name, bytes } => download(&name, &bytes),
            FromWorker::Failed { during, problem } => self.fail(during, problem),
            FromWorker::Map(m) => self.map.set(Some(Ok(m))),
            FromWorker::Images(i) => self.map_images.set(Some(i)),
            FromWorker::Local { done, total } => self.local.set(Some((done, total))),
            FromWorker::NoRanges => self.no_ranges.set(true),
            // Progress that crossed a Cancel on its way is not shown.
            FromWorker::Layout(p) => {
                if matches!(self.own_map.get_untracked(), OwnMap::Running(_)) {
                    self.own_map.set(OwnMap::Running(p));
                }
            }
            FromWorker::LaidOut { map, ms } => self.own_map.set(OwnMap::Done { map, ms }),
            // A layout that ended just before the Cancel reached the worker is shown.
            FromWorker::LayoutCancelled => {
                if self.own_map.get_untracked() == OwnMap::Cancelling {
                    self.own_map.set(OwnMap::Cancelled);
                }
            }
        }
    }

    /// Puts a problem where the page shows it for what was being done.
    fn fail(self, during: Task, problem: Problem) {
        if let Problem::Stopped { detail, .. } = problem {
            return self.restart(detail);
        }
        match during {
            Task::Load | Task::Worker => {
                self.own_progress.set(None);
                self.bench.update(|b| b.running = false);
                self.failure.set(Some(problem));
            }
            Task::Search => {
                self.awaiting_random.set_value(false);
                self.problem.set(Some(problem));
                self.next();
            }
            Task::Pick => {
                self.awaiting_random.set_value(false);
                if !self.picked() {
                    self.problem.set(Some(problem));
                }
            }
            Task::Save | Task::Explain => self.problem.set(Some(problem)),
            Task::Bench => self.bench.update(|b| {
                b.running = false;
                b.problem = Some(problem);
            }),
            Task::OwnSet => {
                self.own_busy.set_value(None);
                self.own_progress.set(None);
                self.own_problem.set(Some(problem));
            }
            Task::Map => self.map.set(Some(Err(problem))),
            Task::Layout => self.own_map.set(OwnMap::Failed(problem)),
        }
    }

    /// Sends the search that waited, if any.
    fn next(self) {
        self.in_flight.set_value(false);
        if let Some(req) = self.queued.try_update_value(Option::take).flatten() {
            self.send_search(req);
        }
    }

    fn send_search(self, req: Request) {
        self.in_flight.set_value(true);
        self.post(&ToWorker::Search(req), &[]);
    }

    /// Asks why hit `id` is similar to `query`; the answer arrives in [`Client::why`].
    pub fn explain(self, query: Image, id: u32) {
        self.why.set(None);
        self.post(&ToWorker::Explain { query, id }, &[]);
    }

    /// Searches for `query`; answers arrive in [`Client::answer`].
    pub fn search(self, query: Query, k: usize, setting: Option<Setting>, exact: bool) {
        let id = self.next_id.try_update_value(|n| {
            *n += 1;
            *n
        });
        let req = Request {
            id: id.unwrap_or(0),
            query,
            k: k as u32,
            setting,
            exact,
        };
        if self.in_flight.get_value() {
            self.queued.set_value(Some(req));
        } else {
            self.send_search(req);
        }
    }

    /// Forgets the shown answer (the pad was cleared).
    pub fn clear(self) {
        self.cleared.set_value(self.next_id.get_value());
        self.queued.set_value(None);
        self.answer.set(None);
        self.problem.set(None);
    }

    /// Hands a picture to the worker, which prepares it and answers as a pick does.
    pub fn picture(self, file: File) {
        self.post(&ToWorker::Picture { name: file.name() }, &[file.into()]);
    }

    /// Asks the worker for item `which` of the set's queries, or one at random. While a
    /// pick is on its way, a random one asked again is that one; any other waits, and
    /// only the latest of those is sent when the one on its way is in.
    pub fn pick(self, which: Option<u32>) {
        if which.is_none() && self.awaiting_random.get_value() && !self.picking.get_value() {
            return;
        }
        if self.picking.get_value() {
            if which.is_some() || self.next_pick.with_value(Option::is_some) {
                self.next_pick.set_value(Some(which));
            }
            return;
        }
        self.picking.set_value(true);
        self.awaiting_random.set_value(which.is_none());
        self.post(&ToWorker::Pick { which }, &[]);
    }

    /// A pick came back: sends the one that waited, if any (then true: what came back is
    /// superseded).
    fn picked(self) -> bool {
        self.picking.set_value(false);
        match self.next_pick.try_update_value(Option::take).flatten() {
            Some(which) => {
                self.pick(which);
                true
            }
            None => false,
        }
    }

    pub fn run_bench(self, queries: u32) {
        self.bench.set(Bench::started());
        self.post(&ToWorker::Bench { queries }, &[]);
    }

    /// Stops the benchmark under way; the rows it measured stay.
    pub fn stop_bench(self) {
        self.bench.update(Bench::stopping);
        self.post(&ToWorker::StopBench, &[]);
    }

    /// Hands files to the worker (it reads them itself: the page never holds their bytes).
    pub fn own_files(self, files: Vec<File>) {
        let names = files.iter().map(File::name).collect();
        self.own(ToWorker::OwnFiles { names }, files);
    }

    /// Hands a folder's files (from the folder picker) to the worker, with their paths
    /// inside the folder.
    pub fn own_folder(self, files: Vec<File>) {
        let paths = files
            .iter()
            .map(|f| {
                js_sys::Reflect::get(f, &"webkitRelativePath".into())
                    .ok()
                    .and_then(|p| p.as_string())
                    .filter(|p| !p.is_empty())
                    .unwrap_or_else(|| f.name())
            })
            .collect();
        self.own(ToWorker::OwnFolder { paths }, files);
    }

    /// Hands a dropped folder's files to the worker: paths "folder/sub/file.png".
    pub fn own_tree(self, files: Vec<(String, File)>) {
        let (paths, files) = files.into_iter().unzip();
        self.own(ToWorker::OwnFolder { paths }, files);
    }

    fn own(self, message: ToWorker, files: Vec<File>) {
        let names = match &message {
            ToWorker::OwnFiles { names } => names.join(", "),
            ToWorker::OwnFolder { paths } => paths
                .first()
                .and_then(|p| p.split('/').next())
                .unwrap_or("the folder")
                .to_owned(),
            _ => String::new(),
        };
        self.own_busy.set_value(Some(names));
        self.own_problem.set(None);
        self.own_progress.set(Some(Progress {
            stage: "handing over".into(),
            file: String::new(),
            done: 0.0,
            total: None,
            own: true,
        }));
        self.own_run.update_value(|r| *r += 1);
        let run = self.own_run.get_value();
        // A batch a task, the last one with the message that names them all.
        let mut ahead: Vec<JsValue> = files.into_iter().map(JsValue::from).collect();
        let with = ahead.split_off(ahead.len().saturating_sub(HANDOVER_BATCH));
        // Each in a task of its own, none in the task that listed the files.
        leptos::task::spawn_local(async move {
            for batch in ahead.chunks(HANDOVER_BATCH) {
                crate::fetch::pause().await;
                if self.own_run.get_value() != run {
                    return;
                }
                self.post(&ToWorker::OwnAhead, batch);
            }
            crate::fetch::pause().await;
            if self.own_run.get_value() == run {
                self.post(&message, &with);
            }
        });
    }

    pub fn save(self) {
        self.post(&ToWorker::Save, &[]);
    }

    /// Back to MNIST; an own set being indexed is dropped.
    pub fn use_shipped(self) {
        self.own_run.update_value(|r| *r += 1);
        self.own_busy.set_value(None);
        self.own_progress.set(None);
        self.post(&ToWorker::UseShipped, &[]);
    }

    /// Asks for the current set's map; it arrives in [`Client::map`].
    pub fn fetch_map(self) {
        self.post(&ToWorker::Map, &[]);
    }

    /// Lays out a map of the own set searched now; it arrives in [`Client::own_map`].
    pub fn lay_out(self) {
        self.own_map
            .set(OwnMap::Running(LayoutProgress::Neighbours {
                done: 0,
                of: 0,
            }));
        self.post(&ToWorker::LayOut, &[]);
    }

    /// Stops the own set's layout under way.
    pub fn cancel_layout(self) {
        self.own_map.set(OwnMap::Cancelling);
        self.post(&ToWorker::CancelLayout, &[]);
    }

    /// Asks for training images by id; they arrive in [`Client::map_images`].
    pub fn images(self, ids: Vec<u32>) {
        self.post(&ToWorker::Images { ids }, &[]);
    }

    /// Whether an own set is being handed over or indexed now.
    pub fn own_busy(self) -> Signal<bool> {
        let progress = self.own_progress;
        Signal::derive(move || progress.with(Option::is_some))
    }
}

/// Offers `bytes` as a download named `name`: nothing leaves the browser.
fn download(name: &str, bytes: &[u8]) {
    let parts = Array::of1(&Uint8Array::from(bytes));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type("application/octet-stream");
    let Ok(blob) = web_sys::Blob::new_with_u8_array_sequence_and_options(&parts, &options) else {
        return;
    };
    let Ok(url) = web_sys::Url::create_object_url_with_blob(&blob) else {
        return;
    };
    if let Some(a) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.create_element("a").ok())
        .and_then(|a| a.dyn_into::<web_sys::HtmlAnchorElement>().ok())
    {
        a.set_href(&url);
        a.set_download(name);
        a.click();
    }
    let _ = web_sys::Url::revoke_object_url(&url);
}

/// The worker index.html started before the page's WebAssembly arrived, with the events
/// it sent meanwhile; taken once (a worker started again is the page's own).
fn adopt() -> Option<(Worker, Array)> {
    let window = web_sys::window()?;
    let key = JsValue::from_str("ssamWorker");
    let early = js_sys::Reflect::get(&window, &key)
        .ok()
        .filter(JsValue::is_object)?;
    let _ = js_sys::Reflect::delete_property(window.unchecked_ref::<js_sys::Object>(), &key);
    let worker = js_sys::Reflect::get(&early, &JsValue::from_str("worker"))
        .ok()?
        .dyn_into::<Worker>()
        .ok()?;
    let said = js_sys::Reflect::get(&early, &JsValue::from_str("said"))
        .ok()?
        .dyn_into::<Array>()
        .ok()?;
    Some((worker, said))
}

/// The engine worker's script, told which set to search when the page's address names
/// one (`?set=URL` of a streamed layout's root, e.g. a million digits built by `ssam
/// stream`); MNIST otherwise.
fn worker_url() -> String {
    let set = web_sys::window()
        .and_then(|w| w.location().search().ok())
        .and_then(|q| web_sys::UrlSearchParams::new_with_str(&q).ok())
        .and_then(|p| p.get("set"))
        .filter(|s| !s.is_empty());
    match set {
        Some(root) => {
            let query = web_sys::UrlSearchParams::new().expect("an empty query");
            query.set("root", &root);
            format!("{WORKER}?{}", String::from(query.to_string()))
        }
        None => WORKER.to_owned(),
    }
}

/// Caches the site for offline use, once the first search is possible (so the cache's
/// downloads never compete with the first load).
fn register_service_worker() {
    if let Some(w) = web_sys::window() {
        let container = w.navigator().service_worker();
        let _ = container.register(SERVICE_WORKER);
    }
}
