//! The streamed layout: written, read back block by block, searched with what arrived,
//! and refused with a message naming the file when any part of it is wrong.

mod common;

use common::mnist;
use ssam::stream::{Plan, Probes, Root, Span, StreamScratch, Streamed, WriteParams, write};
use ssam::{Dataset, Effort, Error, FileKind, Index, Params, Ranking, Scratch, Space};

/// A small layout: 3,000 training digits in cells of 100, so that there are 30 of them.
fn small() -> (Dataset, ssam::stream::Written) {
    let data = mnist("train").head(3000);
    let params = WriteParams::Routed {
        cell: 100,
        top: 512,
        seed: 3,
        codes: 0,
        routing: 0,
        levels: 256,
    };
    let written = write(&data, Space::DEFAULT, "small", params).unwrap();
    (data, written)
}

fn span_bytes(written: &ssam::stream::Written, s: &Span) -> Vec<u8> {
    written.files[usize::from(s.file)].1[s.start as usize..s.end as usize].to_vec()
}

/// Fetches what plans ask for until the query is ready; returns the round trips taken.
fn fetch_until_ready(
    streamed: &mut Streamed,
    written: &ssam::stream::Written,
    q: &[u8],
    probes: Probes,
    scratch: &mut StreamScratch,
) -> usize {
    let mut trips = 0;
    while let Plan::Fetch(spans) = streamed.plan(q, probes, scratch).unwrap() {
        trips += 1;
        assert!(trips < 5, "a plan that never ends");
        for s in &spans {
            streamed
                .receive(s, &span_bytes(written, s), scratch)
                .unwrap();
        }
    }
    trips
}

/// An index of `data` that answers exactly.
fn exact_index(data: &Dataset) -> Index {
    Index::build(
        data.clone(),
        Space::DEFAULT,
        Params::default(),
        None,
        &mut |_, _| {},
    )
    .unwrap()
}

/// Fetches what `q` needs and checks that its 10 nearest found are the exact ones.
fn assert_finds_exact(
    streamed: &mut Streamed,
    written: &ssam::stream::Written,
    index: &Index,
    q: &[u8],
    probes: Probes,
    scratch: &mut StreamScratch,
) {
    fetch_until_ready(streamed, written, q, probes, scratch);
    let found: Vec<_> = streamed
        .find(q, 10, Ranking::Space, scratch)
        .unwrap()
        .iter()
        .map(|f| f.neighbor)
        .collect();
    let mut exact = Scratch::new();
    let exact = index.search(q, 10, Effort::Exact, &mut exact).unwrap();
    assert_eq!(found, exact);
}

#[test]
fn every_cell_read_back_puts_the_images_together_in_id_order() {
    let (data, written) = small();
    let layout = Root::from_bytes("small.root", &written.root).unwrap();
    assert_eq!(
        (layout.len(), layout.shape(), layout.fingerprint()),
        (3000, (28, 28), data.fingerprint())
    );
    let mut cells = Vec::new();
    for span in layout.whole() {
        for (_, block) in layout.take(&span, &span_bytes(&written, &span)).unwrap() {
            if let ssam::stream::Block::Cell(c) = block {
                assert!(!c.is_empty() && c.len() <= 200, "cell of {}", c.len());
                cells.push(c);
            }
        }
    }
    assert!(cells.len() >= 20, "{} cells", cells.len());
    assert_eq!(layout.assemble(cells).unwrap(), data);
    // The same data and parameters write the same bytes.
    let (_, again) = small();
    assert_eq!(again.root, written.root);
    assert_eq!(again.files, written.files);
}

