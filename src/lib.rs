//! SSAM's web app: the page and the engine's Web Worker, in one WebAssembly build each.
//!
//! The page ([`page`], the `ssam-web` binary) shows and asks; the worker ([`worker`], the
//! `ssam-worker` binary) owns the engine (the `ssam` crate) and the data, and does all the
//! work. They speak only in [`protocol`] messages, and data flows one way: files into the
//! worker, answers out to the page. What needs no browser ([`protocol`], [`picture`], the
//! worker's [`runs`], the page's [`words`] and [`refine`]) is compiled natively too, so
//! `cargo test` checks it.

pub mod picture;
pub mod protocol;
pub mod refine;
pub mod runs;
pub mod words;

#[cfg(target_arch = "wasm32")]
mod fetch;
#[cfg(target_arch = "wasm32")]
pub mod page;
#[cfg(target_arch = "wasm32")]
pub mod worker;
