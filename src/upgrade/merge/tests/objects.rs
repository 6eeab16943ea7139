//! Reading override objects out of JSON and writing them back.

use super::{cm, obj};
use crate::upgrade::merge::{overrides_from, to_manifests, OverrideError, OverrideKind};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde_json::json;

#[test]
fn only_labelled_v1_configmaps_and_secrets_count() {
    let objects = [
        json!({"apiVersion": "v1", "kind": "ConfigMap",
               "metadata": {"name": "plain", "namespace": "kyma-installer"}, "data": {"a": "1"}}),
        json!({"apiVersion": "v1", "kind": "ConfigMap",
               "metadata": {"name": "other-label", "labels": {"installer": "other"}}}),
        json!({"apiVersion": "apps/v1", "kind": "Deployment",
               "metadata": {"name": "d", "labels": {"installer": "overrides"}}}),
        json!({"apiVersion": "example.com/v1", "kind": "ConfigMap",
               "metadata": {"name": "lookalike", "labels": {"installer": "overrides"}}}),
        json!({"apiVersion": "v1", "kind": "ConfigMap",
               "metadata": {"name": "mine", "labels": {"installer": "overrides"}},
               "data": {"a": "1"}}),
        json!({"apiVersion": "v1", "kind": "ConfigMap",
               "metadata": {"name": "no-data", "namespace": "elsewhere",
                            "labels": {"installer": "overrides", "component": "core"}}}),
    ];
    let found = overrides_from(&objects, "kyma-installer").unwrap();
    let mut no_data = cm("no-data", &[]);
    no_data.namespace = "elsewhere".into();
    no_data.labels.insert("component".into(), "core".into());
    assert_eq!(found, vec![cm("mine", &[("a", "1")]), no_data]);
}

#[test]
fn secrets_decode_data_and_let_string_data_win() {
    let objects = [json!({
        "apiVersion": "v1", "kind": "Secret", "type": "Opaque",
        "metadata": {"name": "s", "labels": {"installer": "overrides"}},
        "data": {"a": STANDARD.encode("from data"), "b": STANDARD.encode("old")},
        "stringData": {"b": "new", "c": "plain"},
    })];
    let found = overrides_from(&objects, "kyma-installer").unwrap();
    let expected = obj(
        OverrideKind::Secret,
        "s",
        &[("a", "from data"), ("b", "new"), ("c", "plain")],
    );
    assert_eq!(found, vec![expected]);
}

#[test]
fn secrets_round_trip_through_base64() {
    let values = [
        ("empty", ""),
        (
            "pem",
            "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
        ),
        ("unicode", "pässwörd ✓"),
        ("padding", "ab"),
    ];
    let secret = obj(OverrideKind::Secret, "certs", &values);
    let config = cm("c", &[("k", "v")]);
    let manifests = to_manifests(&[secret.clone(), config.clone()]);
    for (key, value) in values {
        let encoded = manifests[0]["data"][key].as_str().unwrap();
        assert_eq!(STANDARD.decode(encoded).unwrap(), value.as_bytes());
    }
    assert!(manifests[0].get("stringData").is_none());
    assert_eq!(manifests[1]["data"]["k"], "v");
    assert_eq!(manifests[0]["metadata"]["namespace"], "kyma-installer");
    assert_eq!(manifests[0]["metadata"]["labels"]["installer"], "overrides");
    assert_eq!(
        overrides_from(&manifests, "unused").unwrap(),
        vec![secret, config]
    );
}

#[test]
fn unreadable_objects_are_errors_naming_object_and_key() {
    let secret = |data: serde_json::Value| {
        json!({"apiVersion": "v1", "kind": "Secret",
               "metadata": {"name": "s", "namespace": "ns", "labels": {"installer": "overrides"}},
               "data": data})
    };
    let err = overrides_from(&[secret(json!({"k": "not base64!"}))], "x").unwrap_err();
    assert!(
        matches!(&err, OverrideError::Base64 { key, .. } if key == "k"),
        "{err:?}"
    );
    assert!(
        err.to_string().starts_with("Secret ns/s: data key k"),
        "{err}"
    );

    let binary = STANDARD.encode([0xff, 0xfe]);
    let err = overrides_from(&[secret(json!({"bin": binary}))], "x").unwrap_err();
    assert!(
        matches!(&err, OverrideError::NotText { key, .. } if key == "bin"),
        "{err:?}"
    );

    let err = overrides_from(&[secret(json!({"n": 5}))], "x").unwrap_err();
    assert!(
        matches!(&err, OverrideError::NotStringMap { object, field: "data" } if object == "Secret ns/s"),
        "{err:?}"
    );

    let nameless = json!({"apiVersion": "v1", "kind": "ConfigMap",
                          "metadata": {"labels": {"installer": "overrides"}}});
    let err = overrides_from(&[json!({}), nameless], "x").unwrap_err();
    assert!(
        matches!(
            err,
            OverrideError::MissingName {
                kind: OverrideKind::ConfigMap,
                index: 1
            }
        ),
        "{err:?}"
    );
}
