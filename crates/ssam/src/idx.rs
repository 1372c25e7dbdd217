//! Reading IDX files, the format MNIST is published in: a magic number that gives the
//! element type and the number of dimensions, big-endian dimension sizes, then the data.
//! Gzip-compressed files are inflated first ([`crate::gzip`]); every header field is checked against
//! the bytes that follow before anything is allocated from it.

use crate::error::{Error, Result};
use crate::gzip::{self, Declared, Limit};

/// IDX element type code for unsigned bytes, the only type MNIST uses.
const TYPE_U8: u8 = 0x08;
/// An n-dimensional array of bytes read from an IDX file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdxArray {
    /// Sizes of the dimensions, outermost first (`[60000, 28, 28]` for MNIST images).
    pub dims: Vec<usize>,
    /// The elements, row-major.
    pub data: Vec<u8>,
}

/// What an IDX header declares: the whole file's size (header and data) once its
/// dimensions are in, [`Declared::Unknown`] when the bytes are not an IDX header. An
/// inflater given this stops a file at the size it declares ([`limit`]).
pub fn declared(head: &[u8]) -> Declared {
    if head.len() < 4 {
        return Declared::NeedMore;
    }
    if head[0] != 0 || head[1] != 0 || head[2] != TYPE_U8 || head[3] == 0 {
        return Declared::Unknown;
    }
    let header = 4 + 4 * usize::from(head[3]);
    if head.len() < header {
        return Declared::NeedMore;
    }
    // The data's size is the product of the dimensions; the header comes on top.
    let data = head[4..header]
        .chunks_exact(4)
        .map(|c| u64::from(u32::from_be_bytes([c[0], c[1], c[2], c[3]])))
        .try_fold(1u64, u64::checked_mul);
    Declared::Size(data.map_or(u64::MAX, |d| d.saturating_add(header as u64)))
}

/// The limit an IDX file is read within: the size its header declares, and at most
/// `most` bytes.
pub fn limit(most: u64) -> Limit {
    Limit::at_most(most).declared_by(declared)
}

/// Parses an IDX file of unsigned bytes, gzip-compressed or raw.
///
/// `file` names the source in error messages.
pub fn parse(file: &str, bytes: &[u8]) -> Result<IdxArray> {
    parse_owned(file, bytes.to_vec())
}

/// As [`parse`], reusing the buffer of raw input for the data: no second copy of a
/// 47 MB file, which matters in a browser tab.
pub fn parse_owned(file: &str, bytes: Vec<u8>) -> Result<IdxArray> {
    parse_inflated(
        file,
        gzip::gunzip_owned(file, bytes, limit(gzip::MAX_BYTES))?,
    )
}

/// Parses IDX bytes already inflated (by a streaming [`gzip::Inflater`] given [`limit`]).
pub fn parse_inflated(file: &str, raw: Vec<u8>) -> Result<IdxArray> {
    parse_within(file, raw, gzip::MAX_BYTES)
}

