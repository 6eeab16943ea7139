//! Write -> verify -> extract, determinism, and the unverified readers.

use super::fixtures::{sha256, Fixture, LONG_PATH};
use crate::bundle::manifest::{MANIFEST_NAME, SIGNATURE_NAME, SUMS_NAME, SUMS_SIGNATURE_NAME};
use crate::bundle::{
    read_payload_file, read_unverified, trusted_comment, verify_and_extract, verify_bundle,
    write_bundle, VerifyError, WriteOptions,
};

#[test]
fn written_bundle_verifies_with_its_key() {
    let fx = Fixture::new();
    let bundle = fx.write("b.tar.gz");
    let verified = verify_bundle(&bundle, &fx.public).unwrap();
    assert_eq!(verified.manifest, fx.manifest);
    assert_eq!(verified.signer.key_id, fx.public.key_id());
    assert_eq!(
        verified.signer.trusted_comment,
        "ferry bundle kyma 1.0.0 -> 1.1.0 (all) created 2020-09-13T12:26:40Z"
    );
    let total: u64 = fx.files.iter().map(|(_, d)| d.len() as u64).sum();
    assert_eq!(verified.payload_bytes, total);
}

#[test]
fn same_inputs_give_identical_bytes_and_summary_describes_them() {
    let fx = Fixture::new();
    let one = fx.path("one.tar.gz");
    let two = fx.path("two.tar.gz");
    let first = write_bundle(
        &fx.manifest,
        &fx.payload,
        &fx.key,
        &one,
        WriteOptions::default(),
    )
    .unwrap();
    // Payload order must not matter.
    let mut reversed = fx.payload.clone();
    reversed.reverse();
    let second = write_bundle(
        &fx.manifest,
        &reversed,
        &fx.key,
        &two,
        WriteOptions::default(),
    )
    .unwrap();
    let (a, b) = (std::fs::read(&one).unwrap(), std::fs::read(&two).unwrap());
    assert_eq!(a, b);
    assert_eq!(first, second);
    assert_eq!(first.bytes, a.len() as u64);
    assert_eq!(first.sha256, sha256(&a));
    assert_eq!(first.files, fx.files.len());
    // gzip header: no name flag, mtime 0.
    assert_eq!(&a[..2], &[0x1f, 0x8b]);
    assert_eq!(a[3] & 0x08, 0, "no file name in the gzip header");
    assert_eq!(&a[4..8], &[0, 0, 0, 0]);
}

#[test]
fn entries_have_fixed_order_and_metadata() {
    let fx = Fixture::new();
    let bundle = fx.write("b.tar.gz");
    let file = std::fs::File::open(&bundle).unwrap();
    let mut archive = tar::Archive::new(flate2::read::MultiGzDecoder::new(file));
    let mut names = Vec::new();
    for entry in archive.entries().unwrap() {
        let entry = entry.unwrap();
        let header = entry.header();
        assert_eq!(header.mode().unwrap(), 0o644);
        assert_eq!(header.uid().unwrap(), 0);
        assert_eq!(header.gid().unwrap(), 0);
        assert_eq!(header.mtime().unwrap(), 1_600_000_000);
        assert_eq!(header.username().unwrap(), Some(""));
        names.push(String::from_utf8(entry.path_bytes().into_owned()).unwrap());
    }
    let mut payload: Vec<String> = fx.files.iter().map(|(p, _)| p.clone()).collect();
    payload.sort();
    let mut expected = vec![
        MANIFEST_NAME.to_string(),
        SIGNATURE_NAME.into(),
        SUMS_NAME.into(),
        SUMS_SIGNATURE_NAME.into(),
    ];
    expected.extend(payload);
    assert_eq!(names, expected);
}

#[test]
fn extract_leaves_exact_files_only_after_verifying() {
    let fx = Fixture::new();
    let bundle = fx.write("b.tar.gz");
    let dest = fx.path("out");
    let verified = verify_and_extract(&bundle, &fx.public, &dest).unwrap();
    assert_eq!(verified.manifest, fx.manifest);
    for (path, data) in &fx.files {
        assert_eq!(&std::fs::read(dest.join(path)).unwrap(), data, "{path}");
    }
    assert_eq!(
        std::fs::read(dest.join(MANIFEST_NAME)).unwrap(),
        fx.manifest.to_json()
    );
    assert_eq!(
        std::fs::read_to_string(dest.join(SUMS_NAME)).unwrap(),
        fx.manifest.sha256sums()
    );
    assert!(dest.join(SIGNATURE_NAME).is_file());
    assert!(dest.join(SUMS_SIGNATURE_NAME).is_file());
    // No temporary directory is left next to dest.
    let leftovers: Vec<_> = std::fs::read_dir(fx.dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with(".ferry"))
        .collect();
    assert!(leftovers.is_empty());
}

#[test]
fn extract_into_an_empty_directory_works_but_not_into_a_used_one() {
    let fx = Fixture::new();
    let bundle = fx.write("b.tar.gz");
    let empty = fx.path("empty");
    std::fs::create_dir(&empty).unwrap();
    verify_and_extract(&bundle, &fx.public, &empty).unwrap();
    assert!(empty.join(LONG_PATH).is_file());
    let err = verify_and_extract(&bundle, &fx.public, &empty).unwrap_err();
    assert!(
        matches!(err, VerifyError::DestinationExists { .. }),
        "{err:?}"
    );
}

#[test]
fn failed_extract_leaves_nothing_behind() {
    let fx = Fixture::new();
    let bundle = fx.write("b.tar.gz");
    let other = Fixture::new();
    let dest = fx.path("out");
    let err = verify_and_extract(&bundle, &other.public, &dest).unwrap_err();
    assert!(matches!(err, VerifyError::UntrustedKey { .. }), "{err:?}");
    assert!(!dest.exists());
    let names: Vec<String> = std::fs::read_dir(fx.dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(names.iter().all(|n| !n.starts_with(".ferry")), "{names:?}");
}

#[test]
fn unverified_readers_show_manifest_signature_and_files() {
    let fx = Fixture::new();
    let bundle = fx.write("b.tar.gz");
    let (manifest, signature) = read_unverified(&bundle).unwrap();
    assert_eq!(manifest, fx.manifest);
    let signature = signature.unwrap();
    assert_eq!(signature.key_id, fx.public.key_id());
    assert_eq!(signature.trusted_comment, trusted_comment(&fx.manifest));
    let (path, data) = &fx.files[1];
    assert_eq!(&read_payload_file(&bundle, path).unwrap(), data);
    assert_eq!(
        read_payload_file(&bundle, LONG_PATH).unwrap(),
        b"# Migrate 1.0 to 1.1\n"
    );
    let err = read_payload_file(&bundle, "hops/9.9.9/nothing").unwrap_err();
    assert!(matches!(err, VerifyError::UnexpectedFile { .. }), "{err:?}");
}

#[test]
fn trusted_comment_is_one_line() {
    let mut fx = Fixture::new();
    fx.manifest.product = "evil\nproduct".into();
    let comment = trusted_comment(&fx.manifest);
    assert_eq!(
        comment,
        "ferry bundle evil product 1.0.0 -> 1.1.0 (all) created 2020-09-13T12:26:40Z"
    );
    // And such a manifest still makes a verifiable bundle.
    let bundle = fx.write("b.tar.gz");
    let verified = verify_bundle(&bundle, &fx.public).unwrap();
    assert_eq!(verified.signer.trusted_comment, comment);
}
