//! Atomic output files: write to a temporary file next to the target, fsync,
//! then rename over the target. Until [`AtomicFile::commit`] succeeds the
//! target is untouched, and a dropped `AtomicFile` removes its temporary.
//!
//! What goes into the file is the caller's business.

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

/// A temporary file that becomes `target` on commit.
pub(crate) struct AtomicFile {
    temp: NamedTempFile,
    target: PathBuf,
}

impl AtomicFile {
    /// Creates the temporary file in `target`'s directory.
    pub(crate) fn create(target: &Path) -> io::Result<AtomicFile> {
        let temp = tempfile::Builder::new()
            .prefix(".ferry-")
            .suffix(".partial")
            .tempfile_in(parent_dir(target))?;
        Ok(AtomicFile {
            temp,
            target: target.to_path_buf(),
        })
    }

    /// The open temporary file.
    pub(crate) fn file(&mut self) -> &mut File {
        self.temp.as_file_mut()
    }

    /// Sets `mode`, fsyncs, renames over the target and fsyncs the directory.
    pub(crate) fn commit(self, mode: u32, overwrite: Overwrite) -> io::Result<()> {
        let file = self.temp.as_file();
        file.set_permissions(std::fs::Permissions::from_mode(mode))?;
        file.sync_all()?;
        match overwrite {
            Overwrite::Replace => self.temp.persist(&self.target).map_err(|e| e.error)?,
            Overwrite::Refuse => self
                .temp
                .persist_noclobber(&self.target)
                .map_err(|e| e.error)?,
        };
        // The rename is durable once the directory is; failing to sync it
        // (some filesystems refuse) does not undo the rename.
        if let Ok(dir) = File::open(parent_dir(&self.target)) {
            let _ = dir.sync_all();
        }
        Ok(())
    }
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
