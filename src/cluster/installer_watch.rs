//! Waiting for the installer to finish one hop: watches the installer's
//! custom resource and the version Deployment (never polling), re-establishing
//! dropped watches, and decides with the pure `installer::phase` predicate.
//!
//! What the phases mean is `installer`'s business; what to do after a failed
//! or timed-out hop is `upgrade`'s.

use super::installer::{describe, phase, InstallObserver, InstallPhase};
use super::state_error::StateError;
use super::version::{container_image, image_tag};
use crate::recipe::ClusterSpec;
use futures_util::StreamExt;
use k8s_openapi::api::apps::v1::Deployment;
use kube::api::{ApiResource, DynamicObject};
use kube::core::GroupVersionKind;
use kube::runtime::watcher::{self, watcher, Event};
use kube::runtime::WatchStreamExt;
use kube::Api;
use std::time::{Duration, Instant};

/// How often the observer hears the unchanged phase, so a clock can move.
const TICK: Duration = Duration::from_secs(1);

/// Waits until the installer has finished the hop to `expected_version`:
/// the Installation (from `spec.installation`) reads `Installed` (its
/// `status.version`, when present, equal to `expected_version`) and the
/// version Deployment's image tag equals `expected_version`. Returns that
/// phase; fails with `InstallFailed` when the installer gives up and with
/// `InstallTimeout` after `timeout`. An Installation that does not exist yet
/// reads `Pending`. Every phase change goes to `observer`.
pub async fn wait_installed(
    client: &kube::Client,
    spec: &ClusterSpec,
    expected_version: &str,
    timeout: Duration,
    observer: &dyn InstallObserver,
) -> Result<InstallPhase, StateError> {
    let started = Instant::now();
    let deadline = tokio::time::Instant::now() + timeout;
    let installations = installation_api(client, spec, deadline).await;
    let deployment = &spec.version_deployment;
    let deployments: Api<Deployment> = Api::namespaced(
        client.clone(),
        deployment
            .namespace
            .as_deref()
            .unwrap_or(&spec.default_namespace),
    );
    let by_name = |name: &str| watcher::Config::default().fields(&format!("metadata.name={name}"));
    let installation_updates = watcher(installations, by_name(&spec.installation.name))
        .default_backoff()
        .map(|update| Update::Installation(Box::new(update)));
    let deployment_updates = watcher(deployments, by_name(&deployment.name))
        .default_backoff()
        .map(|update| Update::Deployment(Box::new(update)));
    let mut updates = std::pin::pin!(futures_util::stream::select(
        installation_updates,
        deployment_updates
    ));

    let mut view = View::default();
    let mut reported: Option<InstallPhase> = None;
    let mut ticker = tokio::time::interval_at(tokio::time::Instant::now() + TICK, TICK);
    loop {
        tokio::select! {
            update = updates.next() => match update {
                Some(update) => view.apply(update),
                None => break,
            },
            _ = ticker.tick() => {
                if let Some(current) = &reported {
                    observer.update(current, started.elapsed());
                }
                continue;
            }
            _ = tokio::time::sleep_until(deadline) => break,
        }
        let current = view.effective(spec, expected_version);
        if reported.as_ref() != Some(&current) {
            observer.update(&current, started.elapsed());
            reported = Some(current.clone());
        }
        match current {
            InstallPhase::Installed { .. } => return Ok(current),
            InstallPhase::Failed {
                description,
                errors,
            } => {
                return Err(StateError::InstallFailed {
                    version: expected_version.to_string(),
                    description,
                    errors,
                })
            }
            _ => {}
        }
    }
    Err(StateError::InstallTimeout {
        version: expected_version.to_string(),
        waited: started.elapsed(),
        last: view.waiting_for(spec, expected_version),
    })
}

/// The dynamic API of the installer's custom resource: its real plural from
/// discovery when the kind is served, else the conventional one (the CRD
/// may not be established yet, or discovery may not answer before
/// `deadline`; the watcher retries until the kind is served).
async fn installation_api(
    client: &kube::Client,
    spec: &ClusterSpec,
    deadline: tokio::time::Instant,
) -> Api<DynamicObject> {
    let object = &spec.installation;
    let (group, version) = object
        .api_version
        .split_once('/')
        .unwrap_or(("", object.api_version.as_str()));
    let gvk = GroupVersionKind::gvk(group, version, &object.kind);
    let discovered =
        tokio::time::timeout_at(deadline, kube::discovery::pinned_kind(client, &gvk)).await;
    let resource = match discovered {
        Ok(Ok((resource, _))) => resource,
        Ok(Err(err)) => {
            tracing::debug!(
                "discovery of {} failed ({err}); guessing its plural",
                object.kind
            );
            ApiResource::from_gvk(&gvk)
        }
        Err(_) => ApiResource::from_gvk(&gvk),
    };
    let namespace = object
        .namespace
        .as_deref()
        .unwrap_or(&spec.default_namespace);
    Api::namespaced_with(client.clone(), namespace, &resource)
}

