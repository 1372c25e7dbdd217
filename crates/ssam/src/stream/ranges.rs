//! Several parts of one file in one request: a `Range` header that lists them, and the
//! answer read back, a `multipart/byteranges` body (RFC 9110, 14.6) or one range that
//! covers them all. A query's pictures are a few hundred bytes each, spread over a file:
//! one request per picture costs a browser about a millisecond each to send, and over
//! HTTP/1.1 a round trip per six; one request for all of them costs one.
//!
//! Hosts differ: nginx and Apache answer with the parts; S3, Varnish and some CDNs do
//! not, and send the whole file (200) instead. What the answer is decides the caller's
//! next step, so a host that does not take several ranges is [`Answer::Unsupported`],
//! never an error: the caller asks again one range at a time.

use crate::error::{Error, Result};

/// Most ranges asked for in one request: a `Range` header of this many stays well under
/// the 8 kB a line nginx and CDNs take.
pub const MAX_PER_REQUEST: usize = 100;

/// Bytes a part's framing may take in a multipart answer beyond its data: a delimiter
/// line, a `Content-Type` and a `Content-Range` line (about 100 bytes from nginx).
const PART_FRAMING: u64 = 512;

/// The `Range` header that asks for `wanted` (`start..end`, end exclusive) in one request.
pub fn header(wanted: &[(u64, u64)]) -> String {
    let parts: Vec<String> = wanted
        .iter()
        .map(|&(start, end)| format!("{start}-{}", end.saturating_sub(1)))
        .collect();
    format!("bytes={}", parts.join(","))
}

/// Most bytes an answer to `wanted` may hold: its data and each part's framing. A longer
/// answer is not one (a host that merged the ranges with what lies between them, or
/// sent more): reading stops there.
pub fn most_bytes(wanted: &[(u64, u64)]) -> u64 {
    wanted
        .iter()
        .map(|&(start, end)| end.saturating_sub(start) + PART_FRAMING)
        .sum::<u64>()
        + PART_FRAMING
}

/// What an answer to several ranges turned out to be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// Each range's bytes, in the order asked.
    Parts(Vec<Vec<u8>>),
    /// The host does not answer several ranges in one request (it sent the whole file,
    /// or a part that does not cover what was asked): ask for them one at a time.
    Unsupported,
}

/// Reads a 206 answer to `wanted` from `name`: its `Content-Type` and `Content-Range`
/// headers and its body. A multipart body whose framing is broken is damage
/// ([`Error::Corrupt`] naming the file); a body that holds fewer than the ranges asked,
/// as a host that answers only the first does, is [`Answer::Unsupported`].
pub fn read(
    name: &str,
    content_type: Option<&str>,
    content_range: Option<&str>,
    body: &[u8],
    wanted: &[(u64, u64)],
) -> Result<Answer> {
    let parts = match content_type.and_then(boundary) {
        Some(boundary) => multipart(name, body, &boundary)?,
        None => match content_range.and_then(parse_content_range) {
            Some((start, end)) if end - start == body.len() as u64 => vec![(start, body)],
            Some((start, end)) => {
                return Err(corrupt(
                    name,
                    format!(
                        "the answer says it holds bytes {start}-{} but has {} bytes",
                        end - 1,
                        body.len()
                    ),
                ));
            }
            None => return Ok(Answer::Unsupported),
        },
    };
    let mut out = Vec::with_capacity(wanted.len());
    for &(start, end) in wanted {
        let holding = parts
            .iter()
            .find(|(at, bytes)| *at <= start && end <= at + bytes.len() as u64);
        match holding {
            Some((at, bytes)) => {
                out.push(bytes[(start - at) as usize..(end - at) as usize].to_vec())
            }
            None => return Ok(Answer::Unsupported),
        }
    }
    Ok(Answer::Parts(out))
}

fn corrupt(name: &str, what: String) -> Error {
    Error::Corrupt {
        file: name.to_owned(),
        what,
    }
}

