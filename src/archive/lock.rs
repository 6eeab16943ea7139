//! The archive lock: `DIR/.lock`, created exclusively and holding the pid of
//! the mirror run that writes the archive. A lock whose pid is dead is stale
//! and taken over. Released (deleted) on drop.

use super::ArchiveError;
use std::fs::{self, OpenOptions};
use std::io::{ErrorKind, Write};
use std::path::{Path, PathBuf};

/// A held archive lock.
#[derive(Debug)]
pub struct ArchiveLock {
    path: PathBuf,
}

impl ArchiveLock {
    /// Takes the lock of the archive at `root`, or says who holds it.
    pub fn acquire(root: &Path) -> Result<ArchiveLock, ArchiveError> {
        let path = root.join(".lock");
        let io_error = |source| ArchiveError::Io {
            path: path.clone(),
            source,
        };
        for _ in 0..2 {
            match OpenOptions::new().write(true).create_new(true).open(&path) {
                Ok(mut file) => {
                    writeln!(file, "{}", std::process::id()).map_err(io_error)?;
                    return Ok(ArchiveLock { path });
                }
                Err(err) if err.kind() == ErrorKind::AlreadyExists => {
                    let holder = fs::read_to_string(&path).unwrap_or_default();
                    let pid = holder.trim().to_string();
                    if is_alive(&pid) {
                        return Err(ArchiveError::Locked { path, pid });
                    }
                    tracing::warn!("taking over the stale archive lock of pid {pid}");
                    match fs::remove_file(&path) {
                        Ok(()) => {}
                        Err(err) if err.kind() == ErrorKind::NotFound => {}
                        Err(err) => return Err(io_error(err)),
                    }
                }
                Err(err) => return Err(io_error(err)),
            }
        }
        let pid = fs::read_to_string(&path).unwrap_or_default();
        Err(ArchiveError::Locked {
            path,
            pid: pid.trim().to_string(),
        })
    }
}

impl Drop for ArchiveLock {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.path);
    }
}

/// Whether `pid` names a running process (a lock being written counts as alive).
fn is_alive(pid: &str) -> bool {
    match pid.parse::<u32>() {
        Ok(pid) => crate::process::is_running(pid),
        // Empty: the holder has created the file but not yet written its pid.
        Err(_) => pid.is_empty(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_live_lock_refuses_and_a_dead_one_is_taken_over() {
        let dir = tempfile::tempdir().unwrap();
        let lock = ArchiveLock::acquire(dir.path()).unwrap();
        let err = ArchiveLock::acquire(dir.path()).unwrap_err();
        assert!(
            matches!(err, ArchiveError::Locked { ref pid, .. } if *pid == std::process::id().to_string())
        );
        drop(lock);
        assert!(!dir.path().join(".lock").exists());
        // A pid far above pid_max is never alive.
        fs::write(dir.path().join(".lock"), "4999999\n").unwrap();
        let _lock = ArchiveLock::acquire(dir.path()).unwrap();
        let held = fs::read_to_string(dir.path().join(".lock")).unwrap();
        assert_eq!(held.trim(), std::process::id().to_string());
    }
}
