//! The connection to the engine's worker: starting it (or adopting the one index.html
//! started), sending it messages (kept until it says it listens), and telling the client
//! what it hears. Only the current worker is heard: a stopped one's late messages and
//! errors are dropped by its generation.

use js_sys::{Array, Uint8Array};
use leptos::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{ErrorEvent, MessageEvent, Worker};

use crate::fetch::js_error;
use crate::protocol::{self, FromWorker, Problem, ToWorker};

/// The worker's loader, written by Trunk beside the page (worker files keep their names).
const WORKER: &str = "./ssam-worker_loader.js";
/// How long the worker may take to start before the page says it did not.
const START_MS: i32 = 60_000;
/// Workers started again after one stopped, at most: a fault that stops every worker
/// (not a user's file) must end in the error panel, not in a loop.
const RESTARTS: u32 = 3;

/// What the connection hears, for the client to act on.
pub(super) enum Event {
    /// A message from the worker (all but `Started`, which the connection handles).
    Message(FromWorker),
    /// Bytes from the worker that are not a message.
    Unreadable(Problem),
    /// The worker cannot be used: not created, not loaded, a message not read or sent.
    Lost(String),
    /// It did not say it started in time (news only when nothing else said why).
    Silent(String),
    /// A worker that was running stopped (a trap, memory ran out).
    Stopped(String),
}

/// The worker, and whether it listens yet; cheap to copy into each part that sends.
#[derive(Clone, Copy)]
pub(super) struct Link {
    worker: StoredValue<Option<Worker>, LocalStorage>,
    /// Which worker is current: messages and errors of a stopped one are ignored.
    generation: StoredValue<u32>,
    /// Messages asked before the worker listens (it says when it does).
    outbox: StoredValue<Vec<JsValue>, LocalStorage>,
    started: StoredValue<bool>,
    /// Who is told what the worker says.
    hear: StoredValue<Option<Callback<Event>>>,
}

impl Link {
    pub(super) fn new() -> Link {
        Link {
            worker: StoredValue::new_local(None),
            generation: StoredValue::new(0),
            outbox: StoredValue::new_local(Vec::new()),
            started: StoredValue::new(false),
            hear: StoredValue::new(None),
        }
    }

    /// Starts the first worker; `hear` is told what it, and any worker after it, says.
    pub(super) fn start(self, hear: Callback<Event>) {
        self.hear.set_value(Some(hear));
        self.spawn();
    }

    /// Whether a worker that stopped may be replaced by another.
    pub(super) fn may_restart(self) -> bool {
        self.generation.get_value() <= RESTARTS
    }

    /// Stops the current worker and starts another; what waited to be sent is dropped.
    pub(super) fn restart(self) {
        self.worker.with_value(|w| {
            if let Some(w) = w {
                w.terminate();
            }
        });
        self.outbox.set_value(Vec::new());
        self.spawn();
    }

    /// Sends `message` with `files` (sent as they are: the page never reads their bytes),
    /// or keeps them until the worker listens.
    pub(super) fn post(self, message: &ToWorker, files: &[JsValue]) {
        let parts = Array::new();
        parts.push(&Uint8Array::from(protocol::encode(message).as_slice()));
        for f in files {
            parts.push(f);
        }
        if !self.started.get_value() {
            self.outbox.update_value(|o| o.push(parts.into()));
            return;
        }
        let sent = self
            .worker
            .with_value(|w| w.as_ref().map(|w| w.post_message(&parts)));
        if let Some(Err(e)) = sent {
            self.heard(Event::Lost(format!(
                "a message could not be sent ({})",
                js_error(&e)
            )));
        }
    }

    fn heard(self, event: Event) {
        if let Some(hear) = self.hear.get_value() {
            hear.run(event);
        }
    }

    /// Starts a worker (the first, or one after another stopped).
    fn spawn(self) {
        let generation = self
            .generation
            .try_update_value(|g| {
                *g += 1;
                *g
            })
            .unwrap_or(0);
        self.started.set_value(false);
        let Some((worker, said)) = self.open() else {
            return;
        };
        self.listen(&worker, &said, generation);
        self.worker.set_value(Some(worker));
        self.watch_start(generation);
    }

    /// The worker index.html started beside the page's WebAssembly, with what it said
    /// meanwhile; or a new one. None when none could be created (that is heard).
    fn open(self) -> Option<(Worker, Array)> {
        if let Some(early) = adopt() {
            return Some(early);
        }
        match Worker::new(&worker_url()) {
            Ok(w) => Some((w, Array::new())),
            Err(e) => {
                self.heard(Event::Lost(format!(
                    "it could not be created ({})",
                    js_error(&e)
                )));
                None
            }
        }
    }

    /// Listens to `worker`, first to what it `said` before the page listened.
    fn listen(self, worker: &Worker, said: &Array, generation: u32) {
        let current = move || self.generation.get_value() == generation;
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |ev: MessageEvent| {
            if current() {
                self.message(&ev.data());
            }
        });
        let on_error = Closure::<dyn FnMut(ErrorEvent)>::new(move |ev: ErrorEvent| {
            ev.prevent_default();
            if current() {
                self.error(ev.message());
            }
        });
        let on_message_error = Closure::<dyn FnMut(MessageEvent)>::new(move |_| {
            if current() {
                self.heard(Event::Lost("a message from it could not be read".into()));
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
    }

    fn message(self, data: &JsValue) {
        let Some(bytes) = data.dyn_ref::<Uint8Array>() else {
            return self.heard(Event::Lost("it sent a message that is not bytes".into()));
        };
        match protocol::decode::<FromWorker>(&bytes.to_vec()) {
            Ok(FromWorker::Started) => self.listening(),
            Ok(m) => self.heard(Event::Message(m)),
            Err(p) => self.heard(Event::Unreadable(p)),
        }
    }

    fn error(self, what: String) {
        let what = if what.is_empty() {
            "it could not be loaded or stopped with an error".into()
        } else {
            what
        };
        // A worker that was running stopped (a trap, memory ran out): another may take
        // its place; one that never ran cannot be used.
        self.heard(if self.started.get_value() {
            Event::Stopped(what)
        } else {
            Event::Lost(what)
        });
    }

    /// The worker listens: what waited for it is sent, in order.
    fn listening(self) {
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

    /// Says so when the worker of `generation` has not started within `START_MS`.
    fn watch_start(self, generation: u32) {
        let check = Closure::once_into_js(move || {
            if self.generation.get_value() == generation && !self.started.get_value() {
                self.heard(Event::Silent(format!(
                    "it did not start within {} s",
                    START_MS / 1000
                )));
            }
        });
        if let Some(w) = web_sys::window() {
            let _ = w.set_timeout_with_callback_and_timeout_and_arguments_0(
                check.unchecked_ref(),
                START_MS,
            );
        }
    }
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
