//! Small helpers on object JSON: timestamps, uids, identity metadata and
//! label access. No storage, no HTTP.

use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::time::{SystemTime, UNIX_EPOCH};

/// Now as RFC 3339 (seconds).
pub(crate) fn now() -> String {
    humantime::format_rfc3339_seconds(SystemTime::now()).to_string()
}

/// `len` hex characters derived from `seed` and the clock.
pub(crate) fn random_hex(seed: u64, len: usize) -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    let digest = Sha256::digest(format!("{seed}:{nanos}:{:p}", &seed).as_bytes());
    let mut hex = hex::encode(digest);
    hex.truncate(len);
    hex
}

/// A fresh UUID-shaped uid.
pub(crate) fn uid(counter: u64) -> String {
    let h = random_hex(counter, 32);
    format!(
        "{}-{}-4{}-8{}-{}",
        &h[0..8],
        &h[8..12],
        &h[13..16],
        &h[17..20],
        &h[20..32]
    )
}

/// Short stable hash of a value (pod-template-hash style).
pub(crate) fn short_hash(value: &Value) -> String {
    let digest = Sha256::digest(value.to_string().as_bytes());
    let mut hex = hex::encode(digest);
    hex.truncate(10);
    hex
}

/// `metadata.name`.
pub(crate) fn name(obj: &Value) -> &str {
    obj.pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or_default()
}

/// A label value.
pub(crate) fn label<'a>(obj: &'a Value, key: &str) -> Option<&'a str> {
    obj.pointer("/metadata/labels")
        .and_then(|l| l.get(key))
        .and_then(Value::as_str)
}

/// `metadata.generation` (1 when absent).
pub(crate) fn generation(obj: &Value) -> u64 {
    obj.pointer("/metadata/generation")
        .and_then(Value::as_u64)
        .unwrap_or(1)
}

/// Everything but metadata and status: a change here bumps the generation.
pub(crate) fn spec_part(obj: &Value) -> Value {
    let mut v = obj.clone();
    if let Some(m) = v.as_object_mut() {
        m.remove("metadata");
        m.remove("status");
    }
    v
}

/// Fills identity metadata on a new object: uid, creationTimestamp, generation.
pub(crate) fn stamp_new(obj: &mut Value, counter: u64) {
    if !obj["metadata"].is_object() {
        obj["metadata"] = json!({});
    }
    obj["metadata"]["uid"] = json!(uid(counter));
    obj["metadata"]["creationTimestamp"] = json!(now());
    obj["metadata"]["generation"] = json!(1);
    if let Some(m) = obj["metadata"].as_object_mut() {
        m.remove("resourceVersion");
        m.remove("deletionTimestamp");
    }
}

/// Carries identity over from `old` to its replacement `new` and bumps the
/// generation when the spec changed.
pub(crate) fn keep_identity(old: &Value, new: &mut Value) {
    if !new["metadata"].is_object() {
        new["metadata"] = json!({});
    }
    for key in [
        "uid",
        "creationTimestamp",
        "deletionTimestamp",
        "resourceVersion",
    ] {
        match old["metadata"].get(key) {
            Some(v) => new["metadata"][key] = v.clone(),
            None => {
                if let Some(m) = new["metadata"].as_object_mut() {
                    m.remove(key);
                }
            }
        }
    }
    let bump = u64::from(spec_part(old) != spec_part(new));
    new["metadata"]["generation"] = json!(generation(old) + bump);
}

/// The tag of a container image (`repo/name:tag` -> `tag`).
pub(crate) fn image_tag(image: &str) -> Option<&str> {
    let last = image.rsplit('/').next()?;
    last.split_once(':').map(|(_, tag)| tag)
}
