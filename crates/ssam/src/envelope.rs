//! The envelope of every file SSAM writes with a header of its own (an index, a streamed
//! layout's root, a map, exact answers): which kind of file it is, in which version of its format, how
//! long, and a checksum. One writer ([`Envelope::seal`]) and one reader
//! ([`Envelope::open`]), so that every kind of file gets the same error for the same
//! fault, naming the file.
//!
//! ```text
//! offset  size  field
//!      0     8  magic: which kind of file this is
//!      8     4  format version (u32, little-endian like every number here)
//!     12     8  xxh3-64 checksum of the length field and the body (an index, a map,
//!               exact answers), or of the body alone (a root)
//!     20     8  length of the body (u64)
//!     28        body, in the kind's own layout (crate::format, crate::stream, crate::map,
//!               crate::truth)
//! ```
//!
//! Opening checks, in this order (a file that ends before a field is [`Error::Truncated`]):
//!
//! | fault                                         | error                         |
//! |-----------------------------------------------|-------------------------------|
//! | first bytes other than the kind's magic       | [`Error::WrongKind`]          |
//! | a version this build does not read            | [`Error::UnsupportedVersion`] |
//! | fewer bytes after the header than it declares | [`Error::Truncated`]          |
//! | more bytes after the header than it declares  | [`Error::Corrupt`]            |
//! | a checksum that does not match the bytes      | [`Error::Checksum`]           |
//!
//! What the checksum covers differs by kind because the formats of the index, root and
//! map were written that way before they shared this module, and a file that ships is
//! rebuilt byte for byte.

use std::fmt;

use xxhash_rust::xxh3::xxh3_64;

use crate::error::{Error, Result};
use crate::gzip::Declared;
use crate::reader::Reader;

/// Bytes of the header: magic, version, checksum, length.
pub(crate) const HEAD: usize = 28;
/// Where the length field starts.
const LENGTH_AT: usize = 20;

/// The kinds of file SSAM writes, as its errors name them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// An index: forest, graph and codes ([`crate::format`]).
    Index,
    /// A streamed layout's root ([`crate::stream`]).
    Root,
    /// A map of the training items ([`crate::map`]).
    Map,
    /// Exact answers of a query set ([`crate::truth::Answers`]).
    Answers,
    /// Exact k-th distances of a query set ([`crate::truth::KthDistances`]).
    KthDistances,
}

impl FileKind {
    /// What to do about a file of this kind that this build cannot use.
    pub fn remedy(self) -> &'static str {
        match self {
            FileKind::Index => "rebuild it with `ssam build`",
            FileKind::Root => "write the layout again with `ssam stream`",
            FileKind::Map => "lay it out again with `ssam map`",
            FileKind::Answers => "compute them again with `ssam bench`",
            FileKind::KthDistances => "write them again with `ssam truth`",
        }
    }
}

impl fmt::Display for FileKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            FileKind::Index => "SSAM index",
            FileKind::Root => "SSAM streamed layout root",
            FileKind::Map => "SSAM map",
            FileKind::Answers => "SSAM exact answers file",
            FileKind::KthDistances => "SSAM k-th distances file",
        })
    }
}

/// The header of one kind of file: its magic, the versions this build reads and what
/// its checksum covers.
pub(crate) struct Envelope {
    pub(crate) kind: FileKind,
    pub(crate) magic: [u8; 8],
    /// Versions this build reads, the newest last.
    pub(crate) versions: &'static [u32],
    /// Whether the checksum covers the length field as well as the body.
    pub(crate) sums_length: bool,
}

impl Envelope {
    /// The whole file: the header for `version`, then `body`.
    pub(crate) fn seal(&self, version: u32, body: &[u8]) -> Vec<u8> {
        debug_assert!(self.versions.contains(&version), "{version}");
        let mut out = Vec::with_capacity(HEAD + body.len());
        out.extend_from_slice(&self.magic);
        out.extend_from_slice(&version.to_le_bytes());
        out.extend_from_slice(&[0; 8]);
        out.extend_from_slice(&(body.len() as u64).to_le_bytes());
        out.extend_from_slice(body);
        let sum = xxh3_64(self.summed(&out));
        out[12..LENGTH_AT].copy_from_slice(&sum.to_le_bytes());
        out
    }

