//! `ssam bench`: the test images as queries against the forest (a sweep of tree counts and
//! budgets) and the graph (a sweep of beams) on raw MNIST-784, ann-benchmarks' protocol,
//! one thread, every query timed; exact search beside it; a CSV row per configuration, an
//! SVG plot and a text table. Then, with `--spaces`, the accuracy of each search space,
//! and with `--sizes`, how cost grows with the number of training images. The exact
//! answers are cached in the output folder for the peers' script to score against.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, bail};
use clap::builder::TypedValueParser as _;
use ssam::metrics::Tally;
use ssam::{Dataset, Effort, Index, Neighbor, Scratch, Space, exact, format, metrics};

use crate::assets::{self, Split};
use crate::build::{ForestArgs, GraphArgs, timed_build};
use crate::plot;
use crate::table::{self, Row};
use crate::truth;
use crate::{Result, on_all_cores, parse_space};

/// Neighbours per query, as ann-benchmarks measures.
const K: usize = 10;
/// The recall a setting must reach to count in the growth table.
const TARGET_RECALL: f64 = 0.95;

#[derive(clap::Args)]
pub struct Args {
    /// Use only the first N test images as queries (default: all 10,000).
    #[arg(long)]
    queries: Option<usize>,
    /// Tree counts to measure the forest alone with (one forest is built with the most;
    /// fewer trees are its prefix).
    #[arg(long, value_delimiter = ',', default_value = "5,10,20,40",
          value_parser = clap::value_parser!(u64).range(1..1025).map(|t| t as usize))]
    forests: Vec<usize>,
    /// Candidate budgets to measure the forest alone with.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "250,500,1000,2000,3000,4000,6000"
    )]
    budgets: Vec<usize>,
    /// Beams to measure the graph with: fine steps where the walk on codes crosses
    /// recall 0.95, 0.99 and 0.999, so that the fastest beam past each is measured.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "10,12,16,20,21,22,23,24,32,36,38,40,42,44,48,64,96,104,112,116,120,128,192,256"
    )]
    efs: Vec<usize>,
    /// Also measure the graph walking on compact codes of these lengths (bytes per item),
    /// re-ranked exactly, with the same beams.
    #[arg(long, value_delimiter = ',', default_value = "64")]
    codes: Vec<usize>,
    /// The forest that enters the graph, and its seed.
    #[command(flatten)]
    forest: ForestArgs,
    #[command(flatten)]
    graph: GraphArgs,
    /// Also measure the accuracy of these search spaces, exact and with the default
    /// search, over all test images.
    #[arg(long, value_delimiter = ',', value_parser = parse_space)]
    spaces: Vec<Space>,
    /// Also measure how cost grows: the same sweeps over the first N training images.
    #[arg(long, value_delimiter = ',')]
    sizes: Vec<usize>,
    /// Folder for results.csv, results.svg, spaces.csv, sizes.csv, sizes.svg and the exact
    /// answers.
    #[arg(long, default_value = "bench/out")]
    out: PathBuf,
    /// Queries timed for the exact-search row (it is slow).
    #[arg(long, default_value_t = 500)]
    exact_queries: usize,
}

