//! Own image sets: IDX files (images, labels if any, gzip or raw, and a saved index to
//! skip building) or a folder of pictures (with its saved index inside, if any), checked
//! here file by file and indexed by a forest in the raw pixel space. Every failure names
//! the file and what is wrong; the set searched until then stays until the new one is
//! whole. Every file is read within a stated limit, tightened to what its header declares.
//!
//! The page hands the files over (`builds`); they are read as IDX files (`files`) or
//! decoded as a folder's pictures (`folder`), split into the images indexed and the
//! queries held out (`split`), and indexed (`build`).

mod build;
mod builds;
mod files;
mod folder;
mod split;

pub use builds::{ahead, cancel, save, start};
pub use folder::offscreen;
pub use split::{HOLD_EVERY, MIN_TO_HOLD_OUT, Names};

/// What the user gave.
pub enum Given {
    /// File names, the files in the same order.
    Files(Vec<String>),
    /// Paths relative to the chosen folder, the files in the same order.
    Folder(Vec<String>),
}
