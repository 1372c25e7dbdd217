//! A root's blocks as they arrive: checked against the root, unpacked into cells and
//! routers, and, once all are here, put together as the whole set.

use xxhash_rust::xxh3::xxh3_64;

use super::root::read_router;
use super::{
    Arrived, Block, BlockEntry, Cell, MAX_ASSEMBLED, MAX_UNPACKED_BLOCK, Pictures, Root, Span, Top,
    differences, picture,
};
use crate::dataset::Dataset;
use crate::error::{Error, Result};
use crate::gzip::{self, Limit};
use crate::reader::Reader;

impl Root {
    /// Checks and unpacks the blocks of `span` from `bytes`, its content.
    pub fn take(&self, span: &Span, bytes: &[u8]) -> Result<Vec<(u32, Block)>> {
        let where_ = self.describe(span);
        if bytes.len() as u64 != span.len() {
            return Err(Error::Truncated {
                file: where_,
                what: format!(
                    "{} bytes arrived, {} were asked for",
                    bytes.len(),
                    span.len()
                ),
            });
        }
        span.blocks
            .iter()
            .map(|&b| {
                let e = self.blocks.get(b as usize).ok_or_else(|| Error::Corrupt {
                    file: where_.clone(),
                    what: format!("no block {b}"),
                })?;
                let at = e
                    .offset
                    .checked_sub(span.start)
                    .filter(|&a| e.file == span.file && a + u64::from(e.len) <= span.len());
                let Some(at) = at else {
                    return Err(Error::Corrupt {
                        file: where_.clone(),
                        what: format!("block {b} is not inside it"),
                    });
                };
                let raw = &bytes[at as usize..(at + u64::from(e.len)) as usize];
                Ok((b, self.block(b, e, raw)?))
            })
            .collect()
    }

    /// Checks block `b`'s bytes against the root and unpacks them.
    fn block(&self, b: u32, e: &BlockEntry, raw: &[u8]) -> Result<Block> {
        let name = format!("{} block {b}", self.files[usize::from(e.file)].name);
        let found = xxh3_64(raw);
        if found != e.checksum {
            return Err(Error::Checksum {
                file: name,
                expected: e.checksum,
                found,
            });
        }
        let n = e.items as usize;
        let size = self.unpacked_size(&name, e)?;
        let bytes = gzip::gunzip(&name, raw, Limit::at_most(size as u64))?;
        let mut r = Reader::new(&name, &bytes);
        // A coded cell's coded differences vary in length: it is checked as it is read.
        let exact = self.codes.is_none() || e.router;
        if r.u32("count")? as usize != n || (exact && bytes.len() != size) {
            return Err(r.corrupt(format!("{} bytes, the root says {n} items", bytes.len())));
        }
        if e.router {
            return self.router_block(&mut r, n);
        }
        if let (Some(codes), Top::Coded(centroids)) = (&self.codes, &self.top) {
            let centroid = &centroids[b as usize * codes.dim()..][..self.kept];
            return self.coded_cell(&mut r, n, centroid);
        }
        self.image_cell(&mut r, b, n)
    }

    /// The bytes block `e` unpacks to, exactly (at most, for a coded cell), within what
    /// any block may unpack to.
    fn unpacked_size(&self, name: &str, e: &BlockEntry) -> Result<usize> {
        let code = self.codes.as_ref().map(|_| self.kept);
        let (each, fixed) = match (e.router, code) {
            (true, _) => (4 + self.router_dim(), 4),
            (false, None) => (5 + self.rows * self.cols, 4),
            // At most 24 bits a difference (no value is less likely than 2^-24), and
            // the coder's two words of state.
            (false, Some(c)) => (3 + 3 * c, 26 + 2 * c),
        };
        let size = (each as u64)
            .checked_mul(u64::from(e.items))
            .map(|s| s + fixed as u64)
            .filter(|&s| s <= MAX_UNPACKED_BLOCK)
            .ok_or_else(|| Error::DeclaredTooLarge {
                file: name.to_owned(),
                size: (each as u64).saturating_mul(u64::from(e.items)),
                limit: MAX_UNPACKED_BLOCK,
            })?;
        Ok(size as usize)
    }

    /// A router of `n` centroids, none leading to another router.
    fn router_block(&self, r: &mut Reader, n: usize) -> Result<Block> {
        let router = read_router(r, self.router_dim(), n, self.blocks.len())?;
        if let Some(c) = router
            .children
            .iter()
            .find(|&&c| self.blocks[c as usize].router)
        {
            return Err(r.corrupt(format!("a router leading to router {c}")));
        }
        Ok(Block::Router(router))
    }