#[test]
fn probing_every_cell_is_exact_search_and_fewer_cells_cost_fewer_bytes() {
    let (data, written) = small();
    let layout = Root::from_bytes("small.root", &written.root).unwrap();
    let blocks = layout.blocks().len();
    let index = exact_index(&data);
    let test = mnist("t10k").head(40);
    let mut streamed = Streamed::new(layout.clone(), usize::MAX);
    let mut scratch = StreamScratch::default();
    let all = Probes {
        routers: 1,
        cells: blocks,
        pictures: 0,
        cell_bytes: u64::MAX,
    };
    for i in 0..test.len() {
        let q = test.image(i);
        assert_finds_exact(&mut streamed, &written, &index, q, all, &mut scratch);
        // Re-ranked, the hits carry their own labels and images.
        for f in streamed
            .find(q, 10, Ranking::DEFAULT, &mut scratch)
            .unwrap()
        {
            assert_eq!(f.label, data.label(f.neighbor.id as usize));
            assert_eq!(f.image, data.image(f.neighbor.id as usize));
        }
    }
    // A cold client with two cells fetches two blocks' worth in one round trip.
    let mut cold = Streamed::new(layout, usize::MAX);
    let q = test.image(0);
    let Plan::Fetch(spans) = cold
        .plan(
            q,
            Probes {
                routers: 1,
                cells: 2,
                pictures: 0,
                cell_bytes: u64::MAX,
            },
            &mut scratch,
        )
        .unwrap()
    else {
        panic!("a cold client has nothing");
    };
    assert_eq!(spans.iter().map(|s| s.blocks.len()).sum::<usize>(), 2);
    assert_eq!(
        fetch_until_ready(
            &mut cold,
            &written,
            q,
            Probes {
                routers: 1,
                cells: 2,
                pictures: 0,
                cell_bytes: u64::MAX,
            },
            &mut scratch
        ),
        1
    );
    assert_eq!(cold.blocks().cells(), 2);
}

/// A bound on a query's bytes of cells: the nearest cells that fit in it, the same before
/// and after they arrive (one round trip), and the nearest one even when it alone is
/// larger.
#[test]
fn a_query_searches_the_nearest_cells_within_its_bytes_in_one_round_trip() {
    let (_, written) = small();
    let layout = Root::from_bytes("small.root", &written.root).unwrap();
    let q = mnist("t10k").image(0).to_vec();
    let mut scratch = StreamScratch::default();
    let cells = |cell_bytes: u64| Probes {
        routers: 1,
        cells: 6,
        pictures: 0,
        cell_bytes,
    };
    // The six nearest, unbounded: their bytes in order.
    let mut free = Streamed::new(layout.clone(), usize::MAX);
    let Plan::Fetch(spans) = free.plan(&q, cells(u64::MAX), &mut scratch).unwrap() else {
        panic!("a cold client has nothing");
    };
    let nearest: Vec<u32> = spans.iter().flat_map(|s| s.blocks.clone()).collect();
    assert_eq!(nearest.len(), 6);
    let len = |b: u32| u64::from(layout.blocks()[b as usize].len);
    let all: u64 = nearest.iter().map(|&b| len(b)).sum();
    for (most, fewer) in [(all, false), (all - 1, true), (1, true)] {
        let mut cold = Streamed::new(layout.clone(), usize::MAX);
        assert_eq!(
            fetch_until_ready(&mut cold, &written, &q, cells(most), &mut scratch),
            1,
            "within {most} bytes"
        );
        let held = cold.blocks().cells();
        assert_eq!(held < 6, fewer, "within {most} bytes: {held} cells");
        assert!(
            held >= 1 && (most > 1 || held == 1),
            "within {most} bytes: {held} cells"
        );
        let Plan::Ready = cold.plan(&q, cells(most), &mut scratch).unwrap() else {
            panic!("asked again within {most} bytes, it fetches more");
        };
    }
}

#[test]
fn cells_beyond_the_bound_are_dropped_least_recent_first_never_those_in_use() {
    let (_, written) = small();
    let layout = Root::from_bytes("small.root", &written.root).unwrap();
    // About three cells' worth.
    let mut streamed = Streamed::new(layout, 3 * 100 * (784 + 256 + 5));
    let mut scratch = StreamScratch::default();
    let test = mnist("t10k").head(30);
    for i in 0..test.len() {
        let q = test.image(i);
        fetch_until_ready(
            &mut streamed,
            &written,
            q,
            Probes {
                routers: 1,
                cells: 4,
                pictures: 0,
                cell_bytes: u64::MAX,
            },
            &mut scratch,
        );
        // The four the query needs are all here, even over the bound.
        assert!(
            streamed.find(q, 10, Ranking::Space, &mut scratch).is_ok(),
            "test digit {i}"
        );
        assert!(
            streamed.blocks().cells() <= 6,
            "{} cells kept",
            streamed.blocks().cells()
        );
    }
}

