//! This process and others on the host: whether a pid is running, and the
//! files to remove if this process is interrupted.
//!
//! Writers register their temporary files here while they exist; the CLI's
//! signal handler calls [`remove_interrupted`] before exiting on SIGINT or
//! SIGTERM, when no destructor runs. Deciding what is temporary is the
//! writers' business.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

/// Temporary files to remove if the process is interrupted.
static TEMPORARY: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// Whether a process with this pid runs on this host.
pub fn is_running(pid: u32) -> bool {
    Path::new("/proc").join(pid.to_string()).exists()
}

/// The registry of temporary files, locked. Holding it keeps the signal
/// handler from removing a file while its writer renames it into place.
pub(crate) fn temporary_files() -> MutexGuard<'static, Vec<PathBuf>> {
    TEMPORARY
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Forgets `path` (renamed into place, or removed by its writer).
pub(crate) fn forget_temporary(files: &mut Vec<PathBuf>, path: &Path) {
    files.retain(|registered| registered != path);
}

/// Removes every registered temporary file; for the signal handler, right
/// before the process exits. The registry stays locked, so no writer can
/// commit a file afterwards.
pub fn remove_interrupted() -> MutexGuard<'static, Vec<PathBuf>> {
    let mut files = temporary_files();
    for path in files.drain(..) {
        let _ = std::fs::remove_file(&path);
    }
    files
}
