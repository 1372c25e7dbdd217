//! The engine's promises, one test each: reading MNIST, building the same forest from the
//! same seed, finding what brute force finds, surviving every damaged index file, and
//! keeping recall on real digits.
#![cfg(not(target_arch = "wasm32"))]

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use ssam::metrics::Tally;
use ssam::{Dataset, Error, Forest, Params, Scratch, exact, format};

const ASSETS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/assets/mnist");

fn mnist(stem: &str) -> Dataset {
    let read = |name: String| {
        std::fs::read(format!("{ASSETS}/{name}")).expect("the MNIST files ship in assets/mnist")
    };
    let (images, labels) = (
        format!("{stem}-images-idx3-ubyte.gz"),
        format!("{stem}-labels-idx1-ubyte.gz"),
    );
    Dataset::from_idx(
        &images,
        &read(images.clone()),
        &labels,
        &read(labels.clone()),
    )
    .unwrap()
}

/// Clustered random 8x8 images: digits-like structure without the MNIST files.
fn synthetic(n: usize, seed: u64) -> Dataset {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let centres: Vec<Vec<u8>> = (0..10)
        .map(|_| (0..64).map(|_| rng.random()).collect())
        .collect();
    let mut pixels = Vec::with_capacity(n * 64);
    let mut labels = Vec::with_capacity(n);
    for _ in 0..n {
        let c = rng.random_range(0..10);
        pixels.extend(
            centres[c]
                .iter()
                .map(|&v| v.saturating_add_signed(rng.random_range(-40..=40))),
        );
        labels.push(c as u8);
    }
    Dataset::new(8, 8, pixels, labels).unwrap()
}

#[test]
fn mnist_files_read_with_their_shapes_and_labels() {
    let train = mnist("train");
    let test = mnist("t10k");
    assert_eq!((train.len(), train.rows(), train.cols()), (60_000, 28, 28));
    assert_eq!(test.len(), 10_000);
    // The first training digit is a 5, the first test digit a 7.
    assert_eq!((train.label(0), test.label(0)), (5, 7));
    assert_eq!(train.pixels().len(), 60_000 * 784);
}

#[test]
fn building_is_deterministic_and_the_seed_matters() {
    let data = synthetic(3000, 1);
    let params = Params::default().trees(4).leaf_size(16).seed(9);
    let a = format::to_bytes(&params.build(&data, &mut |_| {}).unwrap());
    let b = format::to_bytes(&params.build(&data, &mut |_| {}).unwrap());
    let c = format::to_bytes(&params.seed(10).build(&data, &mut |_| {}).unwrap());
    assert_eq!(a, b);
    assert_ne!(a, c);
}

#[test]
fn every_leaf_is_small_and_every_tree_holds_every_item_once() {
    let data = synthetic(5000, 2);
    let forest = Params::default()
        .trees(3)
        .leaf_size(20)
        .build(&data, &mut |_| {})
        .unwrap();
    // Reading back runs the full structural check: each item exactly once per tree,
    // leaves no larger than the leaf size.
    let back = format::from_bytes("f", &format::to_bytes(&forest), &data).unwrap();
    assert_eq!(back, forest);
    assert_eq!(forest.tree_count(), 3);
    assert!(forest.leaf_count() >= 3 * 5000 / 20);
}

#[test]
fn a_large_enough_budget_returns_exactly_what_brute_force_returns() {
    let data = synthetic(2000, 3);
    let queries = synthetic(50, 4);
    let forest = Params::default()
        .trees(5)
        .leaf_size(16)
        .build(&data, &mut |_| {})
        .unwrap();
    let mut scratch = Scratch::new();
    for i in 0..queries.len() {
        let q = queries.image(i);
        let found = forest
            .search(&data, q, 10, data.len(), &mut scratch)
            .unwrap()
            .to_vec();
        assert_eq!(found, exact::search(&data, q, 10), "query {i}");
        assert_eq!(scratch.candidates(), data.len());
    }
}

#[test]
fn results_are_sorted_distinct_and_exact_distances() {
    let data = synthetic(3000, 5);
    let forest = Params::default()
        .trees(3)
        .build(&data, &mut |_| {})
        .unwrap();
    let mut scratch = Scratch::new();
    let q = synthetic(1, 6);
    let found = forest
        .search(&data, q.image(0), 20, 200, &mut scratch)
        .unwrap()
        .to_vec();
    assert_eq!(found.len(), 20);
    assert!(found.windows(2).all(|w| w[0] < w[1]));
    for n in &found {
        assert_eq!(
            n.distance,
            ssam::distance::scalar::l2_sq(q.image(0), data.image(n.id as usize))
        );
    }
    // A budget is a floor on the distinct items measured, not more than a leaf beyond it.
    assert!(
        (200..200 + 32).contains(&scratch.candidates()),
        "{}",
        scratch.candidates()
    );
}

#[test]
fn duplicate_images_still_build_a_finite_forest() {
    // 500 copies of one image and 500 of another: no hyperplane separates copies.
    let mut pixels = vec![0u8; 1000 * 64];
    pixels[500 * 64..].fill(200);
    let data = Dataset::new(8, 8, pixels, vec![1; 1000]).unwrap();
    let forest = Params::default()
        .trees(2)
        .leaf_size(10)
        .build(&data, &mut |_| {})
        .unwrap();
    assert!(forest.leaf_count() >= 2 * 100);
    let mut scratch = Scratch::new();
    let found = forest
        .search(&data, data.image(999), 5, 50, &mut scratch)
        .unwrap();
    assert!(found.iter().all(|n| n.distance == 0));
}

