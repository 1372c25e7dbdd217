//! The benchmark as the page asks for it and follows it: a run started and stopped, its
//! progress and rows as the worker reports them, and the sentence that says where it is.

use leptos::prelude::*;

use super::link::Link;
use crate::protocol::{Problem, Row, Setting, ToWorker, thousands};

/// The benchmark as the page shows it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Bench {
    pub running: bool,
    /// Rows measured, in the order the worker sent them.
    pub rows: Vec<Row>,
    pub state: BenchState,
    pub problem: Option<Problem>,
}

/// What the benchmark is doing now, or how it ended.
#[derive(Debug, Clone, Default, PartialEq)]
pub enum BenchState {
    #[default]
    Idle,
    Starting,
    /// `done` of `of` queries searched with `setting` (`Setting::Exact`: the exact
    /// answers being found).
    Measuring {
        setting: Setting,
        done: u32,
        of: u32,
    },
    /// Stop was pressed; the worker has not said where it stopped yet.
    Stopping,
    Done {
        queries: u32,
        memory_mb: f64,
    },
    /// Stopped as asked, while measuring `setting`, after `done` of its `of` queries.
    Stopped {
        setting: Setting,
        done: u32,
        of: u32,
    },
}

impl Bench {
    /// A run just asked for.
    fn started() -> Bench {
        Bench {
            running: true,
            state: BenchState::Starting,
            ..Bench::default()
        }
    }

    /// The worker's progress; a Stop on its way is not overwritten by it.
    fn progress(&mut self, setting: Setting, done: u32, of: u32) {
        if self.state != BenchState::Stopping {
            self.state = BenchState::Measuring { setting, done, of };
        }
    }

    /// The run ended (done, or stopped as asked).
    fn end(&mut self, state: BenchState) {
        self.running = false;
        self.state = state;
    }

    /// Stop was pressed.
    fn stopping(&mut self) {
        if self.running {
            self.state = BenchState::Stopping;
        }
    }

    /// The sentence under the menu.
    pub fn status(&self) -> String {
        if let Some(p) = &self.problem {
            return format!("the benchmark stopped: {}", p.message());
        }
        let n = |v: u32| thousands(u64::from(v));
        match &self.state {
            BenchState::Idle => String::new(),
            BenchState::Starting => "starting…".into(),
            BenchState::Stopping => "stopping…".into(),
            BenchState::Measuring {
                setting: Setting::Exact,
                done,
                of,
            } => format!("exact answers: {} of {} queries", n(*done), n(*of)),
            BenchState::Measuring { setting, done, of } => {
                format!("{}: {} of {} queries", setting.name(), n(*done), n(*of))
            }
            BenchState::Done { queries, memory_mb } => format!(
                "done: {} queries per setting, k = 10, one thread in a worker; its WebAssembly memory {memory_mb:.0} MB",
                n(*queries)
            ),
            BenchState::Stopped { setting, done, of } => {
                let during = match setting {
                    Setting::Exact => "while finding their exact answers".to_owned(),
                    s => format!("with {}", s.name()),
                };
                let kept = match self.rows.len() {
                    0 => "no setting was measured in full".to_owned(),
                    1 => "the setting measured before it is kept".to_owned(),
                    r => format!("the {r} settings measured before it are kept"),
                };
                format!(
                    "stopped after {} of {} queries {during}; {kept}",
                    n(*done),
                    n(*of)
                )
            }
        }
    }
}

/// Starts and stops benchmark runs; holds the run as the page shows it.
#[derive(Clone, Copy)]
pub struct BenchRuns {
    link: Link,
    bench: ReadSignal<Bench>,
    set_bench: WriteSignal<Bench>,
}

impl BenchRuns {
    pub(super) fn new(link: Link) -> BenchRuns {
        let (bench, set_bench) = signal(Bench::default());
        BenchRuns {
            link,
            bench,
            set_bench,
        }
    }

    /// The run under way, or the last one.
    pub fn bench(self) -> ReadSignal<Bench> {
        self.bench
    }

    pub fn run(self, queries: u32) {
        self.set_bench.set(Bench::started());
        self.link.post(&ToWorker::Bench { queries }, &[]);
    }

    /// Stops the benchmark under way; the rows it measured stay.
    pub fn stop(self) {
        self.set_bench.update(Bench::stopping);
        self.link.post(&ToWorker::StopBench, &[]);
    }

    pub(super) fn progress(self, setting: Setting, done: u32, of: u32) {
        self.set_bench.update(|b| b.progress(setting, done, of));
    }

    pub(super) fn row(self, row: Row) {
        self.set_bench.update(|b| b.rows.push(row));
    }

    pub(super) fn end(self, state: BenchState) {
        self.set_bench.update(|b| b.end(state));
    }

    pub(super) fn failed(self, problem: Problem) {
        self.set_bench.update(|b| {
            b.running = false;
            b.problem = Some(problem);
        });
    }

    /// Nothing more is coming from the run under way (the worker cannot be used).
    pub(super) fn halt(self) {
        self.set_bench.update(|b| b.running = false);
    }

    /// Another set, or another worker: no run, no rows.
    pub(super) fn reset(self) {
        self.set_bench.set(Bench::default());
    }
}
