//! Simulated controllers over raw HTTP: finalizers and garbage collection,
//! the failing installer, Deployment status, CRD establishment.

use super::api::{cm, Api, CMS};
use super::{fast, Env};
use crate::kube::ClusterConfig;
use serde_json::{json, Value};
use std::time::Duration;

#[tokio::test]
async fn finalizers_hold_deletion_until_removed() {
    let env = Env::start(fast()).await;
    let api = Api::new(&env);
    let mut obj = cm("held", "1");
    obj["metadata"]["finalizers"] = json!(["example.com/hold"]);
    api.post(CMS, obj).await;
    let (code, deleting) = api
        .send(reqwest::Method::DELETE, &format!("{CMS}/held"), None, None)
        .await;
    assert_eq!(code, 200);
    assert!(deleting["metadata"]["deletionTimestamp"].is_string());
    assert!(env
        .sim
        .get("v1", "ConfigMap", Some("default"), "held")
        .is_some());
    let (code, _) = api
        .patch(
            &format!("{CMS}/held"),
            "application/json-patch+json",
            json!([{"op": "remove", "path": "/metadata/finalizers"}]),
        )
        .await;
    assert_eq!(code, 200);
    assert!(env
        .sim
        .get("v1", "ConfigMap", Some("default"), "held")
        .is_none());
}

#[tokio::test]
async fn failing_version_ends_in_error_with_the_label_removed() {
    let env = Env::kyma("1.15.1").await;
    env.sim.set_fail_version(Some("1.15.1".into()));
    let api = Api::new(&env);
    let path = "/apis/installer.kyma-project.io/v1alpha1/namespaces/default/installations/kyma-installation";
    let (code, _) = api
        .patch(
            path,
            "application/merge-patch+json",
            json!({"metadata": {"labels": {"action": "install"}}}),
        )
        .await;
    assert_eq!(code, 200);
    let collection = path.rsplit_once('/').unwrap().0;
    let gave_up = |events: &[Value]| {
        events.last().is_some_and(|e| {
            e["object"]["status"]["state"] == "Error"
                && e["object"]["metadata"]["labels"].get("action").is_none()
        })
    };
    let events = api
        .watch_until(
            &format!("{collection}?watch=true&timeoutSeconds=10"),
            gave_up,
        )
        .await;
    let states: Vec<String> = events
        .iter()
        .map(|e| {
            e["object"]["status"]["state"]
                .as_str()
                .unwrap_or("")
                .to_string()
        })
        .collect();
    let error = states
        .iter()
        .position(|s| s == "Error")
        .expect("an Error state");
    assert!(
        states[error..].iter().any(|s| s == "InProgress"),
        "transient Error first: {states:?}"
    );
    let inst = env
        .sim
        .get(
            "installer.kyma-project.io/v1alpha1",
            "Installation",
            Some("default"),
            "kyma-installation",
        )
        .unwrap();
    assert_eq!(inst["status"]["state"], "Error");
    assert!(inst["status"]["errorLog"][0]["component"].is_string());
    assert_eq!(inst["status"]["errorLog"][0]["occurrences"], 2);
    assert!(inst["metadata"]["labels"].get("action").is_none());
    assert!(env.sim.installed_versions().is_empty());
}

