//! Which items the current query has measured, shared by the forest and the graph stages
//! so that an item the forest found is not measured again by the graph.

/// `stamps[id] == epoch` means visited. A new query only increments `epoch`, so the
/// marks never need clearing.
#[derive(Debug, Default)]
pub(crate) struct Visited {
    stamps: Vec<u32>,
    epoch: u32,
}

impl Visited {
    /// Forgets every mark, for a query over `items` items.
    pub(crate) fn begin(&mut self, items: usize) {
        if self.stamps.len() != items {
            self.stamps = vec![0; items];
            self.epoch = 0;
        }
        self.epoch = self.epoch.wrapping_add(1);
        if self.epoch == 0 {
            self.stamps.fill(0);
            self.epoch = 1;
        }
    }

    /// Marks `id`; true when it was not marked yet in this query.
    #[inline]
    pub(crate) fn visit(&mut self, id: u32) -> bool {
        let stamp = &mut self.stamps[id as usize];
        let first = *stamp != self.epoch;
        *stamp = self.epoch;
        first
    }
}
