//! Change detection for real applies without a GET per object: the
//! resourceVersions of existing objects, listed (metadata only) once per
//! resource and namespace of a batch, compared with what the apply returns.
//!
//! Dry runs compare whole objects instead (see `compare`); applying is `apply`'s job.

use super::catalog::Resolved;
use super::error::ClusterError;
use super::retry::Retry;
use kube::api::{Api, DynamicObject, ListParams};
use kube::ResourceExt;
use std::collections::HashMap;

/// resourceVersions seen before applying, listed once per resource and
/// namespace of one batch (never one GET per object).
#[derive(Default)]
pub(crate) struct Seen {
    lists: HashMap<(String, String, Option<String>), HashMap<String, String>>,
}

impl Seen {
    /// The object's resourceVersion before the apply (None: absent).
    pub async fn before(
        &mut self,
        api: &Api<DynamicObject>,
        resolved: &Resolved,
        namespace: Option<&str>,
        name: &str,
    ) -> Result<Option<String>, ClusterError> {
        let key = (
            resolved.resource.group.clone(),
            resolved.resource.plural.clone(),
            namespace.map(String::from),
        );
        if !self.lists.contains_key(&key) {
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
            let versions = list
                .items
                .into_iter()
                .filter_map(|m| Some((m.metadata.name?, m.metadata.resource_version?)))
                .collect();
            self.lists.insert(key.clone(), versions);
        }
        Ok(self.lists.get(&key).and_then(|l| l.get(name)).cloned())
    }

    /// Remembers the resourceVersion an apply returned.
    pub fn record(&mut self, resolved: &Resolved, namespace: Option<&str>, result: &DynamicObject) {
        let key = (
            resolved.resource.group.clone(),
            resolved.resource.plural.clone(),
            namespace.map(String::from),
        );
        if let (Some(list), Some(rv)) = (self.lists.get_mut(&key), result.resource_version()) {
            list.insert(result.name_any(), rv);
        }
    }
}
