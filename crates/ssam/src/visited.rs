//! Which items the current query has measured, shared by the forest and the graph stages
//! so that an item the forest found is not measured again by the graph.

/// One bit per item. A query clears them all (an eighth of a byte per item), and in
/// return the marks of a whole dataset sit in the nearest cache, where a walk checks
/// each neighbour it meets.
#[derive(Debug, Default)]
pub(crate) struct Visited {
    bits: Vec<u64>,
}

impl Visited {
    /// Forgets every mark, for a query over `items` items.
    pub(crate) fn begin(&mut self, items: usize) {
        self.bits.clear();
        self.bits.resize(items.div_ceil(64), 0);
    }

    /// Marks `id`; true when it was not marked yet in this query.
    #[inline]
    pub(crate) fn visit(&mut self, id: u32) -> bool {
        let (word, bit) = (&mut self.bits[id as usize / 64], 1u64 << (id % 64));
        let first = *word & bit == 0;
        *word |= bit;
        first
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_item_is_new_once_per_query_and_queries_forget_each_other() {
        let mut visited = Visited::default();
        for items in [1, 63, 64, 65, 1000, 1000, 10] {
            visited.begin(items);
            for id in (0..items as u32).rev() {
                assert!(visited.visit(id), "{id} of {items}, first visit");
            }
            for id in 0..items as u32 {
                assert!(!visited.visit(id), "{id} of {items}, second visit");
            }
        }
    }
}
