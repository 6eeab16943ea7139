//! A Kubernetes API server simulator for a Kyma 1.x cluster: an in-process
//! HTTP server on 127.0.0.1 that the real `kubectl` and kube-rs can talk to
//! (discovery, OpenAPI v3 index, CRUD, server-side apply, patches, watches),
//! with simulated controllers for Deployments, CRDs and the Kyma installer.
//!
//! This file owns the handle (`KubeSim`), its configuration and the shared
//! state; routing, storage, apply, discovery and controllers live in the
//! sibling files. Product code never depends on this module.
//!
//! Deliberately not simulated: OpenAPI schemas (so no schema validation or
//! unknown-field rejection), keyed list merges in server-side apply (lists
//! are atomic, so a change anywhere in `containers` conflicts as a whole),
//! pagination (`limit` is ignored), RBAC, protobuf (always JSON), and
//! ReplicaSets (Pods are owned by their Deployment directly). Bodies must be
//! JSON, which is what kubectl and kube-rs send, apply patches included.

mod app;
mod apply;
mod busy;
mod controller;
mod convert;
mod discovery;
mod fields;
mod handlers;
mod installer;
mod modify;
mod objects;
mod openapi;
mod ops;
mod patch;
mod resources;
mod router;
mod seed;
mod selectors;
mod status;
mod store;
mod table;
mod validate;
mod watch;

#[cfg(test)]
mod tests;

pub use busy::BusyStats;
use serde_json::Value;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;
use store::{Key, Store};
use tokio::task::JoinHandle;

/// How the simulated cluster looks and behaves.
#[derive(Clone, Debug)]
pub struct ClusterConfig {
    /// Kubernetes `(major, minor)`, e.g. `(1, 16)`: decides the served APIs.
    pub kubernetes: (u32, u32),
    /// Seed an installed Kyma at this version (None: an empty cluster).
    pub kyma_version: Option<String>,
    /// Value of `isLocal` in ConfigMap `kube-system/kyma-cluster-info`.
    pub local: bool,
    /// How long a simulated Kyma installation takes.
    pub installer_delay: Duration,
    /// How long until a new CRD becomes Established.
    pub crd_established_delay: Duration,
    /// The installer ends in `Error` when installing this version.
    pub fail_version: Option<String>,
}

impl ClusterConfig {
    /// The Kubernetes minor a cluster running Kyma `version` had: Kyma up to
    /// 1.9 deploys its installer as `extensions/v1beta1`, which Kubernetes
    /// 1.16 stopped serving, so those clusters ran 1.15; later ones 1.16.
    /// Without a (parsable) version: 1.16.
    pub fn kubernetes_for_kyma(version: Option<&str>) -> (u32, u32) {
        let parsed = version.and_then(|v| v.parse::<ferry_formats::version::Version>().ok());
        match parsed {
            Some(v) if v.major == 1 && v.minor < 10 => (1, 15),
            _ => (1, 16),
        }
    }
}

impl Default for ClusterConfig {
    fn default() -> Self {
        ClusterConfig {
            kubernetes: (1, 16),
            kyma_version: None,
            local: false,
            installer_delay: Duration::from_millis(200),
            crd_established_delay: Duration::from_millis(50),
            fail_version: None,
        }
    }
}

/// Injected failures.
#[derive(Clone, Debug, Default)]
pub struct KubeFaults {
    /// Every Nth request is answered 500.
    pub server_error_every: Option<u32>,
    /// Every Nth write on ConfigMaps is answered 409 Conflict.
    pub conflict_every: Option<u32>,
    /// Watch streams are closed after this long.
    pub drop_watches_after: Option<Duration>,
}

/// One served request, as recorded for tests.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KubeRequestRecord {
    /// HTTP method.
    pub method: String,
    /// Path and query.
    pub path: String,
    /// Request `Content-Type`, if any.
    pub content_type: Option<String>,
    /// Response status code.
    pub status: u16,
}

/// Mutable state behind one lock.
pub(crate) struct State {
    pub store: Store,
    pub faults: KubeFaults,
    pub requests_seen: u64,
    pub configmap_writes: u64,
    pub records: Vec<KubeRequestRecord>,
    pub mutations: u64,
    pub installed: Vec<String>,
    pub fail_version: Option<String>,
    pub uid_counter: u64,
    pub installing: bool,
    pub require_token: bool,
}

/// What the server and controllers share.
pub(crate) struct Shared {
    pub config: ClusterConfig,
    pub token: String,
    pub state: Mutex<State>,
    /// Flips to true when the simulator stops: open watches end.
    pub closing: tokio::sync::watch::Sender<bool>,
    /// Time spent serving requests.
    pub busy: busy::Busy,
}

