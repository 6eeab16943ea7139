//! Conversions between API versions that share one storage: Deployments
//! (`extensions/v1beta1` and `apps/v1`) and CustomResourceDefinitions
//! (`apiextensions.k8s.io/v1beta1` and `v1`, stored as v1).

use super::resources::ResourceDef;
use serde_json::{json, Value};

/// Converts an object read from storage into the shape of `def`'s version.
pub(crate) fn to_version(def: &ResourceDef, mut obj: Value) -> Value {
    if def.plural == "customresourcedefinitions" && def.version == "v1beta1" {
        crd_v1_to_v1beta1(&mut obj);
    }
    obj["apiVersion"] = json!(def.api_version());
    obj["kind"] = json!(def.kind);
    obj
}

/// Converts an object written through `def` into its storage shape.
pub(crate) fn to_storage(def: &ResourceDef, mut obj: Value) -> Value {
    let version = if def.plural == "customresourcedefinitions" {
        if def.version == "v1beta1" {
            crd_v1beta1_to_v1(&mut obj);
        }
        "apiextensions.k8s.io/v1".to_string()
    } else if def.group == "extensions" {
        "apps/v1".to_string()
    } else {
        def.api_version()
    };
    obj["apiVersion"] = json!(version);
    obj["kind"] = json!(def.kind);
    obj
}

/// Per-version fields that v1beta1 CRDs may state once at the top of `spec`.
const CRD_SHARED: &[(&str, &str)] = &[
    ("validation", "schema"),
    ("subresources", "subresources"),
    ("additionalPrinterColumns", "additionalPrinterColumns"),
];

fn crd_v1beta1_to_v1(obj: &mut Value) {
    let Some(spec) = obj.get_mut("spec").and_then(Value::as_object_mut) else {
        return;
    };
    let single = spec.remove("version");
    if !spec.get("versions").is_some_and(Value::is_array) {
        let name = single.unwrap_or_else(|| json!("v1"));
        spec.insert(
            "versions".into(),
            json!([{"name": name, "served": true, "storage": true}]),
        );
    }
    for (top, per_version) in CRD_SHARED {
        if let Some(value) = spec.remove(*top) {
            if let Some(versions) = spec.get_mut("versions").and_then(Value::as_array_mut) {
                for v in versions.iter_mut().filter(|v| v.is_object()) {
                    v[*per_version] = value.clone();
                }
            }
        }
    }
}

fn crd_v1_to_v1beta1(obj: &mut Value) {
    let Some(spec) = obj.get_mut("spec").and_then(Value::as_object_mut) else {
        return;
    };
    let Some(versions) = spec.get_mut("versions").and_then(Value::as_array_mut) else {
        return;
    };
    let first = versions.first().cloned().unwrap_or(Value::Null);
    let mut lifted = Vec::new();
    for (top, per_version) in CRD_SHARED {
        if let Some(value) = first.get(*per_version) {
            if versions.iter().all(|v| v.get(*per_version) == Some(value)) {
                for v in versions.iter_mut().filter_map(Value::as_object_mut) {
                    v.remove(*per_version);
                }
                lifted.push((top.to_string(), value.clone()));
            }
        }
    }
    if let Some(name) = first.get("name") {
        spec.insert("version".into(), name.clone());
    }
    for (k, v) in lifted {
        spec.insert(k, v);
    }
}
