//! The few image filters the ink finder needs, on row-major grey planes of `f32`: block
//! shrinking, box blur and running minimum / maximum. Each costs a constant number of
//! operations a pixel whatever its radius, so a background estimate over a window a sixth
//! of the picture wide stays as cheap as a 3x3 one. (An image-processing crate would bring
//! a decoder stack into the WebAssembly engine for three loops.)

/// A grey plane: `width * height` values, row-major.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Plane {
    pub width: usize,
    pub height: usize,
    pub values: Vec<f32>,
}

impl Plane {
    /// The picture shrunk by `factor` in both directions, each value the mean of the block
    /// of up to `factor x factor` pixels it covers (the last blocks may be cut by the edge).
    pub fn shrink(
        width: usize,
        height: usize,
        factor: usize,
        level: &dyn Fn(usize) -> f32,
    ) -> Plane {
        let (w, h) = (width.div_ceil(factor), height.div_ceil(factor));
        let mut sums = vec![0.0f32; w * h];
        let mut row = vec![0.0f32; w];
        for y in 0..height {
            row.fill(0.0);
            for x in 0..width {
                row[x / factor] += level(y * width + x);
            }
            for (s, r) in sums[(y / factor) * w..][..w].iter_mut().zip(&row) {
                *s += r;
            }
        }
        for (i, s) in sums.iter_mut().enumerate() {
            let bw = factor.min(width - (i % w) * factor);
            let bh = factor.min(height - (i / w) * factor);
            *s /= (bw * bh) as f32;
        }
        Plane {
            width: w,
            height: h,
            values: sums,
        }
    }

    /// Each value the mean of the `(2r+1)^2` square around it, the square cut by the edge.
    pub fn blur(&self, r: usize) -> Plane {
        self.separable(|line, out| {
            let n = line.len();
            let mut sum: f32 = line[..(r + 1).min(n)].iter().sum();
            for (i, o) in out.iter_mut().enumerate() {
                let (lo, hi) = (i.saturating_sub(r), (i + r + 1).min(n));
                *o = sum / (hi - lo) as f32;
                if i + r + 1 < n {
                    sum += line[i + r + 1];
                }
                if i >= r {
                    sum -= line[i - r];
                }
            }
        })
    }

    /// Each value the minimum (`largest` false) or maximum of the `(2r+1)^2` square
    /// around it: erosion and dilation with a square.
    pub fn spread(&self, r: usize, largest: bool) -> Plane {
        let beats = move |a: f32, b: f32| if largest { a >= b } else { a <= b };
        self.separable(move |line, out| {
            // A queue of indices whose values only get worse towards the back: its front
            // is the extreme of the window (the monotonic-queue running extreme).
            let mut queue = std::collections::VecDeque::with_capacity(2 * r + 2);
            let n = line.len();
            let mut next = 0;
            for (i, o) in out.iter_mut().enumerate() {
                while next < n && next <= i + r {
                    while queue.back().is_some_and(|&j| beats(line[next], line[j])) {
                        queue.pop_back();
                    }
                    queue.push_back(next);
                    next += 1;
                }
                while queue.front().is_some_and(|&j| j + r < i) {
                    queue.pop_front();
                }
                *o = line[queue[0]];
            }
        })
    }

    /// Each value the largest of the minima of the `(2r+1)^2` squares that hold it: what
    /// is left when everything higher than its surroundings and narrower than the square
    /// is taken away (a morphological opening). Slopes and wide steps are kept, also at
    /// the edge: the plane is first extended by its edge values, since a slope rising
    /// towards an edge would otherwise be cut short there.
    pub fn opening(&self, r: usize) -> Plane {
        let (w, h) = (self.width, self.height);
        let (pw, ph) = (w + 2 * r, h + 2 * r);
        let padded = Plane {
            width: pw,
            height: ph,
            values: (0..pw * ph)
                .map(|i| {
                    let x = (i % pw).saturating_sub(r).min(w - 1);
                    let y = (i / pw).saturating_sub(r).min(h - 1);
                    self.values[y * w + x]
                })
                .collect(),
        };
        let open = padded.spread(r, false).spread(r, true);
        Plane {
            width: w,
            height: h,
            values: (0..w * h)
                .map(|i| open.values[(i / w + r) * pw + i % w + r])
                .collect(),
        }
    }

