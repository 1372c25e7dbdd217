//! The map: every training item as a point in the plane (laid out by [`crate::layout`]),
//! its file, the points nearest a place, and where a query lands among them.
//!
//! ```text
//! offset  size  field
//!      0    28  the envelope (crate::envelope): magic "SSAMMAP\0", format version,
//!               xxh3-64 of the length and the body, length of the body; numbers are
//!               little-endian, here as there
//!     28     4  items
//!     32     8  fingerprint of the original images the layout was made from
//!     40     2  width             42  2  height
//!     44        x of every item (u16), in item order, then y of every item
//! ```
//!
//! Coordinates are whole units of a grid of `width` x `height` (the longer side 65,535),
//! so a point costs 4 bytes and the file is shipped gzipped. Reading checks, in order:
//! the envelope (magic, version, length, checksum), that the map was made for these
//! images, and that every point lies within the declared bounds.

use std::io::Write;

use flate2::{Compression, write::GzEncoder};

use crate::envelope::{self, Envelope, FileKind};
use crate::error::{Error, Result};
use crate::gzip;
use crate::neighbors::Neighbor;

/// First bytes of every map file.
pub const MAGIC: [u8; 8] = *b"SSAMMAP\0";
/// The format version this build writes and reads.
pub const VERSION: u32 = 1;
/// The header of a map file (see crate::envelope): its checksum covers the length.
const ENVELOPE: Envelope = Envelope {
    kind: FileKind::Map,
    magic: MAGIC,
    versions: &[VERSION],
    sums_length: true,
};
/// Bytes before the points: the envelope, then items, fingerprint, width and height.
const HEADER: usize = 44;
/// The longer side of the grid coordinates are quantised to.
const SIDE: f32 = 65535.0;
/// Share of points at each end of each axis clamped to the map's edge rather than
/// stretching it: a few stray points would otherwise shrink everything else.
const CLAMPED: f64 = 0.0005;
/// Cells along the longer side of the lookup grid.
const CELLS: usize = 256;

/// Points of a layout on a grid, for the images with `fingerprint`.
#[derive(Debug, Clone, PartialEq)]
pub struct Map {
    width: u16,
    height: u16,
    fingerprint: u64,
    points: Vec<[u16; 2]>,
    grid: Grid,
}

/// Items bucketed by cell, for nearest-point lookups that touch a few cells.
#[derive(Debug, Clone, PartialEq)]
struct Grid {
    cell: f32,
    columns: usize,
    rows: usize,
    /// Items of cell `c` are `ids[starts[c]..starts[c + 1]]`.
    starts: Vec<u32>,
    ids: Vec<u32>,
}

impl Grid {
    fn new(width: u16, height: u16, points: &[[u16; 2]]) -> Grid {
        let cell = (f32::from(width.max(height)) + 1.0) / CELLS as f32;
        let columns = ((f32::from(width) + 1.0) / cell).ceil().max(1.0) as usize;
        let rows = ((f32::from(height) + 1.0) / cell).ceil().max(1.0) as usize;
        let at = |p: &[u16; 2]| {
            let c = ((f32::from(p[0]) / cell) as usize).min(columns - 1);
            let r = ((f32::from(p[1]) / cell) as usize).min(rows - 1);
            r * columns + c
        };
        let mut starts = vec![0u32; columns * rows + 1];
        for p in points {
            starts[at(p) + 1] += 1;
        }
        for c in 1..starts.len() {
            starts[c] += starts[c - 1];
        }
        let mut fill = starts.clone();
        let mut ids = vec![0u32; points.len()];
        for (i, p) in points.iter().enumerate() {
            let c = at(p);
            ids[fill[c] as usize] = i as u32;
            fill[c] += 1;
        }
        Grid {
            cell,
            columns,
            rows,
            starts,
            ids,
        }
    }

    fn cell_items(&self, column: usize, row: usize) -> &[u32] {
        let c = row * self.columns + column;
        &self.ids[self.starts[c] as usize..self.starts[c + 1] as usize]
    }
}

/// Where a query landed, in words: among which label's points, near which other.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Landing {
    /// The label most of the nearest points carry.
    pub among: u8,
    /// Its share of them.
    pub share: f32,
    /// The next most common label around, when it is more than a stray point.
    pub near: Option<u8>,
}