#[test]
fn a_large_set_gets_a_level_of_routers_and_takes_two_round_trips() {
    let data = mnist("train").head(6000);
    let written = write(
        &data,
        Space::DEFAULT,
        "big",
        WriteParams::Routed {
            cell: 50,
            top: 16,
            seed: 1,
            codes: 0,
            routing: 0,
            levels: 256,
        },
    )
    .unwrap();
    let layout = Root::from_bytes("big.root", &written.root).unwrap();
    assert!(layout.blocks().iter().any(|b| b.router));
    let mut streamed = Streamed::new(layout, usize::MAX);
    let mut scratch = StreamScratch::default();
    let q = mnist("t10k").image(0).to_vec();
    let probes = Probes {
        routers: 2,
        cells: 6,
        pictures: 0,
        cell_bytes: u64::MAX,
    };
    assert_eq!(
        fetch_until_ready(&mut streamed, &written, &q, probes, &mut scratch),
        2
    );
    let found = streamed
        .find(&q, 10, Ranking::DEFAULT, &mut scratch)
        .unwrap();
    assert_eq!(found.len(), 10);
    assert_eq!(found[0].label, mnist("t10k").label(0));
}

#[test]
fn a_table_gives_one_item_from_one_block() {
    let test = mnist("t10k").head(250);
    let written = write(
        &test,
        Space::DEFAULT,
        "t",
        WriteParams::Table { per_block: 100 },
    )
    .unwrap();
    let layout = Root::from_bytes("t.root", &written.root).unwrap();
    assert_eq!(layout.blocks().len(), 3);
    let b = layout.block_of(217).unwrap();
    let spans = layout.spans(&[b]);
    assert_eq!(spans.len(), 1);
    let mut streamed = Streamed::new(layout, usize::MAX);
    let mut scratch = StreamScratch::default();
    streamed
        .receive(&spans[0], &span_bytes(&written, &spans[0]), &mut scratch)
        .unwrap();
    assert_eq!(streamed.item(217), Some((test.image(217), test.label(217))));
    assert_eq!(streamed.item(17), None, "its block has not arrived");
    assert_eq!(streamed.layout().block_of(250), None);
}

#[test]
fn damaged_blocks_and_roots_are_refused_naming_the_file() {
    let (_, written) = small();
    let layout = Root::from_bytes("small.root", &written.root).unwrap();
    let span = layout.spans(&[3]).remove(0);
    let good = span_bytes(&written, &span);
    let data_file = &written.files[0].0;
    // A flipped byte: the checksum says so.
    let mut bad = good.clone();
    let mid = bad.len() / 2;
    bad[mid] ^= 1;
    let e = layout.take(&span, &bad).unwrap_err();
    assert!(
        matches!(e, Error::Checksum { .. }) && e.to_string().contains(data_file),
        "{e}"
    );
    // Cut short (a dropped connection) or too long (a server that ignored the range).
    for wrong in [
        &good[..good.len() - 1],
        &[good.as_slice(), b"more"].concat()[..],
    ] {
        let e = layout.take(&span, wrong).unwrap_err();
        assert!(
            e.to_string().contains(data_file) && e.to_string().contains("were asked for"),
            "{e}"
        );
    }
    // Blocks of another build: another layout's bytes at the same place.
    let other = write(
        &mnist("train").head(3000),
        Space::DEFAULT,
        "small",
        WriteParams::Routed {
            cell: 100,
            top: 512,
            seed: 4,
            codes: 0,
            routing: 0,
            levels: 256,
        },
    )
    .unwrap();
    let theirs = &other.files[0].1;
    let e = layout
        .take(
            &span,
            &theirs[span.start as usize..(span.end as usize).min(theirs.len())],
        )
        .unwrap_err();
    assert!(e.to_string().contains(data_file), "{e}");
    // The root: cut, flipped, of another version, not a root at all.
    let raw = ssam::gzip::gunzip("r", &written.root, ssam::gzip::Limit::at_most(1 << 24)).unwrap();
    let cut = raw[..raw.len() - 10].to_vec();
    let mut flipped = raw.clone();
    let n = flipped.len();
    flipped[n - 3] ^= 0x40;
    let mut newer = raw.clone();
    newer[8] = 9;
    let root = |bytes: &[u8]| Root::from_bytes("small.root", bytes).unwrap_err();
    let e = root(&cut);
    assert!(
        matches!(&e, Error::Truncated { file, .. } if file == "small.root"),
        "{e:?}"
    );
    let e = root(&flipped);
    assert!(
        matches!(&e, Error::Checksum { file, .. } if file == "small.root"),
        "{e:?}"
    );
    let e = root(&newer);
    assert!(
        matches!(&e, Error::UnsupportedVersion { file, kind: FileKind::Root, found: 9, .. } if file == "small.root"),
        "{e:?}"
    );
    let e = root(b"<html>404</html>");
    assert!(
        matches!(&e, Error::WrongKind { file, expected: FileKind::Root, found } if file == "small.root" && found == b"<html>40"),
        "{e:?}"
    );
    assert!(
        e.to_string().contains("not an SSAM streamed layout root"),
        "{e}"
    );
}

