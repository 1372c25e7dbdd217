//! `ssam map`: lays out every training digit in the plane from its nearest neighbours in
//! the index's space (found through the index's own graph), writes the map the app
//! shows, and measures how well the map keeps labels and neighbours.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, bail};
use ssam::layout::{self, LayoutParams};
use ssam::{Effort, Map, Neighbor};

use crate::assets::{self, Split};
use crate::{Result, on_all_cores, progress};

#[derive(clap::Args)]
pub struct Args {
    /// The index whose space and graph give the neighbours (default: the shipped one).
    #[arg(long)]
    index: Option<PathBuf>,
    /// Where to write (default: ASSETS/map.ssam.gz, where the app looks).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Neighbours of each digit the layout keeps together (UMAP's n_neighbors).
    #[arg(short, default_value_t = layout::NEIGHBOURS)]
    k: usize,
    /// Beam of the graph search that finds them.
    #[arg(long, default_value_t = layout::GRAPH_EF)]
    ef: usize,
    /// Passes of the descent.
    #[arg(long, default_value_t = LayoutParams::default().epochs)]
    epochs: usize,
    /// Steepness of the layout's kernel: larger packs neighbours tighter.
    #[arg(long, default_value_t = LayoutParams::default().a)]
    a: f32,
    /// Digits the layout's quality is measured on (0: do not measure).
    #[arg(long, default_value_t = 10_000)]
    sample: usize,
}

pub fn run(assets_dir: &Path, args: Args) -> Result {
    let train = assets::dataset(assets_dir, Split::Train)?;
    let fingerprint = train.fingerprint();
    let path = args.index.unwrap_or_else(|| assets_dir.join(assets::INDEX));
    let index = assets::index(&path, train)?;
    let n = index.len();
    if index.graph().is_none() {
        bail!(
            "{}: this index has no graph; build it with one (`ssam build`)",
            path.display()
        );
    }
    let start = Instant::now();
    // Each digit searched as a query through the graph, as the app searches: the same
    // distances (query shifts included) the page's results show. Itself dropped.
    let effort = Effort::Graph { ef: args.ef };
    let knn = on_all_cores(n, "neighbours", |i, scratch| {
        layout::nearest_others(&index, i, args.k, effort, scratch)
            .with_context(|| format!("training digit {i}"))
    })
    .into_iter()
    .collect::<Result<Vec<Vec<Neighbor>>>>()?;
    let knn_s = start.elapsed().as_secs_f64();
    let descent = Instant::now();
    let start_points = layout::pca_start(index.searched());
    let params = LayoutParams {
        epochs: args.epochs,
        a: args.a,
        ..LayoutParams::default()
    };
    let bar = progress(params.epochs, "layout");
    let points = layout::layout(&knn, start_points, params, &mut |done| {
        bar.set_position((done * params.epochs as f64) as u64)
    })?;
    bar.finish_and_clear();
    let descent_s = descent.elapsed().as_secs_f64();
    let total_s = start.elapsed().as_secs_f64();
    let map = Map::from_layout(&points, fingerprint);
    let out = args.out.unwrap_or_else(|| assets_dir.join(assets::MAP));
    let bytes = map.to_gzip();
    std::fs::write(&out, &bytes).with_context(|| out.display().to_string())?;
    println!(
        "wrote {} ({} bytes): {n} digits on a {}x{} grid, laid out in {total_s:.1} s ({knn_s:.1} s finding {} neighbours each on all cores, {descent_s:.1} s for the start and {} epochs on one thread), space {}",
        out.display(),
        bytes.len(),
        map.width(),
        map.height(),
        args.k,
        params.epochs,
        index.space(),
    );
    if args.sample > 0 {
        quality(&index, &map, args.sample)?;
    }
    Ok(())
}

/// For `sample` digits spread evenly over the set: the share of each one's 10 nearest on
/// the map that carry its label, and the share of them among its 30 nearest in the
/// index's space (exact search).
fn quality(index: &ssam::Index, map: &Map, sample: usize) -> Result {
    let n = index.len();
    let step = (n / sample.min(n).max(1)).max(1);
    let ids: Vec<usize> = (0..n).step_by(step).take(sample).collect();
    let labels = index.originals().labels();
    let exact = on_all_cores(ids.len(), "exact 30 nearest", |s, scratch| {
        let i = ids[s];
        layout::nearest_others(index, i, 30, Effort::Exact, scratch)
            .with_context(|| format!("training digit {i}"))
    })
    .into_iter()
    .collect::<Result<Vec<Vec<Neighbor>>>>()?;
    let (mut same, mut kept, mut all) = (0usize, 0usize, 0usize);
    for (s, &i) in ids.iter().enumerate() {
        let [x, y] = map.points()[i].map(f32::from);
        for (_, j) in map.nearest(x, y, 10, Some(i as u32)) {
            all += 1;
            same += usize::from(labels[j as usize] == labels[i]);
            kept += usize::from(exact[s].iter().any(|e| e.id == j));
        }
    }
    let all = all.max(1) as f64;
    println!(
        "{} digits: share of each one's 10 nearest on the map with its label {:.4}; share of them among its 30 nearest in the search space {:.4}",
        ids.len(),
        same as f64 / all,
        kept as f64 / all
    );
    Ok(())
}
