//! The files the site ships, named once: by their paths from the site's root, where the
//! worker fetches them; the CLI reads and writes the same files in its assets folder
//! ([`in_assets`] gives the name there).

/// The folder of the shipped files.
pub const ASSETS: &str = "assets";
/// MNIST's training images and labels.
pub const TRAIN_IMAGES: &str = "assets/mnist/train-images-idx3-ubyte.gz";
/// MNIST's training labels.
pub const TRAIN_LABELS: &str = "assets/mnist/train-labels-idx1-ubyte.gz";
/// MNIST's test images.
pub const TEST_IMAGES: &str = "assets/mnist/t10k-images-idx3-ubyte.gz";
/// MNIST's test labels.
pub const TEST_LABELS: &str = "assets/mnist/t10k-labels-idx1-ubyte.gz";
/// The root of the training images' streamed layout (`ssam stream`); its data files
/// lie beside it.
pub const TRAIN_ROOT: &str = "assets/mnist-train.root";
/// The root of the test images' streamed layout (`ssam stream`).
pub const TEST_ROOT: &str = "assets/mnist-test.root";
/// The index over the training images (`ssam build`).
pub const INDEX: &str = "assets/index.ssam.gz";
/// The test images' exact 10th distances, for the page's benchmark (`ssam truth`).
pub const TRUTH: &str = "assets/truth-t10k.bin";
/// The map of the training images (`ssam map`).
pub const MAP: &str = "assets/map.ssam.gz";

/// The path of a shipped file inside the assets folder (`index.ssam.gz` for [`INDEX`]).
/// A path outside the folder comes back as it is. (`const`, so that the CLI's names are
/// constants too.)
pub const fn in_assets(path: &str) -> &str {
    let (p, a) = (path.as_bytes(), ASSETS.as_bytes());
    if p.len() <= a.len() || p[a.len()] != b'/' {
        return path;
    }
    let mut i = 0;
    while i < a.len() {
        if p[i] != a[i] {
            return path;
        }
        i += 1;
    }
    match path.split_at_checked(a.len() + 1) {
        Some((_, rest)) => rest,
        None => path,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_shipped_file_lies_in_the_assets_folder() {
        for path in [
            TRAIN_IMAGES,
            TRAIN_LABELS,
            TEST_IMAGES,
            TEST_LABELS,
            INDEX,
            TRAIN_ROOT,
            TEST_ROOT,
            TRUTH,
            MAP,
        ] {
            assert_ne!(in_assets(path), path, "{path}");
            assert!(
                std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
                    .join(path)
                    .exists(),
                "{path}"
            );
        }
        assert_eq!(in_assets(INDEX), "index.ssam.gz");
        assert_eq!(in_assets("elsewhere/x.gz"), "elsewhere/x.gz");
        assert_eq!(in_assets("assetsx/y"), "assetsx/y");
    }
}
