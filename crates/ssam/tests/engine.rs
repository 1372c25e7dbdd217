//! The engine's promises, one test each: reading MNIST, building the same forest and graph
//! from the same seed, finding what brute force finds, surviving every damaged index
//! file, and keeping recall on real digits.
#![cfg(not(target_arch = "wasm32"))]

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use ssam::metrics::Tally;
use ssam::stream::{Root, WriteParams};
use ssam::truth::{Answers, KthDistances};
use ssam::{
    Dataset, Effort, Error, FileKind, GraphParams, Index, Map, Neighbor, Params, Scratch, Space,
    exact, format,
};

const ASSETS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../assets/mnist");

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

/// An index of raw pixels over `data`: `trees` trees of leaves up to `leaf`, and a graph
/// when `graph` is given.
fn build(data: &Dataset, trees: usize, leaf: usize, graph: Option<GraphParams>) -> Index {
    let params = Params::default().trees(trees).leaf_size(leaf);
    Index::build(data.clone(), Space::Raw, params, graph, &mut |_, _| {}).unwrap()
}

fn small_graph() -> Option<GraphParams> {
    Some(GraphParams::default().degree(8).k(8))
}

#[test]
fn building_is_deterministic_and_the_seed_matters() {
    let data = synthetic(3000, 1);
    let params = Params::default().trees(4).leaf_size(16).seed(9);
    let graph = GraphParams::default().degree(12).k(12).seed(9);
    let make = |p: Params, g: GraphParams| {
        let index = Index::build(data.clone(), Space::Raw, p, Some(g), &mut |_, _| {}).unwrap();
        format::to_bytes(&index)
    };
    let a = make(params, graph);
    assert_eq!(a, make(params, graph));
    assert_ne!(a, make(params.seed(10), graph));
    assert_ne!(a, make(params, graph.seed(10)));
}

#[test]
fn every_leaf_is_small_and_every_tree_holds_every_item_once() {
    let data = synthetic(5000, 2);
    let index = build(&data, 3, 20, None);
    // Reading back runs the full structural check: each item exactly once per tree,
    // leaves no larger than the leaf size.
    let back = format::from_bytes("f", &format::to_bytes(&index), data).unwrap();
    assert_eq!(back.forest(), index.forest());
    assert_eq!(index.forest().tree_count(), 3);
    assert!(index.forest().leaf_count() >= 3 * 5000 / 20);
}

#[test]
fn the_graph_keeps_its_degree_cap_links_other_items_and_reads_back_the_same() {
    let data = synthetic(3000, 11);
    let index = build(&data, 4, 16, Some(GraphParams::default().degree(10).k(16)));
    let graph = index.graph().unwrap();
    assert_eq!(graph.len(), data.len());
    for i in 0..graph.len() {
        let n = graph.neighbors(i);
        assert!(
            !n.is_empty() && n.len() <= 10,
            "item {i}: {} neighbours",
            n.len()
        );
        assert!(
            n.iter()
                .all(|&j| j as usize != i && (j as usize) < data.len())
        );
    }
    // Every item is reachable from the root, which every search enters from.
    let mut reached = vec![false; graph.len()];
    let mut stack = vec![graph.root()];
    reached[graph.root() as usize] = true;
    while let Some(i) = stack.pop() {
        for &j in graph.neighbors(i as usize) {
            if !std::mem::replace(&mut reached[j as usize], true) {
                stack.push(j);
            }
        }
    }
    assert!(
        reached.iter().all(|&r| r),
        "an item the root does not reach"
    );
    let back = format::from_bytes("g", &format::to_bytes(&index), data).unwrap();
    assert_eq!(back.graph(), index.graph());
}

