//! Exact answers, the ground truth: computed on all cores (they are not what is being
//! measured), cached for `ssam bench` and `bench/peers.py`, and shipped to the app as
//! k-th distances by `ssam truth`.

use std::path::{Path, PathBuf};

use ssam::truth::KthDistances;
use ssam::{Dataset, Neighbor, exact};

use super::Result;
use super::assets::{self, Split};
use super::bench::progress;

const TRUTH_MAGIC: &[u8; 8] = b"SSAMGT1\0";

#[derive(clap::Args)]
pub struct Args {
    /// Neighbours per query (recall@k needs the k-th).
    #[arg(short, default_value_t = 10)]
    k: usize,
    /// Where to write (default: ASSETS/truth-t10k.bin, where the app's benchmark looks).
    #[arg(long)]
    out: Option<PathBuf>,
}

/// `ssam truth`: the exact k-th distance of every test image, for the app's benchmark.
pub fn run(assets_dir: &Path, args: Args) -> Result {
    let train = assets::dataset(assets_dir, Split::Train)?;
    let test = assets::dataset(assets_dir, Split::Test)?;
    let answers = compute(&train, &test, args.k);
    let kth = answers
        .iter()
        .map(|a| a.last().map_or(u32::MAX, |n| n.distance))
        .collect();
    let out = args.out.unwrap_or_else(|| assets_dir.join(assets::TRUTH));
    let bytes = KthDistances::new(args.k, kth, &train, &test).to_bytes();
    std::fs::write(&out, &bytes).map_err(|e| format!("{}: {e}", out.display()))?;
    println!(
        "wrote {} ({} bytes): the exact {}th distance of {} test images",
        out.display(),
        bytes.len(),
        args.k,
        test.len()
    );
    Ok(())
}

/// The exact k nearest of every query: read from `path` when it was made for this data
/// and covers these queries, otherwise computed on all cores and written there.
pub fn answers(
    path: &Path,
    train: &Dataset,
    test: &Dataset,
    k: usize,
) -> Result<Vec<Vec<Neighbor>>> {
    if let Some(t) = read_truth(path, train, test, k) {
        return Ok(t);
    }
    let answers = compute(train, test, k);
    write_truth(path, train, test, k, &answers)?;
    Ok(answers)
}

/// The exact k nearest of every test image, on all cores.
fn compute(train: &Dataset, test: &Dataset, k: usize) -> Vec<Vec<Neighbor>> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let bar = progress(test.len(), "exact answers");
    let chunk = test.len().div_ceil(threads);
    let mut answers: Vec<Vec<Neighbor>> = Vec::with_capacity(test.len());
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..test.len())
            .step_by(chunk)
            .map(|from| {
                let bar = &bar;
                s.spawn(move || {
                    (from..(from + chunk).min(test.len()))
                        .map(|i| {
                            bar.inc(1);
                            exact::search(train, test.image(i), k)
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        for h in handles {
            answers.extend(h.join().expect("exact search does not panic"));
        }
    });
    bar.finish_and_clear();
    answers
}

/// Layout: magic, k (u32), queries (u32), train and test fingerprints (u64), then per
/// query k pairs of (id u32, squared distance u32), little-endian. `bench/peers.py`
/// reads the same layout.
fn write_truth(
    path: &Path,
    train: &Dataset,
    test: &Dataset,
    k: usize,
    answers: &[Vec<Neighbor>],
) -> Result {
    let mut b = TRUTH_MAGIC.to_vec();
    b.extend_from_slice(&(k as u32).to_le_bytes());
    b.extend_from_slice(&(answers.len() as u32).to_le_bytes());
    b.extend_from_slice(&train.fingerprint().to_le_bytes());
    b.extend_from_slice(&test.fingerprint().to_le_bytes());
    for n in answers.iter().flatten() {
        b.extend_from_slice(&n.id.to_le_bytes());
        b.extend_from_slice(&n.distance.to_le_bytes());
    }
    std::fs::write(path, b).map_err(|e| format!("{}: {e}", path.display()))
}

fn read_truth(
    path: &Path,
    train: &Dataset,
    test: &Dataset,
    want: usize,
) -> Option<Vec<Vec<Neighbor>>> {
    let b = std::fs::read(path).ok()?;
    let u32_at = |o: usize| Some(u32::from_le_bytes(b.get(o..o + 4)?.try_into().ok()?));
    let u64_at = |o: usize| Some(u64::from_le_bytes(b.get(o..o + 8)?.try_into().ok()?));
    let (k, n) = (u32_at(8)? as usize, u32_at(12)? as usize);
    let fits = b.starts_with(TRUTH_MAGIC)
        && k == want
        && n == test.len()
        && u64_at(16)? == train.fingerprint()
        && u64_at(24)? == test.fingerprint()
        && b.len() == 32 + n * k * 8;
    if !fits {
        return None;
    }
    Some(
        b[32..]
            .chunks_exact(k * 8)
            .map(|q| {
                q.chunks_exact(8)
                    .map(|p| Neighbor {
                        id: u32_at_slice(&p[..4]),
                        distance: u32_at_slice(&p[4..]),
                    })
                    .collect()
            })
            .collect(),
    )
}

fn u32_at_slice(b: &[u8]) -> u32 {
    u32::from_le_bytes(b.try_into().expect("4 bytes"))
}
