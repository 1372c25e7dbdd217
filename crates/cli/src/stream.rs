//! `ssam stream`: writes the streamed layouts the site searches by range requests (the
//! training digits cut into cells, the test digits into a table), and measures what a
//! query costs on them: bytes and round trips cold, recall and accuracy.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, bail};
use ssam::stream::{Plan, Probes, Root, StreamScratch, Streamed, WriteParams};
use ssam::truth::KthDistances;
use ssam::{Dataset, Ranking, Space, metrics};

use crate::assets::{self, Split};
use crate::{Result, parse_space};
use ssam::shipped::{TEST_ROOT, TRAIN_ROOT, in_assets};

#[derive(clap::Args)]
pub struct Args {
    /// The space cells are cut in (and queries routed in).
    #[arg(long, default_value_t = Space::DEFAULT, value_parser = parse_space)]
    space: Space,
    /// Items a cell holds, about.
    #[arg(long, default_value_t = 256)]
    cell: usize,
    /// Bytes of compact code per item in the cells, the images lying apart as pictures
    /// (a coded layout, for sets too large for cells of images); 0 keeps images in the cells.
    #[arg(long, default_value_t = 0)]
    codes: usize,
    /// Bytes of each cell's centroid code in the root (at least --codes): longer codes
    /// route a query to fewer cells for the same recall.
    #[arg(long, default_value_t = 64)]
    routing: usize,
    /// Values the codes' widest direction spans (2 to 256): coarser codes cost a cell
    /// fewer bytes, and a bit less per direction costs less recall than a direction less.
    #[arg(long, default_value_t = 128)]
    levels: usize,
    /// Images to lay out instead of MNIST's (an IDX file, gzipped or raw), with --labels.
    #[arg(long, requires = "labels")]
    images: Option<PathBuf>,
    /// Labels of --images.
    #[arg(long, requires = "images")]
    labels: Option<PathBuf>,
    /// Where to write (default: the assets folder); the root is `STEM.root`.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Write nothing: measure the layouts already written, over MNIST's test digits.
    #[arg(long)]
    measure: bool,
    /// Test digits measured.
    #[arg(long, default_value_t = 10_000)]
    queries: usize,
    /// Of which this many are measured cold (a fresh client each).
    #[arg(long, default_value_t = 1_000)]
    cold: usize,
    /// Cells searched per query, one row each.
    #[arg(long, value_delimiter = ',', default_values_t = [1, 2, 4, 8, 16, 32])]
    cells: Vec<usize>,
    /// Router blocks followed per query (layouts with a level of routers).
    #[arg(long, default_value_t = Probes::DEFAULT.routers)]
    routers: usize,
    /// In a coded layout, pictures fetched and measured exactly per query (nearest by
    /// code), one row each.
    #[arg(long, value_delimiter = ',', default_values_t = [Probes::DEFAULT.pictures])]
    pictures: Vec<usize>,
    /// Most bytes of cells a query searches (the nearest that fit, and always one);
    /// unbounded when not given. The visit's first query on MNIST takes
    /// `Probes::FIRST.cell_bytes`.
    #[arg(long)]
    cell_bytes: Option<u64>,
    /// The exact answers' k-th distances of the queries, read from this file when it
    /// exists, else computed and written there (over a million items they take minutes).
    #[arg(long)]
    truth: Option<PathBuf>,
    /// The layout measured (default: MNIST's training digits in the output folder); its
    /// exact answers are computed here unless it is MNIST's, whose ship with the site.
    #[arg(long)]
    root: Option<PathBuf>,
}

/// The stems the site's layouts are written under.
fn stem(root: &str) -> &str {
    in_assets(root).trim_end_matches(".root")
}

