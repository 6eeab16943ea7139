//! The bundle reader: the whole verify path (gzip members, tar headers,
//! signatures, manifest, payload hashes) on arbitrary bytes and on
//! mutations of a real bundle, at the gzip level and below it.

use super::{apply, edits, runner};
use crate::bundle::gzip::{compress_member, HEADER};
use crate::bundle::tests::fixtures::{inflate, verdict, Fixture};
use proptest::collection::vec;
use proptest::prelude::*;

#[test]
fn fuzz_verify_arbitrary_bytes() {
    let fx = Fixture::tiny();
    // Raw bytes stop at the gzip magic; behind ferry's own header they
    // reach the inflater.
    let input = (any::<bool>(), vec(any::<u8>(), 0..4096));
    runner(128)
        .run(&input, |(behind_header, tail)| {
            let bytes = match behind_header {
                true => [&HEADER[..], &tail].concat(),
                false => tail,
            };
            prop_assert!(verdict(&fx, &bytes).is_err());
            Ok(())
        })
        .unwrap();
}

#[test]
fn fuzz_verify_mutated_bundle() {
    let fx = Fixture::tiny();
    let good = std::fs::read(fx.write("good.tar.gz")).unwrap();
    let content = inflate(&good);
    runner(256)
        .run(&edits(), |edits| {
            let bad = apply(&edits, &good);
            if verdict(&fx, &bad).is_ok() {
                // Only another deflate encoding of the very same bytes may pass.
                prop_assert_eq!(inflate(&bad), content.clone());
            }
            Ok(())
        })
        .unwrap();
}

#[test]
fn fuzz_verify_mutated_tar_in_valid_gzip() {
    let fx = Fixture::tiny();
    let tar = inflate(&std::fs::read(fx.write("good.tar.gz")).unwrap());
    // One canonical member around the whole tar verifies: member
    // boundaries carry no meaning, so only the tar edits below count.
    verdict(&fx, &compress_member(&tar, 6).unwrap()).unwrap();
    runner(256)
        .run(&edits(), |edits| {
            let edited = apply(&edits, &tar);
            let bundle = compress_member(&edited, 6).unwrap();
            // Accepted, the archive must hold exactly the signed entries;
            // header fields ferry does not read (magic, mode, owner, mtime)
            // may differ only with a checksum that still adds up (see
            // SECURITY.md, "What is not refused").
            if verdict(&fx, &bundle).is_ok() {
                prop_assert!(
                    entries(&edited) == entries(&tar),
                    "an edited tar stream verified with other entries: {}",
                    differences(&edited, &tar)
                );
            }
            Ok(())
        })
        .unwrap();
}

/// Every entry of a tar stream as (path, content), in order.
fn entries(tar: &[u8]) -> Vec<(Vec<u8>, Vec<u8>)> {
    let mut archive = tar::Archive::new(tar);
    let mut found = Vec::new();
    for entry in archive.entries().unwrap() {
        let mut entry = entry.unwrap();
        let path = entry.path_bytes().into_owned();
        let mut data = Vec::new();
        std::io::Read::read_to_end(&mut entry, &mut data).unwrap();
        found.push((path, data));
    }
    found
}

/// Where two byte strings differ, briefly (lengths, first differing offsets).
fn differences(a: &[u8], b: &[u8]) -> String {
    let offsets: Vec<usize> = (0..a.len().min(b.len()))
        .filter(|&i| a[i] != b[i])
        .take(8)
        .collect();
    format!(
        "lengths {} and {}, first differences at {offsets:?}",
        a.len(),
        b.len()
    )
}
