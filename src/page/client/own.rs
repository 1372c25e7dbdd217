//! The user's own image sets as the page hands them over: files in batches, each in a
//! task of its own, a newer set (or going back to MNIST) stopping an older one's hand
//! over; how the worker's indexing goes; and the index saved as a download.

use js_sys::{Array, Uint8Array};
use leptos::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::File;

use super::link::Link;
use crate::fetch::pause;
use crate::protocol::{Problem, Progress, ToWorker};
use crate::runs::Runs;

/// Files handed to the worker in one message, at most: each costs the page's thread
/// about 0.15 ms to clone, so a batch stays well under a 50 ms task.
const HANDOVER_BATCH: usize = 50;

/// Hands own sets to the worker; holds how their indexing goes.
#[derive(Clone, Copy)]
pub struct OwnSets {
    link: Link,
    /// The own set's files being handed over or indexed, if any: a worker that stops
    /// meanwhile stopped on them.
    busy: StoredValue<Option<String>>,
    /// Own sets being handed over: a newer one (or going back to MNIST) stops the
    /// handing over of an older one.
    handovers: StoredValue<Runs, LocalStorage>,
    progress: ReadSignal<Option<Progress>>,
    set_progress: WriteSignal<Option<Progress>>,
    problem: ReadSignal<Option<Problem>>,
    set_problem: WriteSignal<Option<Problem>>,
}

impl OwnSets {
    pub(super) fn new(link: Link) -> OwnSets {
        let (progress, set_progress) = signal(None);
        let (problem, set_problem) = signal(None);
        OwnSets {
            link,
            busy: StoredValue::new(None),
            handovers: StoredValue::new_local(Runs::default()),
            progress,
            set_progress,
            problem,
            set_problem,
        }
    }

    /// How handing over and indexing the set goes, while they do.
    pub fn progress(self) -> ReadSignal<Option<Progress>> {
        self.progress
    }

    /// Why the last set given was not used.
    pub fn problem(self) -> ReadSignal<Option<Problem>> {
        self.problem
    }

    /// Whether an own set is being handed over or indexed now.
    pub fn busy(self) -> Signal<bool> {
        let progress = self.progress;
        Signal::derive(move || progress.with(Option::is_some))
    }

    /// Hands files to the worker (it reads them itself: the page never holds their bytes).
    pub fn files(self, files: Vec<File>) {
        let names = files.iter().map(File::name).collect();
        self.hand_over(ToWorker::OwnFiles { names }, files);
    }

    /// Hands a folder's files (from the folder picker) to the worker, with their paths
    /// inside the folder.
    pub fn folder(self, files: Vec<File>) {
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
        self.hand_over(ToWorker::OwnFolder { paths }, files);
    }

    /// Hands a dropped folder's files to the worker: paths "folder/sub/file.png".
    pub fn tree(self, files: Vec<(String, File)>) {
        let (paths, files) = files.into_iter().unzip();
        self.hand_over(ToWorker::OwnFolder { paths }, files);
    }

    /// Asks for the index of the set searched now; it comes back as a download.
    pub fn save(self) {
        self.link.post(&ToWorker::Save, &[]);
    }

    /// Back to MNIST; an own set being indexed is dropped.
    pub fn use_shipped(self) {
        self.handovers.with_value(Runs::cancel);
        self.busy.set_value(None);
        self.set_progress.set(None);
        self.link.post(&ToWorker::UseShipped, &[]);
    }

    /// The worker's progress on the set; a cancelled build may still report until its
    /// next pause: not shown.
    pub(super) fn progressed(self, p: Progress) {
        if self.busy.with_value(Option::is_some) {
            self.set_progress.set(Some(p));
        }
    }

    /// An own set is ready and searched.
    pub(super) fn ready(self) {
        self.set_progress.set(None);
        self.set_problem.set(None);
        self.busy.set_value(None);
    }

    /// The set given was not used.
    pub(super) fn failed(self, problem: Problem) {
        self.busy.set_value(None);
        self.set_progress.set(None);
        self.set_problem.set(Some(problem));
    }

    /// The first load failed or the worker cannot be used: no progress is coming.
    pub(super) fn hide_progress(self) {
        self.set_progress.set(None);
    }

    /// The worker stopped while running. When it stopped on the user's own files, this
    /// panel says so, naming them (then None); otherwise the problem is returned to be
    /// shown beside the query.
    pub(super) fn stopped(self, detail: String) -> Option<Problem> {
        let file = self.busy.try_update_value(Option::take).flatten();
        let stopped = Problem::Stopped {
            file: file.clone(),
            detail,
        };
        self.set_progress.set(None);
        if file.is_some() {
            self.set_problem.set(Some(stopped));
            None
        } else {
            Some(stopped)
        }
    }

    fn hand_over(self, message: ToWorker, files: Vec<File>) {
        let names = match &message {
            ToWorker::OwnFiles { names } => names.join(", "),
            ToWorker::OwnFolder { paths } => paths
                .first()
                .and_then(|p| p.split('/').next())
                .unwrap_or("the folder")
                .to_owned(),
            _ => String::new(),
        };
        self.busy.set_value(Some(names));
        self.set_problem.set(None);
        self.set_progress.set(Some(Progress {
            stage: "handing over".into(),
            file: String::new(),
            done: 0.0,
            total: None,
            own: true,
        }));
        let ticket = self.handovers.with_value(Runs::start);
        // A batch a task, the last one with the message that names them all.
        let mut ahead: Vec<JsValue> = files.into_iter().map(JsValue::from).collect();
        let with = ahead.split_off(ahead.len().saturating_sub(HANDOVER_BATCH));
        // Each in a task of its own, none in the task that listed the files.
        leptos::task::spawn_local(async move {
            for batch in ahead.chunks(HANDOVER_BATCH) {
                pause().await;
                if !ticket.wanted() {
                    return;
                }
                self.link.post(&ToWorker::OwnAhead, batch);
            }
            pause().await;
            if ticket.wanted() {
                self.link.post(&message, &with);
            }
        });
    }
}

/// Offers `bytes` as a download named `name`: nothing leaves the browser.
pub(super) fn download(name: &str, bytes: &[u8]) {
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