#[test]
fn a_large_enough_budget_or_beam_returns_exactly_what_brute_force_returns() {
    let data = synthetic(2000, 3);
    let queries = synthetic(50, 4);
    let index = build(&data, 5, 16, Some(GraphParams::default()));
    let mut scratch = Scratch::new();
    for effort in [
        Effort::Forest { budget: data.len() },
        Effort::Graph { ef: data.len() },
        Effort::Exact,
    ] {
        for i in 0..queries.len() {
            let q = queries.image(i);
            let found = index.search(q, 10, effort, &mut scratch).unwrap().to_vec();
            assert_eq!(found, exact::search(&data, q, 10), "{effort:?}, query {i}");
        }
    }
    // Walking on codes of 8 bytes, a beam of every item ends re-ranked exactly.
    let coded = index.with_codes(8).unwrap();
    for i in 0..queries.len() {
        let q = queries.image(i);
        let effort = Effort::Graph { ef: data.len() };
        let found = coded.search(q, 10, effort, &mut scratch).unwrap().to_vec();
        assert_eq!(found, exact::search(&data, q, 10), "codes, query {i}");
    }
}

#[test]
fn each_item_is_measured_once_and_results_are_sorted_exact_distances() {
    let data = synthetic(3000, 5);
    let index = build(&data, 3, 32, Some(GraphParams::default()));
    let mut scratch = Scratch::new();
    let q = synthetic(1, 6);
    for effort in [Effort::Forest { budget: 200 }, Effort::Graph { ef: 40 }] {
        let found = index
            .search(q.image(0), 20, effort, &mut scratch)
            .unwrap()
            .to_vec();
        assert_eq!(found.len(), 20);
        assert!(found.windows(2).all(|w| w[0] < w[1]), "{effort:?}");
        for n in &found {
            assert_eq!(
                n.distance,
                ssam::distance::scalar::l2_sq(q.image(0), data.image(n.id as usize))
            );
        }
        assert!(scratch.measured() <= data.len());
    }
    // A budget is a floor on the distinct items measured, not more than a leaf beyond it.
    index
        .search(q.image(0), 20, Effort::Forest { budget: 200 }, &mut scratch)
        .unwrap();
    assert!(
        (200..200 + 32).contains(&scratch.measured()),
        "{}",
        scratch.measured()
    );
}

#[test]
fn duplicate_images_still_build_a_finite_forest_and_a_graph() {
    // 500 copies of one image and 500 of another: no hyperplane separates copies.
    let mut pixels = vec![0u8; 1000 * 64];
    pixels[500 * 64..].fill(200);
    let data = Dataset::new(8, 8, pixels, vec![1; 1000]).unwrap();
    let index = build(&data, 2, 10, small_graph());
    assert!(index.forest().leaf_count() >= 2 * 100);
    let mut scratch = Scratch::new();
    for effort in [Effort::Forest { budget: 50 }, Effort::Graph { ef: 10 }] {
        let found = index
            .search(data.image(999), 5, effort, &mut scratch)
            .unwrap();
        assert!(found.iter().all(|n| n.distance == 0), "{effort:?}");
    }
}

#[test]
fn parts_built_for_other_data_and_wrong_sized_queries_are_errors() {
    let data = synthetic(500, 7);
    let other = synthetic(500, 8);
    let index = build(&data, 2, 32, small_graph());
    let forest = index.forest().clone();
    let graph = index.graph().cloned();
    assert!(matches!(
        Index::new(other.clone(), Space::Raw, forest.clone(), None),
        Err(Error::DatasetMismatch { .. })
    ));
    let theirs = build(&other, 2, 32, small_graph());
    assert!(matches!(
        Index::new(data.clone(), Space::Raw, forest, theirs.graph().cloned()),
        Err(Error::DatasetMismatch { .. })
    ));
    assert!(graph.is_some());
    let mut scratch = Scratch::new();
    let e = index
        .search(&[0; 10], 5, Effort::Forest { budget: 50 }, &mut scratch)
        .unwrap_err();
    assert_eq!(
        e,
        Error::ImageSize {
            what: "the query for 8x8 images".into(),
            expected: 64,
            received: 10
        }
    );
    let no_graph = build(&data, 2, 32, None);
    let e = no_graph
        .search(data.image(0), 5, Effort::Graph { ef: 10 }, &mut scratch)
        .unwrap_err();
    assert!(matches!(e, Error::Unsupported { .. }), "{e:?}");
    assert!(e.to_string().contains("no graph"), "{e}");
}

