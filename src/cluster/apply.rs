//! `Applier`: server-side apply (field manager `ferry`, forced) of a batch of
//! objects with any kinds, CRDs first and waited on until Established, with
//! ONE discovery snapshot that grows only when a CRD defines new kinds;
//! dry runs; and the report of what changed. Objects go concurrently, in
//! the waves `order` decides.
//!
//! Deleting lives in `delete`, preflight hints in `preflight`, discovery in
//! `catalog`. Which files a hop applies, and in which order, is `upgrade`'s job.

use super::catalog::{Catalog, Resolved};
use super::compare::would_change;
use super::crd::{defined_kinds, is_crd, is_established, type_of, DefinedKind};
use super::error::{describe, ClusterError};
use super::order::waves;
use super::preflight::{self, Unservable};
use super::retry::Retry;
use super::seen::{list, Fingerprint, Seen};
use super::wait::wait_until;
use super::FIELD_MANAGER;
use futures_util::{stream, StreamExt, TryStreamExt};
use kube::api::{Api, DynamicObject, Patch, PatchParams};
use kube::core::GroupVersion;
use kube::ResourceExt;
use serde::Serialize;
use std::collections::{BTreeSet, HashSet};
use std::fmt;
use std::time::{Duration, Instant};

/// How long a new CRD may take to become Established, by default.
const CRD_TIMEOUT: Duration = Duration::from_secs(60);

/// Server-side applies (and lists) in flight at once within one wave.
const IN_FLIGHT: usize = 16;

/// How long discovery may lag behind an Established CRD.
const DISCOVERY_LAG: Duration = Duration::from_secs(10);

/// What applying one object did (or, in a dry run, would do).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Change {
    /// The object did not exist.
    Created,
    /// The object existed and changed.
    Configured,
    /// The object existed and stayed as it was.
    Unchanged,
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Change::Created => "created",
            Change::Configured => "configured",
            Change::Unchanged => "unchanged",
        })
    }
}

/// One applied object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Applied {
    /// API version it was applied as.
    pub api_version: String,
    /// Kind.
    pub kind: String,
    /// Namespace (None for cluster-scoped kinds).
    pub namespace: Option<String>,
    /// Name.
    pub name: String,
    /// What happened.
    pub change: Change,
}

/// Applies objects to one cluster, holding the client and one discovery snapshot.
pub struct Applier {
    pub(crate) client: kube::Client,
    pub(crate) catalog: Catalog,
    crd_timeout: Duration,
}

impl Applier {
    /// Discovers what the cluster serves.
    pub async fn new(client: kube::Client) -> Result<Applier, ClusterError> {
        let catalog = Catalog::discover(&client).await?;
        Ok(Applier {
            client,
            catalog,
            crd_timeout: CRD_TIMEOUT,
        })
    }

    /// Sets how long a CRD may take to become Established (default 60 s).
    pub fn with_crd_timeout(mut self, timeout: Duration) -> Applier {
        self.crd_timeout = timeout;
        self
    }

    /// The client.
    pub fn client(&self) -> &kube::Client {
        &self.client
    }

    /// Discovers again everything the cluster serves.
    pub async fn refresh(&mut self) -> Result<(), ClusterError> {
        self.catalog = Catalog::discover(&self.client).await?;
        Ok(())
    }

    /// True when the cluster serves `kind` of `api_version`.
    pub fn serves(&self, api_version: &str, kind: &str) -> bool {
        self.catalog.resolve(api_version, kind).is_some()
    }

    /// A dynamic API for `kind` of `api_version`, in `namespace` when the
    /// kind is namespaced (None: the kubeconfig's namespace).
    pub fn api(
        &self,
        api_version: &str,
        kind: &str,
        namespace: Option<&str>,
    ) -> Result<Api<DynamicObject>, ClusterError> {
        let resolved = self.resolve(api_version, kind, || kind.to_string())?;
        let ns = namespace.unwrap_or(self.client.default_namespace());
        Ok(self.api_of(resolved, resolved.namespaced.then_some(ns)))
    }

