//! `ferry mirror verify`: re-hash every blob of an archive and check that
//! every index entry points at a present blob with the recorded content.
//! Reading only; printing the problems is `cli`'s job.

use super::{Archive, ArchiveError};
use crate::bundle::hashing::Hashing;
use std::collections::HashMap;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// One thing wrong with an archive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The release whose index names the file, if any.
    pub release: Option<String>,
    /// The file (`asset NAME`, `guide NAME (BRANCH)`, or a blob path).
    pub file: String,
    /// What is wrong.
    pub problem: String,
}

/// What a verification found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VerifyReport {
    /// Blobs re-hashed.
    pub blobs: usize,
    /// Releases whose index was checked.
    pub releases: usize,
    /// Index entries checked.
    pub entries: usize,
    /// Everything wrong, by release and file.
    pub problems: Vec<Problem>,
}

/// Re-hashes every blob of the archive at `root` and checks every index entry.
pub fn verify(root: &Path) -> Result<VerifyReport, ArchiveError> {
    let (archive, _) = Archive::open_existing(root)?;
    let hashes = hash_blobs(&root.join("blobs").join("sha256"))?;
    let mut report = VerifyReport {
        blobs: hashes.len(),
        ..VerifyReport::default()
    };
    for (path, actual) in &hashes {
        let named = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if named != actual {
            report.problems.push(Problem {
                release: None,
                file: path.display().to_string(),
                problem: format!(
                    "content hashes to {actual}, not its name; mirror again to replace it"
                ),
            });
        }
    }
    let releases = archive.releases()?;
    report.releases = releases.len();
    for release in &releases {
        for (file, stored) in release.stored_files() {
            report.entries += 1;
            let path = archive.blob_path(stored);
            let problem = match hashes.get(&path) {
                None => Some(format!("blob {} is missing", stored.blob)),
                Some(actual) if *actual != stored.sha256 => Some(format!(
                    "blob {} hashes to {actual}, not the recorded {}",
                    stored.blob, stored.sha256
                )),
                Some(_) if archive.cache().blob_path(&stored.sha256) != path => Some(format!(
                    "recorded at {}, not where sha256 {} belongs",
                    stored.blob, stored.sha256
                )),
                Some(_) => None,
            };
            if let Some(problem) = problem {
                report.problems.push(Problem {
                    release: Some(release.tag.clone()),
                    file,
                    problem,
                });
            }
        }
    }
    Ok(report)
}

/// SHA-256 of every file under `blobs/sha256/<fan>/`, by path.
fn hash_blobs(dir: &Path) -> Result<HashMap<PathBuf, String>, ArchiveError> {
    let mut hashes = HashMap::new();
    for fan in list(dir)? {
        if !fan.is_dir() {
            continue;
        }
        for blob in list(&fan)? {
            let io_error = |source| ArchiveError::Io {
                path: blob.clone(),
                source,
            };
            let file = fs::File::open(&blob).map_err(io_error)?;
            let mut hashing = Hashing::new(file);
            io::copy(&mut hashing, &mut io::sink()).map_err(io_error)?;
            let (_, sha256, _) = hashing.finish();
            hashes.insert(blob, sha256);
        }
    }
    Ok(hashes)
}

fn list(dir: &Path) -> Result<Vec<PathBuf>, ArchiveError> {
    let io_error = |source| ArchiveError::Io {
        path: dir.to_path_buf(),
        source,
    };
    let mut paths = Vec::new();
    match fs::read_dir(dir) {
        Ok(entries) => {
            for entry in entries {
                paths.push(entry.map_err(io_error)?.path());
            }
        }
        Err(err) if err.kind() == io::ErrorKind::NotFound => {}
        Err(err) => return Err(io_error(err)),
    }
    paths.sort();
    Ok(paths)
}
