//! The manifest parser, on arbitrary bytes and on mutations of a real
//! manifest: every input is a manifest or a clear error, and whatever
//! parses writes back to JSON that parses to the same manifest.

use super::{apply, edits, nested, runner};
use crate::bundle::manifest::{Manifest, ManifestError};
use crate::bundle::tests::fixtures::{manifest, sample_files};
use proptest::collection::vec;
use proptest::prelude::*;

/// Parses `bytes`; a parsed manifest must survive a round trip unchanged.
fn parse_and_round_trip(bytes: &[u8]) -> Result<(), TestCaseError> {
    if let Ok(parsed) = Manifest::from_json(bytes) {
        let again = Manifest::from_json(&parsed.to_json());
        prop_assert_eq!(again.ok(), Some(parsed));
    }
    Ok(())
}

#[test]
fn fuzz_manifest_arbitrary_bytes() {
    runner(512)
        .run(&vec(any::<u8>(), 0..2048), |bytes| {
            parse_and_round_trip(&bytes)
        })
        .unwrap();
}

#[test]
fn fuzz_manifest_mutations() {
    let files = sample_files();
    let refs: Vec<(&str, &[u8])> = files.iter().map(|(p, d)| (*p, d.as_slice())).collect();
    let good = manifest(&refs).to_json();
    runner(1024)
        .run(&edits(), |edits| {
            parse_and_round_trip(&apply(&edits, &good))
        })
        .unwrap();
}

#[test]
fn a_manifest_nested_far_too_deep_is_a_parse_error() {
    for (open, close) in [("[", "]"), ("{\"a\":", "}")] {
        let text = format!("{{\"schema\":{}}}", nested(open, "1", close, 200_000));
        let err = Manifest::from_json(text.as_bytes()).unwrap_err();
        assert!(matches!(err, ManifestError::Parse(_)), "{err:?}");
    }
}