/// As [`parse_inflated`], for data of up to `most` bytes (a corpus the CLI lays out,
/// larger than anything a browser is handed).
pub fn parse_within(file: &str, raw: Vec<u8>, most: u64) -> Result<IdxArray> {
    let err = |what: String| Error::Idx {
        file: file.to_owned(),
        what,
    };
    if raw.len() < 4 {
        return Err(err(format!(
            "{} bytes is too short for an IDX header",
            raw.len()
        )));
    }
    if raw[0] != 0 || raw[1] != 0 {
        return Err(err(format!(
            "not an IDX file: magic starts {:02x} {:02x}, expected 00 00",
            raw[0], raw[1]
        )));
    }
    if raw[2] != TYPE_U8 {
        return Err(err(format!(
            "element type 0x{:02x} is not supported (only unsigned bytes, 0x08)",
            raw[2]
        )));
    }
    let ndims = usize::from(raw[3]);
    if ndims == 0 {
        return Err(err("header declares zero dimensions".to_owned()));
    }
    let header = 4 + 4 * ndims;
    if raw.len() < header {
        return Err(err(format!(
            "truncated header: {ndims} dimensions need {header} bytes, file has {}",
            raw.len()
        )));
    }
    let dims: Vec<usize> = raw[4..header]
        .chunks_exact(4)
        .map(|c| u32::from_be_bytes([c[0], c[1], c[2], c[3]]) as usize)
        .collect();
    let expected = dims
        .iter()
        .try_fold(1usize, |acc, &d| acc.checked_mul(d))
        .filter(|&n| n as u64 <= most)
        .ok_or_else(|| err(format!("dimensions {dims:?} are too large")))?;
    let found = raw.len() - header;
    if found < expected {
        return Err(err(format!(
            "truncated: dimensions {dims:?} need {expected} data bytes, file has {found}"
        )));
    }
    if found > expected {
        return Err(err(format!(
            "{} unexpected bytes after the {expected} data bytes of dimensions {dims:?}",
            found - expected
        )));
    }
    let mut data = raw;
    data.drain(..header);
    Ok(IdxArray { dims, data })
}

/// Serializes an array as a raw IDX file of unsigned bytes (for tests and tools).
pub fn to_bytes(array: &IdxArray) -> Vec<u8> {
    let mut out = header(&array.dims);
    out.extend_from_slice(&array.data);
    out
}

/// The header of an IDX file of unsigned bytes with these dimensions: a writer that
/// streams the data after it never holds the whole array.
pub fn header(dims: &[usize]) -> Vec<u8> {
    let mut out = vec![0, 0, TYPE_U8, dims.len() as u8];
    for &d in dims {
        out.extend_from_slice(&(d as u32).to_be_bytes());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> IdxArray {
        IdxArray {
            dims: vec![2, 2, 3],
            data: (0..12).collect(),
        }
    }

    #[test]
    fn raw_round_trip() {
        let a = sample();
        assert_eq!(parse("a", &to_bytes(&a)).unwrap(), a);
    }

    #[test]
    fn gzip_round_trip() {
        use std::io::Write;
        let a = sample();
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        enc.write_all(&to_bytes(&a)).unwrap();
        let gz = enc.finish().unwrap();
        assert!(gzip::is_gzip(&gz));
        assert_eq!(parse("a.gz", &gz).unwrap(), a);
    }

    #[test]
    fn every_truncation_is_an_error_naming_the_file() {
        let bytes = to_bytes(&sample());
        for len in 0..bytes.len() {
            let e = parse("cut.idx", &bytes[..len]).unwrap_err();
            assert!(e.to_string().starts_with("cut.idx: "), "{e}");
        }
    }

    #[test]
    fn trailing_bytes_wrong_type_and_magic_are_errors() {
        let mut bytes = to_bytes(&sample());
        bytes.push(0);
        assert!(
            parse("x", &bytes)
                .unwrap_err()
                .to_string()
                .contains("unexpected bytes")
        );
        let mut bytes = to_bytes(&sample());
        bytes[2] = 0x0d;
        assert!(
            parse("x", &bytes)
                .unwrap_err()
                .to_string()
                .contains("element type 0x0d")
        );
        let mut bytes = to_bytes(&sample());
        bytes[0] = 1;
        assert!(
            parse("x", &bytes)
                .unwrap_err()
                .to_string()
                .contains("not an IDX file")
        );
    }

    #[test]
    fn huge_declared_dimensions_do_not_allocate() {
        let bytes = [
            0, 0, 8, 3, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 9,
        ];
        assert!(
            parse("x", &bytes)
                .unwrap_err()
                .to_string()
                .contains("too large")
        );
    }

    #[test]
    fn corrupt_gzip_is_an_error() {
        let e = parse("bad.gz", &[0x1f, 0x8b, 8, 0, 1, 2, 3]).unwrap_err();
        assert!(matches!(e, Error::Gzip { .. }), "{e}");
    }
}
