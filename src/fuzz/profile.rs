//! The profile parser (TOML, then validation), on arbitrary text and on
//! mutations of the built-in Kyma profile: every input is a profile or a
//! clear error naming where it came from.

use super::{apply, edits, nested, runner};
use crate::profile::Profile;
use proptest::prelude::*;

const KYMA: &str = include_str!("../../bundles/kyma.toml");

/// Parses `text`; an error must name the profile's origin.
fn parse(text: &str) -> Result<(), TestCaseError> {
    if let Err(err) = Profile::parse(text, "fuzzed.toml") {
        let message = format!("{err:#}");
        prop_assert!(message.contains("fuzzed.toml"), "{}", message);
    }
    Ok(())
}

#[test]
fn fuzz_profile_arbitrary_text() {
    runner(512)
        .run(&"(?s).{0,512}", |text| parse(&text))
        .unwrap();
}

#[test]
fn fuzz_profile_mutations() {
    Profile::parse(KYMA, "kyma.toml").unwrap();
    runner(512)
        .run(&edits(), |edits| {
            let edited = apply(&edits, KYMA.as_bytes());
            parse(&String::from_utf8_lossy(&edited))
        })
        .unwrap();
}

#[test]
fn a_profile_nested_far_too_deep_is_a_clear_error() {
    for (open, close) in [("[", "]"), ("{a=", "}")] {
        let text = format!("{KYMA}\nextra = {}\n", nested(open, "1", close, 100_000));
        let err = Profile::parse(&text, "deep.toml").unwrap_err();
        assert!(format!("{err:#}").contains("deep.toml"), "{err:#}");
    }
}
