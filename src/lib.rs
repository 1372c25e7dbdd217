//! SSAM: similar-image search over MNIST with a forest of random-projection trees.
//!
//! Data flows one way: bytes ([`idx`], [`format`]) become a [`Dataset`] and a [`Forest`];
//! a picture becomes a query ([`preprocess`]); the forest or the exact scan ([`exact`])
//! turns the query into [`Neighbor`]s; [`metrics`] says how good they are. Nothing here
//! touches a file system, a clock, threads or a browser, so the same code runs natively
//! and in WebAssembly; the browser lives in `app`, compiled for wasm only.
#![warn(missing_docs)]

#[cfg(target_arch = "wasm32")]
pub mod app;
pub mod dataset;
pub mod distance;
pub mod error;
pub mod exact;
pub mod forest;
pub mod format;
pub mod hyperplane;
pub mod idx;
pub mod metrics;
pub mod neighbors;
pub mod preprocess;
pub mod truth;

pub use dataset::Dataset;
pub use error::{Error, Result};
pub use forest::{Forest, Params, Scratch};
pub use neighbors::Neighbor;
