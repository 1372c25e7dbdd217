//! The map's colours: one a label, told apart by colour-blind eyes too, and each label's
//! ink mixed into the ground at every grey level. The view holds the mixes; painting and
//! the legend use the rest.

/// Colours by label: Okabe and Ito's seven without black (the map is dark), then three
/// of Paul Tol's "light" scheme; both are chosen to stay apart for colour-blind eyes, and
/// each cluster also carries its digit, so colour is never the only cue.
pub(super) const PALETTE: [[u8; 3]; 10] = [
    [0xE6, 0x9F, 0x00],
    [0x56, 0xB4, 0xE9],
    [0x00, 0x9E, 0x73],
    [0xF0, 0xE4, 0x42],
    [0x00, 0x72, 0xB2],
    [0xD5, 0x5E, 0x00],
    [0xCC, 0x79, 0xA7],
    [0xDD, 0xDD, 0xDD],
    [0xFF, 0xAA, 0xBB],
    [0xAA, 0xAA, 0x00],
];
/// The map's ground in both colour schemes: digits are light ink on dark, as MNIST is.
pub(super) const GROUND: [u8; 3] = [0x16, 0x18, 0x1c];

/// Label `label`'s colour.
pub(super) fn colour(label: u8) -> [u8; 3] {
    PALETTE[usize::from(label) % PALETTE.len()]
}

/// A colour as CSS writes it: "#e69f00".
pub(super) fn css(c: [u8; 3]) -> String {
    format!("#{:02x}{:02x}{:02x}", c[0], c[1], c[2])
}

/// Each label's ink at each grey level mixed into the ground, by label then level.
pub(super) fn tints() -> Vec<[u8; 3]> {
    (0..PALETTE.len() * 256)
        .map(|i| {
            let (ink, v) = (PALETTE[i / 256], (i % 256) as u16);
            let mix = |g: u8, c: u8| ((u16::from(g) * (255 - v) + u16::from(c) * v) / 255) as u8;
            [
                mix(GROUND[0], ink[0]),
                mix(GROUND[1], ink[1]),
                mix(GROUND[2], ink[2]),
            ]
        })
        .collect()
}
