//! Hostile archives: headers that rename or resize entries for other tools,
//! entry kinds ferry never writes, paths that collide on some filesystems,
//! deep or huge manifests and decompression bombs. Each is refused early,
//! with its own error, without reading (or inflating) what it declares.

use super::fixtures::{craft, write_crafted, Fixture, Raw, LONG_PATH};
use crate::bundle::manifest::{MANIFEST_NAME, SIGNATURE_NAME};
use crate::bundle::reader::MANIFEST_CAP;
use crate::bundle::{read_unverified, sign, verify_bundle, VerifyError};
use flate2::{Compress, Compression, FlushCompress};
use tar::EntryType;

/// Index of the first payload entry (after manifest, signature, sums, sums signature).
const FIRST_PAYLOAD: usize = 4;

/// Verifies crafted `entries`, which must be refused within a few seconds.
fn refuse(fx: &Fixture, entries: &[Raw]) -> VerifyError {
    let bundle = write_crafted(fx.dir.path(), "hostile.tar.gz", &craft(entries));
    refused(|| verify_bundle(&bundle, &fx.public).map(drop))
}

/// Runs `verify`, which must fail. How early it stops is asserted through
/// what each refusal reports (the limit a bomb hit, the header that was
/// refused), never by timing: machines here are shared.
fn refused(verify: impl FnOnce() -> Result<(), VerifyError>) -> VerifyError {
    verify().expect_err("a hostile bundle must be refused")
}

/// A raw extension record (PAX, long name, ...) carrying `data`.
fn record(name: &str, kind: EntryType, data: &[u8]) -> Raw {
    let mut raw = Raw::special(name, kind, None);
    raw.data = data.to_vec();
    raw
}

/// One PAX record `key=value`, with its length prefix.
fn pax(key: &str, value: &str) -> Vec<u8> {
    let body = format!(" {key}={value}\n");
    let mut len = body.len() + 1;
    while len != body.len() + len.to_string().len() {
        len = body.len() + len.to_string().len();
    }
    format!("{len}{body}").into_bytes()
}

/// The entries of `fx` with payload file `path` renamed to `to` in its header.
fn rename(fx: &Fixture, path: &str, to: &str) -> (Vec<Raw>, usize) {
    let mut entries = fx.entries();
    let index = entries.iter().position(|raw| raw.path == path).unwrap();
    entries[index].path = to.to_string();
    (entries, index)
}

#[test]
fn pax_headers_are_refused_whatever_they_say() {
    let fx = Fixture::new();
    let target = "hops/1.1.0/notes/RELEASE.md";
    for (kind, name, label) in [
        (EntryType::XHeader, "PaxHeaders/x", "PAX extended header"),
        (
            EntryType::XGlobalHeader,
            "pax_global_header",
            "PAX global header",
        ),
    ] {
        // A PAX `path` that renames the next entry after the fact, and a PAX
        // `size` that would resize it for readers that honour PAX.
        for data in [pax("path", target), pax("size", "999999")] {
            let (mut entries, index) = rename(&fx, target, "hops/1.1.0/notes/OTHER.md");
            entries.insert(index, record(name, kind, &data));
            match refuse(&fx, &entries) {
                VerifyError::UnsupportedHeader {
                    kind, name: found, ..
                } => {
                    assert_eq!(kind, label);
                    assert_eq!(found, name);
                }
                err => panic!("{label}: unexpected {err:?}"),
            }
        }
    }
    // The message says what it is and what to do.
    let mut entries = fx.entries();
    entries.insert(
        1,
        record(
            "PaxHeaders/x",
            EntryType::XHeader,
            &pax("path", SIGNATURE_NAME),
        ),
    );
    let err = refuse(&fx, &entries).to_string();
    assert!(
        err.contains("PAX extended header") && err.contains("do not use"),
        "{err}"
    );
}

