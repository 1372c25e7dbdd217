//! A cursor over a file's bytes that turns every shortfall into an error naming the file,
//! for the formats SSAM writes (the index file, the streamed layout).

use crate::error::{Error, Result};

/// Reads numbers (little-endian) and slices from `bytes`, from `at` on.
#[derive(Debug)]
pub(crate) struct Reader<'a> {
    pub(crate) file: &'a str,
    pub(crate) bytes: &'a [u8],
    pub(crate) at: usize,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(file: &'a str, bytes: &'a [u8]) -> Self {
        Reader { file, bytes, at: 0 }
    }

    pub(crate) fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8]> {
        let end = self
            .at
            .checked_add(n)
            .filter(|&e| e <= self.bytes.len())
            .ok_or_else(|| Error::Truncated {
                file: self.file.to_owned(),
                what: format!(
                    "{what} at byte {} needs {n} bytes, {} remain",
                    self.at,
                    self.bytes.len() - self.at
                ),
            })?;
        let s = &self.bytes[self.at..end];
        self.at = end;
        Ok(s)
    }

    pub(crate) fn u8(&mut self, what: &str) -> Result<u8> {
        Ok(self.take(1, what)?[0])
    }

    pub(crate) fn u16(&mut self, what: &str) -> Result<u16> {
        Ok(u16::from_le_bytes(
            self.take(2, what)?.try_into().expect("2 bytes"),
        ))
    }

    pub(crate) fn u32(&mut self, what: &str) -> Result<u32> {
        Ok(u32::from_le_bytes(
            self.take(4, what)?.try_into().expect("4 bytes"),
        ))
    }

    pub(crate) fn u64(&mut self, what: &str) -> Result<u64> {
        Ok(u64::from_le_bytes(
            self.take(8, what)?.try_into().expect("8 bytes"),
        ))
    }

    /// Bytes not read yet.
    pub(crate) fn remaining(&self) -> usize {
        self.bytes.len() - self.at
    }

    pub(crate) fn corrupt(&self, what: String) -> Error {
        Error::Corrupt {
            file: self.file.to_owned(),
            what,
        }
    }
}
