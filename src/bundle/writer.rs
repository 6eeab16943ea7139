//! The deterministic, atomic bundle writer: packs the signed manifest, the
//! checksum list and every payload file into one gzip'd tar.
//!
//! Entries come in a fixed order (`manifest.json`, its signature,
//! `SHA256SUMS`, then the payload sorted by path) with fixed metadata, so the
//! same inputs give the same bytes. Each payload file is hashed while it is
//! streamed in and must match the manifest. Building the manifest and
//! fetching the files are the caller's job; reading bundles is `reader`'s.

use super::atomic::{AtomicFile, Overwrite};
use super::hashing::Hashing;
use super::manifest::{FileEntry, Manifest, MANIFEST_NAME, SIGNATURE_NAME, SUMS_NAME};
use super::paths::{check_manifest_paths, PathProblem};
use super::sign::{sign, SecretKey, SignError};
use flate2::{Compression, GzBuilder};
use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

/// Fixed gzip compression level (zlib's default).
const GZIP_LEVEL: u32 = 6;
/// gzip's "unknown" operating system byte, for the same header everywhere.
const GZIP_OS_UNKNOWN: u8 = 255;
/// Mode of every archive entry.
const ENTRY_MODE: u32 = 0o644;

/// One payload file to pack.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PayloadFile {
    /// Bundle path, as in the manifest.
    pub path: String,
    /// Where the content is on disk.
    pub source: PathBuf,
}

/// What [`write_bundle`] wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WriteSummary {
    /// Size of the bundle file.
    pub bytes: u64,
    /// Lower-case hex SHA-256 of the bundle file.
    pub sha256: String,
    /// Number of payload files packed.
    pub files: usize,
}

/// Why a bundle could not be written. The output is untouched in every case.
#[derive(Debug, thiserror::Error)]
pub enum BundleError {
    /// A manifest path that a reader would refuse.
    #[error("manifest path {path:?} is not a safe relative path or is reserved; fix the manifest")]
    UnsafePath {
        /// The path.
        path: String,
    },
    /// A path listed twice in the manifest, or given twice as payload.
    #[error("{path} is listed twice; each bundle path must be unique")]
    DuplicatePath {
        /// The path.
        path: String,
    },
    /// A payload file the manifest does not list.
    #[error("payload file {path} is not in the manifest; add it to the manifest or drop it")]
    UnknownPayload {
        /// The path.
        path: String,
    },
    /// Manifest files without a payload source.
    #[error("no source given for manifest files: {}; fetch them first", paths.join(", "))]
    MissingPayload {
        /// The paths.
        paths: Vec<String>,
    },
    /// A payload file whose size disagrees with the manifest.
    #[error(
        "{path} ({source_path}) is {actual} bytes but the manifest says {expected}; re-fetch it"
    )]
    SizeMismatch {
        /// Bundle path.
        path: String,
        /// The file on disk.
        source_path: PathBuf,
        /// Size in the manifest.
        expected: u64,
        /// Size on disk.
        actual: u64,
    },
    /// A payload file whose content disagrees with the manifest.
    #[error(
        "{path} ({source_path}) has sha256 {actual} but the manifest says {expected}; re-fetch it"
    )]
    HashMismatch {
        /// Bundle path.
        path: String,
        /// The file on disk.
        source_path: PathBuf,
        /// Hash in the manifest.
        expected: String,
        /// Hash of the content read.
        actual: String,
    },
    /// Signing the manifest failed.
    #[error("could not sign the manifest")]
    Sign(#[from] SignError),
    /// Reading a source or writing the output failed.
    #[error("I/O error on {path}")]
    Io {
        /// The file being read or written.
        path: PathBuf,
        /// The cause.
        #[source]
        source: io::Error,
    },
}

/// The signed trusted comment of a bundle: one line naming product, versions and variant.
pub fn trusted_comment(manifest: &Manifest) -> String {
    format!(
        "ferry bundle {} {} -> {} ({})",
        manifest.product, manifest.from, manifest.to, manifest.variant
    )
    .chars()
    .map(|c| if c.is_control() { ' ' } else { c })
    .collect()
}