#[test]
fn gnu_long_names_may_not_rename_an_entry() {
    let fx = Fixture::new();
    let long_name = |name: &str| {
        let mut data = name.as_bytes().to_vec();
        data.push(0);
        record("././@LongLink", EntryType::GNULongName, &data)
    };
    // A long name whose header names something else: other tools disagree.
    let (mut entries, index) = rename(&fx, LONG_PATH, "hops/1.1.0/evil.md");
    entries.insert(index, long_name(LONG_PATH));
    match refuse(&fx, &entries) {
        VerifyError::LongNameMismatch { long, short, .. } => {
            assert_eq!(long, LONG_PATH);
            assert_eq!(short, "hops/1.1.0/evil.md");
        }
        err => panic!("unexpected {err:?}"),
    }
    // A long name for a path that fits the header: ferry never writes one.
    let target = "hops/1.1.0/notes/RELEASE.md";
    let (mut entries, index) = rename(&fx, target, "hops/1.1.0/notes/R");
    entries.insert(index, long_name(target));
    assert!(
        matches!(refuse(&fx, &entries), VerifyError::UnsupportedHeader { kind, .. } if kind.contains("long name")),
    );
    // Two long names for one entry, and one with nothing after it.
    let mut entries = fx.entries();
    let index = entries
        .iter()
        .position(|raw| raw.path == LONG_PATH)
        .unwrap();
    entries.insert(index, long_name(LONG_PATH));
    entries.insert(index, long_name(LONG_PATH));
    assert!(matches!(
        refuse(&fx, &entries),
        VerifyError::UnsupportedHeader {
            kind: "second GNU long name for one entry",
            ..
        }
    ));
    let mut entries = fx.entries();
    entries.push(long_name(LONG_PATH));
    assert!(matches!(
        refuse(&fx, &entries),
        VerifyError::UnsupportedHeader {
            kind: "GNU long name with no entry after it",
            ..
        }
    ));
    // A long name declaring a terabyte is refused by its size, unread.
    let mut entries = fx.entries();
    let mut huge = long_name(LONG_PATH);
    huge.size = Some(1 << 40);
    huge.data.clear();
    entries.insert(FIRST_PAYLOAD, huge);
    assert!(matches!(
        refuse(&fx, &entries),
        VerifyError::UnsupportedHeader {
            kind: "GNU long name longer than 4096 bytes",
            ..
        }
    ));
    // A long link name (for links, which ferry never writes).
    let mut entries = fx.entries();
    entries.insert(
        FIRST_PAYLOAD,
        record("././@LongLink", EntryType::GNULongLink, b"/etc/passwd\0"),
    );
    assert!(matches!(
        refuse(&fx, &entries),
        VerifyError::UnsupportedHeader {
            kind: "GNU long link name",
            ..
        }
    ));
}

#[test]
fn sparse_entries_are_not_files() {
    let fx = Fixture::new();
    let target = "hops/1.1.0/notes/RELEASE.md";
    let mut entries = fx.entries();
    let index = entries.iter().position(|raw| raw.path == target).unwrap();
    entries[index].kind = EntryType::GNUSparse;
    match refuse(&fx, &entries) {
        VerifyError::NotRegularFile { path, kind } => {
            assert_eq!(path, target);
            assert_eq!(kind, "sparse file");
        }
        err => panic!("unexpected {err:?}"),
    }
}

/// A fixture whose signed manifest lists both paths.
fn colliding(first: &str, second: &str) -> VerifyError {
    let fx = Fixture::with_files(vec![
        ("base/1.0.0/assets/base.yaml", b"base\n".to_vec()),
        (first, b"one\n".to_vec()),
        (second, b"two\n".to_vec()),
    ]);
    let err = refuse(&fx, &fx.entries());
    // The writer refuses to make such a bundle in the first place.
    let written = crate::bundle::write_bundle(
        &fx.manifest,
        &fx.payload,
        &fx.key,
        &fx.path("w.tar.gz"),
        crate::bundle::WriteOptions::default(),
    );
    assert!(matches!(
        written,
        Err(crate::bundle::BundleError::PathCollision { .. })
    ));
    err
}

