//! Any bytes through the streaming inflater with a small cap, in chunks of any size: an
//! error or the whole file, never a panic, never more than the cap kept, and the same
//! outcome whatever the chunking.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ssam::gzip::{Inflater, Limit, gunzip};
use ssam::idx;

/// Small, so that bombs reach it within the fuzzer's time.
const CAP: u64 = 64 << 10;

fuzz_target!(|input: &[u8]| {
    let Some((&first, bytes)) = input.split_first() else {
        return;
    };
    // The first byte picks the chunk size and whether an IDX header may tighten the cap.
    let chunk = usize::from(first & 0x7f) + 1;
    let limit = if first & 0x80 != 0 {
        idx::limit(CAP)
    } else {
        Limit::at_most(CAP)
    };
    let mut s = Inflater::new("fuzz", limit, Some(bytes.len() as u64));
    let streamed = bytes
        .chunks(chunk)
        .try_for_each(|c| s.push(c))
        .and_then(|()| s.finish());
    if let Ok(out) = &streamed {
        assert!(out.len() as u64 <= CAP);
    }
    // Whole or in chunks, the same answer for gzip input.
    if ssam::gzip::is_gzip(bytes) {
        let whole = gunzip("fuzz", bytes, limit);
        assert_eq!(whole.is_ok(), streamed.is_ok());
        if let (Ok(a), Ok(b)) = (&whole, &streamed) {
            assert_eq!(a, b);
        }
    }
});
