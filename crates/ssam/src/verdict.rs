//! Which digit the nearest images say the query is, and how sure they are.
//!
//! A vote of the nearest, each weighted by how close it is relative to the nearest one:
//! a neighbour twice as far as the nearest counts far less, so one close match outweighs
//! several distant ones, while near ties share the say. The verdict names a label only
//! when it carries most of the weight; otherwise the nearest disagree and the page says
//! so, with the two labels in question, rather than naming a digit with false confidence.

use crate::neighbors::Neighbor;

/// Neighbours that vote.
pub const VOTERS: usize = 5;
/// Share of the weight a label needs for the verdict to name it.
pub const SURE: f64 = 0.75;
/// How steeply a neighbour's weight falls with its distance relative to the nearest:
/// weight `exp(-FALLOFF * (d / d_nearest - 1))`.
const FALLOFF: f64 = 4.0;

/// What the nearest images say.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Verdict {
    /// The label with the most weight (ties: the nearest's).
    pub label: u8,
    /// Its share of the weight, 0 to 1.
    pub support: f64,
    /// The label with the next most weight and its share, when another label has any.
    pub runner_up: Option<(u8, f64)>,
}

impl Verdict {
    /// True when the label carries enough of the weight to be named as the answer.
    pub fn sure(&self) -> bool {
        self.support >= SURE
    }
}

/// The verdict of the first [`VOTERS`] of `neighbors` (nearest first); None without
/// neighbours.
pub fn verdict(neighbors: &[Neighbor], label_of: impl Fn(u32) -> u8) -> Option<Verdict> {
    let voters = &neighbors[..neighbors.len().min(VOTERS)];
    let nearest = f64::from(voters.first()?.distance).max(1.0);
    let mut weight = [0.0f64; 256];
    let mut first = [usize::MAX; 256];
    for (rank, n) in voters.iter().enumerate() {
        let label = usize::from(label_of(n.id));
        let relative = f64::from(n.distance).max(1.0) / nearest;
        weight[label] += (-FALLOFF * (relative - 1.0)).exp();
        first[label] = first[label].min(rank);
    }
    let total: f64 = weight.iter().sum();
    let mut ranked: Vec<usize> = (0..256).filter(|&l| weight[l] > 0.0).collect();
    ranked.sort_by(|&a, &b| {
        weight[b]
            .total_cmp(&weight[a])
            .then(first[a].cmp(&first[b]))
    });
    let label = ranked[0];
    Some(Verdict {
        label: label as u8,
        support: weight[label] / total,
        runner_up: ranked.get(1).map(|&l| (l as u8, weight[l] / total)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(id: u32, distance: u32) -> Neighbor {
        Neighbor { id, distance }
    }

    #[test]
    fn one_close_match_outweighs_several_far_ones() {
        // id = label here.
        let v = verdict(&[n(7, 100), n(1, 300), n(1, 310), n(1, 320)], |id| id as u8).unwrap();
        assert_eq!(v.label, 7);
        assert!(v.sure(), "{v:?}");
        assert_eq!(v.runner_up.map(|r| r.0), Some(1));
    }

    #[test]
    fn near_ties_between_two_labels_are_not_sure() {
        let v = verdict(&[n(4, 100), n(9, 102), n(4, 104), n(9, 106)], |id| id as u8).unwrap();
        assert_eq!(v.label, 4);
        assert!(!v.sure(), "{v:?}");
        let (other, share) = v.runner_up.unwrap();
        assert_eq!(other, 9);
        assert!((v.support + share - 1.0).abs() < 1e-9);
    }

    #[test]
    fn agreement_is_sure_and_nothing_is_none() {
        let v = verdict(&[n(3, 0), n(3, 0), n(3, 5)], |id| id as u8).unwrap();
        assert_eq!((v.label, v.support, v.runner_up), (3, 1.0, None));
        assert!(verdict(&[], |_| 0).is_none());
        // Only the first VOTERS vote.
        let many: Vec<Neighbor> = (0..VOTERS as u32)
            .map(|i| n(2, 100 + i))
            .chain([n(5, 100)])
            .collect();
        assert_eq!(verdict(&many, |id| id as u8).unwrap().support, 1.0);
    }
}