/// A coded layout of 6,000 digits: cells of about 50 (codes of 16 bytes, pictures apart),
/// each cell's centroid coded in the root.
fn coded(seed: u64) -> (Dataset, ssam::stream::Written) {
    let data = mnist("train").head(6000);
    let params = WriteParams::Routed {
        cell: 50,
        top: 16,
        seed,
        codes: 16,
        routing: 24,
        levels: 128,
    };
    let written = write(&data, Space::DEFAULT, "coded", params).unwrap();
    (data, written)
}

#[test]
fn a_coded_layout_fetches_cells_then_pictures_and_measures_them_exactly() {
    let (data, written) = coded(1);
    let layout = Root::from_bytes("coded.root", &written.root).unwrap();
    // Routed by the codes the root holds: no router blocks to fetch first.
    assert!(layout.coded() && layout.blocks().iter().all(|b| !b.router));
    // Its cells hold no images: it is never put together whole.
    assert!(layout.assemble(Vec::new()).is_err());
    let test = mnist("t10k").head(20);
    let mut scratch = StreamScratch::default();
    let probes = Probes {
        routers: 2,
        cells: 6,
        pictures: 40,
        cell_bytes: u64::MAX,
    };
    let mut right = 0;
    for i in 0..test.len() {
        let q = test.image(i);
        let mut cold = Streamed::new(layout.clone(), usize::MAX);
        // Cells, then pictures.
        assert_eq!(
            fetch_until_ready(&mut cold, &written, q, probes, &mut scratch),
            2
        );
        assert_eq!(cold.blocks().pictures(), 40);
        let found = cold.find(q, 10, Ranking::DEFAULT, &mut scratch).unwrap();
        assert_eq!(found.len(), 10);
        for f in &found {
            assert_eq!(f.label, data.label(f.neighbor.id as usize));
            assert_eq!(f.image, data.image(f.neighbor.id as usize));
            assert_eq!(cold.image(f.neighbor.id), Some(f.image.as_slice()));
        }
        right += usize::from(found[0].label == test.label(i));
        // Asked again, everything is here.
        assert_eq!(cold.plan(q, probes, &mut scratch).unwrap(), Plan::Ready);
    }
    assert!(right >= 18, "{right} of 20 right");
}