    /// Applies a one-dimensional filter along every row, then along every column.
    fn separable(&self, filter: impl Fn(&[f32], &mut [f32])) -> Plane {
        let (w, h) = (self.width, self.height);
        let mut across = vec![0.0f32; w * h];
        for (src, dst) in self.values.chunks_exact(w).zip(across.chunks_exact_mut(w)) {
            filter(src, dst);
        }
        let mut column = vec![0.0f32; h];
        let mut filtered = vec![0.0f32; h];
        let mut out = vec![0.0f32; w * h];
        for x in 0..w {
            for y in 0..h {
                column[y] = across[y * w + x];
            }
            filter(&column, &mut filtered);
            for y in 0..h {
                out[y * w + x] = filtered[y];
            }
        }
        Plane {
            width: w,
            height: h,
            values: out,
        }
    }
}

/// The value below which `share` of `values` lie (a copy is partly sorted).
pub(super) fn quantile(values: &[f32], share: f64) -> f32 {
    let mut v = values.to_vec();
    let at = ((v.len() - 1) as f64 * share).round() as usize;
    *v.select_nth_unstable_by(at, f32::total_cmp).1
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plane(width: usize, height: usize, values: Vec<f32>) -> Plane {
        Plane {
            width,
            height,
            values,
        }
    }

    /// The same filters written the slow way, square by square.
    fn naive(p: &Plane, r: usize, f: impl Fn(&[f32]) -> f32) -> Vec<f32> {
        (0..p.width * p.height)
            .map(|i| {
                let (x, y) = (i % p.width, i / p.width);
                let square: Vec<f32> = (y.saturating_sub(r)..(y + r + 1).min(p.height))
                    .flat_map(|yy| {
                        (x.saturating_sub(r)..(x + r + 1).min(p.width))
                            .map(move |xx| p.values[yy * p.width + xx])
                    })
                    .collect();
                f(&square)
            })
            .collect()
    }

    #[test]
    fn running_filters_agree_with_the_slow_way() {
        let values: Vec<f32> = (0..13 * 9).map(|i| ((i * 7919) % 101) as f32).collect();
        let p = plane(13, 9, values);
        for r in [0, 1, 2, 5, 20] {
            let max = naive(&p, r, |s| s.iter().copied().fold(f32::MIN, f32::max));
            let min = naive(&p, r, |s| s.iter().copied().fold(f32::MAX, f32::min));
            assert_eq!(p.spread(r, true).values, max, "max r {r}");
            assert_eq!(p.spread(r, false).values, min, "min r {r}");
            // A square cut by the edge is still a rectangle: the mean of row means is its mean.
            let mean = naive(&p, r, |s| s.iter().sum::<f32>() / s.len() as f32);
            for (i, (a, b)) in p.blur(r).values.iter().zip(&mean).enumerate() {
                assert!((a - b).abs() < 1e-3, "mean r {r} at {i}: {a} vs {b}");
            }
        }
    }

    #[test]
    fn an_opening_removes_narrow_peaks_and_keeps_slopes_to_the_edge() {
        // A slope rising to the right edge with a narrow peak on it.
        let mut values: Vec<f32> = (0..40 * 5).map(|i| (i % 40) as f32).collect();
        for y in 0..5 {
            values[y * 40 + 30] += 100.0;
        }
        let open = plane(40, 5, values).opening(3);
        for (i, &v) in open.values.iter().enumerate() {
            // The peak takes its neighbours' level.
            let slope = if i % 40 == 30 { 31.0 } else { (i % 40) as f32 };
            assert_eq!(v, slope, "at {i}");
        }
    }

    #[test]
    fn shrinking_averages_blocks_cut_by_the_edge() {
        let values: Vec<f32> = (0..5 * 3).map(|i| i as f32).collect();
        let s = Plane::shrink(5, 3, 2, &|i| values[i]);
        assert_eq!((s.width, s.height), (3, 2));
        // Blocks: {0,1,5,6} {2,3,7,8} {4,9} / {10,11} {12,13} {14}.
        assert_eq!(s.values, vec![3.0, 5.0, 6.5, 10.5, 12.5, 14.0]);
    }
}
