//! Brute-force search: every item's exact distance. The ground truth the forest is
//! measured against, and the answer for users who want no approximation.

use crate::dataset::Dataset;
use crate::distance::l2_sq;
use crate::neighbors::{Neighbor, TopK};

/// The `k` items of `data` nearest to `query`, nearest first (ties by smaller id).
/// `query` must have `data.dim()` elements.
pub fn search(data: &Dataset, query: &[u8], k: usize) -> Vec<Neighbor> {
    let mut top = TopK::new(k);
    search_into(data, query, &mut top);
    top.as_slice().to_vec()
}

/// As [`search`], into a reusable list whose k is already set.
pub fn search_into(data: &Dataset, query: &[u8], top: &mut TopK) {
    assert_eq!(query.len(), data.dim(), "query length");
    for (id, image) in data.pixels().chunks_exact(data.dim()).enumerate() {
        top.push(Neighbor {
            id: id as u32,
            distance: l2_sq(query, image),
        });
    }
}
