//! `ssam build`: the forest and the graph over the training images, written where the app
//! finds them. One thread: the times printed are what a single core takes.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Context;
use ssam::{GraphParams, Index, Params, Space, format};

use crate::assets::{self, Split};
use crate::{Result, parse_space, progress};

#[derive(clap::Args)]
pub struct Args {
    /// The space images are searched in (`raw`, or a transform's name; see `ssam bench`).
    #[arg(long, default_value_t = Space::DEFAULT, value_parser = parse_space)]
    pub space: Space,
    #[command(flatten)]
    pub forest: ForestArgs,
    #[command(flatten)]
    pub graph: GraphArgs,
    /// Also train compact codes of this many bytes per item, which the graph walk reads
    /// instead of the images (written as index format 3).
    #[arg(long)]
    codes: Option<usize>,
    /// Where to write the index (default: ASSETS/index.ssam.gz); `.gz` names are gzipped.
    #[arg(long)]
    out: Option<PathBuf>,
}

/// The forest's parameters, shared by `build` and `bench`.
#[derive(clap::Args, Clone, Copy)]
pub struct ForestArgs {
    /// Number of trees.
    #[arg(long, default_value_t = Params::default().trees)]
    pub trees: usize,
    /// Most items per leaf.
    #[arg(long, default_value_t = Params::default().leaf_size)]
    pub leaf_size: usize,
    /// Seed of the random choices (forest and graph).
    #[arg(long, default_value_t = Params::default().seed)]
    pub seed: u64,
}

impl ForestArgs {
    pub fn params(&self) -> Params {
        Params::default()
            .trees(self.trees)
            .leaf_size(self.leaf_size)
            .seed(self.seed)
    }
}

/// The graph's parameters, shared by `build` and `bench`.
#[derive(clap::Args, Clone, Copy)]
pub struct GraphArgs {
    /// Build no graph: the forest alone.
    #[arg(long)]
    pub no_graph: bool,
    /// Most neighbours an item keeps.
    #[arg(long, default_value_t = GraphParams::default().degree)]
    pub degree: usize,
    /// Length of the nearest-found lists NN-descent refines.
    #[arg(long, default_value_t = GraphParams::default().k)]
    pub graph_k: usize,
    /// Most NN-descent rounds.
    #[arg(long, default_value_t = GraphParams::default().rounds)]
    pub rounds: usize,
    /// Pruning's widening (1 is HNSW's rule).
    #[arg(long, default_value_t = GraphParams::default().alpha)]
    pub alpha: f32,
}

impl GraphArgs {
    pub fn params(&self, seed: u64) -> Option<GraphParams> {
        (!self.no_graph).then(|| {
            GraphParams::default()
                .degree(self.degree)
                .k(self.graph_k)
                .rounds(self.rounds)
                .alpha(self.alpha)
                .seed(seed)
        })
    }
}

/// Builds an index, printing each stage's single-threaded time; returns it with the
/// seconds the forest and the graph took.
pub fn timed_build(
    data: ssam::Dataset,
    space: Space,
    forest: ForestArgs,
    graph: GraphArgs,
) -> Result<(Index, f64, f64)> {
    let bar = progress(1000, "building");
    let start = Instant::now();
    let mut forest_done = None;
    let mut stage = String::new();
    let index = Index::build(
        data,
        space,
        forest.params(),
        graph.params(forest.seed),
        &mut |what, done| {
            if what != "forest" && what != "transforming" && forest_done.is_none() {
                forest_done = Some(start.elapsed().as_secs_f64());
            }
            if what != stage {
                stage = what.to_owned();
                bar.set_message(stage.clone());
            }
            bar.set_position((done * 1000.0) as u64);
        },
    )?;
    bar.finish_and_clear();
    let total = start.elapsed().as_secs_f64();
    let forest_s = forest_done.unwrap_or(total);
    Ok((index, forest_s, total - forest_s))
}

pub fn run(assets_dir: &Path, args: Args) -> Result {
    let data = assets::dataset(assets_dir, Split::Train)?;
    args.forest.params().validate()?;
    if let Some(g) = args.graph.params(args.forest.seed) {
        g.validate()?;
    }
    let (mut index, forest_s, graph_s) = timed_build(data, args.space, args.forest, args.graph)?;
    if let Some(dim) = args.codes {
        let start = Instant::now();
        index = index.with_codes(dim)?;
        println!(
            "codes: {dim} bytes per item, in {:.2} s, one thread",
            start.elapsed().as_secs_f64()
        );
    }
    let out = args.out.unwrap_or_else(|| assets_dir.join(assets::INDEX));
    let gz = out.extension().is_some_and(|e| e == "gz");
    let bytes = if gz {
        format::to_gzip(&index)
    } else {
        format::to_bytes(&index)
    };
    std::fs::write(&out, &bytes).with_context(|| out.display().to_string())?;
    let forest = index.forest();
    println!(
        "space {}: {} trees (leaf size {}, seed {}) over {} images in {forest_s:.2} s, one thread",
        index.space(),
        forest.tree_count(),
        forest.params().leaf_size,
        forest.params().seed,
        index.len()
    );
    if let Some(g) = index.graph() {
        println!(
            "graph: degree cap {}, {:.1} edges per item on average, in {graph_s:.2} s, one thread",
            g.degree(),
            g.edges() as f64 / g.len() as f64
        );
    }
    println!(
        "{:.2} MB in memory beyond the images; wrote {} ({} bytes, {:.2} MB)",
        index.memory_bytes() as f64 / 1e6,
        out.display(),
        bytes.len(),
        bytes.len() as f64 / 1e6
    );
    Ok(())
}
