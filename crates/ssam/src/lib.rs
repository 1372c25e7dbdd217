//! SSAM's engine: similar-image search with a forest of random-projection trees and a
//! neighbour graph entered from it, re-ranked by a deformation-tolerant distance.
//!
//! Data flows one way: bytes ([`gzip`], [`idx`], [`format`], [`stream`]) become a
//! [`Dataset`]; a [`Space`] says how its images are compared; an [`Index`] owns the
//! images, the [`Forest`] and the [`Graph`] over them; a picture becomes a query
//! ([`preprocess`]); the index turns the query into [`Neighbor`]s, and [`verdict`] into an
//! answer; [`metrics`] says how good they are; [`augment`] makes more digits from a set's
//! own; [`layout`] lays a set out in the plane for a [`Map`].
//!
//! Nothing here touches a file system, a clock, threads or a browser, so the same code
//! runs natively (the `ssam` command) and in WebAssembly (the web app's worker). Every
//! file it reads may be hostile: reading one gives a typed [`Error`] naming the file,
//! never a panic, and inflation is bounded.
//!
//! # Search
//!
//! Build an index over a set of images and ask it for the nearest:
//!
//! ```
//! use ssam::{Dataset, Effort, GraphParams, Index, Params, Scratch, Space};
//!
//! // 200 images of 4 x 4 pixels, two kinds: ink on the left or on the right.
//! let (rows, cols) = (4, 4);
//! let mut pixels = Vec::new();
//! let mut labels = Vec::new();
//! for i in 0..200u32 {
//!     let right = i % 2 == 1;
//!     for p in 0..rows * cols {
//!         let on_right = p % cols >= cols / 2;
//!         pixels.push(if on_right == right { 200 + (i % 50) as u8 } else { (i % 7) as u8 });
//!     }
//!     labels.push(u8::from(right));
//! }
//! let images = Dataset::new(rows, cols, pixels, labels)?;
//! let index = Index::build(images, Space::Raw, Params::default(), Some(GraphParams::default()), &mut |_, _| {})?;
//!
//! // A query with its ink on the right finds images with their ink on the right.
//! let query = [0, 0, 230, 230, 0, 0, 230, 230, 0, 0, 230, 230, 0, 0, 230, 230];
//! let mut scratch = Scratch::new();
//! let nearest = index.search(&query, 5, Effort::default_for(&index), &mut scratch)?;
//! assert_eq!(nearest.len(), 5);
//! assert!(nearest.iter().all(|n| index.originals().label(n.id as usize) == 1));
//! assert!(nearest.windows(2).all(|w| w[0].distance <= w[1].distance));
//! # Ok::<(), ssam::Error>(())
//! ```
//!
//! # Files
//!
//! An index is written and read back as one checked file; a damaged or foreign one is an
//! error that names it:
//!
//! ```
//! # use ssam::{Dataset, Index, Params, Space};
//! # let images = Dataset::new(2, 2, (0..=255u8).cycle().take(4 * 64).collect(), vec![0; 64])?;
//! let index = Index::build(images.clone(), Space::Raw, Params::default(), None, &mut |_, _| {})?;
//! let bytes = ssam::format::to_gzip(&index);
//! let back = ssam::format::from_bytes("index.ssam.gz", &bytes, images.clone())?;
//! assert_eq!(back.len(), index.len());
//!
//! let e = ssam::format::from_bytes("index.ssam.gz", b"<html>not found</html>", images).unwrap_err();
//! assert!(e.to_string().contains("index.ssam.gz"), "{e}");
//! # Ok::<(), ssam::Error>(())
//! ```
#![warn(missing_docs)]

pub mod augment;
mod codes;
mod dataset;
pub mod distance;
pub mod distortion;
mod envelope;
pub mod error;
pub mod exact;
mod forest;
pub mod format;
mod graph;
pub mod gzip;
mod hyperplane;
pub mod idx;
mod index;
pub mod layout;
mod map;
pub mod metrics;
mod neighbors;
pub mod preprocess;
mod reader;
mod search;
pub mod shipped;
mod space;
pub mod stream;
pub mod truth;
pub mod verdict;
mod visited;

pub use codes::Codes;
pub use dataset::Dataset;
pub use envelope::FileKind;
pub use error::{Error, Result};
pub use forest::{Forest, Params};
pub use graph::{Graph, GraphParams};
pub use index::{DEFAULT_K, Effort, Explanation, Index, explain_pair};
pub use layout::LayoutParams;
pub use map::Map;
pub use neighbors::Neighbor;
pub use search::{Ranking, Scratch};
pub use space::Space;