#[test]
fn a_coded_layout_probed_whole_is_exact_search() {
    let (data, written) = coded(1);
    let layout = Root::from_bytes("coded.root", &written.root).unwrap();
    let index = exact_index(&data);
    let all = Probes {
        routers: usize::MAX,
        cells: usize::MAX,
        pictures: usize::MAX,
        cell_bytes: u64::MAX,
    };
    let mut streamed = Streamed::new(layout, usize::MAX);
    let mut scratch = StreamScratch::default();
    let test = mnist("t10k").head(5);
    for i in 0..test.len() {
        assert_finds_exact(
            &mut streamed,
            &written,
            &index,
            test.image(i),
            all,
            &mut scratch,
        );
    }
}

#[test]
fn pictures_beyond_the_bound_are_dropped_never_those_in_use() {
    let (_, written) = coded(1);
    let layout = Root::from_bytes("coded.root", &written.root).unwrap();
    // Room for the cells a query needs and few pictures.
    let mut streamed = Streamed::new(layout, 200 * 1024);
    let mut scratch = StreamScratch::default();
    let probes = Probes {
        routers: 2,
        cells: 6,
        pictures: 40,
        cell_bytes: u64::MAX,
    };
    let test = mnist("t10k").head(30);
    for i in 0..test.len() {
        let q = test.image(i);
        fetch_until_ready(&mut streamed, &written, q, probes, &mut scratch);
        assert_eq!(
            streamed
                .find(q, 10, Ranking::Space, &mut scratch)
                .unwrap()
                .len(),
            10,
            "test digit {i}"
        );
        assert!(
            streamed.blocks().bytes() <= 200 * 1024 + 40 * (784 + 256),
            "{} bytes kept",
            streamed.blocks().bytes()
        );
    }
}

/// The picture spans a cold query of test digit 0 asks for in its third round, with
/// the client holding the cells they belong to.
fn picture_round(written: &ssam::stream::Written) -> (Streamed, Vec<Span>, StreamScratch) {
    let layout = Root::from_bytes("coded.root", &written.root).unwrap();
    let mut streamed = Streamed::new(layout, usize::MAX);
    let mut scratch = StreamScratch::default();
    let q = mnist("t10k").image(0).to_vec();
    let probes = Probes {
        routers: 2,
        cells: 6,
        pictures: 40,
        cell_bytes: u64::MAX,
    };
    loop {
        let Plan::Fetch(spans) = streamed.plan(&q, probes, &mut scratch).unwrap() else {
            panic!("a cold query never asked for pictures");
        };
        if !spans[0].pictures.is_empty() {
            return (streamed, spans, scratch);
        }
        for s in &spans {
            streamed
                .receive(s, &span_bytes(written, s), &mut scratch)
                .unwrap();
        }
    }
}

#[test]
fn damaged_pictures_are_refused_naming_the_file_and_the_picture() {
    let (_, written) = coded(1);
    let (mut streamed, spans, mut scratch) = picture_round(&written);
    let span = &spans[0];
    let good = span_bytes(&written, span);
    let file = &written.files[usize::from(span.file)].0;
    // The other pictures arrive whole.
    for s in &spans[1..] {
        streamed
            .receive(s, &span_bytes(&written, s), &mut scratch)
            .unwrap();
    }
    // Every flipped byte is refused, or lies where it changes no picture (between two
    // pictures the range bridged, or in a stream's unused last bits).
    let data = mnist("train").head(6000);
    let q = mnist("t10k").image(0).to_vec();
    let mut refused = 0;
    for at in 0..good.len() {
        let mut bad = good.clone();
        bad[at] ^= 0x04;
        match streamed.receive(span, &bad, &mut scratch) {
            Ok(()) => {
                for f in streamed.find(&q, 40, Ranking::Space, &mut scratch).unwrap() {
                    let id = f.neighbor.id as usize;
                    assert_eq!(f.image, data.image(id), "byte {at}: a damaged picture kept");
                }
            }
            Err(e) => {
                assert!(e.to_string().contains(file), "byte {at}: {e}");
                refused += 1;
            }
        }
    }
    assert!(
        refused >= span.pictures.len() * 100,
        "{refused} flips refused"
    );
    for cut in 0..good.len() {
        assert!(streamed.receive(span, &good[..cut], &mut scratch).is_err());
    }
    let longer = [good.as_slice(), b"more"].concat();
    assert!(streamed.receive(span, &longer, &mut scratch).is_err());
    // Pictures of another build at the same place: other cells, other order.
    let (_, other) = coded(2);
    let theirs = &other.files[usize::from(span.file)].1;
    let at = span.start as usize..(span.end as usize).min(theirs.len());
    let e = streamed
        .receive(span, &theirs[at], &mut scratch)
        .unwrap_err();
    assert!(e.to_string().contains("picture"), "{e}");
    // Pictures of cells the client does not hold.
    let (_, spans_elsewhere, _) = picture_round(&written);
    let mut fresh = Streamed::new(streamed.layout().clone(), usize::MAX);
    let s = &spans_elsewhere[0];
    let e = fresh
        .receive(s, &span_bytes(&written, s), &mut scratch)
        .unwrap_err();
    assert!(e.to_string().contains("not here"), "{e}");
    // The good bytes still go in.
    streamed.receive(span, &good, &mut scratch).unwrap();
}

