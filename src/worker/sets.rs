//! Which set is searched, and switching between them: MNIST by parts as soon as its roots
//! are read, the whole of MNIST once it has downloaded in the background, an own set once
//! it is built, and MNIST again when the page goes back to it.

use std::cell::RefCell;
use std::rc::Rc;

use super::messages::{busy, fail, post};
use super::remote::Remote;
use super::set::Set;
use super::{layout, map, own, pick, search};
use crate::protocol::{FromWorker, Problem, SetInfo, Task};
use ssam::Dataset;

/// The sets this worker holds.
#[derive(Default)]
struct Sets {
    /// The set searched when it is whole here (None: MNIST by parts, or nothing yet).
    current: Option<Rc<Set>>,
    /// MNIST searched by parts, until its whole set is here.
    remote: Option<Rc<Remote>>,
    /// The shipped MNIST set, kept when an own set replaces it, to go back to.
    shipped: Option<Rc<Set>>,
    /// MNIST's test digits, fetched when pick or the benchmark first needs them.
    test: Option<Rc<Dataset>>,
    /// The whole background download has begun.
    background: bool,
}

thread_local! {
    static SETS: RefCell<Sets> = RefCell::new(Sets::default());
}

/// The set searched, when it is whole here.
pub fn current() -> Option<Rc<Set>> {
    SETS.with_borrow(|s| s.current.clone())
}

/// The set searched whole, and MNIST by parts: a search or a "why" is answered by the
/// first there is.
pub fn searched() -> (Option<Rc<Set>>, Option<Rc<Remote>>) {
    SETS.with_borrow(|s| (s.current.clone(), s.remote.clone()))
}

/// MNIST's test digits, when all of them are here.
pub fn test() -> Option<Rc<Dataset>> {
    SETS.with_borrow(|s| s.test.clone())
}

/// Reads the roots of MNIST (or of the streamed set at `root`), says the set is ready
/// to search by parts, and answers a search that waited.
pub fn open(root: Option<String>) {
    wasm_bindgen_futures::spawn_local(async {
        let remote = match Remote::open(root).await {
            Ok(remote) => Rc::new(remote),
            Err(p) => return fail(Task::Load, p),
        };
        post(&FromWorker::Ready(remote.info.clone()));
        pick::fetch_first(&remote);
        let here = remote.all_here();
        let shipped = remote.shipped();
        SETS.with_borrow_mut(|s| s.remote = Some(remote));
        // A former visit kept everything: no first result to wait for.
        if here && shipped {
            background();
        }
        search::answer_waiting();
    });
}

/// Downloads the whole of MNIST in the background (once), then searches it whole.
pub fn background() {
    let Some(remote) = SETS.with_borrow_mut(|s| {
        let shipped = s.remote.as_ref().is_some_and(|r| r.shipped());
        if !shipped || std::mem::replace(&mut s.background, true) {
            None
        } else {
            s.remote.clone()
        }
    }) else {
        return;
    };
    wasm_bindgen_futures::spawn_local(async move {
        match remote.whole().await {
            Ok((set, test)) => {
                let set = Rc::new(set);
                let on_mnist = SETS.with_borrow_mut(|s| {
                    s.shipped = Some(set.clone());
                    s.test.get_or_insert(Rc::new(test));
                    s.current.is_none()
                });
                let map = map::take_wanted();
                if on_mnist {
                    ready(set.clone());
                    if map {
                        map::send(set);
                    }
                }
                // Only now: until the whole set answers, a "why" of a hit found by parts
                // needs its cell.
                remote.release();
            }
            // Searching by parts goes on; the page says what failed.
            Err(p) => fail(Task::Load, p),
        }
    });
}

/// Makes `set` the one searched, tells the page, and answers a search that waited.
pub fn ready(set: Rc<Set>) {
    post(&FromWorker::Ready(set.info.clone()));
    SETS.with_borrow_mut(|s| s.current = Some(set));
    // A layout of the set searched before is of no use any more.
    layout::cancel();
    search::answer_waiting();
}

/// Goes back to MNIST: whole when it is here, else by parts. Whatever own set is being
/// built or laid out is not wanted any more.
pub fn use_shipped() {
    own::cancel();
    layout::cancel();
    let (shipped, remote) = SETS.with_borrow(|s| (s.shipped.clone(), s.remote.clone()));
    let (info, whole) = match (shipped, remote) {
        (Some(set), _) => (set.info.clone(), Some(set)),
        (None, Some(remote)) => (remote.info.clone(), None),
        (None, None) => return fail(Task::OwnSet, busy("MNIST is still loading")),
    };
    // Its loading times were the first load's: they say nothing now.
    let info = SetInfo {
        stages: Vec::new(),
        ..info
    };
    post(&FromWorker::Ready(info));
    SETS.with_borrow_mut(|s| s.current = whole);
}

/// MNIST's test digits, fetched once.
pub async fn test_digits() -> Result<Rc<Dataset>, Problem> {
    if let Some(t) = test() {
        return Ok(t);
    }
    let remote = SETS
        .with_borrow(|s| s.remote.clone())
        .ok_or_else(|| busy("the data are still loading"))?;
    let t = Rc::new(remote.test_digits().await?);
    SETS.with_borrow_mut(|s| s.test = Some(t.clone()));
    Ok(t)
}
