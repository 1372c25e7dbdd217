//! The worker's side of the conversation with the page: each message decoded as it
//! arrives and handed on with the files that came with it; answers, problems and
//! progress posted back as typed messages.

use js_sys::{Array, Uint8Array};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{DedicatedWorkerGlobalScope, MessageEvent};

use crate::protocol::{self, FromWorker, Problem, Progress, Task, ToWorker};

pub fn scope() -> DedicatedWorkerGlobalScope {
    js_sys::global().unchecked_into()
}

/// Hands every message from the page to `handle`, with the files sent beside it (a
/// message is its bytes alone, or an array of its bytes and then files).
pub fn listen(handle: fn(ToWorker, Vec<JsValue>)) {
    let handler = Closure::<dyn FnMut(MessageEvent)>::new(move |ev: MessageEvent| {
        let data = ev.data();
        let (head, files) = match data.dyn_ref::<Array>() {
            Some(parts) => (parts.get(0), parts.iter().skip(1).collect::<Vec<_>>()),
            None => (data, Vec::new()),
        };
        let Some(bytes) = head.dyn_ref::<Uint8Array>().map(Uint8Array::to_vec) else {
            return fail(
                Task::Worker,
                Problem::Worker {
                    detail: "a message that is not bytes".into(),
                },
            );
        };
        match protocol::decode::<ToWorker>(&bytes) {
            Ok(m) => handle(m, files),
            Err(p) => fail(Task::Worker, p),
        }
    });
    scope().set_onmessage(Some(handler.as_ref().unchecked_ref()));
    // The handler lives as long as the worker.
    handler.forget();
}

/// Tells the page of a panic, with its message on the console too.
pub fn fail_on_panic() {
    std::panic::set_hook(Box::new(|info| {
        console_error_panic_hook::hook(info);
        // The page starts a new worker: this one's state cannot be trusted any more.
        fail(
            Task::Worker,
            Problem::Stopped {
                file: None,
                detail: info.to_string(),
            },
        );
    }));
}

/// Sends a message to the page.
pub fn post(message: &FromWorker) {
    let bytes = Uint8Array::from(protocol::encode(message).as_slice());
    if scope().post_message(&bytes).is_err() {
        web_sys::console::error_1(&"ssam-worker: postMessage failed".into());
    }
}

/// Tells the page that what it asked `during` went wrong, and why.
pub fn fail(during: Task, problem: Problem) {
    post(&FromWorker::Failed { during, problem });
}

/// What the page says when the worker cannot do that yet.
pub fn busy(what: &str) -> Problem {
    Problem::Busy { what: what.into() }
}

/// Tells the page how far a load or an own set's build is.
pub fn progress(stage: &str, file: &str, done: f64, total: Option<f64>, own: bool) {
    post(&FromWorker::Progress(Progress {
        stage: stage.into(),
        file: file.into(),
        done,
        total,
        own,
    }));
}