    /// Preflight: objects whose apiVersion/kind the cluster does not serve
    /// and that no CRD among `defined_by` (the same hop's objects) defines,
    /// each with a hint.
    pub fn unservable(
        &self,
        objects: &[DynamicObject],
        defined_by: &[DynamicObject],
    ) -> Vec<Unservable> {
        preflight::unservable(&self.catalog, objects, defined_by)
    }

    pub(crate) fn api_of(
        &self,
        resolved: &Resolved,
        namespace: Option<&str>,
    ) -> Api<DynamicObject> {
        match namespace {
            Some(ns) => Api::namespaced_with(self.client.clone(), ns, &resolved.resource),
            None => Api::all_with(self.client.clone(), &resolved.resource),
        }
    }

    /// The served kind, or an error naming `object` with a hint.
    fn resolve(
        &self,
        api_version: &str,
        kind: &str,
        object: impl FnOnce() -> String,
    ) -> Result<&Resolved, ClusterError> {
        self.catalog
            .resolve(api_version, kind)
            .ok_or_else(|| ClusterError::Unservable {
                object: object(),
                api_version: api_version.to_string(),
                kind: kind.to_string(),
                hint: preflight::hint(&self.catalog, api_version, kind),
            })
    }

    /// Server-side apply (field manager "ferry", force) of every object.
    /// CRDs in the batch go first, one by one, and are waited on until
    /// Established, then discovery learns their kinds so CRs of them
    /// resolve. The other objects go in waves (see `order`: Namespaces, then
    /// most kinds, then bindings, then webhooks), up to `IN_FLIGHT` requests
    /// at once within a wave. The report lists the CRDs, then the other
    /// objects, each in input order. The first failure (in input order
    /// within its wave) stops the batch and is returned; requests already
    /// in flight may have landed. Objects of namespaced kinds without a
    /// namespace get `default_namespace`. `dry_run` sends dryRun=All
    /// (nothing changes) and reports what would change; CRs of CRDs the
    /// cluster does not have yet, and objects in namespaces the batch would
    /// create, are reported as would-be-created without a request.
    pub async fn apply(
        &mut self,
        objects: &[DynamicObject],
        default_namespace: &str,
        dry_run: bool,
    ) -> Result<Vec<Applied>, ClusterError> {
        let (crds, rest): (Vec<&DynamicObject>, Vec<&DynamicObject>) =
            objects.iter().partition(|o| is_crd(o));
        let mut seen = Seen::default();
        let mut report = Vec::with_capacity(objects.len());
        let mut pending = Vec::new();
        for crd in &crds {
            if !dry_run {
                self.fetch_lists(&mut seen, &[crd], default_namespace)
                    .await?;
            }
            let (applied, result) = self
                .apply_one(crd, default_namespace, dry_run, &seen)
                .await?;
            if !dry_run {
                self.record(&mut seen, &applied, Fingerprint::of(&result.metadata));
                if !is_established(&result) {
                    pending.push(result);
                }
            }
            report.push(applied);
        }
        let defined: Vec<DefinedKind> = crds.iter().flat_map(|c| defined_kinds(c)).collect();
        if !dry_run {
            for crd in &pending {
                self.wait_established(crd).await?;
            }
            self.learn(&defined).await?;
        }
        let mut done: Vec<Option<Applied>> = vec![None; rest.len()];
        let mut new_namespaces = HashSet::new();
        for wave in waves(&rest) {
            let members: Vec<&DynamicObject> = wave.iter().map(|&i| rest[i]).collect();
            if !dry_run {
                self.fetch_lists(&mut seen, &members, default_namespace)
                    .await?;
            }
            let (seen_now, new_now, defined) = (&seen, &new_namespaces, &defined);
            let this = &*self;
            // Only the report line and the fingerprint of each result are
            // kept, not the returned objects: memory stays small per object.
            let results: Vec<(Applied, Option<Fingerprint>)> =
                stream::iter(members.into_iter().map(|object| async move {
                    let skipped = dry_run
                        .then(|| this.unsendable(object, defined, new_now, default_namespace))
                        .flatten();
                    match skipped {
                        Some(applied) => Ok((applied, None)),
                        None => this
                            .apply_one(object, default_namespace, dry_run, seen_now)
                            .await
                            .map(|(applied, result)| {
                                (applied, Some(Fingerprint::of(&result.metadata)))
                            }),
                    }
                }))
                .buffered(IN_FLIGHT)
                .try_collect()
                .await?;
            for (&i, (applied, fingerprint)) in wave.iter().zip(results) {
                if let (false, Some(fingerprint)) = (dry_run, fingerprint) {
                    self.record(&mut seen, &applied, fingerprint);
                }
                if dry_run
                    && applied.api_version == "v1"
                    && applied.kind == "Namespace"
                    && applied.change == Change::Created
                {
                    new_namespaces.insert(applied.name.clone());
                }
                done[i] = Some(applied);
            }
        }
        report.extend(done.into_iter().flatten());
        Ok(report)
    }