fn small_index() -> (Dataset, Vec<u8>) {
    let data = synthetic(120, 9);
    let bytes = format::to_bytes(&build(&data, 2, 16, small_graph()));
    (data, bytes)
}

#[test]
fn index_files_round_trip_raw_and_gzipped() {
    let data = synthetic(1000, 10);
    let index = build(&data, 3, 32, small_graph());
    let bytes = format::to_bytes(&index);
    for (name, file) in [("i", bytes.clone()), ("i.gz", format::to_gzip(&index))] {
        let back = format::from_bytes(name, &file, data.clone()).unwrap();
        assert_eq!(format::to_bytes(&back), bytes, "{name}");
    }
}

#[test]
fn an_index_with_codes_is_written_as_version_3_and_reads_back_the_same() {
    let data = synthetic(500, 12);
    let plain = build(&data, 2, 16, small_graph());
    assert_eq!(format::to_bytes(&plain)[8..12], 2u32.to_le_bytes());
    let coded = plain.with_codes(12).unwrap();
    let bytes = format::to_bytes(&coded);
    assert_eq!(bytes[8..12], 3u32.to_le_bytes());
    let back = format::from_bytes("c.ssam", &bytes, data.clone()).unwrap();
    assert_eq!(back.codes(), coded.codes());
    assert_eq!(format::to_bytes(&back), bytes);
    let (mut a, mut b) = (Scratch::new(), Scratch::new());
    for i in 0..20 {
        let q = data.image(i * 7);
        let effort = Effort::Graph { ef: 16 };
        assert_eq!(
            back.search(q, 5, effort, &mut a).unwrap(),
            coded.search(q, 5, effort, &mut b).unwrap()
        );
    }
}

#[test]
fn every_corruption_and_truncation_of_an_index_with_codes_is_detected() {
    let data = synthetic(120, 9);
    let bytes = format::to_bytes(&build(&data, 2, 16, small_graph()).with_codes(4).unwrap());
    for at in 0..bytes.len() {
        let mut bad = bytes.clone();
        bad[at] ^= 0x80;
        let e = format::from_bytes("bad.ssam", &bad, data.clone())
            .expect_err(&format!("byte {at} passed"));
        assert!(e.to_string().starts_with("bad.ssam: "), "{e}");
    }
    for len in 0..bytes.len() {
        let e = format::from_bytes("cut.ssam", &bytes[..len], data.clone()).unwrap_err();
        assert!(e.to_string().starts_with("cut.ssam: "), "{e}");
    }
    // A writer's bug, checksum made right: a weight that is not a number, a code longer
    // than the vectors.
    let weights_at = bytes.len() - 28 - 4 * (64 * 4 + 4);
    let nan = rewritten(&bytes, |body| {
        body[weights_at..weights_at + 4].copy_from_slice(&f32::NAN.to_le_bytes())
    });
    let e = format::from_bytes("nan.ssam", &nan, data.clone()).unwrap_err();
    assert!(
        e.to_string()
            .contains("code weights: value 0 is not a finite number"),
        "{e}"
    );
    let long = rewritten(&bytes, |body| {
        body[weights_at - 2..weights_at].copy_from_slice(&65u16.to_le_bytes())
    });
    let e = format::from_bytes("long.ssam", &long, data).unwrap_err();
    assert!(
        e.to_string()
            .contains("codes of 65 bytes for vectors of 64 values"),
        "{e}"
    );
}

#[test]
fn every_single_byte_corruption_of_an_index_is_detected() {
    let (data, bytes) = small_index();
    for at in 0..bytes.len() {
        for flip in [0x01u8, 0x80, 0xff] {
            let mut bad = bytes.clone();
            bad[at] ^= flip;
            let e = format::from_bytes("bad.ssam", &bad, data.clone())
                .expect_err(&format!("byte {at} ^ {flip:#x} passed"));
            assert!(e.to_string().starts_with("bad.ssam: "), "{e}");
        }
    }
}

