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

/// Neighbours per query, as ann-benchmarks measures.
const K: usize = 10;
const TRUTH_MAGIC: &[u8; 8] = b"SSAMGT1\0";

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
    let truth = truth(&args.out.join("truth.bin"), &train, &test)?;

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

/// The exact 10 nearest of every query: read from `path` when it was made for this data
/// and covers these queries, otherwise computed on all cores and written there.
fn truth(path: &Path, train: &Dataset, test: &Dataset) -> Result<Vec<Vec<Neighbor>>> {
    if let Some(t) = read_truth(path, train, test) {
        return Ok(t);
    }
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
                            exact::search(train, test.image(i), K)
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
    write_truth(path, train, test, &answers)?;
    Ok(answers)
}

/// Layout: magic, k (u32), queries (u32), train and test fingerprints (u64), then per
/// query k pairs of (id u32, squared distance u32), little-endian. `bench/peers.py`
/// reads the same layout.
fn write_truth(path: &Path, train: &Dataset, test: &Dataset, answers: &[Vec<Neighbor>]) -> Result {
    let mut b = TRUTH_MAGIC.to_vec();
    b.extend_from_slice(&(K as u32).to_le_bytes());
    b.extend_from_slice(&(answers.len() as u32).to_le_bytes());
    b.extend_from_slice(&train.fingerprint().to_le_bytes());
    b.extend_from_slice(&test.fingerprint().to_le_bytes());
    for n in answers.iter().flatten() {
        b.extend_from_slice(&n.id.to_le_bytes());
        b.extend_from_slice(&n.distance.to_le_bytes());
    }
    std::fs::write(path, b).map_err(|e| format!("{}: {e}", path.display()))
}

fn read_truth(path: &Path, train: &Dataset, test: &Dataset) -> Option<Vec<Vec<Neighbor>>> {
    let b = std::fs::read(path).ok()?;
    let u32_at = |o: usize| Some(u32::from_le_bytes(b.get(o..o + 4)?.try_into().ok()?));
    let u64_at = |o: usize| Some(u64::from_le_bytes(b.get(o..o + 8)?.try_into().ok()?));
    let (k, n) = (u32_at(8)? as usize, u32_at(12)? as usize);
    let fits = b.starts_with(TRUTH_MAGIC)
        && k == K
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

fn progress(len: usize, what: &str) -> ProgressBar {
    ProgressBar::new(len as u64).with_style(
        ProgressStyle::with_template(&format!(
            "{what} {{bar:30}} {{pos}}/{{len}}  {{elapsed_precise}}"
        ))
        .expect("valid template"),
    )
}
