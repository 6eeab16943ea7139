//! Low-level, distrustful reading of a bundle archive: opening the gzip'd
//! tar (through the strict, parallel [`Inflated`]) behind a decompressed-bytes meter,
//! walking raw tar headers (GNU long names checked here, PAX and long link
//! headers refused), classifying entries, and reading or streaming their
//! data with size caps and hashing.
//!
//! These helpers never decide whether a bundle is acceptable as a whole;
//! `reader` applies the rules in order.

use super::gunzip::{GzipProblem, Problem};
use super::hashing::Hashing;
use super::inflater::Inflated;
use super::input::{open_parts, BundleRef, Reader};
use super::manifest::FileEntry;
use super::part_stream::PartStream;
use super::paths::is_safe_path;
use super::tar_layout::padding;
use super::verify_error::VerifyError;
use std::cell::Cell;
use std::fs::File;
use std::io::{self, Read, Write};
use std::path::Path;
use std::rc::Rc;
use std::sync::Arc;

/// Tar header and padding overhead allowed per entry.
pub(crate) const ENTRY_OVERHEAD: u64 = 1536;
/// Tar's block size; the end-of-archive marker is two zero blocks.
const TAR_BLOCK: u64 = 512;
/// Slack for the end-of-archive marker, record padding and a few directories.
pub(crate) const SLACK: u64 = 1024 * 1024;
/// Longest GNU long name accepted, NUL included (Linux's `PATH_MAX`).
pub(crate) const LONG_NAME_CAP: u64 = 4096;
/// The name field of a tar header: a longer path needs a GNU long name.
const NAME_FIELD: usize = 100;

/// Counts decompressed bytes against a limit that can be raised as the
/// manifest becomes known.
/// It also holds the slot where the gzip layer leaves what it found wrong.
#[derive(Debug, Default)]
pub(crate) struct Meter {
    read: Cell<u64>,
    limit: Cell<u64>,
    exceeded: Cell<bool>,
    gzip: Problem,
    /// Decompressed offsets `[start, end)` that must hold zeros: the
    /// padding after the current entry's content.
    padding: Cell<(u64, u64)>,
    /// The first offset inside `padding` found not to be zero.
    stray: Cell<Option<u64>>,
    /// The parts being read in place, when the bundle is split.
    parts: Option<PartStream>,
}

impl Meter {
    /// The verdict on a bundle refused with `err`: when it is read from
    /// parts and one of them is not the one its index lists, that part is
    /// named instead (the refusal was only its consequence).
    pub(crate) fn blame(&self, err: VerifyError) -> VerifyError {
        match self.parts.as_ref().and_then(PartStream::blame) {
            Some(part) => VerifyError::Part(part),
            None => err,
        }
    }

    /// Sets the number of decompressed bytes the whole archive may hold.
    pub(crate) fn set_limit(&self, limit: u64) {
        self.limit.set(limit);
    }

    /// Requires the padding after an entry whose content of `size` bytes
    /// starts at decompressed offset `start` to be zeros when it is read.
    fn expect_padding(&self, start: u64, size: u64) {
        let end = start.saturating_add(size);
        self.padding
            .set((end, end.saturating_add(padding(size) as u64)));
    }

    /// Records the first non-zero padding byte among `bytes`, which start
    /// at decompressed offset `at`; true when there is one. Only the bytes
    /// inside the padding range are looked at.
    fn finds_stray_padding(&self, at: u64, bytes: &[u8]) -> bool {
        let (start, end) = self.padding.get();
        let from = start.max(at);
        let to = end.min(at.saturating_add(bytes.len() as u64));
        if from >= to {
            return false;
        }
        let inside = &bytes[(from - at) as usize..(to - at) as usize];
        match inside.iter().position(|byte| *byte != 0) {
            Some(i) => {
                self.stray.set(Some(from + i as u64));
                true
            }
            None => false,
        }
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
        let at = meter.read.get();
        meter.read.set(at + n as u64);
        if meter.read.get() > meter.limit.get() {
            meter.exceeded.set(true);
            return Err(io::Error::other("decompressed size limit exceeded"));
        }
        if meter.finds_stray_padding(at, &buf[..n]) {
            return Err(io::Error::other("non-zero tar padding"));
        }
        Ok(n)
    }
}