pub fn run(assets_dir: &Path, args: Args) -> Result {
    let out = args.out.clone().unwrap_or_else(|| assets_dir.to_path_buf());
    if args.measure {
        return measure(assets_dir, &out, &args);
    }
    fs::create_dir_all(&out).with_context(|| out.display().to_string())?;
    let routed = match WriteParams::ROUTED {
        WriteParams::Routed { top, seed, .. } => WriteParams::Routed {
            cell: args.cell,
            top,
            seed,
            codes: args.codes,
            routing: args.routing,
            levels: args.levels,
        },
        table => table,
    };
    match (&args.images, &args.labels) {
        (Some(images), Some(labels)) => {
            let data = large(images, labels)?;
            let name = images.file_name().and_then(|n| n.to_str()).unwrap_or("set");
            let name = name.split('.').next().unwrap_or("set");
            write(&data, args.space, &out, name, routed)
        }
        _ => {
            let train = assets::dataset(assets_dir, Split::Train)?;
            write(&train, args.space, &out, stem(TRAIN_ROOT), routed)?;
            let test = assets::dataset(assets_dir, Split::Test)?;
            write(&test, args.space, &out, stem(TEST_ROOT), WriteParams::TABLE)
        }
    }
}

/// IDX images and labels of any size (raw, not gzipped): a corpus of millions is larger
/// than anything the browser's readers take.
fn large(images: &Path, labels: &Path) -> Result<Dataset> {
    let most = 64 << 30;
    let name = |p: &Path| p.display().to_string();
    let images_idx = ssam::idx::parse_within(&name(images), assets::read(images)?, most)?;
    let labels_idx = ssam::idx::parse_within(&name(labels), assets::read(labels)?, most)?;
    let (rows, cols) = match images_idx.dims[..] {
        [_, r, c] => (r, c),
        _ => bail!("{}: not an IDX file of images", name(images)),
    };
    Ok(Dataset::new(rows, cols, images_idx.data, labels_idx.data)?)
}

