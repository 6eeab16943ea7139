//! Which paths may appear in a bundle: relative, `/`-separated plain names,
//! never one of the bundle's own metadata entries, and no two that a
//! case-insensitive or normalising filesystem would take for one. The writer refuses to
//! pack such a manifest and the reader refuses to trust one; what to do with
//! a rejected path is theirs to decide.

use super::manifest::{Manifest, MANIFEST_NAME, SIGNATURE_NAME, SUMS_NAME, SUMS_SIGNATURE_NAME};
use std::collections::HashMap;
use unicode_normalization::UnicodeNormalization as _;

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
    /// Two paths equal after case folding and NFC normalisation: the first
    /// listed, then the second.
    Collision(String, String),
}

/// `path` as a case-insensitive, normalising filesystem sees it: NFC,
/// lower case, NFC again (lower-casing can denormalise).
pub(crate) fn folded(path: &str) -> String {
    let lower = path.nfc().collect::<String>().to_lowercase();
    lower.nfc().collect()
}

/// Checks every payload path of `manifest` is safe, not reserved and
/// unique, also after case folding and Unicode normalisation.
pub(crate) fn check_manifest_paths(manifest: &Manifest) -> Result<(), PathProblem> {
    let mut seen: HashMap<String, &str> = HashMap::new();
    for file in manifest.files() {
        let key = folded(&file.path);
        let reserved = is_reserved(&file.path)
            || [
                MANIFEST_NAME,
                SIGNATURE_NAME,
                SUMS_NAME,
                SUMS_SIGNATURE_NAME,
            ]
            .iter()
            .any(|name| folded(name) == key);
        if !is_safe_path(&file.path) || reserved {
            return Err(PathProblem::Unsafe(file.path.clone()));
        }
        if let Some(first) = seen.insert(key, &file.path) {
            if first == file.path {
                return Err(PathProblem::Duplicate(file.path.clone()));
            }
            return Err(PathProblem::Collision(first.to_string(), file.path.clone()));
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
    fn folding_joins_case_and_normalisation_variants() {
        // "é" precomposed (NFC) and as e + combining acute (NFD).
        assert_eq!(folded("hops/caf\u{e9}.md"), folded("hops/cafe\u{301}.md"));
        assert_eq!(folded("Hops/A.yaml"), folded("hops/a.yaml"));
        assert_ne!(folded("hops/a.yaml"), folded("hops/b.yaml"));
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
