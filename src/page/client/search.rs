//! Searches and the "why" of a hit, as the page asks for them. Searches are coalesced:
//! one in flight, and only the latest of those asked meanwhile follows it, so drawing
//! never queues up work.

use leptos::prelude::*;

use super::link::Link;
use crate::protocol::{Answer, Image, Problem, Query, Request, Setting, ToWorker, Why};

/// The service worker, copied to the site's root by Trunk.
const SERVICE_WORKER: &str = "./sw.js";

/// Asks for searches; holds the answer on screen and what went wrong beside the query.
#[derive(Clone, Copy)]
pub struct Searches {
    link: Link,
    in_flight: StoredValue<bool>,
    queued: StoredValue<Option<Request>>,
    next_id: StoredValue<u32>,
    /// The last search asked before the query was cleared: its answer, still on its way,
    /// is not shown.
    cleared: StoredValue<u32>,
    answer: ReadSignal<Option<Answer>>,
    set_answer: WriteSignal<Option<Answer>>,
    /// What went wrong with a search, a pick, a save or a "why" (shown beside the query);
    /// picks write it too.
    problem: ReadSignal<Option<Problem>>,
    set_problem: WriteSignal<Option<Problem>>,
}

impl Searches {
    pub(super) fn new(
        link: Link,
        (problem, set_problem): (ReadSignal<Option<Problem>>, WriteSignal<Option<Problem>>),
    ) -> Searches {
        let (answer, set_answer) = signal(None);
        Searches {
            link,
            in_flight: StoredValue::new(false),
            queued: StoredValue::new(None),
            next_id: StoredValue::new(0),
            cleared: StoredValue::new(0),
            answer,
            set_answer,
            problem,
            set_problem,
        }
    }

    /// The latest answer shown.
    pub fn answer(self) -> ReadSignal<Option<Answer>> {
        self.answer
    }

    /// What went wrong with what was last asked about the query, if anything.
    pub fn problem(self) -> ReadSignal<Option<Problem>> {
        self.problem
    }

    /// Searches for `query`; answers arrive in [`Searches::answer`].
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
            self.send(req);
        }
    }

    /// Forgets the shown answer (the pad was cleared).
    pub fn clear(self) {
        self.cleared.set_value(self.next_id.get_value());
        self.queued.set_value(None);
        self.set_answer.set(None);
        self.set_problem.set(None);
    }

    /// Forgets the problem shown: the page says something newer in its place.
    pub fn forget_problem(self) {
        self.set_problem.set(None);
    }

    /// Shows `problem` beside the query.
    pub(super) fn show_problem(self, problem: Problem) {
        self.set_problem.set(Some(problem));
    }

    /// An answer came: shown unless its query was cleared meanwhile.
    pub(super) fn answered(self, a: Answer) {
        if a.id <= self.cleared.get_value() {
            return self.next();
        }
        // The offline copy of the page starts once a first result is shown, so that its
        // downloads never compete with the first search: after the frame that paints it
        // (registering costs the page a few milliseconds).
        let first = self.answer.with_untracked(Option::is_none);
        self.set_problem.set(None);
        self.set_answer.set(Some(a));
        if first {
            request_animation_frame(|| {
                set_timeout(register_service_worker, std::time::Duration::ZERO);
            });
        }
        self.next();
    }

    /// The search in flight failed.
    pub(super) fn failed(self, problem: Problem) {
        self.set_problem.set(Some(problem));
        self.next();
    }

    /// The worker stopped: nothing is in flight any more.
    pub(super) fn stopped(self) {
        self.in_flight.set_value(false);
    }

    /// Sends the search that waited, if any.
    fn next(self) {
        self.in_flight.set_value(false);
        if let Some(req) = self.queued.try_update_value(Option::take).flatten() {
            self.send(req);
        }
    }

    fn send(self, req: Request) {
        self.in_flight.set_value(true);
        self.link.post(&ToWorker::Search(req), &[]);
    }
}

/// Asks why a hit is similar; holds the latest "why".
#[derive(Clone, Copy)]
pub struct Whys {
    link: Link,
    why: ReadSignal<Option<Why>>,
    set_why: WriteSignal<Option<Why>>,
}

impl Whys {
    pub(super) fn new(link: Link) -> Whys {
        let (why, set_why) = signal(None);
        Whys { link, why, set_why }
    }

    /// Why the selected hit is similar, once the worker says.
    pub fn why(self) -> ReadSignal<Option<Why>> {
        self.why
    }

    /// Asks why hit `id` is similar to `query`; the answer arrives in [`Whys::why`].
    pub fn explain(self, query: Image, id: u32) {
        self.set_why.set(None);
        self.link.post(&ToWorker::Explain { query, id }, &[]);
    }

    pub(super) fn received(self, why: Why) {
        self.set_why.set(Some(why));
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
