//! A labelled set of small grayscale images kept as bytes (60,000 x 784 for MNIST's
//! training set: 47 MB, never widened to floats), with a fingerprint that ties an index
//! to the exact data it was built from.

use xxhash_rust::xxh3::Xxh3;

use crate::distance::Rows;
use crate::error::{Error, Result};
use crate::idx;

/// Images of `rows x cols` bytes with a digit label each.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dataset {
    rows: usize,
    cols: usize,
    pixels: Vec<u8>,
    labels: Vec<u8>,
    fingerprint: u64,
}

impl Dataset {
    /// Builds a dataset from row-major pixels (`len * rows * cols` bytes) and labels.
    pub fn new(rows: usize, cols: usize, pixels: Vec<u8>, labels: Vec<u8>) -> Result<Self> {
        let dim = rows * cols;
        if dim == 0 {
            return Err(Error::Unsupported {
                what: format!("images of {rows}x{cols} pixels are empty"),
            });
        }
        if pixels.len() != labels.len() * dim {
            return Err(Error::ImageSize {
                what: format!("{} images of {rows}x{cols}", labels.len()),
                expected: labels.len() * dim,
                received: pixels.len(),
            });
        }
        if labels.len() > u32::MAX as usize {
            return Err(Error::Unsupported {
                what: format!("{} images are too many for one set", labels.len()),
            });
        }
        let fingerprint = fingerprint(rows, cols, &pixels, &labels);
        Ok(Dataset {
            rows,
            cols,
            pixels,
            labels,
            fingerprint,
        })
    }

    /// Reads an IDX images file (`[n, rows, cols]`) and an IDX labels file (`[n]`),
    /// gzip-compressed or raw, and checks that they belong together.
    pub fn from_idx(
        images_file: &str,
        images: &[u8],
        labels_file: &str,
        labels: &[u8],
    ) -> Result<Self> {
        Dataset::from_idx_owned(images_file, images.to_vec(), labels_file, labels.to_vec())
    }

    /// As [`Dataset::from_idx`], reusing the buffers of raw (already inflated) files.
    pub fn from_idx_owned(
        images_file: &str,
        images: Vec<u8>,
        labels_file: &str,
        labels: Vec<u8>,
    ) -> Result<Self> {
        let img = idx::parse_owned(images_file, images)?;
        let lab = idx::parse_owned(labels_file, labels)?;
        let &[count, rows, cols] = img.dims.as_slice() else {
            return Err(Error::Idx {
                file: images_file.to_owned(),
                what: format!(
                    "images need 3 dimensions [count, rows, cols], found {:?}",
                    img.dims
                ),
            });
        };
        if rows == 0 || cols == 0 {
            return Err(Error::Idx {
                file: images_file.to_owned(),
                what: format!("images of {rows}x{cols} pixels are empty"),
            });
        }
        let &[label_count] = lab.dims.as_slice() else {
            return Err(Error::Idx {
                file: labels_file.to_owned(),
                what: format!("labels need 1 dimension [count], found {:?}", lab.dims),
            });
        };
        if count != label_count {
            return Err(Error::CountMismatch {
                images: images_file.to_owned(),
                image_count: count,
                labels: labels_file.to_owned(),
                label_count,
            });
        }
        if let Some((item, &value)) = lab.data.iter().enumerate().find(|&(_, &v)| v > 9) {
            return Err(Error::BadLabel {
                file: labels_file.to_owned(),
                item,
                value,
            });
        }
        Dataset::new(rows, cols, img.data, lab.data)
    }

    /// Number of images.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// True when there are no images.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// Bytes per image.
    pub fn dim(&self) -> usize {
        self.rows * self.cols
    }

    /// Image height in pixels.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Image width in pixels.
    pub fn cols(&self) -> usize {
        self.cols
    }

    /// The pixels of image `i`. Panics when `i >= len()`, like slice indexing.
    pub fn image(&self, i: usize) -> &[u8] {
        let d = self.dim();
        &self.pixels[i * d..(i + 1) * d]
    }

    /// The label of image `i`.
    pub fn label(&self, i: usize) -> u8 {
        self.labels[i]
    }

    /// All pixels, image after image.
    pub fn pixels(&self) -> &[u8] {
        &self.pixels
    }

    /// All labels.
    pub fn labels(&self) -> &[u8] {
        &self.labels
    }

