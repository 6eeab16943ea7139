//! GitHub REST API simulator for one repository: an axum server on loopback
//! that lists releases, tags and branches, serves the contents API, and
//! redirects asset downloads to short-lived signed storage URLs, with
//! switchable faults and rate limits. Used by the integration tests and
//! `ferry demo`; product code never depends on it.
//!
//! The API is served at the root (like api.github.com) and under `/api/v3`
//! (like GitHub Enterprise).
//!
//! This file owns the server handle and the router; the data lives in
//! `catalogue.rs` / `kyma.rs` / `synthetic.rs` / `content.rs`, the handlers in `api.rs`,
//! `contents.rs` and `storage.rs`, faults and quotas in `faults.rs` and
//! `gate.rs`.

mod api;
mod body;
mod catalogue;
mod clock;
mod content;
mod contents;
mod faults;
mod gate;
mod json;
mod kyma;
mod page;
mod repo_files;
mod sha1;
mod storage;
mod synthetic;
mod synthetic_objects;
#[cfg(test)]
mod tests;

pub use catalogue::{fake_commit, Catalogue, SimAsset, SimBranch, SimRelease, SimTag};
pub use faults::{Faults, RequestKind, RequestRecord};
pub use kyma::{asset_content, asset_names, GUIDES_DIR, TILLER_PATH};
pub use synthetic::{synthetic_asset_name, synthetic_yaml, SYNTHETIC_OWNER, SYNTHETIC_REPO};
pub use synthetic_objects::{
    synthetic_objects_yaml, INSTALLATION_ASSET, INSTALLER_ASSET, OBJECTS_ASSET,
};

use super::serve::Serving;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use faults::{FaultState, RateWindow};
use sha2::{Digest, Sha256};
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

/// Lifetime of a signed storage URL, like GitHub's (about a minute).
const DEFAULT_LINK_LIFETIME: u64 = 60;

/// A running simulator. Stops on [`GitHubSim::shutdown`] or when dropped.
pub struct GitHubSim {
    shared: Arc<Shared>,
    addr: SocketAddr,
    serving: Serving,
}

/// State shared by all handlers.
pub(crate) struct Shared {
    inner: Mutex<Inner>,
    /// Key of the storage URL signatures.
    secret: String,
    /// Base URL used when a request carries no `Host` header.
    fallback_base: String,
    /// Absolute URLs say `https` (a TLS terminator sits in front).
    https: AtomicBool,
}

/// The mutable part of the state (never held across an await).
pub(crate) struct Inner {
    pub(crate) catalogue: Catalogue,
    pub(crate) faults: Faults,
    pub(crate) fault_state: FaultState,
    pub(crate) requests: Vec<RequestRecord>,
    pub(crate) throttle: Option<u64>,
    pub(crate) link_lifetime: u64,
    pub(crate) rate: RateWindow,
}

impl Shared {
    /// Locks the state (a poisoned lock is still usable: the data is plain).
    pub(crate) fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The base URL the client used (from `Host`), for absolute URLs.
    pub(crate) fn base(&self, headers: &HeaderMap) -> String {
        headers
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .filter(|h| !h.is_empty())
            .map(|h| {
                let scheme = if self.https.load(Ordering::Relaxed) {
                    "https"
                } else {
                    "http"
                };
                format!("{scheme}://{h}")
            })
            .unwrap_or_else(|| self.fallback_base.clone())
    }

    /// Signature of a storage URL.
    pub(crate) fn sign(&self, id: u64, name: &str, expires: u64) -> String {
        let digest = Sha256::digest(format!("{}|{id}|{name}|{expires}", self.secret));
        hex::encode(digest)[..32].to_string()
    }

    /// True when this full-body answer must be cut (see [`Faults`]).
    pub(crate) fn take_cut(&self, key: &str) -> bool {
        let mut inner = self.lock();
        let inner = &mut *inner;
        inner.fault_state.take_cut(&inner.faults, key)
    }
}

/// A JSON answer with a status.
pub(crate) fn json_response(status: StatusCode, value: &serde_json::Value) -> Response {
    (status, axum::Json(value)).into_response()
}

/// GitHub's 404.
pub(crate) fn not_found() -> Response {
    json_response(StatusCode::NOT_FOUND, &json::not_found())
}

/// True when the owner/repo in a path name our repository (case-insensitive, as GitHub).
pub(crate) fn repo_matches(c: &Catalogue, owner: &str, repo: &str) -> bool {
    c.owner.eq_ignore_ascii_case(owner) && c.repo.eq_ignore_ascii_case(repo)
}

/// The API at the root (github.com's layout) and under `/api/v3` (GitHub
/// Enterprise's).
fn router(shared: Arc<Shared>) -> Router {
    let api = routes();
    Router::new()
        .merge(api.clone())
        .nest("/api/v3", api)
        .fallback(|| async { not_found() })
        .layer(axum::middleware::from_fn_with_state(
            shared.clone(),
            gate::gate,
        ))
        .with_state(shared)
}

fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route("/rate_limit", get(api::rate_limit))
        .route("/repos/{owner}/{repo}/releases", get(api::list_releases))
        .route(
            "/repos/{owner}/{repo}/releases/tags/{tag}",
            get(api::release_by_tag),
        )
        .route(
            "/repos/{owner}/{repo}/releases/{id}",
            get(api::release_by_id),
        )
        .route(
            "/repos/{owner}/{repo}/releases/{id}/assets",
            get(api::release_assets),
        )
        .route(
            "/repos/{owner}/{repo}/releases/assets/{id}",
            get(storage::asset),
        )
        .route("/repos/{owner}/{repo}/tags", get(api::list_tags))
        .route("/repos/{owner}/{repo}/branches", get(api::list_branches))
        .route("/repos/{owner}/{repo}/contents", get(contents::root))
        .route(
            "/repos/{owner}/{repo}/contents/{*path}",
            get(contents::path),
        )
        .route("/_storage/{id}/{name}", get(storage::download))
        .route("/_raw/{git_ref}/{*path}", get(contents::raw))
}

impl GitHubSim {
    /// Starts on 127.0.0.1 with an OS-chosen port, spawned on the current tokio runtime.
    pub async fn start(catalogue: Catalogue) -> std::io::Result<GitHubSim> {
        GitHubSim::start_on(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)), catalogue).await
    }

    /// Starts on a given address (for `ferry sandbox github --listen`).
    pub async fn start_on(addr: SocketAddr, catalogue: Catalogue) -> std::io::Result<GitHubSim> {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let shown = if addr.ip().is_unspecified() {
            SocketAddr::from((Ipv4Addr::LOCALHOST, addr.port()))
        } else {
            addr
        };
        let now = clock::unix_now();
        let seed = format!("{addr}|{:?}", std::time::SystemTime::now());
        let shared = Arc::new(Shared {
            inner: Mutex::new(Inner {
                catalogue,
                faults: Faults::default(),
                fault_state: FaultState::default(),
                requests: Vec::new(),
                throttle: None,
                link_lifetime: DEFAULT_LINK_LIFETIME,
                rate: RateWindow::new(now),
            }),
            secret: hex::encode(Sha256::digest(seed.as_bytes())),
            fallback_base: format!("http://{shown}"),
            https: AtomicBool::new(false),
        });
        let app = router(shared.clone());
        Ok(GitHubSim {
            shared,
            addr: shown,
            serving: Serving::spawn(listener, app, "GitHub simulator"),
        })
    }

    /// API root without trailing slash, e.g. "http://127.0.0.1:41234".
    pub fn base_url(&self) -> String {
        self.shared.fallback_base.clone()
    }

    /// With `true`, the absolute URLs in answers (assets, storage redirects,
    /// pagination) say `https://` with the client's `Host`: for serving
    /// behind a TLS terminator, like GitHub Enterprise behind its proxy.
    pub fn set_https(&self, https: bool) {
        self.shared.https.store(https, Ordering::Relaxed);
    }

    /// The address the server listens on (loopback when bound to all interfaces).
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Replaces the active faults and forgets which ones already fired, so
    /// each enabled fault fires again as documented on [`Faults`].
    pub fn set_faults(&self, faults: Faults) {
        let mut inner = self.shared.lock();
        inner.faults = faults;
        inner.fault_state = FaultState::default();
    }

    /// Bytes per second for storage (asset download) responses; None = unthrottled.
    pub fn set_storage_throttle(&self, bytes_per_sec: Option<u64>) {
        self.shared.lock().throttle = bytes_per_sec;
    }

    /// How long new signed storage URLs stay valid (default 60 s; zero makes
    /// them expire at once, to test clients that resume from stale URLs).
    pub fn set_storage_link_lifetime(&self, lifetime: Duration) {
        self.shared.lock().link_lifetime = lifetime.as_secs();
    }

    /// Every request seen so far, in order.
    pub fn requests(&self) -> Vec<RequestRecord> {
        self.shared.lock().requests.clone()
    }

    /// Forgets the recorded requests.
    pub fn clear_requests(&self) {
        self.shared.lock().requests.clear();
    }

    /// A copy of the live catalogue.
    pub fn catalogue(&self) -> Catalogue {
        self.shared.lock().catalogue.clone()
    }

    /// Mutate the live catalogue (add a release, change an asset's content, ...).
    pub fn update_catalogue(&self, f: impl FnOnce(&mut Catalogue)) {
        f(&mut self.shared.lock().catalogue);
    }

    /// Stops the server (dropping the handle does the same).
    pub fn shutdown(mut self) {
        self.serving.stop();
    }
}
