//! Field ownership on writes: server-side apply (merge, conflicts, force,
//! removal of fields a manager stopped applying) and the `Update` entries
//! that create, update and patch requests leave in `managedFields`.
//!
//! Identity, resourceVersions and storage are left to `ops` and `store`.

use super::fields::{
    leaves, overlaps, read_managers, remove_path, status_leaves, value_at, write_managers,
    FieldSet, Manager,
};
use serde_json::Value;

/// What one request writes, for ownership bookkeeping.
pub(crate) struct Writer<'a> {
    /// Field manager name.
    pub manager: &'a str,
    /// API version of the request.
    pub api_version: &'a str,
    /// `status` when writing the status subresource.
    pub subresource: &'a str,
    /// The resource has a status subresource (main writes do not own status).
    pub status_subresource: bool,
    /// Timestamp for changed entries.
    pub now: &'a str,
}

impl Writer<'_> {
    fn fields_of(&self, value: &Value) -> FieldSet {
        if self.subresource == "status" {
            status_leaves(value)
        } else {
            leaves(value, self.status_subresource)
        }
    }

    fn upsert(&self, managers: &mut Vec<Manager>, operation: &str, fields: FieldSet) {
        let found = managers.iter_mut().find(|m| {
            m.manager == self.manager
                && m.operation == operation
                && m.subresource == self.subresource
        });
        match found {
            Some(m) => {
                if m.fields != fields || m.api_version != self.api_version {
                    m.time = self.now.to_string();
                }
                m.fields = fields;
                m.api_version = self.api_version.to_string();
            }
            None => managers.push(Manager {
                manager: self.manager.to_string(),
                operation: operation.to_string(),
                api_version: self.api_version.to_string(),
                subresource: self.subresource.to_string(),
                time: self.now.to_string(),
                fields,
            }),
        }
    }
}

/// Merges `patch` into `target`: maps key by key, everything else replaced.
pub(crate) fn deep_merge(target: &mut Value, patch: &Value) {
    match (target.as_object_mut(), patch.as_object()) {
        (Some(t), Some(p)) => {
            for (k, v) in p {
                if v.is_null() {
                    continue;
                }
                match t.get_mut(k) {
                    Some(existing) => deep_merge(existing, v),
                    None => {
                        t.insert(k.clone(), v.clone());
                    }
                }
            }
        }
        _ => *target = patch.clone(),
    }
}

fn prune(managers: &mut Vec<Manager>, obj: &Value) {
    for m in managers.iter_mut() {
        m.fields.retain(|p| value_at(obj, p).is_some());
    }
    managers.retain(|m| !m.fields.is_empty());
}

/// Server-side apply of `applied` onto `base` (the current object, or the
/// skeleton of a new one). Returns the merged object, or the conflicts as
/// (manager, field) pairs when another manager owns a field it would change
/// and `force` is off.
pub(crate) fn server_side_apply(
    base: &Value,
    applied: &Value,
    writer: &Writer<'_>,
    force: bool,
) -> Result<Value, Vec<(String, String)>> {
    let mut managers = read_managers(base);
    let new_set = writer.fields_of(applied);
    let is_self = |m: &Manager| m.manager == writer.manager && m.subresource == writer.subresource;
    let mut conflicts = Vec::new();
    for p in &new_set {
        if value_at(base, p) == value_at(applied, p) {
            continue;
        }
        for m in managers
            .iter_mut()
            .filter(|m| !is_self(m) && m.subresource == writer.subresource)
        {
            let owned: Vec<_> = m
                .fields
                .iter()
                .filter(|q| overlaps(p, q))
                .cloned()
                .collect();
            if owned.is_empty() {
                continue;
            }
            conflicts.push((m.manager.clone(), format!(".{}", p.join("."))));
            if force {
                for q in owned {
                    m.fields.remove(&q);
                }
            }
        }
    }
    if !conflicts.is_empty() && !force {
        conflicts.dedup();
        return Err(conflicts);
    }
    let old_set = managers
        .iter()
        .find(|m| is_self(m) && m.operation == "Apply")
        .map(|m| m.fields.clone())
        .unwrap_or_default();
    let mut obj = base.clone();
    for p in old_set.difference(&new_set) {
        let shared = managers
            .iter()
            .filter(|m| !(is_self(m) && m.operation == "Apply"))
            .any(|m| m.fields.iter().any(|q| overlaps(p, q)));
        if !shared {
            remove_path(&mut obj, p);
        }
    }
    let mut body = applied.clone();
    if let Some(map) = body.as_object_mut() {
        if writer.subresource == "status" {
            map.retain(|k, _| k == "status");
        } else if writer.status_subresource {
            map.remove("status");
        }
        if let Some(meta) = map.get_mut("metadata").and_then(Value::as_object_mut) {
            meta.remove("managedFields");
            meta.remove("resourceVersion");
        }
    }
    deep_merge(&mut obj, &body);
    writer.upsert(&mut managers, "Apply", new_set);
    prune(&mut managers, &obj);
    write_managers(&mut obj, &managers);
    Ok(obj)
}

