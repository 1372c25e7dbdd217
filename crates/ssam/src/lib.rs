//! SSAM: similar-image search over MNIST with a forest of random-projection trees and a
//! neighbour graph.
//!
//! Data flows one way: bytes ([`gzip`], [`idx`], [`format`]) become a [`Dataset`]; a
//! [`Space`] says how its images are compared; an [`Index`] owns the images, the forest
//! and the graph over them; a picture becomes a query ([`preprocess`]); the index turns
//! the query into [`Neighbor`]s; [`metrics`] says how good they are; [`augment`] makes
//! more digits from a set's own. Nothing here touches
//! a file system, a clock, threads or a browser, so the same code runs natively and in
//! WebAssembly; the browser lives in `app`, compiled for wasm only.
#![warn(missing_docs)]

pub mod augment;
pub mod codes;
pub mod dataset;
pub mod distance;
pub mod distortion;
mod envelope;
pub mod error;
pub mod exact;
pub mod forest;
pub mod format;
pub mod graph;
pub mod gzip;
pub mod hyperplane;
pub mod idx;
pub mod index;
pub mod layout;
pub mod map;
pub mod metrics;
pub mod neighbors;
pub mod preprocess;
mod reader;
pub mod search;
pub mod shipped;
pub mod space;
pub mod stream;
pub mod truth;
pub mod verdict;
mod visited;

pub use dataset::Dataset;
pub use envelope::FileKind;
pub use error::{Error, Result};
pub use forest::{Forest, Params};
pub use graph::{Graph, GraphParams};
pub use index::{DEFAULT_K, Effort, Explanation, Index};
pub use layout::LayoutParams;
pub use map::Map;
pub use neighbors::Neighbor;
pub use search::{Ranking, Scratch};
pub use space::Space;