#[test]
fn searching_with_other_data_or_a_wrong_sized_query_is_an_error() {
    let data = synthetic(500, 7);
    let other = synthetic(500, 8);
    let forest = Params::default()
        .trees(2)
        .build(&data, &mut |_| {})
        .unwrap();
    let mut scratch = Scratch::new();
    assert!(matches!(
        forest.search(&other, data.image(0), 5, 50, &mut scratch),
        Err(Error::DatasetMismatch { .. })
    ));
    let e = forest
        .search(&data, &[0; 10], 5, 50, &mut scratch)
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "the query has 10 values, the index expects 64"
    );
}

fn small_index() -> (Dataset, Vec<u8>) {
    let data = synthetic(120, 9);
    let forest = Params::default()
        .trees(2)
        .leaf_size(16)
        .build(&data, &mut |_| {})
        .unwrap();
    let bytes = format::to_bytes(&forest);
    (data, bytes)
}

#[test]
fn index_files_round_trip_raw_and_gzipped() {
    let data = synthetic(1000, 10);
    let forest = Params::default()
        .trees(3)
        .build(&data, &mut |_| {})
        .unwrap();
    assert_eq!(
        format::from_bytes("i", &format::to_bytes(&forest), &data).unwrap(),
        forest
    );
    assert_eq!(
        format::from_bytes("i.gz", &format::to_gzip(&forest), &data).unwrap(),
        forest
    );
}

#[test]
fn every_single_byte_corruption_of_an_index_is_detected() {
    let (data, bytes) = small_index();
    for at in 0..bytes.len() {
        for flip in [0x01u8, 0x80, 0xff] {
            let mut bad = bytes.clone();
            bad[at] ^= flip;
            let e = format::from_bytes("bad.ssam", &bad, &data)
                .expect_err(&format!("byte {at} ^ {flip:#x} passed"));
            assert!(e.to_string().starts_with("bad.ssam: "), "{e}");
        }
    }
}

#[test]
fn every_truncation_of_an_index_is_detected() {
    let (data, bytes) = small_index();
    for len in 0..bytes.len() {
        let e = format::from_bytes("cut.ssam", &bytes[..len], &data).unwrap_err();
        assert!(e.to_string().starts_with("cut.ssam: "), "{e}");
    }
    let mut long = bytes.clone();
    long.push(0);
    assert!(format::from_bytes("long.ssam", &long, &data).is_err());
}

#[test]
fn a_truncated_or_corrupted_gzipped_index_is_detected() {
    let data = synthetic(120, 9);
    let forest = Params::default()
        .trees(2)
        .leaf_size(16)
        .build(&data, &mut |_| {})
        .unwrap();
    let gz = format::to_gzip(&forest);
    for len in 0..gz.len() {
        assert!(
            format::from_bytes("cut.gz", &gz[..len], &data).is_err(),
            "gzip cut at {len} passed"
        );
    }
    // Bytes 4 to 9 of a gzip header are a timestamp and hints that carry no data: a
    // change there leaves the index intact, so only the rest must be caught.
    for at in (0..4).chain(10..gz.len()) {
        let mut bad = gz.clone();
        bad[at] ^= 0x55;
        assert!(
            format::from_bytes("bad.gz", &bad, &data).is_err(),
            "gzip byte {at} passed"
        );
    }
}

#[test]
fn an_unknown_version_is_named() {
    let (data, mut bytes) = small_index();
    bytes[8..12].copy_from_slice(&7u32.to_le_bytes());
    let e = format::from_bytes("new.ssam", &bytes, &data).unwrap_err();
    assert_eq!(
        e,
        Error::UnsupportedVersion {
            file: "new.ssam".into(),
            found: 7,
            supported: format::VERSION
        }
    );
}

#[test]
fn an_index_built_for_other_data_is_refused() {
    let (_, bytes) = small_index();
    let other = synthetic(120, 99);
    let e = format::from_bytes("old.ssam", &bytes, &other).unwrap_err();
    assert!(matches!(e, Error::DatasetMismatch { .. }), "{e}");
    assert!(e.to_string().contains("built for another dataset"), "{e}");
    assert!(
        format::from_bytes("x", b"PK\x03\x04 a zip file", &other)
            .unwrap_err()
            .to_string()
            .contains("not an SSAM index")
    );
}

#[test]
fn on_mnist_recall_and_accuracy_stay_above_their_floors() {
    // 20,000 training images, the first 300 test images: a slice that runs in seconds.
    let train = mnist("train").head(20_000);
    let test = mnist("t10k").head(300);
    let forest: Forest = Params::default()
        .trees(8)
        .build(&train, &mut |_| {})
        .unwrap();
    let mut scratch = Scratch::new();
    let mut tally = Tally::default();
    for i in 0..test.len() {
        let truth = exact::search(&train, test.image(i), 10);
        let found = forest
            .search(&train, test.image(i), 10, 1500, &mut scratch)
            .unwrap();
        tally.add(&truth, found, 10, test.label(i), |id| {
            train.label(id as usize)
        });
    }
    assert!(tally.recall() > 0.95, "recall@10 {}", tally.recall());
    assert!(
        tally.accuracy_1nn() > 0.93,
        "1-NN accuracy {}",
        tally.accuracy_1nn()
    );
}
