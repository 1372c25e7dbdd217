//! `ssam query`: the training images nearest to a picture or to an item of an IDX file.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use ssam::preprocess::{self, SIDE};
use ssam::{Effort, Index, Neighbor, Ranking, Scratch, Space, verdict};

use crate::assets::{self, Split};
use crate::{Result, parse_space};

#[derive(clap::Args)]
pub struct Args {
    /// A PNG picture of a digit, or an IDX images file and an item, FILE:N
    /// (`test:N` and `train:N` name the shipped MNIST files).
    image: String,
    /// How many neighbours to print.
    #[arg(short, default_value_t = 10)]
    k: usize,
    /// Search with the forest alone, measuring this many candidates.
    #[arg(long, conflicts_with_all = ["ef", "exact"])]
    budget: Option<usize>,
    /// Search with the graph and a beam this wide (the default when the index has a
    /// graph: the app's default beam).
    #[arg(long, conflicts_with = "exact")]
    ef: Option<usize>,
    /// Measure every training image instead of searching the index.
    #[arg(long)]
    exact: bool,
    /// Refuse an index built for another space than this one.
    #[arg(long, value_parser = parse_space)]
    space: Option<Space>,
    /// Rank by the search's own distance only, without re-ranking the nearest by the
    /// distortion model (what the app does).
    #[arg(long)]
    no_rerank: bool,
    /// The index file (default: ASSETS/index.ssam.gz).
    #[arg(long)]
    index: Option<PathBuf>,
}

pub fn run(assets_dir: &Path, args: Args) -> Result {
    let train = assets::dataset(assets_dir, Split::Train)?;
    let (query, what) = load_query(assets_dir, &args.image)?;
    let path = args
        .index
        .clone()
        .unwrap_or_else(|| assets_dir.join(assets::INDEX));
    let index = open_index(&path, train, args.space)?;
    let (effort, ranking) = how(&args, &index);
    let mut scratch = Scratch::new();
    let found = index
        .find(&query, args.k, effort, ranking, &mut scratch)?
        .to_vec();
    let train = index.originals();
    // Written whole at the end: a reader that stops early (`| head`) is no error.
    let mut out = String::new();
    let _ = writeln!(out, "query: {what}");
    let _ = write!(out, "{}", ascii(&query, SIDE));
    if index.space() != Space::Raw {
        let side = index.searched().cols();
        let _ = writeln!(out, "searched as ({}):", index.space());
        let _ = write!(out, "{}", ascii(scratch.searched_query(), side));
    }
    let _ = writeln!(
        out,
        "{effort:?}, {ranking:?}: {} distances measured",
        scratch.measured()
    );
    write_verdict(&mut out, &found, train);
    write_table(&mut out, &found, ranking, train);
    super::print(&out)
}

/// The index at `path` over the training images, refused when it was built for another
/// space than `want`.
fn open_index(path: &Path, train: ssam::Dataset, want: Option<Space>) -> Result<Index> {
    let index = assets::index(path, train)?;
    if let Some(want) = want
        && want != index.space()
    {
        bail!(
            "{}: built for the space {}, not {want}; rebuild it with `ssam build --space {want}`",
            path.display(),
            index.space()
        );
    }
    Ok(index)
}

/// How the flags say to search and rank: by default as the app does.
fn how(args: &Args, index: &Index) -> (Effort, Ranking) {
    let effort = match (args.exact, args.budget, args.ef) {
        (true, _, _) => Effort::Exact,
        (_, Some(budget), _) => Effort::Forest { budget },
        (_, _, Some(ef)) => Effort::Graph { ef },
        _ => Effort::default_for(index),
    };
    let ranking = if args.no_rerank || effort == Effort::Exact {
        Ranking::Space
    } else {
        Ranking::DEFAULT
    };
    (effort, ranking)
}

/// The digit the nearest vote for, and how sure they are.
fn write_verdict(out: &mut String, found: &[Neighbor], train: &ssam::Dataset) {
    if let Some(v) = verdict::verdict(found, |id| train.label(id as usize)) {
        let _ = match (v.sure(), v.runner_up) {
            (false, Some((other, share))) => writeln!(
                out,
                "predicted digit: {} or {other}? the nearest disagree ({:.0}% against {:.0}%)",
                v.label,
                v.support * 100.0,
                share * 100.0
            ),
            _ => writeln!(
                out,
                "predicted digit: {} ({:.0}% of the weight of the {} nearest)",
                v.label,
                v.support * 100.0,
                found.len().min(verdict::VOTERS)
            ),
        };
    }
}

/// The nearest, a row each: rank, id, label and distance in the ranking's own unit.
fn write_table(out: &mut String, found: &[Neighbor], ranking: Ranking, train: &ssam::Dataset) {
    let unit = match ranking {
        Ranking::Space => "distance",
        Ranking::Distortion { .. } => "distortion",
    };
    let _ = writeln!(
        out,
        "{:>4}  {:>6}  {:>5}  {:>10}",
        "rank", "id", "label", unit
    );
    for (rank, n) in found.iter().enumerate() {
        let distance = match ranking {
            Ranking::Space => format!("{:.1}", n.euclidean()),
            Ranking::Distortion { .. } => n.distance.to_string(),
        };
        let _ = writeln!(
            out,
            "{:>4}  {:>6}  {:>5}  {distance:>10}",
            rank + 1,
            n.id,
            train.label(n.id as usize),
        );
    }
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
                )?
            }
        };
        if item >= data.len() {
            bail!(
                "{spec}: item {item} is out of range, the file has {} images",
                data.len()
            );
        }
        if data.dim() != SIDE * SIDE {
            bail!(
                "{spec}: images of {}x{} are not 28x28",
                data.rows(),
                data.cols()
            );
        }
        return Ok((
            data.image(item).to_vec(),
            format!("{spec} (label {})", data.label(item)),
        ));
    }
    let bytes = assets::read(Path::new(spec))?;
    let img = image::load_from_memory(&bytes)
        .with_context(|| format!("{spec}: not a picture this tool reads"))?;
    let rgba = img.to_rgba8();
    let prepared =
        preprocess::prepare_rgba(rgba.width() as usize, rgba.height() as usize, rgba.as_raw())
            .with_context(|| spec.to_owned())?;
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

/// An image `side` pixels wide in shades of text, to see what was searched with.
fn ascii(pixels: &[u8], side: usize) -> String {
    const SHADES: &[u8] = b" .:-=+*#%@";
    pixels
        .chunks(side)
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
