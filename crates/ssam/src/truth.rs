//! The exact answers, ground truth for recall, in the two files that hold them:
//! - [`Answers`]: the exact k nearest (id and squared distance) of every query, what
//!   `ssam bench` caches and `bench/peers.py` scores the peers against;
//! - [`KthDistances`]: only the exact k-th distance of every query, all that recall@k
//!   needs (see [`crate::metrics::recall_from_kth`]), shipped beside the app so a browser
//!   can check recall over all 10,000 test digits without scanning 60,000 images each.
//!
//! Both are tied to the searched data and the queries by their fingerprints. Layout,
//! little-endian: magic (8 bytes), k (u32), queries (u32), fingerprint of the searched
//! data (u64), fingerprint of the queries (u64), then per query either k pairs of
//! (id u32, squared distance u32) or one u32 squared distance. These files predate the
//! envelope of the others (crate::envelope), which checks only their magic: `bench/`
//! reads them in Python and JavaScript too.

use crate::dataset::Dataset;
use crate::envelope::{self, FileKind};
use crate::error::{Error, Result};
use crate::neighbors::Neighbor;

const ANSWERS: (FileKind, &[u8; 8]) = (FileKind::Answers, b"SSAMGT1\0");
const KTH: (FileKind, &[u8; 8]) = (FileKind::KthDistances, b"SSAMKTH1");
const HEADER: usize = 32;

fn header(magic: &[u8; 8], k: usize, queries: usize, data: &Dataset, of: &Dataset) -> Vec<u8> {
    let mut b = magic.to_vec();
    b.extend_from_slice(&(k as u32).to_le_bytes());
    b.extend_from_slice(&(queries as u32).to_le_bytes());
    b.extend_from_slice(&data.fingerprint().to_le_bytes());
    b.extend_from_slice(&of.fingerprint().to_le_bytes());
    b
}

/// Checks the header and the length (`per_query(k)` bytes a query) of a file of `kind`
/// and returns k and the body.
fn body<'b>(
    file: &str,
    bytes: &'b [u8],
    (kind, magic): (FileKind, &[u8; 8]),
    per_query: impl Fn(usize) -> usize,
    data: u64,
    queries: &Dataset,
) -> Result<(usize, &'b [u8])> {
    envelope::check_kind(kind, magic, file, bytes)?;
    if bytes.len() < HEADER {
        return Err(Error::Truncated {
            file: file.to_owned(),
            what: format!(
                "the header needs {HEADER} bytes, the file has {}",
                bytes.len()
            ),
        });
    }
    let u32_at = |o: usize| u32::from_le_bytes(bytes[o..o + 4].try_into().expect("4 bytes"));
    let u64_at = |o: usize| u64::from_le_bytes(bytes[o..o + 8].try_into().expect("8 bytes"));
    let (k, n) = (u32_at(8) as usize, u32_at(12) as usize);
    if (u64_at(16), u64_at(24), n) != (data, queries.fingerprint(), queries.len()) {
        return Err(Error::TruthMismatch {
            file: file.to_owned(),
            kind,
            queries: n,
        });
    }
    let want = n
        .checked_mul(per_query(k))
        .and_then(|b| b.checked_add(HEADER));
    match want {
        Some(want) if want == bytes.len() => Ok((k, &bytes[HEADER..])),
        Some(want) if want > bytes.len() => Err(Error::Truncated {
            file: file.to_owned(),
            what: format!(
                "{n} queries of k = {k} take {want} bytes, the file has {}",
                bytes.len()
            ),
        }),
        _ => Err(Error::Corrupt {
            file: file.to_owned(),
            what: format!(
                "{} bytes, not what {n} queries of k = {k} take",
                bytes.len()
            ),
        }),
    }
}

fn u32s(bytes: &[u8]) -> impl Iterator<Item = u32> + '_ {
    bytes
        .chunks_exact(4)
        .map(|c| u32::from_le_bytes(c.try_into().expect("4 bytes")))
}

/// The exact k nearest of every query of a query set against a dataset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answers {
    /// Neighbours per query.
    pub k: usize,
    /// Per query, its k nearest, nearest first.
    pub neighbors: Vec<Vec<Neighbor>>,
}

impl Answers {
    /// The file's bytes, for answers computed for `queries` against `data`.
    pub fn to_bytes(&self, data: &Dataset, queries: &Dataset) -> Vec<u8> {
        let mut b = header(ANSWERS.1, self.k, self.neighbors.len(), data, queries);
        for n in self.neighbors.iter().flatten() {
            b.extend_from_slice(&n.id.to_le_bytes());
            b.extend_from_slice(&n.distance.to_le_bytes());
        }
        b
    }

