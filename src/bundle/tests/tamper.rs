//! Malicious and damaged bundles, each rejected with its own error.

use super::fixtures::{craft, write_crafted, Fixture, Raw};
use crate::bundle::manifest::{MANIFEST_NAME, SIGNATURE_NAME, SUMS_NAME};
use crate::bundle::sign;
use crate::bundle::{verify_and_extract, verify_bundle, VerifyError};
use tar::EntryType;

/// Crafts `entries`, verifies them, and checks extraction agrees and leaves nothing.
fn check(fx: &Fixture, entries: &[Raw]) -> Result<(), VerifyError> {
    let bundle = write_crafted(fx.dir.path(), "crafted.tar.gz", &craft(entries));
    let verdict = verify_bundle(&bundle, &fx.public).map(|_| ());
    let dest = fx.path("dest");
    let extracted = verify_and_extract(&bundle, &fx.public, &dest);
    assert_eq!(verdict.is_ok(), extracted.is_ok());
    if verdict.is_err() {
        assert!(!dest.exists(), "failed extraction must leave nothing");
    } else {
        std::fs::remove_dir_all(&dest).unwrap();
    }
    verdict
}

/// The index of the payload entry `n` (after manifest, signature, sums).
const FIRST_PAYLOAD: usize = 4;

#[test]
fn crafted_copy_of_a_good_bundle_verifies() {
    let fx = Fixture::new();
    check(&fx, &fx.entries()).unwrap();
    // Directory entries with safe paths are tolerated.
    let mut entries = fx.entries();
    entries.insert(
        FIRST_PAYLOAD,
        Raw::special("hops/", EntryType::Directory, None),
    );
    check(&fx, &entries).unwrap();
}

#[test]
fn altered_manifest_fails_the_signature() {
    let fx = Fixture::new();
    let mut entries = fx.entries();
    let json = String::from_utf8(entries[0].data.clone()).unwrap();
    entries[0].data = json.replace("\"kyma\"", "\"kymb\"").into_bytes();
    let err = check(&fx, &entries).unwrap_err();
    assert!(matches!(err, VerifyError::BadSignature), "{err:?}");
    assert!(err.to_string().contains("re-download"));
}

#[test]
fn missing_signature_is_reported() {
    let fx = Fixture::new();
    let mut entries = fx.entries();
    entries.remove(1);
    let err = check(&fx, &entries).unwrap_err();
    assert!(matches!(err, VerifyError::MissingSignature), "{err:?}");
    let err = check(&fx, &entries[..1]).unwrap_err();
    assert!(matches!(err, VerifyError::MissingSignature), "{err:?}");
}

#[test]
fn sha256sums_must_carry_a_valid_signature_of_this_manifest() {
    let fx = Fixture::new();
    // A bundle of an older ferry: no SHA256SUMS.minisig.
    let mut entries = fx.entries();
    entries.remove(3);
    let err = check(&fx, &entries).unwrap_err();
    assert!(matches!(err, VerifyError::MissingSumsSignature), "{err:?}");
    assert!(err.to_string().contains("older ferry"), "{err}");
    // The manifest's signature where the checksum list's belongs.
    let mut entries = fx.entries();
    entries[3].data = entries[1].data.clone();
    let err = check(&fx, &entries).unwrap_err();
    assert!(matches!(err, VerifyError::BadSumsSignature), "{err:?}");
    // A valid signature of these checksums, but made for another manifest.
    let mut entries = fx.entries();
    let sums = entries[2].data.clone();
    let other = sign::sign(&fx.key, &sums, "ferry bundle kyma 1.0.0 -> 1.1.0 (all)").unwrap();
    entries[3].data = other.into_bytes();
    let err = check(&fx, &entries).unwrap_err();
    assert!(matches!(err, VerifyError::BadSumsSignature), "{err:?}");
    // The checksum list must come third, its signature fourth.
    let mut entries = fx.entries();
    entries.swap(2, 3);
    let err = check(&fx, &entries).unwrap_err();
    assert!(matches!(err, VerifyError::MissingFiles { .. }), "{err:?}");
}

#[test]
fn another_key_is_untrusted() {
    let fx = Fixture::new();
    let bundle = fx.write("b.tar.gz");
    let stranger = Fixture::new();
    match verify_bundle(&bundle, &stranger.public).unwrap_err() {
        VerifyError::UntrustedKey { expected, found } => {
            assert_eq!(expected, stranger.public.key_id());
            assert_eq!(found, fx.public.key_id());
        }
        err => panic!("unexpected {err:?}"),
    }
}

