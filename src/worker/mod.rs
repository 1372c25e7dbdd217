//! The engine's side of the page (runs in a dedicated Web Worker, built as the
//! `ssam-worker` binary): owns the index, loads the shipped data, answers searches and
//! picks, runs the benchmark, builds and saves own sets. The page only sends requests and
//! shows answers, so nothing here can make the page miss a frame.
//!
//! Each message goes to the concern that owns it, and each concern keeps its own state:
//! which set is searched (`sets`, a whole [`set`] or MNIST by parts, `remote` over
//! `source`), searches (`search`, `query`) and their "why" (`why`), picked and uploaded
//! queries (`pick`, `picture`), own sets (`own`), the map (`map`) and an own set's layout
//! (`layout`), and the benchmark (`bench`). A long run (a build, a layout, a search still
//! fetching, the benchmark) holds a `crate::runs::Ticket` and stops at its next pause
//! once a newer run or a cancel makes it unwanted. `messages` talks to the page, `store`
//! keeps the data offline.

mod bench;
mod layout;
mod map;
mod messages;
mod own;
mod pick;
mod picture;
mod query;
mod remote;
mod search;
mod set;
mod sets;
mod source;
mod store;
mod why;

pub(crate) use own::{HOLD_EVERY, MIN_TO_HOLD_OUT};

use wasm_bindgen::JsValue;

use crate::protocol::{FromWorker, ToWorker};
use messages::{post, scope};

/// Starts the worker: installs the message handler, says so, loads the shipped data.
pub fn run() {
    messages::fail_on_panic();
    messages::listen(handle);
    post(&FromWorker::Started);
    // The page names another streamed set in the worker's address (`?root=URL`).
    let root = web_sys::UrlSearchParams::new_with_str(&scope().location().search())
        .ok()
        .and_then(|p| p.get("root"));
    sets::open(root);
}

/// Hands a message from the page, with the files sent beside it, to its concern.
fn handle(message: ToWorker, files: Vec<JsValue>) {
    match message {
        ToWorker::Search(req) => search::ask(req),
        ToWorker::Explain { query, id } => why::explain(&query, id),
        ToWorker::Pick { which } => pick::pick(which),
        ToWorker::Picture { name } => pick::picture(name, files),
        ToWorker::OwnAhead => own::ahead(files),
        ToWorker::OwnFiles { names } => own::start(own::Given::Files(names), files),
        ToWorker::OwnFolder { paths } => own::start(own::Given::Folder(paths), files),
        ToWorker::Save => own::save(),
        ToWorker::UseShipped => sets::use_shipped(),
        ToWorker::Map => map::ask(),
        ToWorker::Images { ids } => map::images(&ids),
        ToWorker::LayOut => layout::start(),
        ToWorker::CancelLayout => layout::cancel_asked(),
        ToWorker::Bench { queries } => bench::start(queries),
        ToWorker::StopBench => bench::stop(),
    }
}
