//! The content-addressed download cache.
//!
//! Owns the on-disk layout under one directory:
//! `blobs/sha256/ab/abcdef...` (content, named by its SHA-256),
//! `index/<sha256(key)>.json` (what a download key resolved to),
//! `partial/<sha256(key)>.partial` (downloads in progress, kept for resume) and
//! `tmp/` (temp files renamed into place). Every file reaches its final name
//! by rename, so a crash or a concurrent process never sees half a blob or
//! half an index entry. Downloading into partials is left to `download`.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// A download cache rooted at one directory; cheap to clone.
#[derive(Debug, Clone)]
pub struct Cache {
    dir: PathBuf,
}

/// A blob in the cache.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CachedBlob {
    /// Lowercase hex SHA-256 of the content.
    pub sha256: String,
    /// Size in bytes.
    pub size: u64,
    /// Where the content is.
    pub path: PathBuf,
}

/// Why the cache could not do its job.
#[derive(Debug, thiserror::Error)]
pub enum CacheError {
    /// A cache directory could not be created.
    #[error("could not create the cache directory {path}; check its permissions or choose another cache directory")]
    CreateDir {
        /// The directory.
        path: PathBuf,
        /// The cause.
        #[source]
        source: io::Error,
    },
    /// A finished download could not be read.
    #[error("could not read {path}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: io::Error,
    },
    /// Content could not be moved into the blob store.
    #[error("could not store {from} in the cache as {to}; check free space and permissions")]
    Store {
        /// The source file (or `<memory>`).
        from: PathBuf,
        /// The blob path.
        to: PathBuf,
        /// The cause.
        #[source]
        source: io::Error,
    },
    /// An index entry could not be written.
    #[error("could not write the cache index entry {path}; check free space and permissions")]
    Index {
        /// The index file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: io::Error,
    },
    /// The file to commit does not have the size the caller claims.
    #[error("{path} holds {actual} bytes, not the {expected} expected; download it again")]
    SizeMismatch {
        /// The file.
        path: PathBuf,
        /// The claimed size.
        expected: u64,
        /// The size on disk.
        actual: u64,
    },
    /// A digest that is not 64 lowercase hex digits.
    #[error("`{sha256}` is not a SHA-256 hex digest")]
    BadDigest {
        /// The rejected digest.
        sha256: String,
    },
}

/// One index entry: what a key resolved to.
#[derive(Debug, Serialize, Deserialize)]
struct IndexEntry {
    key: String,
    sha256: String,
    size: u64,
}

impl Cache {
    /// Opens (creating if needed) a cache at `dir`.
    pub fn open(dir: &Path) -> Result<Cache, CacheError> {
        let cache = Cache {
            dir: dir.to_path_buf(),
        };
        for sub in [
            cache.dir.join("blobs").join("sha256"),
            cache.dir.join("index"),
            cache.dir.join("partial"),
            cache.tmp_dir(),
        ] {
            create_dir(&sub)?;
        }
        Ok(cache)
    }

    /// A cache at `dir` as it is, creating nothing (for reading blobs only).
    pub fn at(dir: &Path) -> Cache {
        Cache {
            dir: dir.to_path_buf(),
        }
    }

    /// The default cache directory: the platform cache dir plus `ferry`.
    pub fn default_dir() -> PathBuf {
        dirs::cache_dir()
            .unwrap_or_else(std::env::temp_dir)
            .join("ferry")
    }

    /// The cache's root directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// What a download key resolved to before (key = stable identity of a
    /// remote file, e.g. asset API URL + id + size + updated_at). `None` if
    /// unknown, or if the blob is gone or has the wrong size.
    pub fn lookup(&self, key: &str) -> Option<CachedBlob> {
        let text = fs::read(self.index_path(key)).ok()?;
        let entry: IndexEntry = serde_json::from_slice(&text).ok()?;
        if entry.key != key || !is_sha256(&entry.sha256) {
            return None;
        }
        let path = self.blob_path(&entry.sha256);
        let meta = fs::metadata(&path).ok()?;
        (meta.is_file() && meta.len() == entry.size).then_some(CachedBlob {
            sha256: entry.sha256,
            size: entry.size,
            path,
        })
    }

    /// Where the blob with this SHA-256 lives: `blobs/sha256/ab/abcdef...`.
    pub fn blob_path(&self, sha256: &str) -> PathBuf {
        let fan = sha256.get(..2).unwrap_or("_");
        self.dir.join("blobs").join("sha256").join(fan).join(sha256)
    }

    /// Where the download of `key` is kept while in progress.
    pub fn partial_path(&self, key: &str) -> PathBuf {
        self.dir
            .join("partial")
            .join(format!("{}.partial", key_name(key)))
    }

    /// The lock file guarding the partial of `key` against concurrent writers.
    pub(crate) fn lock_path(&self, key: &str) -> PathBuf {
        self.dir
            .join("partial")
            .join(format!("{}.lock", key_name(key)))
    }

    /// Moves a finished partial into the blob store and records key -> blob.
    pub fn commit(
        &self,
        key: &str,
        partial: &Path,
        sha256: &str,
        size: u64,
    ) -> Result<CachedBlob, CacheError> {
        check_sha256(sha256)?;
        let actual = fs::metadata(partial)
            .map_err(|source| CacheError::Read {
                path: partial.to_path_buf(),
                source,
            })?
            .len();
        if actual != size {
            return Err(CacheError::SizeMismatch {
                path: partial.to_path_buf(),
                expected: size,
                actual,
            });
        }
        let blob = self.blob_path(sha256);
        let store_error = |source| CacheError::Store {
            from: partial.to_path_buf(),
            to: blob.clone(),
            source,
        };
        if self.has_blob(&blob, size) {
            fs::remove_file(partial).map_err(store_error)?;
        } else {
            create_dir(parent(&blob))?;
            fs::rename(partial, &blob).map_err(store_error)?;
        }
        self.record(key, sha256, size)
    }

