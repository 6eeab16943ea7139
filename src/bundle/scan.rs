//! Low-level, distrustful reading of a bundle archive: opening the gzip'd
//! tar behind a decompressed-bytes meter, walking entries, classifying them,
//! and reading or streaming their data with size caps and hashing.
//!
//! These helpers never decide whether a bundle is acceptable as a whole;
//! `reader` applies the rules in order.

use super::hashing::Hashing;
use super::manifest::FileEntry;
use super::paths::is_safe_path;
use super::verify_error::VerifyError;
use flate2::read::MultiGzDecoder;
use std::cell::Cell;
use std::fs::File;
use std::io::{self, BufReader, Read, Write};
use std::path::Path;
use std::rc::Rc;

/// Tar header and padding overhead allowed per entry.
pub(crate) const ENTRY_OVERHEAD: u64 = 1536;
/// Tar's block size; the end-of-archive marker is two zero blocks.
const TAR_BLOCK: u64 = 512;
/// Slack for the end-of-archive marker, record padding and a few directories.
pub(crate) const SLACK: u64 = 1024 * 1024;

/// Counts decompressed bytes against a limit that can be raised as the
/// manifest becomes known.
#[derive(Debug, Default)]
pub(crate) struct Meter {
    read: Cell<u64>,
    limit: Cell<u64>,
    exceeded: Cell<bool>,
}

impl Meter {
    /// Sets the number of decompressed bytes the whole archive may hold.
    pub(crate) fn set_limit(&self, limit: u64) {
        self.limit.set(limit);
    }
}

/// A reader that fails once more than the meter's limit has passed.
pub(crate) struct Limited<R> {
    inner: R,
    meter: Rc<Meter>,
}

impl<R: Read> Read for Limited<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let meter = &self.meter;
        // Ask for at most one byte beyond the limit: enough to notice.
        let room = meter.limit.get().saturating_sub(meter.read.get());
        let want = usize::try_from(room.saturating_add(1))
            .unwrap_or(usize::MAX)
            .min(buf.len());
        let n = self.inner.read(&mut buf[..want])?;
        meter.read.set(meter.read.get() + n as u64);
        if meter.read.get() > meter.limit.get() {
            meter.exceeded.set(true);
            return Err(io::Error::other("decompressed size limit exceeded"));
        }
        Ok(n)
    }
}

/// The decompressed stream of a bundle file.
pub(crate) type Stream = Limited<MultiGzDecoder<BufReader<File>>>;
/// One archive entry.
pub(crate) type Entry<'a> = tar::Entry<'a, Stream>;

/// An open bundle: the archive, its meter and its path (for errors).
pub(crate) struct Bundle {
    /// The tar archive.
    pub(crate) archive: tar::Archive<Stream>,
    /// The decompressed-bytes meter.
    pub(crate) meter: Rc<Meter>,
}

/// Opens `path` for reading with an initial decompressed-bytes `limit`.
pub(crate) fn open(path: &Path, limit: u64) -> Result<Bundle, VerifyError> {
    let file = File::open(path).map_err(|source| match source.kind() {
        io::ErrorKind::NotFound => VerifyError::NotFound {
            path: path.to_path_buf(),
        },
        _ => VerifyError::Io {
            path: path.to_path_buf(),
            source,
        },
    })?;
    if file.metadata().is_ok_and(|meta| meta.is_dir()) {
        return Err(VerifyError::IsDirectory {
            path: path.to_path_buf(),
        });
    }
    let meter = Rc::new(Meter::default());
    meter.set_limit(limit);
    let stream = Limited {
        inner: MultiGzDecoder::new(BufReader::new(file)),
        meter: Rc::clone(&meter),
    };
    Ok(Bundle {
        archive: tar::Archive::new(stream),
        meter,
    })
}

/// Turns an error from the decompressed stream into a verdict.
pub(crate) fn stream_error(meter: &Meter, err: io::Error) -> VerifyError {
    if meter.exceeded.get() {
        return VerifyError::TooLarge {
            limit: meter.limit.get(),
        };
    }
    let message = err.to_string();
    if err.kind() == io::ErrorKind::UnexpectedEof
        || message.contains("failed to read entire block")
        || message.contains("unexpected EOF")
    {
        return VerifyError::Truncated;
    }
    VerifyError::Corrupt(err)
}

/// The next entry, or None at the end of the archive.
pub(crate) fn next_entry<'a>(
    entries: &mut tar::Entries<'a, Stream>,
    meter: &Meter,
) -> Result<Option<Entry<'a>>, VerifyError> {
    entries
        .next()
        .transpose()
        .map_err(|err| stream_error(meter, err))
}