    /// Lists, up to `IN_FLIGHT` at once, the existing objects of every
    /// resource and namespace of `objects` that `seen` does not know yet.
    async fn fetch_lists(
        &self,
        seen: &mut Seen,
        objects: &[&DynamicObject],
        default_namespace: &str,
    ) -> Result<(), ClusterError> {
        let mut wanted: Vec<(&Resolved, Option<String>)> = Vec::new();
        for object in objects {
            let (api_version, kind) = type_of(object);
            // An unservable object fails when it is applied, in its turn.
            let Some(resolved) = self.catalog.resolve(api_version, kind) else {
                continue;
            };
            let ns = resolved.namespaced.then(|| {
                object
                    .namespace()
                    .unwrap_or_else(|| default_namespace.to_string())
            });
            let new = seen.needs(resolved, ns.as_deref())
                && !wanted
                    .iter()
                    .any(|(r, n)| std::ptr::eq(*r, resolved) && *n == ns);
            if new {
                wanted.push((resolved, ns));
            }
        }
        let lists: Vec<_> = stream::iter(wanted.iter().map(|(resolved, ns)| async move {
            let api = self.api_of(resolved, ns.as_deref());
            list(&api, resolved, ns.as_deref()).await
        }))
        .buffered(IN_FLIGHT)
        .try_collect()
        .await?;
        for ((resolved, ns), listed) in wanted.iter().zip(lists) {
            seen.insert(resolved, ns.as_deref(), listed);
        }
        Ok(())
    }

    /// Remembers in `seen` the state an apply returned.
    fn record(&self, seen: &mut Seen, applied: &Applied, fingerprint: Fingerprint) {
        if let Some(resolved) = self.catalog.resolve(&applied.api_version, &applied.kind) {
            let namespace = applied.namespace.as_deref();
            seen.record(resolved, namespace, &applied.name, fingerprint);
        }
    }

    /// In a dry run, the would-create line of an object the server cannot
    /// check because its CRD or its namespace is new in this batch.
    fn unsendable(
        &self,
        object: &DynamicObject,
        defined: &[DefinedKind],
        new_namespaces: &HashSet<String>,
        default_namespace: &str,
    ) -> Option<Applied> {
        let (api_version, kind) = type_of(object);
        let served = self.catalog.resolve(api_version, kind);
        let namespaced = match served {
            Some(resolved) => resolved.namespaced,
            None => {
                defined
                    .iter()
                    .find(|d| d.kind == kind && d.api_version() == api_version)?
                    .namespaced
            }
        };
        let namespace = namespaced.then(|| {
            object
                .namespace()
                .unwrap_or_else(|| default_namespace.to_string())
        });
        let new_namespace = namespace
            .as_ref()
            .is_some_and(|n| new_namespaces.contains(n));
        if served.is_some() && !new_namespace {
            return None;
        }
        Some(Applied {
            api_version: api_version.to_string(),
            kind: kind.to_string(),
            namespace,
            name: object.name_any(),
            change: Change::Created,
        })
    }