/// Records an `Update` by `writer` that turned `old` into `new` (`old` is
/// None on create): the writer owns what it changed, others lose it. If the
/// request itself rewrote `managedFields`, they are kept as sent.
pub(crate) fn track_update(old: Option<&Value>, new: &mut Value, writer: &Writer<'_>) {
    let old_managed = old.and_then(|o| o.pointer("/metadata/managedFields"));
    let new_managed = new.pointer("/metadata/managedFields");
    if new_managed.is_some() && new_managed != old_managed {
        return;
    }
    let mut managers = old.map(read_managers).unwrap_or_default();
    let null = Value::Null;
    let before = old.unwrap_or(&null);
    let changed: FieldSet = writer
        .fields_of(new)
        .into_iter()
        .filter(|p| value_at(before, p) != value_at(new, p))
        .collect();
    for m in managers.iter_mut() {
        m.fields.retain(|q| !changed.iter().any(|p| overlaps(p, q)));
    }
    let mut mine = managers
        .iter()
        .find(|m| {
            m.manager == writer.manager
                && m.operation == "Update"
                && m.subresource == writer.subresource
        })
        .map(|m| m.fields.clone())
        .unwrap_or_default();
    mine.extend(changed.iter().cloned());
    if !changed.is_empty() || !mine.is_empty() {
        writer.upsert(&mut managers, "Update", mine);
    }
    prune(&mut managers, new);
    write_managers(new, &managers);
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn writer(manager: &str) -> Writer<'_> {
        Writer {
            manager,
            api_version: "v1",
            subresource: "",
            status_subresource: false,
            now: "2026-01-01T00:00:00Z",
        }
    }

    #[test]
    fn apply_conflicts_then_force_takes_ownership() {
        let mut created = json!({"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "a"}, "data": {"k": "1", "other": "x"}});
        track_update(None, &mut created, &writer("kubectl-client-side-apply"));
        let applied = json!({"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "a"}, "data": {"k": "2"}});
        let err = server_side_apply(&created, &applied, &writer("ferry"), false).unwrap_err();
        assert_eq!(
            err,
            vec![(
                "kubectl-client-side-apply".to_string(),
                ".data.k".to_string()
            )]
        );
        let forced = server_side_apply(&created, &applied, &writer("ferry"), true).unwrap();
        assert_eq!(forced["data"], json!({"k": "2", "other": "x"}));
        let managers = read_managers(&forced);
        let ferry = managers.iter().find(|m| m.manager == "ferry").unwrap();
        assert!(ferry
            .fields
            .contains(&vec!["data".to_string(), "k".to_string()]));
        let csa = managers.iter().find(|m| m.manager != "ferry").unwrap();
        assert!(!csa
            .fields
            .contains(&vec!["data".to_string(), "k".to_string()]));
    }

    #[test]
    fn apply_removes_fields_the_manager_stopped_applying() {
        let base = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a"}});
        let first = json!({"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "a", "labels": {"x": "1"}}, "data": {"a": "1", "b": "2"}});
        let once = server_side_apply(&base, &first, &writer("m"), false).unwrap();
        let again = server_side_apply(&once, &first, &writer("m"), false).unwrap();
        assert_eq!(once, again, "re-applying the same config is a no-op");
        let second = json!({"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "a"}, "data": {"a": "1"}});
        let after = server_side_apply(&once, &second, &writer("m"), false).unwrap();
        assert_eq!(after["data"], json!({"a": "1"}));
        assert!(after["metadata"].get("labels").is_none());
    }
}