#[tokio::test]
async fn deployments_follow_spec_through_status_and_share_storage_across_versions() {
    let env = Env::start(ClusterConfig {
        kubernetes: (1, 15),
        kyma_version: Some("1.9.0".into()),
        ..fast()
    })
    .await;
    let api = Api::new(&env);
    let ext = "/apis/extensions/v1beta1/namespaces/kyma-installer/deployments/kyma-installer";
    let (code, old) = api.get(ext).await;
    assert_eq!(code, 200);
    assert_eq!(old["apiVersion"], "extensions/v1beta1");
    let apps = "/apis/apps/v1/namespaces/kyma-installer/deployments/kyma-installer";
    let (code, patched) = api
        .patch(
            apps,
            "application/strategic-merge-patch+json",
            json!({"spec": {"replicas": 3}, "status": {"readyReplicas": 99}}),
        )
        .await;
    assert_eq!(code, 200);
    assert_eq!(patched["metadata"]["generation"], 2);
    assert_eq!(
        patched["status"]["readyReplicas"], 1,
        "main resource writes ignore status"
    );
    let mut status = Value::Null;
    for _ in 0..150 {
        tokio::time::sleep(Duration::from_millis(20)).await;
        status = api.get(ext).await.1["status"].clone();
        if status["readyReplicas"] == 3 {
            break;
        }
    }
    assert_eq!(status["observedGeneration"], 2, "{status}");
    assert_eq!(status["readyReplicas"], 3, "{status}");
    let (_, pods) = api
        .get("/api/v1/namespaces/kyma-installer/pods?labelSelector=name%3Dkyma-installer")
        .await;
    assert_eq!(pods["items"].as_array().unwrap().len(), 3);
    let (code, written) = api
        .patch(
            &format!("{apps}/status"),
            "application/merge-patch+json",
            json!({"spec": {"replicas": 7}, "status": {"readyReplicas": 0}}),
        )
        .await;
    assert_eq!(code, 200);
    assert_eq!(written["spec"]["replicas"], 3, "status writes ignore spec");
    assert_eq!(written["status"]["readyReplicas"], 0);
    let (code, _) = api
        .get("/apis/apps/v1/namespaces/kyma-installer/deployments/kyma-installer/scale")
        .await;
    assert_eq!(code, 404);
}

#[tokio::test]
async fn v1beta1_crds_share_storage_and_their_kind_is_served_once_established() {
    let env = Env::start(ClusterConfig {
        crd_established_delay: Duration::from_millis(300),
        ..fast()
    })
    .await;
    let api = Api::new(&env);
    let crd = json!({"apiVersion": "apiextensions.k8s.io/v1beta1", "kind": "CustomResourceDefinition",
        "metadata": {"name": "installations.installer.kyma-project.io"},
        "spec": {"group": "installer.kyma-project.io", "version": "v1alpha1", "scope": "Namespaced",
                 "names": {"kind": "Installation", "plural": "installations", "singular": "installation"}}});
    let (code, _) = api
        .post(
            "/apis/apiextensions.k8s.io/v1beta1/customresourcedefinitions",
            crd,
        )
        .await;
    assert_eq!(code, 201);
    let (code, v1) = api.get("/apis/apiextensions.k8s.io/v1/customresourcedefinitions/installations.installer.kyma-project.io").await;
    assert_eq!(code, 200);
    assert_eq!(v1["spec"]["versions"][0]["name"], "v1alpha1");
    let (code, _) = api.get("/apis/installer.kyma-project.io/v1alpha1").await;
    assert_eq!(code, 404, "not served before Established");
    let mut code = 0;
    let mut list = Value::Null;
    for _ in 0..100 {
        tokio::time::sleep(Duration::from_millis(50)).await;
        (code, list) = api.get("/apis/installer.kyma-project.io/v1alpha1").await;
        if code == 200 {
            break;
        }
    }
    assert_eq!(code, 200);
    assert_eq!(list["resources"][0]["name"], "installations");
    let (code, beta) = api.get("/apis/apiextensions.k8s.io/v1beta1/customresourcedefinitions/installations.installer.kyma-project.io").await;
    assert_eq!(code, 200);
    assert_eq!(beta["spec"]["version"], "v1alpha1");
    assert_eq!(beta["status"]["conditions"][1]["type"], "Established");
}

#[tokio::test]
async fn deleting_a_crd_removes_its_resources_and_stops_serving_them() {
    let env = Env::kyma("1.20.0").await;
    let api = Api::new(&env);
    let crd = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/installations.installer.kyma-project.io";
    let (code, _) = api.send(reqwest::Method::DELETE, crd, None, None).await;
    assert_eq!(code, 200);
    assert!(env
        .sim
        .objects()
        .iter()
        .all(|o| o["kind"] != "Installation"));
    let (code, _) = api
        .get("/apis/installer.kyma-project.io/v1alpha1/installations")
        .await;
    assert_eq!(code, 404);
    let (code, _) = api
        .send(
            reqwest::Method::DELETE,
            "/api/v1/namespaces/kyma-installer",
            None,
            None,
        )
        .await;
    assert_eq!(code, 200);
    assert!(env
        .sim
        .objects()
        .iter()
        .all(|o| o["metadata"]["namespace"] != "kyma-installer"));
    let (code, _) = api
        .post(
            "/api/v1/namespaces/kyma-installer/configmaps",
            super::api::cm("x", "1"),
        )
        .await;
    assert_eq!(code, 404, "no writes into a deleted namespace");
}
