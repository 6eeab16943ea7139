//! Archive mode: an incremental, verifiable mirror of a repository's release
//! artifacts on disk, and that mirror read back as a release source.
//!
//! Layout under the archive directory: `blobs/sha256/ab/<hex>` (content,
//! stored by the `fetch` cache rooted here, so identical content is stored
//! once and every blob arrives by rename), `releases/<tag>.json` (readable
//! index per release), `archive.json` (what is mirrored, last run) and
//! `.lock` (held by a running mirror). Downloading is `fetch`'s job; planning
//! and packing a bundle from the archive are `plan`'s and `pack`'s.

mod error;
mod index;
mod lock;
mod mirror;
mod source;
mod verify;

pub use error::ArchiveError;
pub use index::{
    ArchiveInfo, AssetRecord, GuideRecord, ImageRecord, ReleaseIndex, StoredBlob, StoredFile,
};
pub use lock::ArchiveLock;
pub use mirror::{mirror, MirrorOptions, MirrorReport};
pub use source::ArchiveSource;
pub use verify::{verify, Problem, VerifyReport};

use crate::bundle::atomic::{write_atomic, Overwrite};
use crate::fetch::{Cache, CachedBlob};
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::fs;
use std::path::{Path, PathBuf};

/// An archive directory.
#[derive(Debug, Clone)]
pub struct Archive {
    root: PathBuf,
    cache: Cache,
}

impl Archive {
    /// Opens (creating if needed) the archive at `root`.
    pub fn create(root: &Path) -> Result<Archive, ArchiveError> {
        let cache = Cache::open(root)?;
        let releases = root.join("releases");
        fs::create_dir_all(&releases).map_err(|source| ArchiveError::Io {
            path: releases,
            source,
        })?;
        Ok(Archive {
            root: root.to_path_buf(),
            cache,
        })
    }

    /// Opens an existing archive (one with an `archive.json`) without writing to it.
    pub fn open_existing(root: &Path) -> Result<(Archive, ArchiveInfo), ArchiveError> {
        let archive = Archive {
            root: root.to_path_buf(),
            cache: Cache::at(root),
        };
        let info = archive
            .read_info()?
            .ok_or_else(|| ArchiveError::NotAnArchive {
                dir: root.to_path_buf(),
            })?;
        Ok((archive, info))
    }

    /// The archive's root directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The blob store (a download cache rooted at the archive).
    pub fn cache(&self) -> &Cache {
        &self.cache
    }

    /// `archive.json`, if the archive has one.
    pub fn read_info(&self) -> Result<Option<ArchiveInfo>, ArchiveError> {
        read_json(&self.root.join("archive.json"))
    }

    /// Replaces `archive.json` atomically.
    pub fn write_info(&self, info: &ArchiveInfo) -> Result<(), ArchiveError> {
        write_json(&self.root.join("archive.json"), info)
    }

    fn release_path(&self, tag: &str) -> PathBuf {
        self.root.join("releases").join(format!("{tag}.json"))
    }

    /// The index of release `tag`, if archived.
    pub fn read_release(&self, tag: &str) -> Result<Option<ReleaseIndex>, ArchiveError> {
        read_json(&self.release_path(tag))
    }

    /// Replaces the index of one release atomically.
    pub fn write_release(&self, index: &ReleaseIndex) -> Result<(), ArchiveError> {
        write_json(&self.release_path(&index.tag), index)
    }

    /// Every archived release index, ordered by file name.
    pub fn releases(&self) -> Result<Vec<ReleaseIndex>, ArchiveError> {
        let dir = self.root.join("releases");
        let entries = fs::read_dir(&dir).map_err(|source| ArchiveError::Io {
            path: dir.clone(),
            source,
        })?;
        let mut paths = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|source| ArchiveError::Io {
                path: dir.clone(),
                source,
            })?;
            let path = entry.path();
            if path.extension().is_some_and(|ext| ext == "json") {
                paths.push(path);
            }
        }
        paths.sort();
        let mut releases = Vec::new();
        for path in paths {
            if let Some(index) = read_json(&path)? {
                releases.push(index);
            }
        }
        Ok(releases)
    }

    /// The absolute path of a stored blob.
    pub fn blob_path(&self, stored: &StoredBlob) -> PathBuf {
        self.root.join(&stored.blob)
    }

    /// Whether the blob is present with the recorded size (not re-hashed).
    pub fn has(&self, stored: &StoredBlob) -> bool {
        fs::metadata(self.blob_path(stored))
            .is_ok_and(|m| m.is_file() && m.len() == stored.stored_size)
    }

    /// The index record for a blob the cache holds.
    pub fn stored(&self, blob: &CachedBlob) -> StoredBlob {
        let relative = blob
            .path
            .strip_prefix(&self.root)
            .unwrap_or(&blob.path)
            .to_string_lossy()
            .into_owned();
        StoredBlob {
            sha256: blob.sha256.clone(),
            stored_size: blob.size,
            blob: relative,
        }
    }
}

fn read_json<T: DeserializeOwned>(path: &Path) -> Result<Option<T>, ArchiveError> {
    let bytes = match fs::read(path) {
        Ok(bytes) => bytes,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => {
            return Err(ArchiveError::Io {
                path: path.to_path_buf(),
                source,
            })
        }
    };
    serde_json::from_slice(&bytes)
        .map(Some)
        .map_err(|source| ArchiveError::BadIndex {
            path: path.to_path_buf(),
            source,
        })
}

fn write_json<T: Serialize>(path: &Path, value: &T) -> Result<(), ArchiveError> {
    let io_error = |source| ArchiveError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut json = serde_json::to_vec_pretty(value).map_err(|e| io_error(e.into()))?;
    json.push(b'\n');
    write_atomic(path, &json, 0o644, Overwrite::Replace).map_err(io_error)
}
