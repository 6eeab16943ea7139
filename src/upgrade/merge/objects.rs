//! Between Kubernetes JSON objects and [`OverrideObject`]s: picking the
//! override ConfigMaps and Secrets out of a manifest or a cluster listing,
//! decoding Secret values, and writing merged objects back.

use super::{describe, OverrideKind, OverrideObject};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

/// The label (`installer: overrides`) that marks an object as installer overrides.
pub const OVERRIDES_LABEL: (&str, &str) = ("installer", "overrides");

/// An override object ferry cannot read faithfully; merging it could lose data.
#[derive(Debug, thiserror::Error)]
pub enum OverrideError {
    /// The object has no `metadata.name`.
    #[error("an override {kind} (object #{index}) has no metadata.name: fix the manifest")]
    MissingName {
        /// ConfigMap or Secret.
        kind: OverrideKind,
        /// Position in the list given to [`overrides_from`].
        index: usize,
    },
    /// A field that must map strings to strings does not.
    #[error("{object}: {field} is not a map of strings: quote the values")]
    NotStringMap {
        /// The object, as `ConfigMap ns/name`.
        object: String,
        /// `data`, `stringData` or `metadata.labels`.
        field: &'static str,
    },
    /// A Secret value in `data` is not base64.
    #[error("{object}: data key {key} is not valid base64: fix the Secret")]
    Base64 {
        /// The object, as `Secret ns/name`.
        object: String,
        /// The key.
        key: String,
        /// The decoder's complaint.
        #[source]
        source: base64::DecodeError,
    },
    /// A Secret value decodes to bytes that are not UTF-8 text.
    #[error("{object}: data key {key} is binary; override values must be text")]
    NotText {
        /// The object, as `Secret ns/name`.
        object: String,
        /// The key.
        key: String,
        /// The UTF-8 error.
        #[source]
        source: std::string::FromUtf8Error,
    },
}

/// The override objects (label `installer: overrides`, kind ConfigMap or
/// Secret in `v1`) out of parsed manifest or cluster objects, in input
/// order; everything else is skipped. Objects need `kind`: items of a raw
/// List response lack it, so set it first (k8s-openapi types always carry
/// it). An object without a namespace gets `default_namespace`. A Secret's
/// values come from base64 `data`, overridden per key by `stringData`.
pub fn overrides_from(
    objects: &[Value],
    default_namespace: &str,
) -> Result<Vec<OverrideObject>, OverrideError> {
    let mut found = Vec::new();
    for (index, object) in objects.iter().enumerate() {
        let Some(kind) = override_kind(object) else {
            continue;
        };
        let metadata = object.get("metadata");
        let name = metadata
            .and_then(|m| m.get("name"))
            .and_then(Value::as_str)
            .ok_or(OverrideError::MissingName { kind, index })?;
        let namespace = metadata
            .and_then(|m| m.get("namespace"))
            .and_then(Value::as_str)
            .unwrap_or(default_namespace);
        let id = describe(kind, namespace, name);
        let labels = string_map(
            metadata.and_then(|m| m.get("labels")),
            &id,
            "metadata.labels",
        )?;
        let data = match kind {
            OverrideKind::ConfigMap => string_map(object.get("data"), &id, "data")?,
            OverrideKind::Secret => secret_data(object, &id)?,
        };
        found.push(OverrideObject {
            kind,
            namespace: namespace.to_string(),
            name: name.to_string(),
            labels,
            data,
        });
    }
    Ok(found)
}

/// The objects as `v1` ConfigMaps and Secrets (Secret values base64 in
/// `data`; `type` left to the server, `Opaque` on creation). Apply them as
/// a whole (update or forced server-side apply by ferry's field manager):
/// keys the merge removed must disappear.
pub fn to_manifests(objects: &[OverrideObject]) -> Vec<Value> {
    objects
        .iter()
        .map(|o| {
            let data: Map<String, Value> = o
                .data
                .iter()
                .map(|(k, v)| {
                    let v = match o.kind {
                        OverrideKind::ConfigMap => v.clone(),
                        OverrideKind::Secret => STANDARD.encode(v),
                    };
                    (k.clone(), Value::String(v))
                })
                .collect();
            json!({
                "apiVersion": "v1",
                "kind": o.kind.as_str(),
                "metadata": { "name": o.name, "namespace": o.namespace, "labels": o.labels },
                "data": data,
            })
        })
        .collect()
}

/// ConfigMap or Secret when the object is a `v1` one labelled as overrides.
fn override_kind(object: &Value) -> Option<OverrideKind> {
    let kind = match object.get("kind").and_then(Value::as_str)? {
        "ConfigMap" => OverrideKind::ConfigMap,
        "Secret" => OverrideKind::Secret,
        _ => return None,
    };
    let api_version = object.get("apiVersion").and_then(Value::as_str);
    if api_version.is_some_and(|v| v != "v1") {
        return None;
    }
    let (label, value) = OVERRIDES_LABEL;
    let labelled = object
        .get("metadata")
        .and_then(|m| m.get("labels"))
        .and_then(|l| l.get(label))
        .and_then(Value::as_str)
        == Some(value);
    labelled.then_some(kind)
}

/// A JSON map of strings; absent or null is empty.
fn string_map(
    value: Option<&Value>,
    object: &str,
    field: &'static str,
) -> Result<BTreeMap<String, String>, OverrideError> {
    let not_strings = || OverrideError::NotStringMap {
        object: object.to_string(),
        field,
    };
    match value {
        None | Some(Value::Null) => Ok(BTreeMap::new()),
        Some(Value::Object(map)) => map
            .iter()
            .map(|(k, v)| Ok((k.clone(), v.as_str().ok_or_else(not_strings)?.to_string())))
            .collect(),
        Some(_) => Err(not_strings()),
    }
}

/// A Secret's values: `data` decoded, then `stringData` on top (as the API server does).
fn secret_data(object: &Value, id: &str) -> Result<BTreeMap<String, String>, OverrideError> {
    let mut data = BTreeMap::new();
    for (key, encoded) in string_map(object.get("data"), id, "data")? {
        let bytes = STANDARD
            .decode(encoded.trim())
            .map_err(|source| OverrideError::Base64 {
                object: id.to_string(),
                key: key.clone(),
                source,
            })?;
        let text = String::from_utf8(bytes).map_err(|source| OverrideError::NotText {
            object: id.to_string(),
            key: key.clone(),
            source,
        })?;
        data.insert(key, text);
    }
    data.extend(string_map(object.get("stringData"), id, "stringData")?);
    Ok(data)
}
