//! Asset downloads: redirect, full body, Range resume, expiry, throttle, log.

use super::*;
use crate::github::RequestKind;
use reqwest::header::{ACCEPT, AUTHORIZATION, LOCATION, RANGE};
use std::time::{Duration, Instant};

/// API URL and expected bytes of 1.15.0's `kyma-installer.yaml`.
fn installer_asset(sim: &GitHubSim) -> (String, bytes::Bytes) {
    let c = sim.catalogue();
    let asset = c
        .release("1.15.0")
        .unwrap()
        .asset("kyma-installer.yaml")
        .unwrap()
        .clone();
    (
        format!(
            "{}/repos/kyma-project/kyma/releases/assets/{}",
            sim.base_url(),
            asset.id
        ),
        asset.content,
    )
}

#[tokio::test]
async fn redirect_full_download_and_range_resume_agree() {
    let sim = kyma_sim().await;
    let (api_url, expected) = installer_asset(&sim);

    let redirect = no_redirect_client()
        .get(&api_url)
        .header(ACCEPT, "application/octet-stream")
        .send()
        .await
        .unwrap();
    assert_eq!(redirect.status(), 302);
    let location = redirect.headers()[LOCATION].to_str().unwrap().to_string();
    assert!(
        location.starts_with(&format!("{}/_storage/", sim.base_url())),
        "{location}"
    );
    assert!(location.contains("expires=") && location.contains("sig="));

    let client = client();
    let full = client
        .get(&api_url)
        .header(ACCEPT, "application/octet-stream")
        .send()
        .await
        .unwrap();
    assert_eq!(full.status(), 200);
    assert_eq!(full.headers()["accept-ranges"], "bytes");
    assert_eq!(
        full.headers()["content-length"],
        expected.len().to_string().as_str()
    );
    assert!(full.headers().contains_key("etag"));
    let full = full.bytes().await.unwrap();
    assert_eq!(full, expected);

    // Resume: first half from a full download, the rest through Range.
    let half = expected.len() / 2;
    let rest = client
        .get(&api_url)
        .header(ACCEPT, "application/octet-stream")
        .header(RANGE, format!("bytes={half}-"))
        .send()
        .await
        .unwrap();
    assert_eq!(rest.status(), 206);
    assert_eq!(
        rest.headers()["content-range"],
        format!("bytes {half}-{}/{}", expected.len() - 1, expected.len()).as_str()
    );
    let mut joined = expected[..half].to_vec();
    joined.extend_from_slice(&rest.bytes().await.unwrap());
    assert_eq!(joined, expected.to_vec());

    let middle = client
        .get(&location)
        .header(RANGE, "bytes=10-19")
        .send()
        .await
        .unwrap();
    assert_eq!(middle.status(), 206);
    assert_eq!(middle.bytes().await.unwrap(), expected.slice(10..20));

    let beyond = client
        .get(&location)
        .header(RANGE, format!("bytes={}-", expected.len()))
        .send()
        .await
        .unwrap();
    assert_eq!(beyond.status(), 416);
    assert_eq!(
        beyond.headers()["content-range"],
        format!("bytes */{}", expected.len()).as_str()
    );

    // Without octet-stream the asset URL answers its JSON.
    let meta = get_json(&client, &api_url).await;
    assert_eq!(meta["name"], "kyma-installer.yaml");
    assert_eq!(meta["size"], expected.len());
}

#[tokio::test]
async fn expired_and_forged_storage_links_are_refused() {
    let sim = kyma_sim().await;
    let (api_url, _) = installer_asset(&sim);
    let location = |sim_client: reqwest::Client| {
        let api_url = api_url.clone();
        async move {
            let r = sim_client
                .get(&api_url)
                .header(ACCEPT, "application/octet-stream")
                .send()
                .await
                .unwrap();
            r.headers()[LOCATION].to_str().unwrap().to_string()
        }
    };
    let client = client();
    let fresh = location(no_redirect_client()).await;
    assert_eq!(client.get(&fresh).send().await.unwrap().status(), 200);
    let forged = fresh.replace("sig=", "sig=0");
    assert_eq!(client.get(&forged).send().await.unwrap().status(), 403);
    let no_sig = fresh.split('?').next().unwrap().to_string();
    assert_eq!(client.get(&no_sig).send().await.unwrap().status(), 403);

    sim.set_storage_link_lifetime(Duration::ZERO);
    let expired = location(no_redirect_client()).await;
    let refused = client.get(&expired).send().await.unwrap();
    assert_eq!(refused.status(), 403);
    assert!(refused.text().await.unwrap().contains("expired"));
}

#[tokio::test]
async fn throttle_slows_storage_only() {
    let sim = kyma_sim().await;
    let (api_url, expected) = installer_asset(&sim);
    let rate = (expected.len() as u64) * 4; // about 250 ms for the whole file
    sim.set_storage_throttle(Some(rate));
    let client = client();
    let started = Instant::now();
    let body = client
        .get(&api_url)
        .header(ACCEPT, "application/octet-stream")
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(body, expected);
    assert!(
        started.elapsed() >= Duration::from_millis(200),
        "{:?}",
        started.elapsed()
    );
    sim.set_storage_throttle(None);
    let started = Instant::now();
    client
        .get(&api_url)
        .header(ACCEPT, "application/octet-stream")
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert!(started.elapsed() < Duration::from_millis(200));
}

#[tokio::test]
async fn request_log_records_range_status_and_authorization() {
    let sim = kyma_sim().await;
    let (api_url, _) = installer_asset(&sim);
    let client = client();
    client
        .get(&api_url)
        .header(ACCEPT, "application/octet-stream")
        .header(AUTHORIZATION, "Bearer secret")
        .header(RANGE, "bytes=5-")
        .send()
        .await
        .unwrap();
    client
        .get(format!(
            "{}/repos/kyma-project/kyma/releases/tags/9.9.9",
            sim.base_url()
        ))
        .send()
        .await
        .unwrap();

    let log = sim.requests();
    assert_eq!(log.len(), 3, "{log:?}");
    assert_eq!(log[0].kind, RequestKind::AssetRedirect);
    assert_eq!(log[0].status, 302);
    assert!(log[0].authorization);
    assert_eq!(log[0].range.as_deref(), Some("bytes=5-"));
    assert_eq!(log[1].kind, RequestKind::Storage);
    assert_eq!(log[1].status, 206);
    assert!(log[1].path.starts_with("/_storage/") && log[1].path.contains("sig="));
    assert_eq!(log[1].range.as_deref(), Some("bytes=5-"));
    assert_eq!(log[2].kind, RequestKind::Api);
    assert_eq!(log[2].status, 404);
    assert!(!log[2].authorization);
    assert_eq!(log[2].method, "GET");

    sim.clear_requests();
    assert!(sim.requests().is_empty());
}