#[test]
fn every_truncation_of_an_index_is_detected() {
    let (data, bytes) = small_index();
    for len in 0..bytes.len() {
        let e = format::from_bytes("cut.ssam", &bytes[..len], data.clone()).unwrap_err();
        assert!(e.to_string().starts_with("cut.ssam: "), "{e}");
    }
    let mut long = bytes.clone();
    long.push(0);
    assert!(format::from_bytes("long.ssam", &long, data).is_err());
}

/// The same bytes with the body changed by `change` and the checksum made right again,
/// as a writer with a bug would make them.
fn rewritten(bytes: &[u8], change: impl FnOnce(&mut Vec<u8>)) -> Vec<u8> {
    let mut body = bytes[28..].to_vec();
    change(&mut body);
    let mut out = bytes[..12].to_vec();
    let mut rest = (body.len() as u64).to_le_bytes().to_vec();
    rest.extend_from_slice(&body);
    out.extend_from_slice(&format::checksum(&rest).to_le_bytes());
    out.extend_from_slice(&rest);
    out
}

#[test]
fn a_graph_with_an_id_out_of_range_or_over_its_degree_cap_is_refused_by_name() {
    let data = synthetic(120, 9);
    let index = build(&data, 2, 16, small_graph());
    let bytes = format::to_bytes(&index);
    // The graph is last: its cap byte, its root, then item 0's degree and ids (2 bytes
    // each); `graph_at` is where item 0's degree is, in the body after the length.
    let first = index.graph().unwrap().neighbors(0).len();
    let graph_at = bytes.len() - 28 - 120 - 2 * index.graph().unwrap().edges();
    let out_of_range = rewritten(&bytes, |b| {
        let at = graph_at + 1;
        b[at..at + 2].copy_from_slice(&500u16.to_le_bytes());
    });
    let e = format::from_bytes("g.ssam", &out_of_range, data.clone()).unwrap_err();
    assert!(
        e.to_string()
            .starts_with("g.ssam: corrupted: graph neighbour 500 of item 0"),
        "{e}"
    );
    let over_cap = rewritten(&bytes, |b| b[graph_at] = 9);
    let e = format::from_bytes("g.ssam", &over_cap, data.clone()).unwrap_err();
    assert!(
        e.to_string()
            .contains("item 0 has 9 graph neighbours, over the cap of 8"),
        "{e} (item 0 had {first})"
    );
    let self_loop = rewritten(&bytes, |b| {
        let at = graph_at + 1;
        b[at..at + 2].copy_from_slice(&0u16.to_le_bytes());
    });
    assert!(format::from_bytes("g.ssam", &self_loop, data).is_err());
}

#[test]
fn a_truncated_or_corrupted_gzipped_index_is_detected() {
    let data = synthetic(120, 9);
    let gz = format::to_gzip(&build(&data, 2, 16, small_graph()));
    for len in 0..gz.len() {
        assert!(
            format::from_bytes("cut.gz", &gz[..len], data.clone()).is_err(),
            "gzip cut at {len} passed"
        );
    }
    // Bytes 4 to 9 of a gzip header are a timestamp and hints that carry no data: a
    // change there leaves the index intact, so only the rest must be caught.
    for at in (0..4).chain(10..gz.len()) {
        let mut bad = gz.clone();
        bad[at] ^= 0x55;
        assert!(
            format::from_bytes("bad.gz", &bad, data.clone()).is_err(),
            "gzip byte {at} passed"
        );
    }
}

#[test]
fn an_unknown_version_is_named() {
    let (data, mut bytes) = small_index();
    bytes[8..12].copy_from_slice(&7u32.to_le_bytes());
    let e = format::from_bytes("new.ssam", &bytes, data).unwrap_err();
    assert_eq!(
        e,
        Error::UnsupportedVersion {
            file: "new.ssam".into(),
            kind: FileKind::Index,
            found: 7,
            supported: format::VERSION
        }
    );
}