#[test]
fn changed_file_fails_its_hash() {
    let fx = Fixture::new();
    let mut entries = fx.entries();
    let target = &mut entries[FIRST_PAYLOAD];
    target.data[0] ^= 0xff;
    let path = target.path.clone();
    match check(&fx, &entries).unwrap_err() {
        VerifyError::HashMismatch {
            path: p,
            expected,
            actual,
        } => {
            assert_eq!(p, path);
            assert_ne!(expected, actual);
        }
        err => panic!("unexpected {err:?}"),
    }
}

#[test]
fn missing_file_is_listed() {
    let fx = Fixture::new();
    let mut entries = fx.entries();
    let removed = entries.remove(FIRST_PAYLOAD + 1).path;
    let err = check(&fx, &entries).unwrap_err();
    assert!(
        matches!(&err, VerifyError::MissingFiles { paths } if paths == &vec![removed.clone()]),
        "{err:?}"
    );
    let mut entries = fx.entries();
    entries.remove(2);
    let err = check(&fx, &entries).unwrap_err();
    assert!(
        matches!(&err, VerifyError::MissingFiles { paths } if paths == &vec![SUMS_NAME.to_string()]),
        "{err:?}"
    );
}

#[test]
fn extra_file_is_unexpected() {
    let fx = Fixture::new();
    let mut entries = fx.entries();
    entries.push(Raw::file(
        "hops/1.1.0/assets/bonus.yaml",
        b"kind: Evil\n".to_vec(),
    ));
    let err = check(&fx, &entries).unwrap_err();
    assert!(
        matches!(&err, VerifyError::UnexpectedFile { path } if path == "hops/1.1.0/assets/bonus.yaml"),
        "{err:?}"
    );
}

#[test]
fn unsafe_paths_are_refused() {
    let fx = Fixture::new();
    for bad in [
        "/etc/passwd",
        "../escape",
        "hops/../../escape",
        "hops\\x",
        "./manifest",
    ] {
        let mut entries = fx.entries();
        entries.insert(FIRST_PAYLOAD, Raw::file(bad, b"x".to_vec()));
        let err = check(&fx, &entries).unwrap_err();
        assert!(
            matches!(&err, VerifyError::UnsafePath { path } if path == bad),
            "{bad}: {err:?}"
        );
    }
    let mut entries = fx.entries();
    entries.insert(
        FIRST_PAYLOAD,
        Raw::special("../up/", EntryType::Directory, None),
    );
    let err = check(&fx, &entries).unwrap_err();
    assert!(matches!(err, VerifyError::UnsafePath { .. }), "{err:?}");
}

#[test]
fn links_and_devices_are_not_files() {
    let fx = Fixture::new();
    let cases = [
        (
            Raw::special("hops/link", EntryType::Symlink, Some("/etc/passwd")),
            "symlink",
        ),
        (
            Raw::special("hops/hard", EntryType::Link, Some(MANIFEST_NAME)),
            "hard link",
        ),
        (
            Raw::special("hops/tty", EntryType::Char, None),
            "character device",
        ),
        (Raw::special("hops/fifo", EntryType::Fifo, None), "fifo"),
    ];
    for (raw, kind) in cases {
        let mut entries = fx.entries();
        entries.insert(FIRST_PAYLOAD, raw.clone());
        match check(&fx, &entries).unwrap_err() {
            VerifyError::NotRegularFile { path, kind: k } => {
                assert_eq!(path, raw.path);
                assert_eq!(k, kind);
            }
            err => panic!("{kind}: unexpected {err:?}"),
        }
    }
}

#[test]
fn duplicates_are_refused() {
    let fx = Fixture::new();
    let mut entries = fx.entries();
    entries.push(entries[FIRST_PAYLOAD].clone());
    let err = check(&fx, &entries).unwrap_err();
    assert!(matches!(err, VerifyError::DuplicateEntry { .. }), "{err:?}");
    let mut entries = fx.entries();
    entries.push(entries[0].clone());
    let err = check(&fx, &entries).unwrap_err();
    assert!(
        matches!(&err, VerifyError::DuplicateEntry { path } if path == MANIFEST_NAME),
        "{err:?}"
    );
}

#[test]
fn wrong_sums_are_refused() {
    let fx = Fixture::new();
    let mut entries = fx.entries();
    entries[2].data[0] = if entries[2].data[0] == b'0' {
        b'1'
    } else {
        b'0'
    };
    let err = check(&fx, &entries).unwrap_err();
    assert!(matches!(err, VerifyError::SumsMismatch), "{err:?}");
}

