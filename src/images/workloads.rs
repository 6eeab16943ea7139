//! Images named by Kubernetes workloads: every container and init
//! container of a Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet,
//! ReplicationController, Job or CronJob. Which files a hop applies is the
//! recipe's business; this reads objects already parsed.

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
        for list in ["initContainers", "containers", "ephemeralContainers"] {
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

/// Where a workload kind keeps its pod spec.
fn pod_spec<'a>(kind: &str, data: &'a Value) -> Option<&'a Value> {
    let spec = data.get("spec")?;
    match kind {
        "Pod" => Some(spec),
        "Deployment"
        | "StatefulSet"
        | "DaemonSet"
        | "ReplicaSet"
        | "ReplicationController"
        | "Job" => spec.get("template")?.get("spec"),
        "CronJob" => spec
            .get("jobTemplate")?
            .get("spec")?
            .get("template")?
            .get("spec"),
        _ => None,
    }
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
}
