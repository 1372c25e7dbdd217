//! `ssam augment`: a large corpus made from MNIST's 60,000 training digits by elastic
//! deformations (`ssam::augment`), written as IDX files as it is made, a chunk at a
//! time, so memory does not grow with the corpus.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, anyhow};
use ssam::augment::{self, Augmenter, Deformation};
use ssam::{Dataset, Space, exact, idx};

use crate::assets::{self, Split};
use crate::{Result, on_all_cores, progress};

/// Digits made and written at a time: 4 MB of pixels, a few milliseconds of writing
/// between the cores' turns.
const CHUNK: usize = 5_000;

/// File names in the output folder, as MNIST names its training files, so the folder
/// reads as a set of training digits.
const IMAGES: &str = "train-images-idx3-ubyte";
const LABELS: &str = "train-labels-idx1-ubyte";

#[derive(clap::Args)]
pub struct Args {
    /// Digits to write.
    #[arg(long, default_value_t = 1_000_000)]
    count: u64,
    /// The corpus's first item: item i is copy i / 60,000 of training digit i % 60,000,
    /// copy 0 being the digit itself, so any slice of a corpus can be made alone.
    #[arg(long, default_value_t = 0)]
    from: u64,
    /// Seed of the deformations: the same seed gives the same bytes.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Output folder (made if missing); keep corpora out of the repository.
    #[arg(long, default_value = "target/augmented")]
    out: PathBuf,
    /// Gzip both files (`.gz`), as MNIST ships.
    #[arg(long)]
    gzip: bool,
    /// Then measure exact 1-NN accuracy of the first N test digits over the corpus and
    /// over the 60,000 originals, in the index's space without query shifts. Keeps 256
    /// bytes a digit.
    #[arg(long, default_value_t = 0)]
    measure: usize,
}

pub fn run(assets_dir: &Path, args: Args) -> Result {
    let train = assets::dataset(assets_dir, Split::Train)?;
    let (rows, cols) = (train.rows(), train.cols());
    let total = args
        .from
        .checked_add(args.count)
        .filter(|&end| args.count > 0 && end <= u64::from(u32::MAX))
        .ok_or_else(|| {
            anyhow!(
                "--from {} --count {}: the corpus's items must be 1 to {} in all",
                args.from,
                args.count,
                u32::MAX
            )
        })?;
    let count = args.count as usize;
    std::fs::create_dir_all(&args.out).with_context(|| args.out.display().to_string())?;
    let suffix = if args.gzip { ".gz" } else { "" };
    let images_path = args.out.join(format!("{IMAGES}{suffix}"));
    let labels_path = args.out.join(format!("{LABELS}{suffix}"));
    let mut images = Output::create(&images_path, args.gzip)?;
    let mut labels = Output::create(&labels_path, args.gzip)?;
    images.write(&idx::header(&[count, rows, cols]))?;
    labels.write(&idx::header(&[count]))?;

    let augmenter = Augmenter::new(rows, cols, args.seed, Deformation::MNIST);
    let space = measured_space();
    let mut searched = Vec::with_capacity(if args.measure > 0 {
        count * space.dim(rows, cols)
    } else {
        0
    });
    let start = Instant::now();
    let bar = progress(count, "digits");
    for first in (args.from..total).step_by(CHUNK) {
        let n = CHUNK.min((total - first) as usize);
        let pixels = make(&augmenter, &train, first, n);
        let chunk_labels: Vec<u8> = (first..first + n as u64)
            .map(|i| train.label(augment::item(i, train.len()).0))
            .collect();
        images.write(&pixels)?;
        labels.write(&chunk_labels)?;
        if args.measure > 0 {
            let chunk = Dataset::new(rows, cols, pixels, chunk_labels)?;
            let moved = space.apply_all(&chunk)?;
            searched.extend_from_slice(moved.pixels());
        }
        bar.inc(n as u64);
    }
    bar.finish_and_clear();
    let (image_bytes, label_bytes) = (images.finish()?, labels.finish()?);
    let secs = start.elapsed().as_secs_f64();
    println!(
        "wrote {count} digits (items {} to {}, seed {}) in {secs:.1} s, {:.0} digits/s: \
         {} ({image_bytes} bytes), {} ({label_bytes} bytes)",
        args.from,
        total - 1,
        args.seed,
        count as f64 / secs,
        images_path.display(),
        labels_path.display()
    );
    if let Some(rss) = assets::peak_rss() {
        println!("peak memory: {:.0} MB", rss as f64 / 1e6);
    }
    if args.measure > 0 {
        let labels: Vec<u8> = (args.from..total)
            .map(|i| train.label(augment::item(i, train.len()).0))
            .collect();
        let side = space.dim(rows, cols).isqrt();
        let corpus = Dataset::new(side, side, searched, labels)?;
        measure(assets_dir, &train, &corpus, args.measure)?;
    }
    Ok(())
}

