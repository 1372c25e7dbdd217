//! Picks (one of the set's own images, at random or by number) and pictures the worker
//! prepares; both come back as queries. Taps while a pick is on its way do not each cost
//! a fetch: only the latest of them follows it.

use leptos::prelude::*;
use web_sys::File;

use super::link::Link;
use crate::protocol::{Problem, Query, ToWorker};

/// Asks for picks and pictures; hands the queries they bring to the page.
#[derive(Clone, Copy)]
pub struct Picks {
    link: Link,
    /// Receives the query images the worker picks or prepares.
    on_pick: Callback<Query>,
    /// A pick is on its way: taps meanwhile do not each cost a fetch. Only the latest
    /// of them follows it (a random one is already answered by the pick on its way).
    picking: StoredValue<bool>,
    next_pick: StoredValue<Option<Option<u32>>>,
    /// A random pick's answer has not shown yet: tapping Random again until it does asks
    /// for nothing new (an impatient visitor's taps each cost a digit and its cells).
    awaiting_random: StoredValue<bool>,
    /// What went wrong beside the query (the searches write it too).
    set_problem: WriteSignal<Option<Problem>>,
}

impl Picks {
    pub(super) fn new(
        link: Link,
        on_pick: Callback<Query>,
        set_problem: WriteSignal<Option<Problem>>,
    ) -> Picks {
        Picks {
            link,
            on_pick,
            picking: StoredValue::new(false),
            next_pick: StoredValue::new(None),
            awaiting_random: StoredValue::new(false),
            set_problem,
        }
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
        self.link.post(&ToWorker::Pick { which }, &[]);
    }

    /// Hands a picture to the worker, which prepares it and answers as a pick does.
    pub fn picture(self, file: File) {
        self.link
            .post(&ToWorker::Picture { name: file.name() }, &[file.into()]);
    }

    /// A pick came back: handed on, unless a newer one waited (that one is sent).
    pub(super) fn picked(self, query: Query) {
        // A newer pick waits: this one is not what the person asked for last.
        if self.superseded() {
            return;
        }
        self.set_problem.set(None);
        self.on_pick.run(query);
    }

    /// A pick failed: said, unless a newer one waited (that one is sent).
    pub(super) fn failed(self, problem: Problem) {
        self.awaiting_random.set_value(false);
        if !self.superseded() {
            self.set_problem.set(Some(problem));
        }
    }

    /// A search came back, answered or not: a random pick's answer has shown, so Random
    /// asks for another.
    pub(super) fn answered(self) {
        self.awaiting_random.set_value(false);
    }

    /// The worker stopped: no pick is on its way.
    pub(super) fn stopped(self) {
        self.picking.set_value(false);
        self.next_pick.set_value(None);
        self.awaiting_random.set_value(false);
    }

    /// A pick came back: sends the one that waited, if any (then true: what came back is
    /// superseded).
    fn superseded(self) -> bool {
        self.picking.set_value(false);
        match self.next_pick.try_update_value(Option::take).flatten() {
            Some(which) => {
                self.pick(which);
                true
            }
            None => false,
        }
    }
}
