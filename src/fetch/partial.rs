//! A download in progress on disk: the `.partial` file with its running
//! SHA-256, and the per-key lock that keeps a second writer (another task or
//! another ferry process) away from it.
//!
//! Deciding when to resume, restart or give up is left to `download`; where
//! the files live is decided by `cache`.

use sha2::{Digest, Sha256};
use std::fs::{File, OpenOptions, TryLockError};
use std::io::{self, SeekFrom};
use std::path::{Path, PathBuf};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncSeekExt, AsyncWriteExt};

/// How often a waiting download checks whether the lock holder finished.
const LOCK_POLL: Duration = Duration::from_millis(100);

/// Bytes read at a time when re-hashing an existing partial.
const REHASH_BUFFER: usize = 64 * 1024;

/// An open partial download and the hash of the bytes in it.
pub(crate) struct Partial {
    path: PathBuf,
    file: tokio::fs::File,
    hasher: Sha256,
    len: u64,
}

impl Partial {
    /// Opens (or creates) the partial, re-hashing what an earlier attempt left.
    pub(crate) async fn open(path: &Path) -> io::Result<Partial> {
        let mut file = tokio::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)
            .await?;
        let mut hasher = Sha256::new();
        let mut len = 0u64;
        let mut buffer = vec![0u8; REHASH_BUFFER];
        loop {
            let read = file.read(&mut buffer).await?;
            if read == 0 {
                break;
            }
            hasher.update(&buffer[..read]);
            len += read as u64;
        }
        // Reading to the end left the cursor where appending continues.
        Ok(Partial {
            path: path.to_path_buf(),
            file,
            hasher,
            len,
        })
    }

    /// Bytes in the partial.
    pub(crate) fn len(&self) -> u64 {
        self.len
    }

    /// Where it is.
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// Empties the partial, to start over.
    pub(crate) async fn reset(&mut self) -> io::Result<()> {
        self.file.flush().await?;
        self.file.set_len(0).await?;
        self.file.seek(SeekFrom::Start(0)).await?;
        self.hasher = Sha256::new();
        self.len = 0;
        Ok(())
    }

    /// Appends a chunk.
    pub(crate) async fn write(&mut self, chunk: &[u8]) -> io::Result<()> {
        self.file.write_all(chunk).await?;
        self.hasher.update(chunk);
        self.len += chunk.len() as u64;
        Ok(())
    }

    /// Hands buffered bytes to the OS (before a retry, so a crash keeps them).
    pub(crate) async fn flush(&mut self) -> io::Result<()> {
        self.file.flush().await
    }

    /// Syncs the file to disk and returns its hex SHA-256 and size.
    pub(crate) async fn finish(mut self) -> io::Result<(String, u64)> {
        self.file.flush().await?;
        self.file.sync_all().await?;
        Ok((hex::encode(self.hasher.finalize()), self.len))
    }
}

/// An exclusive lock on one key's partial. Released on drop, which also
/// removes the lock file: a finished download leaves no `.lock` behind.
pub(crate) struct KeyLock {
    held: Option<(File, PathBuf)>,
}

impl KeyLock {
    /// Waits until no one else holds the lock at `path`, then takes it.
    pub(crate) async fn acquire(path: PathBuf, label: &str) -> io::Result<KeyLock> {
        let mut told = false;
        loop {
            let attempt = path.clone();
            let taken = tokio::task::spawn_blocking(move || try_lock(&attempt))
                .await
                .map_err(io::Error::other)??;
            match taken {
                Attempt::Taken(lock) => return Ok(lock),
                // The holder removed the file we locked: try the new one at once.
                Attempt::Replaced => continue,
                Attempt::Busy => {}
            }
            if !told {
                tracing::info!(
                    label,
                    "another download of this file is running; waiting for it"
                );
                told = true;
            }
            tokio::time::sleep(LOCK_POLL).await;
        }
    }
}