/// The index's space without its query shifts: plain exact search.
fn measured_space() -> Space {
    match Space::DEFAULT {
        Space::Deskew {
            blur, norm, side, ..
        } => Space::Deskew {
            blur,
            norm,
            side,
            shift: 0,
        },
        raw => raw,
    }
}

/// Items `first..first + n` of the corpus, on all cores, in order.
fn make(augmenter: &Augmenter, train: &Dataset, first: u64, n: usize) -> Vec<u8> {
    let dim = train.dim();
    let mut pixels = vec![0u8; n * dim];
    let threads = std::thread::available_parallelism().map_or(1, |t| t.get());
    let per = n.div_ceil(threads).max(1);
    std::thread::scope(|s| {
        for (t, part) in pixels.chunks_mut(per * dim).enumerate() {
            s.spawn(move || {
                for (j, out) in part.chunks_exact_mut(dim).enumerate() {
                    let (source, copy) = augment::item(first + (t * per + j) as u64, train.len());
                    augmenter.deform(train.image(source), source, copy, out);
                }
            });
        }
    });
    pixels
}

/// Exact 1-NN accuracy of the first `queries` test digits over `corpus` and over the
/// training digits it was made from, both already in the measured space.
fn measure(assets_dir: &Path, train: &Dataset, corpus: &Dataset, queries: usize) -> Result {
    let space = measured_space();
    let test = assets::dataset(assets_dir, Split::Test)?;
    let test = test.head(queries.min(test.len()));
    let test = space.apply_all(&test)?;
    let originals = space.apply_all(train)?;
    for (name, over) in [("the 60,000 originals", &originals), ("the corpus", corpus)] {
        let start = Instant::now();
        let right = on_all_cores(test.len(), "exact 1-NN", |i, _| {
            let nearest = exact::search(over, test.image(i), 1);
            nearest.first().map(|n| over.label(n.id as usize)) == Some(test.label(i))
        })
        .into_iter()
        .filter(|&r| r)
        .count();
        println!(
            "exact 1-NN accuracy of {} test digits over {name} ({} digits, space {space}): {:.4} ({:.1} s)",
            test.len(),
            over.len(),
            right as f64 / test.len() as f64,
            start.elapsed().as_secs_f64()
        );
    }
    Ok(())
}

/// A file written as it is made, gzipped or not; errors name it.
struct Output {
    path: PathBuf,
    writer: Writer,
}

enum Writer {
    Raw(BufWriter<File>),
    Gzip(Box<flate2::write::GzEncoder<BufWriter<File>>>),
}

impl Output {
    fn create(path: &Path, gzip: bool) -> Result<Self> {
        let file = BufWriter::new(File::create(path).with_context(|| path.display().to_string())?);
        let writer = if gzip {
            Writer::Gzip(Box::new(flate2::write::GzEncoder::new(
                file,
                flate2::Compression::default(),
            )))
        } else {
            Writer::Raw(file)
        };
        Ok(Self {
            path: path.to_owned(),
            writer,
        })
    }

    fn write(&mut self, bytes: &[u8]) -> Result {
        match &mut self.writer {
            Writer::Raw(w) => w.write_all(bytes),
            Writer::Gzip(w) => w.write_all(bytes),
        }
        .with_context(|| self.path.display().to_string())
    }

    /// Ends the file (the gzip trailer, the last buffer); returns its size.
    fn finish(self) -> Result<u64> {
        let err = |e: std::io::Error| anyhow!(e).context(self.path.display().to_string());
        let file = match self.writer {
            Writer::Raw(w) => w,
            Writer::Gzip(w) => w.finish().map_err(err)?,
        };
        let file = file.into_inner().map_err(|e| err(e.into_error()))?;
        Ok(file.metadata().map_err(err)?.len())
    }
}
