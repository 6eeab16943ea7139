//! Reusing compressed payload between bundles: the writer may keep each
//! payload file's gzip members in a [`MemberStore`], keyed by the file's
//! content hash and the compression settings, and copy them into the next
//! bundle instead of compressing the same bytes again.
//!
//! The store only keeps bytes; it is trusted for nothing. Every stored
//! member sequence carries the SHA-256 of its own bytes, and the writer
//! checks it while copying. Where the bytes live (ferry's download cache)
//! is the caller's choice.

use std::io;
use std::path::PathBuf;

/// A stored member sequence: where it is and what it must hash to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredMembers {
    /// The file holding the concatenated members.
    pub path: PathBuf,
    /// Lower-case hex SHA-256 of that file.
    pub sha256: String,
    /// Its size in bytes.
    pub size: u64,
}

/// Somewhere to keep compressed payload members between runs.
pub trait MemberStore {
    /// The members stored under `key`, if any.
    fn find(&self, key: &str) -> Option<StoredMembers>;
    /// A new, empty temporary file to write members into before [`MemberStore::keep`].
    fn temp_file(&self) -> io::Result<tempfile::NamedTempFile>;
    /// Moves the finished temporary file into the store under `key`.
    fn keep(&self, key: &str, file: tempfile::TempPath, sha256: &str, size: u64) -> io::Result<()>;
    /// Drops what is stored under `key` (its bytes did not match their hash).
    fn forget(&self, key: &str);
}

/// The store key of the members of content `sha256` (`size` bytes) when
/// cut into `chunk`-byte pieces compressed at `level`.
pub(crate) fn member_key(sha256: &str, size: u64, level: u32, chunk: usize) -> String {
    format!("gzip-members:v1:level{level}:chunk{chunk}:{sha256}:{size}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_differ_by_content_size_and_settings() {
        let a = member_key("ab", 10, 6, 1024);
        assert_ne!(a, member_key("ac", 10, 6, 1024));
        assert_ne!(a, member_key("ab", 11, 6, 1024));
        assert_ne!(a, member_key("ab", 10, 9, 1024));
        assert_ne!(a, member_key("ab", 10, 6, 2048));
        assert_eq!(a, member_key("ab", 10, 6, 1024));
    }
}
