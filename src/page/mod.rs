//! The page (wasm only): Leptos views that show and ask.
//!
//! The worker ([`crate::worker`], built as the `ssam-worker` binary) owns the index and
//! does all the work; the page talks to it in [`crate::protocol`] messages through
//! [`client`], whose parts each go to the views that read them. [`app`] is the whole page;
//! then one file per visible part: status, draw, upload, pick, controls, results, why, own
//! set, bench, map. What the page says needs no browser and lives in [`crate::words`].

mod app;
mod bench;
mod client;
mod controls;
mod digit;
mod draw;
mod map;
mod own;
mod pick;
mod results;
mod shown;
mod status;
mod to_answer;
pub mod upload;
mod why;

pub use app::{install_panic_hook, mount};