#[test]
fn paths_differing_in_case_or_normalisation_are_refused() {
    for (first, second) in [
        ("hops/1.1.0/assets/a.yaml", "hops/1.1.0/assets/A.yaml"),
        ("hops/1.1.0/Assets/a.yaml", "hops/1.1.0/assets/a.yaml"),
        // "é" precomposed (NFC) and decomposed (NFD).
        ("hops/1.1.0/caf\u{e9}.md", "hops/1.1.0/cafe\u{301}.md"),
    ] {
        match colliding(first, second) {
            VerifyError::PathCollision {
                first: a,
                second: b,
            } => {
                let mut pair = [a, b];
                pair.sort();
                let mut expected = [first.to_string(), second.to_string()];
                expected.sort();
                assert_eq!(pair, expected);
            }
            err => panic!("{first} / {second}: unexpected {err:?}"),
        }
    }
}

/// An error and its causes, as one line.
fn chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        text = format!("{text}: {cause}");
        source = cause.source();
    }
    text
}

/// The entries of `fx` with the manifest replaced by `json`, signed.
fn with_manifest(fx: &Fixture, json: Vec<u8>) -> Vec<Raw> {
    let mut entries = fx.entries();
    let signature = sign::sign(&fx.key, &json, "ferry bundle kyma 1.0.0 -> 1.1.0 (all)").unwrap();
    entries[0].data = json;
    entries[1].data = signature.into_bytes();
    entries
}

#[test]
fn a_deeply_nested_signed_manifest_is_a_clear_error() {
    let fx = Fixture::new();
    let depth = 100_000;
    let deep = |open: &str, close: &str| format!("{}1{}", open.repeat(depth), close.repeat(depth));
    for json in [
        deep("[", "]"),
        deep("{\"a\":", "}"),
        // Deep where an unknown field is skipped, and where a step is read.
        format!("{{\"unknown\":{}}}", deep("[", "]")),
        format!("{{\"hops\":[{{\"steps\":{}}}]}}", deep("[", "]")),
    ] {
        let json = json.into_bytes();
        let entries = with_manifest(&fx, json);
        let err = refuse(&fx, &entries);
        assert!(matches!(err, VerifyError::Manifest(_)), "{err:?}");
        let chain = chain(&err);
        assert!(chain.contains("not a valid ferry manifest"), "{chain}");
        let bundle = write_crafted(fx.dir.path(), "deep.tar.gz", &craft(&entries));
        assert!(matches!(
            read_unverified(&bundle),
            Err(VerifyError::Manifest(_))
        ));
    }
}

#[test]
fn a_huge_manifest_is_refused_by_its_declared_size() {
    let fx = Fixture::new();
    let mut entries = fx.entries();
    // Declares 100 MB but carries none of it: nothing is read before the refusal.
    entries[0].size = Some(100 * 1024 * 1024);
    entries[0].data.clear();
    entries.truncate(1);
    let err = refuse(&fx, &entries);
    assert!(
        matches!(err, VerifyError::TooLarge { limit } if limit == MANIFEST_CAP),
        "{err:?}"
    );
    assert_eq!(fx.entries()[0].path, MANIFEST_NAME);
}

/// Raw deflate data of `mib` MiB of zeros, made by repeating one fully
/// flushed block of 1 MiB (about 1 KiB compressed), and a final empty block.
fn zeros_deflate(mib: usize) -> Vec<u8> {
    let mut compress = Compress::new(Compression::best(), false);
    let mut chunk = Vec::with_capacity(64 * 1024);
    compress
        .compress_vec(&vec![0u8; 1 << 20], &mut chunk, FlushCompress::Full)
        .unwrap();
    let mut out = Vec::with_capacity(chunk.len() * mib + 2);
    for _ in 0..mib {
        out.extend_from_slice(&chunk);
    }
    // A final fixed-Huffman block holding only its end-of-block code.
    out.extend_from_slice(&[0x03, 0x00]);
    out
}

