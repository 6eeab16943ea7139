//! The product version a cluster runs: the image tag of the profile's
//! version container (for Kyma, `kyma-installer-container` of Deployment
//! `kyma-installer/kyma-installer`).
//!
//! Deciding whether that tag is a release version, and what to do with it,
//! is left to the caller (`upgrade`), which also honours `--current`.

use super::state_error::StateError;
use crate::recipe::ClusterSpec;
use k8s_openapi::api::apps::v1::Deployment;
use kube::Api;

/// The version container's image and its tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CurrentVersion {
    /// The full image reference (`eu.gcr.io/kyma-project/kyma-installer:1.2.3`).
    pub image: String,
    /// Its tag (`1.2.3`).
    pub tag: String,
}

/// The product version: the image tag of container `spec.version_container`
/// of Deployment `spec.version_deployment`, read through `apps/v1`.
pub async fn current_version(
    client: &kube::Client,
    spec: &ClusterSpec,
) -> Result<CurrentVersion, StateError> {
    let object = &spec.version_deployment;
    let namespace = object
        .namespace
        .as_deref()
        .unwrap_or(&spec.default_namespace);
    let deployment = format!("{namespace}/{}", object.name);
    let api: Api<Deployment> = Api::namespaced(client.clone(), namespace);
    let found = api
        .get_opt(&object.name)
        .await
        .map_err(|e| StateError::kube(format!("read Deployment {deployment}"), e))?
        .ok_or_else(|| StateError::NotInstalled {
            deployment: deployment.clone(),
        })?;
    let image = container_image(&found, &spec.version_container).map_err(|found| {
        StateError::NoSuchContainer {
            deployment: deployment.clone(),
            container: spec.version_container.clone(),
            found,
        }
    })?;
    let tag = image_tag(&image).ok_or_else(|| StateError::NoTag {
        deployment,
        image: image.clone(),
    })?;
    Ok(CurrentVersion {
        tag: tag.to_string(),
        image,
    })
}

/// The image of container `name` in a Deployment's pod template, or the
/// names of the containers it does have. A container without an image
/// counts as an image without a tag.
pub(crate) fn container_image(deployment: &Deployment, name: &str) -> Result<String, Vec<String>> {
    let containers = deployment
        .spec
        .as_ref()
        .and_then(|s| s.template.spec.as_ref())
        .map(|p| p.containers.as_slice())
        .unwrap_or_default();
    match containers.iter().find(|c| c.name == name) {
        Some(container) => Ok(container.image.clone().unwrap_or_default()),
        None => Err(containers.iter().map(|c| c.name.clone()).collect()),
    }
}

/// The tag of an image reference: `1.2.3` for
/// `registry:5000/team/name:1.2.3` and for `name:1.2.3@sha256:...`;
/// `None` for a bare name or a digest-only reference.
pub fn image_tag(image: &str) -> Option<&str> {
    let without_digest = image.split_once('@').map_or(image, |(name, _)| name);
    let last = without_digest.rsplit('/').next()?;
    match last.split_once(':') {
        Some((name, tag)) if !name.is_empty() && !tag.is_empty() => Some(tag),
        _ => None,
    }
}

#[cfg(test)]
#[path = "version_tests.rs"]
mod tests;
