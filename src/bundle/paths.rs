//! Which paths may appear in a bundle: relative, `/`-separated plain names,
//! and never one of the bundle's own metadata entries. The writer refuses to
//! pack such a manifest and the reader refuses to trust one; what to do with
//! a rejected path is theirs to decide.

use super::manifest::{Manifest, MANIFEST_NAME, SIGNATURE_NAME, SUMS_NAME, SUMS_SIGNATURE_NAME};
use std::collections::HashSet;

/// True when `path` is a safe relative bundle path: not empty, not absolute,
/// no backslash or control character, and every `/`-separated component a
/// plain name (not empty, `.` or `..`).
pub(crate) fn is_safe_path(path: &str) -> bool {
    !path.is_empty()
        && !path.contains('\\')
        && !path.chars().any(char::is_control)
        && path
            .split('/')
            .all(|part| !part.is_empty() && part != "." && part != "..")
}

/// True for the names of the bundle's metadata entries.
pub(crate) fn is_reserved(path: &str) -> bool {
    [
        MANIFEST_NAME,
        SIGNATURE_NAME,
        SUMS_NAME,
        SUMS_SIGNATURE_NAME,
    ]
    .contains(&path)
}

/// What is wrong with a manifest's file list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum PathProblem {
    /// A path that is not safe, or names a metadata entry.
    Unsafe(String),
    /// A path listed twice.
    Duplicate(String),
}

/// Checks every payload path of `manifest` is safe, not reserved and unique.
pub(crate) fn check_manifest_paths(manifest: &Manifest) -> Result<(), PathProblem> {
    let mut seen = HashSet::new();
    for file in manifest.files() {
        if !is_safe_path(&file.path) || is_reserved(&file.path) {
            return Err(PathProblem::Unsafe(file.path.clone()));
        }
        if !seen.insert(file.path.as_str()) {
            return Err(PathProblem::Duplicate(file.path.clone()));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_plain_relative_paths() {
        assert!(is_safe_path(
            "hops/1.2.2/assets/kyma-installer-cluster.yaml"
        ));
        assert!(is_safe_path("a"));
        assert!(is_safe_path("a..b/.hidden"));
    }

    #[test]
    fn rejects_climbing_absolute_and_odd_paths() {
        for bad in [
            "",
            "/etc/passwd",
            "../x",
            "a/../b",
            "a/./b",
            "./a",
            "a//b",
            "a/",
            "a\\b",
            "a\nb",
            ".",
            "..",
        ] {
            assert!(!is_safe_path(bad), "{bad:?} should be unsafe");
        }
    }
}