    /// Checks the header of `raw` (the whole file, inflated; `file` names it in errors)
    /// and the checksum of what follows: the version, and a reader at the body's first
    /// byte.
    pub(crate) fn open<'a>(&self, file: &'a str, raw: &'a [u8]) -> Result<(u32, Reader<'a>)> {
        check_kind(self.kind, &self.magic, file, raw)?;
        let mut r = Reader::new(file, raw);
        r.at = self.magic.len();
        let version = r.u32("format version")?;
        if !self.versions.contains(&version) {
            return Err(Error::UnsupportedVersion {
                file: file.to_owned(),
                kind: self.kind,
                found: version,
                supported: *self.versions.last().expect("a kind reads some version"),
            });
        }
        let expected = r.u64("checksum")?;
        let length = r.u64("length")?;
        let found = r.remaining() as u64;
        if found < length {
            return Err(Error::Truncated {
                file: file.to_owned(),
                what: format!("header says {length} bytes follow, {found} do"),
            });
        }
        if found > length {
            return Err(r.corrupt(format!(
                "{} bytes after the {length} the header announces",
                found - length
            )));
        }
        let actual = xxh3_64(self.summed(raw));
        if actual != expected {
            return Err(Error::Checksum {
                file: file.to_owned(),
                expected,
                found: actual,
            });
        }
        Ok((version, r))
    }

    /// What a file's first bytes declare: its whole size, once the length field is in;
    /// `other` for bytes that are not of this kind.
    pub(crate) fn declared(&self, head: &[u8], other: Declared) -> Declared {
        if head.len() < HEAD {
            return if self
                .magic
                .starts_with(&head[..head.len().min(self.magic.len())])
            {
                Declared::NeedMore
            } else {
                other
            };
        }
        if !head.starts_with(&self.magic) {
            return other;
        }
        let length = u64::from_le_bytes(head[LENGTH_AT..HEAD].try_into().expect("8 bytes"));
        Declared::Size(length.saturating_add(HEAD as u64))
    }

    /// The bytes the checksum covers.
    fn summed<'b>(&self, file: &'b [u8]) -> &'b [u8] {
        &file[if self.sums_length { LENGTH_AT } else { HEAD }..]
    }
}

/// Checks that `raw` starts with `magic`, the first bytes of every file of `kind`: a file
/// that starts otherwise is of another kind (or none), and one that ends inside the
/// magic is truncated.
fn check_kind(kind: FileKind, magic: &[u8; 8], file: &str, raw: &[u8]) -> Result<()> {
    if raw.starts_with(magic) {
        return Ok(());
    }
    if magic.starts_with(raw) {
        return Err(Error::Truncated {
            file: file.to_owned(),
            what: format!(
                "{} bytes, fewer than the {} of the {kind}'s magic",
                raw.len(),
                magic.len()
            ),
        });
    }
    Err(Error::WrongKind {
        file: file.to_owned(),
        expected: kind,
        found: raw[..raw.len().min(magic.len())].to_vec(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEST: Envelope = Envelope {
        kind: FileKind::Map,
        magic: *b"SSAMTST\0",
        versions: &[1, 4],
        sums_length: true,
    };
    const BODY_ONLY: Envelope = Envelope {
        sums_length: false,
        ..TEST
    };

    #[test]
    fn a_sealed_body_opens_to_its_version_and_body() {
        for envelope in [TEST, BODY_ONLY] {
            for version in [1, 4] {
                let sealed = envelope.seal(version, b"the body");
                let (found, r) = envelope.open("f", &sealed).unwrap();
                assert_eq!((found, &r.bytes[r.at..]), (version, &b"the body"[..]));
                assert_eq!(
                    envelope.declared(&sealed[..HEAD], Declared::Foreign),
                    Declared::Size(sealed.len() as u64)
                );
            }
        }
    }

    #[test]
    fn each_fault_has_its_own_error() {
        let sealed = TEST.seal(4, b"the body");
        let e = TEST.open("f", b"<!DOCTYPE html>").unwrap_err();
        assert!(
            matches!(&e, Error::WrongKind { expected: FileKind::Map, found, .. } if found == b"<!DOCTYP"),
            "{e:?}"
        );
        assert!(e.to_string().contains("\"<!DOCTYP\""), "{e}");
        let mut other = sealed.clone();
        other[8] = 2;
        let e = TEST.open("f", &other).unwrap_err();
        assert!(
            matches!(
                e,
                Error::UnsupportedVersion {
                    found: 2,
                    supported: 4,
                    ..
                }
            ),
            "{e:?}"
        );
        for len in 0..sealed.len() {
            let e = TEST.open("f", &sealed[..len]).unwrap_err();
            assert!(matches!(e, Error::Truncated { .. }), "{len}: {e:?}");
        }
        let e = TEST.open("f", &[&sealed[..], b"!"].concat()).unwrap_err();
        assert!(matches!(e, Error::Corrupt { .. }), "{e:?}");
        for at in [12, 20, HEAD, sealed.len() - 1] {
            let mut flipped = sealed.clone();
            flipped[at] ^= 1;
            let e = TEST.open("f", &flipped).unwrap_err();
            let expected = if (LENGTH_AT..HEAD).contains(&at) {
                // A longer length says bytes are missing.
                matches!(e, Error::Truncated { .. })
            } else {
                matches!(e, Error::Checksum { .. })
            };
            assert!(expected, "byte {at}: {e:?}");
        }
    }

    #[test]
    fn a_checksum_over_the_body_alone_ignores_nothing_else() {
        // The length is checked against the bytes that follow even when it is not summed.
        let sealed = BODY_ONLY.seal(1, b"the body");
        let mut shorter = sealed.clone();
        shorter[LENGTH_AT] -= 1;
        let e = BODY_ONLY.open("f", &shorter).unwrap_err();
        assert!(matches!(e, Error::Corrupt { .. }), "{e:?}");
    }
}
