//! Atomic output files: write to a temporary file next to the target, fsync,
//! then rename over the target. Until [`AtomicFile::commit`] succeeds the
//! target is untouched, and a dropped `AtomicFile` removes its temporary.
//! The temporary is `.ferry-<pid>-XXXXXX.partial`, registered with
//! `process` so a SIGINT or SIGTERM removes it too; [`sweep_stale`] removes
//! those whose writer died some other way (`kill -9`, a crash).
//!
//! What goes into the file is the caller's business.

use crate::process;
use std::fs::File;
use std::io;
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use tempfile::NamedTempFile;

/// What to do when the target already exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Overwrite {
    /// Fail with `ErrorKind::AlreadyExists`.
    Refuse,
    /// Replace it.
    Replace,
}

/// Name prefix of every temporary output file.
const TEMP_PREFIX: &str = ".ferry-";
/// Name suffix of every temporary output file.
const TEMP_SUFFIX: &str = ".partial";

/// A temporary file that becomes `target` on commit.
pub(crate) struct AtomicFile {
    temp: Option<NamedTempFile>,
    target: PathBuf,
}

impl AtomicFile {
    /// Creates the temporary file in `target`'s directory.
    pub(crate) fn create(target: &Path) -> io::Result<AtomicFile> {
        let mut registry = process::temporary_files();
        let temp = tempfile::Builder::new()
            .prefix(&format!("{TEMP_PREFIX}{}-", std::process::id()))
            .suffix(TEMP_SUFFIX)
            .tempfile_in(parent_dir(target))?;
        registry.push(temp.path().to_path_buf());
        Ok(AtomicFile {
            temp: Some(temp),
            target: target.to_path_buf(),
        })
    }

    /// The open temporary file.
    pub(crate) fn file(&mut self) -> &mut File {
        match self.temp.as_mut() {
            Some(temp) => temp.as_file_mut(),
            None => unreachable!("an AtomicFile has its temporary until commit or drop"),
        }
    }

    /// Sets `mode`, fsyncs, renames over the target and fsyncs the directory.
    pub(crate) fn commit(mut self, mode: u32, overwrite: Overwrite) -> io::Result<()> {
        let Some(temp) = self.temp.take() else {
            return Err(io::Error::other("the temporary file is gone"));
        };
        let file = temp.as_file();
        file.set_permissions(std::fs::Permissions::from_mode(mode))?;
        file.sync_all()?;
        // Renamed under the registry's lock: an interrupting signal either
        // removes the temporary before the rename or finds it renamed.
        let mut registry = process::temporary_files();
        process::forget_temporary(&mut registry, temp.path());
        match overwrite {
            Overwrite::Replace => temp.persist(&self.target).map_err(|e| e.error)?,
            Overwrite::Refuse => temp.persist_noclobber(&self.target).map_err(|e| e.error)?,
        };
        drop(registry);
        // The rename is durable once the directory is; failing to sync it
        // (some filesystems refuse) does not undo the rename.
        if let Ok(dir) = File::open(parent_dir(&self.target)) {
            let _ = dir.sync_all();
        }
        Ok(())
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if let Some(temp) = self.temp.take() {
            let mut registry = process::temporary_files();
            process::forget_temporary(&mut registry, temp.path());
            drop(temp);
        }
    }
}

/// Removes the temporary output files in `dir` left by writers that are
/// gone: named with the pid of a process that no longer runs. Files of
/// running writers (this one included) are left alone. Returns what was
/// removed.
pub(crate) fn sweep_stale(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut removed = Vec::new();
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name.to_str().and_then(temp_owner) else {
            continue;
        };
        if pid != std::process::id()
            && !process::is_running(pid)
            && std::fs::remove_file(entry.path()).is_ok()
        {
            removed.push(entry.path());
        }
    }
    removed
}

/// The writer's pid in a temporary file name `.ferry-<pid>-XXXXXX.partial`.
fn temp_owner(name: &str) -> Option<u32> {
    let rest = name.strip_prefix(TEMP_PREFIX)?.strip_suffix(TEMP_SUFFIX)?;
    let (pid, random) = rest.split_once('-')?;
    (!random.is_empty()).then_some(())?;
    pid.parse().ok()
}

/// Writes `data` to `path` atomically with permissions `mode`.
pub(crate) fn write_atomic(
    path: &Path,
    data: &[u8],
    mode: u32,
    overwrite: Overwrite,
) -> io::Result<()> {
    let mut file = AtomicFile::create(path)?;
    io::Write::write_all(file.file(), data)?;
    file.commit(mode, overwrite)
}

/// The directory a path lives in (`.` for a bare file name).
pub(crate) fn parent_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temporary_names_carry_the_writer_pid() {
        assert_eq!(temp_owner(".ferry-4242-AbC123.partial"), Some(4242));
        assert_eq!(temp_owner(".ferry-AbC123.partial"), None);
        assert_eq!(temp_owner(".ferry-4242-.partial"), None);
        assert_eq!(temp_owner("ferry-4242-AbC123.partial"), None);
        assert_eq!(temp_owner(".ferry-4242-AbC123.tmp"), None);
    }

    #[test]
    fn only_temporaries_of_dead_writers_are_swept() {
        let dir = tempfile::tempdir().unwrap();
        let mine = AtomicFile::create(&dir.path().join("out")).unwrap();
        // Pid 0 is never a process in /proc.
        let dead = dir.path().join(".ferry-0-dead00.partial");
        let other = dir.path().join("keep.partial");
        std::fs::write(&dead, b"x").unwrap();
        std::fs::write(&other, b"x").unwrap();
        assert_eq!(sweep_stale(dir.path()), vec![dead.clone()]);
        assert!(!dead.exists() && other.exists());
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 2);
        drop(mine);
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