/// A coded root of no items and no cells, checksum and all, as a hostile or broken build
/// may write: read, and searched to an empty answer, never a panic.
#[test]
fn a_coded_root_of_no_cells_answers_nothing_and_does_not_fail() {
    let (_, written) = coded(1);
    let raw = ssam::gzip::gunzip("r", &written.root, ssam::gzip::Limit::at_most(1 << 24)).unwrap();
    let body = &raw[28..];
    // rows, columns, items, fingerprint, space, labelled; then the code length, the
    // length cells keep and the projection (256 inputs of 24 weights, 24 offsets), then
    // the files.
    let code_len = u16::from_le_bytes([body[21], body[22]]) as usize;
    let projection_end = 25 + (256 * code_len + code_len) * 4;
    let mut empty = body[..projection_end].to_vec();
    empty[4..8].copy_from_slice(&0u32.to_le_bytes());
    empty.extend_from_slice(&0u16.to_le_bytes()); // files
    empty.extend_from_slice(&0u32.to_le_bytes()); // blocks
    empty.push(2); // cells routed by codes: none
    let rooted = |body: &[u8]| {
        let mut root = raw[..12].to_vec();
        root.extend_from_slice(&xxhash_rust::xxh3::xxh3_64(body).to_le_bytes());
        root.extend_from_slice(&(body.len() as u64).to_le_bytes());
        root.extend_from_slice(body);
        root
    };
    // Cells that keep none of a code, or more than the root's codes hold.
    for kept in [0, code_len as u16 + 1] {
        let mut bad = empty.clone();
        bad[23..25].copy_from_slice(&kept.to_le_bytes());
        let e = Root::from_bytes("bad.root", &rooted(&bad)).unwrap_err();
        assert!(e.to_string().contains("cells keep"), "{e}");
    }
    let layout = Root::from_bytes("empty.root", &rooted(&empty)).unwrap();
    assert_eq!(layout.len(), 0);
    let mut streamed = Streamed::new(layout, usize::MAX);
    let mut scratch = StreamScratch::default();
    let q = mnist("t10k").image(0).to_vec();
    assert_eq!(
        streamed.plan(&q, Probes::CODED, &mut scratch).unwrap(),
        Plan::Ready
    );
    let found = streamed
        .find(&q, 10, Ranking::DEFAULT, &mut scratch)
        .unwrap();
    assert!(found.is_empty());
}

#[test]
fn every_cut_or_flip_of_a_coded_root_is_refused() {
    let (_, written) = coded(1);
    let raw = ssam::gzip::gunzip("r", &written.root, ssam::gzip::Limit::at_most(1 << 24)).unwrap();
    assert!(Root::from_bytes("coded.root", &raw).is_ok());
    for cut in (0..raw.len()).step_by(97) {
        assert!(
            Root::from_bytes("coded.root", &raw[..cut]).is_err(),
            "cut at {cut}"
        );
    }
    for at in (0..raw.len()).step_by(89) {
        let mut bad = raw.clone();
        bad[at] ^= 0x20;
        assert!(
            Root::from_bytes("coded.root", &bad).is_err(),
            "flip at {at}"
        );
    }
}
