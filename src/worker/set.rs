//! A set searched whole, here: its index with what the page shows of it, and what pick
//! and the benchmark draw on.

use std::cell::RefCell;
use std::rc::Rc;

use wasm_bindgen::JsCast;

use super::own::Names;
use crate::protocol::SetInfo;
use ssam::truth::KthDistances;
use ssam::{Dataset, Effort, Index, Space};

/// The set searched, with what the page needs to show it.
pub struct Set {
    pub index: Index,
    pub info: SetInfo,
    /// Own sets: the images pick and the benchmark use, held out of the index (None: a
    /// set too small to hold any out).
    pub own_queries: Option<Dataset>,
    /// The benchmark's exact k-th distances, once known.
    pub truth: RefCell<Option<Rc<(Dataset, KthDistances)>>>,
    /// Own sets: each image named by the user's file (None: MNIST).
    pub names: Option<Names>,
}

impl Set {
    /// `index` with `info` completed from it: what the index tells is read here, the
    /// loaders give the rest.
    pub fn new(index: Index, mut info: SetInfo, own_queries: Option<Dataset>) -> Set {
        let (space, deskewed, side, shift) = SetInfo::space_fields(index.space());
        let data = index.originals();
        info.items = data.len() as u32;
        info.rows = data.rows() as u16;
        info.cols = data.cols() as u16;
        info.space = space;
        info.deskewed = deskewed;
        info.searched_side = side;
        info.shift = shift;
        info.trees = index.forest().tree_count() as u32;
        info.graph = index.graph().is_some();
        info.default = Effort::default_for(&index).into();
        info.memory_mb = memory_mb();
        if info.own {
            info.queries = own_queries.as_ref().map_or(0, |q| q.len() as u32);
        }
        Set {
            index,
            info,
            own_queries,
            truth: RefCell::new(None),
            names: None,
        }
    }

    /// Indexed image `id`'s label, when the set has labels.
    pub fn label(&self, id: usize) -> Option<u8> {
        self.info.labelled.then(|| self.index.originals().label(id))
    }

    /// The searched size of a `Space`'s output, as rows and columns.
    pub fn searched_shape(&self) -> (u16, u16) {
        match self.index.space() {
            Space::Raw => (self.info.rows, self.info.cols),
            Space::Deskew { side, .. } => (u16::from(side), u16::from(side)),
        }
    }
}

/// Megabytes of WebAssembly memory this worker holds.
pub fn memory_mb() -> f64 {
    wasm_bindgen::memory()
        .dyn_into::<js_sys::WebAssembly::Memory>()
        .map(|m| {
            m.buffer()
                .unchecked_into::<js_sys::ArrayBuffer>()
                .byte_length() as f64
                / 1e6
        })
        .unwrap_or(0.0)
}
