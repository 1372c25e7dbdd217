//! The map as the page asks for it: the set's map, pictures of its points, and an own
//! set's layout with its progress and Cancel.

use leptos::prelude::*;

use super::link::Link;
use crate::protocol::{Images, LayoutProgress, MapFile, Problem, ToWorker};

/// An own set's map as the page knows it: laid out only when the user asks.
#[derive(Debug, Clone, Default, PartialEq)]
pub enum OwnMap {
    /// Not asked for this set.
    #[default]
    None,
    Running(LayoutProgress),
    /// Cancel was pressed; the worker has not said it stopped yet.
    Cancelling,
    Cancelled,
    Failed(Problem),
    /// Laid out in `ms` milliseconds.
    Done {
        map: MapFile,
        ms: f64,
    },
}

/// Asks for maps, pictures and layouts; holds what came.
#[derive(Clone, Copy)]
pub struct Maps {
    link: Link,
    /// The set's map once fetched, or why there is none.
    map: ReadSignal<Option<Result<MapFile, Problem>>>,
    set_map: WriteSignal<Option<Result<MapFile, Problem>>>,
    /// The latest pictures asked for.
    images: ReadSignal<Option<Images>>,
    set_images: WriteSignal<Option<Images>>,
    own_map: ReadSignal<OwnMap>,
    set_own_map: WriteSignal<OwnMap>,
}

impl Maps {
    pub(super) fn new(link: Link) -> Maps {
        let (map, set_map) = signal(None);
        let (images, set_images) = signal(None);
        let (own_map, set_own_map) = signal(OwnMap::None);
        Maps {
            link,
            map,
            set_map,
            images,
            set_images,
            own_map,
            set_own_map,
        }
    }

    /// The set's map once fetched, or why there is none.
    pub fn map(self) -> ReadSignal<Option<Result<MapFile, Problem>>> {
        self.map
    }

    /// The latest pictures of points asked for.
    pub fn images(self) -> ReadSignal<Option<Images>> {
        self.images
    }

    /// The own set's map, when one is asked for.
    pub fn own_map(self) -> ReadSignal<OwnMap> {
        self.own_map
    }

    /// Asks for the current set's map; it arrives in [`Maps::map`].
    pub fn fetch(self) {
        self.link.post(&ToWorker::Map, &[]);
    }

    /// Asks for training images by id; they arrive in [`Maps::images`].
    pub fn ask_images(self, ids: Vec<u32>) {
        self.link.post(&ToWorker::Images { ids }, &[]);
    }

    /// Lays out a map of the own set searched now; it arrives in [`Maps::own_map`].
    pub fn lay_out(self) {
        self.set_own_map
            .set(OwnMap::Running(LayoutProgress::Neighbours {
                done: 0,
                of: 0,
            }));
        self.link.post(&ToWorker::LayOut, &[]);
    }

    /// Stops the own set's layout under way.
    pub fn cancel_layout(self) {
        self.set_own_map.set(OwnMap::Cancelling);
        self.link.post(&ToWorker::CancelLayout, &[]);
    }

    /// The own set's layout failed (in the worker, or its map could not be read here).
    pub fn layout_failed(self, problem: Problem) {
        self.set_own_map.set(OwnMap::Failed(problem));
    }

    pub(super) fn received(self, map: Result<MapFile, Problem>) {
        self.set_map.set(Some(map));
    }

    pub(super) fn received_images(self, images: Images) {
        self.set_images.set(Some(images));
    }

    /// Progress that crossed a Cancel on its way is not shown.
    pub(super) fn layout_progress(self, p: LayoutProgress) {
        if matches!(self.own_map.get_untracked(), OwnMap::Running(_)) {
            self.set_own_map.set(OwnMap::Running(p));
        }
    }

    pub(super) fn laid_out(self, map: MapFile, ms: f64) {
        self.set_own_map.set(OwnMap::Done { map, ms });
    }

    /// A layout that ended just before the Cancel reached the worker is shown.
    pub(super) fn layout_cancelled(self) {
        if self.own_map.get_untracked() == OwnMap::Cancelling {
            self.set_own_map.set(OwnMap::Cancelled);
        }
    }

    /// Another set, or another worker: the layout of the one before is dropped.
    pub(super) fn forget_layout(self) {
        self.set_own_map.set(OwnMap::None);
    }
}