impl Drop for KeyLock {
    fn drop(&mut self) {
        // Unlink while still holding the lock; a waiter that opened the old
        // file notices it is gone (see `try_lock`) and takes a new one.
        if let Some((_file, path)) = self.held.take() {
            let _ = std::fs::remove_file(path);
        }
    }
}

/// What one try at the lock gave.
enum Attempt {
    /// The lock is ours.
    Taken(KeyLock),
    /// Someone else holds it.
    Busy,
    /// We locked a file its holder had already removed; try again.
    Replaced,
}

/// Takes the lock if it is free. The locked file must still be the one at
/// `path`: a holder removes the file when it is done, so a lock on a file
/// opened just before that removal would guard nothing.
fn try_lock(path: &Path) -> io::Result<Attempt> {
    let file = OpenOptions::new()
        .create(true)
        .write(true)
        .truncate(false)
        .open(path)?;
    match file.try_lock() {
        Ok(()) => {
            if is_same_file(&file, path)? {
                Ok(Attempt::Taken(KeyLock {
                    held: Some((file, path.to_path_buf())),
                }))
            } else {
                Ok(Attempt::Replaced)
            }
        }
        Err(TryLockError::WouldBlock) => Ok(Attempt::Busy),
        Err(TryLockError::Error(error)) if error.kind() == io::ErrorKind::Unsupported => {
            tracing::warn!(path = %path.display(), "file locks are not supported here; concurrent ferry runs may collide");
            Ok(Attempt::Taken(KeyLock { held: None }))
        }
        Err(TryLockError::Error(error)) => Err(error),
    }
}

/// Is the open `file` the one `path` names now?
fn is_same_file(file: &File, path: &Path) -> io::Result<bool> {
    use std::os::unix::fs::MetadataExt as _;
    let open = file.metadata()?;
    match std::fs::metadata(path) {
        Ok(now) => Ok(open.dev() == now.dev() && open.ino() == now.ino()),
        Err(err) if err.kind() == io::ErrorKind::NotFound => Ok(false),
        Err(err) => Err(err),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn reopening_a_partial_continues_its_hash() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.partial");
        let mut partial = Partial::open(&path).await.unwrap();
        partial.write(b"hello ").await.unwrap();
        partial.flush().await.unwrap();
        drop(partial);
        let mut partial = Partial::open(&path).await.unwrap();
        assert_eq!(partial.len(), 6);
        partial.write(b"world").await.unwrap();
        let (sha, size) = partial.finish().await.unwrap();
        assert_eq!(size, 11);
        assert_eq!(sha, hex::encode(Sha256::digest(b"hello world")));
        assert_eq!(std::fs::read(&path).unwrap(), b"hello world");
    }

    #[tokio::test]
    async fn reset_empties_the_partial() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.partial");
        std::fs::write(&path, b"stale bytes").unwrap();
        let mut partial = Partial::open(&path).await.unwrap();
        partial.reset().await.unwrap();
        partial.write(b"new").await.unwrap();
        let (sha, size) = partial.finish().await.unwrap();
        assert_eq!((sha, size), (hex::encode(Sha256::digest(b"new")), 3));
        assert_eq!(std::fs::read(&path).unwrap(), b"new");
    }

    #[tokio::test]
    async fn a_held_lock_makes_the_second_taker_wait() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.lock");
        let first = KeyLock::acquire(path.clone(), "x").await.unwrap();
        assert!(matches!(try_lock(&path).unwrap(), Attempt::Busy));
        let waiter = tokio::spawn(KeyLock::acquire(path.clone(), "x"));
        tokio::time::sleep(Duration::from_millis(250)).await;
        assert!(!waiter.is_finished());
        drop(first);
        let second = tokio::time::timeout(Duration::from_secs(5), waiter).await;
        let second = second.unwrap().unwrap().unwrap();
        assert!(path.exists());
        drop(second);
        assert!(!path.exists(), "a released lock leaves no file behind");
    }
}