    /// Reads a file made for exactly these `data` and `queries`.
    pub fn from_bytes(file: &str, bytes: &[u8], data: &Dataset, queries: &Dataset) -> Result<Self> {
        let (k, body) = body(file, bytes, ANSWERS, |k| 8 * k, data.fingerprint(), queries)?;
        let pairs: Vec<u32> = u32s(body).collect();
        let neighbors = pairs
            .chunks_exact(2 * k.max(1))
            .map(|q| {
                q.chunks_exact(2)
                    .map(|p| Neighbor {
                        id: p[0],
                        distance: p[1],
                    })
                    .collect()
            })
            .collect();
        Ok(Answers { k, neighbors })
    }

    /// The k-th distances of these answers, the form the app ships.
    pub fn kth(&self, data: &Dataset, queries: &Dataset) -> KthDistances {
        let distances = self
            .neighbors
            .iter()
            .map(|a| a.last().map_or(u32::MAX, |n| n.distance))
            .collect();
        KthDistances::new(self.k, distances, data, queries)
    }
}

/// True k-th nearest squared distances of a query set against a dataset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KthDistances {
    /// Which neighbour the distances are of (10 for recall@10).
    pub k: usize,
    /// One squared distance per query, in query order.
    pub distances: Vec<u32>,
    data: u64,
    queries: u64,
}

impl KthDistances {
    /// Wraps distances computed for `queries` against `data`.
    pub fn new(k: usize, distances: Vec<u32>, data: &Dataset, queries: &Dataset) -> Self {
        KthDistances {
            k,
            distances,
            data: data.fingerprint(),
            queries: queries.fingerprint(),
        }
    }

    /// The file's bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut b = KTH.1.to_vec();
        b.extend_from_slice(&(self.k as u32).to_le_bytes());
        b.extend_from_slice(&(self.distances.len() as u32).to_le_bytes());
        b.extend_from_slice(&self.data.to_le_bytes());
        b.extend_from_slice(&self.queries.to_le_bytes());
        for d in &self.distances {
            b.extend_from_slice(&d.to_le_bytes());
        }
        b
    }

    /// Wraps distances computed for `queries` against data known only by its
    /// fingerprint (a streamed layout's, whose images are never all in one place).
    pub fn of_fingerprint(k: usize, distances: Vec<u32>, data: u64, queries: &Dataset) -> Self {
        KthDistances {
            k,
            distances,
            data,
            queries: queries.fingerprint(),
        }
    }

    /// Reads a file made for exactly these `data` and `queries`.
    pub fn from_bytes(file: &str, bytes: &[u8], data: &Dataset, queries: &Dataset) -> Result<Self> {
        KthDistances::from_bytes_of(file, bytes, data.fingerprint(), queries)
    }

    /// Reads a file made for exactly the data of fingerprint `data` and `queries`.
    pub fn from_bytes_of(file: &str, bytes: &[u8], data: u64, queries: &Dataset) -> Result<Self> {
        let (k, body) = body(file, bytes, KTH, |_| 4, data, queries)?;
        Ok(KthDistances::of_fingerprint(
            k,
            u32s(body).collect(),
            data,
            queries,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sets() -> (Dataset, Dataset) {
        (
            Dataset::new(1, 2, vec![1, 2, 3, 4], vec![0, 1]).unwrap(),
            Dataset::new(1, 2, vec![9, 9], vec![3]).unwrap(),
        )
    }

    #[test]
    fn kth_distances_round_trip_and_refuse_other_data() {
        let (data, queries) = sets();
        let t = KthDistances::new(1, vec![77], &data, &queries);
        let bytes = t.to_bytes();
        assert_eq!(
            KthDistances::from_bytes("t", &bytes, &data, &queries).unwrap(),
            t
        );
        let e = KthDistances::from_bytes("t", &bytes, &queries, &queries).unwrap_err();
        assert!(
            matches!(e, Error::TruthMismatch { queries: 1, .. }),
            "{e:?}"
        );
        assert!(e.to_string().contains("made for other data"), "{e}");
        assert!(KthDistances::from_bytes("t", &bytes[..bytes.len() - 1], &data, &queries).is_err());
    }

    #[test]
    fn answers_round_trip_give_their_kth_and_refuse_damage() {
        let (data, queries) = sets();
        let a = Answers {
            k: 2,
            neighbors: vec![vec![
                Neighbor {
                    id: 1,
                    distance: 50,
                },
                Neighbor {
                    id: 0,
                    distance: 113,
                },
            ]],
        };
        let bytes = a.to_bytes(&data, &queries);
        assert_eq!(
            Answers::from_bytes("a", &bytes, &data, &queries).unwrap(),
            a
        );
        assert_eq!(a.kth(&data, &queries).distances, [113]);
        for len in 0..bytes.len() {
            let e = Answers::from_bytes("a", &bytes[..len], &data, &queries).unwrap_err();
            assert!(e.to_string().starts_with("a: "), "{e}");
        }
        // Each file is refused as the other.
        assert!(KthDistances::from_bytes("a", &bytes, &data, &queries).is_err());
    }
}