/// One item from either watch.
enum Update {
    Installation(Box<watcher::Result<Event<DynamicObject>>>),
    Deployment(Box<watcher::Result<Event<Deployment>>>),
}

/// The latest copy of one watched object (`None`: absent).
struct Mirror<K> {
    current: Option<K>,
    /// Objects listed since the last `Init` (the watch restarted).
    relisted: Option<K>,
}

impl<K> Default for Mirror<K> {
    fn default() -> Self {
        Mirror {
            current: None,
            relisted: None,
        }
    }
}

impl<K> Mirror<K> {
    fn apply(&mut self, event: Event<K>) {
        match event {
            Event::Apply(object) => self.current = Some(object),
            Event::Delete(_) => self.current = None,
            Event::Init => self.relisted = None,
            Event::InitApply(object) => self.relisted = Some(object),
            Event::InitDone => self.current = self.relisted.take(),
        }
    }
}

/// What the two watches have seen so far.
#[derive(Default)]
struct View {
    installation: Mirror<DynamicObject>,
    deployment: Mirror<Deployment>,
    /// The last watch error, for the timeout message.
    last_error: Option<String>,
}

impl View {
    fn apply(&mut self, update: Update) {
        match update {
            Update::Installation(update) => match *update {
                Ok(event) => self.installation.apply(event),
                Err(err) => self.failed(&err),
            },
            Update::Deployment(update) => match *update {
                Ok(event) => self.deployment.apply(event),
                Err(err) => self.failed(&err),
            },
        }
    }

    fn failed(&mut self, err: &watcher::Error) {
        tracing::debug!("watch failed, re-establishing: {err}");
        self.last_error = Some(err.to_string());
    }

    fn phase(&self, spec: &ClusterSpec) -> InstallPhase {
        match self
            .installation
            .current
            .as_ref()
            .and_then(|o| serde_json::to_value(o).ok())
        {
            Some(object) => phase(&object, spec),
            None => InstallPhase::Pending,
        }
    }

    fn deployment_tag(&self, spec: &ClusterSpec) -> Option<String> {
        let deployment = self.deployment.current.as_ref()?;
        let image = container_image(deployment, &spec.version_container).ok()?;
        image_tag(&image).map(str::to_string)
    }

    /// The phase for this hop: an `Installed` of another version (or with
    /// the Deployment still on another image) has not started this hop.
    fn effective(&self, spec: &ClusterSpec, expected: &str) -> InstallPhase {
        match self.phase(spec) {
            InstallPhase::Installed { version }
                if version.as_deref().is_none_or(|v| v == expected)
                    && self.deployment_tag(spec).as_deref() == Some(expected) =>
            {
                InstallPhase::Installed { version }
            }
            InstallPhase::Installed { .. } => InstallPhase::Pending,
            other => other,
        }
    }

    /// Why the wait is not over, in words.
    fn waiting_for(&self, spec: &ClusterSpec, expected: &str) -> String {
        let mut parts = Vec::new();
        if self.installation.current.is_none() {
            parts.push(format!(
                "{} {} does not exist",
                spec.installation.kind, spec.installation.name
            ));
        } else {
            parts.push(format!("installer {}", describe(&self.phase(spec))));
        }
        match self.deployment_tag(spec) {
            Some(tag) if tag == expected => {}
            Some(tag) => parts.push(format!(
                "Deployment {} runs {tag}, not {expected}",
                spec.version_deployment.name
            )),
            None => parts.push(format!(
                "Deployment {} has no tagged container {}",
                spec.version_deployment.name, spec.version_container
            )),
        }
        if let Some(err) = &self.last_error {
            parts.push(format!("last watch error: {err}"));
        }
        parts.join("; ")
    }
}

#[cfg(test)]
#[path = "installer_watch_tests.rs"]
mod tests;
