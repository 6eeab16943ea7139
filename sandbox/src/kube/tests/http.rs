//! Writes and discovery over raw HTTP: conflicts, server-side apply, dry runs,
//! served APIs per Kubernetes version.

use super::api::{cm, Api, CMS};
use super::{fast, Env};
use crate::kube::ClusterConfig;
use serde_json::json;

async fn served(kubernetes: (u32, u32)) -> (u16, u16, u16, String) {
    let env = Env::start(ClusterConfig {
        kubernetes,
        ..fast()
    })
    .await;
    let api = Api::new(&env);
    let (v1beta1, _) = api.get("/apis/apiextensions.k8s.io/v1beta1").await;
    let (v1, _) = api
        .get("/apis/apiextensions.k8s.io/v1/customresourcedefinitions")
        .await;
    let (ext, _) = api.get("/apis/extensions/v1beta1").await;
    let (_, version) = api.get("/version").await;
    (
        v1beta1,
        v1,
        ext,
        version["gitVersion"].as_str().unwrap().to_string(),
    )
}

#[tokio::test]
async fn stale_resource_version_on_update_is_a_conflict() {
    let env = Env::start(fast()).await;
    let api = Api::new(&env);
    let (_, first) = api.post(CMS, cm("c", "1")).await;
    let mut update = first.clone();
    update["data"]["k"] = json!("2");
    let (code, second) = api.put(&format!("{CMS}/c"), update.clone()).await;
    assert_eq!(code, 200);
    assert_eq!(second["metadata"]["uid"], first["metadata"]["uid"]);
    assert_ne!(
        second["metadata"]["resourceVersion"],
        first["metadata"]["resourceVersion"]
    );
    update["data"]["k"] = json!("3");
    let (code, status) = api.put(&format!("{CMS}/c"), update).await;
    assert_eq!(code, 409);
    assert_eq!(status["kind"], "Status");
    assert_eq!(status["reason"], "Conflict");
    let (code, status) = api.post(CMS, cm("c", "1")).await;
    assert_eq!(
        (code, status["reason"].as_str()),
        (409, Some("AlreadyExists"))
    );
    let (code, status) = api.get(&format!("{CMS}/missing")).await;
    assert_eq!((code, status["reason"].as_str()), (404, Some("NotFound")));
    let (code, status) = api
        .post("/api/v1/namespaces/nowhere/configmaps", cm("d", "1"))
        .await;
    assert_eq!(
        (code, status["message"].as_str()),
        (404, Some("namespaces \"nowhere\" not found"))
    );
    let (code, status) = api
        .post(
            CMS,
            json!({"apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": "e"}, "data": {"k": 1}}),
        )
        .await;
    assert_eq!((code, status["reason"].as_str()), (422, Some("Invalid")));
}

#[tokio::test]
async fn server_side_apply_conflicts_with_client_side_apply_unless_forced() {
    let env = Env::kyma("1.15.1").await;
    let api = Api::new(&env);
    let path = "/api/v1/namespaces/kyma-installer/configmaps/core-overrides";
    let applied = json!({"apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": "core-overrides", "namespace": "kyma-installer"},
        "data": {"console.cluster.headerLogoUrl": "assets/new.svg"}});
    let ssa = "application/apply-patch+yaml";
    let (code, status) = api.patch(path, ssa, applied.clone()).await;
    assert_eq!(
        (code, status["reason"].as_str()),
        (422, Some("Invalid")),
        "fieldManager is required"
    );
    let (code, status) = api
        .patch(&format!("{path}?fieldManager=ferry"), ssa, applied.clone())
        .await;
    assert_eq!(code, 409, "{status}");
    assert_eq!(
        status["details"]["causes"][0]["field"],
        ".data.console.cluster.headerLogoUrl"
    );
    assert!(
        status["message"]
            .as_str()
            .unwrap()
            .contains("kubectl-client-side-apply"),
        "{status}"
    );
    let mutations = env.sim.mutations();
    let (code, obj) = api
        .patch(
            &format!("{path}?fieldManager=ferry&force=true"),
            ssa,
            applied.clone(),
        )
        .await;
    assert_eq!(code, 200);
    assert_eq!(
        obj["data"]["console.cluster.headerLogoUrl"],
        "assets/new.svg"
    );
    assert_eq!(env.sim.mutations(), mutations + 1);
    let managers: Vec<&str> = obj["metadata"]["managedFields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["manager"].as_str().unwrap())
        .collect();
    assert!(managers.contains(&"ferry"), "{managers:?}");
    // Same manager, same value: no conflict and no change.
    let (code, again) = api
        .patch(&format!("{path}?fieldManager=ferry"), ssa, applied)
        .await;
    assert_eq!(code, 200);
    assert_eq!(
        again["metadata"]["resourceVersion"],
        obj["metadata"]["resourceVersion"]
    );
}

#[tokio::test]
async fn dry_run_validates_but_stores_nothing() {
    let env = Env::start(fast()).await;
    let api = Api::new(&env);
    let before = env.sim.objects().len();
    let (code, obj) = api.post(&format!("{CMS}?dryRun=All"), cm("dry", "1")).await;
    assert_eq!(code, 201);
    assert_eq!(obj["metadata"]["name"], "dry");
    let (code, _) = api
        .patch(
            "/api/v1/namespaces/default/configmaps/dry2?dryRun=All&fieldManager=ferry",
            "application/apply-patch+yaml",
            cm("dry2", "1"),
        )
        .await;
    assert_eq!(code, 201);
    let (code, _) = api
        .post(
            &format!("{CMS}?dryRun=All"),
            json!({"apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": "Bad_Name"}}),
        )
        .await;
    assert_eq!(code, 422);
    let (code, _) = api
        .send(
            reqwest::Method::DELETE,
            "/api/v1/namespaces/kube-system/configmaps/kyma-cluster-info?dryRun=All",
            None,
            None,
        )
        .await;
    assert_eq!(code, 200);
    assert_eq!(env.sim.objects().len(), before);
    assert!(env
        .sim
        .get("v1", "ConfigMap", Some("kube-system"), "kyma-cluster-info")
        .is_some());
    assert_eq!(env.sim.mutations(), 0);
}

#[tokio::test]
async fn served_apis_follow_the_kubernetes_version() {
    assert_eq!(served((1, 15)).await, (200, 404, 200, "v1.15.0".into()));
    assert_eq!(served((1, 16)).await, (200, 200, 404, "v1.16.0".into()));
    assert_eq!(served((1, 21)).await, (200, 200, 404, "v1.21.0".into()));
    assert_eq!(served((1, 30)).await, (404, 200, 404, "v1.30.0".into()));
}