/// The boundary of a `multipart/byteranges` content type, quoted or not.
fn boundary(content_type: &str) -> Option<String> {
    let (kind, params) = content_type.split_once(';')?;
    if !kind.trim().eq_ignore_ascii_case("multipart/byteranges") {
        return None;
    }
    params.split(';').find_map(|p| {
        let (key, value) = p.split_once('=')?;
        key.trim()
            .eq_ignore_ascii_case("boundary")
            .then(|| value.trim().trim_matches('"').to_owned())
            .filter(|b| !b.is_empty() && b.len() <= 70)
    })
}

/// `bytes START-LAST/TOTAL` as `start..last + 1`.
fn parse_content_range(value: &str) -> Option<(u64, u64)> {
    let rest = value.trim().strip_prefix("bytes")?.trim_start();
    let (span, _total) = rest.split_once('/')?;
    let (start, last) = span.split_once('-')?;
    let (start, last): (u64, u64) = (start.trim().parse().ok()?, last.trim().parse().ok()?);
    (start <= last && last < u64::MAX).then_some((start, last + 1))
}

/// The parts of a multipart body: where each starts in the file, and its bytes. Each
/// part's length is read from its `Content-Range`, never by looking for the boundary in
/// its data (which may hold any bytes).
fn multipart<'a>(name: &str, body: &'a [u8], boundary: &str) -> Result<Vec<(u64, &'a [u8])>> {
    let delimiter = format!("--{boundary}");
    let mut parts = Vec::new();
    let mut at = 0;
    loop {
        // Before each delimiter: nothing but line breaks (and a preamble before the first).
        let Some(found) = find(&body[at..], delimiter.as_bytes()) else {
            return Err(corrupt(
                name,
                format!(
                    "a multipart answer ends after {} part(s) without its closing delimiter",
                    parts.len()
                ),
            ));
        };
        if !parts.is_empty() && body[at..at + found].iter().any(|b| !b"\r\n".contains(b)) {
            return Err(corrupt(
                name,
                format!(
                    "part {} of a multipart answer is longer than its Content-Range says",
                    parts.len()
                ),
            ));
        }
        at += found + delimiter.len();
        if body[at..].starts_with(b"--") {
            return Ok(parts);
        }
        // The part's header lines, up to an empty line.
        let Some(head_len) = find(&body[at..], b"\r\n\r\n") else {
            return Err(corrupt(
                name,
                format!(
                    "part {} of a multipart answer has no end to its headers",
                    parts.len() + 1
                ),
            ));
        };
        let head = String::from_utf8_lossy(&body[at..at + head_len]);
        at += head_len + 4;
        let range = head.lines().find_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.trim()
                .eq_ignore_ascii_case("content-range")
                .then(|| parse_content_range(value))
                .flatten()
        });
        let Some((start, end)) = range else {
            return Err(corrupt(
                name,
                format!(
                    "part {} of a multipart answer has no Content-Range",
                    parts.len() + 1
                ),
            ));
        };
        let len = end - start;
        if len > (body.len() - at) as u64 {
            return Err(corrupt(
                name,
                format!(
                    "part {} of a multipart answer, bytes {start}-{}, is cut off",
                    parts.len() + 1,
                    end - 1
                ),
            ));
        }
        parts.push((start, &body[at..at + len as usize]));
        at += len as usize;
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A file's bytes `wanted` as nginx frames them.
    fn framed(file: &[u8], wanted: &[(u64, u64)], boundary: &str) -> Vec<u8> {
        let mut body = Vec::new();
        for &(start, end) in wanted {
            body.extend_from_slice(
                format!(
                    "\r\n--{boundary}\r\nContent-Type: application/octet-stream\r\nContent-Range: bytes {start}-{}/{}\r\n\r\n",
                    end - 1,
                    file.len()
                )
                .as_bytes(),
            );
            body.extend_from_slice(&file[start as usize..end as usize]);
        }
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        body
    }

    fn file() -> Vec<u8> {
        // Bytes that hold the boundary's text too: a part is never cut by looking for it.
        let mut f: Vec<u8> = (0..5000u32).map(|i| (i * 7 % 251) as u8).collect();
        f[1200..1212].copy_from_slice(b"--00000042\r\n");
        f
    }

    #[test]
    fn the_header_lists_each_range_by_its_last_byte() {
        assert_eq!(header(&[(0, 10), (100, 151)]), "bytes=0-9,100-150");
        assert_eq!(most_bytes(&[(0, 10), (100, 150)]), 60 + 3 * PART_FRAMING);
    }

    #[test]
    fn a_multipart_answer_gives_each_range_in_the_order_asked() {
        let f = file();
        let wanted = [(1100, 1300), (10, 20), (4000, 5000)];
        let mut sorted = wanted;
        sorted.sort();
        let body = framed(&f, &sorted, "00000042");
        let got = read(
            "f",
            Some("multipart/byteranges; boundary=00000042"),
            None,
            &body,
            &wanted,
        )
        .unwrap();
        let expected: Vec<Vec<u8>> = wanted
            .iter()
            .map(|&(s, e)| f[s as usize..e as usize].to_vec())
            .collect();
        assert_eq!(got, Answer::Parts(expected));
        // Quoted boundaries and other spellings of the type.
        let quoted = read(
            "f",
            Some("Multipart/Byteranges; boundary=\"00000042\""),
            None,
            &body,
            &wanted,
        )
        .unwrap();
        assert!(matches!(quoted, Answer::Parts(_)));
    }

    #[test]
    fn one_range_covering_all_is_read_and_one_that_does_not_is_unsupported() {
        let f = file();
        let wanted = [(10, 20), (30, 40)];
        let body = f[10..40].to_vec();
        assert_eq!(
            read(
                "f",
                Some("application/octet-stream"),
                Some("bytes 10-39/5000"),
                &body,
                &wanted
            )
            .unwrap(),
            Answer::Parts(vec![f[10..20].to_vec(), f[30..40].to_vec()])
        );
        // Only the first range, as some hosts answer.
        assert_eq!(
            read("f", None, Some("bytes 10-19/5000"), &f[10..20], &wanted).unwrap(),
            Answer::Unsupported
        );
        // No Content-Range at all.
        assert_eq!(
            read("f", None, None, &body, &wanted).unwrap(),
            Answer::Unsupported
        );
        // A Content-Range the body does not match is damage.
        let err = read("f", None, Some("bytes 10-39/5000"), &body[..20], &wanted).unwrap_err();
        assert!(err.to_string().contains("f: "), "{err}");
    }

    #[test]
    fn a_multipart_answer_missing_a_range_is_unsupported() {
        let f = file();
        let body = framed(&f, &[(10, 20)], "b");
        let got = read(
            "f",
            Some("multipart/byteranges; boundary=b"),
            None,
            &body,
            &[(10, 20), (30, 40)],
        )
        .unwrap();
        assert_eq!(got, Answer::Unsupported);
    }

    #[test]
    fn every_cut_or_flip_of_a_multipart_answer_is_refused_or_reads_the_same_ranges() {
        let f = file();
        let wanted = [(10, 20), (1100, 1300), (4000, 4100)];
        let body = framed(&f, &wanted, "00000042");
        let kind = Some("multipart/byteranges; boundary=00000042");
        let good = read("f", kind, None, &body, &wanted).unwrap();
        for cut in 0..body.len() - 4 {
            let got = read("f", kind, None, &body[..cut], &wanted);
            assert!(
                !matches!(got, Ok(Answer::Parts(_))),
                "cut at {cut} was read"
            );
        }
        for at in 0..body.len() {
            let mut bad = body.clone();
            bad[at] ^= 0x21;
            // Never a panic; a flip inside the data is the checksums' to catch.
            if let Ok(Answer::Parts(parts)) = read("f", kind, None, &bad, &wanted) {
                assert_eq!(parts.len(), wanted.len());
                assert!(
                    parts
                        .iter()
                        .zip(&wanted)
                        .all(|(p, &(s, e))| p.len() as u64 == e - s)
                );
            }
        }
        assert!(matches!(good, Answer::Parts(_)));
    }
}
