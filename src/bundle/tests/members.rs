//! Multi-member gzip and reuse of stored members: what `tar` and ferry's
//! reader make of big files, and what the writer does with a member store.

use super::fixtures::{sha256, Fixture};
use crate::bundle::manifest::SUMS_NAME;
use crate::bundle::{
    verify_bundle, write_bundle, BundleError, MemberStore, StoredMembers, WriteOptions,
};
use std::cell::RefCell;
use std::collections::HashMap;
use std::io::Read;
use std::path::Path;
use std::process::Command;
use tempfile::TempDir;

/// A member store in a temp dir, remembering keys in memory.
struct DirStore {
    dir: TempDir,
    index: RefCell<HashMap<String, StoredMembers>>,
}

impl DirStore {
    fn new() -> DirStore {
        DirStore {
            dir: tempfile::tempdir().unwrap(),
            index: RefCell::default(),
        }
    }

    fn stored(&self) -> Vec<StoredMembers> {
        self.index.borrow().values().cloned().collect()
    }
}

impl MemberStore for DirStore {
    fn find(&self, key: &str) -> Option<StoredMembers> {
        self.index.borrow().get(key).cloned()
    }

    fn temp_file(&self) -> std::io::Result<tempfile::NamedTempFile> {
        tempfile::NamedTempFile::new_in(self.dir.path())
    }

    fn keep(
        &self,
        key: &str,
        file: tempfile::TempPath,
        sha256: &str,
        size: u64,
    ) -> std::io::Result<()> {
        let path = self.dir.path().join(sha256);
        file.persist(&path).map_err(|e| e.error)?;
        let stored = StoredMembers {
            path,
            sha256: sha256.to_string(),
            size,
        };
        self.index.borrow_mut().insert(key.to_string(), stored);
        Ok(())
    }

    fn forget(&self, key: &str) {
        self.index.borrow_mut().remove(key);
    }
}

/// Options that use `store`.
fn with(store: &DirStore) -> WriteOptions<'_> {
    WriteOptions {
        store: Some(store),
        progress: None,
        replace: false,
    }
}

/// YAML-like text of `len` bytes.
fn yaml(len: usize, seed: u32) -> Vec<u8> {
    ferry_sandbox::github::synthetic_yaml(&format!("members-{seed}"), len)
}

/// Two files well over one member each, and two small ones.
fn big_fixture() -> Fixture {
    Fixture::with_files(vec![
        ("base/1.0.0/assets/a.yaml", yaml(2_500_000, 1)),
        ("hops/1.1.0/assets/b.yaml", yaml(1_048_576, 2)),
        ("hops/1.1.0/assets/small.yaml", yaml(1000, 3)),
        ("hops/1.1.0/notes/RELEASE.md", b"# 1.1.0\n".to_vec()),
    ])
}

/// How many gzip members the file holds.
fn members(path: &Path) -> usize {
    let bytes = std::fs::read(path).unwrap();
    let mut rest = &bytes[..];
    let mut count = 0;
    while !rest.is_empty() {
        let mut decoder = flate2::bufread::GzDecoder::new(rest);
        std::io::copy(&mut decoder, &mut std::io::sink()).unwrap();
        rest = decoder.into_inner();
        count += 1;
    }
    count
}

#[test]
fn big_files_become_several_members_that_tar_and_ferry_read() {
    let fx = big_fixture();
    let bundle = fx.write("b.tar.gz");
    // Content: 3 + 1 + 1 + 1 pieces; 4 header groups; 1 end marker.
    assert_eq!(members(&bundle), 11);
    let verified = verify_bundle(&bundle, &fx.public).unwrap();
    assert_eq!(verified.manifest, fx.manifest);

    let x = fx.path("x");
    std::fs::create_dir(&x).unwrap();
    let tar = Command::new("tar")
        .arg("xzf")
        .arg(&bundle)
        .current_dir(&x)
        .status()
        .unwrap();
    assert!(tar.success());
    let sums = Command::new("sha256sum")
        .args(["-c", "--strict", SUMS_NAME])
        .current_dir(&x)
        .output()
        .unwrap();
    assert!(sums.status.success(), "{sums:?}");
    let mut big = Vec::new();
    std::fs::File::open(x.join("base/1.0.0/assets/a.yaml"))
        .unwrap()
        .read_to_end(&mut big)
        .unwrap();
    assert!(big == fx.files[0].1);
}

#[test]
fn stored_members_are_reused_without_reading_the_files_again() {
    let fx = big_fixture();
    let plain = fx.write("plain.tar.gz");
    let store = DirStore::new();
    let first = fx.path("first.tar.gz");
    write_bundle(&fx.manifest, &fx.payload, &fx.key, &first, with(&store)).unwrap();
    // Only the two big files are worth keeping.
    assert_eq!(store.stored().len(), 2);
    // Gone from disk: the next bundle can only have copied them.
    std::fs::remove_file(&fx.payload[0].source).unwrap();
    std::fs::remove_file(&fx.payload[1].source).unwrap();
    let second = fx.path("second.tar.gz");
    let seen = RefCell::new(Vec::new());
    let progress = |done, total| seen.borrow_mut().push((done, total));
    let options = WriteOptions {
        progress: Some(&progress),
        ..with(&store)
    };
    let summary = write_bundle(&fx.manifest, &fx.payload, &fx.key, &second, options).unwrap();
    assert_eq!(summary.reused, 2);
    let seen = seen.into_inner();
    let total: u64 = fx.files.iter().map(|(_, d)| d.len() as u64).sum();
    assert_eq!(seen.last(), Some(&(total, total)));
    assert!(seen.windows(2).all(|w| w[0].0 <= w[1].0), "{seen:?}");

    let bytes = std::fs::read(&second).unwrap();
    assert!(bytes == std::fs::read(&plain).unwrap());
    assert!(bytes == std::fs::read(&first).unwrap());
    assert_eq!(summary.sha256, sha256(&bytes));
    verify_bundle(&second, &fx.public).unwrap();
}

#[test]
fn damaged_stored_members_fail_the_bundle_and_are_dropped() {
    let fx = big_fixture();
    let store = DirStore::new();
    let good = fx.path("good.tar.gz");
    write_bundle(&fx.manifest, &fx.payload, &fx.key, &good, with(&store)).unwrap();
    let damaged = store.stored()[0].clone();
    let mut bytes = std::fs::read(&damaged.path).unwrap();
    bytes[100] ^= 0x55;
    std::fs::write(&damaged.path, bytes).unwrap();

    let out = fx.path("out.tar.gz");
    let err = write_bundle(&fx.manifest, &fx.payload, &fx.key, &out, with(&store)).unwrap_err();
    assert!(matches!(err, BundleError::DamagedMembers { .. }), "{err}");
    assert!(err.to_string().contains("damaged"), "{err}");
    assert!(!out.exists(), "no partial bundle is left behind");
    assert_eq!(store.stored().len(), 1, "the damaged entry is forgotten");

    write_bundle(&fx.manifest, &fx.payload, &fx.key, &out, with(&store)).unwrap();
    assert!(std::fs::read(&out).unwrap() == std::fs::read(&good).unwrap());
}