    /// Applies one object; returns the report line and the server's result.
    async fn apply_one(
        &self,
        object: &DynamicObject,
        default_namespace: &str,
        dry_run: bool,
        seen: &Seen,
    ) -> Result<(Applied, DynamicObject), ClusterError> {
        let (api_version, kind) = type_of(object);
        let name = object.name_any();
        let resolved = self.resolve(api_version, kind, || {
            describe(kind, object.namespace().as_deref(), &name)
        })?;
        let given_ns = object
            .namespace()
            .unwrap_or_else(|| default_namespace.to_string());
        let namespace = resolved.namespaced.then_some(given_ns);
        let ns = namespace.as_deref();
        let mut body = object.clone();
        body.metadata.namespace = namespace.clone();
        let api = self.api_of(resolved, ns);
        let label = describe(kind, ns, &name);
        let failed = |action, source| ClusterError::Api {
            action,
            object: label.clone(),
            source,
        };
        let mut params = PatchParams::apply(FIELD_MANAGER).force();
        params.dry_run = dry_run;
        let (live, seen_before) = if dry_run {
            let live = Retry::DEFAULT.run(|| api.get_opt(&name)).await;
            let live = live.map_err(|e| failed("read", e))?;
            (
                live.map(|o| serde_json::to_value(o).unwrap_or_default()),
                None,
            )
        } else {
            (None, seen.before(resolved, ns, &name))
        };
        let patch = Patch::Apply(&body);
        let result = Retry::DEFAULT
            .with_conflicts(1)
            .run(|| api.patch(&name, &params, &patch))
            .await
            .map_err(|e| failed("apply", e))?;
        let change = match (live, seen_before) {
            (Some(live), _) => {
                let would_be = serde_json::to_value(&result).unwrap_or_default();
                if would_change(&live, &would_be) {
                    Change::Configured
                } else {
                    Change::Unchanged
                }
            }
            (None, Some(before)) if before.unchanged(&Fingerprint::of(&result.metadata)) => {
                Change::Unchanged
            }
            (None, Some(_)) => Change::Configured,
            (None, None) => Change::Created,
        };
        let applied = Applied {
            api_version: api_version.to_string(),
            kind: kind.to_string(),
            namespace,
            name,
            change,
        };
        Ok((applied, result))
    }

    /// Waits until the applied CRD `crd` is Established.
    async fn wait_established(&self, crd: &DynamicObject) -> Result<(), ClusterError> {
        let (api_version, kind) = type_of(crd);
        let name = crd.name_any();
        let resolved = self.resolve(api_version, kind, || describe(kind, None, &name))?;
        let api = self.api_of(resolved, None);
        let label = describe(kind, None, &name);
        wait_until(api, &name, self.crd_timeout, &label, "Established", |o| {
            o.is_some_and(is_established)
        })
        .await
    }

    /// Adds the group-versions of `defined` kinds discovery does not know
    /// yet, asking again for a while if the server lags behind.
    async fn learn(&mut self, defined: &[DefinedKind]) -> Result<(), ClusterError> {
        let started = Instant::now();
        loop {
            let missing: BTreeSet<(String, String)> = defined
                .iter()
                .filter(|d| !self.serves(&d.api_version(), &d.kind))
                .map(|d| (d.group.clone(), d.version.clone()))
                .collect();
            if missing.is_empty() || started.elapsed() > DISCOVERY_LAG {
                return Ok(());
            }
            let gvs: Vec<GroupVersion> = missing
                .iter()
                .map(|(g, v)| GroupVersion::gv(g, v))
                .collect();
            if let Err(e) = self.catalog.add_group_versions(&self.client, &gvs).await {
                tracing::debug!("new kinds not discoverable yet: {e}");
            }
            if defined
                .iter()
                .all(|d| self.serves(&d.api_version(), &d.kind))
            {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}
