//! Field ownership vocabulary: the set of leaf paths an object (or an applied
//! configuration) sets, `metadata.managedFields` entries, and their
//! `FieldsV1` rendering. Maps are tracked key by key; lists and scalars are
//! atomic leaves.
//!
//! Who wins a conflict and how objects merge is left to `apply`.

use serde_json::{json, Map, Value};
use std::collections::BTreeSet;

/// A path of map keys from the object root.
pub(crate) type Path = Vec<String>;
/// A set of owned leaf paths.
pub(crate) type FieldSet = BTreeSet<Path>;

/// Paths no manager owns (identity and server-maintained metadata).
fn ignored(path: &[String], status_subresource: bool) -> bool {
    match path {
        [top] => {
            matches!(top.as_str(), "apiVersion" | "kind") || (status_subresource && top == "status")
        }
        [meta, field] if meta == "metadata" => matches!(
            field.as_str(),
            "name"
                | "namespace"
                | "uid"
                | "resourceVersion"
                | "generation"
                | "creationTimestamp"
                | "managedFields"
                | "deletionTimestamp"
                | "deletionGracePeriodSeconds"
                | "selfLink"
        ),
        _ => false,
    }
}

/// The leaf paths `value` sets. With `status_subresource`, `status` is left
/// out (it belongs to the subresource).
pub(crate) fn leaves(value: &Value, status_subresource: bool) -> FieldSet {
    let mut out = FieldSet::new();
    let mut path = Vec::new();
    collect(value, &mut path, status_subresource, &mut out);
    out
}

fn collect(value: &Value, path: &mut Path, sub: bool, out: &mut FieldSet) {
    match value {
        Value::Object(map) if !map.is_empty() || path.is_empty() => {
            for (k, v) in map {
                path.push(k.clone());
                if !ignored(path, sub) {
                    collect(v, path, sub, out);
                }
                path.pop();
            }
        }
        _ => {
            out.insert(path.clone());
        }
    }
}

/// Only the `status` leaves of `value`.
pub(crate) fn status_leaves(value: &Value) -> FieldSet {
    leaves(value, false)
        .into_iter()
        .filter(|p| p.first().is_some_and(|f| f == "status"))
        .collect()
}

/// The value at `path`, if present.
pub(crate) fn value_at<'a>(value: &'a Value, path: &[String]) -> Option<&'a Value> {
    path.iter().try_fold(value, |v, k| v.as_object()?.get(k))
}

/// True when `a` is a prefix of `b` or `b` of `a`.
pub(crate) fn overlaps(a: &[String], b: &[String]) -> bool {
    let n = a.len().min(b.len());
    a[..n] == b[..n]
}

/// Removes the value at `path` and then any map left empty above it.
pub(crate) fn remove_path(value: &mut Value, path: &[String]) {
    let Some((last, parents)) = path.split_last() else {
        return;
    };
    let Some(parent) = parents
        .iter()
        .try_fold(&mut *value, |v, k| v.as_object_mut()?.get_mut(k))
        .and_then(Value::as_object_mut)
    else {
        return;
    };
    parent.remove(last);
    if parent.is_empty() && !parents.is_empty() {
        remove_path(value, parents);
    }
}

/// One `metadata.managedFields` entry.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Manager {
    /// Field manager name.
    pub manager: String,
    /// `Apply` or `Update`.
    pub operation: String,
    /// API version the manager used.
    pub api_version: String,
    /// `status` for the status subresource, else empty.
    pub subresource: String,
    /// RFC 3339 time of the last change of this entry.
    pub time: String,
    /// Owned fields.
    pub fields: FieldSet,
}

/// Reads the managedFields of an object (unknown shapes are skipped).
pub(crate) fn read_managers(obj: &Value) -> Vec<Manager> {
    let Some(entries) = obj
        .pointer("/metadata/managedFields")
        .and_then(Value::as_array)
    else {
        return vec![];
    };
    entries
        .iter()
        .filter_map(|e| {
            let s = |k: &str| {
                e.get(k)
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string()
            };
            let mut fields = FieldSet::new();
            from_fields_v1(e.get("fieldsV1")?, &mut Vec::new(), &mut fields);
            Some(Manager {
                manager: s("manager"),
                operation: s("operation"),
                api_version: s("apiVersion"),
                subresource: s("subresource"),
                time: s("time"),
                fields,
            })
        })
        .collect()
}

