//! The direction of a split, kept sparse: of `p - q`, only the pixels where the two
//! items differ most. A query then needs a few dozen multiplications, reading nothing
//! but itself and one small record, instead of the two full rows `p` and `q` from
//! memory, which made splits cost as much as candidates. The direction is derived from
//! `p` and `q` the same way when building and when loading, so the file stores only the
//! pair.

use crate::distance::MAX_DIM;

/// Pixels kept per direction.
pub const TERMS: usize = 32;

/// `sum(x[index[i]] * weight[i])` is the projection of `x`; unused terms weigh 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Direction {
    index: [u16; TERMS],
    weight: [i16; TERMS],
}

impl Direction {
    /// The `TERMS` largest differences of `p - q` (ties to the lower pixel), in pixel order.
    pub fn between(p: &[u8], q: &[u8]) -> Direction {
        debug_assert!(p.len() == q.len() && p.len() <= MAX_DIM);
        // Counting, not sorting: differences are bytes, so a histogram finds the
        // smallest difference that makes the cut. Building calls this once per node.
        let mut counts = [0usize; 256];
        for (&a, &b) in p.iter().zip(q) {
            counts[usize::from(a.abs_diff(b))] += 1;
        }
        let (mut cut, mut above) = (255usize, 0usize);
        while cut > 0 && above + counts[cut] < TERMS {
            above += counts[cut];
            cut -= 1;
        }
        // Every difference above `cut` is kept, then the first pixels at `cut` fill up.
        let mut at_cut = TERMS.saturating_sub(above);
        let mut d = Direction {
            index: [0; TERMS],
            weight: [0; TERMS],
        };
        let mut slot = 0;
        for (j, (&a, &b)) in p.iter().zip(q).enumerate() {
            let diff = usize::from(a.abs_diff(b));
            let keep = diff > cut || (diff == cut && at_cut > 0);
            if keep && slot < TERMS {
                if diff == cut {
                    at_cut -= 1;
                }
                d.index[slot] = j as u16;
                d.weight[slot] = i16::from(a) - i16::from(b);
                slot += 1;
            }
        }
        d
    }

    /// The projection of `x` (at most `TERMS * 255 * 255`, so it fits an `i32`).
    #[inline]
    pub fn project(&self, x: &[u8]) -> i32 {
        self.index
            .iter()
            .zip(&self.weight)
            .map(|(&j, &w)| i32::from(x[j as usize]) * i32::from(w))
            .sum()
    }

    /// The projection of the midpoint of `p` and `q` (rounded down): the bisector.
    pub fn midpoint(&self, p: &[u8], q: &[u8]) -> i32 {
        (i64::from(self.project(p)) + i64::from(self.project(q))).div_euclid(2) as i32
    }

    /// Euclidean length of the direction; 0 when `p` and `q` are the same.
    pub fn length(&self) -> f32 {
        (self
            .weight
            .iter()
            .map(|&w| i64::from(w) * i64::from(w))
            .sum::<i64>() as f32)
            .sqrt()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_largest_differences_and_projects_exactly_on_them() {
        let mut p = vec![0u8; 100];
        let q = vec![0u8; 100];
        for j in 0..40 {
            p[j * 2] = (j + 1) as u8;
        }
        let d = Direction::between(&p, &q);
        // The 32 largest differences are pixels 16, 18, ..., 78.
        let x: Vec<u8> = (0..100)
            .map(|j| if j % 2 == 0 && j >= 16 { 1 } else { 0 })
            .collect();
        assert_eq!(d.project(&x), (9..=40).sum::<i32>());
        assert_eq!(d.project(&q), 0);
        assert_eq!(d.midpoint(&p, &q), (9..=40).map(|v| v * v).sum::<i32>() / 2);
    }

    #[test]
    fn counting_selects_what_sorting_would() {
        use rand::{RngExt, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(5);
        for round in 0..200 {
            // Few distinct values, so that ties at the cut are common.
            let levels = [2u8, 16, 255][round % 3];
            let p: Vec<u8> = (0..784).map(|_| rng.random_range(0..=levels)).collect();
            let q: Vec<u8> = (0..784).map(|_| rng.random_range(0..=levels)).collect();
            let mut order: Vec<usize> = (0..784).collect();
            order.sort_by_key(|&j| (std::cmp::Reverse(p[j].abs_diff(q[j])), j));
            let mut want: Vec<usize> = order[..TERMS].to_vec();
            want.sort_unstable();
            let d = Direction::between(&p, &q);
            let got: Vec<usize> = d.index.iter().map(|&j| j as usize).collect();
            assert_eq!(got, want, "round {round}");
        }
    }

    #[test]
    fn identical_items_give_a_zero_direction() {
        let p = vec![7u8; 784];
        assert_eq!(Direction::between(&p, &p).length(), 0.0);
    }
}
