//! Queries the page did not draw: an image picked from the set's own queries (MNIST's
//! test digits, an own set's held-out images), by number or at random, and a picture
//! given as a file.

use std::cell::RefCell;
use std::rc::Rc;

use futures::FutureExt;
use futures::future::{LocalBoxFuture, Shared};
use wasm_bindgen::{JsCast, JsValue};

use super::messages::{busy, fail, post};
use super::remote::Remote;
use super::set::Set;
use super::{picture, sets};
use crate::protocol::{self, FromWorker, Image, Problem, Query, Task};
use crate::words::label_name;
use ssam::Dataset;

/// A test digit being fetched, awaited by whoever needs it first.
type Fetching = Shared<LocalBoxFuture<'static, Result<(usize, Vec<u8>, u8), Problem>>>;

thread_local! {
    /// The test digit the first "Random" will show, chosen as the set opens and its block
    /// fetched then, while the page waits for a click: that round trip is no longer
    /// between the click and the answer.
    static FIRST: RefCell<Option<Fetching>> = const { RefCell::new(None) };
}

/// Chooses the first random test digit of `remote` and starts fetching it.
pub fn fetch_first(remote: &Rc<Remote>) {
    let Ok(i) = choose(remote.info.queries as usize, None, "test digit") else {
        return;
    };
    let r = remote.clone();
    let fetching: Fetching = async move { r.test_digit(i).await }.boxed_local().shared();
    wasm_bindgen_futures::spawn_local(fetching.clone().map(|_| ()));
    FIRST.set(Some(fetching));
}

/// Sends the page query image `which` (or one at random) of the set searched.
pub fn pick(which: Option<u32>) {
    wasm_bindgen_futures::spawn_local(async move {
        match query(which).await {
            Ok(q) => post(&FromWorker::Picked(q)),
            Err(p) => fail(Task::Pick, p),
        }
    });
}

/// Sends the page the picture `name`, the first of `files`, prepared as a query.
pub fn picture(name: String, files: Vec<JsValue>) {
    wasm_bindgen_futures::spawn_local(async move {
        let prepared = match files.first() {
            Some(file) => picture::prepare(&name, file.unchecked_ref()).await,
            None => Err(picture::not_decoded(&name)),
        };
        match prepared {
            Ok(q) => post(&FromWorker::Picked(q)),
            Err(p) => fail(Task::Pick, p),
        }
    });
}

/// MNIST: its test digits, as the tutorial's page did (one block of them, unless all are
/// here); an own set: its held-out images, or, for a set too small to hold any out, its
/// own.
async fn query(which: Option<u32>) -> Result<Query, Problem> {
    match sets::current().filter(|s| s.info.own) {
        Some(set) => from_own(&set, which),
        None => from_mnist(which).await,
    }
}

async fn from_mnist(which: Option<u32>) -> Result<Query, Problem> {
    let (_, remote) = sets::searched();
    let remote = remote.ok_or_else(|| busy("the data are still loading"))?;
    let first = which.is_none().then(|| FIRST.take()).flatten();
    let (i, image, label) = match (sets::test(), first) {
        (Some(t), _) => pick_from(&t, which, "test digit")?,
        (None, Some(fetching)) => fetching.await?,
        (None, None) => {
            let i = choose(remote.info.queries as usize, which, "test digit")?;
            remote.test_digit(i).await?
        }
    };
    Ok(Query {
        image: Image {
            rows: remote.info.rows,
            cols: remote.info.cols,
            pixels: image,
        },
        source: format!("test digit #{i} (a {label})"),
    })
}

fn from_own(set: &Set, which: Option<u32>) -> Result<Query, Problem> {
    let data = match &set.own_queries {
        Some(q) => q,
        None => set.index.originals(),
    };
    let (i, image, label) = pick_from(data, which, &set.info.query_noun)?;
    let mut what = if set.info.labelled {
        format!(" ({})", label_name(&set.info, label))
    } else {
        String::new()
    };
    if let Some(names) = &set.names {
        what += &format!(" · {}", names.query(i));
    }
    Ok(Query {
        image: Image {
            rows: data.rows() as u16,
            cols: data.cols() as u16,
            pixels: image,
        },
        source: format!("{} #{i}{what}", set.info.query_noun),
    })
}

/// Image `which` of `data` (or one at random), with its label.
fn pick_from(
    data: &Dataset,
    which: Option<u32>,
    noun: &str,
) -> Result<(usize, Vec<u8>, u8), Problem> {
    let i = choose(data.len(), which, noun)?;
    Ok((i, data.image(i).to_vec(), data.label(i)))
}

/// Number `which` of `n` `noun`s, or one at random.
fn choose(n: usize, which: Option<u32>, noun: &str) -> Result<usize, Problem> {
    let i = which.map_or_else(
        || (js_sys::Math::random() * n as f64) as usize % n.max(1),
        |i| i as usize,
    );
    if i >= n {
        return Err(Problem::Unsupported {
            what: format!(
                "There are {} {noun}s: type a whole number from 0 to {}.",
                protocol::thousands(n as u64),
                protocol::thousands(n.saturating_sub(1) as u64)
            ),
        });
    }
    Ok(i)
}
