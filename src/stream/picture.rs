//! A picture of a coded layout: one item's original image, compressed on its own so that
//! a query fetches only the few it measures exactly, and the ranges that fetch a query's
//! pictures.
//!
//! Each picture is a zlib stream (two bytes of header and an Adler-32 of the image, six
//! bytes in all against gzip's eighteen): a damaged picture fails to inflate, inflates to
//! the wrong size, or fails its checksum. What a checksum of the bytes cannot see, a
//! picture of another build at the same place, the reader sees by coding the picture
//! again and comparing with the code its cell holds.

use flate2::{Compress, Compression, Decompress, FlushCompress, FlushDecompress, Status};

use super::Span;
use crate::error::{Error, Result};

/// Most requests a query's pictures take: Chromium opens six connections a host over
/// HTTP/1.1, so a seventh request would wait for a round trip of its own.
pub const MAX_REQUESTS: usize = 6;
/// Pictures closer than this in one file are fetched by one range whatever the count.
pub const PICTURE_GAP: u64 = 512;
/// Largest gap a range bridges to keep within [`MAX_REQUESTS`]: beyond it, one more
/// request costs less than the bytes between.
pub const MAX_BRIDGE: u64 = 2 << 10;

/// `image` compressed as a picture.
pub(crate) fn compress(image: &[u8]) -> Vec<u8> {
    let mut c = Compress::new(Compression::best(), true);
    let mut out = Vec::with_capacity(image.len() + 64);
    c.compress_vec(image, &mut out, FlushCompress::Finish)
        .expect("compressing to memory cannot fail");
    out
}

/// Most bytes a picture of `dim` values can take (a stored stream of them and its
/// framing): a longer length in a cell is damage.
pub(crate) fn most_bytes(dim: usize) -> usize {
    dim + dim / 16 + 64
}

/// The image of `dim` values a picture holds; `name` says where it came from in errors.
pub(crate) fn inflate(name: &str, bytes: &[u8], dim: usize) -> Result<Vec<u8>> {
    let mut d = Decompress::new(true);
    // One byte of room past the image: a stream that fills it says more than it should.
    let mut out = Vec::with_capacity(dim + 1);
    let status = d.decompress_vec(bytes, &mut out, FlushDecompress::Finish);
    let damaged = |what: String| Error::Corrupt {
        file: name.to_owned(),
        what,
    };
    match status {
        Ok(Status::StreamEnd) if out.len() == dim && d.total_in() == bytes.len() as u64 => Ok(out),
        Ok(_) => Err(damaged(format!(
            "a picture of {} bytes gave {} values of the {dim} expected",
            bytes.len(),
            out.len()
        ))),
        Err(e) => Err(damaged(format!("a picture does not inflate ({e})"))),
    }
}

/// A picture's place: its data file, its bytes, and whose it is (cell block, item).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Place {
    pub(crate) file: u16,
    pub(crate) start: u64,
    pub(crate) end: u64,
    pub(crate) cell: u32,
    pub(crate) item: u32,
}

/// The ranges that fetch `places`: pictures closer than [`PICTURE_GAP`] share one, then
/// the smallest gaps up to [`MAX_BRIDGE`] are bridged until [`MAX_REQUESTS`] remain.
pub(crate) fn spans(mut places: Vec<Place>) -> Vec<Span> {
    places.sort_unstable();
    places.dedup();
    let mut spans: Vec<Span> = Vec::new();
    for p in places {
        match spans.last_mut() {
            Some(s) if s.file == p.file && p.start >= s.end && p.start - s.end <= PICTURE_GAP => {
                s.end = p.end;
                s.pictures.push((p.cell, p.item));
            }
            _ => spans.push(Span {
                file: p.file,
                start: p.start,
                end: p.end,
                blocks: Vec::new(),
                pictures: vec![(p.cell, p.item)],
            }),
        }
    }
    while spans.len() > MAX_REQUESTS {
        let smallest = (1..spans.len())
            .filter(|&i| spans[i].file == spans[i - 1].file)
            .min_by_key(|&i| spans[i].start - spans[i - 1].end);
        let Some(i) = smallest.filter(|&i| spans[i].start - spans[i - 1].end <= MAX_BRIDGE) else {
            break;
        };
        let next = spans.remove(i);
        let s = &mut spans[i - 1];
        s.end = next.end;
        s.pictures.extend(next.pictures);
    }
    spans
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_picture_inflates_to_its_image_and_damage_is_refused() {
        let image: Vec<u8> = (0..784).map(|i| if i % 29 < 6 { 200 } else { 0 }).collect();
        let bytes = compress(&image);
        assert!(bytes.len() < most_bytes(784));
        assert_eq!(inflate("p", &bytes, 784).unwrap(), image);
        assert!(inflate("p", &bytes, 783).is_err());
        assert!(inflate("p", &bytes[..bytes.len() - 1], 784).is_err());
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(inflate("p", &longer, 784).is_err());
        // Any flip is refused, or changes no pixel (an unused bit of the last byte).
        for at in 0..bytes.len() {
            let mut bad = bytes.clone();
            bad[at] ^= 0x10;
            let got = inflate("p", &bad, 784);
            assert!(
                got.is_err() || got.unwrap() == image,
                "a flip at byte {at} passed"
            );
        }
    }

    #[test]
    fn near_pictures_share_a_range_and_requests_stay_within_the_cap() {
        let place = |start: u64| Place {
            file: 0,
            start,
            end: start + 200,
            cell: 0,
            item: start as u32,
        };
        let near = spans(vec![place(0), place(300), place(600)]);
        assert_eq!(near.len(), 1);
        assert_eq!(
            (near[0].start, near[0].end, near[0].pictures.len()),
            (0, 800, 3)
        );
        // Ten pictures 1 kB apart: bridged down to six requests.
        let spread = spans((0..10).map(|i| place(i * 1_000)).collect());
        assert_eq!(spread.len(), MAX_REQUESTS);
        assert_eq!(spread.iter().map(|s| s.pictures.len()).sum::<usize>(), 10);
        // A megabyte apart: not worth bridging.
        assert_eq!(spans((0..10).map(|i| place(i << 20)).collect()).len(), 10);
    }
}
