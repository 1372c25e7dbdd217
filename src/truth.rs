//! The exact k-th nearest distance of each query of a query set: all that recall@k needs
//! of the ground truth (see [`crate::metrics::recall_from_kth`]). Shipped beside the app
//! so a browser can check recall over all 10,000 test digits without scanning 60,000
//! images per query; tied to both datasets by their fingerprints.
//!
//! Layout, little-endian: magic "SSAMKTH1", k (u32), queries (u32), fingerprint of the
//! searched data (u64), fingerprint of the queries (u64), then one u32 squared distance
//! per query.

use crate::dataset::Dataset;
use crate::error::{Error, Result};

const MAGIC: &[u8; 8] = b"SSAMKTH1";
const HEADER: usize = 32;

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
        let mut b = MAGIC.to_vec();
        b.extend_from_slice(&(self.k as u32).to_le_bytes());
        b.extend_from_slice(&(self.distances.len() as u32).to_le_bytes());
        b.extend_from_slice(&self.data.to_le_bytes());
        b.extend_from_slice(&self.queries.to_le_bytes());
        for d in &self.distances {
            b.extend_from_slice(&d.to_le_bytes());
        }
        b
    }

    /// Reads a file made for exactly these `data` and `queries`.
    pub fn from_bytes(file: &str, bytes: &[u8], data: &Dataset, queries: &Dataset) -> Result<Self> {
        let corrupt = |what: String| Error::Corrupt {
            file: file.to_owned(),
            what,
        };
        if bytes.len() < HEADER || !bytes.starts_with(MAGIC) {
            return Err(corrupt(
                "not a k-th distance file (wrong magic or too short)".into(),
            ));
        }
        let u32_at = |o: usize| u32::from_le_bytes(bytes[o..o + 4].try_into().expect("4 bytes"));
        let u64_at = |o: usize| u64::from_le_bytes(bytes[o..o + 8].try_into().expect("8 bytes"));
        let (k, n) = (u32_at(8) as usize, u32_at(12) as usize);
        if (u64_at(16), u64_at(24), n) != (data.fingerprint(), queries.fingerprint(), queries.len())
        {
            return Err(corrupt(format!(
                "made for other data ({n} queries); rebuild it with `ssam truth`"
            )));
        }
        if bytes.len() != HEADER + 4 * n {
            return Err(corrupt(format!(
                "{} bytes, expected {}",
                bytes.len(),
                HEADER + 4 * n
            )));
        }
        let distances = bytes[HEADER..]
            .chunks_exact(4)
            .map(|c| u32::from_le_bytes(c.try_into().expect("4 bytes")))
            .collect();
        Ok(KthDistances {
            k,
            distances,
            data: data.fingerprint(),
            queries: queries.fingerprint(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_refuses_other_data() {
        let data = Dataset::new(1, 2, vec![1, 2, 3, 4], vec![0, 1]).unwrap();
        let queries = Dataset::new(1, 2, vec![9, 9], vec![3]).unwrap();
        let t = KthDistances::new(1, vec![77], &data, &queries);
        let bytes = t.to_bytes();
        assert_eq!(
            KthDistances::from_bytes("t", &bytes, &data, &queries).unwrap(),
            t
        );
        let e = KthDistances::from_bytes("t", &bytes, &queries, &queries).unwrap_err();
        assert!(e.to_string().contains("made for other data"), "{e}");
        assert!(KthDistances::from_bytes("t", &bytes[..bytes.len() - 1], &data, &queries).is_err());
    }
}
