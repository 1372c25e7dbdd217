//! Own sets as the page asks for them: files handed over ahead of the message that names
//! them, one build at a time, a build dropped when the page goes back to MNIST, and the
//! set searched saved with its index.

use std::cell::RefCell;
use std::rc::Rc;

use wasm_bindgen::JsValue;

use super::Given;
use super::build::{build, set_name};
use crate::protocol::{FromWorker, Task};
use crate::runs::Runs;
use crate::worker::messages::{busy, fail, post};
use crate::worker::sets;

thread_local! {
    /// Own-set builds, one under way at a time: going back to MNIST cancels it, so it
    /// stops at its next pause and its result is dropped, even once a newer build has
    /// started.
    static BUILDS: Runs = Runs::default();
    /// Files of an own set sent ahead of the message that names them.
    static AHEAD: RefCell<Vec<JsValue>> = const { RefCell::new(Vec::new()) };
}

/// Keeps files the page sent ahead of the message that names them.
pub fn ahead(files: Vec<JsValue>) {
    AHEAD.with_borrow_mut(|a| a.extend(files));
}

/// Builds the set `given` names from its files (those sent ahead, then `files`), unless
/// another is being built; once whole it is the set searched.
pub fn start(given: Given, files: Vec<JsValue>) {
    let named = match &given {
        Given::Files(names) => names.len(),
        Given::Folder(paths) => paths.len(),
    };
    let files = with_ahead(named, files);
    if BUILDS.with(Runs::under_way) {
        return fail(Task::OwnSet, busy("another set is being indexed"));
    }
    let ticket = BUILDS.with(Runs::start);
    wasm_bindgen_futures::spawn_local(async move {
        let built = build(given, files, &ticket).await;
        if !ticket.wanted() {
            // Cancelled meanwhile: the page already shows what replaced it.
            return;
        }
        // Ended: another set may be given now.
        drop(ticket);
        match built {
            // The old set stays until the new one is whole: a bad file changes nothing.
            Ok(set) => sets::ready(Rc::new(set)),
            Err(p) => fail(Task::OwnSet, p),
        }
    });
}

/// Drops the build under way (it stops at its next pause) and any files sent ahead.
pub fn cancel() {
    BUILDS.with(Runs::cancel);
    AHEAD.with_borrow_mut(Vec::clear);
}

/// Sends the page the set searched, with its index, as one gzip file.
pub fn save() {
    match sets::current() {
        Some(set) => post(&FromWorker::Saved {
            name: format!("{}.ssam.gz", set_name(&set.info.name)),
            bytes: ssam::format::to_gzip(&set.index),
        }),
        None => fail(Task::Save, busy("the data are still loading")),
    }
}

/// The `named` files of an own set: the last of those sent ahead, then `files`. Files
/// left ahead by a handing over the page gave up are dropped.
fn with_ahead(named: usize, files: Vec<JsValue>) -> Vec<JsValue> {
    let mut ahead = AHEAD.take();
    let wanted = named.saturating_sub(files.len());
    let mut all = ahead.split_off(ahead.len().saturating_sub(wanted));
    all.extend(files);
    all
}