/// Reads a file of one kind, keeping only whether it was refused and why.
type Read = Box<dyn Fn(&[u8]) -> Result<(), Error>>;

/// A file of each kind SSAM writes, raw, with the reader of its kind.
struct Kind {
    kind: FileKind,
    bytes: Vec<u8>,
    read: Read,
}

/// An index, a streamed root, a map, exact answers and k-th distances of small sets.
fn every_kind() -> Vec<Kind> {
    let (data, index) = small_index();
    let root = ssam::stream::write(&data, Space::Raw, "t", WriteParams::Table { per_block: 50 })
        .unwrap()
        .root;
    let root = ssam::gzip::gunzip("t.root", &root, ssam::gzip::Limit::at_most(1 << 20)).unwrap();
    let points: Vec<[f32; 2]> = (0..120).map(|i| [i as f32, (i * i % 7) as f32]).collect();
    let map = Map::from_layout(&points, data.fingerprint()).to_bytes();
    let queries = data.head(3);
    let nearest = |i: u32| Neighbor { id: i, distance: i };
    let answers = Answers {
        k: 2,
        neighbors: vec![vec![nearest(1), nearest(2)]; 3],
    };
    let kth = answers.kth(&data, &queries).to_bytes();
    let answers = answers.to_bytes(&data, &queries);
    let (d1, d2, d3) = (data.clone(), data.clone(), data.clone());
    let (q1, q2) = (queries.clone(), queries);
    vec![
        Kind {
            kind: FileKind::Index,
            bytes: index,
            read: Box::new(move |b| format::from_bytes("f", b, data.clone()).map(drop)),
        },
        Kind {
            kind: FileKind::Root,
            bytes: root,
            read: Box::new(|b| Root::from_bytes("f", b).map(drop)),
        },
        Kind {
            kind: FileKind::Map,
            bytes: map,
            read: Box::new(move |b| Map::from_bytes("f", b, d1.fingerprint(), 120).map(drop)),
        },
        Kind {
            kind: FileKind::Answers,
            bytes: answers,
            read: Box::new(move |b| Answers::from_bytes("f", b, &d2, &q1).map(drop)),
        },
        Kind {
            kind: FileKind::KthDistances,
            bytes: kth,
            read: Box::new(move |b| KthDistances::from_bytes("f", b, &d3, &q2).map(drop)),
        },
    ]
}

#[test]
fn every_file_ssam_writes_names_the_same_fault_with_the_same_error() {
    let kinds = every_kind();
    for (i, k) in kinds.iter().enumerate() {
        let what = k.kind;
        (k.read)(&k.bytes).unwrap_or_else(|e| panic!("{what}: {e}"));
        // Another kind's file, and a page a host served in its place.
        let other = &kinds[(i + 1) % kinds.len()].bytes;
        for wrong in [&other[..], b"<!DOCTYPE html><html>"] {
            let e = (k.read)(wrong).unwrap_err();
            assert!(
                matches!(&e, Error::WrongKind { file, expected, .. } if file == "f" && *expected == what),
                "{what}: {e:?}"
            );
        }
        // Cut anywhere: at least one byte short of what the file says it holds.
        for len in [0, 5, 8, 20, 30, k.bytes.len() - 1] {
            let e = (k.read)(&k.bytes[..len]).unwrap_err();
            assert!(
                matches!(e, Error::Truncated { .. }),
                "{what} cut to {len}: {e:?}"
            );
        }
        // One byte more than the header declares.
        let e = (k.read)(&[&k.bytes[..], &[0]].concat()).unwrap_err();
        assert!(
            matches!(e, Error::Corrupt { .. }),
            "{what} and a byte: {e:?}"
        );
    }
    // A version of another build, a flipped byte.
    for k in &kinds {
        let what = k.kind;
        let mut newer = k.bytes.clone();
        newer[8..12].copy_from_slice(&99u32.to_le_bytes());
        let e = (k.read)(&newer).unwrap_err();
        assert!(
            matches!(e, Error::UnsupportedVersion { kind, found: 99, .. } if kind == what),
            "{what}: {e:?}"
        );
        for at in [12, 40, k.bytes.len() - 1] {
            let mut flipped = k.bytes.clone();
            flipped[at] ^= 0x10;
            let e = (k.read)(&flipped).unwrap_err();
            assert!(
                matches!(e, Error::Checksum { .. }),
                "{what} byte {at}: {e:?}"
            );
        }
    }
}

