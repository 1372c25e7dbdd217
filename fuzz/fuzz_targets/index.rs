//! Any bytes as an index file for a small fixed dataset: an error or an index whose forest
//! and graph can be searched, never a panic.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use ssam::{Dataset, Effort, Scratch, format};

fn data() -> &'static Dataset {
    static DATA: OnceLock<Dataset> = OnceLock::new();
    DATA.get_or_init(|| {
        let pixels: Vec<u8> = (0..200 * 16).map(|i: u32| (i.wrapping_mul(2654435761) >> 24) as u8).collect();
        Dataset::new(4, 4, pixels, vec![0; 200]).unwrap()
    })
}

fuzz_target!(|bytes: &[u8]| {
    let data = data();
    // Half of the inputs are used as they are; the other half get a valid checksum, so
    // the structural checks behind it are fuzzed too.
    let mut fixed = bytes.to_vec();
    if fixed.len() > 20 && fixed[0] & 1 == 1 {
        fixed[..8].copy_from_slice(&format::MAGIC);
        fixed[8..12].copy_from_slice(&format::VERSION.to_le_bytes());
        let sum = format::checksum(&fixed[20..]);
        fixed[12..20].copy_from_slice(&sum.to_le_bytes());
    }
    for input in [bytes, &fixed[..]] {
        if let Ok(index) = format::from_bytes("fuzz", input, data.clone()) {
            let mut scratch = Scratch::new();
            index
                .search(data.image(0), 5, Effort::Forest { budget: 50 }, &mut scratch)
                .unwrap();
            if index.graph().is_some() {
                index
                    .search(data.image(0), 5, Effort::Graph { ef: 20 }, &mut scratch)
                    .unwrap();
            }
        }
    }
});
