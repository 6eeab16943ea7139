//! The one streaming digest: a reader or writer wrapper that counts bytes
//! and computes their SHA-256 as they pass, so data is hashed exactly once,
//! on its way to where it goes. Comparing the result is the caller's job.

use sha2::{Digest as _, Sha256};
use std::io::{self, Read, Write};

/// Wraps a reader or writer, hashing and counting every byte that passes.
pub(crate) struct Hashing<T> {
    inner: T,
    hasher: Sha256,
    count: u64,
}

impl<T> Hashing<T> {
    /// Starts hashing what passes through `inner`.
    pub(crate) fn new(inner: T) -> Self {
        Hashing {
            inner,
            hasher: Sha256::new(),
            count: 0,
        }
    }

    /// The byte count and lower-case hex SHA-256 of everything seen, and the inner value.
    pub(crate) fn finish(self) -> (u64, String, T) {
        (self.count, hex::encode(self.hasher.finalize()), self.inner)
    }
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        self.count += n as u64;
        Ok(n)
    }
}

impl<W: Write> Write for Hashing<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.count += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}