    /// A coded cell of `n` items: their labels, where their pictures lie, and their codes
    /// as differences from `centroid`, the leading bytes of the cell's code.
    fn coded_cell(&self, r: &mut Reader, n: usize, centroid: &[u8]) -> Result<Block> {
        let c = self.kept;
        let labels = self.labels(r, n)?;
        let pictures = self.read_pictures(r, n)?;
        let spreads: Vec<u16> = r
            .take(2 * c, "code spreads")?
            .chunks_exact(2)
            .map(|s| u16::from_le_bytes([s[0], s[1]]))
            .collect();
        let count = r.u32("coded words")? as usize;
        let words: Vec<u32> = r
            .take(count.saturating_mul(4), "coded differences")?
            .chunks_exact(4)
            .map(|w| u32::from_le_bytes(w.try_into().expect("4 bytes")))
            .collect();
        if r.at != r.bytes.len() {
            return Err(r.corrupt(format!(
                "{} bytes after the coded differences",
                r.bytes.len() - r.at
            )));
        }
        let runs = differences::decode(&spreads, words, n).map_err(|what| r.corrupt(what))?;
        let mut codes = vec![0u8; n * c];
        for (j, (run, &mid)) in runs.chunks_exact(n.max(1)).zip(centroid).enumerate() {
            for (i, &d) in run.iter().enumerate() {
                codes[i * c + j] = d.wrapping_add(mid);
            }
        }
        Ok(Block::Cell(Cell {
            ids: Vec::new(),
            labels,
            images: Vec::new(),
            codes,
            pictures: Some(pictures),
        }))
    }

    /// Block `b`, a cell of `n` images: their ids (in a table, the block's own run of
    /// ids), labels and images.
    fn image_cell(&self, r: &mut Reader, b: u32, n: usize) -> Result<Block> {
        let ids: Vec<u32> = r
            .take(4 * n, "ids")?
            .chunks_exact(4)
            .map(|c| u32::from_le_bytes(c.try_into().expect("4 bytes")))
            .collect();
        let labels = self.labels(r, n)?;
        let images = r.take(n * self.rows * self.cols, "images")?.to_vec();
        if let Some(&id) = ids.iter().find(|&&id| id >= self.items) {
            return Err(r.corrupt(format!("item {id} of {}", self.items)));
        }
        if let Top::Table { per_block } = self.top
            && ids
                .iter()
                .enumerate()
                .any(|(i, &id)| id != b * per_block + i as u32)
        {
            return Err(r.corrupt("ids out of the table's order".into()));
        }
        Ok(Block::Cell(Cell {
            ids,
            labels,
            images,
            codes: Vec::new(),
            pictures: None,
        }))
    }

    /// A cell's `n` labels, read and checked to be digits if the layout is labelled.
    fn labels(&self, r: &mut Reader, n: usize) -> Result<Vec<u8>> {
        let labels = r.take(n, "labels")?.to_vec();
        match labels.iter().find(|&&l| self.labelled && l > 9) {
            Some(&l) => Err(r.corrupt(format!("label {l} is not a digit"))),
            None => Ok(labels),
        }
    }

    /// Where a coded cell's `n` pictures lie, checked to lie inside a data file.
    fn read_pictures(&self, r: &mut Reader, n: usize) -> Result<Pictures> {
        let file = r.u16("picture file")?;
        let offset = r.u64("picture offset")?;
        let most = picture::most_bytes(self.rows * self.cols) as u64;
        let low = r.take(n, "picture lengths")?;
        let high = r.take(n, "picture lengths")?;
        let mut ends = Vec::with_capacity(n);
        let mut end = 0u64;
        for (i, (&low, &high)) in low.iter().zip(high).enumerate() {
            let len = u64::from(u16::from_le_bytes([low, high]));
            if len == 0 || len > most {
                return Err(r.corrupt(format!("picture {i} of {len} bytes")));
            }
            end += len;
            ends.push(end);
        }
        let inside = self
            .files
            .get(usize::from(file))
            .is_some_and(|f| offset.checked_add(end).is_some_and(|e| e <= f.bytes));
        if !inside {
            return Err(r.corrupt(format!(
                "pictures of {end} bytes at {offset} of data file {file} lie outside it"
            )));
        }
        Ok(Pictures { file, offset, ends })
    }

