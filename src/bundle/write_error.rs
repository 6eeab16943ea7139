//! Why a bundle could not be written; each message says what to do. The
//! variants come from `writer` and `packer`; the output is untouched in
//! every case.

use super::sign::SignError;
use std::io;
use std::path::PathBuf;

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
    /// Two paths that are one on a case-insensitive or normalising filesystem.
    #[error("{first} and {second} differ only in letter case or Unicode normalisation; rename one, since on a case-insensitive filesystem one would overwrite the other")]
    PathCollision {
        /// The path listed first.
        first: String,
        /// The path that collides with it.
        second: String,
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
    /// Stored compressed members that do not match their hash.
    #[error("the stored compressed copy of {path} ({file}) is damaged; ferry dropped it, so a second attempt compresses the file afresh")]
    DamagedMembers {
        /// Bundle path.
        path: String,
        /// The stored file.
        file: PathBuf,
    },
    /// The output exists and the caller did not ask to replace it.
    #[error("{path} already exists; pass --force to replace it or pick another name")]
    OutputExists {
        /// The output file.
        path: PathBuf,
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
