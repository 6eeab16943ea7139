//! Raw HTTP (reqwest) tests: watches, conflicts, dry runs, served APIs and
//! injected faults.

use super::{fast, Env};
use crate::sandbox::kube::{ClusterConfig, KubeFaults};
use serde_json::{json, Value};
use std::time::Duration;

struct Api {
    base: String,
    token: String,
    http: reqwest::Client,
}

impl Api {
    fn new(env: &Env) -> Api {
        // reqwest needs a provider even for plain http; another test may have
        // installed it already.
        let _ = rustls::crypto::ring::default_provider().install_default();
        Api {
            base: env.sim.base_url(),
            token: env.sim.token().to_string(),
            http: reqwest::Client::new(),
        }
    }

    async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        ct: Option<&str>,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut req = self
            .http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(&self.token);
        if let Some(ct) = ct {
            req = req.header("content-type", ct);
        }
        if let Some(b) = body {
            req = req.body(b.to_string());
        }
        let resp = req.send().await.unwrap();
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    async fn get(&self, path: &str) -> (u16, Value) {
        self.send(reqwest::Method::GET, path, None, None).await
    }

    async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        self.send(
            reqwest::Method::POST,
            path,
            Some("application/json"),
            Some(body),
        )
        .await
    }

    async fn put(&self, path: &str, body: Value) -> (u16, Value) {
        self.send(
            reqwest::Method::PUT,
            path,
            Some("application/json"),
            Some(body),
        )
        .await
    }

    async fn patch(&self, path: &str, ct: &str, body: Value) -> (u16, Value) {
        self.send(reqwest::Method::PATCH, path, Some(ct), Some(body))
            .await
    }

    /// Reads watch events until `n` arrived or the stream ends.
    async fn watch(&self, path: &str, n: usize) -> Vec<Value> {
        let mut resp = self
            .http
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);
        let (mut buf, mut events) = (Vec::new(), Vec::new());
        while events.len() < n {
            let chunk = tokio::time::timeout(Duration::from_secs(5), resp.chunk())
                .await
                .unwrap()
                .unwrap();
            let Some(chunk) = chunk else { break };
            buf.extend_from_slice(&chunk);
            while let Some(pos) = buf.iter().position(|b| *b == b'\n') {
                let line: Vec<u8> = buf.drain(..=pos).collect();
                events.push(serde_json::from_slice(&line).unwrap());
            }
        }
        events
    }
}

fn cm(name: &str, value: &str) -> Value {
    json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": {"k": value}})
}

const CMS: &str = "/api/v1/namespaces/default/configmaps";

#[tokio::test]
async fn watch_from_a_compacted_version_gets_410_and_live_events_flow() {
    let env = Env::start(fast()).await;
    let api = Api::new(&env);
    let gone = api
        .watch(&format!("{CMS}?watch=true&resourceVersion=1"), 1)
        .await;
    assert_eq!(gone[0]["type"], "ERROR");
    assert_eq!(gone[0]["object"]["code"], 410);
    assert_eq!(gone[0]["object"]["reason"], "Expired");

    let (_, list) = api.get(CMS).await;
    let rv = list["metadata"]["resourceVersion"]
        .as_str()
        .unwrap()
        .to_string();
    let (code, created) = api.post(CMS, cm("a", "1")).await;
    assert_eq!(code, 201);
    let (code, _) = api
        .patch(
            &format!("{CMS}/a"),
            "application/merge-patch+json",
            json!({"data": {"k": "2"}}),
        )
        .await;
    assert_eq!(code, 200);
    let (code, _) = api
        .send(reqwest::Method::DELETE, &format!("{CMS}/a"), None, None)
        .await;
    assert_eq!(code, 200);
    let path = format!("{CMS}?watch=1&resourceVersion={rv}&fieldSelector=metadata.name%3Da&allowWatchBookmarks=true");
    let events = api.watch(&path, 3).await;
    let types: Vec<&str> = events.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(types, ["ADDED", "MODIFIED", "DELETED"]);
    assert_eq!(
        events[0]["object"]["metadata"]["uid"],
        created["metadata"]["uid"]
    );
    assert_eq!(events[1]["object"]["data"]["k"], "2");
    let rvs: Vec<u64> = events
        .iter()
        .map(|e| {
            e["object"]["metadata"]["resourceVersion"]
                .as_str()
                .unwrap()
                .parse()
                .unwrap()
        })
        .collect();
    assert!(rvs.windows(2).all(|w| w[0] < w[1]), "{rvs:?}");
}

