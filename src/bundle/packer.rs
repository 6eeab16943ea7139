//! The compressing half of the writer: takes tar bytes and payload files in
//! archive order and writes them to the output as gzip members, compressed
//! on every core, in the order they came.
//!
//! Payload content is cut into fixed [`CHUNK`]-byte pieces (the last one
//! carries the tar padding), so a file's members depend only on its content.
//! That makes them reusable: with a [`MemberStore`] the packer keeps the
//! members of every file it compresses and copies them, checked against
//! their hash, instead of compressing the same content again. Choosing the
//! entries and their order is `writer`'s job.

use super::gzip::OrderedGzip;
use super::hashing::Hashing;
use super::manifest::{FileEntry, FileKind};
use super::members::{member_key, MemberStore, StoredMembers};
use super::tar_layout::padding;
use super::write_error::BundleError;
use std::fs::File;
use std::io::{self, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

/// Gzip compression level of tar bytes and most payload. Level 5 rather
/// than zlib's default 6: on Kubernetes manifests it compresses about 1.6
/// times faster for about 4 % more bytes (BENCHMARKS.md, issue 12).
const LEVEL: u32 = 5;
/// Gzip level of image blobs: stored, since layers are compressed already
/// and deflating them again costs time for nothing.
const STORED: u32 = 0;
/// Bytes of content per gzip member.
pub(crate) const CHUNK: usize = 1 << 20;
/// Files smaller than this are not worth keeping in the member store: they
/// compress in about the time storing them costs (a synced index entry).
const MIN_KEPT: u64 = 256 * 1024;
/// Read buffer for copying stored members.
const COPY_BUFFER: usize = 256 * 1024;

/// The gzip level of a payload file's members: decided by what it is, so
/// the same file always gets the same bytes.
fn level_for(entry: &FileEntry) -> u32 {
    if entry.kind == FileKind::Image {
        STORED
    } else {
        LEVEL
    }
}

/// What to do with one item when its turn comes.
enum Tag {
    /// Write the member to the output (and to the members being kept).
    Member,
    /// Start keeping the members that follow, under this key.
    BeginKeep(String),
    /// Store the members kept since `BeginKeep`.
    EndKeep,
    /// Copy stored members of the payload file at this bundle path.
    Copy {
        path: String,
        key: String,
        stored: StoredMembers,
    },
}

/// Members being written to a temporary file of the store.
struct Keeping {
    key: String,
    file: Hashing<BufWriter<tempfile::NamedTempFile>>,
}

/// Writes gzip members to the output, in order, hashing everything written.
pub(crate) struct Packer<'a, W: Write> {
    pool: OrderedGzip<Tag>,
    out: Hashing<W>,
    output: &'a Path,
    store: Option<&'a dyn MemberStore>,
    progress: Option<&'a dyn Fn(u64, u64)>,
    keeping: Option<Keeping>,
    /// Payload bytes packed so far, and in all.
    done: u64,
    total: u64,
    reused: usize,
}

impl<'a, W: Write> Packer<'a, W> {
    /// A packer writing to `out` (the file `output`), keeping members in
    /// `store` and telling `progress` `(done, total)` payload bytes.
    pub(crate) fn start(
        out: W,
        output: &'a Path,
        store: Option<&'a dyn MemberStore>,
        progress: Option<&'a dyn Fn(u64, u64)>,
    ) -> Result<Self, BundleError> {
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        let pool = OrderedGzip::start(threads).map_err(|e| out_error(output, e))?;
        Ok(Packer {
            pool,
            out: Hashing::new(out),
            output,
            store,
            progress,
            keeping: None,
            done: 0,
            total: 0,
            reused: 0,
        })
    }

    /// Sets the payload bytes expected in all, for progress.
    pub(crate) fn expect(&mut self, total: u64) {
        self.total = total;
    }

    fn advance(&mut self, bytes: u64) {
        self.done += bytes;
        if let Some(progress) = self.progress {
            progress(self.done, self.total);
        }
    }

    /// Compresses tar bytes (headers, small entries, the end marker).
    pub(crate) fn tar_bytes(&mut self, bytes: Vec<u8>) -> Result<(), BundleError> {
        if bytes.is_empty() {
            return Ok(());
        }
        self.push(Some((bytes, LEVEL)), Tag::Member)
    }

    /// Packs the content and padding of payload file `path` from `source`,
    /// checking it against `entry`, or copies its stored members.
    pub(crate) fn payload(
        &mut self,
        path: &str,
        entry: &FileEntry,
        source: &Path,
    ) -> Result<(), BundleError> {
        let level = level_for(entry);
        let key = member_key(&entry.sha256, entry.size, level, CHUNK);
        // Stored members cost what copying them would: nothing to keep.
        let store = self.store.filter(|_| level != STORED);
        if let Some(stored) = store.and_then(|store| store.find(&key)) {
            let path = path.to_string();
            self.reused += 1;
            self.push(None, Tag::Copy { path, key, stored })?;
            self.advance(entry.size);
            return Ok(());
        }
        let keep = store.is_some() && entry.size >= MIN_KEPT;
        if keep {
            self.push(None, Tag::BeginKeep(key))?;
        }
        self.compress_file(path, entry, source)?;
        if keep {
            self.push(None, Tag::EndKeep)?;
        }
        Ok(())
    }

