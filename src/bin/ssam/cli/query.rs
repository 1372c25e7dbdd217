//! `ssam query`: the training images nearest to a picture or to an item of an IDX file.

use std::path::{Path, PathBuf};

use ssam::forest::DEFAULT_BUDGET;
use ssam::preprocess::{self, SIDE};
use ssam::{Scratch, exact, metrics};

use super::Result;
use super::assets::{self, Split};

#[derive(clap::Args)]
pub struct Args {
    /// A PNG picture of a digit, or an IDX images file and an item, FILE:N
    /// (`test:N` and `train:N` name the shipped MNIST files).
    image: String,
    /// How many neighbours to print.
    #[arg(short, default_value_t = 10)]
    k: usize,
    /// Candidates to measure (default: the app's default).
    #[arg(long, default_value_t = DEFAULT_BUDGET)]
    budget: usize,
    /// Scan every training image instead of searching the forest.
    #[arg(long)]
    exact: bool,
    /// The index file (default: ASSETS/index.ssam.gz).
    #[arg(long)]
    index: Option<PathBuf>,
}

pub fn run(assets_dir: &Path, args: Args) -> Result {
    let train = assets::dataset(assets_dir, Split::Train)?;
    let (query, what) = load_query(assets_dir, &args.image)?;
    let found = if args.exact {
        exact::search(&train, &query, args.k)
    } else {
        let path = args.index.unwrap_or_else(|| assets_dir.join(assets::INDEX));
        let forest = assets::forest(&path, &train)?;
        let mut scratch = Scratch::new();
        forest
            .search(&train, &query, args.k, args.budget, &mut scratch)
            .map_err(|e| e.to_string())?
            .to_vec()
    };
    println!("query: {what}");
    print!("{}", ascii(&query));
    if let Some((digit, share)) = metrics::vote(&found, |id| train.label(id as usize)) {
        println!(
            "predicted digit: {digit} ({:.0}% of {} votes)",
            share * 100.0,
            found.len()
        );
    }
    println!(
        "{:>4}  {:>6}  {:>5}  {:>8}",
        "rank", "id", "label", "distance"
    );
    for (rank, n) in found.iter().enumerate() {
        println!(
            "{:>4}  {:>6}  {:>5}  {:>8.1}",
            rank + 1,
            n.id,
            train.label(n.id as usize),
            n.euclidean()
        );
    }
    Ok(())
}

/// Reads the query: a PNG through the MNIST preprocessing, or an IDX item as it is.
fn load_query(assets_dir: &Path, spec: &str) -> Result<(Vec<u8>, String)> {
    if let Some((file, item)) = spec
        .rsplit_once(':')
        .filter(|(_, n)| n.parse::<usize>().is_ok())
    {
        let item: usize = item.parse().expect("checked above");
        let data = match file {
            "test" => assets::dataset(assets_dir, Split::Test)?,
            "train" => assets::dataset(assets_dir, Split::Train)?,
            path => {
                let (images, labels) = (
                    PathBuf::from(path),
                    PathBuf::from(path.replace("images-idx3", "labels-idx1")),
                );
                ssam::Dataset::from_idx(
                    path,
                    &assets::read(&images)?,
                    &labels.display().to_string(),
                    &assets::read(&labels)?,
                )
                .map_err(|e| e.to_string())?
            }
        };
        if item >= data.len() {
            return Err(format!(
                "{spec}: item {item} is out of range, the file has {} images",
                data.len()
            ));
        }
        if data.dim() != SIDE * SIDE {
            return Err(format!(
                "{spec}: images of {}x{} are not 28x28",
                data.rows(),
                data.cols()
            ));
        }
        return Ok((
            data.image(item).to_vec(),
            format!("{spec} (label {})", data.label(item)),
        ));
    }
    let bytes = assets::read(Path::new(spec))?;
    let img = image::load_from_memory(&bytes)
        .map_err(|e| format!("{spec}: not a picture this tool reads ({e})"))?;
    let rgba = img.to_rgba8();
    let prepared =
        preprocess::prepare_rgba(rgba.width() as usize, rgba.height() as usize, rgba.as_raw())
            .map_err(|e| format!("{spec}: {e}"))?;
    let note = if prepared.inverted {
        ", dark on light: inverted"
    } else {
        ""
    };
    Ok((
        prepared.pixels,
        format!("{spec} ({}x{}{note})", rgba.width(), rgba.height()),
    ))
}

/// The 28x28 query in shades of text, to see what was searched with.
fn ascii(pixels: &[u8]) -> String {
    const SHADES: &[u8] = b" .:-=+*#%@";
    pixels
        .chunks(SIDE)
        .map(|row| {
            let mut line: String = row
                .iter()
                .map(|&v| SHADES[usize::from(v) * (SHADES.len() - 1) / 255] as char)
                .collect();
            line.push('\n');
            line
        })
        .collect()
}