#[test]
fn an_index_built_for_other_data_is_refused() {
    let (_, bytes) = small_index();
    let other = synthetic(120, 99);
    let e = format::from_bytes("old.ssam", &bytes, other.clone()).unwrap_err();
    assert!(matches!(e, Error::DatasetMismatch { .. }), "{e}");
    assert!(e.to_string().contains("built for another dataset"), "{e}");
    let e = format::from_bytes("x", b"PK\x03\x04 a zip file", other).unwrap_err();
    assert!(
        matches!(
            e,
            Error::WrongKind {
                expected: FileKind::Index,
                ..
            }
        ),
        "{e:?}"
    );
    assert!(e.to_string().contains("not an SSAM index"), "{e}");
}

#[test]
fn on_mnist_recall_and_accuracy_stay_above_their_floors() {
    // 20,000 training images, the first 300 test images: a slice that runs in seconds.
    let train = mnist("train").head(20_000);
    let test = mnist("t10k").head(300);
    let index = build(&train, 8, 32, Some(GraphParams::default()));
    let coded = index.clone().with_codes(64).unwrap();
    let mut scratch = Scratch::new();
    for (index, effort) in [
        (&index, Effort::Forest { budget: 1500 }),
        (&index, Effort::Graph { ef: 32 }),
        (&coded, Effort::Graph { ef: 32 }),
    ] {
        let mut tally = Tally::default();
        for i in 0..test.len() {
            let truth = exact::search(&train, test.image(i), 10);
            let found = index
                .search(test.image(i), 10, effort, &mut scratch)
                .unwrap();
            tally.add(&truth, found, 10, test.label(i), |id| {
                train.label(id as usize)
            });
        }
        assert!(
            tally.recall() > 0.95,
            "{effort:?}, codes {}: recall@10 {}",
            index.codes().is_some(),
            tally.recall()
        );
        assert!(
            tally.accuracy_1nn() > 0.93,
            "{effort:?}: 1-NN accuracy {}",
            tally.accuracy_1nn()
        );
    }
}

#[test]
fn with_query_shifts_a_wide_beam_returns_what_exact_search_returns() {
    // The default space searches five versions of each query and merges them; a beam
    // as wide as the data finds, for every version, what exact search finds.
    let train = mnist("train").head(3000);
    let test = mnist("t10k").head(30);
    let params = Params::default().trees(2);
    let graph = Some(GraphParams::default());
    let index = Index::build(train, Space::DEFAULT, params, graph, &mut |_, _| {}).unwrap();
    assert_eq!(Space::DEFAULT.query_variants(), 5);
    let mut scratch = Scratch::new();
    for i in 0..test.len() {
        let exact = index
            .search(test.image(i), 10, Effort::Exact, &mut scratch)
            .unwrap()
            .to_vec();
        assert!(exact.windows(2).all(|w| w[0] < w[1]), "query {i}");
        let ids: std::collections::HashSet<u32> = exact.iter().map(|n| n.id).collect();
        assert_eq!(ids.len(), 10, "query {i}: distinct ids");
        let wide = index
            .search(test.image(i), 10, Effort::Graph { ef: 3000 }, &mut scratch)
            .unwrap()
            .to_vec();
        assert_eq!(wide, exact, "query {i}");
    }
}