    /// Waits for every member; returns the output's size and SHA-256 and
    /// how many files were copied from the store.
    pub(crate) fn finish(mut self) -> Result<(u64, String, usize), BundleError> {
        while let Some((member, tag)) = self.pool.pop(true).map_err(|e| self.out_err(e))? {
            self.emit(member, tag)?;
        }
        let (bytes, sha256, mut out) = self.out.finish();
        out.flush().map_err(|e| out_error(self.output, e))?;
        Ok((bytes, sha256, self.reused))
    }

    /// Reads `source` in chunks, hashing it, and queues the chunks.
    fn compress_file(
        &mut self,
        path: &str,
        entry: &FileEntry,
        source: &Path,
    ) -> Result<(), BundleError> {
        let read_err = |e| BundleError::Io {
            path: source.to_path_buf(),
            source: e,
        };
        let size_mismatch = |actual| BundleError::SizeMismatch {
            path: path.to_string(),
            source_path: source.to_path_buf(),
            expected: entry.size,
            actual,
        };
        let file = File::open(source).map_err(read_err)?;
        let actual = file.metadata().map_err(read_err)?.len();
        if actual != entry.size {
            return Err(size_mismatch(actual));
        }
        let mut reader = Hashing::new(file);
        let mut left = entry.size;
        while left > 0 {
            let len = left.min(CHUNK as u64);
            let mut piece = Vec::with_capacity(CHUNK + 512);
            let got = (&mut reader)
                .take(len)
                .read_to_end(&mut piece)
                .map_err(read_err)?;
            if got as u64 != len {
                return Err(size_mismatch(entry.size - left + got as u64));
            }
            left -= len;
            if left == 0 {
                piece.resize(piece.len() + padding(entry.size), 0);
            }
            self.push(Some((piece, level_for(entry))), Tag::Member)?;
            self.advance(len);
        }
        let (_, sha256, _) = reader.finish();
        if sha256 != entry.sha256 {
            return Err(BundleError::HashMismatch {
                path: path.to_string(),
                source_path: source.to_path_buf(),
                expected: entry.sha256.clone(),
                actual: sha256,
            });
        }
        Ok(())
    }

    /// Queues an item and writes out whatever is ready.
    fn push(&mut self, data: Option<(Vec<u8>, u32)>, tag: Tag) -> Result<(), BundleError> {
        self.pool.push(data, tag).map_err(|e| self.out_err(e))?;
        while let Some((member, tag)) = self.pool.pop(false).map_err(|e| self.out_err(e))? {
            self.emit(member, tag)?;
        }
        Ok(())
    }

    /// Carries out one item, in archive order.
    fn emit(&mut self, member: Option<Vec<u8>>, tag: Tag) -> Result<(), BundleError> {
        match tag {
            Tag::Member => {
                let member = member.unwrap_or_default();
                self.out.write_all(&member).map_err(|e| self.out_err(e))?;
                if let Some(keeping) = &mut self.keeping {
                    if let Err(e) = keeping.file.write_all(&member) {
                        tracing::warn!("not keeping compressed members for reuse: {e}");
                        self.keeping = None;
                    }
                }
            }
            Tag::BeginKeep(key) => self.begin_keep(key),
            Tag::EndKeep => self.end_keep(),
            Tag::Copy { path, key, stored } => self.copy_stored(&path, &key, &stored)?,
        }
        Ok(())
    }

    fn begin_keep(&mut self, key: String) {
        let Some(store) = self.store else { return };
        match store.temp_file() {
            Ok(file) => {
                let file = Hashing::new(BufWriter::new(file));
                self.keeping = Some(Keeping { key, file });
            }
            Err(e) => tracing::warn!("not keeping compressed members for reuse: {e}"),
        }
    }

    fn end_keep(&mut self) {
        let (Some(store), Some(keeping)) = (self.store, self.keeping.take()) else {
            return;
        };
        let (size, sha256, file) = keeping.file.finish();
        let kept = file
            .into_inner()
            .map_err(|e| e.into_error())
            .and_then(|file| store.keep(&keeping.key, file.into_temp_path(), &sha256, size));
        if let Err(e) = kept {
            tracing::warn!("not keeping compressed members for reuse: {e}");
        }
    }

    /// Copies stored members into the output, checking their hash. Damaged
    /// members are dropped from the store and fail this bundle.
    fn copy_stored(
        &mut self,
        path: &str,
        key: &str,
        stored: &StoredMembers,
    ) -> Result<(), BundleError> {
        let store = self.store;
        let damaged = || {
            if let Some(store) = store {
                store.forget(key);
            }
            BundleError::DamagedMembers {
                path: path.to_string(),
                file: stored.path.clone(),
            }
        };
        let Ok(file) = File::open(&stored.path) else {
            return Err(damaged());
        };
        let mut reader = Hashing::new(file);
        let mut buf = vec![0; COPY_BUFFER];
        loop {
            let n = match reader.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(_) => return Err(damaged()),
            };
            self.out
                .write_all(&buf[..n])
                .map_err(|e| out_error(self.output, e))?;
        }
        let (count, sha256, _) = reader.finish();
        if count != stored.size || sha256 != stored.sha256 {
            return Err(damaged());
        }
        Ok(())
    }

    fn out_err(&self, source: io::Error) -> BundleError {
        out_error(self.output, source)
    }
}

fn out_error(output: &Path, source: io::Error) -> BundleError {
    BundleError::Io {
        path: PathBuf::from(output),
        source,
    }
}
