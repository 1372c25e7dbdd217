//! What a picture's header says, read before anything decodes it: its size, whether it is
//! too large to decode, and the size it is drawn at. The page checks an upload with it and
//! the worker a picture it decodes itself; it needs no browser, so it is tested natively.

/// Pictures are drawn at most this large before preprocessing: plenty for a 20-pixel
/// digit, and bounded work and memory for a huge photo.
pub const MAX_SIDE: u32 = 1024;

/// Pictures larger than this are not decoded, in the page or in a folder set: the
/// largest phone cameras take 200-megapixel photos (a 12000x12000 scan is 144), while a
/// 30000x30000 PNG would need 3.6 GB once decoded.
pub const MAX_PICTURE_PIXELS: u64 = 200_000_000;

/// The width and height a picture's header declares (PNG, GIF, BMP, WebP, JPEG), read
/// from its first bytes; None when the header is none of these or is cut.
pub fn picture_size(h: &[u8]) -> Option<(u64, u64)> {
    let be32 = |i: usize| {
        Some(u64::from(u32::from_be_bytes(
            h.get(i..i + 4)?.try_into().ok()?,
        )))
    };
    let le16 = |i: usize| {
        Some(u64::from(u16::from_le_bytes(
            h.get(i..i + 2)?.try_into().ok()?,
        )))
    };
    let be16 = |i: usize| {
        Some(u64::from(u16::from_be_bytes(
            h.get(i..i + 2)?.try_into().ok()?,
        )))
    };
    let le32 = |i: usize| {
        Some(u64::from(u32::from_le_bytes(
            h.get(i..i + 4)?.try_into().ok()?,
        )))
    };
    if h.starts_with(b"\x89PNG\r\n\x1a\n") {
        return Some((be32(16)?, be32(20)?));
    }
    if h.starts_with(b"GIF8") {
        return Some((le16(6)?, le16(8)?));
    }
    if h.starts_with(b"BM") {
        let height = le32(22)? as u32 as i32;
        return Some((le32(18)?, u64::from(height.unsigned_abs())));
    }
    if h.starts_with(b"RIFF") && h.get(8..12) == Some(b"WEBP") {
        return match h.get(12..16)? {
            b"VP8X" => Some(((le32(24)? & 0xff_ffff) + 1, (le32(27)? & 0xff_ffff) + 1)),
            b"VP8L" => {
                let b = le32(21)?;
                Some(((b & 0x3fff) + 1, ((b >> 14) & 0x3fff) + 1))
            }
            _ => Some((le16(26)? & 0x3fff, le16(28)? & 0x3fff)),
        };
    }
    if h.starts_with(&[0xff, 0xd8]) {
        // JPEG: walk the segments to the first start-of-frame.
        let mut i = 2;
        while i + 9 < h.len() {
            if h[i] != 0xff {
                return None;
            }
            let marker = h[i + 1];
            let len = be16(i + 2)? as usize;
            if matches!(marker, 0xc0..=0xcf) && !matches!(marker, 0xc4 | 0xc8 | 0xcc) {
                return Some((be16(i + 7)?, be16(i + 5)?));
            }
            i += 2 + len;
        }
    }
    None
}

/// What is wrong with a picture whose header declares `w` x `h` pixels.
pub fn too_large(name: &str, w: u64, h: u64) -> String {
    format!(
        "{name} is {w}x{h} pixels, too large to decode here (pictures up to {} megapixels)",
        MAX_PICTURE_PIXELS / 1_000_000
    )
}

/// The side lengths a `w` x `h` picture is drawn at: at most [`MAX_SIDE`].
pub fn scaled(w: u32, h: u32) -> (u32, u32) {
    let scale = (f64::from(MAX_SIDE) / f64::from(w.max(h))).min(1.0);
    (
        ((f64::from(w) * scale).round() as u32).max(1),
        ((f64::from(h) * scale).round() as u32).max(1),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(w: u32, h: u32) -> Vec<u8> {
        let mut b = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
        b.extend(w.to_be_bytes());
        b.extend(h.to_be_bytes());
        b
    }

    #[test]
    fn reads_the_size_each_header_declares() {
        assert_eq!(picture_size(&png(640, 480)), Some((640, 480)));
        let gif = [b"GIF89a".as_slice(), &[0x20, 0x03, 0x58, 0x02]].concat();
        assert_eq!(picture_size(&gif), Some((800, 600)));
        let mut bmp = vec![0u8; 26];
        bmp[..2].copy_from_slice(b"BM");
        bmp[18..22].copy_from_slice(&100u32.to_le_bytes());
        bmp[22..26].copy_from_slice(&(-50i32).to_le_bytes()); // top-down rows
        assert_eq!(picture_size(&bmp), Some((100, 50)));
        // JPEG: an APP0 segment, then a baseline start-of-frame of 300 x 200.
        let jpeg = [
            &[0xff, 0xd8, 0xff, 0xe0, 0x00, 0x04, 0, 0][..],
            &[
                0xff, 0xc0, 0x00, 0x11, 0x08, 0x00, 0xc8, 0x01, 0x2c, 0x03, 0, 0,
            ],
        ]
        .concat();
        assert_eq!(picture_size(&jpeg), Some((300, 200)));
    }

    #[test]
    fn a_cut_or_unknown_header_has_no_size() {
        assert_eq!(picture_size(&png(640, 480)[..20]), None);
        assert_eq!(picture_size(b"hello, not a picture"), None);
        assert_eq!(picture_size(&[]), None);
        // A JPEG whose segments do not chain stops at once rather than reading on.
        assert_eq!(
            picture_size(&[0xff, 0xd8, 0x00, 0x00, 0, 0, 0, 0, 0, 0, 0, 0]),
            None
        );
    }

    #[test]
    fn huge_pictures_are_named_with_their_size_and_the_limit() {
        let message = too_large("scan.png", 30_000, 30_000);
        assert!(
            message.contains("scan.png") && message.contains("30000x30000"),
            "{message}"
        );
        assert!(message.contains("200 megapixels"), "{message}");
    }

    #[test]
    fn pictures_are_drawn_no_larger_than_max_side_keeping_their_shape() {
        assert_eq!(scaled(4000, 3000), (MAX_SIDE, 768));
        assert_eq!(scaled(3000, 4000), (768, MAX_SIDE));
        assert_eq!(scaled(28, 28), (28, 28));
        assert_eq!(scaled(100_000, 1), (MAX_SIDE, 1));
    }
}
