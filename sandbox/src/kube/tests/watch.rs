//! Watches over raw HTTP: replay from a resourceVersion, 410 Gone, selectors,
//! timeouts, bookmarks, and injected faults.

use super::api::{cm, Api, CMS};
use super::{fast, Env};
use crate::kube::KubeFaults;
use serde_json::json;
use std::time::Duration;

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

#[tokio::test]
async fn selector_watches_see_objects_enter_and_leave() {
    let env = Env::start(fast()).await;
    let api = Api::new(&env);
    let labelled = json!({"apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": "x", "labels": {"app": "a"}}});
    api.post(CMS, labelled).await;
    api.post(CMS, cm("y", "1")).await;
    let (_, list) = api.get(&format!("{CMS}?labelSelector=app%3Da")).await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    let rv = list["metadata"]["resourceVersion"]
        .as_str()
        .unwrap()
        .to_string();
    let merge = "application/merge-patch+json";
    api.patch(
        &format!("{CMS}/y"),
        merge,
        json!({"metadata": {"labels": {"app": "a"}}}),
    )
    .await;
    api.patch(
        &format!("{CMS}/x"),
        merge,
        json!({"metadata": {"labels": {"app": null}}}),
    )
    .await;
    api.patch(&format!("{CMS}/x"), merge, json!({"data": {"k": "unseen"}}))
        .await;
    let path =
        format!("{CMS}?watch=true&resourceVersion={rv}&labelSelector=app%3Da&timeoutSeconds=1");
    let events = api.watch(&path, 10).await;
    let seen: Vec<(String, String)> = events
        .iter()
        .map(|e| {
            (
                e["type"].as_str().unwrap().into(),
                e["object"]["metadata"]["name"].as_str().unwrap().into(),
            )
        })
        .collect();
    let want = [("ADDED", "y"), ("DELETED", "x")].map(|(t, n)| (t.to_string(), n.to_string()));
    assert_eq!(seen, want);
}