/// Reads the rest of the stream after the tar entries ended, so gzip checks
/// its trailer and nothing can hide behind the end of the archive.
///
/// The entry iterator stops at the first zero block; what follows must be
/// the rest of the end-of-archive marker (at least one more zero block) and
/// zero padding only. Anything else, such as a second archive appended for
/// `tar -i` to find, is refused.
pub(crate) fn drain(bundle: Bundle) -> Result<(), VerifyError> {
    let meter = Rc::clone(&bundle.meter);
    let mut stream = bundle.archive.into_inner();
    let mut buf = vec![0u8; 64 * 1024];
    let mut zeros = 0u64;
    loop {
        let n = stream
            .read(&mut buf)
            .map_err(|err| stream_error(&meter, err))?;
        if n == 0 {
            break;
        }
        if buf[..n].iter().any(|b| *b != 0) {
            return Err(VerifyError::TrailingData);
        }
        zeros += n as u64;
    }
    if zeros < TAR_BLOCK {
        return Err(VerifyError::Truncated);
    }
    Ok(())
}

/// What an entry is, as far as the rules care.
pub(crate) enum Kind {
    /// A regular file.
    File,
    /// A directory.
    Dir,
    /// Anything else, named for the error message.
    Other(&'static str),
}

/// Classifies an entry by its type flag.
pub(crate) fn kind(entry: &Entry<'_>) -> Kind {
    let entry_type = entry.header().entry_type();
    match entry_type {
        tar::EntryType::Regular => Kind::File,
        tar::EntryType::Directory => Kind::Dir,
        tar::EntryType::Symlink => Kind::Other("symlink"),
        tar::EntryType::Link => Kind::Other("hard link"),
        tar::EntryType::Char => Kind::Other("character device"),
        tar::EntryType::Block => Kind::Other("block device"),
        tar::EntryType::Fifo => Kind::Other("fifo"),
        tar::EntryType::Continuous => Kind::Other("contiguous file"),
        tar::EntryType::GNUSparse => Kind::Other("sparse file"),
        tar::EntryType::XGlobalHeader => Kind::Other("pax global header"),
        _ => Kind::Other("special entry"),
    }
}

/// The entry's full path (long names resolved), which must be UTF-8 and safe.
/// A directory's trailing `/` is dropped.
pub(crate) fn safe_path(entry: &Entry<'_>, is_dir: bool) -> Result<String, VerifyError> {
    let bytes = entry.path_bytes();
    let text = String::from_utf8_lossy(&bytes);
    let unsafe_path = || VerifyError::UnsafePath {
        path: text.to_string(),
    };
    let path = std::str::from_utf8(&bytes).map_err(|_| unsafe_path())?;
    let path = match path.strip_suffix('/') {
        Some(stripped) if is_dir => stripped,
        _ => path,
    };
    if is_safe_path(path) {
        Ok(path.to_string())
    } else {
        Err(unsafe_path())
    }
}

/// Reads a whole small entry, refusing one larger than `cap`.
pub(crate) fn read_small(
    entry: &mut Entry<'_>,
    cap: u64,
    meter: &Meter,
) -> Result<Vec<u8>, VerifyError> {
    let size = entry.size();
    if size > cap {
        return Err(VerifyError::TooLarge { limit: cap });
    }
    let mut data = Vec::new();
    Read::take(&mut *entry, size)
        .read_to_end(&mut data)
        .map_err(|err| stream_error(meter, err))?;
    if data.len() as u64 != size {
        return Err(VerifyError::Truncated);
    }
    Ok(data)
}

/// Streams an entry that the manifest lists as `expected` into `out` (if
/// any), checking its header size first and its SHA-256 at the end.
pub(crate) fn stream_checked(
    entry: &mut Entry<'_>,
    expected: &FileEntry,
    mut out: Option<&mut dyn Write>,
    out_path: &Path,
    meter: &Meter,
) -> Result<(), VerifyError> {
    let size = entry.size();
    if size != expected.size {
        return Err(VerifyError::SizeMismatch {
            path: expected.path.clone(),
            expected: expected.size,
            actual: size,
        });
    }
    let mut reader = Hashing::new(Read::take(&mut *entry, size));
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = reader
            .read(&mut buf)
            .map_err(|err| stream_error(meter, err))?;
        if n == 0 {
            break;
        }
        if let Some(out) = out.as_mut() {
            out.write_all(&buf[..n]).map_err(|source| VerifyError::Io {
                path: out_path.to_path_buf(),
                source,
            })?;
        }
    }
    let (count, sha256, _) = reader.finish();
    if count != size {
        return Err(VerifyError::Truncated);
    }
    if sha256 != expected.sha256 {
        return Err(VerifyError::HashMismatch {
            path: expected.path.clone(),
            expected: expected.sha256.clone(),
            actual: sha256,
        });
    }
    Ok(())
}
