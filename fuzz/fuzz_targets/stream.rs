//! Any bytes as a streamed layout's root (half of them with a valid checksum, so that the
//! structural checks behind it are fuzzed too, of either format), and any bytes as the
//! blocks and pictures it names: an error, or a layout whose blocks and pictures can be
//! taken and searched, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ssam::stream::{Root, Plan, Probes, StreamScratch, Streamed, MAGIC, VERSION, VERSION_CODED};

fuzz_target!(|input: &[u8]| {
    // The first two bytes say where the root ends; the rest is the data file.
    if input.len() < 2 {
        return;
    }
    let cut = (usize::from(u16::from_le_bytes([input[0], input[1]])) + 2).min(input.len());
    let (root, data) = (&input[2..cut], &input[cut..]);
    let mut fixed = root.to_vec();
    if fixed.len() > 28 && input[0] & 1 == 1 {
        fixed[..8].copy_from_slice(&MAGIC);
        let version = if input[1] & 1 == 1 { VERSION_CODED } else { VERSION };
        fixed[8..12].copy_from_slice(&version.to_le_bytes());
        let sum = xxhash_rust::xxh3::xxh3_64(&fixed[28..]);
        fixed[12..20].copy_from_slice(&sum.to_le_bytes());
        let length = (fixed.len() - 28) as u64;
        fixed[20..28].copy_from_slice(&length.to_le_bytes());
    }
    for bytes in [root, &fixed[..]] {
        let Ok(layout) = Root::from_bytes("fuzz.root", bytes) else {
            continue;
        };
        let mut streamed = Streamed::new(layout.clone(), 1 << 20);
        let mut scratch = StreamScratch::default();
        for span in layout.whole() {
            let part = data.get(span.start as usize..(span.end as usize).min(data.len())).unwrap_or_default();
            let _ = layout.take(&span, part);
            let _ = streamed.receive(&span, part, &mut scratch);
        }
        let (rows, cols) = layout.shape();
        let query = vec![128u8; rows * cols];
        // Rounds of routers, cells and pictures, each fed from the same data.
        for _ in 0..4 {
            match streamed.plan(&query, Probes::DEFAULT, &mut scratch) {
                Ok(Plan::Ready) => {
                    let _ = streamed.find(&query, 10, ssam::Ranking::DEFAULT, &mut scratch);
                    break;
                }
                Ok(Plan::Fetch(spans)) => {
                    for span in spans {
                        let end = (span.end as usize).min(data.len());
                        let part = data.get(span.start as usize..end).unwrap_or_default();
                        let _ = streamed.receive(&span, part, &mut scratch);
                    }
                }
                Err(_) => break,
            }
        }
        let _ = layout.assemble(Vec::new());
    }
});
