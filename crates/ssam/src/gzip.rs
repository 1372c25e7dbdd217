//! Gzip, the form every shipped file travels in: inflating a whole buffer, or a stream
//! chunk by chunk as it arrives (so a page unpacks while it downloads and never holds the
//! compressed copy). Every inflation is bounded by a [`Limit`] *while* it writes: the
//! output stops at the limit, so a small hostile file (a "gzip bomb" of zeros) costs at
//! most the limit in memory, never what it would inflate to.

use std::io::{self, Write};

use flate2::write::MultiGzDecoder;

use crate::error::{Error, Result};

/// The stated cap when a file declares no size: no MNIST-like file comes near it.
pub const MAX_BYTES: u64 = 512 << 20;

/// What the first inflated bytes of a file say about its whole size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Declared {
    /// Too few bytes yet to tell.
    NeedMore,
    /// Not a header this reader knows: only the stated cap applies.
    Unknown,
    /// Not a file this reader takes at all: it is read no further than its first bytes,
    /// which come back as the whole file for its reader to refuse with a precise
    /// message (a gzip bomb of zeros costs a few kilobytes, not the cap).
    Foreign,
    /// The whole file is this many bytes (header included).
    Size(u64),
}

/// How far a file may inflate: a stated cap, tightened to the size the file's own header
/// declares when a reader of its format is given ([`crate::idx::declared`],
/// [`crate::format::declared`]).
#[derive(Debug, Clone, Copy)]
pub struct Limit {
    most: u64,
    declared: Option<fn(&[u8]) -> Declared>,
}

impl Limit {
    /// At most `bytes`, whatever the file says.
    pub const fn at_most(bytes: u64) -> Limit {
        Limit {
            most: bytes,
            declared: None,
        }
    }

    /// Also at most the size the file's header declares, read by `header`.
    pub const fn declared_by(self, header: fn(&[u8]) -> Declared) -> Limit {
        Limit {
            declared: Some(header),
            ..self
        }
    }

    /// The stated cap.
    pub fn most(self) -> u64 {
        self.most
    }
}

/// True when `bytes` start with the gzip magic number.
pub fn is_gzip(bytes: &[u8]) -> bool {
    bytes.starts_with(&[0x1f, 0x8b])
}

/// Inflates `bytes` when they are gzip, within `limit`; raw bytes come back unchanged
/// (they are in memory already: their reader checks their size).
pub fn gunzip(file: &str, bytes: &[u8], limit: Limit) -> Result<Vec<u8>> {
    if !is_gzip(bytes) {
        return gunzip_owned(file, bytes.to_vec(), limit);
    }
    let mut s = Inflater::new(file, limit, Some(bytes.len() as u64));
    s.push(bytes)?;
    s.finish()
}

/// As [`gunzip`], keeping the buffer when it is not gzip.
pub fn gunzip_owned(file: &str, bytes: Vec<u8>, limit: Limit) -> Result<Vec<u8>> {
    if is_gzip(&bytes) {
        return gunzip(file, &bytes, limit);
    }
    Ok(bytes)
}

/// The inflated bytes, which refuse to grow past the limit: the check runs on each
/// write, before the bytes are kept, and capacity never goes past the limit either.
struct Output {
    file: String,
    limit: Limit,
    /// The cap now: the stated one, or the declared size once the header is in.
    cap: u64,
    decided: bool,
    bytes: Vec<u8>,
    /// Set when a write went past the cap (the decoder only sees an I/O error).
    over: Option<Error>,
    /// The header said [`Declared::Foreign`]: the rest is not read.
    cut: bool,
}

impl Output {
    fn new(file: &str, limit: Limit) -> Output {
        Output {
            file: file.to_owned(),
            limit,
            cap: limit.most,
            decided: limit.declared.is_none(),
            bytes: Vec::new(),
            over: None,
            cut: false,
        }
    }

    fn too_large(&self, declared: bool) -> Error {
        Error::TooLarge {
            file: self.file.clone(),
            limit: self.cap,
            declared,
        }
    }

    fn declared_over(&self, size: u64) -> Error {
        Error::DeclaredTooLarge {
            file: self.file.clone(),
            size,
            limit: self.limit.most,
        }
    }

    /// Keeps `buf`, or refuses it when it would pass the cap.
    fn keep(&mut self, buf: &[u8]) -> Result<()> {
        if self.cut {
            return Ok(());
        }
        let len = self.bytes.len() as u64 + buf.len() as u64;
        if !self.decided
            && let Some(header) = self.limit.declared
        {
            // The header is within the first few hundred bytes: look at what has come
            // so far together with this write.
            let head_len = (self.bytes.len() + buf.len()).min(4096);
            let mut head = self.bytes[..self.bytes.len().min(head_len)].to_vec();
            head.extend_from_slice(&buf[..head_len - head.len()]);
            match header(&head) {
                Declared::NeedMore if head_len < 4096 => {}
                Declared::NeedMore | Declared::Unknown => self.decided = true,
                Declared::Foreign => {
                    self.bytes = head;
                    self.cut = true;
                    return Ok(());
                }
                Declared::Size(size) => {
                    if size > self.limit.most {
                        return Err(self.declared_over(size));
                    }
                    self.cap = size;
                    self.decided = true;
                    // Sized once, exactly: no doubling past the file.
                    self.bytes
                        .reserve_exact((size as usize).saturating_sub(self.bytes.len()));
                }
            }
        }
        if len > self.cap {
            return Err(self.too_large(self.decided && self.cap < self.limit.most));
        }
        if len as usize > self.bytes.capacity() {
            // Grow by doubling, but never past the cap.
            let want = (self.bytes.capacity() as u64 * 2).max(len).min(self.cap);
            self.bytes.reserve_exact(want as usize - self.bytes.len());
        }
        self.bytes.extend_from_slice(buf);
        Ok(())
    }
}

