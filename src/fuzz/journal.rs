//! The journal decoder: the ConfigMap text that anyone with access to the
//! cluster can edit. Every input is a journal or a clear error naming the
//! ConfigMap, and whatever decodes survives a round trip.

use super::{apply, edits, nested, runner};
use crate::cluster::journal::{decode, HopStatus, JournalState, Lock};
use crate::cluster::state_error::StateError;
use proptest::prelude::*;

/// A journal with a finished hop, a started one, a lock and events.
fn sample() -> String {
    let mut state = JournalState {
        bundle_id: Some("sha256:0f".into()),
        product: Some("kyma".into()),
        newest_bundle_created: Some(1_600_000_000),
        acknowledged: vec!["1.1.0".into()],
        lock: Some(Lock {
            holder: "ops@host:42".into(),
            acquired: "2026-12-03T10:00:00Z".into(),
            heartbeat: "2026-12-03T10:00:30Z".into(),
        }),
        ..JournalState::default()
    };
    state.set_hop("sha256:0f", "1.1.0", HopStatus::Done, None);
    state.set_hop(
        "sha256:0f",
        "1.2.0",
        HopStatus::Started,
        Some("waiting".into()),
    );
    serde_json::to_string_pretty(&state).unwrap()
}

/// Decodes `text`: a journal must re-encode to itself, an error must be
/// the corrupt-journal one.
fn decode_checked(text: &str) -> Result<(), TestCaseError> {
    match decode(text, "kyma-installer") {
        Ok(state) => {
            let again = decode(&serde_json::to_string(&state).unwrap(), "kyma-installer");
            prop_assert_eq!(again.ok(), Some(state));
        }
        Err(err) => prop_assert!(
            matches!(err, StateError::JournalCorrupt { .. }),
            "{:?}",
            err
        ),
    }
    Ok(())
}

#[test]
fn fuzz_journal_arbitrary_text() {
    runner(512)
        .run(&"(?s).{0,512}", |text| decode_checked(&text))
        .unwrap();
}

#[test]
fn fuzz_journal_mutations() {
    let good = sample();
    decode(&good, "kyma-installer").unwrap();
    runner(1024)
        .run(&edits(), |edits| {
            decode_checked(&String::from_utf8_lossy(&apply(&edits, good.as_bytes())))
        })
        .unwrap();
}

#[test]
fn a_journal_nested_far_too_deep_is_corrupt() {
    for (open, close) in [("[", "]"), ("{\"a\":", "}")] {
        let text = format!("{{\"hops\":{}}}", nested(open, "1", close, 200_000));
        let err = decode(&text, "kyma-installer").unwrap_err();
        assert!(matches!(err, StateError::JournalCorrupt { .. }), "{err:?}");
    }
}
