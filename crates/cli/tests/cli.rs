//! The `ssam` command as a user runs it: build an index, query it, bench it, and get a
//! clear message instead of a crash when a file is wrong.

#![cfg(not(target_arch = "wasm32"))]
#[path = "../../ssam/tests/common/mod.rs"]
mod common; // the MNIST files as the engine's tests read them

use std::path::Path;
use std::process::{Command, Output};

fn ssam(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ssam"))
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
        .args(args)
        .output()
        .expect("the ssam binary runs")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[test]
fn build_then_query_a_test_digit_finds_its_digit() {
    let dir = tempfile::tempdir().unwrap();
    let index = dir.path().join("index.ssam.gz");
    let index = index.to_str().unwrap();
    let o = ssam(&["build", "--trees", "3", "--rounds", "2", "--out", index]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains(": 3 trees"), "{}", text(&o));
    assert!(text(&o).contains("graph: degree cap"), "{}", text(&o));
    // Test image 0 is a 7, by the graph (the default), the forest and exact search.
    for how in [&[][..], &["--budget", "500"], &["--exact"]] {
        let mut args = vec!["query", "test:0", "--index", index, "-k", "5"];
        args.extend_from_slice(how);
        let o = ssam(&args);
        assert!(o.status.success(), "{how:?}: {}", text(&o));
        assert!(
            text(&o).contains("predicted digit: 7"),
            "{how:?}: {}",
            text(&o)
        );
        let ranks = text(&o)
            .lines()
            .filter(|l| l.trim_start().starts_with(|c: char| c.is_ascii_digit()))
            .count();
        assert_eq!(ranks, 5, "{how:?}: {}", text(&o));
    }
    // The index says which space it was built for, and a query asking for another is
    // refused with a message saying so.
    let o = ssam(&["query", "test:0", "--index", index, "--space", "raw"]);
    assert!(!o.status.success());
    assert!(text(&o).contains("built for the space"), "{}", text(&o));
}

#[test]
fn a_png_is_preprocessed_and_searched() {
    let dir = tempfile::tempdir().unwrap();
    // A black vertical bar on white, 60x90: a one.
    let mut img = image::GrayImage::from_pixel(60, 90, image::Luma([255]));
    for y in 10..80 {
        for x in 27..35 {
            img.put_pixel(x, y, image::Luma([0]));
        }
    }
    let png = dir.path().join("one.png");
    img.save(&png).unwrap();
    let o = ssam(&["query", png.to_str().unwrap(), "--exact", "-k", "5"]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("dark on light: inverted"), "{}", text(&o));
    assert!(text(&o).contains("predicted digit: 1"), "{}", text(&o));
}

#[test]
fn bench_writes_the_csv_columns_and_a_plot() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().to_str().unwrap();
    let o = ssam(&[
        "bench",
        "--queries",
        "20",
        "--forests",
        "2,3",
        "--budgets",
        "100,400",
        "--efs",
        "10,20",
        "--trees",
        "2",
        "--degree",
        "8",
        "--graph-k",
        "8",
        "--rounds",
        "1",
        "--codes",
        "16",
        "--exact-queries",
        "5",
        "--out",
        out,
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let csv = std::fs::read_to_string(dir.path().join("results.csv")).unwrap();
    let mut lines = csv.lines();
    assert_eq!(
        lines.next(),
        Some("system,trees,leaf_size,budget,build_s,index_bytes,recall10,qps,p50_ms,p99_ms,acc1")
    );
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    assert_eq!(rows.len(), 2 * 2 + 2 + 2 + 1);
    assert!(rows.iter().all(|r| r.len() == 11));
    let systems: Vec<&str> = rows.iter().map(|r| r[0]).collect();
    assert_eq!(
        systems,
        [
            "ssam-forest",
            "ssam-forest",
            "ssam-forest",
            "ssam-forest",
            "ssam-graph",
            "ssam-graph",
            "ssam-graph-pca16",
            "ssam-graph-pca16",
            "exact"
        ]
    );
    assert_eq!(rows[8][6], "1.0000");
    for r in &rows[..8] {
        let recall: f64 = r[6].parse().unwrap();
        assert!(
            (0.0..=1.0).contains(&recall) && r[7].parse::<f64>().unwrap() > 0.0,
            "{r:?}"
        );
    }
    let svg = std::fs::read_to_string(dir.path().join("results.svg")).unwrap();
    assert!(svg.contains("<svg") && svg.contains("recall@10"));
    assert!(Path::new(&dir.path().join("truth.bin")).exists());
}

#[test]
fn a_damaged_index_or_missing_file_is_a_message_not_a_crash() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.ssam");
    std::fs::write(&bad, b"SSAMIDX\0\x02\0\0\0garbage").unwrap();
    let o = ssam(&["query", "test:1", "--index", bad.to_str().unwrap()]);
    assert!(!o.status.success());
    assert!(text(&o).contains("bad.ssam: truncated"), "{}", text(&o));
    let o = ssam(&["query", "no-such.png"]);
    assert!(!o.status.success());
    assert!(text(&o).starts_with("error: no-such.png: "), "{}", text(&o));
    let o = ssam(&["query", "test:10000"]);
    assert!(
        text(&o).contains("item 10000 is out of range, the file has 10000 images"),
        "{}",
        text(&o)
    );
}

/// A reader that stops early (`ssam query ... | head`): its pipe closed before the answer is
/// written, the command ends quietly and well, not with a panic.
#[test]
fn a_query_read_by_a_reader_that_stopped_early_ends_well() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_ssam"))
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
        .args(["query", "test:0", "-k", "100"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("the ssam binary runs");
    // Closed at once: the index takes far longer to load than this.
    drop(child.stdout.take());
    let o = child.wait_with_output().unwrap();
    let said = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success() && !said.contains("panicked"), "{said}");
}

/// MNIST's training digits as shipped.
fn training_digits() -> ssam::Dataset {
    let dir = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../..")).join("assets/mnist");
    let read = |f: &str| std::fs::read(dir.join(f)).unwrap();
    ssam::Dataset::from_idx(
        "train images",
        &read("train-images-idx3-ubyte.gz"),
        "train labels",
        &read("train-labels-idx1-ubyte.gz"),
    )
    .unwrap()
}

#[test]
fn map_lays_out_the_training_digits_and_measures_the_layout() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("map.ssam.gz");
    let o = ssam(&[
        "map",
        "--epochs",
        "10",
        "--sample",
        "600",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        text(&o).contains("600 digits: share of each one's 10 nearest on the map with its label"),
        "{}",
        text(&o)
    );
    let train = training_digits();
    let map = ssam::Map::from_bytes(
        "map",
        &std::fs::read(&out).unwrap(),
        train.fingerprint(),
        train.len(),
    )
    .unwrap();
    assert_eq!(map.len(), 60_000);
}

#[test]
fn the_shipped_map_fits_the_training_digits_and_its_budget() {
    let path = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../..")).join("assets/map.ssam.gz");
    let bytes = std::fs::read(&path).unwrap();
    assert!(bytes.len() <= 300_000, "{} bytes", bytes.len());
    let train = training_digits();
    let map = ssam::Map::from_bytes("map", &bytes, train.fingerprint(), train.len()).unwrap();
    assert_eq!(map.len(), train.len());
    // Another set's fingerprint is refused.
    assert!(ssam::Map::from_bytes("map", &bytes, train.fingerprint() ^ 1, train.len()).is_err());
    // Written again, it is the file that ships: the writer is the one that made it.
    assert!(
        map.to_gzip() == bytes,
        "the shipped map writes back to other bytes"
    );
}

#[test]
fn build_with_no_flags_rebuilds_the_shipped_index_byte_for_byte() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("index.ssam.gz");
    let o = ssam(&["build", "--out", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o));
    let shipped = std::fs::read(
        Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../..")).join("assets/index.ssam.gz"),
    )
    .unwrap();
    let built = std::fs::read(&out).unwrap();
    assert!(
        built == shipped,
        "ssam build with no flags made {} bytes, the shipped index has {}",
        built.len(),
        shipped.len()
    );
}

