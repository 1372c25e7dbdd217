//! `ssam build`: the forest over the training images, written where the app finds it.

use std::path::{Path, PathBuf};
use std::time::Instant;

use indicatif::{ProgressBar, ProgressStyle};
use ssam::{Params, format};

use super::Result;
use super::assets::{self, Split};

#[derive(clap::Args)]
pub struct Args {
    /// Number of trees.
    #[arg(long, default_value_t = Params::default().trees)]
    trees: usize,
    /// Most items per leaf.
    #[arg(long, default_value_t = Params::default().leaf_size)]
    leaf_size: usize,
    /// Seed of the random choices.
    #[arg(long, default_value_t = Params::default().seed)]
    seed: u64,
    /// Where to write the index (default: ASSETS/index.ssam.gz); `.gz` names are gzipped.
    #[arg(long)]
    out: Option<PathBuf>,
}

pub fn run(assets_dir: &Path, args: Args) -> Result {
    let data = assets::dataset(assets_dir, Split::Train)?;
    let params = Params::default()
        .trees(args.trees)
        .leaf_size(args.leaf_size)
        .seed(args.seed);
    params.validate().map_err(|e| e.to_string())?;
    let bar = ProgressBar::new(params.trees as u64).with_style(
        ProgressStyle::with_template("building {bar:30} {pos}/{len} trees  {elapsed_precise}")
            .expect("valid template"),
    );
    let start = Instant::now();
    let forest = params
        .build(&data, &mut |done| bar.set_position(done as u64))
        .map_err(|e| e.to_string())?;
    let seconds = start.elapsed().as_secs_f64();
    bar.finish_and_clear();
    let out = args.out.unwrap_or_else(|| assets_dir.join(assets::INDEX));
    let gz = out.extension().is_some_and(|e| e == "gz");
    let bytes = if gz {
        format::to_gzip(&forest)
    } else {
        format::to_bytes(&forest)
    };
    std::fs::write(&out, &bytes).map_err(|e| format!("{}: {e}", out.display()))?;
    println!(
        "built {} trees (leaf size {}, seed {}) over {} images in {seconds:.2} s",
        params.trees,
        params.leaf_size,
        params.seed,
        data.len()
    );
    println!(
        "{} splits, {} leaves; {:.2} MB in memory; wrote {} ({} bytes, {:.2} MB)",
        forest.split_count(),
        forest.leaf_count(),
        forest.memory_bytes() as f64 / 1e6,
        out.display(),
        bytes.len(),
        bytes.len() as f64 / 1e6
    );
    Ok(())
}