impl Map {
    /// Points nearest a place are counted among this many to say where it is.
    pub const LANDING_AMONG: usize = 50;
    /// ... and the next label among this many.
    pub const LANDING_NEAR: usize = 200;

    /// Quantises a layout of the images with `fingerprint` onto the grid: uniform scale
    /// (the longer side 65,535 units), the outermost 0.05% of each axis clamped.
    pub fn from_layout(layout: &[[f32; 2]], fingerprint: u64) -> Map {
        let bounds = |axis: usize| {
            let mut v: Vec<f32> = layout
                .iter()
                .map(|p| p[axis])
                .filter(|x| x.is_finite())
                .collect();
            if v.is_empty() {
                return (0.0, 1.0);
            }
            v.sort_unstable_by(f32::total_cmp);
            let cut = (v.len() as f64 * CLAMPED) as usize;
            let (lo, hi) = (v[cut], v[v.len() - 1 - cut]);
            (lo, if hi > lo { hi } else { lo + 1.0 })
        };
        let (x0, x1) = bounds(0);
        let (y0, y1) = bounds(1);
        let scale = SIDE / (x1 - x0).max(y1 - y0);
        let width = ((x1 - x0) * scale).round() as u16;
        let height = ((y1 - y0) * scale).round() as u16;
        let q = |v: f32, lo: f32, max: u16| {
            if v.is_finite() {
                ((v - lo) * scale).round().clamp(0.0, f32::from(max)) as u16
            } else {
                0
            }
        };
        let points = layout
            .iter()
            .map(|p| [q(p[0], x0, width), q(p[1], y0, height)])
            .collect();
        Map::from_parts(width, height, fingerprint, points)
    }

    fn from_parts(width: u16, height: u16, fingerprint: u64, points: Vec<[u16; 2]>) -> Map {
        let grid = Grid::new(width, height, &points);
        Map {
            width,
            height,
            fingerprint,
            points,
            grid,
        }
    }

    /// Width of the grid: every x is at most this.
    pub fn width(&self) -> u16 {
        self.width
    }

    /// Height of the grid: every y is at most this.
    pub fn height(&self) -> u16 {
        self.height
    }

    /// Fingerprint of the images the map was laid out for.
    pub fn fingerprint(&self) -> u64 {
        self.fingerprint
    }

    /// Number of points, one per image.
    pub fn len(&self) -> usize {
        self.points.len()
    }

    /// True when the map has no point.
    pub fn is_empty(&self) -> bool {
        self.points.is_empty()
    }

    /// Every item's point, in item order.
    pub fn points(&self) -> &[[u16; 2]] {
        &self.points
    }

    /// The most bytes a map of `items` points inflates to (with room for a header that
    /// is wrong, so that it is named as such): a bomb stops there.
    pub fn limit(items: usize) -> gzip::Limit {
        gzip::Limit::at_most((HEADER + 4 * items + 64) as u64)
    }

