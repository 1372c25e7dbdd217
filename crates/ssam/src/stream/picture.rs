//! A picture of a coded layout: one item's id and original image, compressed on its own
//! so that a query fetches only the few it measures exactly, and the ranges that fetch a
//! query's pictures.
//!
//! Each picture is a zlib stream (two bytes of header and an Adler-32 of what it holds,
//! six bytes in all against gzip's eighteen) of the item's id (u32) then its image: a
//! damaged picture fails to inflate, inflates to the wrong size, or fails its checksum.
//! The id lives here rather than in the cell because only the pictures of a query's few
//! best candidates are fetched, while every item of a cell is. What a checksum of the
//! bytes cannot see, a picture of another build at the same place, the reader sees by
//! coding the picture again and comparing with the code its cell holds.

use flate2::{Compress, Compression, Decompress, FlushCompress, FlushDecompress, Status};

use super::{PART_BYTES, Span};
use crate::error::{Error, Result};

/// Bytes of a picture's id, before its image.
const ID: usize = 4;

/// Item `id`'s `image` compressed as a picture.
pub(crate) fn compress(id: u32, image: &[u8]) -> Vec<u8> {
    let mut c = Compress::new(Compression::best(), true);
    let mut raw = Vec::with_capacity(ID + image.len());
    raw.extend_from_slice(&id.to_le_bytes());
    raw.extend_from_slice(image);
    let mut out = Vec::with_capacity(raw.len() + 64);
    c.compress_vec(&raw, &mut out, FlushCompress::Finish)
        .expect("compressing to memory cannot fail");
    out
}

/// Most bytes a picture of `dim` values can take (a stored stream of them and its
/// framing): a longer length in a cell is damage.
pub(crate) fn most_bytes(dim: usize) -> usize {
    ID + dim + dim / 16 + 64
}

/// The id and the image of `dim` values a picture holds; `name` says where it came from
/// in errors.
pub(crate) fn inflate(name: &str, bytes: &[u8], dim: usize) -> Result<(u32, Vec<u8>)> {
    let mut d = Decompress::new(true);
    // One byte of room past the image: a stream that fills it says more than it should.
    let mut out = Vec::with_capacity(ID + dim + 1);
    let status = d.decompress_vec(bytes, &mut out, FlushDecompress::Finish);
    let damaged = |what: String| Error::Corrupt {
        file: name.to_owned(),
        what,
    };
    match status {
        Ok(Status::StreamEnd) if out.len() == ID + dim && d.total_in() == bytes.len() as u64 => {
            let id = u32::from_le_bytes(out[..ID].try_into().expect("4 bytes"));
            Ok((id, out.split_off(ID)))
        }
        Ok(_) => Err(damaged(format!(
            "a picture of {} bytes gave {} bytes of the {} expected (an id and {dim} values)",
            bytes.len(),
            out.len(),
            ID + dim
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

/// The ranges that fetch `places`: pictures closer than [`PART_BYTES`] share one, as
/// the bytes between cost less than the headers of one more part of the answer.
pub(crate) fn spans(mut places: Vec<Place>) -> Vec<Span> {
    places.sort_unstable();
    places.dedup();
    let mut spans: Vec<Span> = Vec::new();
    for p in places {
        match spans.last_mut() {
            Some(s) if s.file == p.file && p.start >= s.end && p.start - s.end <= PART_BYTES => {
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
    spans
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_picture_inflates_to_its_image_and_damage_is_refused() {
        let image: Vec<u8> = (0..784).map(|i| if i % 29 < 6 { 200 } else { 0 }).collect();
        let bytes = compress(31_337, &image);
        assert!(bytes.len() < most_bytes(784));
        assert_eq!(inflate("p", &bytes, 784).unwrap(), (31_337, image.clone()));
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
                got.is_err() || got.unwrap() == (31_337, image.clone()),
                "a flip at byte {at} passed"
            );
        }
    }

    #[test]
    fn near_pictures_share_a_range_and_far_ones_do_not() {
        let place = |file: u16, start: u64| Place {
            file,
            start,
            end: start + 200,
            cell: 0,
            item: start as u32,
        };
        let near = spans(vec![place(0, 250), place(0, 0), place(0, 450 + PART_BYTES)]);
        assert_eq!(near.len(), 1);
        assert_eq!(
            (near[0].start, near[0].end, near[0].pictures.len()),
            (0, 650 + PART_BYTES, 3)
        );
        // A part's headers apart, or in another file: ranges of their own.
        let far = spans(vec![place(0, 0), place(0, 201 + PART_BYTES), place(1, 400)]);
        let at: Vec<(u16, u64)> = far.iter().map(|s| (s.file, s.start)).collect();
        assert_eq!(at, [(0, 0), (0, 201 + PART_BYTES), (1, 400)]);
    }
}
