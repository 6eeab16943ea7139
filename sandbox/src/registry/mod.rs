//! An in-memory OCI distribution registry for `ferry demo` (which must run
//! on a bare machine; the tests use Debian's real docker-registry): plain
//! HTTP on loopback, anonymous, enough of the spec for ferry's own
//! oci-client use. It pulls (`GET /v2/`, manifests by tag or digest with
//! their media type and `Docker-Content-Digest`, blobs with `Range`), pushes
//! (upload sessions in chunks, digest-checked, cross-repository mounts,
//! manifests checked for what they refer to) and answers the spec's error
//! envelopes. Blobs are stored once, but a repository only has those pushed
//! or mounted into it, like the real registry.
//!
//! This file owns the handle and seeding it with generated images; the
//! contents live in `store`, path parsing in `route`, the HTTP answers in
//! `handlers`. Product code never depends on this module.

mod handlers;
mod route;
mod store;
#[cfg(test)]
mod tests;

use super::images::{GeneratedImage, ImageError};
use super::serve::Serving;
use axum::Router;
use bytes::Bytes;
use ferry_formats::oci::{media, Digest};
use oci_client::manifest::OciImageIndex;
use route::Route;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex, MutexGuard};
use store::{ManifestRef, Store};

/// State shared by the handlers.
pub(crate) struct Shared {
    store: Mutex<Store>,
}

impl Shared {
    /// Locks the contents (a poisoned lock is still usable: the data is plain).
    pub(crate) fn lock(&self) -> MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Generated images that could not be put into the registry.
#[derive(Debug, thiserror::Error)]
pub enum SeedError {
    /// An image could not be built.
    #[error(transparent)]
    Image(#[from] ImageError),
    /// The image has no valid place in the registry.
    #[error("cannot place {reference} in the registry: {reason}")]
    Place {
        /// The image's reference.
        reference: String,
        /// Why.
        reason: String,
    },
}

/// A running registry. Stops on [`RegistrySim::shutdown`] or when dropped.
pub struct RegistrySim {
    shared: Arc<Shared>,
    addr: SocketAddr,
    serving: Serving,
}

impl RegistrySim {
    /// Starts an empty registry on 127.0.0.1 with an OS-chosen port,
    /// spawned on the current tokio runtime.
    pub async fn start() -> std::io::Result<RegistrySim> {
        let listener =
            tokio::net::TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, 0))).await?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            store: Mutex::new(Store::default()),
        });
        let app = Router::new()
            .fallback(handlers::handle)
            .with_state(shared.clone());
        Ok(RegistrySim {
            shared,
            addr,
            serving: Serving::spawn(listener, app, "registry simulator"),
        })
    }

    /// `127.0.0.1:PORT`, the registry host in image references.
    pub fn host(&self) -> String {
        self.addr.to_string()
    }

    /// Puts `images` into the registry, each at the `repository:tag` that
    /// `place` gives for its reference (`kyma-project/kyma-installer:1.3.0`;
    /// without a tag, `latest`), as if pushed there: every blob, the
    /// per-platform manifests of an index by digest, the top one by tag.
    pub fn put_images<E: std::fmt::Display>(
        &self,
        images: &[GeneratedImage],
        place: impl Fn(&str) -> Result<String, E>,
    ) -> Result<(), SeedError> {
        for image in images {
            let refused = |reason: String| SeedError::Place {
                reference: image.reference.clone(),
                reason,
            };
            let at = place(&image.reference).map_err(|e| refused(e.to_string()))?;
            let (name, tag) = match at.rsplit_once(':') {
                Some((name, tag)) => (name, tag),
                None => (at.as_str(), "latest"),
            };
            let (name, tag) = match route::route(&format!("/v2/{name}/manifests/{tag}")) {
                Ok(Route::Manifest {
                    name,
                    reference: reference @ ManifestRef::Tag(_),
                }) => (name, reference),
                _ => return Err(refused(format!("`{at}` is not REPOSITORY:TAG"))),
            };
            let built = image.build()?;
            let mut store = self.shared.lock();
            for bytes in built.blobs.values() {
                store.put_blob(&name, Bytes::from(bytes.clone()));
            }
            let manifest = |digest: &Digest| {
                built
                    .blobs
                    .get(digest)
                    .map(|bytes| Bytes::from(bytes.clone()))
                    .ok_or_else(|| refused(format!("{digest} was not built")))
            };
            if media::is_index(&built.top.media_type) {
                let top = manifest(&built.top.digest)?;
                let index: OciImageIndex =
                    serde_json::from_slice(&top).map_err(|e| refused(e.to_string()))?;
                for entry in &index.manifests {
                    let digest =
                        Digest::parse(&entry.digest).map_err(|e| refused(e.to_string()))?;
                    let child = ManifestRef::Digest(digest.clone());
                    store
                        .put_manifest(&name, &child, Some(&entry.media_type), manifest(&digest)?)
                        .map_err(|e| refused(e.to_string()))?;
                }
            }
            store
                .put_manifest(
                    &name,
                    &tag,
                    Some(&built.top.media_type),
                    manifest(&built.top.digest)?,
                )
                .map_err(|e| refused(e.to_string()))?;
        }
        Ok(())
    }

    /// The repositories that hold anything, sorted.
    pub fn repositories(&self) -> Vec<String> {
        self.shared.lock().repositories()
    }

    /// The tags of `repository`, sorted (none when it does not exist).
    pub fn tags(&self, repository: &str) -> Vec<String> {
        self.shared.lock().tags(repository).unwrap_or_default()
    }

    /// Stops the server (dropping the handle does the same).
    pub fn shutdown(mut self) {
        self.serving.stop();
    }
}
