//! `Applier::delete_and_wait`: deleting one object named in a recipe
//! (absent is fine) and watching until it is really gone, finalizers and
//! dependents included (foreground propagation).
//!
//! Applying lives in `apply`; which objects a hop deletes is `upgrade`'s job.

use super::apply::Applier;
use super::crd::split_api_version;
use super::error::{describe, ClusterError};
use super::preflight::successor;
use super::retry::{is_not_found, Retry};
use super::wait::wait_until;
use crate::recipe::ObjectRef;
use kube::api::{Api, DeleteParams, DynamicObject};
use kube::ResourceExt;
use std::time::Duration;

impl Applier {
    /// Deletes an object (absent is fine) and waits until it is gone;
    /// returns whether it existed. A kind the cluster serves under another
    /// version of the same group is found there; a kind it does not serve at
    /// all cannot have objects. `dry_run` sends dryRun=All and does not wait.
    /// A namespaced object without a namespace is looked up in the
    /// kubeconfig's namespace.
    pub async fn delete_and_wait(
        &mut self,
        object: &ObjectRef,
        timeout: Duration,
        dry_run: bool,
    ) -> Result<bool, ClusterError> {
        let any_version = |api_version: &str| {
            let (group, _) = split_api_version(api_version);
            self.catalog.resolve_any_version(group, &object.kind)
        };
        let resolved = self
            .catalog
            .resolve(&object.api_version, &object.kind)
            .or_else(|| any_version(&object.api_version))
            .or_else(|| any_version(successor(&object.api_version, &object.kind)?));
        let Some(resolved) = resolved else {
            return Ok(false);
        };
        let namespace = resolved.namespaced.then(|| {
            object
                .namespace
                .clone()
                .unwrap_or_else(|| self.client.default_namespace().to_string())
        });
        let api = self.api_of(resolved, namespace.as_deref());
        let label = describe(&object.kind, namespace.as_deref(), &object.name);
        let answer = if dry_run {
            Retry::DEFAULT
                .run(|| dry_run_delete(&self.client, &api, &object.name))
                .await
        } else {
            let params = DeleteParams::foreground();
            Retry::DEFAULT
                .run(|| async { Ok(api.delete(&object.name, &params).await?.left()) })
                .await
        };
        let remaining = match answer {
            Err(e) if is_not_found(&e) => return Ok(false),
            Err(source) => {
                return Err(ClusterError::Api {
                    action: "delete",
                    object: label,
                    source,
                })
            }
            Ok(remaining) => remaining,
        };
        let Some(remaining) = remaining.filter(|_| !dry_run) else {
            return Ok(true);
        };
        let uid = remaining.uid();
        wait_until(api, &object.name, timeout, &label, "deleted", |seen| {
            seen.is_none_or(|o| o.uid() != uid)
        })
        .await?;
        Ok(true)
    }
}

/// A delete with `dryRun=All` in the query as well as in the body (some
/// servers, the simulator among them, only read the query).
async fn dry_run_delete(
    client: &kube::Client,
    api: &Api<DynamicObject>,
    name: &str,
) -> Result<Option<DynamicObject>, kube::Error> {
    let params = DeleteParams::foreground().dry_run();
    let mut request = kube::core::Request::new(api.resource_url())
        .delete(name, &params)
        .map_err(kube::Error::BuildRequest)?;
    let uri = format!("{}/{name}?dryRun=All", api.resource_url());
    match uri.parse() {
        Ok(parsed) => *request.uri_mut() = parsed,
        Err(e) => return Err(kube::Error::HttpError(e.into())),
    }
    let answer = client.request_status::<DynamicObject>(request).await?;
    Ok(answer.left())
}
