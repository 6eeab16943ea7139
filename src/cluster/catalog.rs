//! One snapshot of the kinds a cluster serves (API discovery): aggregated
//! discovery when the server offers it, else the classic per-group-version
//! documents, every request retried on its own; and adding group-versions
//! later (after a CRD became Established) without rediscovering everything.
//!
//! Which objects need which kinds is decided by `apply` and `preflight`.

use super::error::ClusterError;
use super::retry::Retry;
use futures_util::stream::{self, StreamExt, TryStreamExt};
use kube::core::GroupVersion;
use kube::discovery::{self, ApiCapabilities, ApiGroup, ApiResource, Discovery, Scope};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// How many group-version documents are fetched at once.
const PARALLEL_QUERIES: usize = 8;

/// A resolved kind: where its objects live and whether they are namespaced.
#[derive(Debug, Clone)]
pub(crate) struct Resolved {
    /// The resource (group, version, plural).
    pub resource: ApiResource,
    /// True for namespaced kinds.
    pub namespaced: bool,
}

/// The kinds a cluster serves, by `(group, version, kind)`.
#[derive(Debug, Clone, Default)]
pub(crate) struct Catalog {
    kinds: HashMap<(String, String, String), Resolved>,
    versions: BTreeMap<String, BTreeSet<String>>,
}

impl Catalog {
    /// Discovers everything the cluster serves.
    pub async fn discover(client: &kube::Client) -> Result<Catalog, ClusterError> {
        let wrap = |source| ClusterError::Discovery { source };
        let aggregated = Retry::DEFAULT
            .run(|| Discovery::new(client.clone()).run_aggregated())
            .await;
        let mut catalog = Catalog::default();
        match aggregated {
            Ok(found) if found.groups().next().is_some() => {
                found.groups().for_each(|g| catalog.add_group(g));
                return Ok(catalog);
            }
            Ok(_) => {}
            Err(e) => {
                tracing::debug!("aggregated discovery unavailable, using the classic one: {e}")
            }
        }
        let groups = Retry::DEFAULT
            .run(|| client.list_api_groups())
            .await
            .map_err(wrap)?;
        let core = Retry::DEFAULT
            .run(|| client.list_core_api_versions())
            .await
            .map_err(wrap)?;
        let mut gvs: Vec<GroupVersion> = core
            .versions
            .iter()
            .map(|v| GroupVersion::gv("", v))
            .collect();
        for group in &groups.groups {
            gvs.extend(
                group
                    .versions
                    .iter()
                    .map(|v| GroupVersion::gv(&group.name, &v.version)),
            );
        }
        catalog.add_group_versions(client, &gvs).await?;
        Ok(catalog)
    }

    /// Queries `gvs` (in parallel, each retried) and adds what they serve.
    pub async fn add_group_versions(
        &mut self,
        client: &kube::Client,
        gvs: &[GroupVersion],
    ) -> Result<(), ClusterError> {
        let found: Vec<ApiGroup> = stream::iter(gvs)
            .map(|gv| async move {
                Retry::DEFAULT
                    .run(|| discovery::pinned_group(client, gv))
                    .await
                    .map_err(|source| ClusterError::Discovery { source })
            })
            .buffered(PARALLEL_QUERIES)
            .try_collect()
            .await?;
        found.iter().for_each(|g| self.add_group(g));
        Ok(())
    }

    fn add_group(&mut self, group: &ApiGroup) {
        for version in group.versions() {
            for (resource, caps) in group.versioned_resources(version) {
                self.add(resource, &caps);
            }
        }
    }

    fn add(&mut self, resource: ApiResource, caps: &ApiCapabilities) {
        self.versions
            .entry(resource.group.clone())
            .or_default()
            .insert(resource.version.clone());
        let key = (
            resource.group.clone(),
            resource.version.clone(),
            resource.kind.clone(),
        );
        let namespaced = caps.scope == Scope::Namespaced;
        self.kinds.insert(
            key,
            Resolved {
                resource,
                namespaced,
            },
        );
    }

    /// Adds one served kind (tests build catalogs without a server).
    #[cfg(test)]
    pub fn insert(&mut self, api_version: &str, kind: &str, plural: &str, namespaced: bool) {
        let (group, version) = super::crd::split_api_version(api_version);
        let resource = ApiResource {
            group: group.to_string(),
            version: version.to_string(),
            api_version: api_version.to_string(),
            kind: kind.to_string(),
            plural: plural.to_string(),
        };
        let scope = if namespaced {
            Scope::Namespaced
        } else {
            Scope::Cluster
        };
        let caps = ApiCapabilities {
            scope,
            subresources: Vec::new(),
            operations: Vec::new(),
        };
        self.add(resource, &caps);
    }

    /// The served kind `kind` of `api_version`.
    pub fn resolve(&self, api_version: &str, kind: &str) -> Option<&Resolved> {
        let (group, version) = super::crd::split_api_version(api_version);
        self.kinds
            .get(&(group.to_string(), version.to_string(), kind.to_string()))
    }

    /// The kind `kind` of `group` in any served version (the same objects).
    pub fn resolve_any_version(&self, group: &str, kind: &str) -> Option<&Resolved> {
        self.versions.get(group)?.iter().find_map(|version| {
            self.kinds
                .get(&(group.to_string(), version.clone(), kind.to_string()))
        })
    }

    /// The versions served of `group` (empty when the group is not served).
    pub fn versions_of(&self, group: &str) -> Vec<String> {
        self.versions
            .get(group)
            .map(|v| v.iter().cloned().collect())
            .unwrap_or_default()
    }
}
