//! Exact answers, the ground truth: computed on all cores (they are not what is being
//! measured), cached for `ssam bench` and `bench/peers.py`, and shipped to the app as
//! k-th distances by `ssam truth`.

use std::path::{Path, PathBuf};

use anyhow::Context;
use ssam::truth::{Answers, KthDistances};
use ssam::{Dataset, Effort, Neighbor, exact};

use crate::assets::{self, Split};
use crate::{Result, on_all_cores};

#[derive(clap::Args)]
pub struct Args {
    /// Neighbours per query (recall@k needs the k-th).
    #[arg(short, default_value_t = 10)]
    k: usize,
    /// Where to write (default: ASSETS/truth-t10k.bin, where the app's benchmark looks).
    #[arg(long)]
    out: Option<PathBuf>,
    /// The index whose space the distances are measured in (default: the shipped one).
    #[arg(long)]
    index: Option<PathBuf>,
}

/// `ssam truth`: the exact k-th distance of every test image in the shipped index's space
/// (deskewed and scaled, not raw pixels: recall must be scored where the index searches),
/// for the app's benchmark.
pub fn run(assets_dir: &Path, args: Args) -> Result {
    let train = assets::dataset(assets_dir, Split::Train)?;
    let test = assets::dataset(assets_dir, Split::Test)?;
    let path = args.index.unwrap_or_else(|| assets_dir.join(assets::INDEX));
    let index = assets::index(&path, train)?;
    let space = index.space();
    let searched_test = space.apply_all(&test)?;
    let searched_train = index.searched();
    // Through the index's exact search, so that the space's query shifts count as they
    // do in every search of the app.
    let kth = on_all_cores(test.len(), "exact answers", |i, scratch| {
        index
            .search(test.image(i), args.k, Effort::Exact, scratch)
            .map(|found| found.last().map_or(0, |n| n.distance))
            .with_context(|| format!("test image {i}"))
    })
    .into_iter()
    .collect::<Result<Vec<u32>>>()?;
    let out = args.out.unwrap_or_else(|| assets_dir.join(assets::TRUTH));
    let bytes = KthDistances::new(args.k, kth, searched_train, &searched_test).to_bytes();
    std::fs::write(&out, &bytes).with_context(|| out.display().to_string())?;
    println!(
        "wrote {} ({} bytes): the exact {}th distance of {} test images in space {space}",
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
    let cached = std::fs::read(path)
        .ok()
        .and_then(|b| Answers::from_bytes(&path.display().to_string(), &b, train, test).ok())
        .filter(|a| a.k == k);
    if let Some(a) = cached {
        return Ok(a.neighbors);
    }
    let answers = Answers {
        k,
        neighbors: compute(train, test, k),
    };
    std::fs::write(path, answers.to_bytes(train, test))
        .with_context(|| path.display().to_string())?;
    Ok(answers.neighbors)
}

/// The exact k nearest of every test image, on all cores.
pub fn compute(train: &Dataset, test: &Dataset, k: usize) -> Vec<Vec<Neighbor>> {
    on_all_cores(test.len(), "exact answers", |i, _| {
        exact::search(train, test.image(i), k)
    })
}
