//! Long runs of which only the latest is wanted: an own set's build, a map's layout, a
//! search still fetching its cells, the benchmark. Each kind keeps one [`Runs`]; a run
//! holds the [`Ticket`] it was started with and asks it at every pause whether it is
//! still wanted. Starting a newer run or cancelling makes every older ticket unwanted, so
//! an older run stops at its next pause and drops what it made.
//!
//! Nothing here needs a browser: where a run pauses is its own business, and this only
//! answers "is it still wanted?" and "is one under way?".

use std::cell::Cell;
use std::rc::Rc;

/// One kind of long run: numbers each run as it starts and remembers the latest.
#[derive(Default)]
pub struct Runs {
    latest: Rc<Latest>,
}

/// What every ticket of one kind shares.
#[derive(Default)]
struct Latest {
    /// The latest run's number; a cancel takes a number no run holds.
    number: Cell<u64>,
    /// The latest run is under way: started, neither cancelled nor ended.
    open: Cell<bool>,
}

impl Runs {
    /// Starts a run: every older one is no longer wanted.
    pub fn start(&self) -> Ticket {
        let number = self.latest.number.get() + 1;
        self.latest.number.set(number);
        self.latest.open.set(true);
        Ticket {
            latest: self.latest.clone(),
            number,
        }
    }

    /// Makes every run started so far unwanted, so none is under way any more, though
    /// one may still be winding down to its next pause.
    pub fn cancel(&self) {
        self.latest.number.set(self.latest.number.get() + 1);
        self.latest.open.set(false);
    }

    /// Whether the latest run started is still wanted and has not ended: a newer one
    /// would replace it.
    pub fn under_way(&self) -> bool {
        self.latest.open.get()
    }
}

/// A run's claim to be the latest of its kind, asked at every pause; the run ends when
/// it drops its ticket.
#[must_use = "a run's ticket says whether it is still wanted; dropping it ends the run"]
pub struct Ticket {
    latest: Rc<Latest>,
    number: u64,
}

impl Ticket {
    /// Whether no newer run has started and none was cancelled since this one started.
    pub fn wanted(&self) -> bool {
        self.latest.number.get() == self.number
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        // An older run winding down leaves the newer one under way.
        if self.wanted() {
            self.latest.open.set(false);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_run_is_wanted_until_a_newer_one_starts() {
        let runs = Runs::default();
        let older = runs.start();
        assert!(older.wanted());
        let newer = runs.start();
        assert!(!older.wanted());
        assert!(newer.wanted());
    }

    #[test]
    fn a_cancel_unwants_every_run_and_leaves_none_under_way() {
        let runs = Runs::default();
        let first = runs.start();
        let second = runs.start();
        runs.cancel();
        assert!(!first.wanted() && !second.wanted());
        assert!(!runs.under_way());
    }

    #[test]
    fn a_run_is_under_way_until_its_ticket_is_dropped() {
        let runs = Runs::default();
        assert!(!runs.under_way());
        let ticket = runs.start();
        assert!(runs.under_way());
        drop(ticket);
        assert!(!runs.under_way());
    }

    #[test]
    fn an_older_run_ending_late_leaves_the_newer_one_under_way() {
        let runs = Runs::default();
        let older = runs.start();
        runs.cancel();
        let newer = runs.start();
        drop(older);
        assert!(runs.under_way());
        assert!(newer.wanted());
        drop(newer);
        assert!(!runs.under_way());
    }

    #[test]
    fn a_run_started_after_a_cancel_is_wanted() {
        let runs = Runs::default();
        runs.cancel();
        let ticket = runs.start();
        assert!(ticket.wanted());
        assert!(runs.under_way());
    }
}