/// The image and label files `ssam augment` wrote to `dir`, parsed.
fn augmented(dir: &Path, gz: &str) -> (ssam::idx::IdxArray, ssam::idx::IdxArray) {
    let read = |name: &str| {
        let path = dir.join(format!("{name}{gz}"));
        ssam::idx::parse(name, &std::fs::read(path).unwrap()).unwrap()
    };
    (
        read("train-images-idx3-ubyte"),
        read("train-labels-idx1-ubyte"),
    )
}

#[test]
fn augment_writes_idx_files_that_the_same_seed_makes_again_with_the_sources_labels() {
    let dir = tempfile::tempdir().unwrap();
    let run = |name: &str, extra: &[&str]| {
        let out = dir.path().join(name);
        let mut args = vec!["augment", "--from", "59900", "--count", "300", "--out"];
        args.push(out.to_str().unwrap());
        args.extend_from_slice(extra);
        let o = ssam(&args);
        assert!(o.status.success(), "{}", text(&o));
        assert!(text(&o).contains("wrote 300 digits"), "{}", text(&o));
        out
    };
    let (a, b) = (
        run("a", &["--seed", "5"]),
        run("b", &["--seed", "5", "--gzip"]),
    );
    let c = run("c", &["--seed", "6"]);
    let (images, labels) = augmented(&a, "");
    assert_eq!(images.dims, [300, 28, 28]);
    assert_eq!(labels.dims, [300]);
    // Gzipped or not, the same digits; another seed, other deformed digits.
    assert_eq!(augmented(&b, ".gz"), (images.clone(), labels.clone()));
    let (other, other_labels) = augmented(&c, "");
    assert_eq!(other_labels, labels);
    // Items 59,900 to 60,199: the last 100 training digits as they are, then the first
    // 200 deformed, each with its source's label.
    let train = common::mnist("train");
    for (j, (digit, other)) in images
        .data
        .chunks_exact(784)
        .zip(other.data.chunks_exact(784))
        .enumerate()
    {
        let source = (59_900 + j) % 60_000;
        assert_eq!(labels.data[j], train.label(source), "item {j}");
        if j < 100 {
            assert_eq!(digit, train.image(source), "item {j} is its source");
            assert_eq!(digit, other, "item {j} is its source whatever the seed");
        } else {
            assert_ne!(digit, train.image(source), "item {j} is deformed");
            assert_ne!(digit, other, "item {j} is deformed by the seed");
        }
    }
}

