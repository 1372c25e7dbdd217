//! An own set given as IDX files: images, labels if any (gzip or raw), and a saved index
//! to skip building, told apart by content, each read within a stated limit.

use wasm_bindgen::{JsCast, JsValue};
use web_sys::Blob;

use ssam::error::Error;
use ssam::gzip::{Declared, Limit};
use ssam::{format, idx};

use super::build::{Read, Saved, pause_while, set_name};
use super::split::Origin;
use crate::fetch::{self, now};
use crate::protocol::Problem;
use crate::runs::Ticket;
use crate::worker::messages::progress;

/// Largest image side an own set may have: 64x64 is 4,096 values an image, five times
/// MNIST's, which keeps 60,000 of them under 250 MB and a forest build within seconds.
pub const MAX_SIDE: usize = 64;
/// The most one own-set file may hold unpacked: 60,000 images of 64x64 and their header
/// fit (246 MB); a file declaring more is refused from its header, and a gzip stream is
/// stopped here whatever it declares.
const MAX_FILE_BYTES: u64 = 256 << 20;

fn idx_error(file: &str, what: String) -> Problem {
    Problem::from(Error::Idx {
        file: file.into(),
        what,
    })
}

pub(super) fn blob(v: &JsValue, name: &str) -> Result<Blob, Problem> {
    v.dyn_ref::<Blob>().cloned().ok_or_else(|| Problem::Worker {
        detail: format!("{name} did not reach the worker as a file"),
    })
}

/// Own-set files are IDX images or labels, or a saved index: whichever header they
/// start with sets their limit; a file that starts as neither is read no further than
/// its first bytes (the IDX reader then says what is wrong with them).
fn own_declared(head: &[u8]) -> Declared {
    match (format::declared(head), idx::declared(head)) {
        (Declared::Unknown, Declared::Unknown) => Declared::Foreign,
        (Declared::Unknown, d) | (d, _) => d,
    }
}

/// Reads one own-set file within [`MAX_FILE_BYTES`] and what its header declares.
pub(super) async fn read(file: &Blob, name: &str) -> Result<Vec<u8>, Problem> {
    let mut last = 0.0;
    let limit = Limit::at_most(MAX_FILE_BYTES).declared_by(own_declared);
    fetch::read_file(file, name, limit, |done, total| {
        if now() - last > 50.0 {
            last = now();
            progress("reading", name, done as f64, total.map(|t| t as f64), true);
        }
    })
    .await
}

/// Images of `rows` x `cols` pixels that an own set may hold.
pub(super) fn check_shape(file: &str, rows: usize, cols: usize) -> Result<(), Problem> {
    if rows == 0 || cols == 0 {
        return Err(idx_error(
            file,
            format!("images of {rows}x{cols} pixels are empty"),
        ));
    }
    if rows > MAX_SIDE || cols > MAX_SIDE {
        return Err(Problem::TooLarge {
            file: file.into(),
            rows: rows as u32,
            cols: cols as u32,
            max: MAX_SIDE as u32,
        });
    }
    Ok(())
}

/// IDX images, optional IDX labels and an optional saved index, told apart by content.
pub(super) async fn from_files(
    names: &[String],
    files: &[JsValue],
    ticket: &Ticket,
) -> Result<Read, Problem> {
    let mut images: Option<(String, usize, usize, Vec<u8>, usize)> = None;
    let mut labels: Option<(String, Vec<u8>)> = None;
    let mut saved: Saved = None;
    for (name, file) in names.iter().zip(files) {
        let bytes = read(&blob(file, name)?, name).await?;
        if bytes.starts_with(&format::MAGIC) {
            saved = Some((name.clone(), bytes));
            continue;
        }
        progress("checking", name, 0.0, None, true);
        pause_while(ticket).await?;
        let array = idx::parse_owned(name, bytes)?;
        match *array.dims.as_slice() {
            [count, rows, cols] => {
                check_shape(name, rows, cols)?;
                images = Some((name.clone(), rows, cols, array.data, count));
            }
            [_] => labels = Some((name.clone(), array.data)),
            ref dims => {
                return Err(idx_error(
                    name,
                    format!(
                        "expected images [count, rows, cols] or labels [count], found dimensions {dims:?}"
                    ),
                ));
            }
        }
    }
    let Some((name, rows, cols, pixels, count)) = images else {
        return Err(match saved {
            Some((file, _)) => Problem::Unsupported {
                what: format!(
                    "{file} is a saved index: give it together with its images (IDX files), or put it in its folder of pictures and choose the folder"
                ),
            },
            None => Problem::NoImages {
                what: names.join(", "),
            },
        });
    };
    if count == 0 {
        return Err(Problem::NoImages { what: name });
    }
    let (labels, labelled) = match labels {
        Some((file, l)) if l.len() != count => {
            return Err(Problem::from(Error::CountMismatch {
                images: name,
                image_count: count,
                labels: file,
                label_count: l.len(),
            }));
        }
        // Any byte is a label here: own sets are not digits.
        Some((_, l)) => (l, true),
        None => (vec![0; count], false),
    };
    Ok(Read {
        name: set_name(&name),
        pixels,
        labels,
        shape: (rows, cols),
        labelled,
        classes: Vec::new(),
        saved,
        skipped: Vec::new(),
        origin: Origin::Idx(name),
    })
}