impl Write for Output {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self.keep(buf) {
            // Stops the decoder: nothing more is wanted.
            Ok(()) if self.cut => Err(io::Error::other("read no further")),
            Ok(()) => Ok(buf.len()),
            Err(e) => {
                self.over = Some(e);
                Err(io::Error::other("over the size limit"))
            }
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Takes a file chunk by chunk: holds the first bytes until they show whether the file is
/// gzip, then inflates as it goes or keeps the bytes as they are, within its [`Limit`].
pub struct Inflater {
    expected: Option<u64>,
    sink: Sink,
}

enum Sink {
    Undecided(Output, Vec<u8>),
    Raw(Output),
    /// Boxed: the decoder's state is large, and a file is one of these for its life.
    Gzip(Box<MultiGzDecoder<Output>>),
}

impl Inflater {
    /// A stream of `file` inflating within `limit`, whose compressed size is `expected`
    /// when known (a raw file's buffer is then sized once).
    pub fn new(file: &str, limit: Limit, expected: Option<u64>) -> Self {
        Inflater {
            expected,
            sink: Sink::Undecided(Output::new(file, limit), Vec::new()),
        }
    }

    /// True once the file's header said it is no file of this kind
    /// ([`Declared::Foreign`]): the rest need not be read.
    pub fn is_done(&self) -> bool {
        match &self.sink {
            Sink::Undecided(..) => false,
            Sink::Raw(out) => out.cut,
            Sink::Gzip(decoder) => decoder.get_ref().cut,
        }
    }

    /// Takes the next chunk.
    pub fn push(&mut self, bytes: &[u8]) -> Result<()> {
        if let Sink::Undecided(_, head) = &mut self.sink {
            head.extend_from_slice(bytes);
            if head.len() < 2 {
                return Ok(());
            }
            let Sink::Undecided(mut out, head) = std::mem::replace(
                &mut self.sink,
                Sink::Raw(Output::new("", Limit::at_most(0))),
            ) else {
                unreachable!("matched above")
            };
            self.sink = if is_gzip(&head) {
                Sink::Gzip(Box::new(MultiGzDecoder::new(out)))
            } else {
                let expected = self.expected.unwrap_or(0).min(out.cap);
                out.bytes.reserve_exact(expected as usize);
                Sink::Raw(out)
            };
            return self.push(&head);
        }
        match &mut self.sink {
            Sink::Raw(out) => out.keep(bytes),
            Sink::Gzip(decoder) if decoder.get_ref().cut => Ok(()),
            Sink::Gzip(decoder) => match decoder.write_all(bytes) {
                Ok(()) => Ok(()),
                Err(_) if decoder.get_ref().cut => Ok(()),
                Err(e) => Err(decoder
                    .get_mut()
                    .over
                    .take()
                    .unwrap_or_else(|| Error::Gzip {
                        file: decoder.get_ref().file.clone(),
                        reason: e.to_string(),
                    })),
            },
            Sink::Undecided(..) => unreachable!("decided above"),
        }
    }

