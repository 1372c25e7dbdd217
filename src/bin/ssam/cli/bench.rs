//! `ssam bench`: the test images as queries against a sweep of tree counts and budgets,
//! one thread, every query timed; exact search beside it; a CSV row per configuration,
//! an SVG plot and a text table. The exact answers are cached in the output folder for
//! the peers' script to score against the same truth.

use std::path::{Path, PathBuf};
use std::time::Instant;

use indicatif::{ProgressBar, ProgressStyle};
use ssam::metrics::Tally;
use ssam::{Dataset, Neighbor, Params, Scratch, exact, format};

use super::Result;
use super::assets::{self, Split};
use super::plot;
use super::table::{self, Row};
use super::truth;

/// Neighbours per query, as ann-benchmarks measures.
const K: usize = 10;

#[derive(clap::Args)]
pub struct Args {
    /// Use only the first N test images as queries (default: all 10,000).
    #[arg(long)]
    queries: Option<usize>,
    /// Tree counts to measure (one forest is built with the most; fewer trees are its prefix).
    #[arg(long, value_delimiter = ',', default_value = "5,10,15,20,40")]
    trees: Vec<usize>,
    /// Most items per leaf.
    #[arg(long, default_value_t = Params::default().leaf_size)]
    leaf_size: usize,
    /// Candidate budgets to measure.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "250,500,1000,2000,3000,4000,6000"
    )]
    budgets: Vec<usize>,
    /// Seed of the forest.
    #[arg(long, default_value_t = Params::default().seed)]
    seed: u64,
    /// Folder for results.csv, results.svg and the cached exact answers.
    #[arg(long, default_value = "bench/out")]
    out: PathBuf,
    /// Queries timed for the exact-search row (it is slow).
    #[arg(long, default_value_t = 500)]
    exact_queries: usize,
}

pub fn run(assets_dir: &Path, args: Args) -> Result {
    let max_trees = args
        .trees
        .iter()
        .copied()
        .max()
        .ok_or("--trees needs at least one count")?;
    if args.budgets.is_empty() {
        return Err("--budgets needs at least one budget".into());
    }
    std::fs::create_dir_all(&args.out).map_err(|e| format!("{}: {e}", args.out.display()))?;
    let train = assets::dataset(assets_dir, Split::Train)?;
    let test = assets::dataset(assets_dir, Split::Test)?;
    let test = test.head(args.queries.unwrap_or(test.len()));
    if test.is_empty() {
        return Err("--queries must be at least 1".into());
    }
    let truth = truth::answers(&args.out.join("truth.bin"), &train, &test, K)?;

    let params = Params::default()
        .trees(max_trees)
        .leaf_size(args.leaf_size)
        .seed(args.seed);
    let bar = progress(max_trees, "building");
    let start = Instant::now();
    let mut done_at = Vec::with_capacity(max_trees);
    let forest = params
        .build(&train, &mut |_| {
            done_at.push(start.elapsed().as_secs_f64());
            bar.inc(1);
        })
        .map_err(|e| e.to_string())?;
    bar.finish_and_clear();

    let mut rows = Vec::new();
    let mut trees = args.trees.clone();
    trees.sort_unstable();
    trees.dedup();
    for &t in &trees {
        let f = forest.truncated(t);
        let index_bytes = format::to_bytes(&f).len() as u64;
        for &budget in &args.budgets {
            let m = measure(
                &test,
                &truth,
                |q, s| f.search(&train, q, K, budget, s).map(<[Neighbor]>::to_vec),
                &train,
            )?;
            rows.push(Row {
                system: "ssam".into(),
                trees: Some(t as u64),
                leaf_size: Some(args.leaf_size as u64),
                budget: Some(budget as u64),
                build_s: Some(done_at[t - 1]),
                index_bytes: Some(index_bytes),
                ..m
            });
            eprintln!(
                "{}",
                table::render(&rows[rows.len() - 1..])
                    .lines()
                    .nth(1)
                    .unwrap_or_default()
            );
        }
    }
    let exact_set = test.head(args.exact_queries.max(1));
    let timed = measure(
        &exact_set,
        &truth,
        |q, _| Ok(exact::search(&train, q, K)),
        &train,
    )?;
    let mut all = Tally::default();
    for i in 0..test.len() {
        all.add(&truth[i], &truth[i], K, test.label(i), |id| {
            train.label(id as usize)
        });
    }
    rows.push(Row {
        system: "exact".into(),
        budget: Some(train.len() as u64),
        acc1: all.accuracy_1nn(),
        ..timed
    });

    let csv = args.out.join("results.csv");
    table::write_csv(&csv, &rows)?;
    plot::draw(&csv.with_extension("svg"), &rows)?;
    println!("{} queries, k = {K}, one thread", test.len());
    print!("{}", table::render(&rows));
    println!(
        "forest of {max_trees} trees: {:.2} MB in memory",
        forest.memory_bytes() as f64 / 1e6
    );
    if let Some(rss) = assets::peak_rss() {
        println!(
            "peak resident memory of this run: {:.1} MB",
            rss as f64 / 1e6
        );
    }
    println!(
        "wrote {} and {}",
        csv.display(),
        csv.with_extension("svg").display()
    );
    Ok(())
}

/// Runs every test image through `search`, timing each query, and scores the answers.
fn measure(
    test: &Dataset,
    truth: &[Vec<Neighbor>],
    mut search: impl FnMut(&[u8], &mut Scratch) -> ssam::Result<Vec<Neighbor>>,
    train: &Dataset,
) -> Result<Row> {
    let mut scratch = Scratch::new();
    let mut latencies = Vec::with_capacity(test.len());
    let mut tally = Tally::default();
    let start = Instant::now();
    for i in 0..test.len() {
        let t = Instant::now();
        let found = search(test.image(i), &mut scratch).map_err(|e| e.to_string())?;
        latencies.push(t.elapsed().as_secs_f64() * 1e3);
        tally.add(&truth[i], &found, K, test.label(i), |id| {
            train.label(id as usize)
        });
    }
    let total = start.elapsed().as_secs_f64();
    latencies.sort_by(f64::total_cmp);
    let pct = |p: f64| latencies[((latencies.len() - 1) as f64 * p).round() as usize];
    Ok(Row {
        system: String::new(),
        trees: None,
        leaf_size: None,
        budget: None,
        build_s: None,
        index_bytes: None,
        recall10: tally.recall(),
        qps: test.len() as f64 / total,
        p50_ms: pct(0.5),
        p99_ms: pct(0.99),
        acc1: tally.accuracy_1nn(),
    })
}

pub fn progress(len: usize, what: &str) -> ProgressBar {
    ProgressBar::new(len as u64).with_style(
        ProgressStyle::with_template(&format!(
            "{what} {{bar:30}} {{pos}}/{{len}}  {{elapsed_precise}}"
        ))
        .expect("valid template"),
    )
}