    /// The map as raw bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut body = Vec::with_capacity(HEADER - envelope::HEAD + self.points.len() * 4);
        body.extend_from_slice(&(self.points.len() as u32).to_le_bytes());
        body.extend_from_slice(&self.fingerprint.to_le_bytes());
        body.extend_from_slice(&self.width.to_le_bytes());
        body.extend_from_slice(&self.height.to_le_bytes());
        // All x, then all y: each half's high bytes vary slowly, which gzip stores well.
        for axis in 0..2 {
            for p in &self.points {
                body.extend_from_slice(&p[axis].to_le_bytes());
            }
        }
        ENVELOPE.seal(VERSION, &body)
    }

    /// The map as gzipped bytes, the form the app ships.
    pub fn to_gzip(&self) -> Vec<u8> {
        let mut enc = GzEncoder::new(Vec::new(), Compression::best());
        enc.write_all(&self.to_bytes())
            .expect("writing to memory cannot fail");
        enc.finish().expect("writing to memory cannot fail")
    }

    /// Reads map bytes (gzipped or raw) laid out for the `items` images with
    /// `fingerprint`. `file` names the source in errors.
    pub fn from_bytes(file: &str, bytes: &[u8], fingerprint: u64, items: usize) -> Result<Map> {
        let raw = gzip::gunzip(file, bytes, Map::limit(items))?;
        let (_, mut r) = ENVELOPE.open(file, &raw)?;
        let count = r.u32("item count")? as usize;
        let map_fingerprint = r.u64("fingerprint")?;
        if map_fingerprint != fingerprint || count != items {
            return Err(Error::MapMismatch {
                file: file.to_owned(),
                map: map_fingerprint,
                map_items: count,
                data: fingerprint,
                data_items: items,
            });
        }
        let (width, height) = (r.u16("width")?, r.u16("height")?);
        let body = &raw[r.at..];
        if body.len() as u64 != count as u64 * 4 {
            return Err(r.corrupt(format!(
                "{} bytes of points for {count} items, which need {}",
                body.len(),
                count as u64 * 4
            )));
        }
        let (xs, ys) = body.split_at(count * 2);
        let mut points = Vec::with_capacity(count);
        for (item, (x, y)) in xs.chunks_exact(2).zip(ys.chunks_exact(2)).enumerate() {
            let (x, y) = (
                u16::from_le_bytes([x[0], x[1]]),
                u16::from_le_bytes([y[0], y[1]]),
            );
            if x > width || y > height {
                return Err(Error::MapOutOfBounds {
                    file: file.to_owned(),
                    item,
                    x,
                    y,
                    width,
                    height,
                });
            }
            points.push([x, y]);
        }
        Ok(Map::from_parts(width, height, map_fingerprint, points))
    }

    /// The `k` points nearest `(x, y)` other than `skip`, nearest first, as (squared
    /// distance in grid units, item). Looks only at the cells that can hold them.
    pub fn nearest(&self, x: f32, y: f32, k: usize, skip: Option<u32>) -> Vec<(f32, u32)> {
        let mut found: Vec<(f32, u32)> = Vec::with_capacity(k + 1);
        if k == 0 || self.points.is_empty() || !x.is_finite() || !y.is_finite() {
            return found;
        }
        let g = &self.grid;
        let column = ((x / g.cell).floor().max(0.0) as usize).min(g.columns - 1);
        let row = ((y / g.cell).floor().max(0.0) as usize).min(g.rows - 1);
        let span = g.columns.max(g.rows);
        for ring in 0..=span {
            // Every point in this ring is at least (ring - 1) cells away, minus the
            // place's offset inside its own cell: stop when that beats the k-th found.
            if found.len() == k {
                let reach = (ring as f32 - 1.0).max(0.0) * g.cell;
                if reach * reach > found[k - 1].0 {
                    break;
                }
            }
            let (r0, r1) = (row as isize - ring as isize, row + ring);
            let (c0, c1) = (column as isize - ring as isize, column + ring);
            for r in r0.max(0) as usize..=r1.min(g.rows - 1) {
                let edge_row = r as isize == r0 || r == r1;
                for c in c0.max(0) as usize..=c1.min(g.columns - 1) {
                    if !edge_row && c as isize != c0 && c != c1 {
                        continue;
                    }
                    for &id in g.cell_items(c, r) {
                        if Some(id) == skip {
                            continue;
                        }
                        let [px, py] = self.points[id as usize];
                        let (dx, dy) = (f32::from(px) - x, f32::from(py) - y);
                        let d = dx * dx + dy * dy;
                        if found.len() == k && d >= found[k - 1].0 {
                            continue;
                        }
                        let at = found.partition_point(|&(e, i)| (e, i) < (d, id));
                        found.insert(at, (d, id));
                        found.truncate(k);
                    }
                }
            }
        }
        found
    }

    /// Where a query lands: the mean of its nearest items' points, each weighted by how
    /// much nearer than the others it is (UMAP's membership, `exp(-(d - d1) / s)` with
    /// `s` the mean of `d - d1`), so one far hit does not drag it into empty space. None
    /// when no hit is on the map.
    pub fn place(&self, hits: &[Neighbor]) -> Option<[f32; 2]> {
        let hits: Vec<(f64, [u16; 2])> = hits
            .iter()
            .filter_map(|n| Some((n.euclidean(), *self.points.get(n.id as usize)?)))
            .collect();
        let nearest = hits.iter().map(|h| h.0).reduce(f64::min)?;
        let spread = hits.iter().map(|h| h.0 - nearest).sum::<f64>() / hits.len() as f64;
        let (mut x, mut y, mut total) = (0f64, 0f64, 0f64);
        for (d, [px, py]) in &hits {
            let w = if spread > 0.0 {
                (-(d - nearest) / spread).exp()
            } else {
                1.0
            };
            x += w * f64::from(*px);
            y += w * f64::from(*py);
            total += w;
        }
        Some([(x / total) as f32, (y / total) as f32])
    }

    /// In words, where `(x, y)` is: the label of most of the points around it, and the
    /// next most common label a little further out (when at least a tenth carry it).
    /// `labels` holds each item's label; None when the map is empty.
    pub fn landing(&self, labels: &[u8], x: f32, y: f32) -> Option<Landing> {
        let around = self.nearest(x, y, Self::LANDING_NEAR, None);
        let count = |n: usize| {
            let mut counts = [0usize; 256];
            for &(_, id) in around.iter().take(n) {
                if let Some(&l) = labels.get(id as usize) {
                    counts[usize::from(l)] += 1;
                }
            }
            counts
        };
        let close = count(Self::LANDING_AMONG);
        let total = close.iter().sum::<usize>();
        if total == 0 {
            return None;
        }
        let among = (0..256).max_by_key(|&l| (close[l], usize::MAX - l))? as u8;
        let wide = count(Self::LANDING_NEAR);
        let wide_total = wide.iter().sum::<usize>();
        let near = (0..256)
            .filter(|&l| l != usize::from(among))
            .max_by_key(|&l| (wide[l], usize::MAX - l))
            .filter(|&l| wide[l] * 10 >= wide_total && wide[l] > 0)
            .map(|l| l as u8);
        Some(Landing {
            among,
            share: close[usize::from(among)] as f32 / total as f32,
            near,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use xxhash_rust::xxh3::xxh3_64;

    fn small() -> Map {
        let layout: Vec<[f32; 2]> = (0..500)
            .map(|i| {
                let t = i as f32 * 0.37;
                [t.cos() * (1.0 + i as f32 / 100.0), t.sin() * 3.0]
            })
            .collect();
        Map::from_layout(&layout, 0xfeed)
    }

    #[test]
    fn round_trips_through_bytes_and_gzip() {
        let map = small();
        assert_eq!(map.width().max(map.height()), 65535);
        for bytes in [map.to_bytes(), map.to_gzip()] {
            assert_eq!(Map::from_bytes("m", &bytes, 0xfeed, 500).unwrap(), map);
        }
    }

    #[test]
    fn every_truncation_and_single_byte_corruption_is_refused() {
        let bytes = small().to_bytes();
        for len in 0..bytes.len() {
            assert!(
                Map::from_bytes("m", &bytes[..len], 0xfeed, 500).is_err(),
                "truncated to {len}"
            );
        }
        for at in 0..bytes.len() {
            let mut b = bytes.clone();
            b[at] ^= 0x41;
            assert!(Map::from_bytes("m", &b, 0xfeed, 500).is_err(), "byte {at}");
        }
    }

    /// Rewrites the checksum after an edit, so the checks behind it are reached.
    fn reseal(mut b: Vec<u8>) -> Vec<u8> {
        let sum = xxh3_64(&b[20..]);
        b[12..20].copy_from_slice(&sum.to_le_bytes());
        b
    }

    #[test]
    fn a_point_outside_the_bounds_is_named() {
        let map = small();
        let mut b = map.to_bytes();
        let at = HEADER + 7 * 2;
        let outside = map.width() + 1;
        if map.width() < u16::MAX {
            b[at..at + 2].copy_from_slice(&outside.to_le_bytes());
        } else {
            // The map is wider than high: push a y outside instead.
            let at = HEADER + 500 * 2 + 7 * 2;
            b[at..at + 2].copy_from_slice(&(map.height() + 1).to_le_bytes());
        }
        let e = Map::from_bytes("m.gz", &reseal(b), 0xfeed, 500).unwrap_err();
        assert!(matches!(e, Error::MapOutOfBounds { item: 7, .. }), "{e:?}");
        assert!(e.to_string().contains("m.gz"), "{e}");
    }

    #[test]
    fn a_map_of_other_images_is_refused() {
        let b = small().to_bytes();
        let e = Map::from_bytes("m", &b, 0xbeef, 500).unwrap_err();
        assert!(matches!(e, Error::MapMismatch { map: 0xfeed, .. }), "{e:?}");
        let e = Map::from_bytes("m", &b, 0xfeed, 501).unwrap_err();
        assert!(
            matches!(e, Error::MapMismatch { map_items: 500, .. }),
            "{e:?}"
        );
        let e = Map::from_bytes("m", b"SSAMIDX\0 and more", 0xfeed, 500).unwrap_err();
        assert!(
            matches!(
                e,
                Error::WrongKind {
                    expected: FileKind::Map,
                    ..
                }
            ),
            "{e:?}"
        );
        // A header that promises more points than the body holds.
        let mut b = b.clone();
        b[28..32].copy_from_slice(&499u32.to_le_bytes());
        let e = Map::from_bytes("m", &reseal(b), 0xfeed, 499).unwrap_err();
        assert!(matches!(e, Error::Corrupt { .. }), "{e:?}");
    }

    #[test]
    fn nearest_agrees_with_brute_force() {
        let map = small();
        for (i, &[qx, qy]) in [
            [0.0f32, 0.0],
            [30000.0, 20000.0],
            [65535.0, 9.0],
            [-50.0, 1e6],
        ]
        .iter()
        .enumerate()
        {
            let mut all: Vec<(f32, u32)> = map
                .points()
                .iter()
                .enumerate()
                .map(|(id, p)| {
                    let (dx, dy) = (f32::from(p[0]) - qx, f32::from(p[1]) - qy);
                    (dx * dx + dy * dy, id as u32)
                })
                .filter(|&(_, id)| id != 3)
                .collect();
            all.sort_by(|a, b| a.partial_cmp(b).unwrap());
            all.truncate(12);
            assert_eq!(map.nearest(qx, qy, 12, Some(3)), all, "place {i}");
        }
        assert!(map.nearest(f32::NAN, 0.0, 5, None).is_empty());
    }

    #[test]
    fn a_query_lands_among_its_nearest_not_between() {
        // Ten items at one place and one far away; the far one is the farthest hit.
        let mut layout = vec![[0.0f32, 0.0]; 10];
        layout.push([100.0, 100.0]);
        let map = Map::from_layout(&layout, 1);
        let mut hits: Vec<Neighbor> = (0..10)
            .map(|id| Neighbor {
                id,
                distance: 100 + id,
            })
            .collect();
        hits.push(Neighbor {
            id: 10,
            distance: 10_000,
        });
        let [x, y] = map.place(&hits).unwrap();
        assert!(x < 1000.0 && y < 1000.0, "({x}, {y})");
        assert_eq!(
            map.place(&[Neighbor {
                id: 99,
                distance: 1
            }]),
            None
        );
    }

    #[test]
    fn landing_says_among_and_near() {
        // 300 sevens in a row, 40 ones just after them, 100 zeros far off.
        let mut layout = Vec::new();
        let mut labels = Vec::new();
        for i in 0..300 {
            layout.push([i as f32 * 0.01, 0.0]);
            labels.push(7);
        }
        for i in 0..40 {
            layout.push([3.05 + i as f32 * 0.01, 0.0]);
            labels.push(1);
        }
        for i in 0..100 {
            layout.push([50.0 + i as f32 * 0.01, 50.0]);
            labels.push(0);
        }
        let map = Map::from_layout(&layout, 1);
        let [x, y] = map.points()[290].map(f32::from);
        let landing = map.landing(&labels, x, y).unwrap();
        assert_eq!((landing.among, landing.near), (7, Some(1)));
        assert!(landing.share > 0.5 && landing.share < 1.0, "{landing:?}");
        // Deep among the sevens, nothing else is near.
        let [x, y] = map.points()[100].map(f32::from);
        assert_eq!(map.landing(&labels, x, y).unwrap().near, None);
    }
}
