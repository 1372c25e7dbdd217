//! Any bytes as an IDX file (raw or gzip) and as an images/labels pair: an error or a
//! dataset, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = ssam::idx::parse("fuzz", data);
    let (a, b) = data.split_at(data.len() / 2);
    let _ = ssam::Dataset::from_idx("images", a, "labels", b);
});