fn write(data: &Dataset, space: Space, out: &Path, stem: &str, params: WriteParams) -> Result {
    let t = Instant::now();
    let written = ssam::stream::write(data, space, stem, params)?;
    // Files of earlier builds of this stem go: a folder holds one build of a layout.
    if let Ok(entries) = fs::read_dir(out) {
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if name.starts_with(&format!("{stem}-")) && name.ends_with(".cells") {
                let _ = fs::remove_file(e.path());
            }
        }
    }
    let mut bytes = 0;
    for (name, content) in &written.files {
        let path = out.join(name);
        fs::write(&path, content).with_context(|| path.display().to_string())?;
        bytes += content.len();
    }
    let root = out.join(format!("{stem}.root"));
    fs::write(&root, &written.root).with_context(|| root.display().to_string())?;
    let layout = Root::from_bytes(&root.display().to_string(), &written.root)?;
    println!(
        "wrote {} ({} bytes) and {} data file(s) of {bytes} bytes: {} items in {} blocks, {:.1} s",
        root.display(),
        written.root.len(),
        written.files.len(),
        layout.len(),
        layout.blocks().len(),
        t.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Opens the layout whose root is at `path`, nothing fetched yet.
fn open(path: &Path, most: usize) -> Result<(Streamed, usize)> {
    let bytes = assets::read(path)?;
    let layout = Root::from_bytes(&path.display().to_string(), &bytes)?;
    Ok((Streamed::new(layout, most), bytes.len()))
}

/// A layout's data files in a folder, each read from disk once, when first asked for.
struct Disk {
    folder: PathBuf,
    files: Vec<Option<Vec<u8>>>,
}

impl Disk {
    fn new(folder: PathBuf) -> Disk {
        Disk {
            folder,
            files: Vec::new(),
        }
    }

    /// The bytes of `span` of a layout's data file.
    fn read_span(&mut self, layout: &Root, span: &ssam::stream::Span) -> Result<Vec<u8>> {
        let f = usize::from(span.file);
        if self.files.len() <= f {
            self.files.resize(f + 1, None);
        }
        if self.files[f].is_none() {
            self.files[f] = Some(assets::read(&self.folder.join(&layout.files()[f].name))?);
        }
        let all = self.files[f].as_ref().expect("just read");
        Ok(all[span.start as usize..span.end as usize].to_vec())
    }
}

/// What one query cost: bytes, round trips and range requests.
#[derive(Default, Clone)]
struct Cost {
    bytes: usize,
    trips: usize,
    ranges: usize,
    /// Bytes of each round trip.
    rounds: Vec<usize>,
}

/// Fetches from `disk` what `query` needs until it is ready.
fn gather(
    streamed: &mut Streamed,
    query: &[u8],
    probes: Probes,
    disk: &mut Disk,
    scratch: &mut StreamScratch,
) -> Result<Cost> {
    let mut cost = Cost::default();
    while let Plan::Fetch(spans) = streamed.plan(query, probes, scratch)? {
        cost.trips += 1;
        cost.rounds.push(part_headers(streamed.layout(), &spans));
        cost.bytes += cost.rounds.last().expect("just pushed");
        for s in &spans {
            let b = disk.read_span(streamed.layout(), s)?;
            cost.bytes += b.len();
            *cost.rounds.last_mut().expect("just pushed") += b.len();
            cost.ranges += 1;
            streamed.receive(s, &b, scratch)?;
        }
    }
    Ok(cost)
}

/// The bytes a page's requests for `spans` get besides the ranges: it asks for all of a
/// file's spans in one request, and a host answers two or more as a multipart body,
/// each part behind its headers, as nginx writes them (a boundary of 20 digits, the
/// default type, the part's range and the file's size), and a closing boundary.
fn part_headers(layout: &Root, spans: &[ssam::stream::Span]) -> usize {
    const BOUNDARY: usize = "\r\n--".len() + 20 + "\r\n".len();
    const TYPE: usize = "Content-Type: application/octet-stream\r\n".len();
    let mut bytes = 0;
    for (f, file) in layout.files().iter().enumerate() {
        let of_file: Vec<_> = spans.iter().filter(|s| usize::from(s.file) == f).collect();
        if of_file.len() < 2 {
            continue;
        }
        for s in &of_file {
            let range = format!(
                "Content-Range: bytes {}-{}/{}\r\n\r\n",
                s.start,
                s.end - 1,
                file.bytes
            );
            bytes += BOUNDARY + TYPE + range.len();
        }
        bytes += BOUNDARY + "--".len();
    }
    bytes
}

/// The median and the largest of `kb`.
fn median_max(mut kb: Vec<f64>) -> (f64, f64) {
    kb.sort_by(f64::total_cmp);
    (
        kb.get(kb.len() / 2).copied().unwrap_or(0.0),
        kb.last().copied().unwrap_or(0.0),
    )
}

/// Measures the layout `--root` names (else MNIST's training digits in `out`) over the
/// first test digits: a row per number of cells and of pictures searched.
fn measure(assets_dir: &Path, out: &Path, args: &Args) -> Result {
    let test = assets::dataset(assets_dir, Split::Test)?;
    let n = args.queries.min(test.len());
    let shipped = out.join(in_assets(TRAIN_ROOT));
    let path = args.root.clone().unwrap_or(shipped.clone());
    let mut disk = Disk::new(path.parent().unwrap_or(Path::new(".")).to_path_buf());
    let mut scratch = StreamScratch::default();
    let (mut warm, root_bytes) = open_whole(&path, &mut disk, &mut scratch)?;
    let coded = warm.layout().coded();
    let queries = first(&test, n)?;
    let kth: Vec<u32> = if let Some(kth) = cached_kth(args, &warm, &queries)? {
        kth
    } else if path == shipped {
        shipped_kth(assets_dir, warm.layout().space(), &test)?
    } else {
        let kth = exact_kth(&mut warm, &test, n, &mut disk, &mut scratch)?;
        if let Some(file) = &args.truth {
            let fingerprint = warm.layout().fingerprint();
            let truth = KthDistances::of_fingerprint(10, kth.clone(), fingerprint, &queries);
            fs::write(file, truth.to_bytes()).with_context(|| file.display().to_string())?;
        }
        kth
    };
    println!(
        "root {root_bytes} bytes; {n} test digits ({} cold, each then a second of its class \
         for warm)",
        args.cold.min(n)
    );
    println!(
        "cells  pictures  recall@10  1-NN   ms/query(warm)  cold kB p50  max  round trips  \
         ranges  warm kB p50  max"
    );
    let pictures = if coded { &args.pictures[..] } else { &[0][..] };
    for &cells in &args.cells {
        for &pictures in pictures {
            let probes = Probes {
                cells,
                routers: args.routers,
                pictures,
                cell_bytes: args.cell_bytes.unwrap_or(u64::MAX),
            };
            let kth = &kth[..n.min(kth.len())];
            let answers = answers(&mut warm, &test, kth, probes, &mut disk, &mut scratch)?;
            let cold = args.cold.min(n);
            let traffic = traffic(&path, &test, cold, probes, &mut disk, &mut scratch)?;
            let pictures = if coded {
                pictures.to_string()
            } else {
                "-".into()
            };
            print_row(cells, &pictures, n, &answers, traffic);
        }
    }
    Ok(())
}

/// The layout whose root is at `path` with every block received, for the warm runs (a
/// coded layout's pictures come as asked); and the root's size.
fn open_whole(
    path: &Path,
    disk: &mut Disk,
    scratch: &mut StreamScratch,
) -> Result<(Streamed, usize)> {
    let (mut warm, root_bytes) = open(path, usize::MAX)?;
    for span in warm.layout().whole() {
        let bytes = disk.read_span(warm.layout(), &span)?;
        warm.receive(&span, &bytes, scratch)?;
    }
    Ok((warm, root_bytes))
}

/// The first `n` test digits, which the exact answers' files are made for.
fn first(test: &Dataset, n: usize) -> Result<Dataset> {
    let (rows, cols) = (test.rows(), test.cols());
    Ok(Dataset::new(
        rows,
        cols,
        test.pixels()[..n * rows * cols].to_vec(),
        test.labels()[..n].to_vec(),
    )?)
}

/// The exact answers' k-th distances of `queries`, when `--truth` names a file that holds
/// them.
fn cached_kth(args: &Args, warm: &Streamed, queries: &Dataset) -> Result<Option<Vec<u32>>> {
    match &args.truth {
        Some(file) if file.exists() => Ok(Some(
            KthDistances::from_bytes_of(
                &file.display().to_string(),
                &assets::read(file)?,
                warm.layout().fingerprint(),
                queries,
            )?
            .distances,
        )),
        _ => Ok(None),
    }
}

/// The k-th distances of MNIST's test digits, from the exact answers the site ships.
fn shipped_kth(assets_dir: &Path, space: Space, test: &Dataset) -> Result<Vec<u32>> {
    let train = assets::dataset(assets_dir, Split::Train)?;
    let truth = assets_dir.join(in_assets(ssam::shipped::TRUTH));
    Ok(KthDistances::from_bytes(
        &truth.display().to_string(),
        &assets::read(&truth)?,
        &space.apply_all(&train)?,
        &space.apply_all(test)?,
    )?
    .distances)
}

/// The k-th distances of the first `n` test digits, found by searching every cell (and in
/// a coded layout measuring every picture).
fn exact_kth(
    warm: &mut Streamed,
    test: &Dataset,
    n: usize,
    disk: &mut Disk,
    scratch: &mut StreamScratch,
) -> Result<Vec<u32>> {
    let t = Instant::now();
    let all = Probes {
        routers: usize::MAX,
        cells: usize::MAX,
        pictures: usize::MAX,
        cell_bytes: u64::MAX,
    };
    let mut kth = Vec::with_capacity(n);
    for i in 0..n {
        let q = test.image(i);
        gather(warm, q, all, disk, scratch)?;
        let found = warm.find(q, 10, Ranking::Space, scratch)?;
        kth.push(found.last().map_or(0, |f| f.neighbor.distance));
    }
    println!(
        "exact answers of {n} test digits over {} items: {:.1} s",
        warm.layout().len(),
        t.elapsed().as_secs_f64()
    );
    Ok(kth)
}

/// How good the answers of a client holding every block are, and how fast.
struct Answers {
    /// Recall@10 of the plain ranking, summed over the queries.
    recall: f64,
    /// Queries whose first answer under the default ranking has their label.
    right: usize,
    seconds: f64,
}

/// The answers to the test digits whose exact k-th distances are `kth`, each query
/// searching as `probes` say on the client that holds every block.
fn answers(
    warm: &mut Streamed,
    test: &Dataset,
    kth: &[u32],
    probes: Probes,
    disk: &mut Disk,
    scratch: &mut StreamScratch,
) -> Result<Answers> {
    let (mut recall, mut right) = (0.0, 0);
    let t = Instant::now();
    for (i, &kth) in kth.iter().enumerate() {
        let q = test.image(i);
        gather(warm, q, probes, disk, scratch)?;
        let plain = warm.find(q, 10, Ranking::Space, scratch)?;
        let plain: Vec<_> = plain.iter().map(|f| f.neighbor).collect();
        recall += metrics::recall_from_kth(kth, &plain, 10);
        let found = warm.find(q, 10, Ranking::DEFAULT, scratch)?;
        right += usize::from(found.first().is_some_and(|f| f.label == test.label(i)));
    }
    Ok(Answers {
        recall,
        right,
        seconds: t.elapsed().as_secs_f64(),
    })
}

/// What the queries fetched: each on a fresh client (cold), then the next digit of its
/// class on the same client (warm).
struct Traffic {
    cold_kb: Vec<f64>,
    warm_kb: Vec<f64>,
    trips: usize,
    ranges: usize,
    /// Bytes of each round trip, summed over the cold queries.
    rounds: Vec<usize>,
}

/// What the first `count` test digits fetch from the layout whose root is at `path`,
/// each searched as `probes` say.
fn traffic(
    path: &Path,
    test: &Dataset,
    count: usize,
    probes: Probes,
    disk: &mut Disk,
    scratch: &mut StreamScratch,
) -> Result<Traffic> {
    let mut traffic = Traffic {
        cold_kb: Vec::new(),
        warm_kb: Vec::new(),
        trips: 0,
        ranges: 0,
        rounds: Vec::new(),
    };
    for i in 0..count {
        let (mut cold, _) = open(path, usize::MAX)?;
        let q = test.image(i);
        let c = gather(&mut cold, q, probes, disk, scratch)?;
        traffic.cold_kb.push(c.bytes as f64 / 1e3);
        traffic.trips += c.trips;
        traffic.ranges += c.ranges;
        let rounds = &mut traffic.rounds;
        rounds.resize(rounds.len().max(c.rounds.len()), 0);
        for (r, b) in rounds.iter_mut().zip(&c.rounds) {
            *r += b;
        }
        // The next test digit of the same class, on the same client.
        if let Some(j) = (i + 1..test.len()).find(|&j| test.label(j) == test.label(i)) {
            let q = test.image(j);
            let c = gather(&mut cold, q, probes, disk, scratch)?;
            traffic.warm_kb.push(c.bytes as f64 / 1e3);
        }
    }
    Ok(traffic)
}

/// One row of the table, over `n` queries, and below it the mean bytes of each cold
/// round trip.
fn print_row(cells: usize, pictures: &str, n: usize, answers: &Answers, traffic: Traffic) {
    let n = n as f64;
    let ms = answers.seconds * 1e3 / n;
    let cold_n = traffic.cold_kb.len().max(1) as f64;
    let (cold_p50, cold_max) = median_max(traffic.cold_kb);
    let (warm_p50, warm_max) = median_max(traffic.warm_kb);
    println!(
        "{cells:5}  {pictures:>8}  {:9.4}  {:.4}  {ms:14.2}  {cold_p50:11.1}  {cold_max:5.1}  \
         {:11.2}  {:6.2}  {warm_p50:11.1}  {warm_max:5.1}",
        answers.recall / n,
        answers.right as f64 / n,
        traffic.trips as f64 / cold_n,
        traffic.ranges as f64 / cold_n
    );
    let each: Vec<String> = traffic
        .rounds
        .iter()
        .map(|&b| format!("{:.1}", b as f64 / 1e3 / cold_n))
        .collect();
    println!("       cold kB a round trip, mean: {}", each.join(", "));
}
