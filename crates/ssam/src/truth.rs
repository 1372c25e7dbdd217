//! The exact answers, ground truth for recall, in the two files that hold them:
//! - [`Answers`]: the exact k nearest (id and squared distance) of every query, what
//!   `ssam bench` caches and `bench/peers.py` scores the peers against;
//! - [`KthDistances`]: only the exact k-th distance of every query, all that recall@k
//!   needs (see [`crate::metrics::recall_from_kth`]), shipped beside the app so a browser
//!   can check recall over all 10,000 test digits without scanning 60,000 images each.
//!
//! Both are tied to the searched data and the queries by their fingerprints, and both
//! are sealed in SSAM's one envelope (crate::envelope: magic, version, checksum, length).
//! Body, little-endian: k (u32), queries (u32), fingerprint of the searched data (u64),
//! fingerprint of the queries (u64), then per query either k pairs of (id u32, squared
//! distance u32) or one u32 squared distance. `bench/` reads them in Python and
//! JavaScript too (bench/peers.py, bench/browser-peers/bench.mjs).
//!
//! Version 1 had no envelope: its magic ended in the version ("SSAMGT1\0", "SSAMKTH1").
//! Such a file is refused as an older version, with the command that writes it again.

use crate::dataset::Dataset;
use crate::envelope::{Envelope, FileKind};
use crate::error::{Error, Result};
use crate::neighbors::Neighbor;

/// The format version this build writes and reads.
const VERSION: u32 = 2;
/// The exact k nearest of each query.
const ANSWERS: Truth = Truth {
    envelope: Envelope {
        kind: FileKind::Answers,
        magic: *b"SSAMGT\0\0",
        versions: &[VERSION],
        sums_length: true,
    },
    retired: *b"SSAMGT1\0",
};
/// The exact k-th distance of each query.
const KTH: Truth = Truth {
    envelope: Envelope {
        kind: FileKind::KthDistances,
        magic: *b"SSAMKTH\0",
        versions: &[VERSION],
        sums_length: true,
    },
    retired: *b"SSAMKTH1",
};
/// Bytes of the body before the answers: k, queries and two fingerprints.
const FIELDS: usize = 24;

/// One kind of exact-answers file: its envelope, and the magic version 1 had.
struct Truth {
    envelope: Envelope,
    retired: [u8; 8],
}

/// The body's fields before the answers.
fn fields(k: usize, queries: usize, data: u64, of: u64) -> Vec<u8> {
    let mut b = Vec::with_capacity(FIELDS);
    b.extend_from_slice(&(k as u32).to_le_bytes());
    b.extend_from_slice(&(queries as u32).to_le_bytes());
    b.extend_from_slice(&data.to_le_bytes());
    b.extend_from_slice(&of.to_le_bytes());
    b
}

/// Opens a file of `truth`'s kind, checks its fields and its length (`per_query(k)`
/// bytes a query) and returns k and the answers' bytes.
fn body<'b>(
    file: &str,
    bytes: &'b [u8],
    truth: &Truth,
    per_query: impl Fn(usize) -> usize,
    data: u64,
    queries: &Dataset,
) -> Result<(usize, &'b [u8])> {
    let kind = truth.envelope.kind;
    if bytes.starts_with(&truth.retired) {
        return Err(Error::UnsupportedVersion {
            file: file.to_owned(),
            kind,
            found: 1,
            supported: VERSION,
        });
    }
    let (_, mut r) = truth.envelope.open(file, bytes)?;
    let k = r.u32("k")? as usize;
    let n = r.u32("query count")? as usize;
    let fingerprints = (r.u64("data fingerprint")?, r.u64("query fingerprint")?);
    if (fingerprints, n) != ((data, queries.fingerprint()), queries.len()) {
        return Err(Error::TruthMismatch {
            file: file.to_owned(),
            kind,
            queries: n,
        });
    }
    let answers = &bytes[r.at..];
    if n.checked_mul(per_query(k)) != Some(answers.len()) {
        return Err(r.corrupt(format!(
            "{} bytes of answers, not what {n} queries of k = {k} take",
            answers.len()
        )));
    }
    Ok((k, answers))
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
        let mut b = fields(
            self.k,
            self.neighbors.len(),
            data.fingerprint(),
            queries.fingerprint(),
        );
        for n in self.neighbors.iter().flatten() {
            b.extend_from_slice(&n.id.to_le_bytes());
            b.extend_from_slice(&n.distance.to_le_bytes());
        }
        ANSWERS.envelope.seal(VERSION, &b)
    }

    /// Reads a file made for exactly these `data` and `queries`.
    pub fn from_bytes(file: &str, bytes: &[u8], data: &Dataset, queries: &Dataset) -> Result<Self> {
        let (k, body) = body(
            file,
            bytes,
            &ANSWERS,
            |k| 8 * k,
            data.fingerprint(),
            queries,
        )?;
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
        let mut b = fields(self.k, self.distances.len(), self.data, self.queries);
        for d in &self.distances {
            b.extend_from_slice(&d.to_le_bytes());
        }
        KTH.envelope.seal(VERSION, &b)
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
        let (k, body) = body(file, bytes, &KTH, |_| 4, data, queries)?;
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
        let e = KthDistances::from_bytes("a", &bytes, &data, &queries).unwrap_err();
        assert!(matches!(e, Error::WrongKind { .. }), "{e:?}");
    }

    #[test]
    fn damaged_and_version_1_files_get_the_envelopes_errors() {
        let (data, queries) = sets();
        let bytes = KthDistances::new(1, vec![77], &data, &queries).to_bytes();
        let mut flipped = bytes.clone();
        *flipped.last_mut().unwrap() ^= 1;
        let e = KthDistances::from_bytes("t", &flipped, &data, &queries).unwrap_err();
        assert!(matches!(e, Error::Checksum { .. }), "{e:?}");
        let mut old = b"SSAMKTH1".to_vec();
        old.extend_from_slice(&bytes[8..]);
        let e = KthDistances::from_bytes("t", &old, &data, &queries).unwrap_err();
        assert!(
            matches!(
                e,
                Error::UnsupportedVersion {
                    kind: FileKind::KthDistances,
                    found: 1,
                    supported: VERSION,
                    ..
                }
            ),
            "{e:?}"
        );
        assert!(e.to_string().contains("ssam truth"), "{e}");
    }
}