/// Writes the bundle for `manifest` to `output`, atomically, signing the manifest with `key`.
pub fn write_bundle(
    manifest: &Manifest,
    payload: &[PayloadFile],
    key: &SecretKey,
    output: &Path,
) -> Result<WriteSummary, BundleError> {
    let files = match_payload(manifest, payload)?;
    let json = manifest.to_json();
    let signature = sign(key, &json, &trusted_comment(manifest))?;
    let sums = manifest.sha256sums();
    let out_err = |source| BundleError::Io {
        path: output.to_path_buf(),
        source,
    };
    let mut out = AtomicFile::create(output).map_err(out_err)?;
    let mtime = u64::try_from(manifest.source_date_epoch).unwrap_or(0);
    let hashed = Hashing::new(BufWriter::new(out.file()));
    let gz = GzBuilder::new()
        .mtime(0)
        .operating_system(GZIP_OS_UNKNOWN)
        .write(hashed, Compression::new(GZIP_LEVEL));
    let mut tar = tar::Builder::new(gz);
    let metadata: [(&str, &[u8]); 3] = [
        (MANIFEST_NAME, &json),
        (SIGNATURE_NAME, signature.as_bytes()),
        (SUMS_NAME, sums.as_bytes()),
    ];
    for (name, data) in metadata {
        let mut header = entry_header(data.len() as u64, mtime);
        tar.append_data(&mut header, name, data).map_err(out_err)?;
    }
    for (path, (entry, source)) in &files {
        append_payload(&mut tar, path, entry, source, mtime, output)?;
    }
    let gz = tar.into_inner().map_err(out_err)?;
    let (bytes, sha256, mut buffered) = gz.finish().map_err(out_err)?.finish();
    buffered.flush().map_err(out_err)?;
    drop(buffered);
    out.commit(0o644, Overwrite::Replace).map_err(out_err)?;
    Ok(WriteSummary {
        bytes,
        sha256,
        files: files.len(),
    })
}

type Matched<'a> = BTreeMap<&'a str, (&'a FileEntry, &'a Path)>;

/// Pairs every manifest file with its source, sorted by bundle path.
fn match_payload<'a>(
    manifest: &'a Manifest,
    payload: &'a [PayloadFile],
) -> Result<Matched<'a>, BundleError> {
    check_manifest_paths(manifest).map_err(|problem| match problem {
        PathProblem::Unsafe(path) => BundleError::UnsafePath { path },
        PathProblem::Duplicate(path) => BundleError::DuplicatePath { path },
    })?;
    let entries: BTreeMap<&str, &FileEntry> =
        manifest.files().map(|f| (f.path.as_str(), f)).collect();
    let mut matched = BTreeMap::new();
    for file in payload {
        let entry = entries
            .get(file.path.as_str())
            .ok_or_else(|| BundleError::UnknownPayload {
                path: file.path.clone(),
            })?;
        if matched
            .insert(file.path.as_str(), (*entry, file.source.as_path()))
            .is_some()
        {
            return Err(BundleError::DuplicatePath {
                path: file.path.clone(),
            });
        }
    }
    let missing: Vec<String> = entries
        .keys()
        .filter(|path| !matched.contains_key(*path))
        .map(|path| path.to_string())
        .collect();
    if !missing.is_empty() {
        return Err(BundleError::MissingPayload { paths: missing });
    }
    Ok(matched)
}

/// A regular-file header with ferry's fixed metadata.
fn entry_header(size: u64, mtime: u64) -> tar::Header {
    let mut header = tar::Header::new_gnu();
    header.set_entry_type(tar::EntryType::Regular);
    header.set_size(size);
    header.set_mode(ENTRY_MODE);
    header.set_uid(0);
    header.set_gid(0);
    header.set_mtime(mtime);
    header
}

/// A source file that remembers whether reading it failed, to tell source
/// errors from output errors once the tar builder has mixed them.
struct Source {
    file: File,
    failed: bool,
}

impl Read for Source {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.file.read(buf).inspect_err(|_| self.failed = true)
    }
}

/// Streams one payload file into the archive, hashing it on the way.
fn append_payload<W: Write>(
    tar: &mut tar::Builder<W>,
    path: &str,
    entry: &FileEntry,
    source: &Path,
    mtime: u64,
    output: &Path,
) -> Result<(), BundleError> {
    let source_err = |source_path: &Path| {
        let path = source_path.to_path_buf();
        move |source| BundleError::Io { path, source }
    };
    let file = File::open(source).map_err(source_err(source))?;
    let actual = file.metadata().map_err(source_err(source))?.len();
    let size_mismatch = |actual| BundleError::SizeMismatch {
        path: path.to_string(),
        source_path: source.to_path_buf(),
        expected: entry.size,
        actual,
    };
    if actual != entry.size {
        return Err(size_mismatch(actual));
    }
    let mut reader = Hashing::new(Source {
        file,
        failed: false,
    });
    let mut header = entry_header(entry.size, mtime);
    if let Err(err) = tar.append_data(&mut header, path, (&mut reader).take(entry.size)) {
        let failed_path = if reader.get_mut().failed {
            source
        } else {
            output
        };
        return Err(source_err(failed_path)(err));
    }
    let (count, sha256, _) = reader.finish();
    if count != entry.size {
        return Err(size_mismatch(count));
    }
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