    /// The images as rows of [`Self::dim`] bytes, as the search stages read them.
    pub(crate) fn vectors(&self) -> Rows<'_> {
        Rows::new(&self.pixels, self.dim())
    }

    /// A 64-bit hash of shape, pixels and labels: equal fingerprints mean the same data.
    pub fn fingerprint(&self) -> u64 {
        self.fingerprint
    }

    /// The first `n` images (or all, when there are fewer).
    pub fn head(&self, n: usize) -> Dataset {
        let n = n.min(self.len());
        Dataset::new(
            self.rows,
            self.cols,
            self.pixels[..n * self.dim()].to_vec(),
            self.labels[..n].to_vec(),
        )
        .expect("a prefix of a valid dataset is valid")
    }

    /// True when most images have a light ground (the median level of their border above
    /// mid-grey): dark ink on paper, the opposite of MNIST's light ink on black, which
    /// every query is made into.
    pub fn light_ground(&self) -> bool {
        let (rows, cols) = (self.rows, self.cols);
        let light = (0..self.len())
            .filter(|&i| {
                let image = self.image(i);
                let mut border: Vec<u8> = (0..rows)
                    .flat_map(|y| (0..cols).map(move |x| (x, y)))
                    .filter(|&(x, y)| x == 0 || y == 0 || x + 1 == cols || y + 1 == rows)
                    .map(|(x, y)| image[y * cols + x])
                    .collect();
                let mid = border.len() / 2;
                *border.select_nth_unstable(mid).1 > 127
            })
            .count();
        2 * light > self.len()
    }

    /// The same images with every level inverted (`255 - v`), labels kept; in place, so
    /// that a large own set is never held twice.
    pub fn inverted(mut self) -> Dataset {
        for v in &mut self.pixels {
            *v = 255 - *v;
        }
        Dataset::new(self.rows, self.cols, self.pixels, self.labels)
            .expect("an inverted valid dataset is valid")
    }
}

fn fingerprint(rows: usize, cols: usize, pixels: &[u8], labels: &[u8]) -> u64 {
    let mut h = Xxh3::new();
    h.update(&(rows as u64).to_le_bytes());
    h.update(&(cols as u64).to_le_bytes());
    h.update(&(labels.len() as u64).to_le_bytes());
    h.update(pixels);
    h.update(labels);
    h.digest()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::idx::{IdxArray, to_bytes};

    fn files(n: usize, labels: usize) -> (Vec<u8>, Vec<u8>) {
        let img = IdxArray {
            dims: vec![n, 2, 2],
            data: vec![7; n * 4],
        };
        let lab = IdxArray {
            dims: vec![labels],
            data: vec![3; labels],
        };
        (to_bytes(&img), to_bytes(&lab))
    }

    #[test]
    fn a_set_mostly_on_light_ground_is_told_and_inverted() {
        // 3x3 images: a light border around a dark centre (ink on paper), or the opposite.
        let paper = [250, 250, 250, 250, 10, 250, 250, 250, 250];
        let night: Vec<u8> = paper.iter().map(|&v| 255 - v).collect();
        let set =
            |images: &[&[u8]]| Dataset::new(3, 3, images.concat(), vec![0; images.len()]).unwrap();
        let mostly_paper = set(&[&paper, &paper, &night]);
        assert!(mostly_paper.light_ground());
        let flipped = mostly_paper.inverted();
        assert_eq!(flipped.image(0), &night[..]);
        assert_eq!(flipped.image(2), &paper[..]);
        assert!(!flipped.light_ground());
        assert!(!set(&[&paper, &night]).light_ground(), "half is not most");
    }

    #[test]
    fn reads_matching_files() {
        let (img, lab) = files(5, 5);
        let d = Dataset::from_idx("i", &img, "l", &lab).unwrap();
        assert_eq!(
            (d.len(), d.dim(), d.label(4), d.image(4)),
            (5, 4, 3, &[7u8; 4][..])
        );
    }

    #[test]
    fn count_mismatch_names_both_files() {
        let (img, lab) = files(5, 4);
        let e = Dataset::from_idx("imgs.gz", &img, "labs.gz", &lab).unwrap_err();
        assert_eq!(
            e.to_string(),
            "imgs.gz has 5 images but labs.gz has 4 labels"
        );
    }

    #[test]
    fn swapped_files_are_rejected() {
        let (img, lab) = files(5, 5);
        let e = Dataset::from_idx("labs", &lab, "imgs", &img).unwrap_err();
        assert!(
            e.to_string().starts_with("labs: images need 3 dimensions"),
            "{e}"
        );
    }

    #[test]
    fn labels_must_be_digits() {
        let (img, _) = files(2, 2);
        let lab = to_bytes(&IdxArray {
            dims: vec![2],
            data: vec![1, 10],
        });
        let e = Dataset::from_idx("i", &img, "l", &lab).unwrap_err();
        assert_eq!(
            e,
            Error::BadLabel {
                file: "l".into(),
                item: 1,
                value: 10
            }
        );
    }

    #[test]
    fn fingerprint_sees_one_pixel_and_one_label() {
        let base = Dataset::new(1, 2, vec![1, 2, 3, 4], vec![0, 1]).unwrap();
        let pixel = Dataset::new(1, 2, vec![1, 2, 3, 5], vec![0, 1]).unwrap();
        let label = Dataset::new(1, 2, vec![1, 2, 3, 4], vec![0, 2]).unwrap();
        let shape = Dataset::new(2, 1, vec![1, 2, 3, 4], vec![0, 1]).unwrap();
        let fps = [
            base.fingerprint(),
            pixel.fingerprint(),
            label.fingerprint(),
            shape.fingerprint(),
        ];
        for i in 0..4 {
            for j in i + 1..4 {
                assert_ne!(fps[i], fps[j]);
            }
        }
    }
}
