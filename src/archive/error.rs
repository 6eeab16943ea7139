//! Why an archive operation failed.

use crate::source::github::SourceError;
use std::path::PathBuf;

/// Why an archive could not be written, read or used.
#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    /// The blob store failed.
    #[error(transparent)]
    Cache(#[from] crate::fetch::CacheError),
    /// A download failed.
    #[error(transparent)]
    Fetch(#[from] crate::fetch::FetchError),
    /// Reading from GitHub failed.
    #[error(transparent)]
    Source(Box<SourceError>),
    /// A file of the archive could not be read or written.
    #[error("cannot read or write {path}; check free space and permissions")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// An index file is not valid JSON of the expected shape.
    #[error("{path} is not a valid archive index; run `ferry mirror verify` and mirror again")]
    BadIndex {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: serde_json::Error,
    },
    /// The directory holds no archive.
    #[error("{dir} is not a ferry archive (no archive.json); create one with `ferry mirror --dest {dir}`")]
    NotAnArchive {
        /// The directory.
        dir: PathBuf,
    },
    /// The archive mirrors another repository.
    #[error("{dir} archives {found}, not {wanted}; use another --dest or the matching --profile")]
    WrongRepo {
        /// The archive.
        dir: PathBuf,
        /// What it holds.
        found: String,
        /// What the profile wants.
        wanted: String,
    },
    /// Another mirror run holds the lock.
    #[error("another `ferry mirror` (pid {pid}) is writing this archive; wait for it to finish, or delete {path} if that process is gone")]
    Locked {
        /// The lock file.
        path: PathBuf,
        /// The holder.
        pid: String,
    },
    /// Something a bundle needs is not in the archive.
    #[error("{what} is not in the archive {dir}; mirror it first (without an --assets or --since filter that leaves it out)")]
    NotArchived {
        /// The missing file.
        what: String,
        /// The archive.
        dir: PathBuf,
    },
    /// `--assets` is not a glob.
    #[error("--assets `{pattern}` is not a valid glob")]
    BadGlob {
        /// The pattern.
        pattern: String,
        /// The cause.
        #[source]
        source: globset::Error,
    },
}

impl From<SourceError> for ArchiveError {
    fn from(err: SourceError) -> Self {
        ArchiveError::Source(Box::new(err))
    }
}