#[test]
fn truncated_bundle_is_truncated() {
    let fx = Fixture::new();
    let bundle = std::fs::read(fx.write("b.tar.gz")).unwrap();
    for keep in [bundle.len() / 2, bundle.len() - 4] {
        let cut = write_crafted(fx.dir.path(), "cut.tar.gz", &bundle[..keep]);
        let err = verify_bundle(&cut, &fx.public).unwrap_err();
        assert!(matches!(err, VerifyError::Truncated), "{keep}: {err:?}");
    }
}

#[test]
fn header_larger_than_manifest_size_is_stopped_before_reading() {
    let fx = Fixture::new();
    let mut entries = fx.entries();
    let expected = entries[FIRST_PAYLOAD].data.len() as u64;
    entries[FIRST_PAYLOAD].size = Some(1 << 40);
    let path = entries[FIRST_PAYLOAD].path.clone();
    match check(&fx, &entries).unwrap_err() {
        VerifyError::SizeMismatch {
            path: p,
            expected: e,
            actual,
        } => {
            assert_eq!(p, path);
            assert_eq!(e, expected);
            assert_eq!(actual, 1 << 40);
        }
        err => panic!("unexpected {err:?}"),
    }
}

#[test]
fn data_beyond_the_declared_size_is_a_bomb() {
    let fx = Fixture::new();
    let bytes = {
        let mut tar = tar::Builder::new(Vec::new());
        for raw in fx.entries() {
            let mut header = tar::Header::new_gnu();
            header.set_size(raw.data.len() as u64);
            header.set_mode(0o644);
            tar.append_data(&mut header, &raw.path, raw.data.as_slice())
                .unwrap();
        }
        let mut plain = tar.into_inner().unwrap();
        // 3 MiB of zeros after the end-of-archive marker compress to almost nothing.
        plain.resize(plain.len() + 3 * 1024 * 1024, 0);
        crate::bundle::gzip::compress_member(&plain, 6).unwrap()
    };
    assert!(bytes.len() < 64 * 1024, "{}", bytes.len());
    let bundle = write_crafted(fx.dir.path(), "bomb.tar.gz", &bytes);
    let err = verify_bundle(&bundle, &fx.public).unwrap_err();
    match err {
        VerifyError::TooLarge { limit } => assert!(limit < 2 * 1024 * 1024, "{limit}"),
        err => panic!("unexpected {err:?}"),
    }
}

#[test]
fn other_files_are_not_bundles() {
    let fx = Fixture::new();
    let mut entries = fx.entries();
    entries.swap(0, 1);
    let err = check(&fx, &entries).unwrap_err();
    assert!(matches!(err, VerifyError::NotABundle), "{err:?}");
    let empty = craft(&[]);
    let path = write_crafted(fx.dir.path(), "empty.tar.gz", &empty);
    let err = verify_bundle(&path, &fx.public).unwrap_err();
    assert!(matches!(err, VerifyError::NotABundle), "{err:?}");
    let junk = write_crafted(fx.dir.path(), "junk", b"this is not gzip at all");
    let err = verify_bundle(&junk, &fx.public).unwrap_err();
    assert!(matches!(err, VerifyError::NotABundle), "{err:?}");
    // Damage inside the compressed stream, after the manifest, is corruption.
    let mut damaged = std::fs::read(fx.write("b.tar.gz")).unwrap();
    let middle = damaged.len() / 2;
    for byte in &mut damaged[middle..middle + 64] {
        *byte ^= 0x5a;
    }
    let damaged = write_crafted(fx.dir.path(), "damaged.tar.gz", &damaged);
    let err = verify_bundle(&damaged, &fx.public).unwrap_err();
    assert!(
        matches!(
            err,
            VerifyError::Corrupt(_)
                | VerifyError::BadSignature
                | VerifyError::HashMismatch { .. }
                | VerifyError::GzipDamaged { .. }
                | VerifyError::GzipTrailer { .. }
        ),
        "{err:?}"
    );
    let err = verify_bundle(&fx.path("absent.tar.gz"), &fx.public).unwrap_err();
    assert!(matches!(err, VerifyError::NotFound { .. }), "{err:?}");
    let err = verify_bundle(fx.dir.path(), &fx.public).unwrap_err();
    assert!(matches!(err, VerifyError::IsDirectory { .. }), "{err:?}");
}

#[test]
fn signature_entry_must_be_small() {
    let fx = Fixture::new();
    let mut entries = fx.entries();
    entries[1] = Raw::file(SIGNATURE_NAME, vec![b'x'; 64 * 1024]);
    let err = check(&fx, &entries).unwrap_err();
    assert!(
        matches!(err, VerifyError::TooLarge { limit: 16384 }),
        "{err:?}"
    );
}