    /// A new temporary file inside the cache, for content to [`Cache::commit`] later.
    pub fn temp_file(&self) -> io::Result<tempfile::NamedTempFile> {
        tempfile::NamedTempFile::new_in(self.tmp_dir())
    }

    /// Forgets what `key` resolved to (the blob itself stays for other keys).
    pub fn forget(&self, key: &str) {
        let _ = fs::remove_file(self.index_path(key));
    }

    /// Stores small in-memory content (guides, repo files) under a key.
    pub fn put_bytes(&self, key: &str, bytes: &[u8]) -> Result<CachedBlob, CacheError> {
        let sha256 = sha256_hex(bytes);
        let size = bytes.len() as u64;
        let blob = self.blob_path(&sha256);
        if !self.has_blob(&blob, size) {
            create_dir(parent(&blob))?;
            self.write_atomically(&blob, bytes)
                .map_err(|source| CacheError::Store {
                    from: PathBuf::from("<memory>"),
                    to: blob.clone(),
                    source,
                })?;
        }
        self.record(key, &sha256, size)
    }

    fn record(&self, key: &str, sha256: &str, size: u64) -> Result<CachedBlob, CacheError> {
        let entry = IndexEntry {
            key: key.to_string(),
            sha256: sha256.to_string(),
            size,
        };
        let path = self.index_path(key);
        let json = serde_json::to_vec_pretty(&entry).map_err(io::Error::other);
        json.and_then(|json| self.write_atomically(&path, &json))
            .map_err(|source| CacheError::Index { path, source })?;
        Ok(CachedBlob {
            sha256: entry.sha256,
            size,
            path: self.blob_path(sha256),
        })
    }

    /// Writes `bytes` to a temp file, syncs it, and renames it to `path`.
    fn write_atomically(&self, path: &Path, bytes: &[u8]) -> io::Result<()> {
        let mut file = self.temp_file()?;
        file.write_all(bytes)?;
        file.as_file().sync_all()?;
        file.persist(path).map_err(|e| e.error)?;
        Ok(())
    }

    fn has_blob(&self, blob: &Path, size: u64) -> bool {
        fs::metadata(blob).is_ok_and(|m| m.is_file() && m.len() == size)
    }

    fn index_path(&self, key: &str) -> PathBuf {
        self.dir
            .join("index")
            .join(format!("{}.json", key_name(key)))
    }

    fn tmp_dir(&self) -> PathBuf {
        self.dir.join("tmp")
    }
}

/// Lowercase hex SHA-256 of `bytes`.
pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Whether `s` is 64 lowercase hex digits.
pub(crate) fn is_sha256(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

fn check_sha256(sha256: &str) -> Result<(), CacheError> {
    if is_sha256(sha256) {
        Ok(())
    } else {
        Err(CacheError::BadDigest {
            sha256: sha256.to_string(),
        })
    }
}

/// A file-name-safe name for a key.
fn key_name(key: &str) -> String {
    sha256_hex(key.as_bytes())
}

fn parent(path: &Path) -> &Path {
    path.parent().unwrap_or(path)
}

fn create_dir(path: &Path) -> Result<(), CacheError> {
    fs::create_dir_all(path).map_err(|source| CacheError::CreateDir {
        path: path.to_path_buf(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn put_bytes_then_lookup_finds_the_blob() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::open(dir.path()).unwrap();
        assert_eq!(cache.lookup("guide"), None);
        let blob = cache.put_bytes("guide", b"hello").unwrap();
        assert_eq!(
            blob.sha256,
            "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
        );
        assert_eq!(fs::read(&blob.path).unwrap(), b"hello");
        assert!(blob.path.starts_with(dir.path().join("blobs/sha256/2c")));
        assert_eq!(cache.lookup("guide"), Some(blob.clone()));
        // A second key with the same content shares the blob.
        assert_eq!(cache.put_bytes("copy", b"hello").unwrap().path, blob.path);
        // Nothing is left in tmp/.
        assert_eq!(fs::read_dir(dir.path().join("tmp")).unwrap().count(), 0);
    }

    #[test]
    fn commit_moves_the_partial_and_checks_its_size() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::open(dir.path()).unwrap();
        let partial = cache.partial_path("asset");
        fs::write(&partial, b"hello").unwrap();
        let sha = sha256_hex(b"hello");
        let err = cache.commit("asset", &partial, &sha, 4).unwrap_err();
        assert!(matches!(err, CacheError::SizeMismatch { actual: 5, .. }));
        let err = cache.commit("asset", &partial, "../../etc", 5).unwrap_err();
        assert!(matches!(err, CacheError::BadDigest { .. }));
        let blob = cache.commit("asset", &partial, &sha, 5).unwrap();
        assert!(!partial.exists());
        assert_eq!(fs::read(&blob.path).unwrap(), b"hello");
        assert_eq!(cache.lookup("asset"), Some(blob));
    }

    #[test]
    fn lookup_ignores_gone_or_changed_blobs() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::open(dir.path()).unwrap();
        let blob = cache.put_bytes("k", b"content").unwrap();
        fs::write(&blob.path, b"short").unwrap();
        assert_eq!(cache.lookup("k"), None);
        fs::remove_file(&blob.path).unwrap();
        assert_eq!(cache.lookup("k"), None);
        fs::write(cache.index_path("k"), b"{not json").unwrap();
        assert_eq!(cache.lookup("k"), None);
    }
}
