//! Whether a server-side dry-run apply would change a live object: both are
//! compared without the fields the server rewrites on every write
//! (managedFields, resourceVersion, generation, timestamps).
//!
//! Pure; fetching the two objects is `apply`'s job.

use serde_json::Value;

/// Metadata fields that say nothing about the object's configuration.
const VOLATILE_METADATA: &[&str] = &[
    "managedFields",
    "resourceVersion",
    "generation",
    "creationTimestamp",
    "deletionTimestamp",
    "selfLink",
];

/// A copy of `object` without the volatile metadata.
fn normalized(object: &Value) -> Value {
    let mut copy = object.clone();
    if let Some(meta) = copy.get_mut("metadata").and_then(Value::as_object_mut) {
        for key in VOLATILE_METADATA {
            meta.remove(*key);
        }
    }
    copy
}

/// True when the dry-run result `would_be` differs from `live` in anything
/// but volatile metadata.
pub(crate) fn would_change(live: &Value, would_be: &Value) -> bool {
    normalized(live) != normalized(would_be)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn only_configuration_counts() {
        let live = json!({"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "a", "resourceVersion": "7", "generation": 1,
                         "creationTimestamp": "2026-01-01T00:00:00Z", "uid": "u",
                         "managedFields": [{"manager": "kubectl"}]},
            "data": {"k": "v"}});
        let mut same = live.clone();
        same["metadata"]["resourceVersion"] = json!("8");
        same["metadata"]["generation"] = json!(2);
        same["metadata"]["managedFields"] = json!([{"manager": "ferry"}]);
        assert!(!would_change(&live, &same));
        let mut changed = live.clone();
        changed["data"]["k"] = json!("w");
        assert!(would_change(&live, &changed));
        let mut labelled = live.clone();
        labelled["metadata"]["labels"] = json!({"x": "1"});
        assert!(would_change(&live, &labelled));
    }
}