impl Shared {
    /// The state lock (a panicked holder does not poison the simulator).
    pub fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// A running Kubernetes API simulator; stops when dropped.
pub struct KubeSim {
    shared: Arc<Shared>,
    addr: SocketAddr,
    tasks: Vec<JoinHandle<()>>,
}

impl KubeSim {
    /// Seeds the cluster and serves it on `127.0.0.1:0`.
    pub async fn start(config: ClusterConfig) -> std::io::Result<KubeSim> {
        KubeSim::start_on(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)), config).await
    }

    /// Seeds the cluster and serves it on `addr` (for `ferry sandbox kube`).
    pub async fn start_on(addr: SocketAddr, config: ClusterConfig) -> std::io::Result<KubeSim> {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let bound = listener.local_addr()?;
        let addr = if bound.ip().is_unspecified() {
            SocketAddr::from((Ipv4Addr::LOCALHOST, bound.port()))
        } else {
            bound
        };
        let token = objects::random_hex(addr.port() as u64, 32);
        let mut state = State {
            store: Store::new(),
            faults: KubeFaults::default(),
            requests_seen: 0,
            configmap_writes: 0,
            records: Vec::new(),
            mutations: 0,
            installed: Vec::new(),
            fail_version: config.fail_version.clone(),
            uid_counter: 0,
            installing: false,
            require_token: false,
        };
        seed::seed(&config, &mut state);
        state.store.compact();
        let shared = Arc::new(Shared {
            config,
            token,
            state: Mutex::new(state),
            closing: tokio::sync::watch::channel(false).0,
            busy: busy::Busy::default(),
        });
        let app = app::router(shared.clone());
        let server = tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, app).await {
                tracing::warn!("kube simulator stopped: {e}");
            }
        });
        let mut tasks = vec![server];
        tasks.extend(controller::spawn(shared.clone()));
        Ok(KubeSim {
            shared,
            addr,
            tasks,
        })
    }

    /// `http://127.0.0.1:PORT`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The bearer token the kubeconfig carries (requests without a token are
    /// also accepted unless [`KubeSim::require_token`]; a wrong one gets 401).
    pub fn token(&self) -> &str {
        &self.shared.token
    }

    /// With `true`, requests without the bearer token are answered 401 too
    /// (a cluster that authenticates by token only).
    pub fn require_token(&self, required: bool) {
        self.shared.lock().require_token = required;
    }

    /// Writes a kubeconfig (cluster server = base_url, a token user, context
    /// `context` with namespace `default`, selected as current).
    pub fn write_kubeconfig(&self, path: &Path, context: &str) -> std::io::Result<()> {
        KubeSim::write_fleet_kubeconfig(path, &[(self, context)])
    }

    /// Writes one kubeconfig with a context per simulator (each with its own
    /// cluster and user entry), the first selected as current.
    pub fn write_fleet_kubeconfig(
        path: &Path,
        members: &[(&KubeSim, &str)],
    ) -> std::io::Result<()> {
        let q = |s: &str| Value::String(s.to_string()).to_string();
        let (mut clusters, mut users, mut contexts) = (String::new(), String::new(), String::new());
        for (sim, context) in members {
            let (cluster, user) = (
                q(&format!("{context}-cluster")),
                q(&format!("{context}-admin")),
            );
            clusters.push_str(&format!(
                "- name: {cluster}\n  cluster:\n    server: {}\n",
                q(&sim.base_url())
            ));
            users.push_str(&format!(
                "- name: {user}\n  user:\n    token: {}\n",
                q(&sim.shared.token)
            ));
            contexts.push_str(&format!(
                "- name: {}\n  context:\n    cluster: {cluster}\n    user: {user}\n    namespace: default\n",
                q(context)
            ));
        }
        let current = members.first().map_or(String::new(), |(_, c)| q(c));
        let text = format!(
            "apiVersion: v1\nkind: Config\nclusters:\n{clusters}users:\n{users}contexts:\n{contexts}current-context: {current}\n"
        );
        std::fs::write(path, text)
    }

    /// Replaces the injected faults.
    pub fn set_faults(&self, faults: KubeFaults) {
        let mut state = self.shared.lock();
        state.faults = faults;
        state.requests_seen = 0;
        state.configmap_writes = 0;
    }

    /// Every stored object as JSON (storage versions).
    pub fn objects(&self) -> Vec<Value> {
        self.shared
            .lock()
            .store
            .all()
            .map(|(_, v)| v.clone())
            .collect()
    }

    /// One object by API version, kind, namespace and name, in that API version.
    pub fn get(
        &self,
        api_version: &str,
        kind: &str,
        namespace: Option<&str>,
        name: &str,
    ) -> Option<Value> {
        let state = self.shared.lock();
        let def = resources::served(&self.shared.config, &state.store)
            .into_iter()
            .find(|d| d.api_version() == api_version && d.kind == kind)?;
        let ns = if def.namespaced { namespace } else { None };
        let key = Key::new(&def.storage_group, &def.plural, ns, name);
        let obj = state.store.get(&key)?.clone();
        Some(convert::to_version(&def, obj))
    }

    /// Kyma versions the simulated installer finished installing, in order.
    pub fn installed_versions(&self) -> Vec<String> {
        self.shared.lock().installed.clone()
    }

    /// Mutating requests (POST/PUT/PATCH/DELETE) answered 2xx, dry runs excluded.
    pub fn mutations(&self) -> u64 {
        self.shared.lock().mutations
    }

    /// How long the server has been busy handling requests so far (also
    /// served as JSON at `GET /ferry-sandbox/stats`).
    pub fn busy(&self) -> BusyStats {
        self.shared.busy.stats()
    }

    /// Every request served so far.
    pub fn requests(&self) -> Vec<KubeRequestRecord> {
        self.shared.lock().records.clone()
    }

    /// Changes the version whose installation fails.
    pub fn set_fail_version(&self, version: Option<String>) {
        self.shared.lock().fail_version = version;
    }

    /// Stops the server, its watches and controllers.
    pub fn shutdown(self) {
        drop(self);
    }
}

impl Drop for KubeSim {
    fn drop(&mut self) {
        self.shared.closing.send_replace(true);
        for task in &self.tasks {
            task.abort();
        }
    }
}
