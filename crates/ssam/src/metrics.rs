//! How good an answer is: recall@k as ann-benchmarks defines it, 1-NN label accuracy and
//! the k-NN vote. One implementation for the CLI, the tests and the app.

use crate::neighbors::Neighbor;

/// Slack ann-benchmarks allows on euclidean distances when counting recall.
pub const RECALL_EPSILON: f64 = 1e-3;

/// Recall@k of `found` against the true `k` nearest `truth` (sorted, nearest first): the
/// share of the first `k` found whose euclidean distance is at most the true k-th
/// distance plus [`RECALL_EPSILON`]. Ties at the k-th distance count, as in
/// ann-benchmarks, so any correct answer scores 1.
pub fn recall(truth: &[Neighbor], found: &[Neighbor], k: usize) -> f64 {
    match k {
        0 => 1.0,
        _ if truth.len() < k => f64::NAN,
        _ => recall_from_kth(truth[k - 1].distance, found, k),
    }
}

/// Recall@k knowing only the true k-th nearest squared distance, which is all the
/// definition uses.
pub fn recall_from_kth(kth_distance: u32, found: &[Neighbor], k: usize) -> f64 {
    if k == 0 {
        return 1.0;
    }
    let limit = f64::from(kth_distance).sqrt() + RECALL_EPSILON;
    let hits = found
        .iter()
        .take(k)
        .filter(|n| n.euclidean() <= limit)
        .count();
    hits as f64 / k as f64
}

/// The predicted digit by majority vote of the neighbours' labels, and its share of the
/// votes. Ties go to the label of the nearest neighbour among the tied. None without
/// neighbours.
pub fn vote(neighbors: &[Neighbor], label_of: impl Fn(u32) -> u8) -> Option<(u8, f64)> {
    let mut counts = [0usize; 256];
    let mut first = [usize::MAX; 256];
    for (rank, n) in neighbors.iter().enumerate() {
        let l = usize::from(label_of(n.id));
        counts[l] += 1;
        first[l] = first[l].min(rank);
    }
    let best = (0..256)
        .filter(|&l| counts[l] > 0)
        .max_by_key(|&l| (counts[l], std::cmp::Reverse(first[l])))?;
    Some((best as u8, counts[best] as f64 / neighbors.len() as f64))
}

/// Running means of the per-query measures over a query set.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Tally {
    /// Queries counted.
    pub queries: usize,
    recall_sum: f64,
    nearest_right: usize,
    vote_right: usize,
}

impl Tally {
    /// Counts one query: its true neighbours, what was found, and its true label.
    pub fn add(
        &mut self,
        truth: &[Neighbor],
        found: &[Neighbor],
        k: usize,
        label: u8,
        label_of: impl Fn(u32) -> u8,
    ) {
        self.queries += 1;
        self.recall_sum += recall(truth, found, k);
        self.nearest_right += usize::from(found.first().is_some_and(|n| label_of(n.id) == label));
        self.vote_right += usize::from(
            vote(&found[..found.len().min(k)], label_of).is_some_and(|(l, _)| l == label),
        );
    }

    /// Mean recall@k.
    pub fn recall(&self) -> f64 {
        self.recall_sum / self.queries as f64
    }

    /// Share of queries whose nearest found neighbour has the query's label.
    pub fn accuracy_1nn(&self) -> f64 {
        self.nearest_right as f64 / self.queries as f64
    }

    /// Share of queries whose k-NN vote gives the query's label.
    pub fn accuracy_vote(&self) -> f64 {
        self.vote_right as f64 / self.queries as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(id: u32, distance: u32) -> Neighbor {
        Neighbor { id, distance }
    }

    #[test]
    fn recall_counts_ties_at_the_kth_distance_and_nothing_farther() {
        let truth = [n(0, 1), n(1, 4), n(2, 9)];
        assert_eq!(recall(&truth, &[n(0, 1), n(1, 4), n(2, 9)], 3), 1.0);
        // Another item at the same distance as the third counts.
        assert_eq!(recall(&truth, &[n(0, 1), n(1, 4), n(7, 9)], 3), 1.0);
        assert_eq!(recall(&truth, &[n(0, 1), n(7, 16), n(8, 25)], 3), 1.0 / 3.0);
        assert_eq!(recall(&truth, &[n(0, 1)], 3), 1.0 / 3.0);
        // sqrt(9) + 1e-3 lets through nothing at squared distance 10.
        assert_eq!(recall(&truth, &[n(0, 1), n(1, 4), n(7, 10)], 3), 2.0 / 3.0);
    }

    #[test]
    fn vote_takes_the_majority_and_breaks_ties_by_nearest() {
        let labels = [3u8, 5, 5, 3, 1];
        let of = |id: u32| labels[id as usize];
        assert_eq!(vote(&[n(0, 1), n(1, 2), n(2, 3)], of), Some((5, 2.0 / 3.0)));
        assert_eq!(
            vote(&[n(1, 1), n(0, 2), n(3, 3), n(2, 4)], of),
            Some((5, 0.5))
        );
        assert_eq!(vote(&[], of), None);
    }

    #[test]
    fn tally_averages() {
        let labels = [1u8, 2];
        let of = |id: u32| labels[id as usize];
        let mut t = Tally::default();
        t.add(&[n(0, 1)], &[n(0, 1)], 1, 1, of);
        t.add(&[n(0, 1)], &[n(1, 5)], 1, 1, of);
        assert_eq!(
            (t.recall(), t.accuracy_1nn(), t.accuracy_vote()),
            (0.5, 0.5, 0.5)
        );
    }
}