#[test]
fn augment_holds_a_chunk_not_the_corpus() {
    let dir = tempfile::tempdir().unwrap();
    let o = ssam(&[
        "augment",
        "--from",
        "60000",
        "--count",
        "150000",
        "--out",
        dir.path().to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let size = std::fs::metadata(dir.path().join("train-images-idx3-ubyte"))
        .unwrap()
        .len();
    assert_eq!(size, 16 + 150_000 * 784);
    // The training digits (47 MB) and a chunk at a time, not the 118 MB written.
    let peak: f64 = text(&o)
        .lines()
        .find_map(|l| l.strip_prefix("peak memory: "))
        .and_then(|l| l.strip_suffix(" MB"))
        .expect("the peak memory is printed")
        .parse()
        .unwrap();
    assert!(peak * 1e6 < size as f64 * 0.8, "{peak} MB for {size} bytes");
}

#[test]
fn stream_with_no_flags_rebuilds_the_shipped_layouts_byte_for_byte_and_measures_them() {
    let dir = tempfile::tempdir().unwrap();
    let o = ssam(&["stream", "--out", dir.path().to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o));
    let assets = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../..")).join("assets");
    let mut built: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    built.sort();
    assert_eq!(built.len(), 4, "two roots and their data files: {built:?}");
    for name in &built {
        let shipped = std::fs::read(assets.join(name))
            .unwrap_or_else(|e| panic!("{name} is not shipped ({e}): rerun `ssam stream`"));
        assert!(
            std::fs::read(dir.path().join(name)).unwrap() == shipped,
            "{name} differs"
        );
    }
    // Measured on what it wrote: a table with one row a probe count.
    let o = ssam(&[
        "stream",
        "--out",
        dir.path().to_str().unwrap(),
        "--measure",
        "--queries",
        "200",
        "--cold",
        "5",
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let out = text(&o);
    let row = out
        .lines()
        .find(|l| l.trim_start().starts_with("8 "))
        .unwrap_or_else(|| panic!("{out}"));
    // Cells, pictures (none: the cells hold images), recall@10.
    let recall: f64 = row.split_whitespace().nth(2).unwrap().parse().unwrap();
    assert!(recall > 0.9, "recall@10 with 8 cells: {row}");
}

#[test]
fn stream_codes_writes_a_coded_layout_and_measure_keeps_its_exact_answers_in_truth() {
    let dir = tempfile::tempdir().unwrap();
    let d = |name: &str| dir.path().join(name).to_str().unwrap().to_owned();
    let o = ssam(&[
        "augment",
        "--from",
        "0",
        "--count",
        "600",
        "--out",
        &d("set"),
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let o = ssam(&[
        "stream",
        "--codes",
        "16",
        "--cell",
        "30",
        "--images",
        &d("set/train-images-idx3-ubyte"),
        "--labels",
        &d("set/train-labels-idx1-ubyte"),
        "--out",
        &d("coded"),
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let root = d("coded/train-images-idx3-ubyte.root");
    let layout = ssam::stream::Root::from_bytes("r", &std::fs::read(&root).unwrap()).unwrap();
    assert!(layout.coded() && layout.len() == 600);
    let measure = || {
        let args = [
            "stream",
            "--measure",
            "--root",
            &root,
            "--queries",
            "20",
            "--cold",
            "3",
            "--cells",
            "4",
            "--pictures",
            "32",
            "--truth",
            &d("truth.bin"),
        ];
        let o = ssam(&args);
        assert!(o.status.success(), "{}", text(&o));
        let out = text(&o);
        let row = out
            .lines()
            .find(|l| l.trim_start().starts_with("4 "))
            .unwrap_or_else(|| panic!("{out}"))
            .to_owned();
        (out, row)
    };
    let (first, row) = measure();
    assert!(first.contains("exact answers of 20 test digits"), "{first}");
    // Cells, pictures, recall@10, 1-NN, ms, cold kB p50 and max, round trips.
    let cols: Vec<&str> = row.split_whitespace().collect();
    assert_eq!(cols[1], "32", "{row}");
    assert_eq!(cols[7], "2.00", "cells then pictures: {row}");
    // The second run reads the exact answers from the file: the same recall.
    let (second, again) = measure();
    assert!(!second.contains("exact answers of"), "{second}");
    assert_eq!(again.split_whitespace().nth(2), cols.get(2).copied());
}