    /// Checks and unpacks the pictures of `span` from `bytes`, its content, for the
    /// cells they belong to (`cell` gives a held cell by its block): the images, each
    /// with its vector in the layout's space.
    pub(crate) fn take_pictures<'c>(
        &self,
        span: &Span,
        bytes: &[u8],
        cell: impl Fn(u32) -> Option<&'c Cell>,
        workspace: &mut crate::space::Workspace,
    ) -> Result<Vec<Arrived>> {
        let where_ = self.describe(span);
        let corrupt = |what: String| Error::Corrupt {
            file: where_.clone(),
            what,
        };
        if bytes.len() as u64 != span.len() {
            return Err(Error::Truncated {
                file: where_.clone(),
                what: format!(
                    "{} bytes arrived, {} were asked for",
                    bytes.len(),
                    span.len()
                ),
            });
        }
        let Some(codes) = &self.codes else {
            return Err(corrupt("pictures asked of a layout without them".into()));
        };
        let (rows, cols) = (self.rows, self.cols);
        let mut searched = vec![0u8; self.space.dim(rows, cols)];
        let mut code = Vec::new();
        let mut out = Vec::with_capacity(span.pictures.len());
        for &(c, i) in &span.pictures {
            let found = cell(c).and_then(|cell| Some((cell, cell.pictures.as_ref()?)));
            let Some((cell, pictures)) = found.filter(|(_, p)| (i as usize) < p.ends.len()) else {
                return Err(corrupt(format!(
                    "picture {i} of cell {c}, which is not here"
                )));
            };
            let (start, end) = pictures.range(i as usize);
            if pictures.file != span.file || start < span.start || end > span.end {
                return Err(corrupt(format!("picture {i} of cell {c} is not inside it")));
            }
            let name = format!("{where_}, picture {i} of cell {c}");
            let raw = &bytes[(start - span.start) as usize..(end - span.start) as usize];
            let (id, image) = picture::inflate(&name, raw, rows * cols)?;
            if id >= self.items {
                return Err(Error::Corrupt {
                    file: name,
                    what: format!("item {id} of {}", self.items),
                });
            }
            self.space
                .apply_in(rows, cols, &image, &mut searched, 0, workspace)?;
            // Only the bytes the cell keeps: the rest of the code would be projected for
            // nothing.
            let k = self.kept;
            codes.encode_first(&searched, k, &mut code);
            let want = &cell.codes[i as usize * k..(i as usize + 1) * k];
            if code != want {
                return Err(Error::Corrupt {
                    file: name,
                    what: "its image does not code to the code its cell holds".into(),
                });
            }
            out.push(Arrived {
                place: (c, i),
                id,
                image,
                searched: searched.clone(),
            });
        }
        Ok(out)
    }

    fn router_dim(&self) -> usize {
        match &self.top {
            Top::Routed(r) => r.dim,
            Top::Table { .. } | Top::Coded(_) => 0,
        }
    }

    /// Puts every cell together as the [`Dataset`] in id order, checked against the
    /// root's fingerprint: what the client searches once it has the whole layout.
    pub fn assemble(&self, cells: impl IntoIterator<Item = Cell>) -> Result<Dataset> {
        if self.codes.is_some() {
            return Err(Error::Corrupt {
                file: self.name.clone(),
                what: "a coded layout keeps its images apart: it is searched by parts only".into(),
            });
        }
        let dim = self.rows * self.cols;
        let n = self.items as usize;
        let bytes = n as u64 * dim as u64;
        if bytes > MAX_ASSEMBLED {
            return Err(Error::DeclaredTooLarge {
                file: self.name.clone(),
                size: bytes,
                limit: MAX_ASSEMBLED,
            });
        }
        let mut pixels = vec![0u8; n * dim];
        let mut labels = vec![0u8; n];
        let mut seen = vec![false; n];
        for cell in cells {
            for (i, &id) in cell.ids.iter().enumerate() {
                let id = id as usize;
                if std::mem::replace(&mut seen[id], true) {
                    return Err(Error::Corrupt {
                        file: self.name.clone(),
                        what: format!("item {id} is in two cells"),
                    });
                }
                pixels[id * dim..(id + 1) * dim].copy_from_slice(cell.image(i, dim));
                labels[id] = cell.labels[i];
            }
        }
        if let Some(missing) = seen.iter().position(|&s| !s) {
            return Err(Error::Corrupt {
                file: self.name.clone(),
                what: format!("item {missing} is in no cell"),
            });
        }
        let data = Dataset::new(self.rows, self.cols, pixels, labels)?;
        if data.fingerprint() != self.fingerprint {
            return Err(Error::DatasetMismatch {
                file: self.name.clone(),
                index: self.fingerprint,
                index_items: n,
                index_dim: dim,
                data: data.fingerprint(),
                data_items: data.len(),
                data_dim: data.dim(),
            });
        }
        Ok(data)
    }
}
