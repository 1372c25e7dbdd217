//! Gzip, the form every shipped file travels in: inflating a whole buffer, or a stream
//! chunk by chunk as it arrives (so a page unpacks while it downloads and never holds the
//! compressed copy). Both refuse to inflate past [`MAX_BYTES`].

use std::io::{Read, Write};

use flate2::read::MultiGzDecoder;
use flate2::write::MultiGzDecoder as StreamDecoder;

use crate::error::{Error, Result};

/// Refuse to inflate more than this: no MNIST-like file comes near it, and a corrupt or
/// hostile gzip stream must not be able to take all the memory there is.
pub const MAX_BYTES: u64 = 512 << 20;

/// True when `bytes` start with the gzip magic number.
pub fn is_gzip(bytes: &[u8]) -> bool {
    bytes.starts_with(&[0x1f, 0x8b])
}

fn too_large(file: &str) -> Error {
    Error::Gzip {
        file: file.to_owned(),
        reason: format!("inflates to more than {} MiB", MAX_BYTES >> 20),
    }
}

/// Inflates `bytes` when they are gzip, up to [`MAX_BYTES`]; returns raw bytes unchanged.
pub fn gunzip(file: &str, bytes: &[u8]) -> Result<Vec<u8>> {
    if !is_gzip(bytes) {
        return Ok(bytes.to_vec());
    }
    let mut out = Vec::with_capacity(bytes.len().saturating_mul(4));
    MultiGzDecoder::new(bytes)
        .take(MAX_BYTES + 1)
        .read_to_end(&mut out)
        .map_err(|e| Error::Gzip {
            file: file.to_owned(),
            reason: e.to_string(),
        })?;
    if out.len() as u64 > MAX_BYTES {
        return Err(too_large(file));
    }
    Ok(out)
}

/// As [`gunzip`], keeping the buffer when it is not gzip.
pub fn gunzip_owned(file: &str, bytes: Vec<u8>) -> Result<Vec<u8>> {
    if is_gzip(&bytes) {
        gunzip(file, &bytes)
    } else {
        Ok(bytes)
    }
}

/// Takes a file chunk by chunk: holds the first bytes until they show whether the file is
/// gzip, then inflates as it goes or keeps the bytes as they are.
pub struct Inflater {
    file: String,
    expected: Option<u64>,
    sink: Sink,
}

enum Sink {
    Undecided(Vec<u8>),
    Raw(Vec<u8>),
    /// Boxed: the decoder's state is large, and a file is one of these for its life.
    Gzip(Box<StreamDecoder<Vec<u8>>>),
}

impl Inflater {
    /// A stream of `file`, whose compressed size is `expected` when known (it sizes the
    /// output buffer once instead of growing it).
    pub fn new(file: &str, expected: Option<u64>) -> Self {
        Inflater {
            file: file.to_owned(),
            expected,
            sink: Sink::Undecided(Vec::new()),
        }
    }

    /// Takes the next chunk.
    pub fn push(&mut self, bytes: &[u8]) -> Result<()> {
        if let Sink::Undecided(head) = &mut self.sink {
            head.extend_from_slice(bytes);
            if head.len() < 2 {
                return Ok(());
            }
            let head = std::mem::take(head);
            let expected = self.expected.unwrap_or(0);
            self.sink = if is_gzip(&head) {
                // MNIST's pixels inflate to about five times their gzip size.
                let guess = expected.saturating_mul(5).min(MAX_BYTES) as usize;
                Sink::Gzip(Box::new(StreamDecoder::new(Vec::with_capacity(guess))))
            } else {
                Sink::Raw(Vec::with_capacity(expected.min(MAX_BYTES) as usize))
            };
            return self.push(&head);
        }
        let held = match &mut self.sink {
            Sink::Raw(out) => {
                out.extend_from_slice(bytes);
                out.len()
            }
            Sink::Gzip(decoder) => {
                decoder.write_all(bytes).map_err(|e| Error::Gzip {
                    file: self.file.clone(),
                    reason: e.to_string(),
                })?;
                decoder.get_ref().len()
            }
            Sink::Undecided(_) => unreachable!("decided above"),
        };
        if held as u64 > MAX_BYTES {
            return Err(too_large(&self.file));
        }
        Ok(())
    }

    /// The whole inflated file; an error when a gzip stream stopped short.
    pub fn finish(self) -> Result<Vec<u8>> {
        match self.sink {
            Sink::Undecided(bytes) | Sink::Raw(bytes) => Ok(bytes),
            Sink::Gzip(decoder) => decoder.finish().map_err(|e| Error::Gzip {
                file: self.file,
                reason: format!("the stream is cut short or damaged ({e})"),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::{Compression, write::GzEncoder};

    fn gz(bytes: &[u8]) -> Vec<u8> {
        let mut enc = GzEncoder::new(Vec::new(), Compression::fast());
        enc.write_all(bytes).unwrap();
        enc.finish().unwrap()
    }

    #[test]
    fn streaming_in_any_chunks_gives_what_gunzip_gives() {
        let plain: Vec<u8> = (0..5000u32).map(|i| (i * 7 % 251) as u8).collect();
        let packed = gz(&plain);
        for chunk in [1, 2, 3, 100, packed.len()] {
            for input in [&packed, &plain] {
                let mut s = Inflater::new("f", Some(input.len() as u64));
                for c in input.chunks(chunk) {
                    s.push(c).unwrap();
                }
                assert_eq!(s.finish().unwrap(), plain, "chunks of {chunk}");
            }
        }
        assert_eq!(gunzip("f", &packed).unwrap(), plain);
        assert_eq!(gunzip("f", &plain).unwrap(), plain);
    }

    #[test]
    fn a_cut_or_damaged_stream_is_an_error_naming_the_file() {
        let packed = gz(&[7u8; 3000]);
        let mut s = Inflater::new("cut.gz", None);
        s.push(&packed[..packed.len() / 2]).unwrap();
        let e = s.finish().unwrap_err();
        assert!(e.to_string().starts_with("cut.gz: "), "{e}");
        let e = gunzip("bad.gz", &[0x1f, 0x8b, 8, 0, 1, 2, 3]).unwrap_err();
        assert!(matches!(e, Error::Gzip { .. }), "{e}");
    }
}