#[tokio::test]
async fn watch_without_version_lists_then_honours_timeout_and_label_selector() {
    let env = Env::start(fast()).await;
    let api = Api::new(&env);
    api.post(
        CMS,
        json!({"apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": "x", "labels": {"app": "a"}}}),
    )
    .await;
    api.post(CMS, cm("y", "1")).await;
    let start = std::time::Instant::now();
    let events = api
        .watch(
            &format!("{CMS}?watch=true&labelSelector=app%3Da&timeoutSeconds=1"),
            10,
        )
        .await;
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0]["object"]["metadata"]["name"], "x");
    assert!(start.elapsed() >= Duration::from_secs(1) && start.elapsed() < Duration::from_secs(4));
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
async fn served_apis_follow_the_kubernetes_version() {
    assert_eq!(served((1, 15)).await, (200, 404, 200, "v1.15.0".into()));
    assert_eq!(served((1, 16)).await, (200, 200, 404, "v1.16.0".into()));
    assert_eq!(served((1, 21)).await, (200, 200, 404, "v1.21.0".into()));
    assert_eq!(served((1, 30)).await, (404, 200, 404, "v1.30.0".into()));
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
    tokio::time::sleep(Duration::from_millis(600)).await;
    let (code, list) = api.get("/apis/installer.kyma-project.io/v1alpha1").await;
    assert_eq!(code, 200);
    assert_eq!(list["resources"][0]["name"], "installations");
    let (code, beta) = api.get("/apis/apiextensions.k8s.io/v1beta1/customresourcedefinitions/installations.installer.kyma-project.io").await;
    assert_eq!(code, 200);
    assert_eq!(beta["spec"]["version"], "v1alpha1");
    assert_eq!(beta["status"]["conditions"][1]["type"], "Established");
}

#[tokio::test]
async fn injected_faults_fail_requests_and_close_watches() {
    let env = Env::start(fast()).await;
    let api = Api::new(&env);
    env.sim.set_faults(KubeFaults {
        server_error_every: Some(3),
        ..Default::default()
    });
    let mut codes = Vec::new();
    for _ in 0..6 {
        codes.push(api.get("/api/v1/namespaces").await.0);
    }
    assert_eq!(codes, [200, 200, 500, 200, 200, 500]);
    env.sim.set_faults(KubeFaults {
        conflict_every: Some(2),
        ..Default::default()
    });
    let first = api.post(CMS, cm("f1", "1")).await.0;
    let second = api.post(CMS, cm("f2", "1")).await.0;
    assert_eq!((first, second), (201, 409));
    env.sim.set_faults(KubeFaults {
        drop_watches_after: Some(Duration::from_millis(200)),
        ..Default::default()
    });
    let start = std::time::Instant::now();
    let events = api.watch(&format!("{CMS}?watch=true"), 100).await;
    assert_eq!(events.len(), 1, "only the ADDED of f1, then closed");
    assert!(start.elapsed() < Duration::from_secs(3));
}

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
    let events = api
        .watch(
            &format!(
                "{}?watch=true&timeoutSeconds=5",
                path.rsplit_once('/').unwrap().0
            ),
            200,
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
    for _ in 0..50 {
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
async fn watches_send_bookmarks_when_allowed() {
    let env = Env::start(fast()).await;
    let api = Api::new(&env);
    let (_, list) = api.get(CMS).await;
    let rv = list["metadata"]["resourceVersion"]
        .as_str()
        .unwrap()
        .to_string();
    let path =
        format!("{CMS}?watch=true&resourceVersion={rv}&allowWatchBookmarks=true&timeoutSeconds=2");
    let events = api.watch(&path, 1).await;
    assert_eq!(events[0]["type"], "BOOKMARK");
    assert_eq!(
        events[0]["object"]["metadata"]["resourceVersion"],
        json!(rv)
    );
    let token = "/api/v1/namespaces";
    let wrong = reqwest::Client::new()
        .get(format!("{}{token}", env.sim.base_url()))
        .bearer_auth("not-the-token")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);
}
