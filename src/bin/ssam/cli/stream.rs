//! `ssam stream`: writes the streamed layouts the site searches by range requests (the
//! training digits cut into cells, the test digits into a table), and measures what a
//! query costs on them: bytes and round trips cold, recall and accuracy.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Instant;

use ssam::stream::{Layout, Plan, Probes, StreamScratch, Streamed, WriteParams};
use ssam::truth::KthDistances;
use ssam::{Dataset, Ranking, Space, metrics};

use super::assets::{self, Split};
use super::{Result, parse_space};
use ssam::shipped::{TEST_ROOT, TRAIN_ROOT, in_assets};

#[derive(clap::Args)]
pub struct Args {
    /// The space cells are cut in (and queries routed in).
    #[arg(long, default_value_t = Space::DEFAULT, value_parser = parse_space)]
    space: Space,
    /// Items a cell holds, about.
    #[arg(long, default_value_t = 256)]
    cell: usize,
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
    fs::create_dir_all(&out).map_err(|e| format!("{}: {e}", out.display()))?;
    let routed = match WriteParams::ROUTED {
        WriteParams::Routed { top, seed, .. } => WriteParams::Routed {
            cell: args.cell,
            top,
            seed,
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
    let err = |e: ssam::Error| e.to_string();
    let images_idx =
        ssam::idx::parse_within(&name(images), assets::read(images)?, most).map_err(err)?;
    let labels_idx =
        ssam::idx::parse_within(&name(labels), assets::read(labels)?, most).map_err(err)?;
    let (rows, cols) = match images_idx.dims[..] {
        [_, r, c] => (r, c),
        _ => return Err(format!("{}: not an IDX file of images", name(images))),
    };
    Dataset::new(rows, cols, images_idx.data, labels_idx.data).map_err(err)
}

fn write(data: &Dataset, space: Space, out: &Path, stem: &str, params: WriteParams) -> Result {
    let t = Instant::now();
    let written = ssam::stream::write(data, space, stem, params).map_err(|e| e.to_string())?;
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
        fs::write(&path, content).map_err(|e| format!("{}: {e}", path.display()))?;
        bytes += content.len();
    }
    let root = out.join(format!("{stem}.root"));
    fs::write(&root, &written.root).map_err(|e| format!("{}: {e}", root.display()))?;
    let layout = Layout::from_bytes(&root.display().to_string(), &written.root)
        .map_err(|e| e.to_string())?;
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
    let layout =
        Layout::from_bytes(&path.display().to_string(), &bytes).map_err(|e| e.to_string())?;
    Ok((Streamed::new(layout, most), bytes.len()))
}

/// Reads `span` of a layout's data file from disk.
fn read_span(
    folder: &Path,
    layout: &Layout,
    span: &ssam::stream::Span,
    files: &mut Vec<Option<Vec<u8>>>,
) -> Result<Vec<u8>> {
    let f = usize::from(span.file);
    if files.len() <= f {
        files.resize(f + 1, None);
    }
    if files[f].is_none() {
        files[f] = Some(assets::read(&folder.join(&layout.files()[f].name))?);
    }
    let all = files[f].as_ref().expect("just read");
    Ok(all[span.start as usize..span.end as usize].to_vec())
}

fn measure(assets_dir: &Path, out: &Path, args: &Args) -> Result {
    let test = assets::dataset(assets_dir, Split::Test)?;
    let n = args.queries.min(test.len());
    let shipped = out.join(in_assets(TRAIN_ROOT));
    let path = args.root.clone().unwrap_or(shipped.clone());
    let folder = path.parent().unwrap_or(Path::new(".")).to_path_buf();
    let (mut warm, root_bytes) = open(&path, usize::MAX)?;
    let mut files = Vec::new();
    let mut scratch = StreamScratch::default();
    let err = |e: ssam::Error| e.to_string();
    // Every block once, for the warm runs.
    for span in warm.layout().whole() {
        let bytes = read_span(&folder, warm.layout(), &span, &mut files)?;
        warm.receive(&span, &bytes, &mut scratch).map_err(err)?;
    }
    let t = Instant::now();
    let kth: Vec<u32> = if path == shipped {
        let train = assets::dataset(assets_dir, Split::Train)?;
        let space = warm.layout().space();
        let truth = assets_dir.join(in_assets(ssam::shipped::TRUTH));
        KthDistances::from_bytes(
            &truth.display().to_string(),
            &assets::read(&truth)?,
            &space.apply_all(&train).map_err(err)?,
            &space.apply_all(&test).map_err(err)?,
        )
        .map_err(err)?
        .distances
    } else {
        // Exact: every cell searched.
        let all = Probes {
            routers: usize::MAX,
            cells: usize::MAX,
        };
        let mut kth = Vec::with_capacity(n);
        for i in 0..n {
            let q = test.image(i);
            warm.plan(q, all, &mut scratch).map_err(err)?;
            let found = warm
                .find(q, 10, Ranking::Space, &mut scratch)
                .map_err(err)?;
            kth.push(found.last().map_or(0, |f| f.neighbor.distance));
        }
        println!(
            "exact answers of {n} test digits over {} items: {:.1} s",
            warm.layout().len(),
            t.elapsed().as_secs_f64()
        );
        kth
    };
    println!(
        "root {root_bytes} bytes; {n} test digits ({} cold)",
        args.cold.min(n)
    );
    println!("cells  recall@10  1-NN   ms/query(warm)  cold kB p50  max  round trips  ranges");
    for &cells in &args.cells {
        let probes = Probes {
            cells,
            routers: args.routers,
        };
        let (mut recall, mut right) = (0.0, 0);
        let t = Instant::now();
        for (i, &kth) in kth.iter().enumerate().take(n) {
            let q = test.image(i);
            if warm.plan(q, probes, &mut scratch).map_err(err)? != Plan::Ready {
                return Err("a warm plan asked for blocks".into());
            }
            let plain = warm
                .find(q, 10, Ranking::Space, &mut scratch)
                .map_err(err)?;
            let plain: Vec<_> = plain.iter().map(|f| f.neighbor).collect();
            recall += metrics::recall_from_kth(kth, &plain, 10);
            let found = warm
                .find(q, 10, Ranking::DEFAULT, &mut scratch)
                .map_err(err)?;
            right += usize::from(found.first().is_some_and(|f| f.label == test.label(i)));
        }
        let ms = t.elapsed().as_secs_f64() * 1e3 / n as f64;
        let mut kb = Vec::new();
        let (mut trips, mut ranges) = (0, 0);
        for i in 0..args.cold.min(n) {
            let (mut cold, _) = open(&path, usize::MAX)?;
            let mut bytes = 0;
            while let Plan::Fetch(spans) = cold
                .plan(test.image(i), probes, &mut scratch)
                .map_err(err)?
            {
                trips += 1;
                for s in &spans {
                    let b = read_span(&folder, cold.layout(), s, &mut files)?;
                    bytes += b.len();
                    ranges += 1;
                    cold.receive(s, &b, &mut scratch).map_err(err)?;
                }
            }
            kb.push(bytes as f64 / 1e3);
        }
        kb.sort_by(f64::total_cmp);
        let cold_n = kb.len().max(1) as f64;
        println!(
            "{cells:5}  {:9.4}  {:.4}  {ms:14.2}  {:11.1}  {:5.1}  {:11.2}  {:6.2}",
            recall / n as f64,
            right as f64 / n as f64,
            kb.get(kb.len() / 2).copied().unwrap_or(0.0),
            kb.last().copied().unwrap_or(0.0),
            trips as f64 / cold_n,
            ranges as f64 / cold_n
        );
    }
    Ok(())
}