/// The decompressed stream of a bundle.
pub(crate) type Stream = Limited<Inflated>;
/// One archive entry.
pub(crate) type Entry<'a> = tar::Entry<'a, Stream>;

/// An open bundle: the archive, its meter and its path (for errors).
pub(crate) struct Bundle {
    /// The tar archive.
    pub(crate) archive: tar::Archive<Stream>,
    /// The decompressed-bytes meter.
    pub(crate) meter: Rc<Meter>,
}

/// Opens `input` for reading with an initial decompressed-bytes `limit`.
pub(crate) fn open(input: BundleRef<'_>, limit: u64) -> Result<Bundle, VerifyError> {
    let (reader, parts) = match input {
        BundleRef::File(path) => (Reader::File(open_file(path)?), None),
        BundleRef::Parts(split) => {
            let parts = open_parts(split)?;
            (Reader::Parts(parts.clone()), Some(parts))
        }
    };
    let meter = Rc::new(Meter {
        parts,
        ..Meter::default()
    });
    meter.set_limit(limit);
    let inflated =
        Inflated::spawn(reader, Arc::clone(&meter.gzip)).map_err(|source| VerifyError::Io {
            path: input.path().to_path_buf(),
            source,
        })?;
    let stream = Limited {
        inner: inflated,
        meter: Rc::clone(&meter),
    };
    Ok(Bundle {
        archive: tar::Archive::new(stream),
        meter,
    })
}

/// Opens one bundle file, saying clearly when it is not there or a folder.
fn open_file(path: &Path) -> Result<File, VerifyError> {
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
    Ok(file)
}

/// Turns an error from the decompressed stream into a verdict.
pub(crate) fn stream_error(meter: &Meter, err: io::Error) -> VerifyError {
    let found = meter.gzip.lock().ok().and_then(|slot| slot.clone());
    if let Some(problem) = found {
        return gzip_error(problem);
    }
    if let Some(offset) = meter.stray.get() {
        return VerifyError::NonZeroPadding { offset };
    }
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

/// What the gzip layer found, as a verdict.
fn gzip_error(problem: GzipProblem) -> VerifyError {
    match problem {
        GzipProblem::Header {
            offset,
            found,
            expected,
        } => VerifyError::GzipHeader {
            offset,
            found,
            expected,
        },
        GzipProblem::NotAMember { offset } => VerifyError::NotAGzipMember { offset },
        GzipProblem::Deflate { member } => VerifyError::GzipDamaged { offset: member },
        GzipProblem::Crc { offset } => VerifyError::GzipTrailer {
            offset,
            field: "CRC32",
        },
        GzipProblem::Size { offset } => VerifyError::GzipTrailer {
            offset,
            field: "ISIZE",
        },
        GzipProblem::Truncated { .. } => VerifyError::Truncated,
    }
}

/// One entry with its full path: the header's name, or the GNU long name
/// that came before the header.
pub(crate) struct Item<'a> {
    /// The entry, positioned at its data.
    pub(crate) entry: Entry<'a>,
    /// The full path bytes.
    pub(crate) path: Vec<u8>,
}

/// The raw tar entries of `archive` (extension headers not interpreted:
/// [`next_entry`] does that, strictly).
pub(crate) fn entries<'a>(
    archive: &'a mut tar::Archive<Stream>,
    meter: &Meter,
) -> Result<tar::Entries<'a, Stream>, VerifyError> {
    archive
        .entries()
        .map(|entries| entries.raw(true))
        .map_err(|err| stream_error(meter, err))
}

