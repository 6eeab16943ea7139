//! The writer refuses inconsistent inputs and never leaves partial output.

use super::fixtures::Fixture;
use crate::bundle::{write_bundle, BundleError, PayloadFile, WriteOptions};
use std::path::Path;

fn dir_names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn payload_with_wrong_hash_is_refused_and_leaves_no_output() {
    let fx = Fixture::new();
    // Same size, different content.
    std::fs::write(&fx.payload[1].source, vec![7u8; fx.files[1].1.len()]).unwrap();
    let before = dir_names(fx.dir.path());
    let out = fx.path("b.tar.gz");
    let err = write_bundle(
        &fx.manifest,
        &fx.payload,
        &fx.key,
        &out,
        WriteOptions::default(),
    )
    .unwrap_err();
    match &err {
        BundleError::HashMismatch {
            path,
            expected,
            actual,
            ..
        } => {
            assert_eq!(path, &fx.files[1].0);
            assert_eq!(expected, &fx.manifest.hops[0].files[0].sha256);
            assert_ne!(expected, actual);
        }
        other => panic!("unexpected {other:?}"),
    }
    assert!(err.to_string().contains("re-fetch"));
    assert!(!out.exists());
    assert_eq!(dir_names(fx.dir.path()), before, "no temp file left");
}

#[test]
fn failed_write_keeps_an_existing_output() {
    let fx = Fixture::new();
    let out = fx.write("b.tar.gz");
    let good = std::fs::read(&out).unwrap();
    std::fs::write(&fx.payload[0].source, b"changed\n").unwrap();
    let err = write_bundle(
        &fx.manifest,
        &fx.payload,
        &fx.key,
        &out,
        WriteOptions::default(),
    )
    .unwrap_err();
    assert!(
        matches!(
            err,
            BundleError::SizeMismatch {
                expected: 16,
                actual: 8,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(std::fs::read(&out).unwrap(), good);
}

#[test]
fn payload_must_match_the_manifest_file_list() {
    let fx = Fixture::new();
    let out = fx.path("b.tar.gz");

    let mut missing = fx.payload.clone();
    let dropped = missing.remove(2);
    let err = write_bundle(
        &fx.manifest,
        &missing,
        &fx.key,
        &out,
        WriteOptions::default(),
    )
    .unwrap_err();
    assert!(
        matches!(&err, BundleError::MissingPayload { paths } if paths == &vec![dropped.path.clone()]),
        "{err:?}"
    );

    let mut extra = fx.payload.clone();
    extra.push(PayloadFile {
        path: "hops/1.1.0/assets/extra.yaml".into(),
        source: fx.payload[0].source.clone(),
    });
    let err =
        write_bundle(&fx.manifest, &extra, &fx.key, &out, WriteOptions::default()).unwrap_err();
    assert!(matches!(err, BundleError::UnknownPayload { .. }), "{err:?}");

    let mut twice = fx.payload.clone();
    twice.push(fx.payload[0].clone());
    let err =
        write_bundle(&fx.manifest, &twice, &fx.key, &out, WriteOptions::default()).unwrap_err();
    assert!(matches!(err, BundleError::DuplicatePath { .. }), "{err:?}");
    assert!(!out.exists());
}

#[test]
fn manifest_paths_must_be_safe() {
    for bad in ["../escape", "/abs", "SHA256SUMS", "a/./b"] {
        let mut fx = Fixture::new();
        fx.manifest.hops[0].files[0].path = bad.into();
        fx.payload[1].path = bad.into();
        let out = fx.path("b.tar.gz");
        let err = write_bundle(
            &fx.manifest,
            &fx.payload,
            &fx.key,
            &out,
            WriteOptions::default(),
        )
        .unwrap_err();
        assert!(
            matches!(err, BundleError::UnsafePath { .. }),
            "{bad}: {err:?}"
        );
        assert!(!out.exists());
    }
}

#[test]
fn unreadable_source_names_the_source() {
    let fx = Fixture::new();
    let mut payload = fx.payload.clone();
    payload[0].source = fx.path("does-not-exist");
    let err = write_bundle(
        &fx.manifest,
        &payload,
        &fx.key,
        &fx.path("b.tar.gz"),
        WriteOptions::default(),
    )
    .unwrap_err();
    assert!(
        matches!(&err, BundleError::Io { path, .. } if path == &fx.path("does-not-exist")),
        "{err:?}"
    );
}
