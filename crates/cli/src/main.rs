//! `ssam`, the native command-line tool: builds the index the app ships, answers a query,
//! and benchmarks the forest against exact search (and, through `bench/`, its peers).
//! It owns the file system and the clock; the engine has neither.

mod assets;
mod augment;
mod bench;
mod build;
mod map;
mod plot;
mod query;
mod rank;
mod stream;
mod table;
mod truth;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Similar-image search over MNIST: build the index, query it, benchmark it.
#[derive(Parser)]
#[command(name = "ssam", version, about)]
struct Cli {
    /// Folder holding mnist/*.gz and the index.
    #[arg(long, global = true, default_value = "assets")]
    assets: PathBuf,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Build the forest and the graph over the training images and write the index file.
    Build(build::Args),
    /// Print the training images nearest to a PNG picture or an IDX item.
    Query(query::Args),
    /// Measure recall, speed and accuracy over the test images for a sweep of settings.
    Bench(bench::Args),
    /// Measure how re-ranking the nearest candidates finds the right digit, and its cost.
    Rank(rank::Args),
    /// Write the exact 10th-neighbour distance of every test image, for the app's benchmark.
    Truth(truth::Args),
    /// Lay out every training digit in the plane for the app's map, and measure it.
    Map(map::Args),
    /// Make a large corpus from the training digits by elastic deformations, written as IDX.
    Augment(augment::Args),
    /// Write the streamed layouts the site reads by range requests, or measure them.
    Stream(stream::Args),
    /// Redraw the SVG plot and print the table of a results CSV (after peers added rows).
    Plot(plot::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Build(args) => build::run(&cli.assets, args),
        Command::Query(args) => query::run(&cli.assets, args),
        Command::Bench(args) => bench::run(&cli.assets, args),
        Command::Rank(args) => rank::run(&cli.assets, args),
        Command::Truth(args) => truth::run(&cli.assets, args),
        Command::Plot(args) => plot::run(args),
        Command::Map(args) => map::run(&cli.assets, args),
        Command::Augment(args) => augment::run(&cli.assets, args),
        Command::Stream(args) => stream::run(&cli.assets, args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // The context first, then each cause: "file: what went wrong".
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Errors of the CLI: the engine's own (which name their file) or the system's, with the
/// file or step they happened in as context, shown to the user at the end.
pub type Result<T = ()> = anyhow::Result<T>;

/// Writes `out` to standard output. A reader that closed early (`ssam query ... | head`)
/// took what it wanted: that is no error.
pub fn print(out: &str) -> Result {
    use std::io::Write;
    match std::io::stdout().lock().write_all(out.as_bytes()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(anyhow::Error::new(e).context("writing the answer"))
        }
        _ => Ok(()),
    }
}

/// A progress bar for `len` steps of `what`.
pub fn progress(len: usize, what: &str) -> indicatif::ProgressBar {
    indicatif::ProgressBar::new(len as u64).with_style(
        indicatif::ProgressStyle::with_template(&format!(
            "{what} {{bar:30}} {{pos}}/{{len}}  {{elapsed_precise}}"
        ))
        .expect("valid template"),
    )
}

/// `answer(i)` for every `i` below `n`, on all cores (exact answers are the ground truth,
/// not what is timed), with a scratch per core and a progress bar saying `what`.
pub fn on_all_cores<T: Send>(
    n: usize,
    what: &str,
    answer: impl Fn(usize, &mut ssam::Scratch) -> T + Sync,
) -> Vec<T> {
    let threads = std::thread::available_parallelism().map_or(1, |t| t.get());
    let chunk = n.div_ceil(threads).max(1);
    let bar = progress(n, what);
    let answers = std::thread::scope(|s| {
        let handles: Vec<_> = (0..n)
            .step_by(chunk)
            .map(|from| {
                let (answer, bar) = (&answer, &bar);
                s.spawn(move || {
                    let mut scratch = ssam::Scratch::new();
                    (from..(from + chunk).min(n))
                        .map(|i| {
                            bar.inc(1);
                            answer(i, &mut scratch)
                        })
                        .collect::<Vec<T>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("a search does not panic"))
            .collect()
    });
    bar.finish_and_clear();
    answers
}

/// Parses a space's name for clap.
fn parse_space(name: &str) -> ssam::Result<ssam::Space> {
    name.parse()
}