/// The next entry, or None at the end of the archive.
///
/// A GNU long name (`L`) is accepted only the way ferry writes it: one, at
/// most [`LONG_NAME_CAP`] bytes, NUL-terminated, for a path that does not fit
/// the header, directly before an entry whose header name is its start (so
/// no tool sees another name). PAX headers (`x`, `g`) and GNU long link
/// names (`K`) are refused: ferry never writes them and they can rename or
/// resize the entry after them for other readers.
pub(crate) fn next_entry<'a>(
    entries: &mut tar::Entries<'a, Stream>,
    meter: &Meter,
) -> Result<Option<Item<'a>>, VerifyError> {
    let mut long: Option<(Vec<u8>, u64)> = None;
    loop {
        let next = entries
            .next()
            .transpose()
            .map_err(|err| stream_error(meter, err))?;
        let Some(mut entry) = next else {
            return match long {
                Some((_, offset)) => Err(VerifyError::UnsupportedHeader {
                    offset,
                    name: String::new(),
                    kind: "GNU long name with no entry after it",
                }),
                None => Ok(None),
            };
        };
        meter.expect_padding(entry.raw_file_position(), entry.size());
        let offset = entry.raw_header_position();
        let header_name = String::from_utf8_lossy(&entry.header().path_bytes()).into_owned();
        let refuse = |kind| {
            Err(VerifyError::UnsupportedHeader {
                offset,
                name: header_name.clone(),
                kind,
            })
        };
        match entry.header().entry_type() {
            tar::EntryType::GNULongName => {
                if long.is_some() {
                    return refuse("second GNU long name for one entry");
                }
                if entry.size() > LONG_NAME_CAP {
                    return refuse("GNU long name longer than 4096 bytes");
                }
                let data = read_small(&mut entry, LONG_NAME_CAP, meter)?;
                match data.split_last() {
                    Some((0, name)) if name.len() >= NAME_FIELD && !name.contains(&0) => {
                        long = Some((name.to_vec(), offset));
                    }
                    _ => return refuse(
                        "GNU long name that is not one NUL-terminated path too long for the header",
                    ),
                }
            }
            tar::EntryType::GNULongLink => return refuse("GNU long link name"),
            tar::EntryType::XHeader => return refuse("PAX extended header"),
            tar::EntryType::XGlobalHeader => return refuse("PAX global header"),
            _ => {
                let short = entry.header().path_bytes().into_owned();
                let path = match long {
                    None => short,
                    Some((name, _)) if !short.is_empty() && name.starts_with(&short) => name,
                    Some((name, at)) => {
                        return Err(VerifyError::LongNameMismatch {
                            offset: at,
                            long: String::from_utf8_lossy(&name).into_owned(),
                            short: String::from_utf8_lossy(&short).into_owned(),
                        })
                    }
                };
                return Ok(Some(Item { entry, path }));
            }
        }
    }
}

/// Reads through the entries left, without hashing them (the payload is
/// not checked), so [`drain`] can account for the rest of the file.
pub(crate) fn skip_rest(
    entries: &mut tar::Entries<'_, Stream>,
    meter: &Meter,
) -> Result<(), VerifyError> {
    while next_entry(entries, meter)?.is_some() {}
    Ok(())
}

/// Reads the rest of the stream after the tar entries ended, so gzip checks
/// its trailer and nothing can hide behind the end of the archive.
///
/// The entry iterator stops at the first zero block; what follows must be
/// the rest of the end-of-archive marker (at least one more zero block) and
/// zero padding only. Anything else, such as a second archive appended for
/// `tar -i` to find, is refused; so is anything after the last gzip member.
/// Returns the SHA-256 of the whole bundle file, every byte of which has
/// now been read once.
pub(crate) fn drain(bundle: Bundle) -> Result<String, VerifyError> {
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
    // The gzip reader hands back end of file only after the last member's
    // trailer checked out and nothing followed it.
    let sha256 = stream.inner.file_sha256().ok_or(VerifyError::Truncated)?;
    if let Some(parts) = &meter.parts {
        parts.check_whole(&sha256)?;
    }
    Ok(sha256)
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
pub(crate) fn kind(item: &Item<'_>) -> Kind {
    let entry_type = item.entry.header().entry_type();
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
pub(crate) fn safe_path(item: &Item<'_>, is_dir: bool) -> Result<String, VerifyError> {
    let bytes = &item.path;
    let text = String::from_utf8_lossy(bytes);
    let unsafe_path = || VerifyError::UnsafePath {
        path: text.to_string(),
    };
    let path = std::str::from_utf8(bytes).map_err(|_| unsafe_path())?;
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