/// Writes managedFields into an object, dropping managers that own nothing.
pub(crate) fn write_managers(obj: &mut Value, managers: &[Manager]) {
    let entries: Vec<Value> = managers
        .iter()
        .filter(|m| !m.fields.is_empty())
        .map(|m| {
            let mut e = json!({
                "manager": m.manager, "operation": m.operation, "apiVersion": m.api_version,
                "time": m.time, "fieldsType": "FieldsV1", "fieldsV1": to_fields_v1(&m.fields),
            });
            if !m.subresource.is_empty() {
                e["subresource"] = json!(m.subresource);
            }
            e
        })
        .collect();
    if let Some(meta) = obj.get_mut("metadata").and_then(Value::as_object_mut) {
        if entries.is_empty() {
            meta.remove("managedFields");
        } else {
            meta.insert("managedFields".into(), Value::Array(entries));
        }
    }
}

/// Renders a field set in the `FieldsV1` format (`{"f:data":{"f:a":{}}}`).
pub(crate) fn to_fields_v1(fields: &FieldSet) -> Value {
    let mut root = Map::new();
    for path in fields {
        let mut node = &mut root;
        for key in path {
            let name = if key.contains(':') && !key.starts_with("f:") {
                key.clone()
            } else {
                format!("f:{key}")
            };
            let child = node.entry(name).or_insert_with(|| json!({}));
            if !child.is_object() {
                *child = json!({});
            }
            let Some(map) = child.as_object_mut() else {
                break;
            };
            node = map;
        }
    }
    mark_self_owned(&mut root, fields, &mut Vec::new());
    Value::Object(root)
}

/// Adds `.` to inner nodes that are also owned as a whole.
fn mark_self_owned(node: &mut Map<String, Value>, fields: &FieldSet, path: &mut Path) {
    for (k, v) in node.iter_mut() {
        let Some(name) = k.strip_prefix("f:") else {
            continue;
        };
        let Some(child) = v.as_object_mut() else {
            continue;
        };
        path.push(name.to_string());
        if !child.is_empty() && !child.contains_key(".") && fields.contains(path.as_slice()) {
            child.insert(".".into(), json!({}));
        }
        mark_self_owned(child, fields, path);
        path.pop();
    }
}

fn from_fields_v1(node: &Value, path: &mut Path, out: &mut FieldSet) {
    let Some(map) = node.as_object() else {
        return;
    };
    if map.is_empty() && !path.is_empty() {
        out.insert(path.clone());
        return;
    }
    for (k, v) in map {
        if k == "." {
            if !path.is_empty() {
                out.insert(path.clone());
            }
            continue;
        }
        let name = k.strip_prefix("f:").unwrap_or(k);
        path.push(name.to_string());
        from_fields_v1(v, path, out);
        path.pop();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leaves_skip_identity_and_render_round_trip() {
        let obj = json!({"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "a", "labels": {"x": "1"}, "annotations": {}},
            "data": {"k": "v", "l": "w"}, "status": {"s": 1}});
        let set = leaves(&obj, true);
        let paths: Vec<String> = set.iter().map(|p| p.join(".")).collect();
        assert_eq!(
            paths,
            [
                "data.k",
                "data.l",
                "metadata.annotations",
                "metadata.labels.x"
            ]
        );
        let v1 = to_fields_v1(&set);
        assert_eq!(v1["f:data"]["f:k"], json!({}));
        let mut back = FieldSet::new();
        from_fields_v1(&v1, &mut Vec::new(), &mut back);
        assert_eq!(back, set);
    }

    #[test]
    fn remove_path_prunes_empty_parents() {
        let mut obj = json!({"metadata": {"labels": {"a": "1"}, "name": "x"}});
        remove_path(&mut obj, &["metadata".into(), "labels".into(), "a".into()]);
        assert_eq!(obj, json!({"metadata": {"name": "x"}}));
    }
}
