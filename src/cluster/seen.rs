//! Change detection for real applies without a GET per object: the
//! metadata of existing objects, listed once per resource and namespace of a
//! batch, compared with what the apply returns.
//!
//! A new resourceVersion alone does not mean ferry changed anything: a
//! controller may have written the object's status in between. An object
//! whose generation and whose `ferry` managed-fields entry are both the same
//! after the apply was not changed by it.
//!
//! Dry runs compare whole objects instead (see `compare`); applying is `apply`'s job.

use super::catalog::Resolved;
use super::error::ClusterError;
use super::retry::Retry;
use kube::api::{Api, DynamicObject, ListParams};
use std::collections::HashMap;

/// What identifies an object's state for change detection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Fingerprint {
    resource_version: Option<String>,
    generation: Option<i64>,
    ferry_fields: Option<String>,
}

impl Fingerprint {
    /// The fingerprint of an object's metadata.
    pub fn of(meta: &kube::api::ObjectMeta) -> Fingerprint {
        let ferry_fields = meta.managed_fields.as_ref().and_then(|entries| {
            entries
                .iter()
                .find(|e| e.manager.as_deref() == Some(super::FIELD_MANAGER))
                .and_then(|e| serde_json::to_string(e).ok())
        });
        Fingerprint {
            resource_version: meta.resource_version.clone(),
            generation: meta.generation,
            ferry_fields,
        }
    }

    /// True when the apply that led from `self` to `after` changed nothing.
    pub fn unchanged(&self, after: &Fingerprint) -> bool {
        self.resource_version == after.resource_version
            || (self.generation.is_some()
                && self.generation == after.generation
                && self.ferry_fields.is_some()
                && self.ferry_fields == after.ferry_fields)
    }
}

/// Metadata seen before applying, listed once per resource and namespace of
/// one batch (never one GET per object).
#[derive(Default)]
pub(crate) struct Seen {
    lists: HashMap<(String, String, Option<String>), HashMap<String, Fingerprint>>,
}

/// Which list an object belongs to: resource group, plural and namespace.
type ListKey = (String, String, Option<String>);

fn list_key(resolved: &Resolved, namespace: Option<&str>) -> ListKey {
    (
        resolved.resource.group.clone(),
        resolved.resource.plural.clone(),
        namespace.map(String::from),
    )
}

impl Seen {
    /// True when the list `before` needs for `resolved` in `namespace` is
    /// not fetched yet.
    pub fn needs(&self, resolved: &Resolved, namespace: Option<&str>) -> bool {
        !self.lists.contains_key(&list_key(resolved, namespace))
    }

    /// Adds a list fetched by `list`.
    pub fn insert(
        &mut self,
        resolved: &Resolved,
        namespace: Option<&str>,
        listed: HashMap<String, Fingerprint>,
    ) {
        self.lists.insert(list_key(resolved, namespace), listed);
    }

    /// The object's fingerprint before the apply (None: absent, or its list
    /// was never fetched).
    pub fn before(
        &self,
        resolved: &Resolved,
        namespace: Option<&str>,
        name: &str,
    ) -> Option<Fingerprint> {
        self.lists
            .get(&list_key(resolved, namespace))
            .and_then(|l| l.get(name))
            .cloned()
    }

    /// Remembers the state an apply of `name` returned.
    pub fn record(
        &mut self,
        resolved: &Resolved,
        namespace: Option<&str>,
        name: &str,
        fingerprint: Fingerprint,
    ) {
        if let Some(list) = self.lists.get_mut(&list_key(resolved, namespace)) {
            list.insert(name.to_string(), fingerprint);
        }
    }
}

/// The fingerprints of every object of `api` (`resolved` in `namespace`), by name.
pub(crate) async fn list(
    api: &Api<DynamicObject>,
    resolved: &Resolved,
    namespace: Option<&str>,
) -> Result<HashMap<String, Fingerprint>, ClusterError> {
    let params = ListParams::default();
    let list = Retry::DEFAULT
        .run(|| api.list_metadata(&params))
        .await
        .map_err(|source| ClusterError::Api {
            action: "list",
            object: match namespace {
                Some(ns) => format!("{} in namespace {ns}", resolved.resource.plural),
                None => resolved.resource.plural.clone(),
            },
            source,
        })?;
    Ok(list
        .items
        .into_iter()
        .filter_map(|m| {
            let fingerprint = Fingerprint::of(&m.metadata);
            Some((m.metadata.name?, fingerprint))
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::Fingerprint;

    fn fingerprint(rv: &str, generation: Option<i64>, ferry: Option<&str>) -> Fingerprint {
        Fingerprint {
            resource_version: Some(rv.to_string()),
            generation,
            ferry_fields: ferry.map(str::to_string),
        }
    }

    #[test]
    fn a_status_write_in_between_is_not_a_change() {
        let before = fingerprint("5", Some(2), Some("f1"));
        assert!(before.unchanged(&fingerprint("5", Some(2), Some("f1"))));
        assert!(
            before.unchanged(&fingerprint("6", Some(2), Some("f1"))),
            "status only"
        );
        assert!(
            !before.unchanged(&fingerprint("6", Some(3), Some("f1"))),
            "spec changed"
        );
        assert!(
            !before.unchanged(&fingerprint("6", Some(2), Some("f2"))),
            "ferry's fields changed"
        );
        let config_map = fingerprint("5", None, Some("f1"));
        assert!(
            !config_map.unchanged(&fingerprint("6", None, Some("f1"))),
            "no generation: trust the resourceVersion"
        );
        let kubectl_owned = fingerprint("5", Some(1), None);
        assert!(
            !kubectl_owned.unchanged(&fingerprint("6", Some(1), Some("f1"))),
            "taken over by ferry"
        );
    }
}
