//! The container images the cluster runs: every container and init
//! container in the pod templates of the Deployments, StatefulSets and
//! DaemonSets of all namespaces, each with the workload it belongs to. A
//! kind the API server does not serve counts as none. What to make of the
//! images (which registry they come from) is the caller's concern.

use super::state_error::StateError;
use k8s_openapi::api::apps::v1::{DaemonSet, Deployment, StatefulSet};
use k8s_openapi::api::core::v1::{PodSpec, PodTemplateSpec};
use kube::api::{Api, ListParams};
use kube::core::NamespaceResourceScope;
use kube::{Resource, ResourceExt};
use serde::de::DeserializeOwned;

/// One image a workload runs.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
pub struct WorkloadImage {
    /// The workload, `namespace/name`.
    pub workload: String,
    /// Its kind (`Deployment`).
    pub kind: String,
    /// The image reference, as the pod template names it.
    pub image: String,
}

/// Every image of every Deployment, StatefulSet and DaemonSet, sorted by
/// workload, kind and image, each once per workload.
pub async fn workload_images(client: &kube::Client) -> Result<Vec<WorkloadImage>, StateError> {
    let mut images = list::<Deployment>(client, |d| d.spec.as_ref().map(|s| &s.template)).await?;
    images.extend(list::<StatefulSet>(client, |s| s.spec.as_ref().map(|s| &s.template)).await?);
    images.extend(list::<DaemonSet>(client, |d| d.spec.as_ref().map(|s| &s.template)).await?);
    images.sort();
    images.dedup();
    Ok(images)
}

/// The images of every object of kind `K` in all namespaces.
async fn list<K>(
    client: &kube::Client,
    template: fn(&K) -> Option<&PodTemplateSpec>,
) -> Result<Vec<WorkloadImage>, StateError>
where
    K: Resource<Scope = NamespaceResourceScope> + Clone + DeserializeOwned + std::fmt::Debug,
    K::DynamicType: Default,
{
    let kind = K::kind(&K::DynamicType::default()).to_string();
    let api: Api<K> = Api::all(client.clone());
    let objects = match api.list(&ListParams::default()).await {
        Ok(list) => list.items,
        Err(kube::Error::Api(status)) if status.code == 404 => return Ok(Vec::new()),
        Err(err) => return Err(StateError::kube(format!("list the {kind}s"), err)),
    };
    let mut images = Vec::new();
    for object in &objects {
        let namespace = object.namespace().unwrap_or_default();
        let workload = format!("{namespace}/{}", object.name_any());
        for image in pod_images(template(object).and_then(|t| t.spec.as_ref())) {
            images.push(WorkloadImage {
                workload: workload.clone(),
                kind: kind.clone(),
                image,
            });
        }
    }
    Ok(images)
}

/// The images of a pod spec's init containers and containers, in order.
fn pod_images(spec: Option<&PodSpec>) -> Vec<String> {
    let Some(spec) = spec else {
        return Vec::new();
    };
    spec.init_containers
        .iter()
        .flatten()
        .chain(&spec.containers)
        .filter_map(|container| container.image.clone())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn init_containers_and_containers_give_their_images() {
        let spec: PodSpec = serde_json::from_value(serde_json::json!({
            "initContainers": [{"name": "init", "image": "busybox:1.31"}],
            "containers": [
                {"name": "app", "image": "site:5000/kyma/app:1"},
                {"name": "no-image"}
            ]
        }))
        .unwrap();
        assert_eq!(
            pod_images(Some(&spec)),
            ["busybox:1.31", "site:5000/kyma/app:1"]
        );
        assert!(pod_images(None).is_empty());
    }
}
