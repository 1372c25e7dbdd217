//! A query as any set meets it, searched whole or by parts: at the set's image size, and
//! what it costs against an empty image.

use crate::protocol::{Image, SetInfo};
use ssam::distortion::Distortion;
use ssam::preprocess;

/// The query at the set's image size: a 28x28 drawing meets a 16x16 or 64x64 set. A
/// message whose image does not hold its stated size is refused, not trusted.
pub fn fit(info: &SetInfo, image: &Image) -> ssam::Result<Vec<u8>> {
    preprocess::resize(
        usize::from(image.rows),
        usize::from(image.cols),
        &image.pixels,
        usize::from(info.rows),
        usize::from(info.cols),
    )
}

/// The re-ranking's cost of `pixels` (at the set's size) against an empty image.
pub fn blank_cost(info: &SetInfo, pixels: &[u8]) -> u32 {
    let (rows, cols) = (usize::from(info.rows), usize::from(info.cols));
    ssam::explain_pair(
        (rows, cols),
        pixels,
        &vec![0; rows * cols],
        Distortion::DEFAULT,
    )
    .map_or(0, |e| e.matching.distance)
}
