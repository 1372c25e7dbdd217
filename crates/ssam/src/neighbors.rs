//! A found neighbour and the running list of the best k, shared by exact and forest search.

/// One search result: a training item and its squared euclidean distance to the query.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Neighbor {
    /// Squared euclidean distance (exact, in pixel units squared). First, so that
    /// neighbours order by distance, then by id.
    pub distance: u32,
    /// Index of the item in the dataset.
    pub id: u32,
}

impl Neighbor {
    /// Euclidean distance, as people and ann-benchmarks report it.
    pub fn euclidean(&self) -> f64 {
        f64::from(self.distance).sqrt()
    }
}

/// The k nearest seen so far, kept sorted: k is small (tens), so insertion into a sorted
/// array beats a heap, and the result needs no final sort.
#[derive(Debug, Clone, Default)]
pub struct TopK {
    k: usize,
    items: Vec<Neighbor>,
}

impl TopK {
    /// An empty list that will keep at most `k` neighbours.
    pub fn new(k: usize) -> Self {
        TopK {
            k,
            items: Vec::with_capacity(k + 1),
        }
    }

    /// Empties the list and sets a new k, keeping the allocation.
    pub fn reset(&mut self, k: usize) {
        self.k = k;
        self.items.clear();
        self.items.reserve(k + 1);
    }

    /// The distance a new item must beat (or tie with a smaller id) to enter.
    #[inline]
    pub fn bound(&self) -> u32 {
        if self.items.len() < self.k {
            u32::MAX
        } else {
            self.items[self.k - 1].distance
        }
    }

    /// Offers a candidate; it stays when it is among the k best by (distance, id).
    #[inline]
    pub fn push(&mut self, candidate: Neighbor) {
        if self.k == 0 || (self.items.len() == self.k && candidate >= self.items[self.k - 1]) {
            return;
        }
        let at = self.items.partition_point(|n| *n < candidate);
        self.items.insert(at, candidate);
        self.items.truncate(self.k);
    }

    /// The neighbours, nearest first.
    pub fn as_slice(&self) -> &[Neighbor] {
        &self.items
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_k_smallest_in_order_with_ties_by_id() {
        let mut t = TopK::new(3);
        for (id, d) in [(0, 9), (1, 4), (2, 7), (3, 4), (4, 1), (5, 7)] {
            t.push(Neighbor { id, distance: d });
        }
        let got: Vec<(u32, u32)> = t.as_slice().iter().map(|n| (n.id, n.distance)).collect();
        assert_eq!(got, [(4, 1), (1, 4), (3, 4)]);
        assert_eq!(t.bound(), 4);
    }
}
