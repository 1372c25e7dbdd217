//! Any bytes as a host's answer to several ranges: its content type, its Content-Range
//! and its body. Each range it gives back has the length asked, or the answer is refused
//! or found unsupported; never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ssam::stream::ranges::{Answer, read};

fuzz_target!(|input: &[u8]| {
    let Some((&first, rest)) = input.split_first() else {
        return;
    };
    // The first byte picks the content type's boundary or a plain Content-Range.
    let (content_type, content_range) = match first % 3 {
        0 => (Some("multipart/byteranges; boundary=b"), None),
        1 => (Some("multipart/byteranges; boundary=\"00000001\""), None),
        _ => (None, Some("bytes 10-109/1000")),
    };
    let wanted = [(10, 20), (40, 41), (60, 110)];
    if let Ok(Answer::Parts(parts)) = read("fuzz", content_type, content_range, rest, &wanted) {
        assert_eq!(parts.len(), wanted.len());
        for (p, &(s, e)) in parts.iter().zip(&wanted) {
            assert_eq!(p.len() as u64, e - s);
        }
    }
});