    /// The whole inflated file; an error when a gzip stream stopped short.
    pub fn finish(self) -> Result<Vec<u8>> {
        match self.sink {
            Sink::Undecided(mut out, bytes) => {
                out.keep(&bytes)?;
                Ok(out.bytes)
            }
            Sink::Raw(out) => Ok(out.bytes),
            Sink::Gzip(mut decoder) if decoder.get_ref().cut => {
                Ok(std::mem::take(&mut decoder.get_mut().bytes))
            }
            Sink::Gzip(mut decoder) => match decoder.try_finish() {
                Ok(()) => Ok(decoder
                    .finish()
                    .expect("finished above: nothing is left to write")
                    .bytes),
                Err(e) => {
                    let out = decoder.get_mut();
                    Err(out.over.take().unwrap_or_else(|| Error::Gzip {
                        file: out.file.clone(),
                        reason: format!("the stream is cut short or damaged ({e})"),
                    }))
                }
            },
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

    /// A header of our own for the tests: the first byte is the whole size in KiB.
    fn kib_header(head: &[u8]) -> Declared {
        match head.first() {
            None => Declared::NeedMore,
            Some(0) => Declared::Unknown,
            Some(1) => Declared::Foreign,
            Some(&k) => Declared::Size(u64::from(k) << 10),
        }
    }

    #[test]
    fn streaming_in_any_chunks_gives_what_gunzip_gives() {
        let plain: Vec<u8> = (0..5000u32).map(|i| (i * 7 % 251) as u8).collect();
        let packed = gz(&plain);
        let limit = Limit::at_most(1 << 20);
        for chunk in [1, 2, 3, 100, packed.len()] {
            for input in [&packed, &plain] {
                let mut s = Inflater::new("f", limit, Some(input.len() as u64));
                for c in input.chunks(chunk) {
                    s.push(c).unwrap();
                }
                assert_eq!(s.finish().unwrap(), plain, "chunks of {chunk}");
            }
        }
        assert_eq!(gunzip("f", &packed, limit).unwrap(), plain);
        assert_eq!(gunzip("f", &plain, limit).unwrap(), plain);
    }

    #[test]
    fn a_cut_or_damaged_stream_is_an_error_naming_the_file() {
        let packed = gz(&[7u8; 3000]);
        let mut s = Inflater::new("cut.gz", Limit::at_most(1 << 20), None);
        s.push(&packed[..packed.len() / 2]).unwrap();
        let e = s.finish().unwrap_err();
        assert!(e.to_string().starts_with("cut.gz: "), "{e}");
        let e = gunzip(
            "bad.gz",
            &[0x1f, 0x8b, 8, 0, 1, 2, 3],
            Limit::at_most(1 << 20),
        )
        .unwrap_err();
        assert!(matches!(e, Error::Gzip { .. }), "{e}");
    }

    /// A bomb: 64 MiB of zeros packs into about 64 kB; pushed in one chunk (browsers hand
    /// over megabytes at once), it must stop at the cap, not inflate the chunk whole.
    #[test]
    fn a_gzip_bomb_stops_at_the_cap_with_an_error_naming_file_and_limit() {
        let bomb = gz(&vec![0u8; 64 << 20]);
        assert!(bomb.len() < 1 << 20, "{}", bomb.len());
        let cap = 1 << 20;
        let mut s = Inflater::new("bomb.gz", Limit::at_most(cap), None);
        let e = s.push(&bomb).unwrap_err();
        assert_eq!(
            e,
            Error::TooLarge {
                file: "bomb.gz".into(),
                limit: cap,
                declared: false
            }
        );
        assert!(
            e.to_string().contains("bomb.gz") && e.to_string().contains("1048576"),
            "{e}"
        );
        // What was kept never passed the cap.
        let Sink::Gzip(d) = &s.sink else {
            panic!("a gzip sink")
        };
        assert!(d.get_ref().bytes.capacity() as u64 <= cap);
        assert!(matches!(
            gunzip("bomb.gz", &bomb, Limit::at_most(cap)),
            Err(Error::TooLarge { .. })
        ));
    }

    #[test]
    fn a_declared_size_tightens_the_cap_and_sizes_the_buffer_once() {
        // Declares 2 KiB, then inflates to 64 MiB.
        let mut plain = vec![2u8];
        plain.resize(64 << 20, 0);
        let bomb = gz(&plain);
        let limit = Limit::at_most(1 << 20).declared_by(kib_header);
        let e = gunzip("said-2k.gz", &bomb, limit).unwrap_err();
        assert_eq!(
            e,
            Error::TooLarge {
                file: "said-2k.gz".into(),
                limit: 2048,
                declared: true
            }
        );
        // A file that keeps its word is read, into a buffer of exactly its size.
        let mut honest = vec![3u8];
        honest.resize(3 << 10, 9);
        let mut s = Inflater::new("ok.gz", limit, None);
        for c in gz(&honest).chunks(7) {
            s.push(c).unwrap();
        }
        let out = s.finish().unwrap();
        assert_eq!(out, honest);
        assert_eq!(out.capacity(), 3 << 10);
        // A header declaring more than the stated cap is refused at once, gzip or raw.
        let mut big = vec![255u8];
        big.resize(100, 0);
        let small = Limit::at_most(100 << 10).declared_by(kib_header);
        for input in [gz(&big), big.clone()] {
            let mut s = Inflater::new("big", small, None);
            let e = s
                .push(&input)
                .and_then(|()| s.finish().map(drop))
                .unwrap_err();
            assert!(e.to_string().contains("declares 261120 bytes"), "{e}");
        }
        // A foreign one stops at once: its first bytes come back for their reader.
        let mut foreign = vec![1u8];
        foreign.resize(64 << 20, 0);
        let mut s = Inflater::new("zeros.gz", small, None);
        s.push(&gz(&foreign)).unwrap();
        assert!(s.is_done());
        let head = s.finish().unwrap();
        assert!(
            !head.is_empty() && head.len() <= 4096 && head[0] == 1,
            "{}",
            head.len()
        );
        // An unknown header leaves the stated cap.
        let mut other = vec![0u8];
        other.resize(5000, 1);
        assert_eq!(gunzip("other", &gz(&other), small).unwrap(), other);
    }

    #[test]
    fn a_raw_stream_is_held_to_the_limit_too() {
        let mut s = Inflater::new("raw.bin", Limit::at_most(1000), Some(2000));
        s.push(&[1; 600]).unwrap();
        assert!(s.push(&[1; 600]).is_err());
    }
}
