//! Images named by Kubernetes workloads: every container and init
//! container of a Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet,
//! ReplicationController, Job or CronJob, found (`add_workload_images`) or
//! moved to a site registry (`relocate_workload_images`). Which files a hop
//! applies is the recipe's business; this works on objects already parsed.

use super::NeededSet;
use kube::api::DynamicObject;
use serde_json::Value;

/// Adds the images the objects of file `origin` name to `found`.
pub fn add_workload_images(objects: &[DynamicObject], origin: &str, found: &mut NeededSet) {
    for object in objects {
        let Some(kind) = object.types.as_ref().map(|t| t.kind.as_str()) else {
            continue;
        };
        let Some(pod_spec) = pod_spec(kind, &object.data) else {
            continue;
        };
        let name = object.metadata.name.as_deref().unwrap_or("?");
        let at = match object.metadata.namespace.as_deref() {
            Some(namespace) => format!("{namespace}/{name}"),
            None => name.to_string(),
        };
        for list in CONTAINER_LISTS {
            let containers = pod_spec.get(list).and_then(Value::as_array);
            for container in containers.into_iter().flatten() {
                let Some(image) = container.get("image").and_then(Value::as_str) else {
                    continue;
                };
                let container_name = container.get("name").and_then(Value::as_str).unwrap_or("?");
                found.add(
                    image,
                    format!("{origin}: {kind} {at} container {container_name}"),
                );
            }
        }
    }
}

/// The container lists of a pod spec.
const CONTAINER_LISTS: [&str; 3] = ["initContainers", "containers", "ephemeralContainers"];

/// Rewrites every container image of the workloads among `objects` to
/// `site`'s copy of it (`SITE/<original repository path>:<tag>`); returns
/// how many it rewrote. An image that does not parse is left as it is.
pub fn relocate_workload_images(objects: &mut [DynamicObject], site: &str) -> usize {
    let mut rewritten = 0;
    for object in objects {
        let Some(kind) = object.types.as_ref().map(|t| t.kind.clone()) else {
            continue;
        };
        let Some(path) = pod_spec_path(&kind) else {
            continue;
        };
        let Some(pod_spec) = path
            .iter()
            .try_fold(&mut object.data, |value, key| value.get_mut(*key))
        else {
            continue;
        };
        for list in CONTAINER_LISTS {
            let containers = pod_spec.get_mut(list).and_then(Value::as_array_mut);
            for container in containers.into_iter().flatten() {
                let Some(image) = container.get_mut("image") else {
                    continue;
                };
                let moved = image
                    .as_str()
                    .and_then(|text| super::reference::relocated(text, site).ok());
                if let Some(moved) = moved {
                    *image = Value::String(moved);
                    rewritten += 1;
                }
            }
        }
    }
    rewritten
}

/// Where a workload kind keeps its pod spec.
fn pod_spec_path(kind: &str) -> Option<&'static [&'static str]> {
    match kind {
        "Pod" => Some(&["spec"]),
        "Deployment"
        | "StatefulSet"
        | "DaemonSet"
        | "ReplicaSet"
        | "ReplicationController"
        | "Job" => Some(&["spec", "template", "spec"]),
        "CronJob" => Some(&["spec", "jobTemplate", "spec", "template", "spec"]),
        _ => None,
    }
}

/// The pod spec of a workload kind's object.
fn pod_spec<'a>(kind: &str, data: &'a Value) -> Option<&'a Value> {
    pod_spec_path(kind)?
        .iter()
        .try_fold(data, |value, key| value.get(*key))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::yaml::parse_documents;

    const MANIFEST: &str = r#"
apiVersion: apps/v1
kind: Deployment
metadata: {name: kyma-installer, namespace: kyma-installer}
spec:
  template:
    spec:
      initContainers: [{name: wait, image: busybox}]
      containers: [{name: kyma-installer-container, image: "eu.gcr.io/kyma-project/kyma-installer:1.1.0"}]
---
apiVersion: batch/v1beta1
kind: CronJob
metadata: {name: cleanup, namespace: kyma-system}
spec:
  jobTemplate:
    spec:
      template:
        spec:
          containers: [{name: job, image: "eu.gcr.io/kyma-project/alpine-kubectl:v1"}]
---
apiVersion: v1
kind: ConfigMap
metadata: {name: not-a-workload}
data: {image: "quay.io/not/this:1"}
---
apiVersion: v1
kind: Pod
metadata: {name: single}
spec:
  containers: [{name: main, image: "busybox"}]
"#;

    #[test]
    fn every_container_of_every_workload_kind_is_found() {
        let objects = parse_documents(MANIFEST, "m.yaml").unwrap();
        let mut found = NeededSet::default();
        add_workload_images(&objects, "m.yaml", &mut found);
        let found = found.into_vec();
        let names: Vec<&str> = found.iter().map(|n| n.reference.as_str()).collect();
        assert_eq!(
            names,
            [
                "docker.io/library/busybox:latest",
                "eu.gcr.io/kyma-project/kyma-installer:1.1.0",
                "eu.gcr.io/kyma-project/alpine-kubectl:v1",
            ]
        );
        assert_eq!(
            found[0].reasons,
            [
                "m.yaml: Deployment kyma-installer/kyma-installer container wait",
                "m.yaml: Pod single container main",
            ]
        );
    }

    #[test]
    fn relocation_moves_every_workload_image_to_the_site() {
        let mut objects = parse_documents(MANIFEST, "m.yaml").unwrap();
        assert_eq!(relocate_workload_images(&mut objects, "site:5000/k"), 4);
        let mut found = NeededSet::default();
        add_workload_images(&objects, "m.yaml", &mut found);
        let names: Vec<String> = found.into_vec().into_iter().map(|n| n.reference).collect();
        assert_eq!(
            names,
            [
                "site:5000/k/library/busybox:latest",
                "site:5000/k/kyma-project/kyma-installer:1.1.0",
                "site:5000/k/kyma-project/alpine-kubectl:v1",
            ]
        );
        assert_eq!(objects[2].data["data"]["image"], "quay.io/not/this:1");
    }
}