pub fn run(assets_dir: &Path, args: Args) -> Result {
    if args.budgets.is_empty() || args.efs.is_empty() {
        bail!("--budgets and --efs need at least one value each");
    }
    std::fs::create_dir_all(&args.out).with_context(|| args.out.display().to_string())?;
    let train = assets::dataset(assets_dir, Split::Train)?;
    let test = assets::dataset(assets_dir, Split::Test)?;
    let test = test.head(args.queries.unwrap_or(test.len()));
    if test.is_empty() {
        bail!("--queries must be at least 1");
    }
    let truth = truth::answers(&args.out.join("truth.bin"), &train, &test, K)?;

    let mut rows = sweep(&args, train.clone(), &test, &truth)?;
    let exact_set = test.head(args.exact_queries.max(1));
    let timed = measure(
        &exact_set,
        &truth,
        |q, _| Ok(exact::search(&train, q, K)),
        &train,
    )?;
    let mut all = Tally::default();
    for (i, answer) in truth.iter().enumerate() {
        all.add(answer, answer, K, test.label(i), |id| {
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
    println!("{} queries, k = {K}, raw pixels, one thread", test.len());
    print!("{}", table::render(&rows));
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
    if !args.spaces.is_empty() {
        spaces(&args, &train, &test)?;
    }
    if !args.sizes.is_empty() {
        sizes(&args, &train, &test)?;
    }
    Ok(())
}

/// The forest and graph sweeps on raw pixels over `train`.
fn sweep(args: &Args, train: Dataset, test: &Dataset, truth: &[Vec<Neighbor>]) -> Result<Vec<Row>> {
    let mut rows = Vec::new();
    let mut forests = args.forests.clone();
    forests.sort_unstable();
    forests.dedup();
    if let Some(&most) = forests.last() {
        let many = ForestArgs {
            trees: most,
            ..args.forest
        };
        let no_graph = GraphArgs {
            no_graph: true,
            ..args.graph
        };
        // Each tree takes about as long as the others, so a prefix of t trees took
        // t / most of the time.
        let (index, forest_s, _) = timed_build(train.clone(), Space::Raw, many, no_graph)?;
        for &t in &forests {
            let prefix = index.with_trees(t);
            let bytes = format::to_bytes(&prefix).len() as u64;
            for &budget in &args.budgets {
                rows.push(row(
                    &prefix,
                    test,
                    truth,
                    Effort::Forest { budget },
                    forest_s * t as f64 / most as f64,
                    bytes,
                )?);
            }
        }
    }
    if !args.graph.no_graph {
        let (index, forest_s, graph_s) = timed_build(train, Space::Raw, args.forest, args.graph)?;
        eprintln!(
            "graph index built in {forest_s:.2} s (forest) + {graph_s:.2} s (graph), one thread"
        );
        // The index as built, then with each length of codes (their training timed on
        // top of the build).
        let mut variants = vec![(index.clone(), forest_s + graph_s)];
        for &dim in &args.codes {
            let start = Instant::now();
            let coded = index.clone().with_codes(dim)?;
            let codes_s = start.elapsed().as_secs_f64();
            eprintln!("codes of {dim} bytes trained in {codes_s:.2} s, one thread");
            variants.push((coded, forest_s + graph_s + codes_s));
        }
        for (index, build_s) in &variants {
            let bytes = format::to_bytes(index).len() as u64;
            for &ef in &args.efs {
                rows.push(row(
                    index,
                    test,
                    truth,
                    Effort::Graph { ef },
                    *build_s,
                    bytes,
                )?);
            }
        }
    }
    Ok(rows)
}

/// Measures one setting and prints its line as soon as it is known.
fn row(
    index: &Index,
    test: &Dataset,
    truth: &[Vec<Neighbor>],
    effort: Effort,
    build_s: f64,
    index_bytes: u64,
) -> Result<Row> {
    let m = measure(
        test,
        truth,
        |q, s| index.search(q, K, effort, s).map(<[Neighbor]>::to_vec),
        index.originals(),
    )?;
    let (system, budget) = match (effort, index.codes()) {
        (Effort::Forest { budget }, _) => ("ssam-forest".to_owned(), budget),
        (Effort::Graph { ef }, None) => ("ssam-graph".to_owned(), ef),
        (Effort::Graph { ef }, Some(codes)) => (format!("ssam-graph-pca{}", codes.dim()), ef),
        (Effort::Exact, _) => ("exact".to_owned(), index.len()),
    };
    let forest = index.forest().params();
    let r = Row {
        system,
        trees: Some(forest.trees as u64),
        leaf_size: Some(forest.leaf_size as u64),
        budget: Some(budget as u64),
        build_s: Some(build_s),
        index_bytes: Some(index_bytes),
        ..m
    };
    eprintln!(
        "{}",
        table::render(std::slice::from_ref(&r))
            .lines()
            .nth(1)
            .unwrap_or_default()
    );
    Ok(r)
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
    for (i, answer) in truth.iter().enumerate().take(test.len()) {
        let t = Instant::now();
        let found = search(test.image(i), &mut scratch)?;
        latencies.push(t.elapsed().as_secs_f64() * 1e3);
        tally.add(answer, &found, K, test.label(i), |id| {
            train.label(id as usize)
        });
    }
    // Queries over the time of the searches alone, as bench/peers.py counts its peers.
    let total = latencies.iter().sum::<f64>() / 1e3;
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

/// How often each space finds the right digit: exact 1-NN and 10-NN vote over all test
/// images (on all cores: accuracy, not speed), and 1-NN with the default search of an
/// index built in that space (one thread, timed).
fn spaces(args: &Args, train: &Dataset, test: &Dataset) -> Result {
    let mut lines = vec![
        "space,dim,exact_acc1,exact_vote10,default_search,default_acc1,default_qps,transform_ms"
            .to_string(),
    ];
    for &space in &args.spaces {
        let start = Instant::now();
        let dim = space.apply_all(train)?.dim();
        let transform_ms = start.elapsed().as_secs_f64() * 1e3;
        let (index, _, _) = timed_build(train.clone(), space, args.forest, args.graph)?;
        // The exact answers in this space, through the index so that a space's query
        // shifts count as they do in every search.
        let answers = on_all_cores(test.len(), "exact answers", |i, scratch| {
            index
                .search(test.image(i), K, Effort::Exact, scratch)
                .map(<[Neighbor]>::to_vec)
                .unwrap_or_default()
        });
        let (mut right1, mut right_vote) = (0usize, 0usize);
        for (i, a) in answers.iter().enumerate() {
            let label = test.label(i);
            right1 += usize::from(
                a.first()
                    .is_some_and(|n| train.label(n.id as usize) == label),
            );
            right_vote += usize::from(
                metrics::vote(a, |id| train.label(id as usize)).is_some_and(|(l, _)| l == label),
            );
        }
        let effort = Effort::default_for(&index);
        let m = measure(
            test,
            &answers,
            |q, s| index.search(q, K, effort, s).map(<[Neighbor]>::to_vec),
            train,
        )?;
        let n = test.len() as f64;
        lines.push(format!(
            "{space},{dim},{:.4},{:.4},{effort:?},{:.4},{:.0},{transform_ms:.0}",
            right1 as f64 / n,
            right_vote as f64 / n,
            m.acc1,
            m.qps
        ));
        eprintln!("{}", lines.last().expect("just pushed"));
    }
    write_table(
        &args.out.join("spaces.csv"),
        &lines,
        "search spaces",
        test.len(),
    )
}

/// How cost grows with the data: for the first N training images, each structure's
/// build time, index bytes and best QPS at recall@10 >= 0.95.
fn sizes(args: &Args, train: &Dataset, test: &Dataset) -> Result {
    let mut lines = vec!["items,system,build_s,index_bytes,best_setting,recall10,qps".to_string()];
    let mut points = Vec::new();
    for &n in &args.sizes {
        let part = train.head(n);
        let truth = truth::compute(&part, test, K);
        let sub = Args {
            forests: vec![args.forest.trees],
            spaces: Vec::new(),
            sizes: Vec::new(),
            out: args.out.clone(),
            efs: args.efs.clone(),
            budgets: args.budgets.clone(),
            codes: args.codes.clone(),
            ..*args
        };
        let rows = sweep(&sub, part, test, &truth)?;
        for system in ["ssam-forest", "ssam-graph"] {
            let best = rows
                .iter()
                .filter(|r| r.system == system && r.recall10 >= TARGET_RECALL)
                .max_by(|a, b| a.qps.total_cmp(&b.qps));
            let any = rows.iter().find(|r| r.system == system);
            if let Some(r) = best {
                points.push((system.to_owned(), n as f64, r.qps));
            }
            if let Some(r) = best.or(any) {
                lines.push(format!(
                    "{n},{system},{:.2},{},{},{:.4},{:.0}",
                    r.build_s.unwrap_or_default(),
                    r.index_bytes.unwrap_or_default(),
                    r.budget.unwrap_or_default(),
                    r.recall10,
                    r.qps
                ));
                eprintln!("{}", lines.last().expect("just pushed"));
            }
        }
    }
    let svg = args.out.join("sizes.svg");
    plot::draw_growth(&svg, &points)?;
    println!("plot: {}", svg.display());
    write_table(
        &args.out.join("sizes.csv"),
        &lines,
        "growth with the data",
        test.len(),
    )
}

/// Writes CSV lines to `path` and prints them under `title`.
fn write_table(path: &Path, lines: &[String], title: &str, queries: usize) -> Result {
    let text = lines.join("\n") + "\n";
    std::fs::write(path, &text).with_context(|| path.display().to_string())?;
    println!(
        "\n{title}, {queries} test images:\n{text}wrote {}",
        path.display()
    );
    Ok(())
}