#[test]
fn a_gzip_bomb_is_stopped_at_the_declared_size() {
    let fx = Fixture::new();
    // The real archive, then one member of a few MiB that inflates to
    // 4 GiB of zeros (deflate's ratio is at most ~1000:1), far more than
    // the manifest declares.
    let mut bytes = craft(&fx.entries());
    let tar_end = bytes.len();
    bytes.extend_from_slice(&crate::bundle::gzip::HEADER);
    bytes.extend(zeros_deflate(4096));
    // The trailer is never reached; it only has to be there.
    bytes.extend_from_slice(&[0; 8]);
    assert!(bytes.len() - tar_end < 8 * 1024 * 1024, "{}", bytes.len());
    let bundle = write_crafted(fx.dir.path(), "bomb.tar.gz", &bytes);
    match refused(|| verify_bundle(&bundle, &fx.public).map(drop)) {
        VerifyError::TooLarge { limit } => assert!(limit < 2 * 1024 * 1024, "{limit}"),
        err => panic!("unexpected {err:?}"),
    }
    // The same bomb in place of the whole archive: stopped by the head limit.
    let mut bytes = crate::bundle::gzip::HEADER.to_vec();
    bytes.extend(zeros_deflate(4096));
    bytes.extend_from_slice(&[0; 8]);
    let bundle = write_crafted(fx.dir.path(), "bomb2.tar.gz", &bytes);
    let err = refused(|| verify_bundle(&bundle, &fx.public).map(drop));
    assert!(matches!(err, VerifyError::NotABundle), "{err:?}");
}

#[test]
fn data_hidden_in_the_padding_after_an_entry_is_refused() {
    let fx = Fixture::tiny();
    let tar = super::fixtures::inflate(&std::fs::read(fx.write("good.tar.gz")).unwrap());
    // The manifest's content starts after its header; its last block is
    // padded with zeros, which tar (and ferry before) skipped unread.
    let manifest_size = fx.manifest.to_json().len();
    assert_ne!(manifest_size % 512, 0, "the manifest needs padding");
    let hidden = 512 + manifest_size;
    let mut doctored = tar.clone();
    doctored[hidden..hidden + 6].copy_from_slice(b"secret");
    let bytes = crate::bundle::gzip::compress_member(&doctored, 6).unwrap();
    let bundle = write_crafted(fx.dir.path(), "padded.tar.gz", &bytes);
    match refused(|| verify_bundle(&bundle, &fx.public).map(drop)) {
        VerifyError::NonZeroPadding { offset } => assert_eq!(offset, hidden as u64),
        err => panic!("unexpected {err:?}"),
    }
    // The same archive with its padding intact verifies.
    let clean = crate::bundle::gzip::compress_member(&tar, 6).unwrap();
    let bundle = write_crafted(fx.dir.path(), "clean.tar.gz", &clean);
    verify_bundle(&bundle, &fx.public).unwrap();
}

#[test]
fn a_signature_with_changed_unsigned_lines_is_refused() {
    let fx = Fixture::tiny();
    let tar = super::fixtures::inflate(&std::fs::read(fx.write("good.tar.gz")).unwrap());
    // The untrusted comment of manifest.json.minisig: minisign does not
    // sign it, so only ferry's own check can notice a change.
    let at = tar
        .windows(b"untrusted comment: ".len())
        .position(|w| w == b"untrusted comment: ")
        .unwrap();
    for (offset, change) in [(at + 19, b'S'), (at + 20, b'I')] {
        let mut doctored = tar.clone();
        doctored[offset] = change;
        let bytes = crate::bundle::gzip::compress_member(&doctored, 6).unwrap();
        let bundle = write_crafted(fx.dir.path(), "comment.tar.gz", &bytes);
        match refused(|| verify_bundle(&bundle, &fx.public).map(drop)) {
            VerifyError::SignatureNotCanonical { name } => assert_eq!(name, SIGNATURE_NAME),
            err => panic!("unexpected {err:?}"),
        }
    }
}
