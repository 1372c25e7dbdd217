//! The page's side of the engine's worker: starts it, sends what the page asks and turns
//! what it says into signals the views read. One part per concern, each cheap to copy
//! and handed only to the views that need it: the set and its loading ([`SetStatus`]),
//! searches and the "why" of a hit ([`Searches`], [`Whys`]), picks ([`Picks`]), own sets
//! ([`OwnSets`]), the benchmark ([`BenchRuns`]) and the map ([`Maps`]). The connection
//! itself (`link`) is the client's alone; [`Client`] routes each message to its part.

mod bench;
mod link;
mod map;
mod own;
mod pick;
mod search;
mod set;

use leptos::prelude::*;

use crate::protocol::{FromWorker, Problem, Query, SetInfo, Task};
pub use bench::{Bench, BenchRuns, BenchState};
use link::{Event, Link};
pub use map::{Maps, OwnMap};
pub use own::OwnSets;
pub use pick::Picks;
pub use search::{Searches, Whys};
pub use set::SetStatus;

/// The worker's parts as the page holds them.
#[derive(Clone, Copy)]
pub struct Client {
    link: Link,
    pub status: SetStatus,
    pub searches: Searches,
    pub whys: Whys,
    pub picks: Picks,
    pub own: OwnSets,
    pub bench: BenchRuns,
    pub maps: Maps,
}

impl Client {
    /// Starts the worker; `on_pick` receives the query images the worker picks.
    pub fn start(on_pick: Callback<Query>) -> Client {
        let link = Link::new();
        // What went wrong beside the query, whether searching or picking.
        let problem = signal(None);
        let client = Client {
            link,
            status: SetStatus::new(),
            searches: Searches::new(link, problem),
            whys: Whys::new(link),
            picks: Picks::new(link, on_pick, problem.1),
            own: OwnSets::new(link),
            bench: BenchRuns::new(link),
            maps: Maps::new(link),
        };
        link.start(Callback::new(move |event| client.heard(event)));
        client
    }

    fn heard(self, event: Event) {
        match event {
            Event::Message(m) => self.receive(m),
            Event::Unreadable(p) => self.fail(Task::Worker, p),
            Event::Lost(detail) => self.die(detail),
            Event::Silent(detail) if !self.status.has_failed() => self.die(detail),
            Event::Silent(_) => {}
            Event::Stopped(detail) => self.restart(detail),
        }
    }

    /// Hands each message to the part it is about.
    fn receive(self, message: FromWorker) {
        match message {
            // The connection handles it before it gets here.
            FromWorker::Started => {}
            FromWorker::Progress(p) if p.own => self.own.progressed(p),
            FromWorker::Progress(p) => self.status.progressed(p),
            FromWorker::Ready(info) => self.ready(info),
            FromWorker::Local { done, total } => self.status.local_done(done, total),
            FromWorker::NoRanges => self.status.host_ignores_ranges(),
            FromWorker::Answer(a) => {
                self.picks.answered();
                self.searches.answered(a);
            }
            FromWorker::Picked(q) => self.picks.picked(q),
            FromWorker::Why(w) => self.whys.received(w),
            FromWorker::Saved { name, bytes } => own::download(&name, &bytes),
            FromWorker::Failed { during, problem } => self.fail(during, problem),
            FromWorker::BenchStatus { setting, done, of } => self.bench.progress(setting, done, of),
            FromWorker::BenchRow(r) => self.bench.row(r),
            FromWorker::BenchDone { queries, memory_mb } => {
                self.bench.end(BenchState::Done { queries, memory_mb })
            }
            FromWorker::BenchStopped { setting, done, of } => {
                self.bench.end(BenchState::Stopped { setting, done, of })
            }
            FromWorker::Map(m) => self.maps.received(Ok(m)),
            FromWorker::Images(i) => self.maps.received_images(i),
            FromWorker::Layout(p) => self.maps.layout_progress(p),
            FromWorker::LaidOut { map, ms } => self.maps.laid_out(map, ms),
            FromWorker::LayoutCancelled => self.maps.layout_cancelled(),
        }
    }

    /// A set is ready: what belonged to the set before (a run, a layout) is dropped.
    fn ready(self, info: SetInfo) {
        if info.own {
            self.own.ready();
        }
        self.bench.reset();
        // Another set: the worker dropped the layout of the one before.
        self.maps.forget_layout();
        self.status.ready(info);
    }

    /// Puts a problem where the page shows it for what was being done.
    fn fail(self, during: Task, problem: Problem) {
        if let Problem::Stopped { detail, .. } = problem {
            return self.restart(detail);
        }
        match during {
            Task::Load | Task::Worker => {
                self.own.hide_progress();
                self.bench.halt();
                self.status.failed(problem);
            }
            Task::Search => {
                self.picks.answered();
                self.searches.failed(problem);
            }
            Task::Pick => self.picks.failed(problem),
            Task::Save | Task::Explain => self.searches.show_problem(problem),
            Task::Bench => self.bench.failed(problem),
            Task::OwnSet => self.own.failed(problem),
            Task::Map => self.maps.received(Err(problem)),
            Task::Layout => self.maps.layout_failed(problem),
        }
    }

    fn die(self, detail: String) {
        self.fail(Task::Worker, Problem::Worker { detail });
    }

    /// The worker stopped while running: a new one takes its place and loads MNIST again
    /// (the set it can keep). When it stopped on the user's own files, the own-set panel
    /// says so, naming them; the page's engine stays usable either way.
    fn restart(self, detail: String) {
        if !self.link.may_restart() {
            return self.die(detail);
        }
        if let Some(problem) = self.own.stopped(detail) {
            self.searches.show_problem(problem);
        }
        self.searches.stopped();
        self.picks.stopped();
        self.bench.reset();
        self.status.forget_set();
        self.maps.forget_layout();
        self.link.restart();
    }
}
