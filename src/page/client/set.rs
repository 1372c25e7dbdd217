//! The set searched and how loading it goes, as the worker reports them.

use leptos::prelude::*;

use crate::protocol::{Problem, Progress, SetInfo};

/// The set searched and its loading status: what the status line reads, and the set
/// every other part of the page is about.
#[derive(Clone, Copy)]
pub struct SetStatus {
    info: ReadSignal<Option<SetInfo>>,
    set_info: WriteSignal<Option<SetInfo>>,
    progress: ReadSignal<Option<Progress>>,
    set_progress: WriteSignal<Option<Progress>>,
    local: ReadSignal<Option<(u64, u64)>>,
    set_local: WriteSignal<Option<(u64, u64)>>,
    no_ranges: ReadSignal<bool>,
    set_no_ranges: WriteSignal<bool>,
    failure: ReadSignal<Option<Problem>>,
    set_failure: WriteSignal<Option<Problem>>,
}

impl SetStatus {
    pub(super) fn new() -> SetStatus {
        let (info, set_info) = signal(None);
        let (progress, set_progress) = signal(None);
        let (local, set_local) = signal(None);
        let (no_ranges, set_no_ranges) = signal(false);
        let (failure, set_failure) = signal(None);
        SetStatus {
            info,
            set_info,
            progress,
            set_progress,
            local,
            set_local,
            no_ranges,
            set_no_ranges,
            failure,
            set_failure,
        }
    }

    /// The set searched, once ready.
    pub fn set(self) -> ReadSignal<Option<SetInfo>> {
        self.info
    }

    /// The first load's progress.
    pub fn progress(self) -> ReadSignal<Option<Progress>> {
        self.progress
    }

    /// MNIST's whole set downloading in the background while it is searched by parts:
    /// bytes done of all.
    pub fn local(self) -> ReadSignal<Option<(u64, u64)>> {
        self.local
    }

    /// The host ignores byte ranges: MNIST comes whole before its first answer.
    pub fn no_ranges(self) -> ReadSignal<bool> {
        self.no_ranges
    }

    /// What stopped the first load or the worker: the page shows the error panel.
    pub fn failure(self) -> ReadSignal<Option<Problem>> {
        self.failure
    }

    pub(super) fn progressed(self, p: Progress) {
        self.set_progress.set(Some(p));
    }

    /// A set is ready to search.
    pub(super) fn ready(self, mut info: SetInfo) {
        // The worker's clock starts with the worker; the page's with navigation.
        info.ready_at = crate::fetch::now();
        if info.streamed.is_none() && !info.own {
            self.set_local.set(None);
        }
        self.set_info.set(Some(info));
    }

    pub(super) fn local_done(self, done: u64, total: u64) {
        self.set_local.set(Some((done, total)));
    }

    pub(super) fn host_ignores_ranges(self) {
        self.set_no_ranges.set(true);
    }

    pub(super) fn failed(self, problem: Problem) {
        self.set_failure.set(Some(problem));
    }

    pub(super) fn has_failed(self) -> bool {
        self.failure.with_untracked(Option::is_some)
    }

    /// Another worker: no set until it says which.
    pub(super) fn forget_set(self) {
        self.set_info.set(None);
    }
}
